"""The outbox's part of GDPR export and erasure (``rusfokus.gdpr`` calls it).

Export: her completion events (kind, module, when, score, passed) and, for each, where it was
delivered (subscriber, status, tries, when, the last reason). Erase: her events and their deliveries
are deleted, so nothing still pending is ever sent. What a receiver already holds (statements in
the municipality's LRS) is that system's data: the note in the export says so.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rusfokus.outbox.models import OutboxDelivery, OutboxEvent
from rusfokus.progress.models import Person


def _iso(value):
    return value.isoformat() if value is not None else None


def export(session: Session, person: Person) -> dict:
    """``integrations``: each completion event about her and its deliveries."""
    events = list(
        session.scalars(select(OutboxEvent).where(OutboxEvent.person_id == person.id).order_by(OutboxEvent.id))
    )
    out = []
    for e in events:
        deliveries = session.scalars(
            select(OutboxDelivery).where(OutboxDelivery.event_id == e.id).order_by(OutboxDelivery.id)
        )
        out.append(
            {
                "event": e.kind,
                "module": e.module,
                "occurred_at": _iso(e.occurred_at),
                "score": e.score,
                "max_score": e.max_score,
                "passed": e.passed,
                "id": e.uid,
                "deliveries": [
                    {
                        "to": d.subscriber,
                        "status": d.status,
                        "attempts": d.attempts,
                        "delivered_at": _iso(d.delivered_at),
                        "last_error": d.last_error,
                    }
                    for d in deliveries
                ],
            }
        )
    return {"integrations": out}


def erase(session: Session, person: Person) -> None:
    """Delete her events and their deliveries (pending ones are then never sent)."""
    ids = select(OutboxEvent.id).where(OutboxEvent.person_id == person.id)
    session.execute(delete(OutboxDelivery).where(OutboxDelivery.event_id.in_(ids)))
    session.execute(delete(OutboxEvent).where(OutboxEvent.person_id == person.id))
