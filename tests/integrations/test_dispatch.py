"""Delivery of outbox events without an LRS: bad settings, claiming, the admin page, GDPR.

(The statements themselves are tested against a real LRS in test_xapi_lrs.py.)"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import tornado.web
from sqlalchemy import select
from tornado.testing import AsyncHTTPTestCase

from rusfokus import gdpr, identity
from rusfokus.db import session_scope
from rusfokus.integrations import dispatch, xapi
from rusfokus.integrations.web import routes
from rusfokus.migrations import upgrade
from rusfokus.outbox import snapshot
from rusfokus.outbox.models import OutboxDelivery, OutboxEvent
from rusfokus.progress.hooks import record_result
from rusfokus.settings import Settings

from helpers.lrs import RecordingLRS, race
from helpers.paths import ROOT, free_port

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

AT = dt.datetime(2027, 3, 1, 10, 0)
SECRET = "meget-hemmelig-lrs-noegle"


def make_settings(tmp_path, **env) -> Settings:
    values = {
        "RUSFOKUS_ROOT": str(ROOT),
        "RUSFOKUS_HOME": str(tmp_path / "home"),
        "RUSFOKUS_BASE_URL": "https://rusfokus.eksempel-kommune.example",
        "RUSFOKUS_XAPI_ENDPOINT": f"http://127.0.0.1:{free_port()}/xAPI/",
        "RUSFOKUS_XAPI_KEY": "rusfokus",
        "RUSFOKUS_XAPI_SECRET": SECRET,
        "RUSFOKUS_XAPI_TIMEOUT": "1",
        **env,
    }
    settings = Settings.from_env(values)
    settings.ensure_home()
    upgrade(settings.db_url)
    return settings


def test_bad_settings_give_clear_english_errors_and_never_the_secret(tmp_path):
    bad = make_settings(
        tmp_path,
        RUSFOKUS_XAPI_ENDPOINT="ftp://lrs.example/xAPI/",
        RUSFOKUS_XAPI_KEY="",
        RUSFOKUS_XAPI_VERSION="2.0",
        RUSFOKUS_XAPI_ACTOR="navn",
    )
    problems = xapi.config_problems(bad)
    text = "\n".join(problems)
    assert "RUSFOKUS_XAPI_ENDPOINT must be the LRS's http(s) address" in text
    assert "RUSFOKUS_XAPI_KEY is empty" in text
    assert "RUSFOKUS_XAPI_VERSION must be one of 1.0.0, 1.0.1, 1.0.2, 1.0.3" in text
    assert "RUSFOKUS_XAPI_ACTOR must be one of mbox, mbox_sha1sum, account" in text
    assert SECRET not in text
    creds = make_settings(tmp_path, RUSFOKUS_XAPI_ENDPOINT=f"https://rf:{SECRET}@lrs.example/xAPI/")
    text = "\n".join(xapi.config_problems(creds))
    assert "must not contain a user or password" in text and SECRET not in text
    missing = make_settings(tmp_path, RUSFOKUS_XAPI_SECRET="", RUSFOKUS_XAPI_SECRET_FILE=str(tmp_path / "nope.txt"))
    assert "cannot read RUSFOKUS_XAPI_SECRET_FILE" in "\n".join(xapi.config_problems(missing))
    assert xapi.config_problems(make_settings(tmp_path)) == []
    assert xapi.config_problems(make_settings(tmp_path, RUSFOKUS_XAPI_ENDPOINT="")) == []  # off

    # wrong settings: nothing is claimed or lost; the run says why
    with session_scope(bad.db_url) as s:
        record_result(s, "anna@eksempel-kommune.example", "opsporing", 9, 10, True, AT, 24, secret=TEST_SECRET)
    result = dispatch.run_deliveries(bad, now_fn=lambda: AT)
    assert result.added == 0 and "RUSFOKUS_XAPI_KEY is empty" in result.waiting["xapi"]
    with session_scope(bad.db_url) as s:
        assert dispatch.undelivered_events(s) == 1


def test_cli_refuses_bad_settings_in_english(tmp_path, monkeypatch, capsys):
    from rusfokus.cli import main

    for key in [k for k in __import__("os").environ if k.startswith("RUSFOKUS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("RUSFOKUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RUSFOKUS_XAPI_ENDPOINT", "lrs.kommune.dk")
    monkeypatch.setenv("RUSFOKUS_XAPI_SECRET", SECRET)
    assert main(["integrations", "deliver"]) == 2
    err = capsys.readouterr().err
    assert "RUSFOKUS_XAPI_ENDPOINT must be the LRS's http(s) address" in err and SECRET not in err
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert "RUSFOKUS_XAPI_SECRET" in out and SECRET not in out


def test_statements_are_deterministic_and_named_by_the_chosen_actor(tmp_path):
    settings = make_settings(tmp_path)
    with session_scope(settings.db_url) as s:
        record_result(s, "bo@eksempel-kommune.example", "opsporing", 12, 10, True, AT, 24, secret=TEST_SECRET)
        event = snapshot(s, s.scalars(select(OutboxEvent)).one())
    one, two = xapi.statements(settings, event), xapi.statements(settings, event)
    assert one == two and len({st["id"] for st in one}) == 2
    assert one[1]["result"]["score"]["scaled"] == 1.0  # clamped to [0, 1]
    acct = xapi.statements(make_settings(tmp_path, RUSFOKUS_XAPI_ACTOR="account"), event)[0]["actor"]
    assert acct == {
        "objectType": "Agent",
        "account": {"homePage": "https://rusfokus.eksempel-kommune.example", "name": f"person-{event.person_id}"},
    }
    hashed = xapi.statements(make_settings(tmp_path, RUSFOKUS_XAPI_ACTOR="mbox_sha1sum"), event)[0]["actor"]
    assert set(hashed) == {"objectType", "mbox_sha1sum"} and "bo@" not in json.dumps(hashed)


@pytest.mark.slow  # measured >= 5 s
def test_two_workers_never_deliver_the_same_row_at_once(tmp_path):
    """Both workers race for every row; each row is sent by exactly one (the claim is one UPDATE)."""
    with RecordingLRS() as lrs:
        settings = make_settings(tmp_path, RUSFOKUS_XAPI_ENDPOINT=lrs.endpoint)
        with session_scope(settings.db_url) as s:
            for n in range(12):
                record_result(
                    s, f"p{n}@eksempel-kommune.example", "opsporing", 5, 10, False, AT, 24, secret=TEST_SECRET
                )
        dispatch.add_deliveries(settings, AT)
        results = race(lambda: dispatch.run_deliveries(settings, now_fn=lambda: AT), 2)
        assert sum(r.delivered for r in results) == 12
        assert len(lrs.hits) == len(set(lrs.hits)) == 12


def test_gdpr_export_and_erase(tmp_path):
    settings = make_settings(tmp_path)
    with session_scope(settings.db_url) as s:
        record_result(s, "cy@eksempel-kommune.example", "opsporing", 9, 10, True, AT, 24, secret=TEST_SECRET)
        record_result(s, "dy@eksempel-kommune.example", "opsporing", 9, 10, True, AT, 24, secret=TEST_SECRET)
    dispatch.run_deliveries(settings, now_fn=lambda: AT)  # the LRS is down: both failed, kept
    with session_scope(settings.db_url) as s:
        data = gdpr.export_person(s, "cy@eksempel-kommune.example")
        assert [e["event"] for e in data["integrations"]] == ["passed"]
        assert data["integrations"][0]["deliveries"][0]["status"] == "failed"
        gdpr.delete_person(s, "cy@eksempel-kommune.example", secret=TEST_SECRET)
    with session_scope(settings.db_url) as s:
        assert len(s.scalars(select(OutboxEvent)).all()) == 1
        assert len(s.scalars(select(OutboxDelivery)).all()) == 1


class StatusPageTest(AsyncHTTPTestCase):
    def setUp(self):
        import tempfile
        from pathlib import Path

        self.tmp = tempfile.TemporaryDirectory()
        self.settings = make_settings(Path(self.tmp.name))
        with session_scope(self.settings.db_url) as s:
            record_result(s, "eva@eksempel-kommune.example", "opsporing", 9, 10, True, AT, 24, secret=TEST_SECRET)
        dispatch.run_deliveries(self.settings, now_fn=lambda: AT)  # nobody listens: failed with the reason
        with session_scope(self.settings.db_url) as s:  # a hostile reason text must be shown as text
            s.execute(OutboxDelivery.__table__.update().values(last_error="<script>alert(1)</script> refused"))
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.tmp.cleanup()

    def get_app(self):
        return tornado.web.Application(routes(self.settings))

    def test_admin_only_and_escaped(self):
        r = self.fetch("/integrationer/", follow_redirects=False)
        assert r.code == 302 and r.headers["Location"].startswith("/login?next=")
        secret = identity.load_secret(self.settings.secret_file)
        cookie = {"Cookie": f"{identity.ADMIN_COOKIE}={identity.admin_token('pia', secret=secret)}"}
        r = self.fetch("/integrationer/", headers=cookie)
        assert r.code == 200
        page = r.body.decode()
        assert "<h1>Integrationer</h1>" in page and "Fejlet" in page and "Bestået" in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; refused" in page and "<script>alert" not in page
        assert "eva@" not in page and SECRET not in page
        assert "slået til" in page


@pytest.mark.parametrize("kind", ["passed", "attended"])
def test_every_kind_has_statements(tmp_path, kind):
    settings = make_settings(tmp_path)
    with session_scope(settings.db_url) as s:
        pid = record_result(s, "fie@eksempel-kommune.example", "opsporing", 1, 10, False, AT, 24, secret=TEST_SECRET)[
            "person_id"
        ]
        from rusfokus.outbox import emit

        e = emit(s, kind=kind, person_id=pid, module="opsporing", occurred_at=AT, ref=f"temadag:7:{pid}:opsporing")
        sts = xapi.statements(settings, snapshot(s, e))
    verbs = [st["verb"]["id"].rsplit("/", 1)[1] for st in sts]
    assert verbs == {"passed": ["completed", "passed"], "attended": ["attended"]}[kind]
    if kind == "attended":
        parent = sts[0]["context"]["contextActivities"]["parent"][0]["id"]
        assert parent.endswith("/xapi/activities/temadag/7")
