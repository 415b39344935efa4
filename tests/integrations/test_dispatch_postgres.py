"""The outbox and its delivery claims on a real PostgreSQL 15: two workers at once deliver each event
exactly once per run, and two processes emitting the same event store it once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading

import pytest
from sqlalchemy import func, select

from rusfokus.db import session_scope
from rusfokus.integrations import dispatch
from rusfokus.migrations import upgrade
from rusfokus.outbox import emit
from rusfokus.outbox.models import OutboxDelivery, OutboxEvent
from rusfokus.progress.hooks import record_result
from rusfokus.settings import Settings

from helpers.lrs import RecordingLRS, race
from helpers.paths import ROOT
from helpers.postgres import PG_BIN, as_pg

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

pytestmark = pytest.mark.postgres
AT = dt.datetime(2027, 3, 1, 10, 0)


@pytest.fixture
def pg_url(pg_server):
    name = f"rf_outbox_{os.getpid()}"
    as_pg([str(PG_BIN / "dropdb"), "--if-exists", "-h", "127.0.0.1", "-p", str(pg_server), "-U", "postgres", name])
    as_pg([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg_server), "-U", "postgres", name])
    url = f"postgresql+psycopg://postgres@127.0.0.1:{pg_server}/{name}"
    upgrade(url)
    return url


def test_claims_and_emits_on_postgresql(pg_url, tmp_path):
    with RecordingLRS() as lrs:
        settings = Settings.from_env(
            {
                "RUSFOKUS_ROOT": str(ROOT),
                "RUSFOKUS_HOME": str(tmp_path / "home"),
                "RUSFOKUS_BASE_URL": "https://rusfokus.eksempel-kommune.example",
                "RUSFOKUS_XAPI_ENDPOINT": lrs.endpoint,
                "RUSFOKUS_XAPI_KEY": "rusfokus",
                "RUSFOKUS_XAPI_SECRET": "hemmelig",
            }
        )
        settings = dataclasses.replace(settings, db_url=pg_url)
        with session_scope(pg_url) as s:
            pids = [
                record_result(
                    s, f"p{n}@eksempel-kommune.example", "opsporing", 5, 10, False, AT, 24, secret=TEST_SECRET
                )["person_id"]
                for n in range(10)
            ]

        def emit_same():  # two transactions emitting the same event at the same moment
            with session_scope(pg_url) as s:
                emit(s, kind="renewed", person_id=pids[0], module="opsporing", occurred_at=AT, ref="renew:pg-1")

        racers = [threading.Thread(target=emit_same) for _ in range(4)]
        for t in racers:
            t.start()
        for t in racers:
            t.join(30)
        with session_scope(pg_url) as s:
            assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.ref == "renew:pg-1")) == 1

        results = race(lambda: dispatch.run_deliveries(settings, now_fn=lambda: AT), 3)
        assert sum(r.delivered for r in results) == 11
        assert len(lrs.hits) == len(set(lrs.hits)) == 10 * 1 + 2  # ten failed (1 statement), one renewal (2)
        with session_scope(pg_url) as s:
            assert {d.status for d in s.scalars(select(OutboxDelivery))} == {"delivered"}
            assert s.scalar(select(func.count()).select_from(OutboxDelivery)) == 11
