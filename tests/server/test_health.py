"""GET /healthz (issue 19): the copy's name, version, uptime and a real database check.

Unit level: an in-process tornado Application with only the health route, against SQLite, a PostgreSQL
port where nothing listens, a port that accepts but never answers, and a real PostgreSQL (the session's).
Over HTTP: the session's `rusfokus serve`."""

from __future__ import annotations

import json
import socket
import time
import urllib.request

import pytest
import tornado.web
from tornado.testing import AsyncHTTPTestCase

from rusfokus import __version__
from rusfokus.server.health import routes
from rusfokus.settings import Settings

from helpers.paths import free_port

PASSWORD = "hemmelig-pw-4711"
FIELDS = {"status", "copy", "version", "uptime_seconds", "database"}


def _app(tmp_path, db_url: str, **extra) -> tornado.web.Application:
    settings = Settings.from_env({}, root=str(tmp_path), home=str(tmp_path / "home"), db_url=db_url, **extra)
    return tornado.web.Application(routes(settings))


class _Health(AsyncHTTPTestCase):
    db_url = ""
    extra: dict = {}

    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path):
        self.tmp_path = tmp_path

    def get_app(self):
        return _app(self.tmp_path, self.db_url.format(tmp=self.tmp_path), **self.extra)

    def health(self):
        started = time.monotonic()
        r = self.fetch("/healthz", raise_error=False)
        self.seconds = time.monotonic() - started
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.headers["Cache-Control"] == "no-store"
        body = r.body.decode()
        assert PASSWORD not in body
        return r.code, json.loads(body)


class TestSqliteOk(_Health):
    db_url = "sqlite:///{tmp}/rf.db"
    extra = {"copy_name": "kommune-a-0"}

    def test_ok_names_the_copy_version_and_uptime(self):
        code, body = self.health()
        assert code == 200
        assert set(body) == FIELDS
        assert body["status"] == "ok" and body["copy"] == "kommune-a-0" and body["version"] == __version__
        assert body["uptime_seconds"] >= 0
        assert body["database"]["state"] == "ok" and body["database"]["dialect"] == "sqlite"
        assert "reason" not in body["database"]


class TestPostgresNobodyListens(_Health):
    def get_app(self):
        port = free_port()  # nothing listens there
        return _app(self.tmp_path, f"postgresql+psycopg://rf:{PASSWORD}@127.0.0.1:{port}/rusfokus")

    def test_unreachable_database_is_503_with_an_english_reason_and_no_password(self):
        code, body = self.health()
        assert code == 503
        assert set(body) == FIELDS
        assert body["status"] == "unavailable"
        db = body["database"]
        assert db["state"] == "unavailable" and db["dialect"] == "postgresql"
        assert "refused" in db["reason"].lower() or "connect" in db["reason"].lower(), db["reason"]
        # default copy name: hostname:pid of this process
        assert body["copy"].endswith(f":{__import__('os').getpid()}")

    def test_liveness_does_not_ask_the_database(self):
        r = self.fetch("/healthz?probe=live")
        body = json.loads(r.body)
        assert r.code == 200 and body["status"] == "ok" and body["database"] == {"state": "not checked"}


class TestPostgresSilent(_Health):
    """A port that accepts the connection (the kernel's backlog) but never answers: the check gives up."""

    def get_app(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        port = self.sock.getsockname()[1]
        return _app(self.tmp_path, f"postgresql+psycopg://rf:{PASSWORD}@127.0.0.1:{port}/rusfokus")

    def tearDown(self):
        super().tearDown()
        self.sock.close()

    def test_a_database_that_never_answers_is_503_within_a_few_seconds(self):
        code, body = self.health()
        assert code == 503 and body["database"]["state"] == "unavailable"
        assert self.seconds < 5, self.seconds
        assert body["database"]["reason"]


@pytest.mark.postgres
def test_real_postgres_is_ok(pg_server, tmp_path):
    class Case(_Health):
        def get_app(self):
            return _app(tmp_path, f"postgresql+psycopg://postgres@127.0.0.1:{pg_server}/postgres")

        def runTest(self):
            code, body = self.health()
            assert code == 200, body
            assert body["database"] == {"state": "ok", "dialect": "postgresql", "ms": body["database"]["ms"]}

    case = Case()
    case.setUp()
    try:
        case.runTest()
    finally:
        case.tearDown()


def test_healthz_of_the_running_server(server):
    """Over HTTP against the session's `rusfokus serve`: no login, 200, the JSON fields, no cookie set."""
    with urllib.request.urlopen(server.url + "/healthz", timeout=10) as r:
        assert r.status == 200
        assert r.headers.get("Set-Cookie") is None
        body = json.loads(r.read().decode())
    assert set(body) == FIELDS
    assert body["status"] == "ok" and body["database"]["state"] == "ok"
    assert body["version"] == __version__
    host, pid = body["copy"].rsplit(":", 1)
    assert host == socket.gethostname() and pid.isdigit() and int(pid) == server.process.pid
