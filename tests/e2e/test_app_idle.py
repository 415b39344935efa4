"""An app that nobody uses warns before it lets its kernel go (WCAG 2.2.1, "Fortsæt"), gives the
kernel back, and comes back with the learner's values on the next click (issue 16). Real server,
real kernels, Chromium at 1280 px and 390 px; the busy notice over the cap in Chromium too."""

from __future__ import annotations

import shutil
import time
import urllib.error
import urllib.request

import nbformat
import pytest
from playwright.sync_api import Error as PlaywrightError

from helpers.browser import run_axe, wait_for_widgets
from helpers.paths import ROOT
from helpers.server import start_server, stop_server, wait_for_preheated

IDLE = 24  # RUSFOKUS_CULL_IDLE: the warning comes after 12 s without use, the release after 24 s
# (16 s was tried to save time: in CI the 390 px run then timed out waiting for the reopened app)
APP = "/voila/render/lille/index.ipynb"
CODE = """import ipywidgets as w
tal = w.IntText(description='Tal')
dobbelt = w.HTML('<p>Dobbelt: 0</p>')
tal.observe(lambda change: setattr(dobbelt, 'value', f"<p>Dobbelt: {2 * change['new']}</p>"), names='value')
w.VBox([tal, dobbelt])"""


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("idle")
    widgets = tmp / "widgets"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["rusfokus"] = {"title": "Lille"}
    nb.cells = [nbformat.v4.new_code_cell(CODE)]
    (widgets / "lille").mkdir(parents=True)
    nbformat.write(nb, widgets / "lille" / "index.ipynb")
    book = tmp / "book"
    book.mkdir()
    (book / "index.html").write_text('<!DOCTYPE html><html lang="da"><title>Kursus</title><p>Forside</p></html>')
    # a book page with the app far below the first screen, embedded by the book's own script
    shutil.copy(ROOT / "src" / "rusfokus" / "static" / "rusfokus.js", book / "rusfokus.js")
    (book / "lang.html").write_text(
        '<!DOCTYPE html><html lang="da"><head><title>Lang side</title><script src="rusfokus.js" defer></script></head>'
        '<body><main><h1>Lang side</h1><div style="height:12000px">Tekst</div>'
        f'<div class="rf-app" data-app="lille" data-src="{APP}" data-title="Lille" data-height="300">'
        '<p class="rf-app-offline">Værktøjet vises kun fra kursusserveren.</p></div></main></body></html>'
    )
    srv = start_server(
        book,
        tmp / "home",
        {
            "RUSFOKUS_WIDGETS_DIR": str(widgets),
            "RUSFOKUS_COURSE_DIR": str(tmp / "c"),
            "RUSFOKUS_CULL_IDLE": str(IDLE),
            "RUSFOKUS_POOL_SIZE": "1",  # the app's page takes a preheated kernel, as on a product server
            # room for a kernel the previous test's closed page is still giving back (CI: on a busy machine the
            # next test's first page got the busy notice for over a minute with 3)
            "RUSFOKUS_MAX_KERNELS": "4",
            "RUSFOKUS_KERNELS_PER_VISITOR": "2",
        },
    )
    wait_for_preheated(srv, ["lille"])
    yield srv
    stop_server(srv, wait=False)


def kernel_status(server, kernel_id, page_cookie) -> int:
    req = urllib.request.Request(f"{server.url}/api/kernels/{kernel_id}", headers={"Cookie": page_cookie})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def page_cookie(page) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies() if c["name"] == "rf_page")


def kernel_id(page) -> str:
    return page.evaluate("() => JSON.parse(document.getElementById('rf-live-config').textContent).kernelId")


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_idle_app_warns_then_lets_go_and_comes_back_with_its_values(browser, idle_server, width):
    context = browser.new_context(locale="da-DK", viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(idle_server.url + APP)
        wait_for_widgets(page)
        field = page.get_by_role("spinbutton", name="Tal")
        field.fill("3")
        field.press("Enter")
        page.get_by_text("Dobbelt: 6").wait_for(timeout=30_000)  # the kernel got the value
        first = kernel_id(page)
        cookie = page_cookie(page)
        # no use for half the idle time: the Danish warning with "Fortsæt"
        warning = page.get_by_role("alertdialog")
        warning.wait_for(timeout=IDLE * 1000)
        assert "lukker snart" in warning.inner_text()
        assert run_axe(page) == []
        box = warning.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1  # fits a phone
        page.get_by_role("button", name="Fortsæt").click()
        assert page.get_by_role("alertdialog").count() == 0
        started = time.monotonic()
        time.sleep(IDLE / 2 - 3)  # "Fortsæt" started the idle time again: no warning yet
        assert page.get_by_role("alertdialog").count() == 0 and kernel_status(idle_server, first, cookie) == 200
        # still no use: warning, then the pause; the kernel is given back
        paused = page.get_by_role("alertdialog").filter(has_text="holder pause")
        paused.wait_for(timeout=IDLE * 1000 + 10_000)
        assert time.monotonic() - started >= IDLE - 2
        deadline = time.monotonic() + 15
        while kernel_status(idle_server, first, cookie) == 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert kernel_status(idle_server, first, cookie) in (403, 404)  # gone (and its owner forgotten)
        assert run_axe(page) == []
        # the next click: the app comes back on a new kernel, with her number where she left it
        page.get_by_role("button", name="Åbn værktøjet igen").click()
        wait_for_widgets(page)
        page.get_by_text("Dobbelt: 6").wait_for(timeout=30_000)  # the new kernel has her value
        assert kernel_id(page) != first
        assert page.get_by_role("spinbutton", name="Tal").input_value() == "3"
    finally:
        context.close()


@pytest.mark.slow
def test_leaving_the_page_gives_the_kernel_back_at_once(browser, idle_server):
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    try:
        page.goto(idle_server.url + APP)
        wait_for_widgets(page)
        first, cookie = kernel_id(page), page_cookie(page)
        page.goto(idle_server.url + "/index.html")  # the learner goes on (pagehide: the beacon)
        deadline = time.monotonic() + 10  # well under RUSFOKUS_RELEASE_SECONDS (30) + a reaper round
        while kernel_status(idle_server, first, cookie) == 200 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert kernel_status(idle_server, first, cookie) in (403, 404)  # gone (and its owner forgotten)
    finally:
        context.close()


def axe_on_busy_notice(page, tries: int = 4) -> list[dict]:
    """axe on the busy notice. The notice reloads itself after 2-4 s, then after twice as long each time; when a
    reload cuts an axe run short (on a busy machine axe can take longer than the first wait), axe runs again on
    the next notice, which has a longer wait."""
    for attempt in range(tries):
        page.get_by_text("Næste forsøg om").wait_for(timeout=40_000)
        try:
            return run_axe(page)
        except PlaywrightError as error:
            if "context was destroyed" not in str(error) or attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


@pytest.mark.slow
def test_over_the_cap_the_app_says_busy_and_opens_by_itself(browser, idle_server):
    """One visitor holds two kernels (its cap); a third app page shows the Danish busy notice,
    and opens by itself once one of the two is closed."""
    context = browser.new_context(locale="da-DK", viewport={"width": 390, "height": 800})
    try:
        held = [context.new_page(), context.new_page()]
        for p in held:
            p.goto(idle_server.url + APP)
            wait_for_widgets(p)
        for p in held:  # both in use (a key press), so neither lets its kernel go for being idle
            p.keyboard.press("Shift")
        third = context.new_page()
        response = third.goto(idle_server.url + APP)
        assert response.status == 503
        assert "Der er travlt lige nu, prøver igen …" in third.get_by_role("status").inner_text()
        assert axe_on_busy_notice(third) == []
        held[0].close()  # one app closed: its kernel is given back at once
        wait_for_widgets(third, timeout=90_000)  # the busy page tried again by itself
        assert third.get_by_role("spinbutton", name="Tal").count() == 1
    finally:
        context.close()


@pytest.mark.slow
def test_an_app_far_down_the_page_starts_only_when_scrolled_near(browser, idle_server):
    handouts = idle_server.log.read_text().count("Using pre-heated kernel")
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(idle_server.url + "/lang.html")
        page.wait_for_selector("iframe.rf-app-frame", state="attached", timeout=30_000)
        time.sleep(4)
        assert idle_server.log.read_text().count("Using pre-heated kernel") == handouts  # no kernel yet
        page.locator(".rf-app").scroll_into_view_if_needed()
        frame = page.frame_locator("iframe.rf-app-frame")
        frame.locator("body.rf-live-ready").wait_for(timeout=60_000)
        assert idle_server.log.read_text().count("Using pre-heated kernel") == handouts + 1
    finally:
        context.close()
