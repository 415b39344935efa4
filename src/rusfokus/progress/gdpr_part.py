"""Progress's part of GDPR export and erasure (``rusfokus.gdpr`` calls it): the person row, her
organisation, completions, kursusbeviser, the pages she read and the audit entries about her.

Erasing keeps anonymous counts: the person row stays without name and e-mail (status
``slettet``), so completions still count in monthly totals and per institution/faggruppe;
kursusbeviser (which carry the name) and the pages she read are deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rusfokus.progress import journey
from rusfokus.progress.certificates import status_of
from rusfokus.progress.models import (
    STATUS_DELETED,
    Afdeling,
    AuditEntry,
    Certificate,
    Completion,
    Forvaltning,
    Institution,
    Person,
)


def _iso(value):
    return value.isoformat() if value is not None else None


def export(session: Session, person: Person) -> dict:
    """``person``, ``organisation``, ``completions``, ``certificates``, ``pages_read``, ``audit_log``."""
    org = session.execute(
        select(Institution.name, Afdeling.name, Forvaltning.name)
        .join(Afdeling, Institution.afdeling_id == Afdeling.id)
        .join(Forvaltning, Afdeling.forvaltning_id == Forvaltning.id)
        .where(Institution.id == person.institution_id)
    ).first()
    completions = session.scalars(
        select(Completion).where(Completion.person_id == person.id).order_by(Completion.completed_at)
    ).all()
    certs = session.scalars(
        select(Certificate).where(Certificate.person_id == person.id).order_by(Certificate.issued_on)
    ).all()
    pages = session.scalars(
        select(journey.PageRead).where(journey.PageRead.person_id == person.id).order_by(journey.PageRead.first_seen_at)
    )
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.target == f"person #{person.id}").order_by(AuditEntry.at)
    ).all()
    return {
        "person": {
            "name": person.name,
            "email": person.email,
            "faggruppe": person.faggruppe,
            "noegleperson": person.noegleperson,
            "status": person.status,
            "created_at": _iso(person.created_at),
            "updated_at": _iso(person.updated_at),
            "left_at": _iso(person.left_at),
        },
        "organisation": dict(zip(("institution", "afdeling", "forvaltning"), org, strict=True)) if org else None,
        "completions": [
            {
                "module": c.module,
                "kind": c.kind,
                "score": c.score,
                "max_score": c.max_score,
                "passed": c.passed,
                "completed_at": _iso(c.completed_at),
            }
            for c in completions
        ],
        "certificates": [
            {
                "module": c.module,
                "issued_on": _iso(c.issued_on),
                "expires_on": _iso(c.expires_on),
                "status": status_of(c.expires_on),
                "code": c.code,
            }
            for c in certs
        ],
        "pages_read": [
            {
                "page": r.page,
                "first_seen_at": _iso(r.first_seen_at),
                "last_seen_at": _iso(r.last_seen_at),
                "read_at": _iso(r.read_at),
            }
            for r in pages
        ],
        "audit_log": [{"at": _iso(a.at), "actor": a.actor, "action": a.action, "detail": a.detail} for a in audit],
    }


def erase(session: Session, person: Person) -> None:
    """Delete her kursusbeviser and pages read; keep the person row for the counts, without
    name, e-mail or nøgleperson flag. Called last: other parts may still need her e-mail."""
    session.execute(delete(Certificate).where(Certificate.person_id == person.id))
    journey.forget(session, person.id)
    person.name = None
    person.email = None
    person.noegleperson = False
    person.status = STATUS_DELETED
    person.updated_at = datetime.now()
