"""SCORM start page without the learner's cookie (issue 18): it offers to mail her personal link when e-mail is
set up, and `POST /scorm/link` queues the link only for the staff list's own address of that student id, with
one answer whatever the id (nobody learns who is on the list), at most one pending mail per person, and a
changed package refused. Tornado's test server with the real handlers, a real SQLite database and the real
mail queue (nothing is sent: the queue is what the server's mail worker sends from)."""

from __future__ import annotations

import tempfile
from datetime import datetime
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import tornado.testing
import tornado.web
from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.identity.tokens import load_secret
from rusfokus.integrations.scorm.launch import package_token
from rusfokus.integrations.scorm.web import LinkHandler, StartHandler
from rusfokus.mail.models import MailMessage
from rusfokus.migrations import upgrade
from rusfokus.progress.hooks import find_or_create_person
from rusfokus.settings import Settings

from helpers.paths import ROOT

EMAIL = "mette.scormlund@eksempel-kommune.example"


class _ScormApp(tornado.testing.AsyncHTTPTestCase):
    mail = True

    def setUp(self):
        self.home = Path(tempfile.mkdtemp(prefix="scorm-web-"))
        env = {"RUSFOKUS_HOME": str(self.home), "RUSFOKUS_ROOT": str(ROOT)}
        if self.mail:
            env |= {"RUSFOKUS_SMTP_HOST": "127.0.0.1", "RUSFOKUS_MAIL_FROM": "rusfokus@eksempel-kommune.example"}
        self.rf = Settings.from_env(environ=env)
        self.secret = load_secret(self.rf.secret_file)
        upgrade(self.rf.db_url)
        with session_scope(self.rf.db_url) as s:
            self.person_id = find_or_create_person(s, EMAIL, datetime(2026, 11, 1, 8)).id
        self.pkg = package_token("pkg-web", "opsporing", "https://lms.example", "email", secret=self.secret)
        super().setUp()

    def get_app(self):
        kw = {"settings": self.rf, "secret": self.secret}
        return tornado.web.Application([(r"/scorm/start", StartHandler, kw), (r"/scorm/link", LinkHandler, kw)])

    def mails(self) -> list[int]:
        with session_scope(self.rf.db_url) as s:
            return [m.person_id for m in s.scalars(select(MailMessage).where(MailMessage.kind == "link"))]

    def ask(self, sid: str, pkg: str | None = None):
        body = urlencode({"p": pkg or self.pkg, "sid": sid})
        return self.fetch("/scorm/link", method="POST", body=body, raise_error=False)


class LinkByMail(_ScormApp):
    def test_start_offers_the_link_and_the_link_goes_to_her_own_address_only(self):
        page = self.fetch(f"/scorm/start?{urlencode({'p': self.pkg, 'sid': EMAIL})}")
        html = page.body.decode()
        assert page.code == 200 and "Send mit link" in html and 'action="/scorm/link"' in html
        assert "data-token" not in html

        known = self.ask(EMAIL.upper())
        assert known.code == 200 and "Tjek din mail" in unescape(known.body.decode())
        assert self.mails() == [self.person_id]
        again = self.ask(EMAIL)  # a double click: the queue keeps one pending mail
        assert again.code == 200 and self.mails() == [self.person_id]

        unknown = self.ask("ukendt@eksempel-kommune.example")
        assert unknown.code == 200 and self.mails() == [self.person_id]
        strip = lambda r: r.body.decode().replace("ukendt@eksempel-kommune.example", "").replace(EMAIL.upper(), "")  # noqa: E731
        assert strip(unknown) == strip(known)  # the same answer: nobody learns who is on the list

        forged = self.ask(EMAIL, pkg=self.pkg[:-3] + "AAA")
        assert forged.code == 403 and "ugyldigt eller ændret" in unescape(forged.body.decode())
        assert self.mails() == [self.person_id]


class WithoutMail(_ScormApp):
    mail = False

    def test_no_mail_no_offer(self):
        html = self.fetch(f"/scorm/start?{urlencode({'p': self.pkg, 'sid': EMAIL})}").body.decode()
        assert "Send mit link" not in html and "personlige link" in unescape(html)
        refused = self.ask(EMAIL)
        assert refused.code == 503 and self.mails() == []
