"""The refresher loop's tables (migration 0009_genopfrisk).

- ``genopfrisk_loop``: one per person and module, started by her pass (``passed_on``); ``renewed_until``
  is the kursusbevis date the loop gave once every round was taken.
- ``genopfrisk_round``: the rounds of a loop (number 1..n, ``due_on``); when its e-mail was queued
  (``opened_at``), its one reminder (``reminded_at``), when she took it (``taken_at``); the judgement
  items (``items``) and coach statements (``coach``) drawn for it, as comma-separated ids, so a reload
  shows the same round and no item comes twice in her rounds.
- ``genopfrisk_answer``: her answer to one judgement item (item id, chosen option, right or not).

What a learner types to the MI coach is never stored: there is no column for it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rusfokus.db import Base


class PracticeLoop(Base):
    __tablename__ = "genopfrisk_loop"
    __table_args__ = (UniqueConstraint("person_id", "module", name="uq_genopfrisk_loop_person_module"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    module: Mapped[str] = mapped_column(String(100))
    passed_on: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    renewed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    renewed_until: Mapped[date | None] = mapped_column(Date, nullable=True)


class PracticeRound(Base):
    __tablename__ = "genopfrisk_round"
    __table_args__ = (UniqueConstraint("loop_id", "number", name="uq_genopfrisk_round_loop_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loop_id: Mapped[int] = mapped_column(ForeignKey("genopfrisk_loop.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    items: Mapped[str] = mapped_column(String(500), default="")
    coach: Mapped[str] = mapped_column(String(500), default="")


class PracticeAnswer(Base):
    __tablename__ = "genopfrisk_answer"
    __table_args__ = (UniqueConstraint("round_id", "item_id", name="uq_genopfrisk_answer_round_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("genopfrisk_round.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(100))
    chosen: Mapped[str] = mapped_column(String(50))
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(DateTime)
