"""GDPR erasure revokes the person's signed link and erases their exercise data.

Real parts: SQLite database (Alembic), a built nbgrader course, real grading,
a real tornado server with the exercises and progress routes, the real CLI.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
import tornado.httpserver
import tornado.testing
import tornado.web
from sqlalchemy import func, select

from rusfokus import identity
from rusfokus.cli import main
from rusfokus.db import session_scope
from rusfokus.exercises import web as ex_web
from rusfokus.exercises.course import gradebook_url, student_id
from rusfokus.exercises.schema import load_exercise
from rusfokus.gdpr import delete_person, export_person
from rusfokus.identity import web as identity_web
from rusfokus.identity.revocation import REVOKED_MESSAGE, RevokedIdentity, is_revoked
from rusfokus.progress import web as progress_web
from rusfokus.progress.hooks import record_result
from rusfokus.progress.models import AuditEntry, Completion, Person
from rusfokus.progress.roster import Roster, RosterRow
from rusfokus.progress.staff import import_roster
from rusfokus.settings import get_settings

from helpers.course import built_course

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

ROOT = Path(__file__).resolve().parents[1]
YML = ROOT / "modules" / "01-opsporing" / "data" / "opgave.yml"
EX = load_exercise(YML)
EMAIL = "karen.holm@eksempel-kommune.example"
HEADER = "Navn;E-mail;Arbejdssted;Afdeling;Forvaltning;Stilling;Nøgleperson\r\n"
ROSTER = (
    HEADER + f"Karen Holm;{EMAIL};Vestskolen;Skoler;Børn og Unge;Lærer;nej\r\n"
    "Jens Bro;jens.bro@eksempel-kommune.example;Vestskolen;Skoler;Børn og Unge;Lærer;nej\r\n"
)


def answers():
    out = {}
    for q in EX.spoergsmaal:
        if q.type == "refleksion":
            out[q.id] = "Jeg taler med forælderen og min nøgleperson."
        else:
            out[q.id] = list(q.korrekt) if q.multiple else q.korrekt[0]
    return out


def request(base, path, *, data=None, headers=None):
    req = urllib.request.Request(
        base + path, data=data, headers=headers or {}, method="POST" if data is not None else "GET"
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=120) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def hand_in(base, token):
    code, _, body = request(
        base,
        "api/opgave/aflever",
        data=json.dumps({"opgave": "opsporing", "svar": answers()}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    return code, json.loads(body)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("home")
    course = tmp_path_factory.mktemp("course")
    mp.setenv("RUSFOKUS_HOME", str(home))
    (home / "secret.key").write_bytes(TEST_SECRET)  # the server's key: it checks what the tests sign
    mp.setenv("RUSFOKUS_DB", f"sqlite:///{home / 'rusfokus.db'}")
    mp.setenv("RUSFOKUS_COURSE_DIR", str(course))
    mp.delenv("RUSFOKUS_GRADEBOOK_DB", raising=False)
    get_settings.cache_clear()
    built_course(course, "opsporing")  # built once per run, a copy of its own
    settings = get_settings()
    roster = home / "staff.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert main(["staff", "import", str(roster)]) == 0
    sock, port = tornado.testing.bind_unused_port()
    ready, holder = threading.Event(), {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = tornado.web.Application(
            ex_web.routes(settings) + progress_web.routes(settings) + identity_web.routes(settings)
        )
        tornado.httpserver.HTTPServer(app).add_sockets([sock])
        progress_web.startup(settings)
        ex_web.startup(settings)
        holder["loop"] = loop
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    assert ready.wait(30)
    yield type(
        "Env",
        (),
        {"base": f"http://127.0.0.1:{port}/", "course": course, "home": home, "url": settings.db_url, "roster": roster},
    )
    holder["loop"].call_soon_threadsafe(holder["loop"].stop)
    mp.undo()
    get_settings.cache_clear()


def people(url) -> int:
    with session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(Person))


@pytest.mark.slow  # a course build and real nbgrader grading
@pytest.mark.slow  # env: a real nbgrader course and grading
def test_delete_revokes_link_erases_exercises_and_reimport_lifts(env, capsys, monkeypatch):
    from nbgrader.api import Gradebook, MissingEntry

    from rusfokus.apps import min_side as minside

    token = identity.learner_token(EMAIL, secret=TEST_SECRET)
    code, headers, _ = request(env.base, f"adgang/{token}")
    assert code == 302 and "rf_learner=" in headers.get("Set-Cookie", "")
    code, body = hand_in(env.base, token)
    assert code == 200 and body["resultat"]["passed"], body
    sid = student_id(EMAIL)
    assert (env.course / "attempts" / sid).is_dir()
    with Gradebook(gradebook_url(env.course)) as gb:
        gb.find_student(sid)
    with session_scope(env.url) as s:  # the real grading hook recorded the pass
        assert s.scalar(select(func.count()).select_from(Completion)) == 1
    cookie = {"Cookie": f"rf_learner={token}"}
    code, _, pdf = request(env.base, "api/progress/mine/kursusbevis/opsporing.pdf", headers=cookie)
    assert code == 200 and pdf.startswith(b"%PDF")

    exported = json.loads(_export(env, capsys))
    assert exported["exercise_data"]["student_id"] == sid
    assert exported["exercise_data"]["gradebook"].startswith(str(env.course / "gradebook.db"))
    assert any(f.endswith(f"attempts/{sid}") for f in exported["exercise_data"]["folders"])

    assert main(["person", "delete", EMAIL, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "link revoked" in out and "exercise data: removed for 1 of 1" in out
    # forget_learner ran: nbgrader folders and gradebook rows are gone
    for part in ("attempts", "submitted", "autograded", "feedback"):
        assert not (env.course / part / sid).exists()
    with Gradebook(gradebook_url(env.course)) as gb, pytest.raises(MissingEntry):
        gb.find_student(sid)
    # the revocation holds no e-mail in clear
    with session_scope(env.url) as s:
        digests = s.scalars(select(RevokedIdentity.digest)).all()
    assert len(digests) == 1 and "@" not in digests[0] and "karen" not in digests[0].lower()
    assert (
        is_revoked(EMAIL, env.url, secret=TEST_SECRET)
        and is_revoked(EMAIL.upper(), env.url, secret=TEST_SECRET)
        and not is_revoked("jens.bro@eksempel-kommune.example", env.url, secret=TEST_SECRET)
    )

    # the old personal link gets the Danish refusal and no cookie
    code, headers, page = request(env.base, f"adgang/{token}")
    assert code == 403 and REVOKED_MESSAGE in page.decode() and "Set-Cookie" not in headers
    # a hand-in with the old token is refused and writes nothing: no files, no new "unlisted" person
    before = people(env.url)
    code, body = hand_in(env.base, token)
    assert code == 403 and body["fejl"] == REVOKED_MESSAGE
    code, _, _ = request(env.base, "api/opgave/status?opgave=opsporing", headers={"Authorization": f"Bearer {token}"})
    assert code == 403
    assert not (env.course / "attempts" / sid).exists() and people(env.url) == before
    # the learner's certificate download and Min side refuse too
    code, _, page = request(env.base, "api/progress/mine/kursusbevis/opsporing.pdf", headers=cookie)
    assert code == 403 and REVOKED_MESSAGE in page.decode()
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setenv("HTTP_COOKIE", f"rf_learner={token}")
    assert REVOKED_MESSAGE in minside.build_app().value
    # a result that reaches the grading hook anyway is not recorded
    with pytest.raises(ValueError, match="revoked"), session_scope(env.url) as s:
        record_result(s, EMAIL, "opsporing", 1, 1, True, datetime(2026, 11, 1), 24, secret=TEST_SECRET)
    assert people(env.url) == before

    # re-importing the e-mail with `rusfokus staff import` lifts the revocation (audited by id only)
    assert main(["staff", "import", str(env.roster)]) == 0
    assert not is_revoked(EMAIL, env.url, secret=TEST_SECRET)
    with session_scope(env.url) as s:
        lifted = s.scalars(select(AuditEntry).where(AuditEntry.action == "identity.revocation_lifted")).all()
        assert len(lifted) == 1 and lifted[0].target.startswith("person #") and "@" not in lifted[0].detail
        person = s.scalar(select(Person).where(Person.email == EMAIL))
        assert person.name == "Karen Holm" and f"#{person.id}" in lifted[0].target
    code, headers, _ = request(env.base, f"adgang/{token}")
    assert code == 302 and "rf_learner=" in headers.get("Set-Cookie", "")
    assert "Hej Karen Holm" in minside.build_app().value


def _export(env, capsys) -> str:
    out = env.home / "export.json"
    assert main(["person", "export", EMAIL, "--out", str(out)]) == 0
    capsys.readouterr()
    return out.read_text(encoding="utf-8")


@pytest.mark.slow  # env: a real nbgrader course and grading
def test_purge_revokes_and_erases_exercise_folders(env, capsys):
    email = "lis.moeller@eksempel-kommune.example"
    with session_scope(env.url) as s:
        row = RosterRow(2, email, "Lis Møller", "Nordskolen", "Skoler", "Børn og Unge", "Lærer", False)
        import_roster(s, Roster(rows=[row]), now=datetime(2020, 1, 1), secret=TEST_SECRET)
        # the next list no longer holds her: fratrådt in 2020 (everyone else stays active)
        others = s.scalars(select(Person).where(Person.email.is_not(None), Person.email != email)).all()
        rows = [
            RosterRow(i + 2, p.email, p.name, "Vestskolen", "Skoler", "Børn og Unge", "Lærer", False)
            for i, p in enumerate(others)
        ]
        import_roster(s, Roster(rows=rows), now=datetime(2020, 2, 1), secret=TEST_SECRET)
        import_roster(s, Roster(rows=rows), secret=TEST_SECRET)
    attempts = env.course / "attempts" / student_id(email) / "opsporing"
    attempts.mkdir(parents=True)
    (attempts / "20200110T101010.ipynb").write_text("{}", encoding="utf-8")
    assert main(["purge", "--months", "24", "--dry-run"]) == 0
    assert attempts.exists() and not is_revoked(email, env.url, secret=TEST_SECRET)
    assert main(["purge", "--months", "24"]) == 0
    out = capsys.readouterr().out
    assert "erased 1 person(s)" in out and "removed for 1 of 1" in out
    assert not attempts.parent.exists() and is_revoked(email, env.url, secret=TEST_SECRET)
    code, body = hand_in(env.base, identity.learner_token(email, secret=TEST_SECRET))
    assert code == 403 and body["fejl"] == REVOKED_MESSAGE


@pytest.mark.slow  # env: a real nbgrader course and grading
def test_delete_reports_exercise_data_it_could_not_remove(env, tmp_path, capsys):
    email = "jens.bro@eksempel-kommune.example"
    broken = tmp_path / "course"
    broken.mkdir()
    (broken / "gradebook.db").write_bytes(b"this is not a database" * 100)
    assert main(["person", "delete", email, "--yes", "--course-dir", str(broken)]) == 1
    captured = capsys.readouterr()
    assert "exercise data not removed for jens.bro@" in captured.err
    assert "rusfokus opgave forget EMAIL" in captured.err
    assert is_revoked(email, env.url, secret=TEST_SECRET)  # the database part is committed: the link no longer works
    with session_scope(env.url) as s:
        assert s.scalar(select(Person).where(Person.email == email)) is None


@pytest.mark.slow  # env: a real nbgrader course and grading
def test_erase_and_revocation_are_one_transaction(env):
    email = "tove.ravn@eksempel-kommune.example"
    with session_scope(env.url) as s:
        row = RosterRow(2, email, "Tove Ravn", "Vestskolen", "Skoler", "Børn og Unge", "Lærer", False)
        others = s.scalars(select(Person).where(Person.email.is_not(None))).all()
        rows = [
            RosterRow(i + 3, p.email, p.name, "Vestskolen", "Skoler", "Børn og Unge", "Lærer", False)
            for i, p in enumerate(others)
        ]
        import_roster(s, Roster(rows=[row, *rows]), secret=TEST_SECRET)
    with pytest.raises(RuntimeError), session_scope(env.url) as s:
        delete_person(s, email, secret=TEST_SECRET)
        raise RuntimeError("crash before commit")
    assert not is_revoked(email, env.url, secret=TEST_SECRET)
    with session_scope(env.url) as s:
        assert export_person(s, email)["person"]["name"] == "Tove Ravn"


class TemadagRevokedTest(tornado.testing.AsyncHTTPTestCase):
    """Temadag check-in with the personal cookie (or typing the e-mail) is refused after erasure."""

    def setUp(self):
        import os
        import tempfile

        self.tmp = tempfile.TemporaryDirectory()
        self.saved = {k: os.environ.get(k) for k in ("RUSFOKUS_HOME", "RUSFOKUS_DB")}
        os.environ["RUSFOKUS_HOME"] = self.tmp.name
        (Path(self.tmp.name) / "secret.key").write_bytes(TEST_SECRET)  # the server's key: it checks what the tests sign
        os.environ["RUSFOKUS_DB"] = f"sqlite:///{self.tmp.name}/t.db"
        get_settings.cache_clear()
        self.settings = get_settings()
        super().setUp()

    def tearDown(self):
        import os

        super().tearDown()
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
        self.tmp.cleanup()

    def get_app(self):
        import datetime as dt

        from rusfokus.temadag import planning, store
        from rusfokus.temadag.web import Hub
        from rusfokus.temadag.web_routes import routes

        self.now = dt.datetime.combine(dt.date.today(), dt.time(9, 2)).timestamp()
        self.hub = Hub(self.settings, clock=lambda: self.now)
        app = tornado.web.Application(routes(self.settings, self.hub))
        with session_scope(self.settings.db_url) as s:
            row = RosterRow(
                2,
                "ole.lund@eksempel-kommune.example",
                "Ole Lund",
                "Børnehuset Solsikken",
                "Dagtilbud",
                "Børn og Unge",
                "Pædagog",
                False,
            )
            import_roster(s, Roster(rows=[row]), secret=TEST_SECRET)
            plan = planning.validate_plan(
                {
                    "title": "Børn og alkohol",
                    "date": dt.date.today().isoformat(),
                    "place": "Rådhuset",
                    "modules": "opsporing",
                    "facilitator": "Pia",
                    "institutions": "Børnehuset Solsikken",
                    "counts_toward_module": "ja",
                }
            )
            self.tid = store.create(s, plan, "pia", dt.datetime.now()).id
            delete_person(s, "ole.lund@eksempel-kommune.example", secret=TEST_SECRET)
        return app

    def test_revoked_cookie_and_email_cannot_check_in(self):
        from rusfokus.temadag import codes
        from rusfokus.temadag.models import TemadagParticipant

        code = codes.short_code(self.hub.secret, self.tid, codes.window_of(self.now))
        learner = identity.learner_token("ole.lund@eksempel-kommune.example", secret=self.hub.secret)
        for form, cookie in (
            ({"kode": code, "som": "link"}, {"Cookie": f"rf_learner={learner}"}),
            ({"kode": code, "navn": "Ole Lund", "email": "Ole.Lund@eksempel-kommune.example"}, {}),
        ):
            r = self.fetch(
                "/temadag/ind", method="POST", follow_redirects=False, headers=cookie, body=urllib.parse.urlencode(form)
            )
            assert r.code == 400 and REVOKED_MESSAGE in r.body.decode()
            assert "rf_temadag=" not in r.headers.get("Set-Cookie", "")
        with session_scope(self.settings.db_url) as s:
            assert s.scalar(select(func.count()).select_from(TemadagParticipant)) == 0
            assert s.scalar(select(func.count()).select_from(Person).where(Person.email.is_not(None))) == 0
