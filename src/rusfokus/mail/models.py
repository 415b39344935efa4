"""The e-mail queue (migration 0008_mail): one row per logical message.

A row never holds the message text or the personal link: both are made from
the person, the temadag and the settings at the moment of sending (so a link
is never stored, and a person who left or was revoked in the meantime is
never mailed). ``key`` is the idempotency key of the logical message
(``link:<person>:<n>``, ``invite:<temadag>:<person>``,
``reminder:<person>:<module>:<expires_on>``): the unique index makes a second
request for the same message a no-op, also between processes.

Status: ``queued`` → ``claimed`` (a worker took it; nothing sent yet) →
``sending`` (the DATA command may have started) → ``sent``. A refusal puts it
back to ``queued`` (later try) or ``failed``; ``cancelled`` when the person
may not be mailed any more; ``uncertain`` when a worker stopped while the
message was ``sending``: the SMTP server may have it, so it is never sent
again by itself (see ``rusfokus.mail.worker``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from rusfokus.db import Base

KIND_LINK, KIND_INVITATION, KIND_REMINDER = "link", "invitation", "reminder"
KINDS = (KIND_LINK, KIND_INVITATION, KIND_REMINDER)

QUEUED, CLAIMED, SENDING, SENT = "queued", "claimed", "sending", "sent"
FAILED, UNCERTAIN, CANCELLED = "failed", "uncertain", "cancelled"
PENDING = (QUEUED, CLAIMED, SENDING)
STATUSES = (QUEUED, CLAIMED, SENDING, SENT, FAILED, UNCERTAIN, CANCELLED)


class MailMessage(Base):
    __tablename__ = "mail_message"
    __table_args__ = (Index("ix_mail_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    temadag_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # no FK: deleting a temadag cancels
    module: Mapped[str] = mapped_column(String(100), default="")
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # every try (back-off)
    refusals: Mapped[int] = mapped_column(Integer, default=0)  # 4xx refusals of this message (max attempts)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    claimed_by: Mapped[str] = mapped_column(String(200), default="")  # host:pid of the worker
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    message_id: Mapped[str] = mapped_column(String(200))  # Message-ID header, fixed when queued
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(200), default="")
