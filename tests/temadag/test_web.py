"""Temadag HTTP handlers on a real tornado server (no browser): auth, check-in, live, evaluation."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse

import tornado.web
from tornado.testing import AsyncHTTPTestCase, gen_test

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.progress.models import STATUS_ACTIVE, Completion, Person
from rusfokus.progress.staff import OrgCache
from rusfokus.settings import Settings
from rusfokus.temadag import codes, planning, store
from rusfokus.temadag.web import Hub
from rusfokus.temadag.web_routes import routes

TODAY = dt.date.today()


class TemadagWebTest(AsyncHTTPTestCase):
    def setUp(self):
        import tempfile

        self.tmp = tempfile.TemporaryDirectory()
        self.settings = Settings.from_env(home=self.tmp.name)
        self.now = dt.datetime.combine(TODAY, dt.time(9, 2)).timestamp()
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.tmp.cleanup()

    def get_app(self):
        self.hub = Hub(self.settings, clock=lambda: self.now)
        app = tornado.web.Application(routes(self.settings, self.hub))
        with session_scope(self.settings.db_url) as s:
            inst = OrgCache(s).institution("Børn og Unge", "Dagtilbud", "Børnehuset Solsikken")
            stamp = dt.datetime.now()
            s.add(
                Person(
                    email="mette.hansen@eksempel.dk",
                    name="Mette Hansen",
                    faggruppe="Pædagog",
                    institution_id=inst.id,
                    noegleperson=False,
                    status=STATUS_ACTIVE,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
            s.add(
                Person(
                    email="ole.lund@eksempel.dk",
                    name="Ole Lund",
                    faggruppe="Pædagog",
                    institution_id=inst.id,
                    noegleperson=False,
                    status=STATUS_ACTIVE,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
            plan = planning.validate_plan(
                {
                    "title": "Børn & <alkohol>",
                    "date": TODAY.isoformat(),
                    "place": "Rådhuset",
                    "modules": "opsporing",
                    "facilitator": "Pia",
                    "institutions": "Børnehuset Solsikken",
                    "counts_toward_module": "ja",
                }
            )
            self.tid = store.create(s, plan, "pia", stamp).id
        return app

    # helpers ------------------------------------------------------------------
    def admin_cookie(self):
        return {"Cookie": f"{identity.ADMIN_COOKIE}={identity.admin_token('pia', secret=self.hub.secret)}"}

    def code(self, back=0):
        window = codes.window_of(self.now) - back
        return codes.short_code(self.hub.secret, self.tid, window)

    def check_in(self, **form):
        r = self.fetch("/temadag/ind", method="POST", body=urllib.parse.urlencode(form), follow_redirects=False)
        cookie = r.headers.get("Set-Cookie", "")
        return r, cookie.split(";")[0]

    async def acheck_in(self, **form):
        r = await self.http_client.fetch(
            self.get_url("/temadag/ind"),
            method="POST",
            raise_error=False,
            body=urllib.parse.urlencode(form),
            follow_redirects=False,
        )
        return r, r.headers.get("Set-Cookie", "").split(";")[0]

    # tests ----------------------------------------------------------------------
    def test_admin_pages_need_login(self):
        r = self.fetch("/temadag/admin", follow_redirects=False)
        assert r.code == 302 and r.headers["Location"].startswith("/login?next=")
        assert self.fetch(f"/api/temadag/{self.tid}/kode").code == 401
        forged = {"Cookie": f"{identity.ADMIN_COOKIE}=x.y"}
        assert self.fetch(f"/api/temadag/{self.tid}/kode", headers=forged).code == 401
        r = self.fetch("/temadag/admin", headers=self.admin_cookie())
        assert r.code == 200 and "Børn &amp; &lt;alkohol&gt;" in r.body.decode() and "<alkohol>" not in r.body.decode()

    def test_create_temadag_form_validates_and_needs_csrf(self):
        page = self.fetch("/temadag/admin", headers=self.admin_cookie()).body.decode()
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        form = {
            "title": "Efterår",
            "date": "2027-09-02",
            "start": "13:00",
            "duration_min": "45",
            "place": "Vestskolen",
            "modules": "dobbeltdiagnose",
            "facilitator": "Pia",
        }
        r = self.fetch(
            "/temadag/admin",
            method="POST",
            headers=self.admin_cookie(),
            body=urllib.parse.urlencode(form),
            follow_redirects=False,
        )
        assert r.code == 403
        bad = self.fetch(
            "/temadag/admin",
            method="POST",
            headers=self.admin_cookie(),
            body=urllib.parse.urlencode({**form, "_csrf": csrf, "date": "2. sep"}),
        )
        assert bad.code == 400 and "ÅÅÅÅ-MM-DD" in bad.body.decode()
        ok = self.fetch(
            "/temadag/admin",
            method="POST",
            headers=self.admin_cookie(),
            body=urllib.parse.urlencode({**form, "_csrf": csrf}),
            follow_redirects=False,
        )
        assert ok.code == 302
        ics = self.fetch("/temadag/admin/eksport.ics?aar=2027", headers=self.admin_cookie())
        assert (
            ics.code == 200
            and b"SUMMARY:Efter" in ics.body
            and b"DTSTART;TZID=Europe/Copenhagen:20270902T130000" in ics.body
        )
        xlsx = self.fetch("/temadag/admin/eksport.xlsx", headers=self.admin_cookie())
        assert xlsx.code == 200 and xlsx.body[:2] == b"PK"

    def test_check_in_codes(self):
        r, _ = self.check_in(kode=self.code(back=2), navn="", email="mette.hansen@eksempel.dk")
        assert r.code == 400 and "Koden er udløbet" in r.body.decode()
        r, _ = self.check_in(kode="AAAAAA", email="mette.hansen@eksempel.dk")
        assert r.code == 400 and "Koden passer ikke" in r.body.decode()
        r, _ = self.check_in(kode=self.code(), navn="Ukendt Person", email="")
        assert r.code == 400 and "Skriv din arbejdsmail" in r.body.decode()
        r, cookie = self.check_in(kode=self.code(), navn="Mette Hansen", email="")
        assert r.code == 302 and r.headers["Location"] == f"/temadag/{self.tid}/deltag"
        assert cookie.startswith("rf_temadag=")
        page = self.fetch(f"/temadag/{self.tid}/deltag", headers={"Cookie": cookie})
        assert page.code == 200
        with session_scope(self.settings.db_url) as s:
            # a code check-in is not attendance until the facilitator confirms it (issue 12, item 6)
            assert s.query(Completion).count() == 0
            assert [(p.name, p.status) for p in store.participants(s, self.tid)] == [("Mette Hansen", "afventer")]

    def test_personal_link_cookie_checks_in_with_one_tap(self):
        learner = identity.learner_token("ole.lund@eksempel.dk", secret=self.hub.secret)
        page = self.fetch(f"/temadag/ind?kode={self.code()}", headers={"Cookie": f"rf_learner={learner}"})
        assert "Tjek ind som ole.lund@eksempel.dk" in page.body.decode()
        r = self.fetch(
            "/temadag/ind",
            method="POST",
            follow_redirects=False,
            headers={"Cookie": f"rf_learner={learner}"},
            body=urllib.parse.urlencode({"kode": self.code(), "som": "link"}),
        )
        assert r.code == 302
        with session_scope(self.settings.db_url) as s:
            assert [(p.name, p.method, p.status) for p in store.participants(s, self.tid)] == [
                ("Ole Lund", "link", "bekraeftet")
            ]
            assert [(c.module, c.kind, c.passed) for c in s.query(Completion).all()] == [("opsporing", "temadag", True)]

    @gen_test
    async def test_live_answers_reach_projector_and_key_stays_hidden(self):
        client = self.http_client
        base = self.get_url("")
        _, mette = await self.acheck_in(kode=self.code(), email="mette.hansen@eksempel.dk")
        _, ole = await self.acheck_in(kode=self.code(), email="ole.lund@eksempel.dk")
        admin = {**self.admin_cookie(), "X-Rusfokus": "1"}
        r = await client.fetch(
            f"{base}/api/temadag/{self.tid}/styr", method="POST", headers=admin, body=json.dumps({"action": "start"})
        )
        view = json.loads(r.body)
        qid = view["question"]["id"]
        assert view["phase"] == "spoerg" and "correct" not in view["question"]
        state = json.loads(
            (await client.fetch(f"{base}/api/temadag/{self.tid}/deltager?since=-1", headers={"Cookie": mette})).body
        )
        assert state["question"]["id"] == qid and "explanation" not in state["question"]
        pending = client.fetch(
            f"{base}/api/temadag/{self.tid}/skaerm?since={view['answers_version']}", headers=self.admin_cookie()
        )
        for cookie, option in ((mette, 0), (ole, 2)):
            r = await client.fetch(
                f"{base}/api/temadag/{self.tid}/svar",
                method="POST",
                headers={"Cookie": cookie, "X-Rusfokus": "1"},
                body=json.dumps({"question": qid, "option": option}),
            )
            assert json.loads(r.body)["ok"]
        woke = json.loads((await pending).body)
        assert woke["answered"] >= 1
        projector = json.loads(
            (await client.fetch(f"{base}/api/temadag/{self.tid}/skaerm?since=-1", headers=self.admin_cookie())).body
        )
        assert projector["counts"][0] == 1 and projector["counts"][2] == 1 and projector["answered"] == 2
        no_header = await client.fetch(
            f"{base}/api/temadag/{self.tid}/svar",
            method="POST",
            raise_error=False,
            headers={"Cookie": mette},
            body=json.dumps({"question": qid, "option": 1}),
        )
        assert no_header.code == 403
        stranger = await client.fetch(
            f"{base}/api/temadag/{self.tid}/svar",
            method="POST",
            raise_error=False,
            headers={"X-Rusfokus": "1"},
            body=json.dumps({"question": qid, "option": 1}),
        )
        assert stranger.code == 401
        await client.fetch(
            f"{base}/api/temadag/{self.tid}/styr", method="POST", headers=admin, body=json.dumps({"action": "vis"})
        )
        late = await client.fetch(
            f"{base}/api/temadag/{self.tid}/svar",
            method="POST",
            raise_error=False,
            headers={"Cookie": ole, "X-Rusfokus": "1"},
            body=json.dumps({"question": qid, "option": 1}),
        )
        assert late.code == 400 and "ikke åbent" in json.loads(late.body)["fejl"]
        state = json.loads(
            (await client.fetch(f"{base}/api/temadag/{self.tid}/deltager?since=-1", headers={"Cookie": mette})).body
        )
        assert state["question"]["explanation"] and state["my_answer"] == 0

    @gen_test
    async def test_double_tap_checks_in_once(self):
        import asyncio

        results = await asyncio.gather(
            *[self.acheck_in(kode=self.code(), email="ole.lund@eksempel.dk") for _ in range(4)]
        )
        assert [r.code for r, _ in results] == [302] * 4
        with session_scope(self.settings.db_url) as s:
            assert len(store.participants(s, self.tid)) == 1
            assert s.query(Completion).count() == 0  # pending until the facilitator confirms

    def test_evaluation_once_and_in_summary(self):
        _, mette = self.check_in(kode=self.code(), email="mette.hansen@eksempel.dk")
        page = self.fetch(f"/temadag/{self.tid}/evaluering", headers={"Cookie": mette}).body.decode()
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        form = {
            "_csrf": csrf,
            "relevant": "5",
            "tegn": "4",
            "handling": "4",
            "form": "5",
            "anbefal": "5",
            "fritekst": "Mere om <b>samtalen</b>",
        }
        missing = self.fetch(
            f"/temadag/{self.tid}/evaluering",
            method="POST",
            headers={"Cookie": mette},
            body=urllib.parse.urlencode({**form, "tegn": ""}),
        )
        assert missing.code == 400 and "Giv et svar fra 1 til 5" in missing.body.decode()
        ok = self.fetch(
            f"/temadag/{self.tid}/evaluering",
            method="POST",
            headers={"Cookie": mette},
            body=urllib.parse.urlencode(form),
        )
        assert ok.code == 200 and "Tak" in ok.body.decode()
        again = self.fetch(f"/temadag/{self.tid}/evaluering", headers={"Cookie": mette}).body.decode()
        assert "allerede evalueret" in again
        detail = self.fetch(f"/temadag/admin/{self.tid}", headers=self.admin_cookie()).body.decode()
        assert "Evaluering (1 svar)" in detail and "Mere om &lt;b&gt;samtalen&lt;/b&gt;" in detail

    def test_edit_temadag(self):
        page = self.fetch(f"/temadag/admin/{self.tid}", headers=self.admin_cookie()).body.decode()
        assert 'value="Rådhuset"' in page and 'value="opsporing" checked' in page
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        form = {
            "_csrf": csrf,
            "title": "Flyttet temadag",
            "date": "2027-05-04",
            "start": "12:30",
            "duration_min": "45",
            "place": "Vestskolen",
            "modules": "dobbeltdiagnose",
            "facilitator": "Pia",
        }
        bad = self.fetch(
            f"/temadag/admin/{self.tid}/ret",
            method="POST",
            headers=self.admin_cookie(),
            body=urllib.parse.urlencode({**form, "place": ""}),
        )
        assert bad.code == 400 and "Skriv hvor temadagen holdes" in bad.body.decode()
        ok = self.fetch(
            f"/temadag/admin/{self.tid}/ret",
            method="POST",
            headers=self.admin_cookie(),
            body=urllib.parse.urlencode(form),
            follow_redirects=False,
        )
        assert ok.code == 302
        with session_scope(self.settings.db_url) as s:
            plan = store.to_plan(store.get(s, self.tid))
        assert (plan.title, plan.date.isoformat(), plan.duration_min, plan.modules, plan.counts_toward_module) == (
            "Flyttet temadag",
            "2027-05-04",
            45,
            ("dobbeltdiagnose",),
            False,
        )

    def test_delete_needs_csrf_and_no_participants(self):
        page = self.fetch(f"/temadag/admin/{self.tid}", headers=self.admin_cookie()).body.decode()
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        assert (
            self.fetch(f"/temadag/admin/{self.tid}/slet", method="POST", headers=self.admin_cookie(), body="").code
            == 403
        )
        self.check_in(kode=self.code(), email="mette.hansen@eksempel.dk")
        refused = self.fetch(
            f"/temadag/admin/{self.tid}/slet",
            method="POST",
            headers=self.admin_cookie(),
            body=urllib.parse.urlencode({"_csrf": csrf}),
        )
        assert refused.code == 400 and "deltagere tjekket ind" in refused.body.decode()
        code = json.loads(self.fetch(f"/api/temadag/{self.tid}/kode", headers=self.admin_cookie()).body)
        assert code["today"] is True and code["loopback"] is True and code["checked_in"] == 1
        assert code["svg"].startswith("<svg") and code["url"].endswith(f"/temadag/ind?kode={code['code']}")

    def test_tick_list_checks_in_and_removes(self):
        page = self.fetch(f"/temadag/admin/{self.tid}", headers=self.admin_cookie()).body.decode()
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        person_id = re.search(r'name="person_id" value="(\d+)"', page).group(1)
        r = self.fetch(
            f"/temadag/admin/{self.tid}/afkryds",
            method="POST",
            headers=self.admin_cookie(),
            body=urllib.parse.urlencode({"_csrf": csrf, "person_id": person_id}),
            follow_redirects=False,
        )
        assert r.code == 302
        page = self.fetch(f"/temadag/admin/{self.tid}", headers=self.admin_cookie()).body.decode()
        assert "Tjekket ind (1)" in page and "Krydset af" in page
        pid = re.search(r'name="fjern" value="(\d+)"', page).group(1)
        self.fetch(
            f"/temadag/admin/{self.tid}/afkryds",
            method="POST",
            headers=self.admin_cookie(),
            body=urllib.parse.urlencode({"_csrf": csrf, "fjern": pid}),
            follow_redirects=False,
        )
        page = self.fetch(f"/temadag/admin/{self.tid}", headers=self.admin_cookie()).body.decode()
        assert "Tjekket ind (0)" in page
