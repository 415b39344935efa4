"""Migration 0012_badges and the badge tables on SQLite and a real PostgreSQL 15: upgrade, issue,
revoke, the signed status list, GDPR erasure, and downgrade to 0011 and back."""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import os
from datetime import datetime, timedelta

import pytest
from alembic import command
from openbadgeslib.ob3 import decode_encoded_list
from sqlalchemy import inspect, select

from rusfokus.db import make_engine, session_scope
from rusfokus.gdpr import delete_person
from rusfokus.integrations.badges import issue, keys
from rusfokus.integrations.badges.models import BadgeCredential
from rusfokus.migrations import alembic_config, upgrade
from rusfokus.progress.certificates import latest
from rusfokus.progress.hooks import record_result
from rusfokus.progress.models import Person
from rusfokus.settings import Settings

from helpers.postgres import PG_BIN, as_pg

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

EMAIL = "sofie.lund@eksempel-kommune.example"
_counter = itertools.count()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'badges.db'}"
    port = request.getfixturevalue("pg_server")
    name = f"rf_badges_{os.getpid()}_{next(_counter)}"
    as_pg([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name])
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"


def bit(token: str, index: int) -> bool:
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    bits = decode_encoded_list(payload["credentialSubject"]["encodedList"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def test_migration_issue_revoke_erase_and_downgrade(db_url, tmp_path):
    upgrade(db_url)
    settings = dataclasses.replace(
        Settings.from_env({"RUSFOKUS_HOME": str(tmp_path)}), db_url=db_url, badges_url="https://kursus.example.dk"
    )
    with session_scope(db_url) as s:
        keys.create_key(s, tmp_path)
        record_result(s, EMAIL, "opsporing", 9, 10, True, datetime.now() - timedelta(days=2), 24, secret=TEST_SECRET)
    with session_scope(db_url) as s:
        person = s.scalar(select(Person).where(Person.email == EMAIL))
        row = issue.issue_for(s, settings, person, latest(s, person, "opsporing"), "Eksempel Kommune")
        index, cid = row.status_index, row.credential_id
        assert keys.issuer_id(settings) == "did:web:kursus.example.dk:badges"
        assert not bit(issue.status_list_jwt(s, settings), index)
    with session_scope(db_url) as s:
        delete_person(s, EMAIL, secret=TEST_SECRET)
    with session_scope(db_url) as s:
        assert bit(issue.status_list_jwt(s, settings), index)
        row = s.scalar(select(BadgeCredential).where(BadgeCredential.credential_id == cid))
        assert row.token is None and row.person_id is None and row.revoked_at is not None

    cfg = alembic_config(db_url)
    command.downgrade(cfg, "0011_outbox")
    engine = make_engine(db_url)
    assert not {"badge_key", "badge_credential"} & set(inspect(engine).get_table_names())
    engine.dispose()
    command.upgrade(cfg, "head")
    engine = make_engine(db_url)
    assert {"badge_key", "badge_credential"} <= set(inspect(engine).get_table_names())
    engine.dispose()
