"""E-mail delivery under trouble: killed workers, two workers at once, the server's hook, TLS.

A real SMTP server (aiosmtpd) on loopback, the real `rusfokus mail run` in a
subprocess (killed with SIGKILL at the worst moments), the real start-up hook
in a tornado loop, and STARTTLS / SSL with a self-signed certificate made by
openssl for the test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.progress.models import Person

from helpers.mail import (
    ROOT,
    Recorder,
    add_person,
    audit,
    cli,
    configure,
    free_port,
    people,
    rows,
    start_smtp,
)
from helpers.postgres import PG_BIN, as_pg

# slow: worker subprocesses killed and restarted, servers that come back
pytestmark = pytest.mark.slow


def queue_everyone(settings) -> None:
    from rusfokus.mail.queue import queue_links

    with session_scope(settings.db_url) as s:
        queue_links(s, settings, "cli:test", everyone=True)


def run_cli_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rusfokus.cli", "mail", "run"],
        env=dict(os.environ),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# --- a worker killed at the worst moment -----------------------------------------------------------------------


def test_worker_killed_after_the_server_has_the_mail_never_sends_it_twice(setup, smtp_server):
    from rusfokus.mail.worker import run_queue

    settings = setup
    (pid,) = people(settings, ("Mette Hansen", "mette@eksempel-kommune.example"))
    queue_everyone(settings)
    holder = {}
    smtp_server.on_data = lambda: os.kill(holder["proc"].pid, signal.SIGKILL)  # the server has it; no 250 read
    holder["proc"] = proc = run_cli_worker()
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    smtp_server.on_data = None
    assert len(smtp_server.messages) == 1
    ((mid, (_kind, status, *_rest)),) = rows(settings).items()
    assert status == "sending"  # what the killed worker left behind
    for _ in range(3):  # the next runs (server worker, cron) must not send it again
        result = run_queue(settings, force=True)
        assert result.sent == 0
    assert len(smtp_server.messages) == 1
    assert rows(settings)[mid][1] == "uncertain"
    assert ("mail.uncertain", f"person #{pid}") in [(a, t) for a, t, _d in audit(settings)]
    status_out = cli(settings, "mail", "status").stdout
    assert "uncertain" in status_out and "rusfokus mail retry --uncertain ID" in status_out
    # only an operator's explicit retry sends it again (same Message-ID, so it can be matched in the server log)
    assert cli(settings, "mail", "retry", "--failed", str(mid), check=False).returncode == 1  # not failed
    assert "put 1 message(s) back" in cli(settings, "mail", "retry", "--uncertain", str(mid)).stdout
    assert run_queue(settings).sent == 1
    first, second = smtp_server.parsed()
    assert first["Message-ID"] == second["Message-ID"]


def test_worker_killed_before_data_is_taken_back_and_sent_once(setup, smtp_server):
    from rusfokus.mail.worker import run_queue

    settings = setup
    people(settings, ("Mette Hansen", "mette@eksempel-kommune.example"))
    queue_everyone(settings)
    holder = {}
    smtp_server.on_rcpt = lambda _addr: os.kill(holder["proc"].pid, signal.SIGKILL)  # before DATA
    holder["proc"] = proc = run_cli_worker()
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    smtp_server.on_rcpt = None
    assert smtp_server.messages == []
    assert [r[1] for r in rows(settings).values()] == ["claimed"]
    result = run_queue(settings)
    assert (result.requeued_stale, result.sent) == (1, 1)
    assert run_queue(settings, force=True).sent == 0
    assert len(smtp_server.messages) == 1


def test_a_stale_claim_of_a_live_worker_elsewhere_waits_for_the_timeout(setup, smtp_server):
    from rusfokus.mail.models import MailMessage
    from rusfokus.mail.worker import run_queue, stale_after

    settings = setup
    people(settings, ("Mette Hansen", "mette@eksempel-kommune.example"))
    queue_everyone(settings)
    with session_scope(settings.db_url) as s:  # as another host's worker leaves it while it works
        row = s.scalars(select(MailMessage)).one()
        row.status, row.claim_token, row.claimed_by, row.claimed_at = (
            "sending",
            "x" * 32,
            "andenvaert:4242",
            dt.datetime.now(),
        )
    assert run_queue(settings, force=True).uncertain == 0
    assert [r[1] for r in rows(settings).values()] == ["sending"]
    later = dt.datetime.now() + stale_after(settings) + dt.timedelta(seconds=5)
    assert run_queue(settings, force=True, now_fn=lambda: later).uncertain == 1
    assert smtp_server.messages == []


def test_two_workers_at_once_send_each_mail_exactly_once(setup, smtp_server):
    settings = setup
    with session_scope(settings.db_url) as s:
        for i in range(30):
            add_person(s, f"Ansat {i:02d}", f"ansat{i:02d}@eksempel-kommune.example")
    queue_everyone(settings)
    procs = [run_cli_worker() for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    recipients = [r for _f, rcpts, _raw in smtp_server.messages for r in rcpts]
    assert len(recipients) == 30 and len(set(recipients)) == 30
    assert {r[1] for r in rows(settings).values()} == {"sent"}
    assert len([a for a in audit(settings) if a[0] == "mail.sent"]) == 30


@pytest.mark.postgres
def test_postgresql_two_workers_and_repeated_requests_send_each_mail_once(monkeypatch, tmp_path, smtp_server, request):
    from rusfokus.mail.queue import queue_links

    pg_port = request.getfixturevalue("pg_server")

    name = f"rf_mail_{os.getpid()}"
    as_pg([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", name])
    settings = configure(
        monkeypatch, tmp_path, smtp_server.port, RUSFOKUS_DB=f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/{name}"
    )
    with session_scope(settings.db_url) as s:
        for i in range(20):
            add_person(s, f"Ansat {i:02d}", f"ansat{i:02d}@eksempel-kommune.example")
    queue_everyone(settings)
    with session_scope(settings.db_url) as s:  # asked again: ON CONFLICT DO NOTHING adds nothing
        assert queue_links(s, settings, "cli:test", everyone=True).queued == []
    procs = [run_cli_worker() for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    recipients = [r for _f, rcpts, _raw in smtp_server.messages for r in rcpts]
    assert len(recipients) == 20 and len(set(recipients)) == 20
    assert {r[1] for r in rows(settings).values()} == {"sent"}


# --- the server's start-up hook ---------------------------------------------------------------------------------


def test_server_hook_sends_from_the_tornado_loop_and_waits_for_a_server_that_comes_back(monkeypatch, tmp_path):
    import tornado.ioloop

    from rusfokus.mail import queue_personal_link, web
    from rusfokus.server.routes import ROUTE_MODULES

    assert "rusfokus.mail.web" in ROUTE_MODULES
    port = free_port()  # the SMTP server is down when rusfokus starts
    settings = configure(monkeypatch, tmp_path, port, RUSFOKUS_MAIL_POLL_SECONDS="1", RUSFOKUS_MAIL_RETRY_SECONDS="1")
    a, b = people(
        settings, ("Mette Hansen", "mette@eksempel-kommune.example"), ("Ali Demir", "ali@eksempel-kommune.example")
    )
    with session_scope(settings.db_url) as s:
        queue_personal_link(s, s.get(Person, a), "admin:konsulent", settings=settings)
    state = {}

    async def scenario():
        web.startup(settings)
        started = time.monotonic()
        await asyncio.sleep(0.3)
        assert time.monotonic() - started < 1.0  # the loop is not blocked by the SMTP attempts
        deadline = time.monotonic() + 10
        while not rows(settings)[1][3] and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert rows(settings)[1][1] == "queued" and "cannot reach" in rows(settings)[1][4]
        state["smtp"] = controller_handler = start_smtp(port)
        with session_scope(settings.db_url) as s:  # the dashboard queues another one while the server runs
            queue_personal_link(s, s.get(Person, b), "admin:konsulent", settings=settings)
        deadline = time.monotonic() + 25
        while len(controller_handler[1].messages) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)

    loop = tornado.ioloop.IOLoop(make_current=False)
    try:
        loop.run_sync(scenario, timeout=60)
    finally:
        web.shutdown(settings)
        loop.close(all_fds=False)
        if "smtp" in state:
            state["smtp"][0].stop()
    handler = state["smtp"][1]
    assert sorted(r for _f, rcpts, _raw in handler.messages for r in rcpts) == [
        "ali@eksempel-kommune.example",
        "mette@eksempel-kommune.example",
    ]
    assert {r[1] for r in rows(settings).values()} == {"sent"}


def test_server_hook_does_nothing_when_mail_is_off(monkeypatch, tmp_path, caplog):
    from rusfokus.mail import web

    settings = configure(monkeypatch, tmp_path, 25, RUSFOKUS_SMTP_HOST="")
    with caplog.at_level("INFO", logger="rusfokus.mail"):
        web.startup(settings)
    assert web._service is None and "e-mail is off" in caplog.text
    web.shutdown(settings)


# --- TLS ------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed: cannot make a self-signed certificate for the TLS tests")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    return cert, ctx


class Login:
    """aiosmtpd authenticator: one user, records every login attempt."""

    def __init__(self, handler):
        self.handler = handler

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        user, password = auth_data.login.decode(), auth_data.password.decode()
        self.handler.logins.append(user)
        return AuthResult(success=(user, password) == ("rusfokus-smtp", "korrekt hest batteri"), handled=False)


def test_starttls_with_login_from_a_password_file(monkeypatch, tmp_path, certificate):
    from aiosmtpd.controller import Controller

    from rusfokus.mail.worker import run_queue

    cert, server_ctx = certificate
    port = free_port()
    handler = Recorder()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_ctx,
        require_starttls=True,
        auth_required=True,
        authenticator=Login(handler),
    )
    controller.start()
    try:
        pw = tmp_path / "smtp-password"
        pw.write_text("korrekt hest batteri\n", encoding="utf-8")
        pw.chmod(0o600)
        settings = configure(
            monkeypatch,
            tmp_path,
            port,
            RUSFOKUS_SMTP_TLS="starttls",
            RUSFOKUS_SMTP_USER="rusfokus-smtp",
            RUSFOKUS_SMTP_PASSWORD_FILE=str(pw),
            RUSFOKUS_SMTP_PASSWORD="forkert",
            RUSFOKUS_SMTP_CA_FILE=str(cert),
        )
        people(settings, ("Mette Hansen", "mette@eksempel-kommune.example"))
        queue_everyone(settings)
        result = run_queue(settings)
        assert (result.sent, result.error) == (1, ""), result.summary()
        assert handler.logins == ["rusfokus-smtp"]
        assert len(handler.messages) == 1
    finally:
        controller.stop()


def test_tls_problems_leave_the_mail_queued(monkeypatch, tmp_path, certificate, smtp_server):
    from aiosmtpd.controller import Controller

    from rusfokus.mail.worker import run_queue

    cert, server_ctx = certificate
    # 1. a server without STARTTLS when starttls is required: nothing is sent in clear
    settings = configure(monkeypatch, tmp_path, smtp_server.port, RUSFOKUS_SMTP_TLS="starttls")
    people(settings, ("Mette Hansen", "mette@eksempel-kommune.example"))
    queue_everyone(settings)
    result = run_queue(settings)
    assert result.sent == 0 and "does not offer STARTTLS" in result.error
    assert smtp_server.messages == []
    # 2. a certificate the system does not trust (no RUSFOKUS_SMTP_CA_FILE)
    handler = Recorder()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_ctx,
        require_starttls=True,
        auth_required=True,
        authenticator=Login(handler),
    )
    controller.start()
    try:
        settings = configure(
            monkeypatch,
            tmp_path,
            port,
            RUSFOKUS_SMTP_TLS="starttls",
            RUSFOKUS_SMTP_USER="rusfokus-smtp",
            RUSFOKUS_SMTP_PASSWORD="korrekt hest batteri",
        )
        result = run_queue(settings, force=True)
        assert result.sent == 0 and "not trusted" in result.error and "RUSFOKUS_SMTP_CA_FILE" in result.error
        assert handler.logins == []  # the password never went to an untrusted server
        # 3. a wrong password
        settings = configure(
            monkeypatch,
            tmp_path,
            port,
            RUSFOKUS_SMTP_TLS="starttls",
            RUSFOKUS_SMTP_USER="rusfokus-smtp",
            RUSFOKUS_SMTP_PASSWORD="forkert",
            RUSFOKUS_SMTP_CA_FILE=str(cert),
        )
        result = run_queue(settings, force=True)
        assert result.sent == 0 and "refused the login" in result.error and "forkert" not in result.error
        assert [r[1] for r in rows(settings).values()] == ["queued"]
        # 4. fixed: it goes out, once
        settings = configure(
            monkeypatch,
            tmp_path,
            port,
            RUSFOKUS_SMTP_TLS="starttls",
            RUSFOKUS_SMTP_USER="rusfokus-smtp",
            RUSFOKUS_SMTP_PASSWORD="korrekt hest batteri",
            RUSFOKUS_SMTP_CA_FILE=str(cert),
        )
        assert run_queue(settings, force=True).sent == 1
        assert run_queue(settings, force=True).sent == 0
        assert len(handler.messages) == 1
    finally:
        controller.stop()
    # 5. a password with tls none is refused before connecting
    settings = configure(monkeypatch, tmp_path, smtp_server.port, RUSFOKUS_SMTP_USER="rusfokus-smtp")
    with session_scope(settings.db_url) as s:
        from rusfokus.mail import MailOff, queue_personal_link

        with pytest.raises(MailOff, match="in clear"):
            queue_personal_link(s, s.scalars(select(Person)).first(), "admin:a", settings=settings)


def test_ssl_from_the_first_byte(monkeypatch, tmp_path, certificate):
    from aiosmtpd.controller import Controller

    from rusfokus.mail.worker import run_queue

    cert, server_ctx = certificate
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=server_ctx)
    controller.start()
    try:
        settings = configure(monkeypatch, tmp_path, port, RUSFOKUS_SMTP_TLS="ssl", RUSFOKUS_SMTP_CA_FILE=str(cert))
        people(settings, ("Mette Hansen", "mette@eksempel-kommune.example"))
        queue_everyone(settings)
        result = run_queue(settings)
        assert (result.sent, result.error) == (1, ""), result.summary()
        assert len(handler.messages) == 1
    finally:
        controller.stop()
