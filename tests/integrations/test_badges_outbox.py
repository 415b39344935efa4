"""Open Badges 3.0 from the outbox (issue 18, deliverable 1: every integration subscribes to the one
completion event): a pass issues the kursusbevis's credential when the event is delivered, a repeated
delivery issues nothing twice, a renewed kursusbevis gets its own credential, and the subscriber is off
until the issuer has a key (then it catches up on the events from before). Real SQLite migrated by Alembic,
the real dispatcher, openbadgeslib signing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import jwt
from sqlalchemy import func, select

from rusfokus.db import session_scope
from rusfokus.integrations import dispatch
from rusfokus.integrations.badges.keys import create_key
from rusfokus.integrations.badges.models import BadgeCredential
from rusfokus.migrations import upgrade
from rusfokus.outbox import emit
from rusfokus.outbox.models import OutboxDelivery
from rusfokus.progress.certificates import issue as issue_certificate
from rusfokus.progress.hooks import find_or_create_person, on_graded
from rusfokus.settings import Settings

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

EMAIL = "birthe.badgesen@eksempel-kommune.example"


def _settings(tmp_path) -> Settings:
    settings = Settings.from_env({"RUSFOKUS_HOME": str(tmp_path), "RUSFOKUS_BADGES_URL": "https://kursus.example"})
    upgrade(settings.db_url)
    return settings


def _credentials(settings) -> list[tuple[str, dt.date]]:
    with session_scope(settings.db_url) as s:
        return [(r.module, r.valid_until) for r in s.scalars(select(BadgeCredential).order_by(BadgeCredential.id))]


def _badge_rows(settings) -> dict[str, int]:
    with session_scope(settings.db_url) as s:
        rows = s.execute(
            select(OutboxDelivery.status, func.count())
            .where(OutboxDelivery.subscriber == "open-badges")
            .group_by(OutboxDelivery.status)
        )
        return dict(rows.all())


def test_a_pass_issues_the_credential_once_and_a_key_made_later_catches_up(tmp_path):
    settings = _settings(tmp_path)
    passed_at = dt.datetime.now().replace(microsecond=0) - dt.timedelta(days=2)
    on_graded(EMAIL, "opsporing", 9, 10, True, passed_at, db_url=settings.db_url, secret=TEST_SECRET)

    # no key yet: the subscriber is off, nothing is issued, nothing is lost
    dispatch.run_deliveries(settings)
    assert _badge_rows(settings) == {} and _credentials(settings) == []

    with session_scope(settings.db_url) as s:
        create_key(s, settings.home)
    dispatch.run_deliveries(settings)
    assert _badge_rows(settings) == {"delivered": 1}
    [(module, valid_until)] = _credentials(settings)
    assert module == "opsporing" and valid_until > dt.date.today()

    # the credential is the signed OB 3.0 one the learner downloads (same row: issued once)
    with session_scope(settings.db_url) as s:
        token = s.scalar(select(BadgeCredential.token))
    claims = jwt.decode(token, options={"verify_signature": False})
    vc = claims.get("vc", claims)
    assert "OpenBadgeCredential" in vc["type"]

    # delivered again (a stale claim taken back, a retry): the stored credential, not a second one
    with session_scope(settings.db_url) as s:
        s.execute(OutboxDelivery.__table__.update().values(status="failed", next_attempt_at=dt.datetime(2000, 1, 1)))
    dispatch.run_deliveries(settings)
    assert len(_credentials(settings)) == 1


def test_a_renewed_kursusbevis_gets_its_own_credential(tmp_path):
    settings = _settings(tmp_path)
    with session_scope(settings.db_url) as s:
        create_key(s, settings.home)
    passed_at = dt.datetime.now().replace(microsecond=0) - dt.timedelta(days=400)
    on_graded(EMAIL, "dobbeltdiagnose", 8, 10, True, passed_at, db_url=settings.db_url, secret=TEST_SECRET)
    dispatch.run_deliveries(settings)
    first = _credentials(settings)
    assert len(first) == 1
    # the refresher loop renews: a new kursusbevis with a later expiry, and the "renewed" event
    with session_scope(settings.db_url) as s:
        person = find_or_create_person(s, EMAIL, passed_at)
        cert = issue_certificate(s, person, "dobbeltdiagnose", dt.date.today(), 24)
        emit(
            s,
            kind="renewed",
            person_id=person.id,
            module="dobbeltdiagnose",
            occurred_at=dt.datetime.now(),
            ref=f"renew:{cert.id}",
        )
    dispatch.run_deliveries(dataclasses.replace(settings))
    both = _credentials(settings)
    assert len(both) == 2 and both[1][1] > first[0][1]
