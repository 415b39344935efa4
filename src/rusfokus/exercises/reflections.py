"""Reflections (free-text questions) for a nøgleperson to read and score.

The text is read from nbgrader's submitted notebook
(``submitted/<student>/<opgave>/<opgave>.ipynb``), the score goes into the
gradebook through ``nbgrader.api.Gradebook`` (the manual score of the answer
cell, as formgrader does), and the learner's saved result
(``attempts/.../<stamp>.result.json``) is brought up to date, so her
"Afventer bedømmelse" becomes "Bedømt" with the points.

Reflections do not count towards passing (``modules/README.md``):
the pass mark is a share of the automatically scored points. After scoring,
``rusfokus.progress.hooks.on_graded`` is called again with the attempt's
result when it passed (idempotent per graded time), so the completion and
kursusbevis are there even if the hook failed at autograde time.

Who may see which learners' reflections is the caller's decision
(``emails``); this module never decides access.
"""

from __future__ import annotations

import ast
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat
from sqlalchemy.exc import OperationalError

from rusfokus.exercises.course import exercise, gradebook_url, student_id
from rusfokus.exercises.grading import refresh_manual
from rusfokus.exercises.schema import Exercise, load_all
from rusfokus.exercises.store import history, stamp_to_nbgrader, write_atomic
from rusfokus.progress import hooks
from rusfokus.settings import Settings

log = logging.getLogger("rusfokus.exercises")
CERTIFICATE_MONTHS = Settings.default("certificate_months")


class ReflectionError(ValueError):
    """Scoring refused; ``str()`` is Danish (shown to the nøgleperson)."""


@dataclass(frozen=True)
class Reflection:
    opgave: str
    titel: str
    question_id: str
    number: int
    question: str
    forklaring: str
    email: str
    student: str
    text: str | None  # None: the notebook could not be read
    max_score: int
    score: float | None  # None while it waits for a score
    submitted: str  # nbgrader's submission time, "YYYY-MM-DD HH:MM:SS"

    @property
    def waiting(self) -> bool:
        return self.score is None


def _reflection_questions(ex: Exercise):
    return [(n, q) for n, q in enumerate(ex.spoergsmaal, 1) if not q.auto]


def answer_text(notebook: nbformat.NotebookNode, answer_id: str, var: str) -> str | None:
    """The learner's text in the answer cell ``answer_id`` (a string literal; never executed)."""
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") != answer_id:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            return None
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == var
            ):
                try:
                    value = ast.literal_eval(node.value)
                except (ValueError, SyntaxError):
                    return None
                return value if isinstance(value, str) else None
    return None


def _submitted_notebook(course_dir: Path, student: str, opgave: str) -> tuple[nbformat.NotebookNode | None, str]:
    folder = Path(course_dir) / "submitted" / student / opgave
    try:
        stamp = (folder / "timestamp.txt").read_text(encoding="utf-8").strip()
        return nbformat.read(folder / f"{opgave}.ipynb", as_version=4), stamp
    except (OSError, ValueError):
        return None, ""


def list_reflections(
    course_dir: str | Path, emails: set[str] | None, gradebook_db: str = "", *, content_dir: str | Path
) -> list[Reflection]:
    """Reflections in the gradebook of learners in ``emails`` (None: everyone): waiting ones first, oldest first.

    Only graded submissions count; a hand-in being graded right now (the
    submitted notebook is newer than the gradebook) is left out until it is done."""
    course_dir = Path(course_dir)
    wanted = None if emails is None else {e.strip().lower() for e in emails}
    exercises = {k: v for k, v in load_all(content_dir).items() if _reflection_questions(v)}
    url = gradebook_url(course_dir, gradebook_db)
    no_gradebook = url.startswith("sqlite") and not (course_dir / "gradebook.db").exists()
    if not exercises or no_gradebook:
        return []
    # lazy: loads nbgrader (~4 s); needed only here
    from nbgrader.api import Gradebook, MissingEntry

    out: list[Reflection] = []
    with Gradebook(url) as gb:
        for ex in exercises.values():
            try:
                subs = gb.assignment_submissions(ex.id)
            except MissingEntry:
                continue
            for sub in subs:
                email = (sub.student.email or "").strip().lower()
                if not email or (wanted is not None and email not in wanted) or sub.timestamp is None:
                    continue
                stamp = str(sub.timestamp)[:19]
                notebook, on_disk = _submitted_notebook(course_dir, sub.student_id, ex.id)
                if on_disk[:19] != stamp:
                    continue  # a newer hand-in is being graded
                try:
                    nb = gb.find_submission_notebook(ex.id, ex.id, sub.student_id)
                except MissingEntry:
                    continue
                grades = {g.name: g for g in nb.grades}
                for number, q in _reflection_questions(ex):
                    grade = grades.get(q.answer_id)
                    if grade is None:
                        continue
                    text = answer_text(notebook, q.answer_id, q.var) if notebook is not None else None
                    out.append(
                        Reflection(
                            opgave=ex.id,
                            titel=ex.titel,
                            question_id=q.id,
                            number=number,
                            question=q.tekst.strip(),
                            forklaring=q.forklaring.strip(),
                            email=email,
                            student=sub.student_id,
                            text=text,
                            max_score=q.point,
                            score=None if grade.needs_manual_grade else float(grade.score or 0),
                            submitted=stamp,
                        )
                    )
    return sorted(out, key=lambda r: (not r.waiting, r.submitted), reverse=False)


def score_reflection(
    course_dir: str | Path,
    email: str,
    opgave: str,
    question_id: str,
    points,
    submitted: str,
    *,
    db_url: str | None = None,
    gradebook_db: str = "",
    certificate_months: int = CERTIFICATE_MONTHS,
    content_dir: str | Path,
    secret: bytes | None = None,
) -> dict | None:
    """Give ``points`` for a reflection; returns the learner's updated result (or None if
    her saved result could not be found). Raises ReflectionError (Danish). A pass is recorded in the
    progress database ``db_url`` (if given) with the server's ``secret``."""
    # lazy: loads nbgrader (~4 s); needed only here
    from nbgrader.api import Gradebook, MissingEntry

    course_dir = Path(course_dir)
    try:
        ex = exercise(opgave, content_dir)
        q = ex.question(question_id)
    except Exception:
        raise ReflectionError("Opgaven findes ikke.") from None
    if q.auto:
        raise ReflectionError("Kun refleksioner bedømmes her.")
    try:
        value = int(str(points).strip())
    except ValueError:
        raise ReflectionError(f"Vælg et antal point fra 0 til {q.point}.") from None
    if not 0 <= value <= q.point:
        raise ReflectionError(f"Vælg et antal point fra 0 til {q.point}.")

    sid = student_id(email)
    try:
        with Gradebook(gradebook_url(course_dir, gradebook_db)) as gb:
            try:
                sub = gb.find_submission(opgave, sid)
                grade = gb.find_grade(q.answer_id, opgave, opgave, sid)
            except MissingEntry:
                raise ReflectionError("Besvarelsen findes ikke længere.") from None
            if sub.timestamp is None or str(sub.timestamp)[:19] != str(submitted)[:19]:
                raise ReflectionError("Kursisten har afleveret igen. Genindlæs siden, og læs det nye svar.")
            grade.manual_score = float(value)
            grade.needs_manual_grade = False
            gb.db.commit()
    except OperationalError:  # e.g. the gradebook is locked while a hand-in is being graded
        log.warning("gradebook busy: reflection %s/%s %s not scored", sid, opgave, question_id, exc_info=True)
        raise ReflectionError("Pointene blev ikke gemt. Prøv igen om lidt.") from None
    log.info("reflection %s/%s %s scored %d of %d", sid, opgave, question_id, value, q.point)
    return _update_result(
        course_dir, email, opgave, str(submitted)[:19], db_url, gradebook_db, certificate_months, secret
    )


def _update_result(
    course_dir: Path,
    email: str,
    opgave: str,
    submitted: str,
    db_url: str | None,
    gradebook_db: str = "",
    certificate_months: int = CERTIFICATE_MONTHS,
    secret: bytes | None = None,
) -> dict | None:
    """Bring the attempt's saved result in line with the gradebook; call on_graded if it passed."""
    for row in reversed(history(course_dir, email, opgave)):
        if row["result"] is None or stamp_to_nbgrader(row["stamp"])[:19] != submitted:
            continue
        fresh = refresh_manual(course_dir, email, row["result"], gradebook_db)
        attempt_file = Path(course_dir) / "attempts" / student_id(email) / opgave / f"{row['stamp']}.result.json"
        write_atomic(attempt_file, json.dumps(fresh, ensure_ascii=False, indent=1))
        if fresh.get("passed"):
            try:
                hooks.on_graded(
                    email,
                    opgave,
                    fresh["score"],
                    fresh["max_score"],
                    True,
                    datetime.fromisoformat(fresh["graded_at"]),
                    db_url=db_url,
                    secret=secret,
                    certificate_months=certificate_months,
                )
            except Exception:  # progress must never undo a score
                log.exception("progress hook failed after scoring a reflection of %s", opgave)
        return fresh
    return None
