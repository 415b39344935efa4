"""Attempts on disk: every hand-in is saved (and marked pending) before grading.

Layout inside the course folder::

    attempts/<student>/<opgave>/<stamp>.ipynb        the submission notebook
    attempts/<student>/<opgave>/<stamp>.pending.json  present until graded (or given up);
                                                      counts failed gradings
    attempts/<student>/<opgave>/<stamp>.result.json   score, pass, per question
    attempts/<student>/<opgave>/<stamp>.failed.json   grading failed too often: the reason
    attempts/<student>/<opgave>/kladde.json           the learner's draft answers (restored when the
                                                      app opens; never read by grading)
    submitted/<student>/<opgave>/<opgave>.ipynb       nbgrader's copy (+ timestamp.txt),
                                                      written by the grading worker

All files are written atomically (temporary file + rename).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from rusfokus.exercises.course import gradebook_url, load_release, student_id
from rusfokus.exercises.notebook import (
    _BAD_TEXT,
    AnswerError,
    submission_notebook,
    validate_answers,
)
from rusfokus.exercises.schema import Exercise

_stamp_lock = threading.Lock()
_last_stamp = ""


def write_atomic(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}.{threading.get_ident()}")
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(tmp, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _new_stamp() -> str:
    """A unique, sortable UTC time stamp (microseconds; never repeats in this process)."""
    global _last_stamp
    with _stamp_lock:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        while stamp <= _last_stamp:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        _last_stamp = stamp
        return stamp


def stamp_to_nbgrader(stamp: str) -> str:
    """`20261123T130501.123456Z` → `2026-11-23 13:05:01.123456 UTC` (timestamp.txt format)."""
    dt = datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ")
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"


@dataclass(frozen=True)
class Attempt:
    course_dir: Path
    email: str
    opgave: str
    stamp: str

    @property
    def student(self) -> str:
        return student_id(self.email)

    @property
    def folder(self) -> Path:
        return self.course_dir / "attempts" / self.student / self.opgave

    @property
    def notebook(self) -> Path:
        return self.folder / f"{self.stamp}.ipynb"

    @property
    def pending_file(self) -> Path:
        return self.folder / f"{self.stamp}.pending.json"

    @property
    def result_file(self) -> Path:
        return self.folder / f"{self.stamp}.result.json"

    @property
    def failed_file(self) -> Path:
        return self.folder / f"{self.stamp}.failed.json"

    @property
    def is_pending(self) -> bool:
        return self.pending_file.exists()

    def marker(self) -> dict:
        """The pending marker (``failures``, ``last_error`` after failed gradings)."""
        try:
            return json.loads(self.pending_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"email": self.email, "opgave": self.opgave, "stamp": self.stamp}


def record_failure(attempt: Attempt, reason: str) -> int:
    """Count one failed grading in the pending marker; returns the number of failures."""
    data = attempt.marker()
    data["failures"] = int(data.get("failures", 0)) + 1
    data["last_error"] = reason[-2000:]
    data["last_failure_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_atomic(attempt.pending_file, json.dumps(data, ensure_ascii=False))
    return data["failures"]


def mark_failed(attempt: Attempt, reason: str) -> dict:
    """Give up: the failed marker (with the reason, for the admin) replaces the pending one."""
    data = attempt.marker()
    data.update(reason=reason[-2000:], failed_at=datetime.now(UTC).isoformat(timespec="seconds"))
    data.setdefault("failures", 0)
    write_atomic(attempt.failed_file, json.dumps(data, ensure_ascii=False))
    attempt.pending_file.unlink(missing_ok=True)
    return data


def failed_attempts(course_dir: Path) -> list[dict]:
    """Hand-ins whose grading was given up, oldest first (email, opgave, stamp, failures, reason)."""
    out = []
    for marker in Path(course_dir).glob("attempts/*/*/*.failed.json"):
        try:
            out.append(json.loads(marker.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return sorted(out, key=lambda d: d.get("stamp", ""))


def retry_failed(course_dir: Path) -> int:
    """Put every given-up hand-in back in line (failure count reset); returns how many."""
    n = 0
    for data in failed_attempts(course_dir):
        try:
            a = Attempt(Path(course_dir), data["email"], data["opgave"], data["stamp"])
        except KeyError:
            continue
        write_atomic(a.pending_file, json.dumps({"email": a.email, "opgave": a.opgave, "stamp": a.stamp}))
        a.failed_file.unlink(missing_ok=True)
        n += 1
    return n


def pending_for(course_dir: Path, email: str, opgave: str) -> list[Attempt]:
    """This learner's hand-ins of one exercise still waiting for grading."""
    folder = Attempt(Path(course_dir), email, opgave, "x").folder
    return [
        Attempt(Path(course_dir), email, opgave, m.name[: -len(".pending.json")])
        for m in sorted(folder.glob("*.pending.json"))
    ]


def pending_modules(course_dir: Path | None, email: str, modules: list[str]) -> set[str]:
    """The modules (opgave ids) whose hand-in by this learner waits for grading (for her journey)."""
    if course_dir is None:
        return set()
    out = set()
    for module in modules:
        try:
            if pending_for(Path(course_dir), email, module):
                out.add(module)
        except OSError:
            continue
    return out


def prepare_attempt(course_dir: Path, email: str, ex: Exercise, raw_answers) -> tuple[Attempt, dict, str]:
    """Validate answers and build the submission notebook: ``(attempt, answers, notebook text)``.
    Nothing is written. Raises AnswerError (Danish) for bad answers, BuildError if the exercise is
    not built or its release notebook was changed."""
    answers = validate_answers(ex, raw_answers)
    nb = submission_notebook(load_release(course_dir, ex.id), ex, answers)
    return Attempt(Path(course_dir), email, ex.id, _new_stamp()), answers, nbformat.writes(nb)


def write_attempt(attempt: Attempt, notebook: str) -> Attempt:
    """Write the submission notebook and the pending marker (atomically)."""
    write_atomic(attempt.notebook, notebook)
    marker = {"email": attempt.email, "opgave": attempt.opgave, "stamp": attempt.stamp}
    write_atomic(attempt.pending_file, json.dumps(marker))
    return attempt


def save_attempt(course_dir: Path, email: str, ex: Exercise, raw_answers) -> Attempt:
    """Validate answers, write the submission notebook and the pending marker.

    Raises AnswerError (Danish) for bad answers, BuildError if the exercise is
    not built or its release notebook was changed. Nothing is written then.
    """
    attempt, _answers, notebook = prepare_attempt(course_dir, email, ex, raw_answers)
    return write_attempt(attempt, notebook)


def write_result(attempt: Attempt, result: dict) -> None:
    """The attempt is graded: its result file, and no pending (or failed) marker any more."""
    write_atomic(attempt.result_file, json.dumps(result, ensure_ascii=False, indent=1))
    attempt.pending_file.unlink(missing_ok=True)
    attempt.failed_file.unlink(missing_ok=True)


def place_for_nbgrader(attempt: Attempt) -> Path:
    """Copy the attempt into ``submitted/<student>/<opgave>/`` (atomically) for autograde."""
    dest = attempt.course_dir / "submitted" / attempt.student / attempt.opgave
    write_atomic(dest / "timestamp.txt", stamp_to_nbgrader(attempt.stamp))
    write_atomic(dest / f"{attempt.opgave}.ipynb", attempt.notebook.read_bytes())
    return dest


def pending_attempts(course_dir: Path) -> list[Attempt]:
    """Every attempt still waiting for grading, oldest first."""
    out = []
    for marker in Path(course_dir).glob("attempts/*/*/*.pending.json"):
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
            out.append(Attempt(Path(course_dir), data["email"], data["opgave"], data["stamp"]))
        except (OSError, ValueError, KeyError):
            continue
    return sorted(out, key=lambda a: a.stamp)


def history(course_dir: Path, email: str, opgave: str) -> list[dict]:
    """All attempts of a learner at one exercise, oldest first, with result if graded."""
    folder = Attempt(Path(course_dir), email, opgave, "x").folder
    rows = []
    for nb in sorted(folder.glob("*.ipynb")):
        a = Attempt(Path(course_dir), email, opgave, nb.stem)
        row = {"stamp": a.stamp, "pending": a.is_pending, "failed": a.failed_file.exists(), "result": None}
        if a.result_file.exists():
            row["result"] = json.loads(a.result_file.read_text(encoding="utf-8"))
        rows.append(row)
    return rows


DRAFT_NAME = "kladde.json"


def draft_file(course_dir: Path, email: str, opgave: str) -> Path:
    """Where a learner's draft of one exercise lives: beside her attempts, so erasing
    her attempts (``forget_learner``, GDPR) erases her drafts too."""
    return Attempt(Path(course_dir), email, opgave, "x").folder / DRAFT_NAME


def clean_draft(ex: Exercise, raw) -> dict:
    """Check half-finished answers (any question may be unanswered); return clean values.

    Like ``validate_answers`` but nothing is required: an unanswered choice is ``None``
    (or ``[]``), a text may be empty or, while being written, up to twice the limit.
    Raises AnswerError (Danish) for anything that does not fit the exercise.
    """
    if not isinstance(raw, dict):
        raise AnswerError("Din kladde kunne ikke læses.")
    by_id = {q.id: q for q in ex.spoergsmaal}
    clean: dict = {}
    for key, value in raw.items():
        q = by_id.get(key)
        if q is None:
            raise AnswerError("Din kladde passer ikke til opgaven. Genindlæs siden.", str(key)[:60])
        n = ex.spoergsmaal.index(q) + 1
        if q.type == "refleksion":
            if value is None:
                value = ""
            if not isinstance(value, str) or _BAD_TEXT.search(value) or len(value) > 2 * (q.max_tegn or 0):
                raise AnswerError(f"Dit svar til spørgsmål {n} kan ikke gemmes som kladde.", q.id)
            clean[q.id] = value
        elif q.multiple:
            options = set(q.option_ids())
            if value is None:
                value = []
            if (
                not isinstance(value, list)
                or len(set(map(str, value))) != len(value)
                or not all(isinstance(v, str) and v in options for v in value)
            ):
                raise AnswerError(f"Svaret til spørgsmål {n} er ikke et af valgene. Genindlæs siden.", q.id)
            clean[q.id] = sorted(value)
        else:
            if value is not None and (not isinstance(value, str) or value not in q.option_ids()):
                raise AnswerError(f"Svaret til spørgsmål {n} er ikke et af valgene. Genindlæs siden.", q.id)
            clean[q.id] = value
    return clean


def save_draft(course_dir: Path, email: str, ex: Exercise, raw) -> dict:
    """Check and write a learner's draft (atomically); returns what was saved.
    Raises AnswerError (Danish) and writes nothing if it does not fit the exercise."""
    data = {"opgave": ex.id, "svar": clean_draft(ex, raw), "gemt": datetime.now(UTC).isoformat(timespec="seconds")}
    write_atomic(draft_file(course_dir, email, ex.id), json.dumps(data, ensure_ascii=False))
    return data


def load_draft(course_dir: Path, email: str, ex: Exercise) -> dict | None:
    """The learner's saved draft (``svar``, ``gemt``), or None. Answers that no longer fit
    the exercise (it was changed since) are left out, one by one."""
    try:
        data = json.loads(draft_file(course_dir, email, ex.id).read_text(encoding="utf-8"))
        raw = data["svar"]
        if not isinstance(raw, dict):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    svar = {}
    for key, value in raw.items():
        try:
            svar.update(clean_draft(ex, {key: value}))
        except AnswerError:
            continue
    return {"svar": svar, "gemt": data.get("gemt")}


def attempt_answers(attempt: Attempt, ex: Exercise) -> dict:
    """The answers a learner handed in, read back from the attempt notebook
    (literals only: ``ast.literal_eval``, nothing is run). Unreadable cells are left out."""
    try:
        nb = nbformat.reads(attempt.notebook.read_text(encoding="utf-8"), as_version=4)
    except (OSError, ValueError):
        return {}
    by_answer_id = {q.answer_id: q for q in ex.spoergsmaal}
    out = {}
    for cell in nb.cells:
        q = by_answer_id.get(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"))
        if q is None or cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
            node = tree.body[0]
            if len(tree.body) != 1 or not isinstance(node, ast.Assign) or node.targets[0].id != q.var:
                continue
            out[q.id] = ast.literal_eval(node.value)
        except (SyntaxError, ValueError, AttributeError, IndexError, TypeError):
            continue
    return out


def forget_learner(course_dir: Path, email: str, gradebook_db: str = "") -> dict:
    """Erase one learner's exercise data: attempts, nbgrader folders and gradebook rows (GDPR)."""
    # lazy: loads nbgrader (~4 s); needed only here
    from nbgrader.api import Gradebook, MissingEntry

    sid = student_id(email)
    removed = []
    for part in ("attempts", "submitted", "autograded", "feedback"):
        folder = Path(course_dir) / part / sid
        if folder.exists():
            shutil.rmtree(folder)
            removed.append(part)
    gradebook = False
    url = gradebook_url(course_dir, gradebook_db)
    if (Path(course_dir) / "gradebook.db").exists() or not url.startswith("sqlite"):
        with Gradebook(url) as gb:
            try:
                gb.remove_student(sid)
                gradebook = True
            except MissingEntry:
                pass
    return {"student": sid, "folders": removed, "gradebook": gradebook}
