"""Issue 12, items 6-9: temadag check-in and live state, each attack reproduced on a real tornado server.

6. a check-in never creates a person or a certificate; code check-ins wait for the facilitator
7. one check-in per phone while a valid participant cookie is present
8. wrong codes are limited per guesser (cookie) and code window, not per shared address
9. the live question, phase and answers survive a server restart (database, migration 0005)
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
import urllib.parse

import tornado.httpserver
import tornado.testing
import tornado.web
from sqlalchemy import select
from tornado.testing import AsyncHTTPTestCase

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.progress.models import STATUS_ACTIVE, Certificate, Completion, Person
from rusfokus.progress.staff import OrgCache
from rusfokus.settings import Settings
from rusfokus.temadag import codes, planning, store
from rusfokus.temadag.web import Hub
from rusfokus.temadag.web_routes import routes

TODAY = dt.date.today()


def cookie_of(response, name):
    for header in response.headers.get_list("Set-Cookie"):
        if header.startswith(name + "="):
            return header.split(";")[0]
    return ""


class TemadagServer(AsyncHTTPTestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.settings = Settings.from_env(home=self.tmp.name)
        self.now = dt.datetime.combine(TODAY, dt.time(9, 2)).timestamp()
        super().setUp()

    def tearDown(self):
        for server in getattr(self, "restarted", []):
            server.stop()
        super().tearDown()
        self.tmp.cleanup()

    def get_app(self):
        self.hub = Hub(self.settings, clock=lambda: self.now)
        app = tornado.web.Application(routes(self.settings, self.hub))
        with session_scope(self.settings.db_url) as s:
            inst = OrgCache(s).institution("Børn og Unge", "Dagtilbud", "Børnehuset Solsikken")
            stamp = dt.datetime.now()
            for name, email in (("Mette Hansen", "mette.hansen@eksempel.dk"), ("Ole Lund", "ole.lund@eksempel.dk")):
                s.add(
                    Person(
                        email=email,
                        name=name,
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
                    "title": "Børn og alkohol",
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

    def admin(self):
        return {"Cookie": f"{identity.ADMIN_COOKIE}={identity.admin_token('pia', secret=self.hub.secret)}"}

    def code(self):
        return codes.short_code(self.hub.secret, self.tid, codes.window_of(self.now))

    def check_in(self, cookie="", base="", **form):
        r = self.fetch(
            base + "/temadag/ind",
            method="POST",
            body=urllib.parse.urlencode(form),
            follow_redirects=False,
            headers={"Cookie": cookie} if cookie else {},
        )
        return r, cookie_of(r, "rf_temadag")

    def tick(self, **form):
        page = self.fetch(f"/temadag/admin/{self.tid}", headers=self.admin()).body.decode()
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        return self.fetch(
            f"/temadag/admin/{self.tid}/afkryds",
            method="POST",
            headers=self.admin(),
            body=urllib.parse.urlencode({"_csrf": csrf, **form}),
            follow_redirects=False,
        )

    def db_state(self):
        with session_scope(self.settings.db_url) as s:
            return {
                "people": sorted(p.email for p in s.scalars(select(Person))),
                "certs": sorted((s.get(Person, c.person_id).email, c.module) for c in s.scalars(select(Certificate))),
                "done": sorted((c.person_id, c.module) for c in s.scalars(select(Completion))),
                "participants": [(p.email, p.status, p.person_id is not None) for p in store.participants(s, self.tid)],
            }


class CheckinTest(TemadagServer):
    # --- item 6 --------------------------------------------------------------------
    def test_made_up_email_creates_no_person_no_certificate_and_waits_for_facilitator(self):
        before = self.db_state()
        r, cookie = self.check_in(kode=self.code(), navn="Udefra Udensen", email="opdigtet@andet.dk")
        assert r.code == 302 and cookie  # may follow the questions in the room
        after = self.db_state()
        assert after["people"] == before["people"]
        assert after["certs"] == [] and after["done"] == []
        assert after["participants"] == [("opdigtet@andet.dk", "afventer", False)]
        page = self.fetch(f"/temadag/{self.tid}/deltag", headers={"Cookie": cookie}).body.decode()
        assert "tæller, når facilitator har bekræftet" in page
        detail = self.fetch(f"/temadag/admin/{self.tid}", headers=self.admin()).body.decode()
        assert "Venter på bekræftelse (1)" in detail and "ikke på medarbejderlisten" in detail
        assert "Tjekket ind (0)" in detail
        pid = re.search(r'name="bekraeft" value="(\d+)"', detail).group(1)
        # the facilitator cannot confirm an unknown e-mail without naming who it is, nor as an unknown e-mail
        assert self.tick(bekraeft=pid).code == 400
        refused = self.tick(bekraeft=pid, match_email="endnu.en@andet.dk")
        assert refused.code == 400 and "ikke på medarbejderlisten" in refused.body.decode()
        assert self.db_state()["people"] == before["people"]
        # reject: gone, and the phone's cookie no longer takes part
        assert self.tick(fjern=pid).code == 302
        assert self.db_state()["participants"] == []
        gone = self.fetch(f"/temadag/{self.tid}/deltag", headers={"Cookie": cookie}, follow_redirects=False)
        assert gone.code == 302 and gone.headers["Location"] == "/temadag/ind"
        assert self.db_state()["people"] == before["people"] and self.db_state()["certs"] == []

    @tornado.testing.gen_test
    async def test_double_tap_of_an_unknown_email_waits_once(self):
        import asyncio

        async def tap():
            return await self.http_client.fetch(
                self.get_url("/temadag/ind"),
                method="POST",
                raise_error=False,
                follow_redirects=False,
                body=urllib.parse.urlencode({"kode": self.code(), "email": "ny@andet.dk"}),
            )

        results = await asyncio.gather(*[tap() for _ in range(4)])
        assert [r.code for r in results] == [302] * 4
        assert self.db_state()["participants"] == [("ny@andet.dk", "afventer", False)]

    def test_unknown_email_matched_by_facilitator_counts_for_that_person(self):
        self.check_in(kode=self.code(), navn="Mette", email="mette.privat@andet.dk")
        detail = self.fetch(f"/temadag/admin/{self.tid}", headers=self.admin()).body.decode()
        pid = re.search(r'name="bekraeft" value="(\d+)"', detail).group(1)
        assert self.tick(bekraeft=pid, match_email="Mette.Hansen@eksempel.dk").code == 302
        state = self.db_state()
        assert state["participants"] == [("mette.hansen@eksempel.dk", "bekraeftet", True)]
        assert state["certs"] == [("mette.hansen@eksempel.dk", "opsporing")]
        assert len(state["people"]) == 2

    def test_absent_colleagues_email_is_not_attendance_until_facilitator_ticks(self):
        r, _ = self.check_in(kode=self.code(), email="ole.lund@eksempel.dk")
        assert r.code == 302
        state = self.db_state()
        assert state["done"] == [] and state["certs"] == []
        assert state["participants"] == [("ole.lund@eksempel.dk", "afventer", True)]
        detail = self.fetch(f"/temadag/admin/{self.tid}", headers=self.admin()).body.decode()
        assert "Bekræft alle, der står på medarbejderlisten" in detail
        # the facilitator sees Ole is in the room and confirms
        assert self.tick(bekraeft_alle="1").code == 302
        state = self.db_state()
        assert state["participants"] == [("ole.lund@eksempel.dk", "bekraeftet", True)]
        assert state["certs"] == [("ole.lund@eksempel.dk", "opsporing")] and len(state["done"]) == 1

    def test_personal_link_checks_in_at_once(self):
        learner = identity.learner_token("mette.hansen@eksempel.dk", secret=self.hub.secret)
        r, cookie = self.check_in(cookie=f"rf_learner={learner}", kode=self.code(), som="link")
        assert r.code == 302 and cookie
        state = self.db_state()
        assert state["participants"] == [("mette.hansen@eksempel.dk", "bekraeftet", True)]
        assert state["certs"] == [("mette.hansen@eksempel.dk", "opsporing")]

    def test_signed_link_of_someone_not_on_the_staff_list_waits(self):
        learner = identity.learner_token("ny.kollega@eksempel.dk", secret=self.hub.secret)
        before = self.db_state()["people"]
        r, _ = self.check_in(cookie=f"rf_learner={learner}", kode=self.code(), som="link")
        assert r.code == 302
        state = self.db_state()
        assert state["people"] == before and state["certs"] == []
        assert state["participants"] == [("ny.kollega@eksempel.dk", "afventer", False)]

    # --- item 7 --------------------------------------------------------------------
    def test_one_phone_one_check_in(self):
        _, first = self.check_in(kode=self.code(), email="mette.hansen@eksempel.dk")
        assert first
        for email in ("ole.lund@eksempel.dk", "opdigtet1@andet.dk", "opdigtet2@andet.dk"):
            r, cookie = self.check_in(cookie=first, kode=self.code(), email=email)
            assert r.code == 409 and cookie == ""
            body = r.body.decode()
            assert "allerede tjekket ind" in body and f'href="/temadag/{self.tid}/deltag"' in body
        assert [p[0] for p in self.db_state()["participants"]] == ["mette.hansen@eksempel.dk"]
        # a phone whose check-in the facilitator removed may check in again
        pid = re.search(
            r'name="fjern" value="(\d+)"', self.fetch(f"/temadag/admin/{self.tid}", headers=self.admin()).body.decode()
        ).group(1)
        self.tick(fjern=pid)
        r, again = self.check_in(cookie=first, kode=self.code(), email="ole.lund@eksempel.dk")
        assert r.code == 302 and again

    def test_one_phone_votes_once(self):
        _, phone = self.check_in(kode=self.code(), email="mette.hansen@eksempel.dk")
        cookies = [phone]
        for i in range(5):  # the phone tries to collect more participant cookies, sending the one it holds
            _, more = self.check_in(cookie=cookies[-1], kode=self.code(), email=f"stemme{i}@andet.dk")
            if more:
                cookies.append(more)
        admin = {**self.admin(), "X-Rusfokus": "1"}
        view = json.loads(
            self.fetch(
                f"/api/temadag/{self.tid}/styr", method="POST", headers=admin, body=json.dumps({"action": "start"})
            ).body
        )
        for cookie in cookies:
            r = self.fetch(
                f"/api/temadag/{self.tid}/svar",
                method="POST",
                headers={"Cookie": cookie, "X-Rusfokus": "1"},
                body=json.dumps({"question": view["question"]["id"], "option": 0}),
            )
            assert r.code == 200
        projector = json.loads(self.fetch(f"/api/temadag/{self.tid}/skaerm?since=-1", headers=self.admin()).body)
        assert projector["answered"] == 1 and sum(projector["counts"]) == 1

    # --- item 8 --------------------------------------------------------------------
    def browser(self):
        """A fresh browser: opens the check-in page and gets its own guesser cookie."""
        r = self.fetch("/temadag/ind")
        cookie = cookie_of(r, "rf_temadag_gaet")
        assert cookie
        return cookie

    def test_guesser_locked_out_does_not_lock_out_other_browser_on_same_address(self):
        guesser, colleague = self.browser(), self.browser()
        for _ in range(codes.MAX_BAD_PER_GUESSER):
            r, _ = self.check_in(cookie=guesser, kode="AAAAAA", email="ole.lund@eksempel.dk")
            assert r.code == 400
        r, _ = self.check_in(cookie=guesser, kode=self.code(), email="ole.lund@eksempel.dk")
        assert r.code == 429 and "for mange gange" in r.body.decode()
        # same address (127.0.0.1), another browser: the right code works
        r, cookie = self.check_in(cookie=colleague, kode=self.code(), email="mette.hansen@eksempel.dk")
        assert r.code == 302 and cookie
        # the next code window lets the guesser try again
        self.now += codes.WINDOW_SECONDS
        r, _ = self.check_in(cookie=guesser, kode=self.code(), email="ole.lund@eksempel.dk")
        assert r.code == 302

    def test_requests_without_cookie_are_one_guesser_per_address(self):
        for _ in range(codes.MAX_BAD_PER_GUESSER):
            self.check_in(kode="AAAAAA", email="ole.lund@eksempel.dk")
        r, _ = self.check_in(kode=self.code(), email="ole.lund@eksempel.dk")
        assert r.code == 429
        r, _ = self.check_in(cookie=self.browser(), kode=self.code(), email="ole.lund@eksempel.dk")
        assert r.code == 302

    def test_address_ceiling_against_bulk_guessing_with_fresh_cookies(self):
        limiter = codes.BadCodeLimiter(per_guesser=3, per_address=10)
        for i in range(10):
            assert not limiter.blocked(f"cookie-{i}", "10.0.0.1", self.now)
            limiter.add(f"cookie-{i}", "10.0.0.1", self.now)
        assert limiter.blocked("cookie-new", "10.0.0.1", self.now)
        assert not limiter.blocked("cookie-new", "10.0.0.2", self.now)
        assert not limiter.blocked("cookie-new", "10.0.0.1", self.now + codes.WINDOW_SECONDS)
        assert codes.MAX_BAD_PER_ADDRESS >= 10 * codes.MAX_BAD_PER_GUESSER


class RestartTest(TemadagServer):
    """Item 9: a new server (new hub, new application, new HTTP server) on the same database."""

    def restart(self) -> str:
        self.http_server.stop()
        self.hub.sessions.clear()  # the old process is gone: nothing of its memory is used
        hub = Hub(self.settings, clock=lambda: self.now)
        sock, port = tornado.testing.bind_unused_port()
        server = tornado.httpserver.HTTPServer(tornado.web.Application(routes(self.settings, hub)))
        server.add_sockets([sock])
        self.restarted = [*getattr(self, "restarted", []), server]
        self.hub = hub
        return f"http://127.0.0.1:{port}"

    def test_restart_mid_temadag_resumes_live_question_and_answers(self):
        _, mette = self.check_in(kode=self.code(), email="mette.hansen@eksempel.dk")
        _, ole = self.check_in(kode=self.code(), email="ole.lund@eksempel.dk")
        admin = {**self.admin(), "X-Rusfokus": "1"}
        self.fetch(f"/api/temadag/{self.tid}/styr", method="POST", headers=admin, body=json.dumps({"action": "start"}))
        view = json.loads(
            self.fetch(
                f"/api/temadag/{self.tid}/styr", method="POST", headers=admin, body=json.dumps({"action": "naeste"})
            ).body
        )
        qid = view["question"]["id"]
        for cookie, option in ((mette, 1), (ole, 2)):
            r = self.fetch(
                f"/api/temadag/{self.tid}/svar",
                method="POST",
                headers={"Cookie": cookie, "X-Rusfokus": "1"},
                body=json.dumps({"question": qid, "option": option}),
            )
            assert r.code == 200
        before = json.loads(self.fetch(f"/api/temadag/{self.tid}/skaerm?since=-1", headers=self.admin()).body)

        base = self.restart()
        after = json.loads(self.fetch(f"{base}/api/temadag/{self.tid}/skaerm?since=-1", headers=self.admin()).body)
        assert after["phase"] == "spoerg" and after["index"] == 1 and after["question"]["id"] == qid
        assert after["counts"] == before["counts"] and after["answered"] == 2
        phone = json.loads(
            self.fetch(f"{base}/api/temadag/{self.tid}/deltager?since=-1", headers={"Cookie": mette}).body
        )
        assert phone["version"] == view["version"] and phone["my_answer"] == 1
        # the room goes on: Ole changes his answer, the facilitator reveals
        r = self.fetch(
            f"{base}/api/temadag/{self.tid}/svar",
            method="POST",
            headers={"Cookie": ole, "X-Rusfokus": "1"},
            body=json.dumps({"question": qid, "option": 1}),
        )
        assert json.loads(r.body) == {"ok": True, "answered": 2}
        shown = json.loads(
            self.fetch(
                f"{base}/api/temadag/{self.tid}/styr", method="POST", headers=admin, body=json.dumps({"action": "vis"})
            ).body
        )
        assert shown["phase"] == "vis" and shown["counts"][1] == 2 and "explanation" in shown["question"]

        base = self.restart()  # and again: the revealed answer is still revealed
        again = json.loads(self.fetch(f"{base}/api/temadag/{self.tid}/skaerm?since=-1", headers=self.admin()).body)
        assert again["phase"] == "vis" and again["counts"] == shown["counts"]

    def test_edited_modules_start_live_mode_over(self):
        admin = {**self.admin(), "X-Rusfokus": "1"}
        self.fetch(f"/api/temadag/{self.tid}/styr", method="POST", headers=admin, body=json.dumps({"action": "start"}))
        with session_scope(self.settings.db_url) as s:
            row = store.get(s, self.tid)
            store.update(
                s,
                row,
                planning.validate_plan(
                    {
                        "title": row.title,
                        "date": TODAY.isoformat(),
                        "place": "Rådhuset",
                        "modules": "dobbeltdiagnose",
                        "facilitator": "Pia",
                        "institutions": "Børnehuset Solsikken",
                    }
                ),
            )
        base = self.restart()
        view = json.loads(self.fetch(f"{base}/api/temadag/{self.tid}/skaerm?since=-1", headers=self.admin()).body)
        assert view["phase"] == "venter" and view["index"] == -1


def test_migration_0005_keeps_earlier_check_ins_as_attendance(tmp_path):
    """A database from before 0005: its check-ins were attendance and stay confirmed."""
    from alembic import command
    from sqlalchemy import text

    from rusfokus.db import make_engine
    from rusfokus.migrations import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = alembic_config(url)
    with make_engine(url).begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0004_hardening_auth")
        connection.execute(
            text(
                "INSERT INTO temadag (id, title, date, start, duration_min, place, modules, facilitator, "
                "counts_toward_module, created_at) VALUES (1, 'T', '2026-11-30', '09:00:00', 60, 'R', 'opsporing', "
                "'Pia', 1, '2026-11-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO temadag_participant (temadag_id, name, email, method, checked_in_at, evaluated) "
                "VALUES (1, 'Mette', 'mette@eksempel.dk', 'kode', '2026-11-30 09:01:00', 0)"
            )
        )
    with make_engine(url).begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    with session_scope(url) as s:
        assert [(p.email, p.status) for p in store.participants(s, 1)] == [("mette@eksempel.dk", "bekraeftet")]
        assert store.list_plans(s)[0].attended == 1
