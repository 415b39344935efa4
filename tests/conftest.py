"""Fixtures only: thin wrappers around tests/helpers (tests import helpers, never this file).

Everything is real: the book is built with Jupyter Book (warnings are errors),
the server is the same `rusfokus serve` an operator runs, the browser is
Debian's Chromium driven by playwright, accessibility is axe-core.
Set RUSFOKUS_TEST_BOOK=<built html dir> to reuse a build while developing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.browser import CHROMIUM_ARGS, run_axe
from helpers.paths import CHROMIUM, ROOT
from helpers.postgres import postgres_installed, running_postgres
from helpers.server import start_server, stop_server


def pytest_collection_modifyitems(config, items):
    for item in items:
        uses_chromium = bool({"browser", "browser_page", "axe_check"} & set(getattr(item, "fixturenames", ())))
        if "/e2e/" in str(item.fspath).replace(os.sep, "/") or uses_chromium:
            item.add_marker(pytest.mark.browser)
    # Browser tests last: playwright's sync API keeps an event loop running in
    # this thread while the session's browser is open, which tornado's own
    # test loops (AsyncHTTPTestCase, run_sync) must not meet.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The whole book, built once per test session with -W -n --keep-going."""
    reuse = os.environ.get("RUSFOKUS_TEST_BOOK")
    if reuse:
        return Path(reuse)
    from rusfokus.book import build_book

    tmp = tmp_path_factory.mktemp("book")
    return build_book(ROOT, out_dir=tmp / "html", staging=tmp / "staging", quiet=True)


@pytest.fixture(scope="session")
def server(built_book, tmp_path_factory):
    """`rusfokus serve` on a free port with its own data folder."""
    srv = start_server(built_book, tmp_path_factory.mktemp("server-home"))
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL 15 for the session; yields its port."""
    if not postgres_installed():
        pytest.skip("PostgreSQL 15 binaries not installed (apt-get install postgresql-15); .ci/run installs them")
    with running_postgres() as port:
        yield port


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make system-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def axe_check():
    return run_axe
