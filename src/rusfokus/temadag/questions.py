"""Live question sets: one ``data/temadag.yml`` per module folder under the content root.

Content people edit these files; every problem is reported as
``file:line: field: message`` (see :mod:`rusfokus.content.loader`), all of a
file's problems at once. The multiple-choice format is the exercises' one:
``valg: [{id, tekst}]`` and ``korrekt: [ids]`` (``[]`` for an opinion question).
"""

from __future__ import annotations

import re
from pathlib import Path

from rusfokus.content import temadag_file
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
from rusfokus.content.registry import module_ids, module_titles
from rusfokus.temadag.live import LiveQuestion

MODULES = module_titles()
"""Module id → Danish title, from the module registry."""

TOP_KEYS = {"modul", "titel", "spoergsmaal"}
QUESTION_KEYS = {"id", "case", "tekst", "valg", "korrekt", "forklaring"}
OPTION_KEYS = {"id", "tekst"}
OLD_KEYS = {"svar": "valg", "rigtige": "korrekt", "spoergsmaal": "tekst"}
MIN_OPTIONS, MAX_OPTIONS = 2, 6
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


def _options(raw, where: Where, path: tuple, problems: list[Problem]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(raw, list) or not MIN_OPTIONS <= len(raw) <= MAX_OPTIONS:
        problems.append(
            where.problem(
                path,
                f'must be a list of {MIN_OPTIONS} to {MAX_OPTIONS} options, each {{id: a, tekst: "..."}}',
            )
        )
        return (), ()
    ids, texts = [], []
    for j, item in enumerate(raw):
        p = (*path, j)
        if not isinstance(item, dict):
            problems.append(where.problem(p, 'each option must be {id: a, tekst: "..."}'))
            continue
        unknown_fields(item, OPTION_KEYS, where, p, problems)
        oid = item.get("id")
        if not isinstance(oid, str) or not SLUG.match(oid):
            problems.append(
                where.problem(
                    (*p, "id"),
                    f"must be a short id of lowercase letters/digits like 'a', got {oid!r}",
                )
            )
        elif oid in ids:
            problems.append(where.problem((*p, "id"), f"'{oid}' is used twice"))
        else:
            text = text_field(item.get("tekst"), where, (*p, "tekst"), problems)
            if text is not None:
                ids.append(oid)
                texts.append(text)
    return tuple(ids), tuple(texts)


def _question(item, where: Where, path: tuple, problems: list[Problem]) -> LiveQuestion | None:
    if not isinstance(item, dict):
        problems.append(
            where.problem(
                path,
                "each question must be a mapping with id, case, tekst, valg, korrekt, forklaring",
            )
        )
        return None
    before = len(problems)
    for old in (k for k in item if k in OLD_KEYS):  # in the file's order
        problems.append(
            where.problem(
                (*path, old),
                f"old format: write '{OLD_KEYS[old]}' instead of '{old}' "
                "(valg: [{id, tekst}], korrekt: [ids]; see modules/README.md)",
            )
        )
    unknown_fields({k: v for k, v in item.items() if k not in OLD_KEYS}, QUESTION_KEYS, where, path, problems)
    old_for = {new: old for old, new in OLD_KEYS.items()}
    for key in ("id", "tekst", "valg", "korrekt", "forklaring"):
        if key not in item and old_for.get(key) not in item:
            problems.append(where.problem(path, f"missing field '{key}'"))
    qid = item.get("id")
    if not isinstance(qid, str) or not SLUG.match(qid):
        problems.append(
            where.problem(
                (*path, "id"),
                f"must be a short id of lowercase letters, digits and '-', got {qid!r}",
            )
        )
    case = text_field(item.get("case"), where, (*path, "case"), problems, allow_empty=True)
    tekst = text_field(item.get("tekst"), where, (*path, "tekst"), problems) if "tekst" in item else None
    forklaring = (
        text_field(item.get("forklaring"), where, (*path, "forklaring"), problems) if "forklaring" in item else None
    )
    ids, texts = _options(item["valg"], where, (*path, "valg"), problems) if "valg" in item else ((), ())
    correct: tuple[int, ...] = ()
    if "korrekt" in item:
        raw = item["korrekt"]
        if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
            problems.append(
                where.problem(
                    (*path, "korrekt"),
                    "must be a list of option ids, e.g. [b] ([] for an opinion question)",
                )
            )
        elif ids:
            wrong = [c for c in raw if c not in ids]
            if wrong:
                problems.append(
                    where.problem(
                        (*path, "korrekt"),
                        f"'{wrong[0]}' is not one of the options ({', '.join(ids)})",
                    )
                )
            elif len(set(raw)) != len(raw):
                problems.append(where.problem((*path, "korrekt"), "an option id is listed twice"))
            else:
                correct = tuple(ids.index(c) for c in raw)
    if len(problems) > before:
        return None
    return LiveQuestion(
        id=qid,
        case=case or "",
        question=tekst,
        options=texts,
        correct=correct,
        explanation=forklaring,
        option_ids=ids,
    )


def load_question_set(path: str | Path, module_id: str | None = None) -> tuple[str, str, list[LiveQuestion]]:
    """(module id, title, questions) from one file; :class:`ContentError` listing every problem.

    ``module_id``: the module whose folder the file is in (``modul`` must name it).
    """
    data, where = load_yaml(path)
    problems: list[Problem] = []
    module = module_file_head(data, where, TOP_KEYS, module_id, problems, "modul, titel and spoergsmaal")
    title = text_field(data.get("titel"), where, ("titel",), problems) if "titel" in data else ""
    items = data.get("spoergsmaal")
    questions: list[LiveQuestion] = []
    if "spoergsmaal" in data and (not isinstance(items, list) or not items):
        problems.append(where.problem(("spoergsmaal",), "must be a non-empty list of questions"))
    elif isinstance(items, list):
        seen: set[str] = set()
        for i, item in enumerate(items):
            q = _question(item, where, ("spoergsmaal", i), problems)
            if q is None:
                continue
            if q.id in seen:
                problems.append(where.problem(("spoergsmaal", i, "id"), f"id '{q.id}' is used twice"))
            seen.add(q.id)
            questions.append(q)
    if problems:
        raise ContentError(problems)
    return module, title, questions


def questions_for(modules: list[str], root: str | Path) -> list[LiveQuestion]:
    """All live questions for a temadag's modules, in module order; ids prefixed by module.

    ``root``: the content root (``settings.content_dir``).
    """
    root = Path(root)
    out = []
    for module in modules:
        path = temadag_file(module, root)
        if not path.is_file():
            raise ContentError(Problem(display_path(path), None, "", f"no live questions for module '{module}'"))
        _, _, qs = load_question_set(path, module)
        for q in qs:
            out.append(
                LiveQuestion(
                    f"{module}.{q.id}",
                    q.case,
                    q.question,
                    q.options,
                    q.correct,
                    q.explanation,
                    q.option_ids,
                )
            )
    return out


def check(root: str | Path) -> tuple[list[str], list[Problem]]:
    """Validate every module's ``data/temadag.yml`` under the content root: (OK lines, problems). A missing
    file is a problem."""
    root = Path(root)
    ok, problems = [], []
    for module in module_ids():
        path = temadag_file(module, root)
        if not path.is_file():
            problems.append(Problem(display_path(path), None, "", "missing: every module has temadag questions"))
            continue
        try:
            _, _, qs = load_question_set(path, module)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        ok.append(f"{display_path(path)}: {len(qs)} temadag questions")
    return ok, problems
