"""The SCORM 1.2 package in a real SCORM runtime (issue 18): headless Chromium, an LMS page on its own loopback
origin that makes scorm-again's Scorm12API (npm) its window.API and frames the exported SCO, and the session's
real `rusfokus serve`. The SCO finds the API, opens rusfokus in a new window for the learner (her personal
link's cookie), gets the launch token by postMessage, and once her hand-in is graded as passed the LMS's
cmi.core.lesson_status and score.raw are set and committed; LMSFinish when the SCO goes. A blocked popup
gives the button 'Åbn kurset'; a package whose token was changed is refused with the Danish page in the
learner's window, and the LMS gets no result."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from rusfokus.db import session_scope
from rusfokus.identity import LEARNER_COOKIE
from rusfokus.integrations.scorm.package import build_package
from rusfokus.progress.hooks import find_or_create_person, on_graded

from helpers.paths import ROOT

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

SCORM_AGAIN = ROOT / "node_modules" / "scorm-again" / "dist" / "scorm12.js"
EMAIL = "signe.scormbech@eksempel-kommune.example"

LMS_PAGE = """<!DOCTYPE html>
<html lang="da"><head><meta charset="utf-8"><title>Test-LMS</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="/scorm12.js"></script>
<script>
  window.API = new Scorm12API({autocommit: false, logLevel: 5});
  window.API.loadFromJSON({core: {student_id: "%(sid)s", student_name: "Scormbech, Signe"}});
  window.lms = {commits: [], finished: false, initialized: false};
  window.API.on("LMSInitialize", function () { window.lms.initialized = true; });
  window.API.on("LMSCommit", function () {
    window.lms.commits.push({status: window.API.cmi.core.lesson_status, raw: window.API.cmi.core.score.raw});
  });
  window.API.on("LMSFinish", function () { window.lms.finished = true; });
</script></head>
<body><h1>Test-LMS</h1>
<iframe id="sco" title="Kursus" src="/pkg/sco/index.html" style="width:100%%;height:400px;border:0"></iframe>
</body></html>
"""


BLOCK_POPUPS = """
// As a browser's popup blocker does: window.open without a user's click gives null.
(function () {
  var open = window.open;
  window.open = function () {
    return navigator.userActivation && navigator.userActivation.isActive ? open.apply(window, arguments) : null;
  };
})();
"""


@pytest.fixture
def lms(tmp_path):
    """The LMS's web server: a folder on a loopback port of its own (another origin than rusfokus)."""
    root = tmp_path / "lms"
    root.mkdir()
    shutil.copy(SCORM_AGAIN, root / "scorm12.js")
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def install(srv, root: Path, origin: str, sid: str, *, tamper: bool = False) -> None:
    """Export the package as an operator does and unpack it where the LMS serves it."""
    if not SCORM_AGAIN.exists():
        pytest.fail("scorm-again is missing: run `make assets` (npm ci)")
    built = build_package(
        "opsporing", root / "pakke.zip", base_url=srv.url, lms_origin=origin, secret=srv.secret(), poll_seconds=2
    )
    with zipfile.ZipFile(built.path) as zf:
        zf.extractall(root / "pkg")
    if tamper:  # a learner edits the package token: another module, the old signature
        config = root / "pkg" / "sco" / "config.js"
        text = config.read_text()
        data = json.loads(text.split("=", 1)[1].rstrip().rstrip(";"))
        body, mac = data["package"].split(".")
        config.write_text(text.replace(data["package"], body[:-4] + "AAAA." + mac))
    (root / "lms.html").write_text(LMS_PAGE % {"sid": sid}, encoding="utf-8")


def open_lms(context, url: str):
    """Open the LMS; the SCO opens rusfokus in a new window by itself, or, where the browser blocks the popup,
    after a click on 'Åbn kurset'. Returns the LMS page, the learner's window and whether it was blocked."""
    page = context.new_page()
    try:
        with context.expect_page(timeout=15_000) as popup:
            page.goto(url)
        return page, popup.value, False
    except PlaywrightTimeout:
        with context.expect_page(timeout=15_000) as popup:
            page.frame_locator("#sco").get_by_role("button", name="Åbn kurset").click()
        return page, popup.value, True


def lms_value(page, name: str) -> str:
    return page.evaluate("(n) => window.API.LMSGetValue(n)", name)


def test_passed_in_rusfokus_reaches_the_lms(server, browser, lms, axe_check):
    root, origin = lms
    with session_scope(f"sqlite:///{server.home / 'rusfokus.db'}") as s:
        find_or_create_person(s, EMAIL, datetime(2026, 11, 1, 8))
    install(server, root, origin, EMAIL)
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    context.add_cookies([server.cookie(LEARNER_COOKIE, server.learner_token(EMAIL))])
    try:
        page, learner, blocked = open_lms(context, origin + "/lms.html")
        assert not blocked
        # the SCO found scorm-again's API, started the attempt and got the launch token from rusfokus's window
        page.wait_for_function("() => window.lms.initialized && window.API.cmi.suspend_data.length > 0")
        assert lms_value(page, "cmi.core.lesson_status") == "incomplete"
        learner.wait_for_url("**/modules/01-opsporing/index.html", timeout=30_000)
        sco = page.frame_locator("#sco")
        assert "nyt vindue" in sco.locator("#rf-besked").inner_text()
        assert axe_check(page) == []

        # her hand-in is graded as a pass (the grading worker's hook)
        on_graded(
            EMAIL,
            "opsporing",
            9,
            10,
            True,
            datetime.now(),
            db_url=f"sqlite:///{server.home / 'rusfokus.db'}",
            secret=TEST_SECRET,
        )
        page.wait_for_function("() => window.API.cmi.core.lesson_status === 'passed'", timeout=30_000)
        assert lms_value(page, "cmi.core.score.raw") == "90"
        assert (lms_value(page, "cmi.core.score.min"), lms_value(page, "cmi.core.score.max")) == ("0", "100")
        commits = page.evaluate("() => window.lms.commits")
        assert {"status": "passed", "raw": "90"} in commits
        assert "bestået" in sco.locator("#rf-besked").inner_text()

        # the SCO goes (the learner leaves it): LMSFinish
        page.evaluate("() => { document.getElementById('sco').src = 'about:blank'; }")
        page.wait_for_function("() => window.lms.finished === true")
    finally:
        context.close()


def test_a_tampered_package_is_refused_at_390px(server, browser, lms, axe_check):
    root, origin = lms
    install(server, root, origin, EMAIL, tamper=True)
    context = browser.new_context(locale="da-DK", viewport={"width": 390, "height": 844}, is_mobile=True)
    context.add_cookies([server.cookie(LEARNER_COOKIE, server.learner_token(EMAIL))])
    context.add_init_script(BLOCK_POPUPS)
    try:
        page, learner, blocked = open_lms(context, origin + "/lms.html")
        assert blocked  # the SCO offered 'Åbn kurset', and the click opened rusfokus
        learner.wait_for_load_state()
        assert "Linket fra dit LMS er ugyldigt eller ændret" in learner.locator("main").inner_text()
        assert learner.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert axe_check(learner, include_frames=False) == []
        # the error page hands out no token, so the SCO never polls and the LMS gets no result
        sco = page.frame_locator("#sco")
        assert "nyt vindue" in sco.locator("#rf-besked").inner_text()
        assert sco.locator("#rf-besked").evaluate("(el) => el.scrollWidth <= window.innerWidth")
        assert page.evaluate("() => window.API.cmi.suspend_data") == ""
        assert lms_value(page, "cmi.core.lesson_status") == "incomplete"
        assert lms_value(page, "cmi.core.score.raw") == ""
    finally:
        context.close()
