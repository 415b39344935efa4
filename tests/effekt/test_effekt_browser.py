"""The self-efficacy page (/effekt/) in Chromium at 390 px (phone, touch) and 1280 px (laptop).

A small in-process tornado server with the real routes of the page and the stylesheet (no book, no
kernel: the page needs neither). A learner with her signed cookie sends the form with one statement
unanswered (a Danish alert, her choices kept), then answers all three (a thank-you, her answers
listed). axe-core finds nothing serious, nothing is wider than the screen, every control can be tapped.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading

import pytest
import tornado.httpserver
import tornado.web
from playwright.sync_api import expect

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.effekt import web as effekt_web
from rusfokus.effekt.selfefficacy import ITEMS
from rusfokus.settings import Settings
from rusfokus.web import routes as web_routes

from .conftest import add_person
from helpers.browser import run_axe
from helpers.paths import free_port
from helpers.phone import CONTROLS_JS

SIZES = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
    "laptop": {"viewport": {"width": 1280, "height": 900}},
}


@pytest.fixture(scope="module")
def effekt_server():
    tmp = tempfile.TemporaryDirectory()
    settings = Settings.from_env(home=tmp.name)
    port = free_port()
    ready, box = threading.Event(), {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        routes = [*web_routes.routes(settings), *effekt_web.routes(settings)]
        app = tornado.web.Application([r if len(r) == 3 else (*r, {}) for r in routes])
        server = tornado.httpserver.HTTPServer(app)
        server.listen(port, "127.0.0.1")
        box.update(loop=loop, server=server, secret=routes[-1][2]["secret"])
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(30)
    with session_scope(settings.db_url) as s:
        for key in SIZES:
            add_person(s, f"Lærke {key}", f"laerke.{key}@eksempel-kommune.example")
    yield f"http://127.0.0.1:{port}", box["secret"]
    box["loop"].call_soon_threadsafe(box["server"].stop)
    box["loop"].call_soon_threadsafe(box["loop"].stop)
    thread.join(10)
    tmp.cleanup()


def fits(page, width: int, name: str, controls: int = 0) -> None:
    assert run_axe(page, include_frames=False) == [], name
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    result = page.evaluate(CONTROLS_JS)
    assert result["checked"] >= controls and result["bad"] == [], (name, result["bad"])


@pytest.mark.browser
@pytest.mark.parametrize("size", list(SIZES))
def test_self_efficacy_page_on_phone_and_laptop(browser, effekt_server, size):
    url, secret = effekt_server
    context = browser.new_context(locale="da-DK", **SIZES[size])
    token = identity.learner_token(f"laerke.{size}@eksempel-kommune.example", secret=secret)
    context.add_cookies([{"name": identity.LEARNER_COOKIE, "value": token, "url": url, "httpOnly": True}])
    page = context.new_page()
    width = SIZES[size]["viewport"]["width"]
    try:
        page.goto(f"{url}/effekt/")
        expect(page.get_by_role("heading", name="Hvor sikker er du?")).to_be_visible()
        expect(page.get_by_role("heading", name="Før du går i gang med kurset")).to_be_visible()
        fits(page, width, f"effekt-{size}-form", controls=16)
        page.get_by_role("group", name=f"1. {ITEMS[0]}").get_by_label("4 · Lidt enig").check()
        page.get_by_role("group", name=f"3. {ITEMS[2]}").get_by_label("2 · Lidt uenig").check()
        page.get_by_role("button", name="Gem mine svar").click()
        expect(page.get_by_role("alert")).to_have_text("Vælg et svar ved udsagn 2.")
        expect(page.get_by_role("group", name=f"1. {ITEMS[0]}").get_by_label("4 · Lidt enig")).to_be_checked()
        fits(page, width, f"effekt-{size}-fejl", controls=16)
        page.get_by_role("group", name=f"2. {ITEMS[1]}").get_by_label("5 · Helt enig").check()
        page.get_by_role("button", name="Gem mine svar").click()
        expect(page.get_by_role("status")).to_have_text("Tak. Dine svar er gemt.")
        expect(page.locator("main")).to_contain_text("1. 4 · 2. 5 · 3. 2")
        fits(page, width, f"effekt-{size}-tak")
    finally:
        context.close()
    other = browser.new_context(locale="da-DK", **SIZES[size])  # no cookie: refused in Danish
    try:
        p = other.new_page()
        response = p.goto(f"{url}/effekt/")
        assert response.status == 403
        expect(p.locator("main")).to_contain_text("Vi ved ikke, hvem du er")
    finally:
        other.close()
