"""Roles over one identity, on a real tornado server (no browser): learner, nøgleperson, admin.

Two institutions, each with a nøgleperson and a colleague, and one temadag each.
Every boundary is asked over HTTP as the browser would: the nøgleperson sees and
runs only temadage inviting her institution, her institution's status only, no
admin pages; a learner sees none of it; the admin sees everything; the role is
gone at once when the person is revoked, fratrådt or loses the flag in a new
roster import.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import urllib.parse

import tornado.web
from tornado.testing import AsyncHTTPTestCase

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.identity import roles
from rusfokus.progress import certificates, module_title
from rusfokus.progress.models import STATUS_ACTIVE, STATUS_LEFT, Completion, Person
from rusfokus.progress.staff import OrgCache
from rusfokus.settings import Settings
from rusfokus.temadag import planning, store
from rusfokus.temadag.web import Hub

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

TODAY = dt.date.today()
NINA = "nina.noegle@eksempel.dk"  # nøgleperson, Børnehuset Solsikken
METTE = "mette.hansen@eksempel.dk"  # colleague, Børnehuset Solsikken
BO = "bo.noegle@eksempel.dk"  # nøgleperson, Vestskolen
OLE = "ole.lund@eksempel.dk"  # colleague, Vestskolen
EVIL = '<script>alert("x")</script> Hansen'


class RolesWebTest(AsyncHTTPTestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.settings = Settings.from_env(home=self.tmp.name, course_dir=f"{self.tmp.name}/course")
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.tmp.cleanup()

    def get_app(self):
        from rusfokus.identity import web as identity_web
        from rusfokus.progress import web as progress_web
        from rusfokus.roles import web as roles_web
        from rusfokus.temadag.web_routes import routes as temadag_routes

        self.hub = Hub(self.settings)
        routes = [
            *temadag_routes(self.settings, self.hub),
            *roles_web.routes(self.settings),
            *progress_web.routes(self.settings),
            *identity_web.routes(self.settings),
        ]
        app = tornado.web.Application([r if len(r) == 3 else (*r, {}) for r in routes])
        now = dt.datetime.now()
        with session_scope(self.settings.db_url) as s:
            org = OrgCache(s)
            sol = org.institution("Børn og Unge", "Dagtilbud", "Børnehuset Solsikken")
            vest = org.institution("Børn og Unge", "Skole", "Vestskolen")
            self.sol_id, self.vest_id = sol.id, vest.id
            for email, name, inst, key in (
                (NINA, "Nina Nøgle", sol, True),
                (METTE, "Mette Hansen", sol, False),
                ("evil@eksempel.dk", EVIL, sol, False),
                (BO, "Bo Nøgle", vest, True),
                (OLE, "Ole Lund", vest, False),
            ):
                s.add(
                    Person(
                        email=email,
                        name=name,
                        faggruppe="Pædagog",
                        institution_id=inst.id,
                        noegleperson=key,
                        status=STATUS_ACTIVE,
                        created_at=now,
                        updated_at=now,
                    )
                )
            s.flush()
            mette = s.query(Person).filter_by(email=METTE).one()
            # Mette's kursusbevis runs out in 30 days: due a refresher
            certificates.issue(s, mette, "opsporing", TODAY - dt.timedelta(days=700), 24)
            s.add(
                Completion(
                    person_id=mette.id,
                    module="opsporing",
                    kind="modul",
                    score=10,
                    max_score=10,
                    passed=True,
                    completed_at=now - dt.timedelta(days=700),
                )
            )
            self.tid_sol = self._plan(s, "Solsikkens temadag", "Børnehuset Solsikken")
            self.tid_vest = self._plan(s, "Vestskolens hemmelige temadag", "Vestskolen")
        return app

    def _plan(self, s, title, inst):
        plan = planning.validate_plan(
            {
                "title": title,
                "date": TODAY.isoformat(),
                "place": "Rådhuset",
                "modules": "opsporing",
                "facilitator": "Pia",
                "institutions": inst,
            }
        )
        return store.create(s, plan, "pia", dt.datetime.now()).id

    # helpers -------------------------------------------------------------------------
    def fetch(self, path, raise_error=False, **kwargs):
        """As AsyncHTTPTestCase.fetch, with room for a loaded 2-core test machine (30 s, not 5 s)."""
        return self.io_loop.run_sync(
            lambda: self.http_client.fetch(self.get_url(path), raise_error=raise_error, **kwargs), timeout=30
        )

    def learner(self, email):
        return {"Cookie": f"{identity.LEARNER_COOKIE}={identity.learner_token(email, secret=self.hub.secret)}"}

    def admin(self):
        return {"Cookie": f"{identity.ADMIN_COOKIE}={identity.admin_token('pia', secret=self.hub.secret)}"}

    def get(self, path, headers=None):
        return self.fetch(path, headers=headers or {}, follow_redirects=False)

    def post(self, path, form, headers=None):
        return self.fetch(
            path,
            method="POST",
            body=urllib.parse.urlencode(form, doseq=True),
            headers=headers or {},
            follow_redirects=False,
        )

    def csrf(self, path, headers):
        return re.search(r'name="_csrf" value="([^"]+)"', self.get(path, headers).body.decode()).group(1)

    # roles ---------------------------------------------------------------------------
    def test_current_role_reads_the_staff_list(self):
        role = roles.current_role(self.learner(NINA)["Cookie"], db_url=self.settings.db_url, secret=self.hub.secret)
        assert role.is_noegleperson and role.institution_names == ("Børnehuset Solsikken",)
        learner = roles.current_role(self.learner(METTE)["Cookie"], db_url=self.settings.db_url, secret=self.hub.secret)
        assert learner.kind == roles.ROLE_LEARNER and not learner.may_facilitate
        assert roles.current_role(self.admin()["Cookie"], db_url=self.settings.db_url, secret=self.hub.secret).is_admin
        forged = f"{identity.LEARNER_COOKIE}=" + identity.learner_token(NINA, secret=b"x" * 64)
        assert roles.current_role(forged, db_url=self.settings.db_url, secret=self.hub.secret).kind == ""

    # learner -------------------------------------------------------------------------
    def test_learner_cannot_open_noegleperson_pages(self):
        mette = self.learner(METTE)
        for path in (
            "/noegleperson",
            "/noegleperson/status",
            "/noegleperson/refleksioner",
            f"/noegleperson/status?institution={self.sol_id}",
            "/temadag/admin",
            f"/temadag/admin/{self.tid_sol}",
            f"/temadag/admin/{self.tid_sol}/skaerm",
            "/temadag/admin/eksport.xlsx",
        ):
            r = self.get(path, mette)
            assert r.code == 403, path
            assert "Solsikkens temadag" not in r.body.decode() and "Mette" not in r.body.decode()
        assert self.get(f"/api/temadag/{self.tid_sol}/kode", mette).code == 403
        r = self.fetch(
            f"/api/temadag/{self.tid_sol}/styr",
            method="POST",
            body='{"action":"start"}',
            headers={**mette, "X-Rusfokus": "1"},
        )
        assert r.code == 403
        assert self.post("/noegleperson/refleksioner", {"point": "2"}, mette).code == 403
        assert "For nøglepersoner" not in self.get("/temadag/ind", mette).body.decode()

    def test_no_identity_is_told_to_use_the_personal_link(self):
        r = self.get("/noegleperson")
        assert r.code == 403
        body = r.body.decode()
        assert "personlige link" in body and "ingen adgangskode" in body and 'href="/login"' in body
        assert self.get("/temadag/admin").headers["Location"].startswith("/login?next=")
        login = self.get("/login").body.decode()
        assert "Er du kursist eller nøgleperson?" in login and "Du har ingen adgangskode" in login
        assert "personlige link" in login and 'href="/noegleperson"' in login

    # nøgleperson -----------------------------------------------------------------------
    def test_noegleperson_sees_entry_and_only_her_temadage(self):
        nina = self.learner(NINA)
        ind = self.get("/temadag/ind", nina).body.decode()
        assert 'href="/noegleperson">For nøglepersoner</a>' in ind
        home = self.get("/noegleperson", nina)
        assert home.code == 200 and "Børnehuset Solsikken" in home.body.decode()
        assert f'href="/temadag/admin/{self.tid_sol}/skaerm"' in home.body.decode()  # her projector view
        assert "hemmelige" not in home.body.decode() and f"/temadag/admin/{self.tid_vest}" not in home.body.decode()
        lst = self.get("/temadag/admin", nina)
        body = lst.body.decode()
        assert lst.code == 200 and "Solsikkens temadag" in body and "hemmelige" not in body
        assert 'href="/admin"' not in body  # no link to the rusmiddelcenter's reports
        assert self.get(f"/temadag/admin/{self.tid_sol}", nina).code == 200
        assert self.get(f"/temadag/admin/{self.tid_sol}/skaerm", nina).code == 200
        assert self.get(f"/api/temadag/{self.tid_sol}/kode", nina).code == 200
        for xlsx in ("/temadag/admin/eksport.ics", "/temadag/admin/eksport.xlsx"):
            data = self.get(xlsx, nina).body
            assert b"Solsikken" in data or xlsx.endswith("xlsx")
            assert b"hemmelige" not in data

    def test_noegleperson_cannot_open_another_institutions_temadag(self):
        nina = self.learner(NINA)
        csrf = self.csrf("/temadag/admin", nina)
        tid = self.tid_vest
        for path in (f"/temadag/admin/{tid}", f"/temadag/admin/{tid}/skaerm", f"/api/temadag/{tid}/kode"):
            r = self.get(path, nina)
            assert r.code == 404, path
            assert "hemmelige" not in r.body.decode()
        r = self.fetch(
            f"/api/temadag/{tid}/styr", method="POST", body='{"action":"start"}', headers={**nina, "X-Rusfokus": "1"}
        )
        assert r.code == 404
        assert self.fetch(f"/api/temadag/{tid}/skaerm?since=-1", headers=nina).code == 404
        assert self.post(f"/temadag/admin/{tid}/slet", {"_csrf": csrf}, nina).code == 404
        assert self.post(f"/temadag/admin/{tid}/afkryds", {"_csrf": csrf, "person_id": "1"}, nina).code == 404
        form = {
            "_csrf": csrf,
            "title": "Overtaget",
            "date": TODAY.isoformat(),
            "place": "X",
            "modules": "opsporing",
            "facilitator": "Nina",
            "institutions": "Vestskolen",
        }
        assert self.post(f"/temadag/admin/{tid}/ret", form, nina).code == 404
        with session_scope(self.settings.db_url) as s:
            assert store.get(s, tid).title == "Vestskolens hemmelige temadag"

    def test_noegleperson_plans_only_for_her_own_institution(self):
        nina = self.learner(NINA)
        csrf = self.csrf("/temadag/admin", nina)
        form = {
            "_csrf": csrf,
            "title": "Personalemøde",
            "date": TODAY.isoformat(),
            "place": "Stuen",
            "duration_min": "45",
            "modules": "opsporing",
            "facilitator": "Nina",
        }
        bad = self.post("/temadag/admin", {**form, "institutions": "Børnehuset Solsikken\nVestskolen"}, nina)
        assert bad.code == 400 and "Fjern: Vestskolen" in bad.body.decode()
        ok = self.post("/temadag/admin", {**form, "institutions": ""}, nina)  # none given: hers
        assert ok.code == 302
        new_id = int(ok.headers["Location"].rsplit("/", 1)[1])
        with session_scope(self.settings.db_url) as s:
            row = store.get(s, new_id)
            assert store.institutions_of(row) == ("Børnehuset Solsikken",) and row.created_by == f"noegleperson:{NINA}"
        # editing cannot move it to another institution either
        away = self.post(f"/temadag/admin/{new_id}/ret", {**form, "institutions": "Vestskolen"}, nina)
        assert away.code == 400 and "Fjern: Vestskolen" in away.body.decode()
        # Bo (Vestskolen) does not see it
        assert self.get(f"/temadag/admin/{new_id}", self.learner(BO)).code == 404

    def test_noegleperson_ticks_in_only_invited_staff(self):
        nina = self.learner(NINA)
        csrf = self.csrf("/temadag/admin", nina)
        with session_scope(self.settings.db_url) as s:
            ole = s.query(Person).filter_by(email=OLE).one().id
            mette = s.query(Person).filter_by(email=METTE).one().id
        page = self.get(f"/temadag/admin/{self.tid_sol}", nina).body.decode()
        assert "Mette Hansen" in page and "Ole Lund" not in page
        r = self.post(f"/temadag/admin/{self.tid_sol}/afkryds", {"_csrf": csrf, "person_id": str(ole)}, nina)
        assert r.code == 400 and "ikke på listen over inviterede" in r.body.decode()
        r = self.post(
            f"/temadag/admin/{self.tid_sol}/afkryds", {"_csrf": csrf, "bekraeft": "999", "match_email": OLE}, nina
        )
        assert r.code == 400
        r = self.post(f"/temadag/admin/{self.tid_sol}/afkryds", {"_csrf": csrf, "person_id": str(mette)}, nina)
        assert r.code == 302
        with session_scope(self.settings.db_url) as s:
            assert [p.person_id for p in store.participants(s, self.tid_sol)] == [mette]

    def test_noegleperson_cannot_open_admin_pages(self):
        nina = self.learner(NINA)
        for path in ("/admin", "/admin/rapport.xlsx", "/admin/rapport/overblik.csv"):
            r = self.get(path, nina)
            assert r.code == 302 and r.headers["Location"].startswith("/login"), path
        # the status of another institution, asked for by id, does not exist for her
        r = self.get(f"/noegleperson/status?institution={self.vest_id}", nina)
        assert r.code == 404 and "Ole" not in r.body.decode()

    def test_noegleperson_sees_her_institutions_status_escaped(self):
        r = self.get("/noegleperson/status", self.learner(NINA))
        body = r.body.decode()
        assert r.code == 200
        assert "Mette Hansen" in body and "Ole Lund" not in body and "Bo Nøgle" not in body
        due = body.split('id="genop-h"')[1].split("</section>")[0]
        assert "Mette Hansen" in due and module_title("opsporing") in due
        not_started = body.split('id="ikke-h"')[1].split("</section>")[0]
        assert "Mette" not in not_started and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Hansen" in not_started
        assert "<script>" not in body
        assert "1 af 3 har gyldigt kursusbevis" in body

    # admin -----------------------------------------------------------------------------
    def test_admin_sees_everything(self):
        admin = self.admin()
        body = self.get("/temadag/admin", admin).body.decode()
        assert "Solsikkens temadag" in body and "hemmelige" in body
        assert self.get(f"/temadag/admin/{self.tid_vest}", admin).code == 200
        home = self.get("/noegleperson", admin).body.decode()
        assert "Solsikkens temadag" in home and "hemmelige" in home
        choose = self.get("/noegleperson/status", admin).body.decode()
        assert "Vestskolen" in choose and "Børnehuset Solsikken" in choose
        vest = self.get(f"/noegleperson/status?institution={self.vest_id}", admin).body.decode()
        assert "Ole Lund" in vest and "Mette" not in vest

    # losing the role -------------------------------------------------------------------
    def test_revoked_noegleperson_loses_access_at_once(self):
        nina = self.learner(NINA)
        assert self.get("/noegleperson", nina).code == 200
        from rusfokus.identity.revocation import revoke

        with session_scope(self.settings.db_url) as s:
            revoke(s, NINA, secret=self.hub.secret)
        assert self.get("/noegleperson", nina).code == 403
        assert self.get("/temadag/admin", nina).headers["Location"].startswith("/login")
        assert self.get(f"/temadag/admin/{self.tid_sol}", nina).code == 302

    def test_fratraadt_noegleperson_loses_access_at_once(self):
        nina = self.learner(NINA)
        assert self.get(f"/temadag/admin/{self.tid_sol}", nina).code == 200
        with session_scope(self.settings.db_url) as s:
            s.query(Person).filter_by(email=NINA).one().status = STATUS_LEFT
        assert self.get(f"/temadag/admin/{self.tid_sol}", nina).code == 403
        assert self.get("/noegleperson/status", nina).code == 403
        assert "For nøglepersoner" not in self.get("/temadag/ind", nina).body.decode()

    def test_flag_removed_in_new_roster_import_removes_access(self):
        from rusfokus.progress.roster import parse_rows
        from rusfokus.progress.staff import import_roster

        nina = self.learner(NINA)
        assert self.get("/noegleperson/refleksioner", nina).code == 200
        header = ["Navn", "E-mail", "Forvaltning", "Afdeling", "Institution", "Faggruppe", "Nøgleperson"]
        rows = [(1, header)]
        for n, (name, email, afd, inst, key) in enumerate(
            (
                ("Nina Nøgle", NINA, "Dagtilbud", "Børnehuset Solsikken", "Nej"),
                ("Mette Hansen", METTE, "Dagtilbud", "Børnehuset Solsikken", "Nej"),
                ("Bo Nøgle", BO, "Skole", "Vestskolen", "Ja"),
                ("Ole Lund", OLE, "Skole", "Vestskolen", "Nej"),
            ),
            start=2,
        ):
            rows.append((n, [name, email, "Børn og Unge", afd, inst, "Pædagog", key]))
        roster = parse_rows(rows, "medarbejdere.csv")
        assert not roster.problems
        with session_scope(self.settings.db_url) as s:
            import_roster(s, roster, actor="test", secret=TEST_SECRET)
        assert self.get("/noegleperson/refleksioner", nina).code == 403
        assert self.get(f"/temadag/admin/{self.tid_sol}", nina).code == 403
        assert self.get(f"/temadag/admin/{self.tid_vest}", self.learner(BO)).code == 200  # Bo keeps his

    def test_broken_exercise_file_gives_a_danish_notice_not_a_crash(self):
        import shutil
        from pathlib import Path

        content = Path(self.tmp.name) / "modules"  # a content root of the test's own, with a broken exercise
        shutil.copytree(
            Path(__file__).resolve().parents[2] / "modules", content, ignore=shutil.ignore_patterns("*.md", "*.ipynb")
        )
        (content / "01-opsporing" / "data" / "opgave.yml").write_text(
            "id: opsporing\nspoergsmaal: [\n", encoding="utf-8"
        )
        object.__setattr__(self.settings, "content_dir", content)
        r = self.get("/noegleperson/refleksioner", self.learner(NINA))
        assert r.code == 503 and "Refleksionerne kan ikke vises lige nu." in r.body.decode()

    # plain Danish ----------------------------------------------------------------------
    def test_pages_are_plain_danish(self):
        pages = {
            "forside": self.get("/noegleperson", self.learner(NINA)),
            "refleksioner": self.get("/noegleperson/refleksioner", self.learner(NINA)),
            "afvist-kursist": self.get("/noegleperson", self.learner(METTE)),
            "afvist": self.get("/noegleperson"),
            "login": self.get("/login"),
        }
        for name, r in pages.items():
            text = visible_text(r.body.decode())
            assert lix(text) <= 40, (name, round(lix(text), 1), text)


def lix(text: str) -> float:
    words = [w for w in re.findall(r"[\wÆØÅæøå§%-]+", text) if re.search(r"[A-Za-zÆØÅæøå]", w)]
    sentences = max(1, len(re.findall(r"[.!?:]+(?=\s|$)", text)))
    return len(words) / sentences + 100 * sum(len(w) > 6 for w in words) / len(words)


def visible_text(body: str) -> str:
    body = re.sub(r"<(script|style|nav|header)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " . ", body.split("<main", 1)[-1]))
