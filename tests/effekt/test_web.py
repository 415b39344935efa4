"""``/effekt/`` over HTTP on a real tornado app: identity only from the signed learner cookie, a bad
answer gets a Danish error with her choices kept and nothing stored, only what is due can be answered."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import urllib.parse

import tornado.web
from sqlalchemy import func, select
from tornado.testing import AsyncHTTPTestCase

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.effekt import web as effekt_web
from rusfokus.effekt.counts import record_counts
from rusfokus.effekt.models import SelfEfficacy
from rusfokus.effekt.selfefficacy import ITEMS
from rusfokus.progress.models import Completion
from rusfokus.settings import Settings

from .conftest import add_person

ANNA = "anna@eksempel-kommune.example"


class EffektWebTest(AsyncHTTPTestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.settings = Settings.from_env(home=self.tmp.name)
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.tmp.cleanup()

    def get_app(self):
        routes = effekt_web.routes(self.settings)
        self.secret = routes[0][2]["secret"]
        with session_scope(self.settings.db_url) as s:
            self.anna = add_person(s, "Anna <b>Aktiv</b>", ANNA).id
        return tornado.web.Application(routes)

    def fetch(self, path, **kw):
        kw.setdefault("follow_redirects", False)
        return self.io_loop.run_sync(lambda: self.http_client.fetch(self.get_url(path), raise_error=False, **kw), 30)

    def cookie(self, email=ANNA, secret=None):
        token = identity.learner_token(email, secret=secret or self.secret)
        return {"Cookie": f"{identity.LEARNER_COOKIE}={token}"}

    def form(self, headers=None) -> dict:
        body = self.fetch("/effekt/", headers=headers or self.cookie()).body.decode()
        return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', body))

    def post(self, fields: dict, headers=None):
        return self.fetch("/effekt/", method="POST", body=urllib.parse.urlencode(fields),
                          headers=headers or self.cookie())  # fmt: skip

    def stored(self) -> int:
        with session_scope(self.settings.db_url) as s:
            return s.scalar(select(func.count()).select_from(SelfEfficacy))

    def test_no_forged_or_unknown_cookie_gets_in(self):
        for headers in (
            {},
            self.cookie(secret=b"x" * 64),  # signed with another key: forged
            {"Cookie": f"{identity.LEARNER_COOKIE}={ANNA}"},  # just the address
            self.cookie("ukendt@eksempel-kommune.example"),  # signed, but not on the staff list
        ):
            r = self.fetch("/effekt/", headers=headers)
            assert r.code == 403, headers
            text = r.body.decode()
            assert "Vi ved ikke, hvem du er" in text or "medarbejderlisten" in text or "link" in text
            assert "Jeg ved, hvad" not in text
        fields = {**self.form(), "item1": "3", "item2": "3", "item3": "3"}
        assert self.post(fields, headers=self.cookie(secret=b"y" * 64)).code == 403
        assert self.stored() == 0

    def test_before_the_first_module_bad_answers_then_a_good_one(self):
        r = self.fetch("/effekt/", headers=self.cookie())
        page = r.body.decode()
        assert r.code == 200 and "Før du går i gang med kurset" in page
        assert all(item in page for item in ITEMS) and page.count('type="radio"') == 15
        assert "Anna" not in page  # her name is not needed here
        form = self.form()
        assert form["maaling"] == "foer" and form["modul"] == "opsporing"
        r = self.post({**form, "item1": "4", "item3": "2"})  # item 2 missing
        page = r.body.decode()
        assert r.code == 400 and "Vælg et svar ved udsagn 2." in page
        assert re.search(r'name="item1" value="4" checked', page) and re.search(r'name="item3" value="2" checked', page)
        r = self.post({**form, "item1": "4", "item2": "9", "item3": "2"})
        assert r.code == 400 and "vælg et tal fra 1 til 5" in r.body.decode()
        r = self.post({**form, "_csrf": "forkert", "item1": "4", "item2": "4", "item3": "2"})
        assert r.code == 400 and "Svar igen" in r.body.decode()
        r = self.post({**form, "maaling": "efter", "item1": "4", "item2": "4", "item3": "2"})  # not passed yet
        assert r.code == 400 and "passer ikke" in r.body.decode()
        assert self.stored() == 0  # nothing of any of them
        r = self.post({**form, "item1": "4", "item2": "3", "item3": "2"})
        assert r.code == 302 and r.headers["Location"] == "/effekt/?gemt=1"
        page = self.fetch("/effekt/?gemt=1", headers=self.cookie()).body.decode()
        assert "Dine svar er gemt" in page and "Du har svaret på alt lige nu" in page and "1. 4 · 2. 3 · 3. 2" in page
        assert self.stored() == 1

    def test_after_a_passed_module_she_is_asked_again_and_sees_her_own_counts(self):
        with session_scope(self.settings.db_url) as s:
            s.add(Completion(person_id=self.anna, module="opsporing", kind="modul", passed=True, score=9,
                             max_score=10, completed_at=dt.datetime(2026, 10, 1)))  # fmt: skip
            s.flush()
            record_counts(s, self.anna, samtaler=7, henvisninger=2, at=dt.datetime(2026, 11, 1), round_ref="r1")
        form = self.form()
        assert (form["maaling"], form["modul"]) == ("efter", "opsporing")
        page = self.fetch("/effekt/", headers=self.cookie()).body.decode()
        assert "Efter modulet Opsporing" in page and "7 korte samtaler, 2 henvisninger" in page
        r = self.post({**form, "maaling": "foer", "item1": "3", "item2": "3", "item3": "3"})
        assert r.code == 400 and "passer ikke" in r.body.decode()  # a baseline after a pass is not 'before'
        assert self.post({**form, "item1": "5", "item2": "5", "item3": "4"}).code == 302
        with session_scope(self.settings.db_url) as s:
            row = s.scalar(select(SelfEfficacy))
            assert (row.phase, row.module, row.items) == ("efter", "opsporing", (5, 5, 4))
