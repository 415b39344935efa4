"""Fixtures only: thin wrappers around tests/helpers (tests import helpers, never this file).

Everything is real: the book is built with Jupyter Book (warnings are errors),
the server is the same `rusfokus serve` an operator runs, the browser is
Debian's Chromium driven by playwright, accessibility is axe-core.
Set RUSFOKUS_TEST_BOOK=<built html dir> to reuse a build while developing.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

import helpers.browser
import helpers.course
from helpers.browser import CHROMIUM_ARGS, run_axe
from helpers.course import built_course
from helpers.demo import load_demo_staff
from helpers.paths import HEADLESS_CHROMIUM, ROOT
from helpers.postgres import postgres_installed, running_postgres
from helpers.server import start_server, stop_server
from helpers.xdist import once_per_run, run_dir
from helpers.xdist_scheduler import write_units

# tornado's test cases (AsyncHTTPTestCase.fetch, gen_test) give up after 5 s by default. In `make test` with
# three workers the CPU is shared with browsers, servers and the book build, and a page that takes 30 ms alone
# once took over 5 s (ci34). A hung request still fails, after 30 s.
os.environ.setdefault("ASYNC_TEST_TIMEOUT", "30")

# A test that uses one of these (directly or through another fixture) builds the book or starts
# `rusfokus serve`: it is marked slow, so `make test-fast` never does either.
SLOW_FIXTURES = {"built_book", "server", "demo_server"}
BROWSER_FIXTURES = {"browser", "browser_page", "axe_check"}
NOT_FAST = {"slow", "browser", "postgres"}
# The exercises built in the session server's course folder (a test of another module's exercise adds it
# here rather than starting a server of its own: each full server costs about 4 CPU-seconds to start).
SERVER_EXERCISES = ("opsporing", "unge-og-rusmidler")


# Browser files that take minutes: first among the browser tests, so that no xdist worker is left running one
# of them alone at the end of `make test`.
LONG_BROWSER_FILES = ("tests/e2e/test_qualweb.py", "tests/e2e/test_app_idle.py")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "/e2e/" in str(item.fspath).replace(os.sep, "/") or fixtures & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if fixtures & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
    _xdist_groups(items)

    # Browser tests last: playwright's sync API keeps an event loop running in
    # this thread while the session's browser is open, which tornado's own
    # test loops (AsyncHTTPTestCase, run_sync) must not meet.
    def order(item) -> tuple[bool, bool]:
        browser = item.get_closest_marker("browser") is not None
        return browser, browser and not _rel(item).startswith(LONG_BROWSER_FILES)

    items.sort(key=order)
    write_units(config, items)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` (make test): each xdist_group, else each file's browser or other tests, in one worker
    (helpers/xdist_scheduler.py: xdist's own loadgroup does not group with pytest 9)."""
    if config.getvalue("dist") == "loadgroup":
        from helpers.xdist_scheduler import UnitScheduling

        return UnitScheduling(config, log)
    return None


def _rel(item) -> str:
    return Path(str(item.fspath)).relative_to(ROOT).as_posix() if str(item.fspath).startswith(str(ROOT)) else ""


def _xdist_groups(items) -> None:
    """`--dist loadgroup` (make test): the browser tests that use `demo_server` run in one worker (one demo server
    per run). Every other test runs in one worker with the rest of its file's browser or other tests
    (helpers/xdist_scheduler.py), so a module- or class-scoped fixture is set up once. Without xdist these marks
    do nothing."""
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue  # the test's own choice
        if item.get_closest_marker("browser") and "demo_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("demo_server"))


# --- the fast-test guard -------------------------------------------------------------------------
# A test without a slow/browser/postgres marker must not build a book or start `rusfokus serve`
# (`make test-fast` promises neither). An audit hook sees every subprocess this process starts,
# whatever code path starts it, and refuses those two while such a test runs.
_running_fast_test: list[str] = []


def _guard_subprocesses(event: str, args: tuple) -> None:
    if event != "subprocess.Popen" or not _running_fast_test or threading.current_thread().name == BOOK_THREAD:
        return
    cmd = args[1] if isinstance(args[1], (list, tuple)) else [args[1] or args[0]]
    argv = [os.path.basename(str(part)) for part in cmd]
    builds_book = any(a in ("jupyter-book", "sphinx-build") for a in argv)
    serves = "serve" in argv and any("rusfokus" in a for a in argv)
    if builds_book or serves:
        what = "builds a book" if builds_book else "starts `rusfokus serve`"
        raise RuntimeError(
            f"{_running_fast_test[0]} {what} but is not marked slow (or browser/postgres): "
            "mark it @pytest.mark.slow, or use a fixture that is marked (conftest.SLOW_FIXTURES)"
        )


sys.addaudithook(_guard_subprocesses)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    fast = not any(item.get_closest_marker(name) for name in NOT_FAST)
    if fast:
        _running_fast_test.append(item.nodeid)
    try:
        return (yield)
    finally:
        if fast:
            _running_fast_test.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used a full server gets the end of that server's log in its report: a CI failure
    then says what the server did (a refused page, a kernel error) without anyone re-running it."""
    report = yield
    if report.failed:
        for name in SERVER_FIXTURES:
            srv = getattr(item, "funcargs", {}).get(name)
            log = getattr(srv, "log", None)
            if log is not None and Path(log).exists():
                lines = Path(log).read_text(encoding="utf-8", errors="replace").splitlines()[-80:]
                report.sections.append((f"{name} log (last {len(lines)} lines)", "\n".join(lines)))
    return report


SERVER_FIXTURES = ("server", "demo_server")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session", autouse=True)
def _run_shared_folder(tmp_path_factory):
    """Built nbgrader courses and axe's results on built pages are kept in a folder every xdist worker of this
    run shares (made once per run)."""
    helpers.course.SHARED = run_dir(tmp_path_factory) / "courses"
    helpers.browser.AXE_RESULTS = run_dir(tmp_path_factory) / "axe"


def _build_the_book(folder: Path) -> Path:
    from rusfokus.book import build_book

    return build_book(ROOT, out_dir=folder / "html", staging=folder / "staging", quiet=True)


# The book build takes minutes: when a test of this run needs it, it starts in a thread as soon as the tests
# are collected, so the tests before the first one that needs it run meanwhile (the build is one subprocess).
# Under xdist the first worker to take the lock builds it; the others' `built_book` waits for that build.
BOOK_THREAD = "rusfokus-test-book-build"


def pytest_collection_finish(session):
    if os.environ.get("RUSFOKUS_TEST_BOOK") or session.config.option.collectonly:
        return
    if not any("built_book" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    folder = run_dir(session.config._tmp_path_factory) / "book"

    def build() -> None:
        try:
            once_per_run(folder, _build_the_book)
        except BaseException:  # noqa: S110 - recorded in <folder>.failed; `built_book` reports it
            pass

    threading.Thread(target=build, name=BOOK_THREAD).start()


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The whole book, built once per test run with -W -n --keep-going (in the background from the start of
    the run, see pytest_collection_finish; the xdist workers wait for it and read the same folder, which
    nobody writes into)."""
    reuse = os.environ.get("RUSFOKUS_TEST_BOOK")
    if reuse:
        return Path(reuse)
    return once_per_run(run_dir(tmp_path_factory) / "book", _build_the_book)


@pytest.fixture(scope="session")
def server(built_book, tmp_path_factory):
    """The session's `rusfokus serve` on a free port, with a data folder of its own: database, secret key
    and an nbgrader course folder with the exercises of module 1 and module 5 built (never the working
    tree's exercises/). Tests share it: each uses its own fictional people, so none sees another's data."""
    data = tmp_path_factory.mktemp("server")
    course = built_course(data / "course", *SERVER_EXERCISES)
    srv = start_server(built_book, data / "home", {"RUSFOKUS_COURSE_DIR": str(course)})
    srv.course = course
    yield srv
    stop_server(srv, wait=False)


@pytest.fixture(scope="session")
def demo_server(built_book, tmp_path_factory):
    """The one other full server: the admin tools need a whole staff list (the fictional demo staff,
    120 people plus one named with a <script> tag, admin 'konsulent'), which the session server's
    tests must not see. The exercises of `server` are built in its own course folder."""
    data = tmp_path_factory.mktemp("demo-server")
    course = built_course(data / "course", *SERVER_EXERCISES)
    # preheated as on a product server (the other test servers preheat none): QualWeb, the phone and the
    # dashboard tests open every app in pooled kernels, which learn whose page they serve through Voilà's
    # request-info socket (rusfokus.voila_request)
    srv = start_server(built_book, data / "home", {"RUSFOKUS_COURSE_DIR": str(course), "RUSFOKUS_POOL_SIZE": "1"})
    srv.course = course
    try:
        load_demo_staff(srv)
        yield srv
    finally:
        stop_server(srv, wait=False)


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL 15 for the session; yields its port."""
    if not postgres_installed():
        pytest.skip("PostgreSQL 15 binaries not installed (apt-get install postgresql-15); .ci/run installs them")
    with running_postgres() as port:
        yield port


@pytest.fixture(scope="session")
def browser():
    if not Path(HEADLESS_CHROMIUM).exists():
        pytest.fail("chromium-headless-shell is missing: run `make system-deps` (apt-get install it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=HEADLESS_CHROMIUM, args=CHROMIUM_ARGS, headless=True)
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
