"""The admin's integrations page in Chromium at 390 px and 1280 px: readable without sideways
scrolling, no serious axe-core violation, the failure and its reason visible."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest
import tornado.httpserver
import tornado.web

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.integrations import dispatch
from rusfokus.integrations.web import routes
from rusfokus.migrations import upgrade
from rusfokus.progress.hooks import record_result
from rusfokus.settings import Settings
from rusfokus.web import routes as theme_routes

from helpers.paths import ROOT, free_port

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

AT = dt.datetime(2027, 3, 1, 10, 0)


@pytest.fixture
def page_server(tmp_path):
    settings = Settings.from_env(
        {
            "RUSFOKUS_ROOT": str(ROOT),
            "RUSFOKUS_HOME": str(tmp_path / "home"),
            "RUSFOKUS_BASE_URL": "https://rusfokus.eksempel-kommune.example",
            "RUSFOKUS_XAPI_ENDPOINT": f"http://127.0.0.1:{free_port()}/en/meget/lang/sti/til/kommunens/lrs/xAPI/",
            "RUSFOKUS_XAPI_KEY": "rusfokus",
            "RUSFOKUS_XAPI_SECRET": "hemmelig",
            "RUSFOKUS_XAPI_TIMEOUT": "1",
        }
    )
    settings.ensure_home()
    upgrade(settings.db_url)
    with session_scope(settings.db_url) as s:
        for n in range(3):
            record_result(s, f"p{n}@eksempel-kommune.example", "opsporing", 9, 10, True, AT, 24, secret=TEST_SECRET)
    dispatch.run_deliveries(settings, now_fn=lambda: AT)  # nobody listens: one failed, two waiting
    port = free_port()
    ready = threading.Event()
    box = {}

    def serve():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = tornado.web.Application(routes(settings) + theme_routes.routes(settings))
        box["server"] = tornado.httpserver.HTTPServer(app)
        box["server"].listen(port, "127.0.0.1")
        box["loop"] = loop
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    token = identity.admin_token("pia", secret=identity.load_secret(settings.secret_file))
    yield f"http://127.0.0.1:{port}", token
    box["loop"].call_soon_threadsafe(box["loop"].stop)
    thread.join(5)


@pytest.mark.browser
def test_page_at_phone_and_laptop_width(browser, page_server, axe_check):
    url, token = page_server
    for width in (390, 1280):
        context = browser.new_context(locale="da-DK", viewport={"width": width, "height": 800})
        context.add_cookies([{"name": identity.ADMIN_COOKIE, "value": token, "url": url}])
        page = context.new_page()
        page.goto(url + "/integrationer/")
        assert page.locator("h1").inner_text() == "Integrationer"
        text = page.locator("main").inner_text()
        assert "Fejlet" in text and "cannot reach the LRS" in text and "Venter" in text
        wide = page.evaluate(
            "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > innerWidth)"
            ".map(e => e.tagName + '.' + e.className).slice(0, 5)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"sideways at {width}px: {wide}"
        assert axe_check(page, include_frames=False) == []
        context.close()
