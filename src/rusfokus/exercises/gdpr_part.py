"""Exercises' part of GDPR export and erasure (``rusfokus.gdpr`` calls it).

Her answers and grades are files in the nbgrader course folder and rows in nbgrader's
gradebook, not in the rusfokus database: the export says where they are, and ``forget``
removes them after the database transaction of the erasure has committed.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from rusfokus.progress.models import Person


def location(email: str, course_dir: Path, gradebook_db: str = "") -> dict:
    """Where the person's exercise answers and grades are kept (nbgrader course folder)."""
    # lazy: loads nbformat (~1 s); the dashboard imports rusfokus.gdpr in its kernel
    from rusfokus.exercises.course import student_id

    course = Path(course_dir)
    sid = student_id(email)
    return {
        "course_dir": str(course),
        "student_id": sid,
        "folders": [
            str(course / part / sid)
            for part in ("attempts", "submitted", "autograded", "feedback")
            if (course / part / sid).exists()
        ],
        "gradebook": ("the database in RUSFOKUS_GRADEBOOK_DB" if gradebook_db else str(course / "gradebook.db"))
        + f", rows of student {sid}",
    }


def export(session: Session, person: Person, *, course_dir: Path | None = None, gradebook_db: str = "") -> dict:
    """``exercise_data``: where her answers are (None when no course folder is given)."""
    return {"exercise_data": location(person.email, course_dir, gradebook_db) if course_dir is not None else None}


def forget(emails: list[str], course_dir: Path, gradebook_db: str = "") -> tuple[list[dict], list[str]]:
    """Erase the exercise data of erased people. Returns (done, problems); never raises for one person."""
    # lazy: loads nbformat and nbgrader (~4 s); the dashboard imports rusfokus.gdpr in its kernel
    from rusfokus.exercises.store import forget_learner

    course = Path(course_dir)
    done, problems = [], []
    for email in emails:
        try:
            done.append(forget_learner(course, email, gradebook_db))
        except Exception as exc:  # reported to the operator with the command to retry
            problems.append(f"{email}: {type(exc).__name__}: {exc}")
    return done, problems
