"""The outbox (migration 0011_outbox): one row per completion event, one row per event and subscriber.

``OutboxEvent`` is written by ``rusfokus.outbox.emit`` in the same transaction as the result it
reports (a completion, a renewed kursusbevis, a temadag attendance), so an event exists exactly
when the result does. ``(kind, ref)`` is unique: emitting the same event twice adds nothing.
``uid`` is a random UUID fixed when the event is written; receivers' ids (an xAPI statement id)
are derived from it, so a resend is recognised as the same statement.

``OutboxDelivery`` is written by the dispatcher (``rusfokus.integrations.dispatch``): one row per
event and subscriber that wants the event's kind. Status ``pending`` → ``claimed`` (a worker has it)
→ ``delivered``; a refusal, a timeout or an unreachable receiver makes it ``failed`` with the reason
and ``next_attempt_at`` (exponential back-off); a failed row is tried again when it is due, for ever
(at least once: nothing is dropped). Rows of an erased person are deleted with the person's data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rusfokus.db import Base

PASSED, FAILED_KIND, RENEWED, ATTENDED = "passed", "failed", "renewed", "attended"
KINDS = (PASSED, FAILED_KIND, RENEWED, ATTENDED)

PENDING, CLAIMED, DELIVERED, FAILED = "pending", "claimed", "delivered", "failed"
STATUSES = (PENDING, CLAIMED, DELIVERED, FAILED)


class OutboxEvent(Base):
    __tablename__ = "outbox_event"
    __table_args__ = (
        UniqueConstraint("kind", "ref", name="uq_outbox_event_kind_ref"),
        UniqueConstraint("uid", name="uq_outbox_event_uid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    module: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class OutboxDelivery(Base):
    __tablename__ = "outbox_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "subscriber", name="uq_outbox_delivery_event_subscriber"),
        Index("ix_outbox_delivery_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_event.id", ondelete="CASCADE"), index=True)
    subscriber: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    claim_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    claimed_by: Mapped[str] = mapped_column(String(200), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
