"""Temadag's part of GDPR export and erasure (``rusfokus.gdpr`` calls it): her check-ins.

Erasing keeps attendance counted, without name or e-mail. Check-ins nobody matched to a
person are deleted by ``purge`` once their temadag is ``UNMATCHED_CHECK_IN_DAYS`` old.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rusfokus.progress.models import Person
from rusfokus.temadag.models import Temadag, TemadagParticipant

UNMATCHED_CHECK_IN_DAYS = 30
"""Days after a temadag that a check-in nobody matched to the staff list (a name and e-mail the
facilitator neither confirmed nor rejected) is kept; then ``purge`` deletes it."""


def _iso(value):
    return value.isoformat() if value is not None else None


def export(session: Session, person: Person) -> dict:
    """``temadage``: each check-in with the name and e-mail she gave."""
    rows = session.execute(
        select(TemadagParticipant, Temadag)
        .join(Temadag, TemadagParticipant.temadag_id == Temadag.id)
        .where(TemadagParticipant.person_id == person.id)
    ).all()
    return {
        "temadage": [
            {
                "temadag": day.title,
                "date": _iso(day.date),
                "name_given": part.name,
                "email_given": part.email,
                "checked_in_at": _iso(part.checked_in_at),
                "method": part.method,
                "evaluated": part.evaluated,
            }
            for part, day in rows
        ]
    }


def erase(session: Session, person: Person) -> None:
    """Her check-ins stay counted, without the name and e-mail she gave."""
    session.execute(
        update(TemadagParticipant).where(TemadagParticipant.person_id == person.id).values(name="(slettet)", email="")
    )


def unmatched_check_ins_due(session: Session, now: datetime | None = None) -> list[TemadagParticipant]:
    """Check-ins with no person behind them, from temadage more than UNMATCHED_CHECK_IN_DAYS ago."""
    cutoff = (now or datetime.now()).date() - timedelta(days=UNMATCHED_CHECK_IN_DAYS)
    return list(
        session.scalars(
            select(TemadagParticipant)
            .join(Temadag, TemadagParticipant.temadag_id == Temadag.id)
            .where(TemadagParticipant.person_id.is_(None), Temadag.date < cutoff)
        ).all()
    )
