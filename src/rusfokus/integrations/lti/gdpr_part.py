"""LTI's part of GDPR export and erasure (``rusfokus.gdpr`` calls it).

``lti_launches``: the LMSs she launched modules from, with her user id there (``sub``) and where
her score goes. Erasing deletes those rows, so no score is sent for her again, and any unused
start ticket made for her e-mail (they expire within minutes anyway).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rusfokus.integrations.lti.models import START, LtiLink, LtiState
from rusfokus.progress.models import Person


def export(session: Session, person: Person) -> dict:
    rows = session.scalars(select(LtiLink).where(LtiLink.person_id == person.id).order_by(LtiLink.id))
    return {
        "lti_launches": [
            {
                "module": r.module,
                "platform": r.issuer,
                "user_id_at_platform": r.subject,
                "grade_book": r.lineitem,
                "last_launched_at": r.launched_at.isoformat(),
            }
            for r in rows
        ]
    }


def erase(session: Session, person: Person) -> None:
    session.execute(delete(LtiLink).where(LtiLink.person_id == person.id))
    if person.email:
        session.execute(delete(LtiState).where(LtiState.kind == START, LtiState.issuer == person.email))
