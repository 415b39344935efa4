"""Proof of effect's part of GDPR (``rusfokus.gdpr`` calls it): her self-efficacy answers and practice counts.

- ``export``: every answer and count, with dates;
- ``erase``: deletes them (they are about her; the reports' groups simply lose one person);
- ``purge_expired``: deletes everyone's answers and counts older than RUSFOKUS_EFFEKT_RETENTION_MONTHS
  (36 by default: change is followed from before the first module through the refresher rounds and one
  kursusbevis period, plus a year to compare with); run by ``rusfokus purge``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rusfokus.effekt.counts import counts_for
from rusfokus.effekt.models import PracticeCount, SelfEfficacy
from rusfokus.effekt.selfefficacy import ITEMS, answers_for
from rusfokus.progress.certificates import add_months
from rusfokus.progress.models import Person


def export(session: Session, person: Person) -> dict:
    return {
        "self_efficacy": [
            {
                "module": a.module,
                "phase": a.phase,
                "answered_at": a.answered_at.isoformat(timespec="seconds"),
                "answers": {text: value for text, value in zip(ITEMS, a.items, strict=True)},
            }
            for a in answers_for(session, person.id)
        ],
        "practice_counts": [
            {
                "round": c.round_ref,
                "at": c.at.isoformat(timespec="seconds"),
                "samtaler": c.samtaler,
                "henvisninger": c.henvisninger,
            }
            for c in counts_for(session, person.id)
        ],
    }


def erase(session: Session, person: Person) -> None:
    session.execute(delete(SelfEfficacy).where(SelfEfficacy.person_id == person.id))
    session.execute(delete(PracticeCount).where(PracticeCount.person_id == person.id))


def purge_expired(
    session: Session, retention_months: int, now: datetime | None = None, *, dry_run: bool = False
) -> int:
    """Delete answers and counts older than ``retention_months`` months; returns how many (rows)."""
    now = now or datetime.now()
    cutoff = datetime.combine(add_months(now.date(), -retention_months), datetime.min.time())
    old_se = SelfEfficacy.answered_at < cutoff
    old_pc = PracticeCount.at < cutoff
    n = session.scalar(select(func.count()).select_from(SelfEfficacy).where(old_se)) + session.scalar(
        select(func.count()).select_from(PracticeCount).where(old_pc)
    )
    if not dry_run:
        session.execute(delete(SelfEfficacy).where(old_se))
        session.execute(delete(PracticeCount).where(old_pc))
    return n
