"""The refresher loop's judgement items: one ``data/genopfrisk.yml`` per module folder (issue 17).

After a pass the learner gets three practice rounds (about 1, 3 and 6 months);
each round draws three items from the module's pool. The pool is its own file,
never the module's test (``opgave.yml``) or its temadag questions
(``temadag.yml``): :func:`pool_problems` also refuses an item whose id or
situation repeats one of their questions (its id, case or text). Format (``modules/README.md``)::

    modul: opsporing
    items:
      - id: g-hentning
        faggrupper: [dagtilbud]      # optional; [] or absent = every faggruppe
        situation: |
          ...
        spoergsmaal: "Hvad gør du nu?"
        valg:
          - {id: a, tekst: "..."}
          - {id: b, tekst: "..."}
        korrekt: b
        forklaring: |
          ...

:func:`load_pool` returns every item or raises :class:`ContentError` listing
every problem (``file:line: field: message``); it never returns part of a file.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from rusfokus.content import data_dir, exercise_file, temadag_file
from rusfokus.content.loader import (
    ContentError,
    Problem,
    Where,
    display_path,
    load_yaml,
    module_file_head,
    text_field,
    unknown_fields,
)
from rusfokus.content.registry import faggruppe_keys, module, module_ids

POOL_FILE = "genopfrisk.yml"
TOP_KEYS = {"modul", "items"}
ITEM_KEYS = {"id", "faggrupper", "situation", "spoergsmaal", "valg", "korrekt", "forklaring"}
REQUIRED_ITEM_KEYS = ("id", "situation", "spoergsmaal", "valg", "korrekt", "forklaring")
OPTION_KEYS = {"id", "tekst"}
MIN_OPTIONS, MAX_OPTIONS = 2, 6
SIMILAR = 0.9
"""Two options of one item whose texts are at least this alike (difflib ratio, case and punctuation ignored)
are refused: a learner must choose between different actions, not between spellings."""
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class PracticeItem:
    """One judgement item of a module's refresher pool."""

    id: str
    modul: str
    faggrupper: tuple[str, ...]
    """Faggruppe keys (``rusfokus.content.registry.FAGGRUPPER``) the case is written for; empty = every one."""
    situation: str
    spoergsmaal: str
    valg: tuple[tuple[str, str], ...]
    """(option id, Danish text) in the file's order."""
    korrekt: str
    """The id of the one right option."""
    forklaring: str

    def for_faggruppe(self, key: str | None) -> bool:
        """Whether the item suits a learner of faggruppe ``key`` (None: unknown faggruppe, every item suits)."""
        return not self.faggrupper or key is None or key in self.faggrupper

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(oid for oid, _ in self.valg)

    def option_text(self, option_id: str) -> str:
        """The text of an option; ``KeyError`` for an id that is not one of the item's."""
        for oid, tekst in self.valg:
            if oid == option_id:
                return tekst
        raise KeyError(f"item {self.id!r} has no option {option_id!r} (options: {', '.join(self.option_ids)})")

    def is_correct(self, option_id: str) -> bool:
        return option_id == self.korrekt


def pool_file(module_id: str, root: str | Path) -> Path:
    """``<root>/<NN-id>/data/genopfrisk.yml`` (``root``: the content root, ``settings.content_dir``)."""
    return data_dir(module_id, root) / POOL_FILE


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w%§ ]+", " ", text.casefold()).split())


def _options(raw, where: Where, path: tuple, problems: list[Problem]) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(raw, list) or not MIN_OPTIONS <= len(raw) <= MAX_OPTIONS:
        problems.append(
            where.problem(
                path, f'must be a list of {MIN_OPTIONS} to {MAX_OPTIONS} options, each {{id: a, tekst: "..."}}'
            )
        )
        return None
    before = len(problems)
    out: list[tuple[str, str]] = []
    for j, item in enumerate(raw):
        p = (*path, j)
        if not isinstance(item, dict):
            problems.append(where.problem(p, 'each option must be {id: a, tekst: "..."}'))
            continue
        unknown_fields(item, OPTION_KEYS, where, p, problems)
        oid = item.get("id")
        tekst = text_field(item.get("tekst"), where, (*p, "tekst"), problems)
        if not isinstance(oid, str) or not SLUG.match(oid):
            problems.append(
                where.problem((*p, "id"), f"must be a short id of lowercase letters/digits like 'a', got {oid!r}")
            )
        elif oid in (o for o, _ in out):
            problems.append(where.problem((*p, "id"), f"'{oid}' is used twice"))
        elif tekst is not None:
            for k, (other_id, other) in enumerate(out):
                if difflib.SequenceMatcher(None, _norm(other), _norm(tekst)).ratio() >= SIMILAR:
                    problems.append(
                        where.problem(
                            (*p, "tekst"),
                            f"is nearly the same as option '{other_id}' (valg[{k + 1}]); make the options differ",
                        )
                    )
                    break
            out.append((oid, tekst))
    return tuple(out) if len(problems) == before else None


def _faggrupper(raw, where: Where, path: tuple, problems: list[Problem]) -> tuple[str, ...]:
    if raw is None:
        return ()
    known = faggruppe_keys()
    if not isinstance(raw, list):
        problems.append(
            where.problem(path, f"must be a list of faggruppe keys, e.g. [dagtilbud] (known: {', '.join(known)})")
        )
        return ()
    out: list[str] = []
    for j, key in enumerate(raw):
        if not isinstance(key, str) or key not in known:
            problems.append(where.problem((*path, j), f"unknown faggruppe {key!r}; use one of {', '.join(known)}"))
        elif key in out:
            problems.append(where.problem((*path, j), f"'{key}' is listed twice"))
        else:
            out.append(key)
    return tuple(out)


def _item(raw, module_id: str, where: Where, path: tuple, problems: list[Problem]) -> PracticeItem | None:
    if not isinstance(raw, dict):
        problems.append(
            where.problem(
                path, "each item must be a mapping with id, situation, spoergsmaal, valg, korrekt, forklaring"
            )
        )
        return None
    before = len(problems)
    unknown_fields(raw, ITEM_KEYS, where, path, problems)
    for key in REQUIRED_ITEM_KEYS:
        if key not in raw:
            problems.append(where.problem(path, f"missing field '{key}'"))
    iid = raw.get("id")
    if "id" in raw and (not isinstance(iid, str) or not SLUG.match(iid)):
        problems.append(
            where.problem((*path, "id"), f"must be a short id of lowercase letters, digits and '-', got {iid!r}")
        )
    fag = _faggrupper(raw.get("faggrupper"), where, (*path, "faggrupper"), problems)
    texts = {
        key: text_field(raw.get(key), where, (*path, key), problems)
        for key in ("situation", "spoergsmaal", "forklaring")
        if key in raw
    }
    valg = _options(raw["valg"], where, (*path, "valg"), problems) if "valg" in raw else None
    korrekt = raw.get("korrekt")
    if "korrekt" in raw:
        if isinstance(korrekt, list):
            problems.append(where.problem((*path, "korrekt"), "must be one option id, e.g. b (not a list)"))
        elif not isinstance(korrekt, str):
            problems.append(where.problem((*path, "korrekt"), f"must be one option id, e.g. b, got {korrekt!r}"))
        elif valg is not None and korrekt not in (o for o, _ in valg):
            problems.append(
                where.problem(
                    (*path, "korrekt"), f"'{korrekt}' is not one of the options ({', '.join(o for o, _ in valg)})"
                )
            )
    if len(problems) > before:
        return None
    return PracticeItem(
        id=iid,
        modul=module_id,
        faggrupper=fag,
        situation=texts["situation"],
        spoergsmaal=texts["spoergsmaal"],
        valg=valg,
        korrekt=korrekt,
        forklaring=texts["forklaring"],
    )


def load_pool_file(path: str | Path, module_id: str) -> list[PracticeItem]:
    """Every item of one pool file, whose folder is module ``module_id``'s; :class:`ContentError` listing every
    problem (nothing is returned from a file with a problem)."""
    data, where = load_yaml(path)
    problems: list[Problem] = []
    module_file_head(data, where, TOP_KEYS, module_id, problems, "modul and items")
    raw_items = data.get("items")
    items: list[PracticeItem] = []
    if "items" in data and (not isinstance(raw_items, list) or not raw_items):
        problems.append(where.problem(("items",), "must be a non-empty list of items"))
    elif isinstance(raw_items, list):
        seen: dict[str, int] = {}
        for i, raw in enumerate(raw_items):
            item = _item(raw, module_id, where, ("items", i), problems)
            if item is None:
                continue
            if item.id in seen:
                problems.append(
                    where.problem(("items", i, "id"), f"id '{item.id}' is used twice (first in items[{seen[item.id]}])")
                )
                continue
            seen[item.id] = i + 1
            items.append(item)
    if problems:
        raise ContentError(problems)
    return items


def load_pool(module_id: str, content_dir: str | Path) -> list[PracticeItem]:
    """The refresher pool of a module, in the file's order.

    ``content_dir``: the content root (``settings.content_dir``). ``KeyError`` for an
    unknown module id; :class:`ContentError` (every problem, ``file:line: field: message``) for a missing or
    invalid file. Never a partial list.
    """
    module(module_id)  # KeyError naming the known ids
    return load_pool_file(pool_file(module_id, content_dir), module_id)


def _test_questions(module_id: str, root: Path) -> dict[str, tuple[str, tuple]]:
    """Normalised ids and texts of the module's test and temadag questions -> (file, path) for messages."""
    out: dict[str, tuple[str, tuple]] = {}
    for path in (exercise_file(module_id, root), temadag_file(module_id, root)):
        try:
            data, _ = load_yaml(path)
        except ContentError:  # their own checks report a missing or broken file
            continue
        questions = data.get("spoergsmaal") if isinstance(data, dict) else None
        for q in questions if isinstance(questions, list) else ():
            if not isinstance(q, dict):
                continue
            for key in ("id", "case", "tekst"):
                value = q.get(key)
                if isinstance(value, str) and value.strip():
                    out.setdefault(("id:" if key == "id" else "text:") + _norm(value), (path.name, q.get("id")))
    return out


def _overlap(module_id: str, items: list[PracticeItem], root: Path) -> list[Problem]:
    """An item whose id or situation repeats a question of the module's test or temadag."""
    taken = _test_questions(module_id, root)
    if not taken:
        return []
    path = pool_file(module_id, root)
    _, where = load_yaml(path)  # for line numbers; a valid file's items are in the file's order
    problems = []
    for i, item in enumerate(items):
        for field, key in (("id", "id:" + _norm(item.id)), ("situation", "text:" + _norm(item.situation))):
            if key in taken:
                name, qid = taken[key]
                problems.append(
                    where.problem(
                        ("items", i, field),
                        f"repeats question '{qid}' of {name}; the refresher pool must have its own items",
                    )
                )
    return problems


def check(root: str | Path) -> tuple[list[str], list[Problem]]:
    """Validate every module's ``data/genopfrisk.yml`` under the content root: (OK lines, problems). A missing
    file is a problem."""
    root = Path(root)
    ok: list[str] = []
    problems: list[Problem] = []
    for module_id in module_ids():
        path = pool_file(module_id, root)
        if not path.is_file():
            problems.append(
                Problem(display_path(path), None, "", "missing: every module has a refresher pool (genopfrisk.yml)")
            )
            continue
        try:
            items = load_pool_file(path, module_id)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        found = _overlap(module_id, items, root)
        problems.extend(found)
        if not found:
            ok.append(f"{display_path(path)}: {len(items)} refresher items")
    return ok, problems


def pool_problems(content_dir: str | Path) -> list[str]:
    """Every problem of every module's pool as ``file:line: field: message`` lines; [] when all is well."""
    return [str(p) for p in check(content_dir)[1]]
