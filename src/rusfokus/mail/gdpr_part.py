"""Mail's part of GDPR export and erasure (``rusfokus.gdpr`` calls it): the mails queued for her.

The queue holds no address (it is read from the staff list when a mail is sent), only the
person id, the kind and what happened; the rows stay for the counts. What is still queued is
never sent: the worker checks the person again before sending and cancels mail to an erased
person (audit ``mail.cancelled``). Erasing removes the SMTP server's last error text of her
mails, which can quote her address ("550 <anna@...>: unknown user").
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rusfokus.mail.models import MailMessage
from rusfokus.progress.models import Person


def _iso(value):
    return value.isoformat() if value is not None else None


def export(session: Session, person: Person) -> dict:
    """``mails``: each mail queued for her (kind, status, when queued and sent, the last error)."""
    rows = session.scalars(select(MailMessage).where(MailMessage.person_id == person.id).order_by(MailMessage.id))
    return {
        "mails": [
            {
                "kind": m.kind,
                "status": m.status,
                "module": m.module,
                "queued_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
                "last_error": m.last_error,
            }
            for m in rows
        ]
    }


def erase(session: Session, person: Person) -> None:
    """Clear the error texts of her mails (they can quote her address); statuses stay."""
    session.execute(
        update(MailMessage)
        .where(MailMessage.person_id == person.id, MailMessage.last_error != "")
        .values(last_error="")
    )
