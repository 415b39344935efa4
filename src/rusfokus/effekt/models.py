"""Tables of proof of effect (migration 0010_effekt), on ``rusfokus.db.Base``.

- ``effekt_self_efficacy``: one learner's three self-efficacy answers (1-5) for a module,
  ``foer`` (before her first module: the baseline) or ``efter`` (after she passed the module).
  One row per person, module and phase; answering again replaces the answers.
- ``effekt_practice_count``: what she reports at a practice round of the refresher loop
  (``rusfokus.genopfrisk``): brief screening conversations held (``samtaler``) and referrals or
  notifications made (``henvisninger``) since the last round. One row per person and
  ``round_ref`` (the round's own reference), so recording a round twice never counts it twice.

No citizen data: only counts and a staff member's view of her own competence. Both are personal
data about staff (``rusfokus.effekt.gdpr_part``: export, erase, purge after
RUSFOKUS_EFFEKT_RETENTION_MONTHS).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rusfokus.db import Base

PHASE_BEFORE, PHASE_AFTER = "foer", "efter"
PHASES = (PHASE_BEFORE, PHASE_AFTER)
PHASE_DANISH = {PHASE_BEFORE: "Før", PHASE_AFTER: "Efter"}


class SelfEfficacy(Base):
    __tablename__ = "effekt_self_efficacy"
    __table_args__ = (UniqueConstraint("person_id", "module", "phase", name="uq_effekt_se_person_module_phase"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    module: Mapped[str] = mapped_column(String(100))
    phase: Mapped[str] = mapped_column(String(10))
    item1: Mapped[int] = mapped_column(SmallInteger)
    item2: Mapped[int] = mapped_column(SmallInteger)
    item3: Mapped[int] = mapped_column(SmallInteger)
    answered_at: Mapped[datetime] = mapped_column(DateTime, index=True)

    @property
    def items(self) -> tuple[int, int, int]:
        return (self.item1, self.item2, self.item3)

    @property
    def mean(self) -> float:
        return sum(self.items) / 3


class PracticeCount(Base):
    __tablename__ = "effekt_practice_count"
    __table_args__ = (UniqueConstraint("person_id", "round_ref", name="uq_effekt_pc_person_round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    round_ref: Mapped[str] = mapped_column(String(100))
    samtaler: Mapped[int] = mapped_column(Integer)
    henvisninger: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
