"""Two copies of `rusfokus serve` on one real PostgreSQL (issue 19.3): the temadag's live room, the logins and
the CSRF values are shared, and a copy killed with SIGKILL loses nothing.

The clients switch to the other copy's port when theirs dies, as HAProxy would. One pair of servers for the
module; the tests run in order (the second kills copy A, the third restarts it)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import threading
import time
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy import func, select

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.identity.admins import add_user
from rusfokus.migrations import upgrade
from rusfokus.progress.models import STATUS_ACTIVE, Person
from rusfokus.progress.staff import OrgCache
from rusfokus.temadag import codes, planning, store
from rusfokus.temadag.models import STATUS_CONFIRMED, TemadagLiveAnswer, TemadagParticipant

from helpers.paths import ROOT
from helpers.server import start_server, stop_server

PASSWORD = "kort-men-hemmelig-4711"
STAFF = {
    "mette": "mette.fiktiv@delt-kommune.example",
    "ole": "ole.fiktiv@delt-kommune.example",
    "sara": "sara.fiktiv@delt-kommune.example",
    "ali": "ali.fiktiv@delt-kommune.example",
    "lene": "lene.fiktiv@delt-kommune.example",
}
WAKE_SECONDS = 1.5
"""A change on one copy reaches a long-poll on the other within this (NOTIFY; the fallback poll is 5 s then)."""


class Cluster:
    def __init__(self, url, secret_file, data, servers):
        self.url, self.secret_file, self.data, self.servers = url, secret_file, data, servers
        self.secret = identity.load_secret(secret_file)
        self.tid = None

    def base(self, name: str) -> str:
        return self.servers[name].url


def _start(data, name, url, secret_file):
    """A copy on a new port each time (the killed copy's orphaned kernels may still hold its old one a while;
    a balancer is told the new address by its health checks)."""
    env = {
        "RUSFOKUS_DB": url,
        "RUSFOKUS_SECRET_FILE": str(secret_file),
        "RUSFOKUS_WIDGETS_DIR": str(data / "widgets"),
        "RUSFOKUS_COURSE_DIR": str(data / "course"),
        "RUSFOKUS_POOL_SIZE": "0",
        "RUSFOKUS_COPY_NAME": name,
    }
    return start_server(data / "book", data / f"home-{name}", env)


@pytest.fixture(scope="module")
def cluster(pg_server, tmp_path_factory):
    data = tmp_path_factory.mktemp("two-copies")
    admin = psycopg.connect(f"host=127.0.0.1 port={pg_server} user=postgres dbname=postgres", autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS temadag_delt")
    admin.execute("CREATE DATABASE temadag_delt")
    admin.close()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{pg_server}/temadag_delt"
    upgrade(url)
    now = dt.datetime.now()
    with session_scope(url) as s:
        inst = OrgCache(s).institution("Børn og Unge", "Dagtilbud", "Børnehuset Fiktiv")
        for name, email in STAFF.items():
            s.add(
                Person(
                    email=email,
                    name=f"{name.title()} Fiktiv",
                    faggruppe="Pædagog",
                    institution_id=inst.id,
                    noegleperson=False,
                    status=STATUS_ACTIVE,
                    created_at=now,
                    updated_at=now,
                )
            )
        add_user(s, "pia", PASSWORD)
        plan = planning.validate_plan(
            {
                "title": "Børn og alkohol",
                "date": dt.date.today().isoformat(),
                "place": "Rådhuset",
                "modules": "opsporing",
                "facilitator": "Pia",
                "institutions": "Børnehuset Fiktiv",
                "counts_toward_module": "nej",
            }
        )
        tid = store.create(s, plan, "pia", now).id
    (data / "book").mkdir()
    (data / "book" / "index.html").write_text("<!doctype html><html lang='da'><title>Bog</title><p>Bogen</p></html>")
    shutil.copytree(ROOT / "widgets" / "audit-c", data / "widgets" / "audit-c")
    secret_file = data / "shared" / "secret.key"
    identity.load_secret(secret_file)  # the operator's one key, read by both copies
    servers = {}
    started = [
        threading.Thread(target=lambda n=n: servers.__setitem__(n, _start(data, n, url, secret_file))) for n in "ab"
    ]
    for t in started:
        t.start()
    for t in started:
        t.join()
    c = Cluster(url, secret_file, data, servers)
    c.tid = tid
    try:
        assert set(servers) == {"a", "b"}, "a copy did not start (see its server.log)"
        yield c
    finally:
        for srv in servers.values():
            stop_server(srv, wait=False)


# --- clients -------------------------------------------------------------------------------------------------
JSON = {"X-Rusfokus": "1"}


def check_in(c: Cluster, copy: str, email: str) -> requests.Session:
    phone = requests.Session()
    code = codes.short_code(c.secret, c.tid, codes.window_of(time.time()))
    r = phone.post(f"{c.base(copy)}/temadag/ind", data={"kode": code, "email": email}, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == f"/temadag/{c.tid}/deltag", r.text[:500]
    assert phone.cookies.get("rf_temadag")
    return phone


def facilitator(c: Cluster) -> requests.Session:
    s = requests.Session()
    s.cookies.set(identity.ADMIN_COOKIE, identity.admin_token("pia", secret=c.secret))
    return s


def act(c, s, copy, action) -> dict:
    r = s.post(f"{c.base(copy)}/api/temadag/{c.tid}/styr", json={"action": action}, headers=JSON, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def answer(c, phone, copy, question, option) -> dict:
    r = phone.post(
        f"{c.base(copy)}/api/temadag/{c.tid}/svar",
        json={"question": question, "option": option},
        headers=JSON,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()


class LongPoll:
    """A long-poll in a thread (the phone's or the projector's JavaScript), timed from ``start``."""

    def __init__(self, session, url):
        self.session, self.url, self.reply, self.at = session, url, None, None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        time.sleep(0.3)  # the request is waiting on the server

    def _run(self):
        try:
            r = self.session.get(self.url, timeout=40)
        except requests.RequestException:  # the copy died under it
            return
        self.at = time.monotonic()
        self.reply = r

    def result(self, since_time: float) -> tuple[dict, float]:
        self.thread.join(30)
        assert self.reply is not None and self.reply.status_code == 200, self.reply
        return self.reply.json(), self.at - since_time


# --- the tests ------------------------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.slow
def test_a_room_spread_over_two_copies_is_one_room(cluster):
    c = cluster
    pia = facilitator(c)
    phones = {"mette": check_in(c, "a", STAFF["mette"]), "ole": check_in(c, "a", STAFF["ole"])}
    phones["sara"] = check_in(c, "b", STAFF["sara"])
    screen = pia.get(f"{c.base('b')}/api/temadag/{c.tid}/skaerm?since=-1", timeout=10).json()
    assert screen["phase"] == "venter"
    first = pia.get(f"{c.base('b')}/api/temadag/{c.tid}/deltager?since=-1", cookies=phones["sara"].cookies).json()

    # "start" on copy A wakes Sara's phone, long-polling copy B, and the projector on B
    sara_poll = LongPoll(phones["sara"], f"{c.base('b')}/api/temadag/{c.tid}/deltager?since={first['version']}")
    screen_poll = LongPoll(pia, f"{c.base('b')}/api/temadag/{c.tid}/skaerm?since={screen['answers_version']}")
    t0 = time.monotonic()
    started = act(c, pia, "a", "start")
    sara_view, sara_wait = sara_poll.result(t0)
    screen_view, screen_wait = screen_poll.result(t0)
    question = started["question"]["id"]
    assert sara_view["question"]["id"] == question and sara_view["phase"] == "spoerg"
    assert screen_view["question"]["id"] == question
    print("wake after start", sara_wait, screen_wait)
    assert sara_wait < WAKE_SECONDS and screen_wait < WAKE_SECONDS, (sara_wait, screen_wait)
    assert "correct" not in sara_view["question"]  # nothing revealed before "vis"

    # answers through both copies: each wakes the projector on the other copy
    waits = []
    for name, copy, screen_copy, option in (("mette", "a", "b", 0), ("sara", "b", "a", 1), ("ole", "a", "b", 1)):
        before = pia.get(f"{c.base(screen_copy)}/api/temadag/{c.tid}/skaerm?since=-1", timeout=10).json()
        poll = LongPoll(pia, f"{c.base(screen_copy)}/api/temadag/{c.tid}/skaerm?since={before['answers_version']}")
        t0 = time.monotonic()
        answer(c, phones[name], copy, question, option)
        view, wait = poll.result(t0)
        waits.append(wait)
        assert view["answered"] == before["answered"] + 1
    print("wake after answers", waits)
    assert max(waits) < WAKE_SECONDS, waits
    for copy in "ab":
        view = pia.get(f"{c.base(copy)}/api/temadag/{c.tid}/skaerm?since=-1", timeout=10).json()
        assert view["answered"] == 3 and view["counts"][:2] == [1, 2], (copy, view)
    # each phone sees its own answer on either copy
    mine = pia.get(f"{c.base('b')}/api/temadag/{c.tid}/deltager?since=-1", cookies=phones["mette"].cookies).json()
    assert mine["my_answer"] == 0
    # the facilitator's form CSRF value from copy A is accepted by copy B (one secret)
    page = pia.get(f"{c.base('a')}/temadag/admin/{c.tid}", timeout=10).text
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    with session_scope(c.url) as s:
        ali = s.scalar(select(Person.id).where(Person.email == STAFF["ali"]))
    r = pia.post(
        f"{c.base('b')}/temadag/admin/{c.tid}/afkryds",
        data={"_csrf": csrf, "person_id": str(ali)},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 302, r.text[:300]
    c.phones, c.question, c.pia = phones, question, pia


@pytest.mark.postgres
@pytest.mark.slow
def test_kill_9_copy_a_mid_question_the_room_goes_on_through_b(cluster):
    c = cluster
    phones, question, pia = c.phones, c.question, c.pia
    with session_scope(c.url) as s:
        people_before = s.scalar(select(func.count()).select_from(TemadagParticipant))
    # Mette's phone is long-polling copy A when it dies
    mette_poll = LongPoll(phones["mette"], f"{c.base('a')}/api/temadag/{c.tid}/deltager?since=-1")
    mette_poll.thread.join(10)
    version = mette_poll.reply.json()["version"]
    waiting = LongPoll(phones["mette"], f"{c.base('a')}/api/temadag/{c.tid}/deltager?since={version}")
    c.servers["a"].process.kill()
    c.servers["a"].process.wait(10)
    waiting.thread.join(10)
    assert waiting.reply is None or waiting.reply.status_code != 200  # the connection broke: the phone retries on B
    with pytest.raises(requests.ConnectionError):
        phones["mette"].get(f"{c.base('a')}/api/temadag/{c.tid}/deltager?since=-1", timeout=5)

    # every phone goes on through B: same question, own answers kept, counts kept
    for name, option in (("mette", 0), ("ole", 1), ("sara", 1)):
        view = phones[name].get(f"{c.base('b')}/api/temadag/{c.tid}/deltager?since=-1", timeout=10).json()
        assert view["question"]["id"] == question and view["phase"] == "spoerg" and view["version"] == version
        assert view["my_answer"] == option, name
    screen = pia.get(f"{c.base('b')}/api/temadag/{c.tid}/skaerm?since=-1", timeout=10).json()
    assert screen["answered"] == 3 and screen["counts"][:2] == [1, 2]
    # Ole changes his answer, a late arrival checks in on B and answers
    answer(c, phones["ole"], "b", question, 0)
    phones["lene"] = check_in(c, "b", STAFF["lene"])
    assert answer(c, phones["lene"], "b", question, 1)["answered"] == 4
    # "vis" then "naeste" on B; the phones waiting on B hear it
    poll = LongPoll(phones["sara"], f"{c.base('b')}/api/temadag/{c.tid}/deltager?since={version}")
    t0 = time.monotonic()
    shown = act(c, pia, "b", "vis")
    view, wait = poll.result(t0)
    assert view["phase"] == "vis" and view["counts"][:2] == [2, 2] and wait < WAKE_SECONDS
    assert shown["question"]["correct"] == view["question"]["correct"]
    nxt = act(c, pia, "b", "naeste")
    assert nxt["question"]["id"] != question and nxt["answered"] == 0
    with session_scope(c.url) as s:
        assert s.scalar(select(func.count()).select_from(TemadagParticipant)) == people_before + 1
        rows = s.execute(
            select(TemadagLiveAnswer.participant_id, TemadagLiveAnswer.option).where(
                TemadagLiveAnswer.question_id == question
            )
        ).all()
        assert sorted(o for _, o in rows) == [0, 0, 1, 1]
        ticked = s.scalar(
            select(func.count())
            .select_from(TemadagParticipant)
            .where(TemadagParticipant.method == "liste", TemadagParticipant.status == STATUS_CONFIRMED)
        )
        assert ticked == 1  # Ali, ticked in through B with A's form


@pytest.mark.postgres
@pytest.mark.slow
def test_logins_made_on_one_copy_work_on_the_other_and_after_a_restart(cluster):
    c = cluster
    if c.servers["a"].process.poll() is not None:  # killed by the test before: the operator starts it again
        c.servers["a"] = _start(c.data, "a", c.url, c.secret_file)
    # a learner opens her personal link on B; copy A knows her (the check-in page offers her identity)
    learner = requests.Session()
    token = identity.learner_token(STAFF["ali"], secret=c.secret)
    r = learner.get(f"{c.base('b')}/adgang/{token}", allow_redirects=False, timeout=10)
    assert r.status_code == 302 and learner.cookies.get(identity.LEARNER_COOKIE)
    assert STAFF["ali"] in learner.get(f"{c.base('a')}/temadag/ind", timeout=10).text
    # an admin logs in on A with the form and uses copy B
    admin = requests.Session()
    form = admin.get(f"{c.base('a')}/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    r = admin.post(
        f"{c.base('a')}/login",
        data={"csrf": csrf, "username": "pia", "password": PASSWORD, "next": "/temadag/admin"},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 302 and admin.cookies.get(identity.ADMIN_COOKIE)
    r = admin.get(f"{c.base('b')}/temadag/admin", allow_redirects=False, timeout=10)
    assert r.status_code == 200 and "Børn og alkohol" in r.text
    # both logins survive copy A's restart
    stop_server(c.servers["a"])
    c.servers["a"] = _start(c.data, "a", c.url, c.secret_file)
    assert STAFF["ali"] in learner.get(f"{c.base('a')}/temadag/ind", timeout=10).text
    assert admin.get(f"{c.base('a')}/temadag/admin", allow_redirects=False, timeout=10).status_code == 200
    # logging out on B ends the session on A as well (the end is in the database)
    stolen = admin.cookies.get(identity.ADMIN_COOKIE)
    assert admin.get(f"{c.base('b')}/logout", timeout=10).status_code == 200
    thief = requests.Session()
    thief.cookies.set(identity.ADMIN_COOKIE, stolen)
    r = thief.get(f"{c.base('a')}/temadag/admin", allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    # the room is still where copy B left it, seen from the restarted A
    view = c.pia.get(f"{c.base('a')}/api/temadag/{c.tid}/skaerm?since=-1", timeout=10).json()
    assert view["index"] == 1 and view["phase"] == "spoerg"


# --- the migration and the shared count of wrong codes (SQLite: no server, no PostgreSQL) ---------------------
def test_migration_0015_goes_down_and_up_again(tmp_path):
    from alembic import command
    from sqlalchemy import inspect

    from rusfokus.db import make_engine
    from rusfokus.migrations import alembic_config

    url = f"sqlite:///{tmp_path / 'rf.db'}"
    upgrade(url)
    assert inspect(make_engine(url)).has_table("temadag_bad_code")
    command.downgrade(alembic_config(url), "0014_grading_queue")
    assert not inspect(make_engine(url)).has_table("temadag_bad_code")
    command.upgrade(alembic_config(url), "head")
    assert inspect(make_engine(url)).has_table("temadag_bad_code")


def test_wrong_codes_are_counted_once_for_every_copy(tmp_path):
    """Two hubs (two copies) on one database: a guesser's wrong codes on either copy add up."""
    from rusfokus.temadag.web import SharedBadCodes

    url = f"sqlite:///{tmp_path / 'rf.db'}"
    upgrade(url)
    a, b = SharedBadCodes(url, per_guesser=4, per_address=6), SharedBadCodes(url, per_guesser=4, per_address=6)
    now = time.time()
    for limiter in (a, b, a, b):
        assert not limiter.blocked("browser-1", "10.0.0.1", now)
        limiter.add("browser-1", "10.0.0.1", now)
    assert a.blocked("browser-1", "10.0.0.1", now) and b.blocked("browser-1", "10.0.0.1", now)
    assert not b.blocked("browser-2", "10.0.0.1", now)  # another phone in the same room's Wi-Fi
    a.add("browser-2", "10.0.0.1", now)
    b.add("browser-3", "10.0.0.1", now)
    assert a.blocked("browser-4", "10.0.0.1", now)  # the address ceiling, over all guessers and copies
    assert not a.blocked("browser-4", "10.0.0.2", now)
    later = now + codes.WINDOW_SECONDS
    assert not b.blocked("browser-1", "10.0.0.1", later)  # the next code window starts afresh
    b.add("browser-1", "10.0.0.1", later + codes.WINDOW_SECONDS)  # and old windows' rows are cleared
    with session_scope(url) as s:
        from rusfokus.temadag.models import TemadagBadCode

        assert {w for (w,) in s.execute(select(TemadagBadCode.code_window))} == {
            codes.window_of(later + codes.WINDOW_SECONDS)
        }


@pytest.mark.postgres
def test_the_listener_hears_again_after_postgresql_restarts(tmp_path):
    """A copy's LISTEN connection survives a PostgreSQL restart: it reconnects, says so (the hub polls once to catch
    up), and hears the next NOTIFY. Its own throw-away PostgreSQL: the session's must not restart under others."""
    from rusfokus.temadag import wake

    from helpers.postgres import PG_BIN, as_pg, postgres_installed, running_postgres

    if not postgres_installed():
        pytest.skip("PostgreSQL 15 binaries not installed")
    heard, connected = [], []
    with running_postgres() as port:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres") as conn:
            data = conn.execute("SHOW data_directory").fetchone()[0]
        listener = wake.Listener(url, lambda f, *a: f(*a), heard.append, lambda: connected.append(time.time()))
        listener.start()
        try:

            def notify_until_heard(payload: str) -> None:
                deadline = time.monotonic() + 30
                while payload not in heard:
                    assert time.monotonic() < deadline, (heard, connected)
                    try:
                        with psycopg.connect(
                            f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
                        ) as c:
                            c.execute("SELECT pg_notify(%s, %s)", (store.NOTIFY_CHANNEL, payload))
                    except psycopg.OperationalError:
                        pass  # still starting
                    time.sleep(0.2)

            notify_until_heard("7:1:1")
            assert listener.alive and len(connected) == 1
            log = str(Path(data).parent / "log")  # not our pipe: the restarted server would hold it open
            as_pg([str(PG_BIN / "pg_ctl"), "-D", data, "-l", log, "-m", "fast", "-w", "restart"])
            notify_until_heard("7:2:2")
            assert listener.alive and len(connected) == 2  # reconnected once, and the hub was told to catch up
        finally:
            listener.stop()


def test_on_sqlite_two_copies_wake_each_other_by_the_short_poll(tmp_path):
    """Without NOTIFY (SQLite) a copy still hears another writer of the same database: its long-polls are woken by
    the poll of the counters within about POLL_SECONDS. Two hubs, two HTTP servers, one database, in-process."""
    import asyncio

    import tornado.httpclient
    import tornado.httpserver
    import tornado.testing
    import tornado.web

    from rusfokus.settings import Settings
    from rusfokus.temadag.web import POLL_SECONDS, Hub
    from rusfokus.temadag.web_routes import routes

    settings = Settings.from_env({}, home=str(tmp_path))
    upgrade(settings.db_url)
    now = dt.datetime.now()
    with session_scope(settings.db_url) as s:
        plan = planning.validate_plan(
            {
                "title": "Børn og alkohol",
                "date": dt.date.today().isoformat(),
                "place": "Rådhuset",
                "modules": "opsporing",
                "facilitator": "Pia",
                "institutions": "Børnehuset Fiktiv",
            }
        )
        row = store.create(s, plan, "pia", now)
        tid = row.id
        pid = store.check_in_pending(s, row, None, "Eva Fiktiv", "eva.fiktiv@delt-kommune.example", "kode", now).id
    secret = identity.load_secret(settings.secret_file)
    admin = {"Cookie": f"{identity.ADMIN_COOKIE}={identity.admin_token('pia', secret=secret)}", **JSON}
    phone = {"Cookie": f"rf_temadag={identity.sign('temadag-deltager', f'{tid}:{pid}', secret=secret)}", **JSON}

    async def run() -> float:
        bases, hubs = [], []
        for _ in "ab":
            hub = Hub(settings)
            server = tornado.httpserver.HTTPServer(tornado.web.Application(routes(settings, hub)))
            sock, port = tornado.testing.bind_unused_port()
            server.add_sockets([sock])
            bases.append(f"http://127.0.0.1:{port}/api/temadag/{tid}")
            hubs.append((hub, server))
        a, b = bases
        client = tornado.httpclient.AsyncHTTPClient()

        async def call(url, body=None, headers=admin):
            method = "POST" if body is not None else "GET"
            r = await client.fetch(url, method=method, body=body and json.dumps(body), headers=headers)
            return json.loads(r.body)

        try:
            question = (await call(f"{a}/styr", {"action": "start"}))["question"]["id"]
            screen = await call(f"{b}/skaerm?since=-1")
            assert screen["question"]["id"] == question and screen["answered"] == 0
            waiting = asyncio.ensure_future(call(f"{b}/skaerm?since={screen['answers_version']}"))
            await asyncio.sleep(0.2)
            started = time.monotonic()
            await call(f"{a}/svar", {"question": question, "option": 1}, phone)
            view = await asyncio.wait_for(waiting, 10)
            assert view["answered"] == 1 and view["counts"][1] == 1
            return time.monotonic() - started
        finally:
            for hub, server in hubs:
                server.stop()
                hub.close()

    waited = asyncio.run(run())
    assert waited < POLL_SECONDS + 1.0, waited
