"""A nøgleperson's status page (/noegleperson/status) keeps her job (who is trained, who is due) and shows
her institution's self-efficacy answers and practice counts only as aggregates of five or more."""

from __future__ import annotations

import tempfile

import tornado.web
from tornado.testing import AsyncHTTPTestCase

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.roles import web as roles_web
from rusfokus.settings import Settings

from .conftest import add_in, trained


class StatusTest(AsyncHTTPTestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.settings = Settings.from_env(home=self.tmp.name, course_dir=f"{self.tmp.name}/course")
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.tmp.cleanup()

    def get_app(self):
        routes = roles_web.routes(self.settings)
        self.secret = routes[0][2]["secret"]
        with session_scope(self.settings.db_url) as s:
            for n in range(1, 7):  # institution I<n>: a nøgleperson and n colleagues who answered
                add_in(s, f"Nøgle {n}", f"noegle{n}@eksempel.dk", "Børn og Unge", f"I{n}", noegleperson=True)
                for i in range(n):
                    trained(s, add_in(s, f"Kollega {n}-{i}", f"k{n}-{i}@eksempel.dk", "Børn og Unge", f"I{n}"),
                            before=1 + i % 2, after=4, samtaler=10 + i, henvisninger=1)  # fmt: skip
        return tornado.web.Application(routes)

    def page(self, email):
        cookie = f"{identity.LEARNER_COOKIE}={identity.learner_token(email, secret=self.secret)}"
        r = self.io_loop.run_sync(
            lambda: self.http_client.fetch(self.get_url("/noegleperson/status"), headers={"Cookie": cookie},
                                           raise_error=False), 30)  # fmt: skip
        assert r.code == 200
        return r.body.decode()

    def test_groups_of_1_to_6(self):
        for n in range(1, 7):
            page = self.page(f"noegle{n}@eksempel.dk")
            assert all(f"Kollega {n}-{i}" in page for i in range(n))  # her job: who is who, stays
            assert "Hvor sikre er medarbejderne?" in page
            shown = f"{n} har svaret før første modul" in page
            assert shown == (n >= 5), n
            assert ("korte samtaler og" in page) == (n >= 5), n
            if n < 5:
                assert "Færre end 5 har svaret" in page and "Før:" not in page
            else:
                assert "Efter: 4,0" in page
                per_person = sum(10 + i for i in range(n)) / n
                assert f"{per_person:.1f}".replace(".", ",") + " korte samtaler" in page
