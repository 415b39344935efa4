"""Proof of effect on PostgreSQL 15: migration 0010, the idempotent practice counts (also when two
sessions record the same round at once), the report tables and erasure."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from sqlalchemy import func, select

from rusfokus.db import session_scope
from rusfokus.effekt.counts import record_counts
from rusfokus.effekt.models import PracticeCount
from rusfokus.effekt.reports import manager_report
from rusfokus.gdpr import delete_person
from rusfokus.migrations import upgrade
from rusfokus.settings import Settings

from .conftest import staff_groups
from helpers.postgres import PG_BIN, as_pg

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(pg_server):
    name = f"rf_effekt_{os.getpid()}"
    as_pg([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg_server), "-U", "postgres", name])
    url = f"postgresql+psycopg://postgres@127.0.0.1:{pg_server}/{name}"
    upgrade(url)
    return url


def test_effekt_on_postgres(pg_url):
    ids = staff_groups(pg_url, {"Stor": 6, "Lille": 2})
    anna = ids["Lille"][0]
    at = dt.datetime(2026, 10, 1)
    barrier, errors = threading.Barrier(4), []

    def record(n):
        try:
            with session_scope(pg_url) as s:
                barrier.wait(10)
                record_counts(s, anna, samtaler=n, henvisninger=1, at=at, round_ref="samtidig")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with session_scope(pg_url) as s:
        rows = s.scalars(select(PracticeCount).where(PracticeCount.round_ref == "samtidig")).all()
        assert len(rows) == 1 and rows[0].samtaler in range(4)
        tables = manager_report(s, Settings.from_env({"RUSFOKUS_ROOT": "."}), {}, dt.date(2026, 12, 1))
    groups = tables["effekt_selvvurdering"]
    assert list(groups["Forvaltning"]) == ["Øvrige", "I alt"] and list(groups["Personer"]) == [8, 8]
    assert not tables["effekt_maaned"].empty
    with session_scope(pg_url) as s:
        delete_person(s, "lille.1@eksempel-kommune.example", "cli:test", secret=TEST_SECRET)
    with session_scope(pg_url) as s:
        assert s.scalar(select(func.count()).select_from(PracticeCount).where(PracticeCount.person_id == anna)) == 0
