"""GDPR part of the Open Badges 3.0 kursusbeviser (called by ``rusfokus.gdpr``).

Export: the person's credentials (id, module, dates, status). Erase: every credential of hers is
revoked (its status list bit set, so copies she or others hold fail verification), and the token,
the person and the kursusbevis links are cleared; the row keeps only the credential id, the
module, the dates and the set bit. Runs before the progress part, which deletes kursusbeviser.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.integrations.badges.issue import revoke
from rusfokus.integrations.badges.models import REASON_ERASED, BadgeCredential
from rusfokus.progress.models import Person


def _rows(session: Session, person: Person) -> list[BadgeCredential]:
    return list(
        session.scalars(
            select(BadgeCredential).where(BadgeCredential.person_id == person.id).order_by(BadgeCredential.id)
        )
    )


def export(session: Session, person: Person) -> dict:
    return {
        "open_badges": [
            {
                "credential_id": r.credential_id,
                "module": r.module,
                "valid_from": r.valid_from.isoformat(),
                "valid_until": r.valid_until.isoformat(),
                "issued_at": r.issued_at.isoformat(timespec="seconds"),
                "revoked": r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else "",
                "revoked_reason": r.revoked_reason,
                "credential": r.token or "",
            }
            for r in _rows(session, person)
        ]
    }


def erase(session: Session, person: Person) -> None:
    now = datetime.now()
    for row in _rows(session, person):
        revoke(session, row, REASON_ERASED, now)
        if row.revoked_reason != REASON_ERASED:  # already revoked (expired): still erased now
            row.revoked_reason = REASON_ERASED
        row.token = None
        row.person_id = None
        row.certificate_id = None
    session.flush()
