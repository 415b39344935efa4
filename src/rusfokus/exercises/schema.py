"""Load and validate exercise data files (``exercises/opgaver/<opgave>.yml``).

The format is described for content people in ``exercises/opgaver/SCHEMA.md``.
Every problem raises :class:`ExerciseError` with a message naming the file,
the question and the field, in English (it is read by an operator).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rusfokus.yamlutil import DataFileError, load_yaml_text

MODULE_IDS = ("opsporing", "bekymringssamtale", "motiverende-samtale", "dobbeltdiagnose")
QUESTION_TYPES = ("enkeltvalg", "flervalg", "case", "refleksion")
AUTO_TYPES = ("enkeltvalg", "flervalg", "case")
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
MAX_TEGN_DEFAULT = 1500
MAX_TEGN_LIMIT = 5000

TOP_KEYS = {"id", "titel", "modul", "bestaa_pct", "intro", "spoergsmaal"}
QUESTION_KEYS = {"id", "type", "tekst", "case", "valg", "korrekt", "point", "forklaring", "max_tegn"}
OPTION_KEYS = {"id", "tekst"}
# control characters other than tab and newline are never allowed in texts
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ExerciseError(DataFileError):
    """A data file is malformed; the message names file, question and field."""


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


def _where(fname: str, qid: str | None, fld: str | None) -> str:
    parts = [fname]
    if qid is not None:
        parts.append(f"question '{qid}'")
    if fld is not None:
        parts.append(f"field '{fld}'")
    return ": ".join(parts)


def _text(value, fname, qid, fld, *, required=True) -> str | None:
    if value is None:
        if required:
            raise ExerciseError(f"{_where(fname, qid, fld)}: is missing (write a Danish text)")
        return None
    if not isinstance(value, str):
        raise ExerciseError(
            f"{_where(fname, qid, fld)}: must be text, got {type(value).__name__} "
            "(put the text in quotes if it starts with a number, yes/no or a colon)"
        )
    if not value.strip():
        raise ExerciseError(f"{_where(fname, qid, fld)}: is empty")
    if _CONTROL.search(value):
        raise ExerciseError(f"{_where(fname, qid, fld)}: contains a control character")
    return value.strip()


def _unknown_keys(data: dict, allowed: set, fname, qid, what) -> None:
    extra = sorted(str(k) for k in data if k not in allowed)
    if extra:
        raise ExerciseError(
            f"{_where(fname, qid, extra[0])}: unknown field in {what} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def _int(value, fname, qid, fld, lo, hi) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExerciseError(f"{_where(fname, qid, fld)}: must be a whole number, got {value!r}")
    if not lo <= value <= hi:
        raise ExerciseError(f"{_where(fname, qid, fld)}: must be between {lo} and {hi}, got {value}")
    return value


def _options(raw, fname, qid) -> tuple[Option, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise ExerciseError(f"{_where(fname, qid, 'valg')}: must be a list of at least 2 options")
    seen: set[str] = set()
    out = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise ExerciseError(f"{_where(fname, qid, f'valg[{i}]')}: must have 'id' and 'tekst'")
        _unknown_keys(item, OPTION_KEYS, fname, qid, f"option {i}")
        oid = item.get("id")
        if not isinstance(oid, str) or not SLUG.match(oid):
            raise ExerciseError(
                f"{_where(fname, qid, f'valg[{i}].id')}: must be a short id of lowercase "
                f"letters/digits like 'a' or 'ti-genstande', got {oid!r}"
            )
        if oid in seen:
            raise ExerciseError(f"{_where(fname, qid, f'valg[{i}].id')}: '{oid}' is used twice")
        seen.add(oid)
        out.append(Option(oid, _text(item.get("tekst"), fname, qid, f"valg[{i}].tekst")))
    return tuple(out)


def _korrekt(raw, qtype, options, fname, qid) -> tuple[str, ...]:
    if raw is None:
        raise ExerciseError(f"{_where(fname, qid, 'korrekt')}: is missing (the correct option id)")
    if qtype == "enkeltvalg" and not isinstance(raw, str):
        raise ExerciseError(f"{_where(fname, qid, 'korrekt')}: must be one option id for enkeltvalg")
    if qtype == "flervalg" and not isinstance(raw, list):
        raise ExerciseError(f"{_where(fname, qid, 'korrekt')}: must be a list of option ids for flervalg")
    ids = [raw] if isinstance(raw, str) else raw
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ExerciseError(f"{_where(fname, qid, 'korrekt')}: must be an option id or a list of option ids")
    known = {o.id for o in options}
    for oid in ids:
        if oid not in known:
            raise ExerciseError(
                f"{_where(fname, qid, 'korrekt')}: '{oid}' is not one of the options "
                f"({', '.join(o.id for o in options)})"
            )
    if len(set(ids)) != len(ids):
        raise ExerciseError(f"{_where(fname, qid, 'korrekt')}: an option id is listed twice")
    return tuple(ids)


def _question(raw, index: int, fname: str) -> Question:
    if not isinstance(raw, dict):
        raise ExerciseError(f"{_where(fname, f'#{index}', None)}: must be a mapping with id, type, tekst …")
    qid = raw.get("id")
    if not isinstance(qid, str) or not SLUG.match(qid):
        raise ExerciseError(
            f"{_where(fname, f'#{index}', 'id')}: must be a short id of lowercase letters, digits "
            f"and '-' starting with a letter, got {qid!r}"
        )
    _unknown_keys(raw, QUESTION_KEYS, fname, qid, "a question")
    qtype = raw.get("type")
    if qtype not in QUESTION_TYPES:
        raise ExerciseError(f"{_where(fname, qid, 'type')}: must be one of {', '.join(QUESTION_TYPES)}, got {qtype!r}")
    tekst = _text(raw.get("tekst"), fname, qid, "tekst")
    forklaring = _text(raw.get("forklaring"), fname, qid, "forklaring")
    point = _int(raw.get("point", 1), fname, qid, "point", 1, 100)
    case = _text(raw.get("case"), fname, qid, "case", required=qtype == "case")
    if case is not None and qtype != "case":
        raise ExerciseError(f"{_where(fname, qid, 'case')}: only questions of type case have a case text")
    if qtype == "refleksion":
        for fld in ("valg", "korrekt"):
            if fld in raw:
                raise ExerciseError(f"{_where(fname, qid, fld)}: a refleksion has no options or correct answer")
        max_tegn = _int(raw.get("max_tegn", MAX_TEGN_DEFAULT), fname, qid, "max_tegn", 50, MAX_TEGN_LIMIT)
        return Question(qid, qtype, tekst, point, forklaring, max_tegn=max_tegn)
    if "max_tegn" in raw:
        raise ExerciseError(f"{_where(fname, qid, 'max_tegn')}: only a refleksion has max_tegn")
    options = _options(raw.get("valg"), fname, qid)
    korrekt = _korrekt(raw.get("korrekt"), qtype, options, fname, qid)
    multi = qtype == "flervalg" or (qtype == "case" and isinstance(raw.get("korrekt"), list))
    return Question(qid, qtype, tekst, point, forklaring, case=case, valg=options, korrekt=korrekt, multi=multi)


def parse_exercise(data, fname: str = "<exercise>", expected_id: str | None = None) -> Exercise:
    """Validate already-parsed YAML data and return an :class:`Exercise`."""
    if not isinstance(data, dict):
        raise ExerciseError(f"{fname}: the file must be a mapping with id, titel, modul, bestaa_pct, spoergsmaal")
    _unknown_keys(data, TOP_KEYS, fname, None, "the exercise")
    eid = data.get("id")
    if not isinstance(eid, str) or not SLUG.match(eid):
        raise ExerciseError(f"{_where(fname, None, 'id')}: must be a short id like 'opsporing', got {eid!r}")
    if expected_id is not None and eid != expected_id:
        raise ExerciseError(f"{_where(fname, None, 'id')}: is '{eid}' but the file name says '{expected_id}'")
    titel = _text(data.get("titel"), fname, None, "titel")
    modul = data.get("modul")
    if modul not in MODULE_IDS:
        raise ExerciseError(f"{_where(fname, None, 'modul')}: must be one of {', '.join(MODULE_IDS)}, got {modul!r}")
    pct = data.get("bestaa_pct")
    if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0 < pct <= 100:
        raise ExerciseError(f"{_where(fname, None, 'bestaa_pct')}: must be a number above 0 and at most 100, got {pct!r}")
    intro = _text(data.get("intro"), fname, None, "intro", required=False) or ""
    raw_qs = data.get("spoergsmaal")
    if not isinstance(raw_qs, list) or not raw_qs:
        raise ExerciseError(f"{_where(fname, None, 'spoergsmaal')}: must be a non-empty list of questions")
    questions = [_question(raw, i, fname) for i, raw in enumerate(raw_qs, 1)]
    seen: dict[str, str] = {}
    for q in questions:
        if q.var in seen:
            raise ExerciseError(f"{_where(fname, q.id, 'id')}: clashes with question '{seen[q.var]}' (ids must be unique)")
        seen[q.var] = q.id
    if not any(q.auto for q in questions):
        raise ExerciseError(f"{_where(fname, None, 'spoergsmaal')}: needs at least one question that is scored automatically")
    return Exercise(eid, titel, modul, float(pct), tuple(questions), intro)


def load_exercise(path: str | Path) -> Exercise:
    """Read and validate one data file; raise :class:`ExerciseError` on any problem."""
    path = Path(path)
    fname = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExerciseError(f"{fname}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ExerciseError(f"{fname}: is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data, _ = load_yaml_text(text, fname)  # the alias limit against "billion laughs" files
    except DataFileError as exc:
        raise ExerciseError(str(exc).replace("invalid YAML", "not valid YAML")) from None
    ex = parse_exercise(data, fname, expected_id=path.stem)
    return Exercise(ex.id, ex.titel, ex.modul, ex.bestaa_pct, ex.spoergsmaal, ex.intro, path)


def load_all(opgaver_dir: str | Path) -> dict[str, Exercise]:
    """Load every ``*.yml`` in a folder, keyed by exercise id."""
    return {p.stem: load_exercise(p) for p in sorted(Path(opgaver_dir).glob("*.yml"))}


def answer_sheet(ex: Exercise, correct: bool = True,
                 reflection: str = "Jeg taler med min nøgleperson og skriver ned, hvad jeg ser.") -> dict:
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
