"""Load and validate exercise data files (``modules/NN-<id>/data/opgave.yml``).

The format is described for content people in ``modules/README.md``. Every
problem is reported as ``file:line: field: message`` (English, for an
operator) through :mod:`rusfokus.content.loader`; :class:`ExerciseError`
lists all problems of a file (each question's first one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rusfokus.content import exercise_file
from rusfokus.content.loader import (
    ContentError,
    Problem,
    Where,
    display_path,
    load_yaml,
    text_field,
    unknown_fields,
)
from rusfokus.content.registry import is_module, module_ids, modules

QUESTION_TYPES = ("enkeltvalg", "flervalg", "case", "refleksion")
AUTO_TYPES = ("enkeltvalg", "flervalg", "case")
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
MAX_TEGN_DEFAULT = 1500
MAX_TEGN_LIMIT = 5000

TOP_KEYS = {"id", "titel", "modul", "bestaa_pct", "intro", "spoergsmaal"}
QUESTION_KEYS = {
    "id",
    "type",
    "tekst",
    "case",
    "valg",
    "korrekt",
    "point",
    "forklaring",
    "max_tegn",
}
OPTION_KEYS = {"id", "tekst"}


class ExerciseError(ContentError):
    """An exercise file is malformed (``problems`` lists every one), or an exercise id is unknown."""


@dataclass(frozen=True)
class Option:
    id: str
    tekst: str


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    tekst: str
    point: int
    forklaring: str
    case: str | None = None
    valg: tuple[Option, ...] = ()
    korrekt: tuple[str, ...] = ()
    max_tegn: int | None = None
    multi: bool = False  # more than one option may be ticked (set from korrekt when loading)

    @property
    def auto(self) -> bool:
        """True when nbgrader scores the question automatically."""
        return self.type in AUTO_TYPES

    @property
    def multiple(self) -> bool:
        """True when the learner may tick more than one option."""
        return self.multi

    @property
    def var(self) -> str:
        """Python name of the answer in the submission notebook."""
        return "svar_" + self.id.replace("-", "_")

    @property
    def grade_id(self) -> str:
        """nbgrader id of the hidden test cell that checks this question."""
        return "tjek_" + self.id.replace("-", "_")

    @property
    def answer_id(self) -> str:
        """nbgrader id of the answer cell."""
        return self.var

    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.valg)


@dataclass(frozen=True)
class Exercise:
    id: str
    titel: str
    modul: str
    bestaa_pct: float
    spoergsmaal: tuple[Question, ...]
    intro: str = ""
    path: Path | None = field(default=None, compare=False)

    @property
    def auto_points(self) -> int:
        return sum(q.point for q in self.spoergsmaal if q.auto)

    @property
    def manual_points(self) -> int:
        return sum(q.point for q in self.spoergsmaal if not q.auto)

    def question(self, qid: str) -> Question:
        for q in self.spoergsmaal:
            if q.id == qid:
                return q
        raise KeyError(qid)


class _Bad(Exception):
    """Stops checking one question after its first problem (already recorded)."""


def _add(problems: list[Problem], where: Where, path: tuple, message: str):
    problems.append(where.problem(path, message))
    raise _Bad


def _text(value, where, path, problems, *, required=True) -> str | None:
    before = len(problems)
    out = text_field(value, where, path, problems, required=required)
    if len(problems) > before:
        raise _Bad
    return out


def _int(value, where, path, problems, lo, hi) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _add(problems, where, path, f"must be a whole number, got {value!r}")
    if not lo <= value <= hi:
        _add(problems, where, path, f"must be between {lo} and {hi}, got {value}")
    return value


def _options(raw, where, path, problems) -> tuple[Option, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        _add(
            problems,
            where,
            path,
            'must be a list of at least 2 options, each {id: a, tekst: "..."}',
        )
    seen: set[str] = set()
    out = []
    for i, item in enumerate(raw):
        p = (*path, i)
        if not isinstance(item, dict):
            _add(problems, where, p, "must have 'id' and 'tekst'")
        before = len(problems)
        unknown_fields(item, OPTION_KEYS, where, p, problems)
        if len(problems) > before:
            raise _Bad
        oid = item.get("id")
        if not isinstance(oid, str) or not SLUG.match(oid):
            _add(
                problems,
                where,
                (*p, "id"),
                f"must be a short id of lowercase letters/digits like 'a' or 'ti-genstande', got {oid!r}",
            )
        if oid in seen:
            _add(problems, where, (*p, "id"), f"'{oid}' is used twice")
        seen.add(oid)
        out.append(Option(oid, _text(item.get("tekst"), where, (*p, "tekst"), problems)))
    return tuple(out)


def _korrekt(raw, qtype, options, where, path, problems) -> tuple[str, ...]:
    if raw is None:
        _add(problems, where, path, "is missing (the correct option id)")
    if qtype == "enkeltvalg" and not isinstance(raw, str):
        _add(problems, where, path, "must be one option id for enkeltvalg")
    if qtype == "flervalg" and not isinstance(raw, list):
        _add(problems, where, path, "must be a list of option ids for flervalg")
    ids = [raw] if isinstance(raw, str) else raw
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        _add(problems, where, path, "must be an option id or a list of option ids")
    known = [o.id for o in options]
    for oid in ids:
        if oid not in known:
            _add(problems, where, path, f"'{oid}' is not one of the options ({', '.join(known)})")
    if len(set(ids)) != len(ids):
        _add(problems, where, path, "an option id is listed twice")
    return tuple(ids)


def _question(raw, index: int, where: Where, problems: list[Problem]) -> Question:
    path = ("spoergsmaal", index)
    if not isinstance(raw, dict):
        _add(problems, where, path, "must be a mapping with id, type, tekst …")
    qid = raw.get("id")
    if not isinstance(qid, str) or not SLUG.match(qid):
        _add(
            problems,
            where,
            (*path, "id"),
            f"must be a short id of lowercase letters, digits and '-' starting with a letter, got {qid!r}",
        )
    before = len(problems)
    unknown_fields(raw, QUESTION_KEYS, where, path, problems)
    if len(problems) > before:
        raise _Bad
    qtype = raw.get("type")
    if qtype not in QUESTION_TYPES:
        _add(
            problems,
            where,
            (*path, "type"),
            f"must be one of {', '.join(QUESTION_TYPES)}, got {qtype!r}",
        )
    tekst = _text(raw.get("tekst"), where, (*path, "tekst"), problems)
    forklaring = _text(raw.get("forklaring"), where, (*path, "forklaring"), problems)
    point = _int(raw.get("point", 1), where, (*path, "point"), problems, 1, 100)
    case = _text(raw.get("case"), where, (*path, "case"), problems, required=qtype == "case")
    if case is not None and qtype != "case":
        _add(problems, where, (*path, "case"), "only questions of type case have a case text")
    if qtype == "refleksion":
        for fld in ("valg", "korrekt"):
            if fld in raw:
                _add(problems, where, (*path, fld), "a refleksion has no options or correct answer")
        max_tegn = _int(
            raw.get("max_tegn", MAX_TEGN_DEFAULT),
            where,
            (*path, "max_tegn"),
            problems,
            50,
            MAX_TEGN_LIMIT,
        )
        return Question(qid, qtype, tekst, point, forklaring, max_tegn=max_tegn)
    if "max_tegn" in raw:
        _add(problems, where, (*path, "max_tegn"), "only a refleksion has max_tegn")
    options = _options(raw.get("valg"), where, (*path, "valg"), problems)
    korrekt = _korrekt(raw.get("korrekt"), qtype, options, where, (*path, "korrekt"), problems)
    multi = qtype == "flervalg" or (qtype == "case" and isinstance(raw.get("korrekt"), list))
    return Question(qid, qtype, tekst, point, forklaring, case=case, valg=options, korrekt=korrekt, multi=multi)


def _top(data, where: Where, problems: list[Problem], expected_id: str | None, module_id: str | None):
    """The top-level fields; a problem in one is recorded and the others are still checked."""
    values = {}
    for key, check in (
        (
            "id",
            lambda v: (
                None if isinstance(v, str) and SLUG.match(v) else f"must be a short id like 'opsporing', got {v!r}"
            ),
        ),
        (
            "modul",
            lambda v: None if is_module(v) else f"must be one of {', '.join(module_ids())}, got {v!r}",
        ),
        (
            "bestaa_pct",
            lambda v: (
                None
                if not isinstance(v, bool) and isinstance(v, int | float) and 0 < v <= 100
                else f"must be a number above 0 and at most 100, got {v!r}"
            ),
        ),
    ):
        message = check(data.get(key))
        if message:
            problems.append(where.problem((key,), message))
        else:
            values[key] = data[key]
    if "id" in values and expected_id is not None and values["id"] != expected_id:
        problems.append(
            where.problem(
                ("id",),
                f"is '{values['id']}' but the file belongs to module '{expected_id}' "
                "(the exercise id is the module id)",
            )
        )
    if module_id is not None and values.get("modul", module_id) != module_id:
        problems.append(
            where.problem(
                ("modul",),
                f"is '{values['modul']}' but the file is in the folder of module '{module_id}'",
            )
        )
    values["titel"] = text_field(data.get("titel"), where, ("titel",), problems)
    values["intro"] = text_field(data.get("intro"), where, ("intro",), problems, required=False) or ""
    return values


def parse_exercise(
    data,
    where: Where | str = "<exercise>",
    expected_id: str | None = None,
    module_id: str | None = None,
) -> Exercise:
    """Validate already-parsed YAML data and return an :class:`Exercise`; :class:`ExerciseError` lists every problem.

    ``where``: the :class:`Where` from :func:`rusfokus.content.loader.load_yaml` (for line numbers), or a file name.
    """
    if not isinstance(where, Where):
        where = Where(Path(where), {})
    if not isinstance(data, dict):
        raise ExerciseError(
            where.error((), "the file must be a mapping with id, titel, modul, bestaa_pct, spoergsmaal").problems
        )
    problems: list[Problem] = []
    unknown_fields(data, TOP_KEYS, where, (), problems)
    top = _top(data, where, problems, expected_id, module_id)
    raw_qs = data.get("spoergsmaal")
    questions: list[Question] = []
    if not isinstance(raw_qs, list) or not raw_qs:
        problems.append(where.problem(("spoergsmaal",), "must be a non-empty list of questions"))
    else:
        seen: dict[str, str] = {}
        for i, raw in enumerate(raw_qs):
            try:
                q = _question(raw, i, where, problems)
            except _Bad:
                continue
            if q.var in seen:
                problems.append(
                    where.problem(
                        ("spoergsmaal", i, "id"),
                        f"clashes with question '{seen[q.var]}' (ids must be unique)",
                    )
                )
                continue
            seen[q.var] = q.id
            questions.append(q)
        if questions and len(questions) == len(raw_qs) and not any(q.auto for q in questions):
            problems.append(where.problem(("spoergsmaal",), "needs at least one question that is scored automatically"))
    if problems:
        raise ExerciseError(problems)
    return Exercise(
        top["id"],
        top["titel"],
        top["modul"],
        float(top["bestaa_pct"]),
        tuple(questions),
        top["intro"],
    )


def _module_of(path: Path) -> str | None:
    """The module whose folder holds ``.../<NN-id>/data/opgave.yml``, else None."""
    folder = path.resolve().parent.parent.name if path.parent.name == "data" else None
    return next((m.id for m in modules() if m.folder == folder), None)


def load_exercise(path: str | Path) -> Exercise:
    """Read and validate one exercise file; :class:`ExerciseError` listing every problem.

    In a module folder (``<NN-id>/data/opgave.yml``) the exercise id must be the module id;
    any other file (a test's ``brudt.yml``) must have its own name as id.
    """
    path = Path(path)
    try:
        data, where = load_yaml(path)  # the alias limit against "billion laughs" files
    except ContentError as exc:
        raise ExerciseError(exc.problems) from None
    module_id = _module_of(path)
    expected = module_id or (path.stem if path.stem != "opgave" else None)
    ex = parse_exercise(data, where, expected_id=expected, module_id=module_id)
    return Exercise(ex.id, ex.titel, ex.modul, ex.bestaa_pct, ex.spoergsmaal, ex.intro, path)


def exercise(opgave: str, root: str | Path) -> Exercise:
    """The exercise of a module (exercise id = module id) from the content root ``root``
    (``settings.content_dir``)."""
    if not is_module(opgave):
        raise ExerciseError(f"'{opgave}' is not an exercise (known: {', '.join(module_ids())})")
    return load_exercise(exercise_file(opgave, root))


def load_all(root: str | Path) -> dict[str, Exercise]:
    """Every module's exercise under the content root that has a file, keyed by exercise id, in module order."""
    root = Path(root)
    return {m: load_exercise(exercise_file(m, root)) for m in module_ids() if exercise_file(m, root).is_file()}


def check(root: str | Path) -> tuple[list[str], list[Problem]]:
    """Validate every module's ``data/opgave.yml`` under the content root: (OK lines, problems). A missing file
    is a problem."""
    root = Path(root)
    ok, problems = [], []
    for m in module_ids():
        path = exercise_file(m, root)
        if not path.is_file():
            problems.append(Problem(display_path(path), None, "", "missing: every module has a scored exercise"))
            continue
        try:
            ex = load_exercise(path)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        ok.append(
            f"{display_path(path)}: exercise '{ex.id}', {len(ex.spoergsmaal)} questions, "
            f"{ex.auto_points} auto + {ex.manual_points} manual points"
        )
    return ok, problems


def answer_sheet(
    ex: Exercise,
    correct: bool = True,
    reflection: str = "Jeg taler med min nøgleperson og skriver ned, hvad jeg ser.",
) -> dict:
    """A complete hand-in built from the answer key: all right, or all wrong.

    For tests, benchmarks and operators checking a new exercise end to end;
    it reads the key, so it belongs on the server side only.
    """
    out: dict = {}
    for q in ex.spoergsmaal:
        if q.type == "refleksion":
            out[q.id] = reflection
        elif correct:
            out[q.id] = list(q.korrekt) if q.multiple else q.korrekt[0]
        else:
            wrong = [o.id for o in q.valg if o.id not in q.korrekt]
            out[q.id] = wrong[:1] if q.multiple else wrong[0]
    return out
