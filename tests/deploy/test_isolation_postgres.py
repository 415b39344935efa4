"""Two municipalities on one PostgreSQL server (issue 19): each release's database and user, as named in its
Secret (deploy/kubernetes/<kommune>/rusfokus.yaml), on a real PostgreSQL 15. A municipality's user cannot even
connect to the other's database, its copy sees only its own staff, and /healthz of a copy given the other's
database says so (503, permission denied)."""

from __future__ import annotations

import datetime as dt
import json

import psycopg
import pytest
import tornado.web
import yaml
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from tornado.testing import AsyncHTTPTestCase

from rusfokus.db import session_scope
from rusfokus.migrations import upgrade
from rusfokus.progress.models import Person
from rusfokus.server.health import routes
from rusfokus.settings import Settings

from helpers.paths import ROOT

pytestmark = pytest.mark.postgres

KOMMUNER = ("kommune-a", "kommune-b")


def secret_url(kommune: str) -> tuple[str, str]:
    """(user, database) of the municipality's RUSFOKUS_DB in its Secret."""
    text = (ROOT / "deploy" / "kubernetes" / kommune / "rusfokus.yaml").read_text(encoding="utf-8")
    (secret,) = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "Secret"]
    raw = secret["stringData"]["db-url"]
    user = raw.split("://", 1)[1].split(":", 1)[0]
    return user, raw.rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def tenants(pg_server):
    """The two databases, each owned by its own role, CONNECT revoked from everyone else."""
    admin = psycopg.connect(f"host=127.0.0.1 port={pg_server} user=postgres dbname=postgres", autocommit=True)
    urls = {}
    for kommune in KOMMUNER:
        user, db = secret_url(kommune)
        admin.execute(f'DROP DATABASE IF EXISTS "{db}"')
        admin.execute(f'DROP ROLE IF EXISTS "{user}"')
        admin.execute(f'CREATE ROLE "{user}" LOGIN')
        admin.execute(f'CREATE DATABASE "{db}" OWNER "{user}"')
        admin.execute(f'REVOKE ALL ON DATABASE "{db}" FROM PUBLIC')
        urls[kommune] = f"postgresql+psycopg://{user}@127.0.0.1:{pg_server}/{db}"
        upgrade(urls[kommune])
    yield urls
    admin.close()


def test_each_municipality_sees_only_its_own_database(tenants):
    a, b = tenants["kommune-a"], tenants["kommune-b"]
    now = dt.datetime(2026, 12, 1, 9, 0)
    with session_scope(a) as s:
        s.add(Person(email="aase.fiktiv@avnsoe.example", name="Aase Fiktiv", created_at=now, updated_at=now))
    with session_scope(a) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1
    with session_scope(b) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0
    # kommune-a's user on kommune-b's database: refused at connect
    other = make_url(b).set(username=make_url(a).username)
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(
            host=other.host, port=other.port, user=other.username, dbname=other.database, connect_timeout=5
        ).close()


def healthz(url: str, name: str, home) -> tuple[int, dict]:
    """GET /healthz of an in-process copy named ``name`` whose database is ``url``."""
    out = {}

    class Case(AsyncHTTPTestCase):
        def get_app(self):
            settings = Settings.from_env({}, root=str(home), home=str(home / name), db_url=url, copy_name=name)
            return tornado.web.Application(routes(settings))

        def runTest(self):
            r = self.fetch("/healthz", raise_error=False)
            out["reply"] = (r.code, json.loads(r.body))

    case = Case()
    case.setUp()
    try:
        case.runTest()
    finally:
        case.tearDown()
    return out["reply"]


def test_healthz_of_two_copies_with_their_own_and_the_wrong_database(tenants, tmp_path):
    a, b = tenants["kommune-a"], tenants["kommune-b"]
    wrong = make_url(b).set(username=make_url(a).username).render_as_string(hide_password=False)
    code, body = healthz(a, "kommune-a-0", tmp_path)
    assert code == 200 and body["copy"] == "kommune-a-0" and body["database"]["state"] == "ok"
    code, body = healthz(b, "kommune-b-0", tmp_path)
    assert code == 200 and body["copy"] == "kommune-b-0" and body["database"]["state"] == "ok"
    code, body = healthz(wrong, "kommune-a-forkert", tmp_path)
    assert code == 503 and "permission denied" in body["database"]["reason"], body
