"""xAPI to a REAL Learning Record Store on loopback: Ralph (ralph-malph 5, FS backend, `make lrs`).

Completion events go through the outbox and the dispatcher into the LRS and are queried back; a
resend keeps one statement per id; an LRS that answers 500, hangs or is down gets the delivery
marked failed with the reason, tried again later, and delivered when it is back: nothing lost.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import subprocess
import time

import pytest
from sqlalchemy import select, update

from rusfokus.db import session_scope
from rusfokus.integrations import dispatch, xapi
from rusfokus.migrations import upgrade
from rusfokus.outbox.models import OutboxDelivery
from rusfokus.progress.hooks import record_result
from rusfokus.settings import Settings

from helpers.lrs import KEY, SECRET, FaultyProxy, Ralph
from helpers.paths import ROOT, free_port

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

pytestmark = pytest.mark.slow  # starts a server (the LRS)

AT = dt.datetime(2027, 3, 1, 10, 0)
BASE = "https://rusfokus.eksempel-kommune.example"


@pytest.fixture(scope="module")
def ralph(tmp_path_factory):
    lrs = Ralph(tmp_path_factory.mktemp("ralph")).start()
    yield lrs
    lrs.stop()


@pytest.fixture
def proxy(ralph):
    p = FaultyProxy(ralph.port)
    yield p
    p.close()


def make_settings(tmp_path, endpoint: str, **env) -> Settings:
    values = {
        "RUSFOKUS_ROOT": str(ROOT),
        "RUSFOKUS_HOME": str(tmp_path / "home"),
        "RUSFOKUS_BASE_URL": BASE,
        "RUSFOKUS_XAPI_ENDPOINT": endpoint,
        "RUSFOKUS_XAPI_KEY": KEY,
        "RUSFOKUS_XAPI_SECRET": SECRET,
        "RUSFOKUS_XAPI_TIMEOUT": "2",
        "RUSFOKUS_INTEGRATIONS_RETRY_SECONDS": "60",
        **env,
    }
    settings = Settings.from_env(values)
    settings.ensure_home()
    upgrade(settings.db_url)
    return settings


def mine(ralph, email: str) -> list[dict]:
    return [s for s in ralph.statements() if s["actor"].get("mbox") == "mailto:" + email]


def rows(settings) -> list[OutboxDelivery]:
    with session_scope(settings.db_url) as s:
        return list(s.scalars(select(OutboxDelivery).order_by(OutboxDelivery.id)))


def test_statements_arrive_in_the_lrs_once(ralph, tmp_path):
    settings = make_settings(tmp_path, ralph.url)
    email = f"anna.{tmp_path.name[-12:].lower()}@eksempel-kommune.example"
    with session_scope(settings.db_url) as s:
        record_result(s, email, "opsporing", 8, 10, True, AT, 24, secret=TEST_SECRET)
        record_result(s, email, "opsporing", 3, 10, False, AT - dt.timedelta(days=1), 24, secret=TEST_SECRET)
    result = dispatch.run_deliveries(settings, now_fn=lambda: AT)
    assert (result.delivered, result.failed, result.added) == (2, 0, 2), result.summary()
    got = mine(ralph, email)
    verbs = sorted(s["verb"]["id"].rsplit("/", 1)[1] for s in got)
    assert verbs == ["completed", "failed", "passed"]
    passed = next(s for s in got if s["verb"]["id"].endswith("/passed"))
    assert passed["object"]["id"] == f"{BASE}/xapi/activities/opsporing"
    assert passed["result"]["success"] is True and passed["result"]["score"]["scaled"] == 0.8
    assert passed["result"]["score"]["raw"] == 8 and passed["result"]["score"]["max"] == 10
    assert passed["context"]["platform"] == "rusfokus"
    assert "Eksempel" in passed["context"]["extensions"][f"{BASE}/xapi/extensions/kommune"]
    assert "name" not in passed["actor"]  # her name never leaves rusfokus
    failed = next(s for s in got if s["verb"]["id"].endswith("/failed"))
    assert failed["result"]["success"] is False
    assert all(r.status == "delivered" and r.attempts == 1 for r in rows(settings))

    # The same event again: a worker killed after the LRS stored it (its claim is stale), so it is sent
    # once more; the statement ids are derived from the event, so the LRS keeps one copy.
    dead = subprocess.Popen(["true"])
    dead.wait()
    with session_scope(settings.db_url) as s:
        s.execute(
            update(OutboxDelivery).values(
                status="claimed", claim_token="x", claimed_by=f"{socket.gethostname()}:{dead.pid}", claimed_at=AT
            )
        )
    again = dispatch.run_deliveries(settings, now_fn=lambda: AT + dt.timedelta(seconds=5))
    assert (again.requeued_stale, again.delivered) == (2, 2), again.summary()
    assert sorted(s["id"] for s in mine(ralph, email)) == sorted(s["id"] for s in got)
    assert all(r.attempts == 2 and r.status == "delivered" for r in rows(settings))
    # nothing is delivered twice by the worker itself
    assert dispatch.run_deliveries(settings, now_fn=lambda: AT + dt.timedelta(hours=1)).delivered == 0


def test_lrs_answering_500_then_back(ralph, proxy, tmp_path):
    settings = make_settings(tmp_path, proxy.url)
    email = f"bo.{tmp_path.name[-12:].lower()}@eksempel-kommune.example"
    with session_scope(settings.db_url) as s:
        record_result(s, email, "unge", 9, 10, True, AT, 24, secret=TEST_SECRET)
        record_result(s, email, "mi", 9, 10, True, AT, 24, secret=TEST_SECRET)
    proxy.mode = "500"
    result = dispatch.run_deliveries(settings, now_fn=lambda: AT)
    assert (result.delivered, result.failed) == (0, 1)  # the second waits: the LRS is failing
    assert "answered 500" in result.waiting["xapi"]
    first, second = rows(settings)
    assert first.status == "failed" and first.attempts == 1
    assert "answered 500" in first.last_error and "database is on fire" in first.last_error
    assert first.next_attempt_at == AT + dt.timedelta(seconds=60)
    assert second.status == "pending" and second.attempts == 0
    assert proxy.requests == 1

    proxy.mode = "pass"  # back, but the failed one is not due yet: only the waiting one goes
    result = dispatch.run_deliveries(settings, now_fn=lambda: AT + dt.timedelta(seconds=30))
    assert (result.delivered, result.failed) == (1, 0)
    proxy.mode = "500"
    result = dispatch.run_deliveries(settings, now_fn=lambda: AT + dt.timedelta(seconds=61))
    first = rows(settings)[0]
    assert first.attempts == 2 and first.next_attempt_at == AT + dt.timedelta(seconds=61 + 120)  # doubling
    proxy.mode = "pass"
    result = dispatch.run_deliveries(settings, now_fn=lambda: AT + dt.timedelta(seconds=200))
    assert result.delivered == 1
    assert [r.status for r in rows(settings)] == ["delivered", "delivered"]
    assert len(mine(ralph, email)) == 4  # completed + passed for each module: nothing lost, nothing twice


def test_lrs_that_hangs_or_is_down(ralph, proxy, tmp_path):
    settings = make_settings(tmp_path, proxy.url, RUSFOKUS_XAPI_TIMEOUT="1")
    email = f"cy.{tmp_path.name[-12:].lower()}@eksempel-kommune.example"
    with session_scope(settings.db_url) as s:
        for n in range(3):
            record_result(s, email, "opsporing", n, 10, False, AT + dt.timedelta(minutes=n), 24, secret=TEST_SECRET)
    proxy.mode = "hang"
    started = time.monotonic()
    result = dispatch.run_deliveries(settings, now_fn=lambda: AT)
    assert time.monotonic() - started < 5  # one timeout per run, not one per waiting event
    assert (result.delivered, result.failed) == (0, 1)
    assert "did not answer within 1 s" in rows(settings)[0].last_error
    proxy.release.set()

    down = dataclasses.replace(settings, xapi_endpoint=f"http://127.0.0.1:{free_port()}/xAPI/")
    result = dispatch.run_deliveries(down, now_fn=lambda: AT + dt.timedelta(hours=2))
    assert result.failed == 1 and "cannot reach the LRS" in rows(settings)[0].last_error

    proxy.mode = "pass"
    result = dispatch.run_deliveries(settings, now_fn=lambda: AT + dt.timedelta(hours=4))
    assert (result.delivered, result.failed) == (3, 0), result.summary()
    assert len(mine(ralph, email)) == 3
    assert [r.attempts for r in rows(settings)] == [3, 1, 1]


def test_wrong_credentials_say_so_and_never_show_the_secret(ralph, tmp_path, caplog):
    settings = make_settings(
        tmp_path, ralph.url, RUSFOKUS_XAPI_SECRET="forkert-hemmelighed-99", RUSFOKUS_XAPI_TIMEOUT="15"
    )
    with session_scope(settings.db_url) as s:
        record_result(s, "dora@eksempel-kommune.example", "opsporing", 9, 10, True, AT, 24, secret=TEST_SECRET)
    result = dispatch.run_deliveries(settings, now_fn=lambda: AT)
    assert result.failed == 1
    reason = rows(settings)[0].last_error
    assert "refused rusfokus's credentials (401)" in reason
    assert "forkert-hemmelighed-99" not in reason + result.summary() + caplog.text


def test_cli_deliver_and_status(ralph, tmp_path):
    settings = make_settings(tmp_path, ralph.url)
    with session_scope(settings.db_url) as s:
        record_result(s, "eva@eksempel-kommune.example", "opsporing", 9, 10, True, AT, 24, secret=TEST_SECRET)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUSFOKUS_")}
    env |= {
        "RUSFOKUS_ROOT": str(ROOT),
        "RUSFOKUS_HOME": str(tmp_path / "home"),
        "RUSFOKUS_BASE_URL": BASE,
        "RUSFOKUS_XAPI_ENDPOINT": ralph.url,
        "RUSFOKUS_XAPI_KEY": KEY,
        "RUSFOKUS_XAPI_SECRET": SECRET,
    }
    rusfokus = str(ROOT / ".venv" / "bin" / "rusfokus")
    out = subprocess.run([rusfokus, "integrations", "deliver"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "1 delivered" in out.stdout
    out = subprocess.run([rusfokus, "integrations", "status"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "xapi" in out.stdout and "delivered" in out.stdout and SECRET not in out.stdout + out.stderr
    assert xapi.statements_url(settings) in out.stdout


def test_the_servers_worker_delivers_by_itself(ralph, tmp_path):
    """``startup`` (what `rusfokus serve` calls once its loop runs) delivers every poll, with no command."""
    import asyncio

    from rusfokus.integrations import web

    settings = make_settings(tmp_path, ralph.url, RUSFOKUS_INTEGRATIONS_POLL_SECONDS="1")
    email = f"gry.{tmp_path.name[-12:].lower()}@eksempel-kommune.example"

    async def scenario():
        web.startup(settings)
        try:
            await asyncio.sleep(0.5)
            with session_scope(settings.db_url) as s:  # a pass recorded while the server runs
                record_result(s, email, "opsporing", 10, 10, True, dt.datetime.now(), 24, secret=TEST_SECRET)
            for _ in range(60):
                await asyncio.sleep(0.5)
                if [r.status for r in rows(settings)] == ["delivered"]:
                    return
        finally:
            await asyncio.get_running_loop().run_in_executor(None, web.shutdown, settings)

    asyncio.run(scenario())
    assert [r.status for r in rows(settings)] == ["delivered"]
    assert len(mine(ralph, email)) == 2
