"""Admin login hardening (issue 12, items 3-5) on the real /login, /logout and admin
handlers in a tornado server: parallel guesses, open redirects, ended sessions."""

from __future__ import annotations

import os
import re
import tempfile
import urllib.parse

import pytest
import tornado.web
from sqlalchemy import func, select
from tornado.testing import AsyncHTTPTestCase, gen_test

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.identity import web as identity_web
from rusfokus.identity.admins import LoginLimiter, add_user, set_password
from rusfokus.migrations import upgrade
from rusfokus.progress import web as progress_web
from rusfokus.progress.models import AuditEntry
from rusfokus.settings import Settings, get_settings

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

PASSWORD = "rigtig-adgangskode-1"


class LoginServer(AsyncHTTPTestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self._env = {k: os.environ.get(k) for k in ("RUSFOKUS_HOME", "RUSFOKUS_DB")}
        os.environ["RUSFOKUS_HOME"] = self.tmp.name
        os.environ["RUSFOKUS_DB"] = f"sqlite:///{self.tmp.name}/rf.db"
        get_settings.cache_clear()
        self.settings = Settings.from_env()
        upgrade(self.settings.db_url)
        with session_scope(self.settings.db_url) as s:
            add_user(s, "konsulent", PASSWORD)
        identity_web._login_limiter = None  # a fresh limit per test
        super().setUp()

    def tearDown(self):
        super().tearDown()
        for k, v in self._env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
        self.tmp.cleanup()

    def get_app(self):
        return tornado.web.Application(identity_web.routes(self.settings) + progress_web.routes(self.settings))

    def get_httpserver_options(self):
        return {"xheaders": True}  # so a test can play several clients (X-Forwarded-For)

    # helpers ------------------------------------------------------------------
    def csrf(self, response=None) -> tuple[str, str]:
        r = response or self.fetch("/login")
        cookie = r.headers["Set-Cookie"].split(";")[0]
        token = re.search(r'name="csrf" value="([^"]+)"', r.body.decode()).group(1)
        return cookie, token

    def login_request(self, username="konsulent", password=PASSWORD, nxt=None, ip="10.0.0.1", csrf=None):
        cookie, token = csrf or self.csrf()
        form = {"csrf": token, "username": username, "password": password}
        if nxt is not None:
            form["next"] = nxt
        return dict(
            method="POST",
            body=urllib.parse.urlencode(form),
            follow_redirects=False,
            raise_error=False,
            headers={"Cookie": cookie, "X-Forwarded-For": ip},
        )

    def login(self, **kw):
        r = self.fetch("/login", **self.login_request(**kw))
        admin = [c.split(";")[0] for c in r.headers.get_list("Set-Cookie") if c.startswith("rf_admin=")]
        return r, (admin[0] if admin else None)

    def checked(self) -> int:
        with session_scope(self.settings.db_url) as s:
            return s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action.in_(("login", "login.failed")))
            )

    def is_admin(self, cookie: str) -> bool:
        r = self.fetch("/admin/", headers={"Cookie": cookie}, follow_redirects=False, raise_error=False)
        assert r.code == 302
        return not r.headers["Location"].startswith("/login")


class TestParallelGuesses(LoginServer):
    """Item 3: 129 of 200 parallel guesses used to be checked."""

    async def acsrf(self):
        return self.csrf(await self.http_client.fetch(self.get_url("/login")))

    async def _flood(self, requests):
        import asyncio

        return await asyncio.gather(*(self.http_client.fetch(self.get_url("/login"), **r) for r in requests))

    @gen_test(timeout=120)
    async def test_fifty_parallel_guesses_check_at_most_five(self):
        csrf = await self.acsrf()
        reqs = [self.login_request(password=f"gæt-nummer-{i:03d}", csrf=csrf) for i in range(50)]
        responses = await self._flood(reqs)
        assert self.checked() <= 5
        assert sum(r.code == 429 for r in responses) >= 45
        assert "For mange forkerte forsøg" in next(r for r in responses if r.code == 429).body.decode()

    @gen_test(timeout=120)
    async def test_limit_per_user_name_across_clients(self):
        csrf = await self.acsrf()
        reqs = [
            self.login_request(password=f"gæt-{i}", ip=f"10.1.{i // 250}.{i % 250 + 1}", csrf=csrf) for i in range(50)
        ]
        await self._flood(reqs)
        assert self.checked() <= 5
        # the right password from yet another client is refused too while the name is locked
        r = await self.http_client.fetch(self.get_url("/login"), **self.login_request(ip="10.9.9.9", csrf=csrf))
        assert r.code == 429

    @gen_test(timeout=120)
    async def test_limit_per_client_across_user_names(self):
        csrf = await self.acsrf()
        reqs = [self.login_request(username=f"bruger{i}", password="forkert-forkert", csrf=csrf) for i in range(50)]
        await self._flood(reqs)
        assert self.checked() <= 5


def test_limiter_counts_attempts_in_flight_and_frees_on_success():
    now = [0.0]
    lim = LoginLimiter(limit=2, window=300, clock=lambda: now[0])
    a, b = lim.reserve("ip:x", "user:u"), lim.reserve("ip:x", "user:u")
    assert a and b and lim.reserve("ip:x", "user:u") is None  # two in flight fill the limit
    a.failed()
    b.succeeded()  # a success forgets the failures of its keys
    assert lim.reserve("ip:x", "user:v") is not None
    c = lim.reserve("ip:y", "user:w")
    c.failed()
    lim.reserve("ip:z", "user:w").failed()
    assert lim.reserve("ip:q", "user:w") is None
    now[0] = 301.0  # the window passed
    assert lim.reserve("ip:q", "user:w") is not None


EVIL_NEXT = [
    "/\t/evil.example",
    "/%09/evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "http:evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "/\x00/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "/%252F%252Fevil.example",
    "evil.example",
    "\x7f//evil.example",
    "/\x1b/evil.example",
]
GOOD_NEXT = [
    "/voila/render/dashboard/index.ipynb",
    "/admin/rapport.xlsx?forvaltning=B%C3%B8rn%20og%20Unge",
    "/temadag/admin/3",
]


class TestNextRedirect(LoginServer):
    """Item 4: /login?next=/%09/evil.example sent the browser to another site."""

    @pytest.mark.slow  # measured >= 5 s
    def test_only_same_origin_paths_are_followed(self):
        for value in EVIL_NEXT + GOOD_NEXT:
            identity_web._login_limiter = None
            r, cookie = self.login(nxt=value)
            assert r.code == 302 and cookie, value
            location = r.headers["Location"]
            if value in GOOD_NEXT:
                assert location == value
            else:
                assert location == progress_web.DASHBOARD, f"{value!r} -> {location!r}"
            target = urllib.parse.urljoin("http://rusfokus.example/login", location)
            assert urllib.parse.urlsplit(target).netloc == "rusfokus.example", value

    def test_form_never_carries_a_foreign_next(self):
        for value in EVIL_NEXT:
            r = self.fetch("/login?next=" + urllib.parse.quote(value, safe=""))
            field = re.search(r'name="next" value="([^"]*)"', r.body.decode()).group(1)
            assert field == progress_web.DASHBOARD, value


@pytest.mark.parametrize("value", EVIL_NEXT)
def test_safe_next_path_refuses(value):
    assert identity.safe_next_path(value, "/x") == "/x"


class TestEndedSessions(LoginServer):
    """Item 5: an admin cookie still worked after /logout."""

    def test_logout_ends_the_cookie_server_side(self):
        _, cookie = self.login()
        _, other = self.login()  # the same admin on another device
        copy = cookie  # e.g. copied from the browser before logging out
        assert self.is_admin(cookie) and self.is_admin(other)
        r = self.fetch("/logout", headers={"Cookie": cookie}, raise_error=False)
        assert r.code == 200 and "Du er logget ud" in r.body.decode()
        assert not self.is_admin(copy)
        assert self.is_admin(other)  # logout ends this session only
        with pytest.raises(identity.IdentityError):
            identity.admin_from_cookie_header(copy, db_url=self.settings.db_url, secret=TEST_SECRET)

    def test_password_change_ends_every_older_cookie(self):
        _, first = self.login()
        _, second = self.login()
        with session_scope(self.settings.db_url) as s:
            set_password(s, "konsulent", "helt-ny-adgangskode-2")
        assert not self.is_admin(first) and not self.is_admin(second)
        _, fresh = self.login(password="helt-ny-adgangskode-2")
        assert fresh and self.is_admin(fresh)
