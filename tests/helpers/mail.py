"""E-mail tests: a real SMTP server on loopback (aiosmtpd) that records what it receives, settings
through the operator's environment variables, and small readers of the queue and the audit log."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.mail.models import MailMessage
from rusfokus.migrations import upgrade
from rusfokus.progress.models import AuditEntry, Person
from rusfokus.progress.staff import OrgCache
from rusfokus.settings import get_settings

from helpers.paths import ROOT, free_port

NOW = dt.datetime(2027, 3, 1, 10, 0)


class Recorder:
    """aiosmtpd handler: keeps every accepted message; RCPT replies can be set per address."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.lock = threading.Lock()
        self.rcpt_replies: dict[str, str] = {}
        self.on_rcpt = None
        self.on_data = None
        self.logins: list[str] = []
        self.peers: list = []  # the client's (host, port) of each accepted message: one port per connection

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.on_rcpt:
            self.on_rcpt(address)
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
            self.peers.append(session.peer)
        if self.on_data:
            self.on_data()
            await asyncio.sleep(0.5)  # the client is gone before it reads our reply
        return "250 Message accepted for delivery"

    def parsed(self) -> list[email.message.EmailMessage]:
        with self.lock:
            return [email.message_from_bytes(raw, policy=email.policy.default) for _f, _t, raw in self.messages]

    def wait_for(self, n: int, timeout: float = 20) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if len(self.messages) >= n:
                    return
            time.sleep(0.05)
        raise AssertionError(f"expected {n} messages, the SMTP server has {len(self.messages)}")


def start_smtp(port: int | None = None, **kw):
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(), **kw)
    controller.start()
    return controller, handler


def configure(monkeypatch, tmp_path: Path, port: int, **env) -> object:
    """Settings for this test through the real environment variables (as an operator sets them)."""
    for key in list(os.environ):
        if key.startswith("RUSFOKUS_"):
            monkeypatch.delenv(key)
    values = {
        "RUSFOKUS_ROOT": str(ROOT),
        "RUSFOKUS_HOME": str(tmp_path / "home"),
        "RUSFOKUS_BASE_URL": "https://rusfokus.eksempel-kommune.example",
        "RUSFOKUS_SMTP_HOST": "127.0.0.1",
        "RUSFOKUS_SMTP_PORT": str(port),
        "RUSFOKUS_SMTP_TLS": "none",
        "RUSFOKUS_SMTP_TIMEOUT": "5",
        "RUSFOKUS_MAIL_FROM": "rusfokus@eksempel-kommune.example",
        "RUSFOKUS_MAIL_RETRY_SECONDS": "60",
        **env,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    settings = get_settings()
    settings.ensure_home()
    upgrade(settings.db_url)
    return settings


def add_person(session, name, email, inst="Børnehuset Solsikken", status="aktiv"):
    institution = OrgCache(session).institution("Børn og Unge", "Dagtilbud", inst)
    p = Person(
        email=email,
        name=name,
        faggruppe="Pædagog",
        institution_id=institution.id,
        noegleperson=False,
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(p)
    session.flush()
    return p


def people(settings, *rows):
    with session_scope(settings.db_url) as s:
        return [add_person(s, *row).id for row in rows]


def rows(settings):
    with session_scope(settings.db_url) as s:
        return {
            m.id: (m.kind, m.status, m.person_id, m.attempts, m.last_error)
            for m in s.scalars(select(MailMessage).order_by(MailMessage.id))
        }


def audit(settings, prefix="mail."):
    with session_scope(settings.db_url) as s:
        return [
            (a.action, a.target, a.detail)
            for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if a.action.startswith(prefix)
        ]


def body_of(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def link_in(text: str) -> str:
    found = re.findall(r"https://rusfokus\.eksempel-kommune\.example/adgang/(\S+)", text)
    assert len(found) == 1, text
    return found[0]


def cli(settings, *args, check=True):
    env = {k: v for k, v in os.environ.items()}
    return subprocess.run(
        [sys.executable, "-m", "rusfokus.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )
