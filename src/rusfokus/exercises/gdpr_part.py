"""Exercises' part of GDPR export and erasure (``rusfokus.gdpr`` calls it).

Her answers and grades are files in the nbgrader course folder and rows in nbgrader's
gradebook: the export says where they are, and ``forget`` removes them after the database
transaction of the erasure has committed. With PostgreSQL her hand-ins are also rows of the shared
grading queue (answers, result): exported, and deleted by ``erase`` in the erasure's transaction.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
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


def queued(session: Session, email: str) -> list[dict]:
    """Her hand-ins in the shared grading queue (PostgreSQL; ``rusfokus.exercises.queue``): answers, state, result."""
    from rusfokus.exercises.queue import GradingJob

    rows = session.scalars(select(GradingJob).where(GradingJob.email == email).order_by(GradingJob.id)).all()
    return [
        {
            "opgave": j.opgave,
            "stamp": j.stamp,
            "state": j.state,
            "answers": json.loads(j.answers or "{}"),
            "result": json.loads(j.result) if j.result else None,
        }
        for j in rows
    ]


def export(session: Session, person: Person, *, course_dir: Path | None = None, gradebook_db: str = "") -> dict:
    """``exercise_data``: where her answers are (None when no course folder is given); ``grading_queue``:
    her hand-ins in the shared grading queue, when there are any."""
    out = {"exercise_data": location(person.email, course_dir, gradebook_db) if course_dir is not None else None}
    jobs = queued(session, person.email) if person.email else []
    if jobs:
        out["grading_queue"] = jobs
    return out


def erase(session: Session, person: Person) -> None:
    """Delete her hand-ins from the shared grading queue, in the erasure's transaction (the files in the
    course folder go afterwards, ``forget``)."""
    from rusfokus.exercises.queue import erase_person

    if person.email:
        erase_person(session, person.email)


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
