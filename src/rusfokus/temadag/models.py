"""Temadag tables on the shared ``rusfokus.db.Base`` (migration 0002_temadag).

Evaluations are stored without any link to a participant: the participant
row only remembers *that* the person has evaluated (one evaluation each).
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from rusfokus.db import Base


class Temadag(Base):
    __tablename__ = "temadag"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    date: Mapped[date] = mapped_column(Date, index=True)
    start: Mapped[time] = mapped_column(Time)
    duration_min: Mapped[int] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(String(200))
    modules: Mapped[str] = mapped_column(String(300))  # comma-separated module ids
    facilitator: Mapped[str] = mapped_column(String(200))
    facilitator_email: Mapped[str] = mapped_column(String(320), default="")
    institutions: Mapped[str] = mapped_column(Text, default="")  # one per line
    counts_toward_module: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(200), default="")


STATUS_CONFIRMED = "bekraeftet"
"""Attendance: recorded in progress tracking (personal link, or confirmed by the facilitator)."""
STATUS_PENDING = "afventer"
"""Checked in with the code and an e-mail or name: takes part, but counts only once the facilitator confirms."""


class TemadagParticipant(Base):
    """One checked-in participant. ``person_id`` is set when matched to the staff list.

    A check-in never creates a person: an unknown e-mail stays ``person_id=None``
    and pending until the facilitator matches it to a person or rejects it.
    """

    __tablename__ = "temadag_participant"
    __table_args__ = (
        UniqueConstraint("temadag_id", "person_id", name="uq_temadag_person"),
        Index(
            "uq_temadag_unknown_email",
            "temadag_id",
            "email",
            unique=True,
            sqlite_where=text("person_id IS NULL AND email != ''"),
            postgresql_where=text("person_id IS NULL AND email != ''"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    temadag_id: Mapped[int] = mapped_column(ForeignKey("temadag.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    method: Mapped[str] = mapped_column(String(20))  # kode, link, liste
    checked_in_at: Mapped[datetime] = mapped_column(DateTime)
    evaluated: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default=STATUS_CONFIRMED)  # migration 0005


class TemadagEvaluation(Base):
    __tablename__ = "temadag_evaluation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    temadag_id: Mapped[int] = mapped_column(ForeignKey("temadag.id", ondelete="CASCADE"), index=True)
    scores: Mapped[str] = mapped_column(Text)  # JSON {key: 1..5}
    free_text: Mapped[str] = mapped_column(Text, default="")
    submitted_on: Mapped[date] = mapped_column(Date)


class TemadagLive(Base):
    """Live mode state of one temadag (migration 0005), so a server restart resumes where it was."""

    __tablename__ = "temadag_live"
    temadag_id: Mapped[int] = mapped_column(ForeignKey("temadag.id", ondelete="CASCADE"), primary_key=True)
    question_ids: Mapped[str] = mapped_column(Text)  # JSON list: the questions the state belongs to
    position: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    answers_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class TemadagLiveAnswer(Base):
    """One participant's current answer to one live question (anonymous on every view)."""

    __tablename__ = "temadag_live_answer"
    __table_args__ = (UniqueConstraint("temadag_id", "question_id", "participant_id", name="uq_live_answer"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    temadag_id: Mapped[int] = mapped_column(ForeignKey("temadag.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(100))
    participant_id: Mapped[int] = mapped_column(ForeignKey("temadag_participant.id", ondelete="CASCADE"))
    option: Mapped[int] = mapped_column(Integer)


class TemadagBadCode(Base):
    """One wrong check-in code (migration 0015): counted per guesser and per address in its code window by
    every copy alike. No person is named: ``guesser`` is the browser's random cookie (or ``anon:<address>``)."""

    __tablename__ = "temadag_bad_code"
    __table_args__ = (
        Index("ix_temadag_bad_code_guesser", "code_window", "guesser"),
        Index("ix_temadag_bad_code_address", "code_window", "address"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_window: Mapped[int] = mapped_column(Integer)
    guesser: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(100))
