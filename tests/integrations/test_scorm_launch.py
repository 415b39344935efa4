"""SCORM 1.2 launch and status over HTTP against the session's real `rusfokus serve` (issue 18, "Bad input"):
a forged or changed package, a student id not on the staff list, no or another person's learner cookie are
refused with a Danish page and nothing recorded; the status endpoint answers only a valid launch token from
the package's LMS origin, and reports what the person herself completed (recorded by the grading hook)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import datetime
from html import unescape
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from rusfokus.db import session_scope
from rusfokus.identity import LEARNER_COOKIE
from rusfokus.integrations.scorm.launch import launch_token, package_token, read_package
from rusfokus.progress.hooks import find_or_create_person, on_graded
from rusfokus.progress.models import Completion, Person

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

LMS = "https://moodle.eksempel-kommune.example"
EMAIL = "karla.scormsen@eksempel-kommune.example"
OTHER = "jens.scormsen@eksempel-kommune.example"


def db_url(srv) -> str:
    return f"sqlite:///{srv.home / 'rusfokus.db'}"


def get(srv, path: str, cookie: str | None = None, origin: str | None = None, method: str = "GET", **extra):
    headers = dict(extra)
    if cookie:
        headers["Cookie"] = f"{LEARNER_COOKIE}={cookie}"
    if origin:
        headers["Origin"] = origin
    req = urllib.request.Request(srv.url + path, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8")


def start(srv, pkg: str, sid: str, cookie: str | None = None):
    return get(srv, f"/scorm/start?p={quote(pkg)}&sid={quote(sid)}", cookie)


@pytest.fixture(scope="module")
def people(server):
    with session_scope(db_url(server)) as s:
        for email in (EMAIL, OTHER):
            find_or_create_person(s, email, datetime(2026, 11, 1, 8))
    return server


def counts(srv) -> tuple[int, int]:
    with session_scope(db_url(srv)) as s:
        return s.scalar(select(func.count(Person.id))), s.scalar(select(func.count(Completion.id)))


def test_launch_needs_the_signed_package_the_staff_list_and_her_own_cookie(people):
    srv = people
    pkg = package_token("pkg-test-1", "opsporing", LMS, "email", secret=srv.secret())
    before = counts(srv)

    # forged: the module changed under the same signature; another server's key; garbage
    for bad in (pkg[:-3] + "AAA", package_token("pkg-test-1", "opsporing", LMS, "email", secret=b"x" * 64), "", "a.b"):
        code, headers, html = start(srv, bad, EMAIL, srv.learner_token(EMAIL))
        assert code == 403 and "Linket fra dit LMS er ugyldigt eller ændret" in unescape(html), (bad, code)
        assert 'lang="da"' in html and "data-token" not in html
    # a student id that is not on the staff list (the cookie is someone's who is)
    code, _, html = start(srv, pkg, "ukendt@eksempel-kommune.example", srv.learner_token(EMAIL))
    assert code == 403 and "medarbejdere" in unescape(html) and "data-token" not in html
    # no learner cookie: asked for her personal link, no token handed out
    code, _, html = start(srv, pkg, EMAIL)
    assert code == 200 and "personlige link" in unescape(html) and "data-token" not in html
    # the LMS says Karla but the browser is Jens's: refused
    code, _, html = start(srv, pkg, EMAIL, srv.learner_token(OTHER))
    assert code == 403 and "som en anden" in unescape(html) and "data-token" not in html
    # a forged learner cookie counts as none
    code, _, html = start(srv, pkg, EMAIL, srv.learner_token(EMAIL)[:-2] + "xx")
    assert "data-token" not in html
    assert counts(srv) == before  # nothing recorded by any refused launch

    # her own cookie: the launch token, for the LMS's origin only, then on to the module
    code, headers, html = start(srv, pkg, EMAIL.upper(), srv.learner_token(EMAIL))
    assert code == 200, html
    assert headers.get("Referrer-Policy") == "no-referrer"
    assert f'data-lms="{LMS}"' in html and 'data-next="/modules/01-opsporing/index.html"' in html
    assert '<script src="/scorm/static/scorm-start.js"></script>' in html
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert counts(srv) == before
    code, headers, js = get(srv, "/scorm/static/scorm-start.js")
    assert code == 200 and "postMessage" in js and "el.dataset.lms" in js


def test_status_reports_her_own_result_to_the_lms_origin_only(people):
    srv = people
    pkg = package_token("pkg-test-2", "opsporing", LMS, "email", secret=srv.secret())
    code, _, html = start(srv, pkg, OTHER, srv.learner_token(OTHER))
    assert code == 200
    token = unescape(re.search(r'data-token="([^"]+)"', html).group(1))

    code, headers, body = get(srv, f"/api/scorm/status?t={quote(token)}", origin=LMS)
    assert code == 200 and headers["Access-Control-Allow-Origin"] == LMS and "Origin" in headers.get("Vary", "")
    assert json.loads(body) == {
        "status": "ok",
        "module": "opsporing",
        "lesson_status": "incomplete",
        "score": None,
        "at": None,
    }
    # graded as a real hand-in is: failed, then passed
    on_graded(OTHER, "opsporing", 4, 10, False, datetime(2026, 12, 1, 10), db_url=db_url(srv), secret=TEST_SECRET)
    data = json.loads(get(srv, f"/api/scorm/status?t={quote(token)}", origin=LMS)[2])
    assert (data["lesson_status"], data["score"]) == ("failed", 40)
    on_graded(OTHER, "opsporing", 8, 10, True, datetime(2026, 12, 1, 11), db_url=db_url(srv), secret=TEST_SECRET)
    data = json.loads(get(srv, f"/api/scorm/status?t={quote(token)}", origin=LMS)[2])
    assert (data["lesson_status"], data["score"]) == ("passed", 80)

    # a preflight (an LMS on the internet asking rusfokus on the municipality's network) for that origin only
    pna = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Private-Network": "true"}
    code, headers, _ = get(srv, f"/api/scorm/status?t={quote(token)}", origin=LMS, method="OPTIONS", **pna)
    assert code == 204 and headers["Access-Control-Allow-Origin"] == LMS
    assert headers["Access-Control-Allow-Private-Network"] == "true"
    code, headers, _ = get(srv, f"/api/scorm/status?t={quote(token)}", origin="https://evil.example", method="OPTIONS")
    assert code == 403 and "Access-Control-Allow-Origin" not in headers
    # another origin may not read it, even with the token
    code, headers, body = get(srv, f"/api/scorm/status?t={quote(token)}", origin="https://evil.example")
    assert code == 403 and headers.get("Access-Control-Allow-Origin") != LMS and "passed" not in body
    # a changed token: refused, Danish, nothing of hers
    for bad in (token[:-3] + "AAA", token.replace(".", "x.", 1), "", pkg):
        code, _, body = get(srv, f"/api/scorm/status?t={quote(bad)}", origin=LMS)
        assert code == 403 and json.loads(body)["status"] == "fejl" and "passed" not in body, bad
    # a token signed for Karla's person id but with Jens's id swapped in does not verify
    with session_scope(db_url(srv)) as s:
        karla = s.scalar(select(Person).where(Person.email == EMAIL))
        karla_token = launch_token(karla, read_package(pkg, secret=srv.secret()), EMAIL, secret=srv.secret())
    assert json.loads(get(srv, f"/api/scorm/status?t={quote(karla_token)}", origin=LMS)[2])["lesson_status"] == (
        "incomplete"
    )  # Karla has not completed: Jens's pass is never reported for her
