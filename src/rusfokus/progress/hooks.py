"""Grading → progress. The grading worker calls ``on_graded`` after each graded submission."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.db import session_scope
from rusfokus.identity.revocation import is_revoked_in
from rusfokus.migrations import upgrade
from rusfokus.outbox import emit
from rusfokus.progress import certificates
from rusfokus.progress.models import STATUS_ACTIVE, STATUS_DELETED, Completion, Person
from rusfokus.progress.roster import NOT_GIVEN, normalise_email
from rusfokus.progress.staff import OrgCache
from rusfokus.settings import Settings

log = logging.getLogger(__name__)
UNLISTED = "Ikke på medarbejderlisten"


def find_or_create_person(session: Session, email: str, now: datetime) -> Person:
    person = session.scalar(select(Person).where(Person.email == email))
    if person is None:
        inst = OrgCache(session).institution(NOT_GIVEN, NOT_GIVEN, UNLISTED)
        person = Person(
            email=email,
            name=email.split("@")[0],
            faggruppe=NOT_GIVEN,
            institution_id=inst.id,
            noegleperson=False,
            status=STATUS_ACTIVE,
            created_at=now,
            updated_at=now,
        )
        session.add(person)
        session.flush()
    return person


def record_result(
    session: Session,
    email: str,
    opgave: str,
    score,
    max_score,
    passed: bool,
    graded_at: datetime,
    months: int,
    *,
    secret: bytes,
) -> dict:
    """Store one graded result; a pass issues (renews) the kursusbevis. Idempotent per graded_at.
    ``secret``: the server's (``load_secret(settings.secret_file)``), to refuse an erased identity."""
    email = normalise_email(email)
    if not email or "@" not in email:
        raise ValueError(f"on_graded: not an e-mail address: {email!r}")

    if is_revoked_in(session, email, secret=secret):
        raise ValueError("on_graded: this identity was erased (revoked); result not recorded")
    person = find_or_create_person(session, email, graded_at)
    if person.status == STATUS_DELETED:
        raise ValueError("on_graded: person was deleted")
    done = session.scalar(
        select(Completion).where(
            Completion.person_id == person.id, Completion.module == opgave, Completion.completed_at == graded_at
        )
    )
    if done is None:
        session.add(
            Completion(
                person_id=person.id,
                module=opgave,
                kind="modul",
                score=None if score is None else float(score),
                max_score=None if max_score is None else float(max_score),
                passed=bool(passed),
                completed_at=graded_at,
            )
        )
        session.flush()
    emit(  # one completion event for the integrations, in this transaction (issue 18)
        session,
        kind="passed" if passed else "failed",
        person_id=person.id,
        module=opgave,
        occurred_at=graded_at,
        ref=f"modul:{person.id}:{opgave}:{graded_at.isoformat()}",
        score=None if score is None else float(score),
        max_score=None if max_score is None else float(max_score),
        passed=bool(passed),
    )
    result = {"person_id": person.id, "module": opgave, "passed": bool(passed), "certificate": None}
    if passed:
        cert = certificates.latest(session, person, opgave)
        if cert is None or cert.issued_on < graded_at.date():
            cert = certificates.issue(session, person, opgave, graded_at.date(), months)
        result["certificate"] = cert.code
    return result


def on_graded(
    email: str,
    opgave: str,
    score,
    max_score,
    passed: bool,
    graded_at: datetime,
    *,
    db_url: str,
    secret: bytes,
    certificate_months: int = Settings.default("certificate_months"),
) -> dict:
    """Record a graded exercise in the progress database ``db_url`` (the setting RUSFOKUS_DB);
    a passed one issues or renews the module's kursusbevis for ``certificate_months``. ``secret``:
    the server's (``load_secret(settings.secret_file)``), to refuse an erased identity."""
    if not db_url:
        raise ValueError("on_graded needs the progress database URL (the setting RUSFOKUS_DB)")
    url = db_url
    upgrade(url)
    if isinstance(graded_at, str):
        graded_at = datetime.fromisoformat(graded_at)
    if graded_at.tzinfo is not None:
        graded_at = graded_at.astimezone().replace(tzinfo=None)
    with session_scope(url) as session:
        result = record_result(
            session, email, opgave, score, max_score, passed, graded_at, certificate_months, secret=secret
        )
    log.info("progress: recorded %s for person #%s (passed=%s)", opgave, result["person_id"], passed)
    return result
