"""A nøgleperson reads and scores her colleagues' reflections: real nbgrader, real tornado pages.

Four learners hand in "Tidlig opsporing" through the one grading queue (real
autograde into a real gradebook). Over HTTP the nøgleperson sees only her
colleagues' reflections (not her own, not another institution's), scores one,
and the score is in nbgrader's gradebook, the learner's result says "Bedømt"
instead of "Afventer bedømmelse", and progress tracking has the completion.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import urllib.parse
from pathlib import Path
from unittest import mock

import pytest
import tornado.web
from tornado.testing import AsyncHTTPTestCase

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.exercises.course import gradebook_url, student_id
from rusfokus.exercises.grading import Grader
from rusfokus.exercises.schema import answer_sheet, load_exercise
from rusfokus.exercises.store import history
from rusfokus.progress.models import STATUS_ACTIVE, Certificate, Completion, Person
from rusfokus.progress.staff import OrgCache
from rusfokus.settings import Settings

from helpers.course import built_course

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

# slow: real nbgrader grading of four hand-ins before the first test
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
YML = ROOT / "modules" / "01-opsporing" / "data" / "opgave.yml"
EX = load_exercise(YML)
NINA, METTE, BO, OLE = (
    "nina.noegle@eksempel.dk",
    "mette.hansen@eksempel.dk",
    "bo.noegle@eksempel.dk",
    "ole.lund@eksempel.dk",
)
TEXTS = {
    METTE: "Jeg ser et barn, der er træt. <b>Jeg</b> taler med min leder & skriver det ned.",
    OLE: "Ole skriver om en elev på Vestskolen.",
    NINA: "Nina skriver om sin egen praksis.",
}


class ReflectionsWebTest(AsyncHTTPTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        home = Path(cls.tmp.name)
        course = home / "course"
        built_course(course, "opsporing")  # built once per run, a copy of its own
        cls.course = course
        cls.settings = Settings.from_env(home=str(home), course_dir=str(course))
        from rusfokus.migrations import upgrade

        upgrade(cls.settings.db_url)
        now = dt.datetime.now()
        with session_scope(cls.settings.db_url) as s:
            org = OrgCache(s)
            sol = org.institution("Børn og Unge", "Dagtilbud", "Børnehuset Solsikken")
            vest = org.institution("Børn og Unge", "Skole", "Vestskolen")
            for email, name, inst, key in (
                (NINA, "Nina Nøgle", sol, True),
                (METTE, "Mette <i>Hansen</i>", sol, False),
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
        # grade with progress tracking switched off: the scoring step must record the completion itself
        with mock.patch("rusfokus.progress.hooks.on_graded") as hook:
            grader = Grader(course, retries=0, retry_seconds=0, content_dir=TEST_CONTENT)
            try:
                futures = [
                    grader.submit(email, "opsporing", answer_sheet(EX, True, text))[1] for email, text in TEXTS.items()
                ]
                for fut in futures:
                    fut.result(timeout=120)
            finally:
                grader.close()
            assert hook.call_count == 3

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def get_app(self):
        from rusfokus.roles import web as roles_web

        self.secret = identity.load_secret(self.settings.secret_file)
        routes = roles_web.routes(self.settings)
        return tornado.web.Application([r if len(r) == 3 else (*r, {}) for r in routes])

    def fetch(self, path, raise_error=False, **kwargs):
        """As AsyncHTTPTestCase.fetch, with room for a loaded 2-core test machine (30 s, not 5 s)."""
        return self.io_loop.run_sync(
            lambda: self.http_client.fetch(self.get_url(path), raise_error=raise_error, **kwargs), timeout=30
        )

    def learner(self, email):
        return {"Cookie": f"{identity.LEARNER_COOKIE}={identity.learner_token(email, secret=self.secret)}"}

    def page(self, headers, query=""):
        r = self.fetch("/noegleperson/refleksioner" + query, headers=headers)
        assert r.code == 200, r.code
        return r.body.decode()

    def form_for(self, body, student):
        """The hidden fields of the score form for ``student`` on the page."""
        for form in re.findall(r'<form method="post".*?</form>', body, re.S):
            fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))
            if fields.get("elev") == student:
                return fields
        raise AssertionError(f"no form for {student}")

    def post(self, form, headers):
        return self.fetch(
            "/noegleperson/refleksioner",
            method="POST",
            body=urllib.parse.urlencode(form),
            headers=headers,
            follow_redirects=False,
        )

    def grade(self, email):
        from nbgrader.api import Gradebook

        with Gradebook(gradebook_url(self.course)) as gb:
            g = gb.find_grade("svar_egen_praksis", "opsporing", "opsporing", student_id(email))
            return g.score, g.needs_manual_grade

    # tests ---------------------------------------------------------------------------------
    def test_noegleperson_reads_only_her_colleagues_reflections_escaped(self):
        body = self.page(self.learner(NINA))
        assert "Jeg ser et barn, der er træt. &lt;b&gt;Jeg&lt;/b&gt; taler med min leder &amp; skriver det ned." in body
        assert "<b>Jeg</b>" not in body and "Mette &lt;i&gt;Hansen&lt;/i&gt;" in body
        assert "Vestskolen" not in body and "Ole" not in body  # another institution
        assert "Nina skriver" not in body  # never her own
        bo = self.page(self.learner(BO))
        assert "Ole skriver om en elev" in bo and "træt" not in bo and "Nina skriver" not in bo

    def test_noegleperson_cannot_score_another_institutions_reflection(self):
        body = self.page(self.learner(BO))
        form = self.form_for(body, student_id(OLE))
        nina = self.learner(NINA)
        csrf = self.form_for(self.page(nina), student_id(METTE))["_csrf"]
        r = self.post({**form, "_csrf": csrf, "point": "2"}, nina)
        assert r.code == 404 and "Ole" not in r.body.decode()
        own = {**form, "elev": student_id(NINA), "_csrf": csrf, "point": "2"}  # nor her own
        assert self.post(own, nina).code == 404
        assert self.grade(OLE)[1] is True and self.grade(NINA)[1] is True

    def test_learner_cannot_read_or_score(self):
        mette = self.learner(METTE)
        assert self.fetch("/noegleperson/refleksioner", headers=mette).code == 403
        assert (
            self.post(
                {"elev": student_id(OLE), "opgave": "opsporing", "spoergsmaal": "egen-praksis", "point": "2"}, mette
            ).code
            == 403
        )

    def test_bad_points_stale_page_and_missing_csrf_are_refused(self):
        nina = self.learner(NINA)
        form = self.form_for(self.page(nina), student_id(METTE))
        r = self.post({**form, "point": "3"}, nina)
        assert r.code == 400 and "Vælg et antal point fra 0 til 2." in r.body.decode()
        r = self.post({**form, "point": "1", "afleveret": "2020-01-01 00:00:00"}, nina)
        assert r.code == 400 and "har afleveret igen" in r.body.decode()
        r = self.post({**{k: v for k, v in form.items() if k != "_csrf"}, "point": "1"}, nina)
        assert r.code == 403
        assert self.grade(METTE)[1] is True

    def test_score_reaches_gradebook_learner_and_progress(self):
        from rusfokus.apps.opgave import result_html

        with session_scope(self.settings.db_url) as s:
            mette_id = s.query(Person).filter_by(email=METTE).one().id
            assert s.query(Completion).filter_by(person_id=mette_id).count() == 0
        before = history(self.course, METTE, "opsporing")[-1]["result"]
        assert "Afventer bedømmelse" in result_html(before, EX)
        nina = self.learner(NINA)
        form = self.form_for(self.page(nina), student_id(METTE))
        r = self.post({**form, "point": "2"}, nina)
        assert r.code == 302 and r.headers["Location"].startswith("/noegleperson/refleksioner?gemt=1")
        assert self.grade(METTE) == (2.0, False)
        after = history(self.course, METTE, "opsporing")[-1]["result"]  # what the exercise app shows
        row = next(q for q in after["questions"] if q["id"] == "egen-praksis")
        assert row["status"] == "bedømt" and row["score"] == 2.0 and after["pending_manual"] is False
        html = result_html(after, EX)
        assert "Afventer bedømmelse" not in html and "Bedømt" in html
        with session_scope(self.settings.db_url) as s:  # on_graded was called: completion + kursusbevis
            done = s.query(Completion).filter_by(person_id=mette_id, module="opsporing").all()
            assert len(done) == 1 and done[0].passed
            assert s.query(Certificate).filter_by(person_id=mette_id, module="opsporing").count() == 1
        page = self.page(nina, "?gemt=1&vis=alle")
        assert "Pointene er gemt." in page and "Bedømt: 2 af 2 point." in page
        assert "Mette" not in self.page(nina)  # no longer waiting

    def test_admin_sees_every_reflection(self):
        admin = {"Cookie": f"{identity.ADMIN_COOKIE}={identity.admin_token('pia', secret=self.secret)}"}
        body = self.page(admin, "?vis=alle")
        assert "Ole skriver om en elev" in body and "Nina skriver" in body and "træt" in body
