"""The one request base (rusfokus.web.base): every route's responses carry the security headers,
errors are Danish (the shared page for a page, JSON under /api/), the page shell links the
stylesheet of kommune.yml. Real tornado server, real routes of `rusfokus serve`."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import tempfile
from pathlib import Path

import tornado.web
from tornado.routing import PathMatches
from tornado.testing import AsyncHTTPTestCase

from rusfokus import identity
from rusfokus.server.routes import collect_routes
from rusfokus.settings import Settings
from rusfokus.web.base import BaseHandler

from helpers.paths import ROOT

SAMPLES = ("1", "abcd", "ABCD-2345", "sider.0123456789ab.css", "x")


def sample_paths(pattern: str) -> list[str]:
    """A path (or a few) that the route's pattern matches, with sample values in its groups."""
    matcher = PathMatches(pattern)
    template = (matcher._path or pattern).replace("/?", "")
    if matcher._group_count == 0:
        return [template] if matcher.regex.match(template) else []
    found = []
    for values in itertools.product(SAMPLES + ("css", "xlsx", "0123456789ab", "sider"), repeat=matcher._group_count):
        path = template % values
        if matcher.regex.fullmatch(path) or matcher.regex.match(path):
            found.append(path)
            if len(found) == 2:
                break
    return found


def check_headers(response, where: str) -> None:
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'self'" in csp, f"{where}: CSP {csp!r}"
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("X-Frame-Options") == "SAMEORIGIN", where
    assert h.get("Referrer-Policy") in ("same-origin", "no-referrer"), where


class Boom(BaseHandler):
    def get(self):
        raise RuntimeError("secret detail /srv/rusfokus/var/secret.key")

    def post(self):
        raise tornado.web.HTTPError(403)


class ServerRoutes(AsyncHTTPTestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        for name in ("kommune.yml", "kommune-logo.svg"):
            shutil.copy(ROOT / name, self.tmp / name)
        (self.tmp / "course").mkdir()
        self.settings = Settings.from_env(
            home=self.tmp / "var",
            db_url=f"sqlite:///{self.tmp}/rf.db",
            kommune_file=self.tmp / "kommune.yml",
            course_dir=self.tmp / "course",
            book_dir=self.tmp / "book",
        )
        self.settings.ensure_home()
        super().setUp()

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def get_app(self):
        self.routes = collect_routes(self.settings)
        extra = [(r"/proeve/fejl", Boom), (r"/api/proeve/fejl", Boom)]
        return tornado.web.Application(extra + self.routes)

    def test_every_route_of_the_server_carries_the_security_headers(self):
        checked = []
        for pattern, handler, _ in self.routes:
            paths = sample_paths(pattern)
            assert paths, f"no sample path for {pattern}"
            for path in paths:
                for method, body in (("GET", None), ("POST", b"{}")):
                    r = self.fetch(
                        path,
                        method=method,
                        body=body,
                        follow_redirects=False,
                        raise_error=False,
                        headers={"Content-Type": "application/json"},
                        request_timeout=40,
                    )
                    check_headers(r, f"{method} {path} ({handler.__name__}) -> {r.code}")
                    checked.append((method, path, r.code))
        assert len(checked) >= 2 * len(self.routes)
        # the walk reached answers of every kind: pages, redirects, refusals, not found
        codes = {code for *_, code in checked}
        assert {200, 302, 401, 403, 404, 405} <= codes, codes

    def test_every_handler_subclasses_the_one_base(self):
        for pattern, handler, _ in self.routes:
            assert issubclass(handler, BaseHandler), f"{pattern}: {handler.__module__}.{handler.__name__}"

    def test_an_unknown_error_gives_the_danish_page_without_details(self):
        r = self.fetch("/proeve/fejl", raise_error=False)
        body = r.body.decode()
        assert r.code == 500 and r.headers["Content-Type"].startswith("text/html")
        assert '<html lang="da">' in body and "Der skete en fejl på serveren. Prøv igen om lidt." in body
        assert "secret" not in body and "Traceback" not in body and "Internal Server Error" not in body
        assert re.search(r'<link rel="stylesheet" href="/rusfokus/stil/sider\.[0-9a-f]{12}\.css">', body)
        check_headers(r, "500 page")
        assert r.headers["Cache-Control"] == "no-store"
        # a refusal without a reason of its own: Danish too, never tornado's "Forbidden"
        r = self.fetch("/proeve/fejl", method="POST", body=b"", raise_error=False)
        assert (
            r.code == 403 and "Du har ikke adgang til siden." in r.body.decode() and "Forbidden" not in r.body.decode()
        )

    def test_an_unknown_error_under_api_is_danish_json(self):
        r = self.fetch("/api/proeve/fejl", raise_error=False)
        assert r.code == 500 and r.headers["Content-Type"].startswith("application/json")
        assert json.loads(r.body) == {
            "status": "fejl",
            "fejl": "Der skete en fejl på serveren. Prøv igen om lidt.",
        }
        r = self.fetch("/api/proeve/fejl", method="POST", body=b"", raise_error=False)
        assert r.code == 403 and json.loads(r.body)["fejl"] == "Du har ikke adgang til siden."
        check_headers(r, "403 json")

    def test_a_missing_file_or_page_is_the_danish_404_page(self):
        for path in (
            "/temadag/static/findes-ikke.js",
            "/rusfokus/stil/findes.0123456789ab.css",
            "/temadag/admin/x",
        ):
            r = self.fetch(path, raise_error=False)
            body = r.body.decode()
            assert r.code == 404, path
            if path.startswith("/temadag/admin/x"):
                continue  # no route: tornado's own 404 outside `rusfokus serve` (the book answers there)
            assert (
                "Siden findes ikke. Tjek, at adressen er skrevet rigtigt." in body
                and '<html lang="da">' in body
                and "Not Found" not in body
            ), path
            check_headers(r, path)

    def test_a_reason_a_handler_gives_is_shown(self):
        # temadag's own Danish reason, through the shared error page
        admin = identity.admin_token("konsulent", secret=identity.load_secret(self.settings.secret_file))
        r = self.fetch(
            "/temadag/admin/999999",
            raise_error=False,
            headers={"Cookie": f"{identity.ADMIN_COOKIE}={admin}"},
        )
        body = r.body.decode()
        assert r.code == 404 and "Temadagen findes ikke." in body, body
        assert '<html lang="da">' in body and 'class="fejl"' in body and 'href="/temadag/admin">Gå til temadage' in body
        r = self.fetch("/api/temadag/999999/deltager", raise_error=False)
        assert r.code == 401 and json.loads(r.body) == {
            "status": "fejl",
            "fejl": "Tjek ind først. Skan QR-koden på skærmen.",
        }

    def test_login_page_is_the_one_shell_with_the_logo_and_stylesheet(self):
        body = self.fetch("/login").body.decode()
        assert body.count("<!DOCTYPE html>") == 1 and '<a class="skip" href="#indhold">' in body
        assert re.search(r'<img src="/rusfokus/stil/logo\.[0-9a-f]{12}\.svg" alt="Eksempel Kommune">', body)
        assert 'autocomplete="username"' in body and 'autocomplete="current-password"' in body
        assert "<style" not in body  # the CSP allows no inline style: the one stylesheet only
