"""Completion events, stored in the same transaction as the result and delivered at least once (issue 18).

``emit(session, kind=..., person_id=..., module=..., occurred_at=..., ref=...)`` writes one
``OutboxEvent`` in the caller's session: it commits or rolls back with the result it reports, so an
event exists exactly when the result does. Idempotent on ``(kind, ref)`` (``INSERT ... ON CONFLICT
DO NOTHING``, so also between two processes at once): ``ref`` names the result, e.g.
``modul:<person>:<module>:<graded_at>`` or ``temadag:<temadag>:<person>:<module>``. Delivery to the
integrations (xAPI, ...) is ``rusfokus.integrations.dispatch``; this package knows none of them.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rusfokus.outbox.models import (
    ATTENDED,
    CLAIMED,
    DELIVERED,
    FAILED,
    FAILED_KIND,
    KINDS,
    PASSED,
    PENDING,
    RENEWED,
    OutboxDelivery,
    OutboxEvent,
)
from rusfokus.progress.models import Person


class OutboxError(ValueError):
    """An event that cannot be stored (English, for the log and the operator)."""


def _naive(at: dt.datetime) -> dt.datetime:
    if not isinstance(at, dt.datetime):
        raise OutboxError(f"occurred_at must be a datetime, not {type(at).__name__}")
    return at.astimezone().replace(tzinfo=None) if at.tzinfo is not None else at


def _number(name: str, value) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OutboxError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise OutboxError(f"{name} must be a finite number >= 0, not {value!r}")
    return number


def _insert(session: Session):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"unsupported database {name}")  # pragma: no cover - only SQLite and PostgreSQL


def emit(
    session: Session,
    *,
    kind: str,
    person_id: int,
    module: str,
    occurred_at: dt.datetime,
    ref: str,
    score: float | None = None,
    max_score: float | None = None,
    passed: bool | None = None,
) -> OutboxEvent:
    """Store one completion event in the caller's transaction and return it (the existing one when
    ``(kind, ref)`` was emitted before). ``kind``: ``passed``, ``failed``, ``renewed`` or ``attended``.
    Raises ``OutboxError`` (a ``ValueError``) on bad input; nothing is written then."""
    if kind not in KINDS:
        raise OutboxError(f"unknown event kind {kind!r}; one of {', '.join(KINDS)}")
    ref = (ref or "").strip()
    if not ref or len(ref) > 200:
        raise OutboxError("ref must be 1-200 characters naming the result (unique per kind)")
    module = (module or "").strip()
    if not module or len(module) > 100:
        raise OutboxError("module must be 1-100 characters")
    if not isinstance(person_id, int) or isinstance(person_id, bool) or person_id <= 0:
        raise OutboxError(f"person_id must be a positive integer, not {person_id!r}")
    occurred_at = _naive(occurred_at)
    score, max_score = _number("score", score), _number("max_score", max_score)
    if passed is not None and not isinstance(passed, bool):
        raise OutboxError(f"passed must be True, False or None, not {passed!r}")
    values = {
        "uid": str(uuid.uuid4()),
        "kind": kind,
        "ref": ref,
        "person_id": person_id,
        "module": module,
        "occurred_at": occurred_at,
        "score": score,
        "max_score": max_score,
        "passed": passed,
        "created_at": dt.datetime.now(),
    }
    stmt = _insert(session)(OutboxEvent).values(**values).on_conflict_do_nothing(index_elements=["kind", "ref"])
    session.execute(stmt)
    event = session.scalars(select(OutboxEvent).where(OutboxEvent.kind == kind, OutboxEvent.ref == ref)).one()
    if event.person_id != person_id or event.module != module:
        raise OutboxError(f"event {kind} {ref!r} exists for another person or module; ref must name one result")
    return event


@dataclass(frozen=True)
class EventData:
    """What a subscriber is handed: the event and who it is about (read just before delivery)."""

    uid: str
    kind: str
    ref: str
    module: str
    occurred_at: dt.datetime
    score: float | None
    max_score: float | None
    passed: bool | None
    person_id: int
    email: str | None
    name: str | None


def snapshot(session: Session, event: OutboxEvent) -> EventData:
    person = session.get(Person, event.person_id)
    return EventData(
        uid=event.uid,
        kind=event.kind,
        ref=event.ref,
        module=event.module,
        occurred_at=event.occurred_at,
        score=event.score,
        max_score=event.max_score,
        passed=event.passed,
        person_id=event.person_id,
        email=person.email if person is not None else None,
        name=person.name if person is not None else None,
    )


def events_of_person(session: Session, person_id: int) -> list[OutboxEvent]:
    return list(session.scalars(select(OutboxEvent).where(OutboxEvent.person_id == person_id).order_by(OutboxEvent.id)))


__all__ = [
    "ATTENDED",
    "CLAIMED",
    "DELIVERED",
    "FAILED",
    "FAILED_KIND",
    "KINDS",
    "PASSED",
    "PENDING",
    "RENEWED",
    "EventData",
    "OutboxDelivery",
    "OutboxError",
    "OutboxEvent",
    "emit",
    "events_of_person",
    "snapshot",
]
