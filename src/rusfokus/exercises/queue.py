"""The grading queue in PostgreSQL, shared by every copy of `rusfokus serve` (issue 19.3).

A hand-in is one ``GradingJob`` row (migration 0014_grading_queue) holding everything a copy needs to grade
it, also one that did not receive it: the learner, the exercise, the attempt's stamp, her answers and the
submission notebook. Any copy whose worker runs (the setting RUSFOKUS_GRADE_WORKER) takes jobs with
``SELECT … FOR UPDATE SKIP LOCKED`` and keeps that transaction open while it grades:

- the row lock and a transaction-scoped advisory lock on the learner (``pg_try_advisory_xact_lock``) are
  held until the result is committed, so no other copy takes the job, and no other copy grades another
  hand-in of the same learner at the same time (nbgrader's gradebook and ``submitted/`` are per learner);
- the result, the progress (completion, kursusbevis) and its outbox event are written in that same
  transaction, so they exist exactly once, exactly when the job is ``done``;
- a copy killed with ``kill -9`` mid-grading loses its connection: PostgreSQL rolls the transaction back,
  both locks go with it, and the job is pending again for the next copy that polls.

At most one pending job per learner and exercise (a partial unique index), across copies.
SQLite (the embedded default, one server) does not use this table: its one process queues in memory
(``rusfokus.exercises.grading.Grader``), with the same grading and the same files on disk.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint, delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from rusfokus.db import Base, make_engine, session_scope

log = logging.getLogger("rusfokus.exercises")

PENDING, DONE, FAILED = "pending", "done", "failed"
LOCK_CLASS = 1914  # pg_try_advisory_xact_lock(LOCK_CLASS, hashtext(student)): one grading per learner
KEEP_DONE = timedelta(hours=1)  # a done job's answers are dropped after this (its row and result stay)


class GradingJob(Base):
    __tablename__ = "grading_job"
    __table_args__ = (
        UniqueConstraint("student", "opgave", "stamp", name="uq_grading_job_attempt"),
        Index("ix_grading_job_state_due", "state", "not_before"),
        Index(
            "uq_grading_job_one_pending",
            "student",
            "opgave",
            unique=True,
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), index=True)
    student: Mapped[str] = mapped_column(String(100))
    opgave: Mapped[str] = mapped_column(String(100))
    stamp: Mapped[str] = mapped_column(String(40))
    answers: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    notebook: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(10), default=PENDING, server_default=PENDING)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    not_before: Mapped[datetime] = mapped_column(DateTime)
    received_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    graded_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def is_shared(db_url: str | None) -> bool:
    """True when the database can hold the shared queue (PostgreSQL); SQLite keeps the in-process one."""
    return bool(db_url) and db_url.startswith("postgresql")


class AlreadyQueued(Exception):
    """This learner has a pending job of this exercise (``stamp``: that hand-in's)."""

    def __init__(self, stamp: str | None):
        super().__init__(stamp)
        self.stamp = stamp


def pending_stamp(db_url: str, student: str, opgave: str) -> str | None:
    """The stamp of the learner's pending job of one exercise, or None."""
    with session_scope(db_url) as s:
        return s.scalar(
            select(GradingJob.stamp).where(
                GradingJob.student == student, GradingJob.opgave == opgave, GradingJob.state == PENDING
            )
        )


def add_job(
    db_url: str, *, email: str, student: str, opgave: str, stamp: str, answers: dict, notebook: str, received_by: str
) -> int:
    """Queue one hand-in; returns the job's id. Raises AlreadyQueued when one of hers waits."""
    now = datetime.now()
    try:
        with session_scope(db_url) as s:
            job = GradingJob(
                email=email,
                student=student,
                opgave=opgave,
                stamp=stamp,
                answers=json.dumps(answers, ensure_ascii=False),
                notebook=notebook,
                state=PENDING,
                failures=0,
                last_error="",
                not_before=now,
                received_by=received_by[:200],
                created_at=now,
            )
            s.add(job)
            s.flush()
            return job.id
    except IntegrityError:
        raise AlreadyQueued(pending_stamp(db_url, student, opgave)) from None


def job_for(db_url: str, student: str, opgave: str, stamp: str) -> GradingJob | None:
    with session_scope(db_url) as s:
        return s.scalar(
            select(GradingJob).where(
                GradingJob.student == student, GradingJob.opgave == opgave, GradingJob.stamp == stamp
            )
        )


@dataclass(frozen=True)
class Outcome:
    state: str
    result: dict | None
    last_error: str


def outcomes(db_url: str, ids: list[int]) -> dict[int, Outcome]:
    """The finished (done or failed) jobs among ``ids``; a deleted job counts as failed."""
    if not ids:
        return {}
    with session_scope(db_url) as s:
        rows = s.execute(
            select(GradingJob.id, GradingJob.state, GradingJob.result, GradingJob.last_error).where(
                GradingJob.id.in_(ids)
            )
        ).all()
    out = {i: Outcome(FAILED, None, "the job was removed") for i in ids}
    for job_id, state, result, last_error in rows:
        if state == PENDING:
            del out[job_id]
        else:
            out[job_id] = Outcome(state, json.loads(result) if result else None, last_error or "")
    return out


class Claim:
    """A job this copy grades, in an open transaction holding its row lock and its learner's advisory lock.

    ``finish(result, record)`` writes the result (and, through ``record(session)``, progress and its outbox
    event) and commits; ``fail(reason, retries, delay)`` counts a failure; ``release()`` rolls back (the job
    is pending again). Until one of these, nothing of the grading is visible to other copies."""

    def __init__(self, session: Session, job: GradingJob):
        self.session, self.job = session, job

    def finish(self, result: dict, owner: str, record=None) -> None:
        s, job = self.session, self.job
        if record is not None:
            try:
                with s.begin_nested():  # progress must never undo a grade: a refusal rolls back only itself
                    record(s)
            except Exception:
                log.exception("progress hook failed for %s/%s", job.student, job.opgave)
        job.state, job.result = DONE, json.dumps(result, ensure_ascii=False)
        job.graded_by, job.finished_at, job.notebook = owner[:200], datetime.now(), None
        self._commit()

    def fail(self, reason: str, retries: int, delay_seconds: float) -> tuple[int, bool]:
        """Count a failed grading; returns (failures, given_up). Given up after ``retries`` new tries."""
        job = self.job
        job.failures += 1
        job.last_error = reason[-2000:]
        given_up = job.failures > retries
        if given_up:
            job.state, job.finished_at = FAILED, datetime.now()
        else:
            job.not_before = datetime.now() + timedelta(seconds=delay_seconds * 2 ** (job.failures - 1))
        failures = job.failures
        self._commit()
        return failures, given_up

    def release(self) -> None:
        """Give the job back (roll back); quiet when the connection is already gone (it is given back then)."""
        try:
            self.session.rollback()
            self.session.close()
        except Exception:
            log.warning("grading queue: the job's connection was already gone", exc_info=True)
            self.session.invalidate()

    def _commit(self) -> None:
        try:
            self.session.commit()
        finally:
            self.session.close()


def claim(db_url: str, limit: int = 20) -> Claim | None:
    """Take the next due job no other copy has, whose learner no other copy is grading; None if none.

    Learners take turns: each learner's oldest job first, then everyone's second, and so on."""
    session = Session(bind=make_engine(db_url), expire_on_commit=False)
    try:
        candidates = session.execute(
            text(
                "SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY student ORDER BY id) AS turn "
                "FROM grading_job WHERE state = 'pending' AND not_before <= :now) AS c ORDER BY turn, id LIMIT :n"
            ),
            {"now": datetime.now(), "n": limit},
        ).scalars()
        ids = list(candidates)
        session.rollback()
        for job_id in ids:
            job = session.scalar(
                select(GradingJob)
                .where(GradingJob.id == job_id, GradingJob.state == PENDING)
                .with_for_update(skip_locked=True)
            )
            if job is not None and session.scalar(
                text("SELECT pg_try_advisory_xact_lock(CAST(:c AS integer), hashtext(:s))"),
                {"c": LOCK_CLASS, "s": job.student},
            ):
                return Claim(session, job)
            session.rollback()  # locked by another copy, or her other hand-in is being graded
    except BaseException:
        session.rollback()
        session.close()
        raise
    session.close()
    return None


def retry_failed(db_url: str) -> int:
    """Put every given-up job back in line (failures reset); one that waits behind a newer pending hand-in of
    the same learner and exercise stays failed. Returns how many."""
    with session_scope(db_url) as s:
        ids = s.scalars(select(GradingJob.id).where(GradingJob.state == FAILED)).all()
    n = 0
    for job_id in ids:
        try:
            with session_scope(db_url) as s:
                job = s.get(GradingJob, job_id)
                job.state, job.failures, job.not_before, job.finished_at = PENDING, 0, datetime.now(), None
            n += 1
        except IntegrityError:
            continue
    return n


def forget_done(db_url: str, older_than: timedelta = KEEP_DONE) -> int:
    """Drop the answers of done jobs finished before ``older_than`` ago; returns how many. The row itself (who,
    which exercise, stamp, result) stays: a copy that comes back after a long time with the hand-in still
    pending in its own folder settles it from the row instead of grading it a second time."""
    with session_scope(db_url) as s:
        return s.execute(
            update(GradingJob)
            .where(
                GradingJob.state == DONE,
                GradingJob.finished_at < datetime.now() - older_than,
                GradingJob.answers != "{}",
            )
            .values(answers="{}", notebook=None)
        ).rowcount


def erase_person(session: Session, email: str) -> int:
    """GDPR: delete every job of this learner (her answers and results) in the caller's transaction."""
    return session.execute(delete(GradingJob).where(GradingJob.email == email)).rowcount
