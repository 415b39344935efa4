"""`rusfokus serve` as a whole: the book, Voilà's own handlers (app pages, kernels API, static
files), the apps' front end and the feature routes all answer with the security headers; the app
page links the colours of kommune.yml; a missing book page is the Danish error page."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def get(url: str):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=60) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def test_every_kind_of_response_of_the_server_carries_the_security_headers(server):
    status, _, page = get(server.url + "/voila/render/genstande/index.ipynb")
    assert status == 200
    farver = re.search(r'<link rel="stylesheet" href="(/rusfokus/stil/farver\.[0-9a-f]{12}\.css)">', page).group(1)
    assert "@RF_FARVER_CSS@" not in page
    voila_static = re.search(r'"(/voila/static/[^"?]+)', page)
    paths = [
        "/",
        "/book/index.html",
        "/findes-ikke.html",
        "/voila/render/genstande/index.ipynb",
        "/voila/render/findes-ikke/index.ipynb",
        "/voila/tree",
        "/api/kernels",
        "/api/kernels/findes-ikke",
        "/rusfokus/live/live.js?v=1",
        "/rusfokus/status",
        "/login",
        "/admin",
        farver,
        "/temadag/static/deltag.js",
        "/noegleperson",
        "/api/progress/mig",
        "/adgang/forkert",
    ]
    if voila_static:
        paths.append(voila_static.group(1))
    seen = set()
    for path in paths:
        status, headers, _ = get(server.url + path)
        seen.add(status)
        assert "frame-ancestors 'self'" in headers.get("Content-Security-Policy", ""), (
            path,
            status,
        )
        assert headers.get("X-Content-Type-Options") == "nosniff", (path, status)
        assert headers.get("X-Frame-Options") == "SAMEORIGIN", (path, status)
        assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), (path, status)
    assert {200, 302, 403, 404} <= seen, seen


def test_the_app_page_gets_the_colours_and_a_missing_page_the_danish_error_page(server):
    _, _, page = get(server.url + "/voila/render/genstande/index.ipynb")
    farver = re.search(r'href="(/rusfokus/stil/farver\.[0-9a-f]{12}\.css)"', page).group(1)
    status, headers, css = get(server.url + farver)
    assert status == 200 and "immutable" in headers["Cache-Control"] and "--rf-primaer: #0b4f6c;" in css
    for path in (
        "/voila/render/findes-ikke/index.ipynb",
        "/voila/static/findes-ikke.js",
    ):  # Voilà's own handlers
        status, _, body = get(server.url + path)
        assert status in (403, 404) and '<html lang="da">' in body and 'class="fejl"' in body, path
        assert "Not Found" not in body and "Forbidden" not in body, path
    status, headers, body = get(server.url + "/findes-ikke.html")
    assert (
        status == 404
        and '<html lang="da">' in body
        and "Siden findes ikke. Tjek, at adressen er skrevet rigtigt." in body
    )
    assert re.search(r'href="/rusfokus/stil/sider\.[0-9a-f]{12}\.css"', body) and "Not Found" not in body
