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
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
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


class TemadagParticipant(Base):
    """One checked-in participant. ``person_id`` is set when matched to the staff list."""

    __tablename__ = "temadag_participant"
    __table_args__ = (UniqueConstraint("temadag_id", "person_id", name="uq_temadag_person"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    temadag_id: Mapped[int] = mapped_column(ForeignKey("temadag.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    method: Mapped[str] = mapped_column(String(20))  # kode, link, liste
    checked_in_at: Mapped[datetime] = mapped_column(DateTime)
    evaluated: Mapped[bool] = mapped_column(Boolean, default=False)


class TemadagEvaluation(Base):
    __tablename__ = "temadag_evaluation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    temadag_id: Mapped[int] = mapped_column(ForeignKey("temadag.id", ondelete="CASCADE"), index=True)
    scores: Mapped[str] = mapped_column(Text)  # JSON {key: 1..5}
    free_text: Mapped[str] = mapped_column(Text, default="")
    submitted_on: Mapped[date] = mapped_column(Date)
