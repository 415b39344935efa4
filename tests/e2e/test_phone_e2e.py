"""Phones and tablets in Chromium: the book's menus, no sticky tooltips, and every app at 390 px.

A phone here is a 390×844 viewport with touch and a mobile user agent (and a
tablet 800 px). Every app in widgets/ is opened through a real `rusfokus
serve` (admin apps with an admin cookie, the others with a learner's), with
the fictional demo data, so Min side and the dashboard show real tables.
On every app page every shown button, input, select and textarea must lie
inside the screen and be the element a tap at its centre hits, and the page
must not scroll sideways; the same at 1280 px (nothing regressed on a laptop).

Screenshots of every app at 390 px go to $RUSFOKUS_SCREENSHOTS (or a temp
folder); the test prints where.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from rusfokus.server.apps import list_apps

from helpers.browser import run_axe, wait_for_widgets
from helpers.paths import ROOT
from helpers.phone import CONTROLS_JS, PHONE_UA, TEXT_JS

TIMEOUT = 120_000
APPS = list_apps(ROOT / "widgets")
BOOK_PAGE = "modules/01-opsporing/genstande.html"  # a module page with headings and an app


@pytest.fixture(scope="module")
def phone_server(demo_server):
    """The server with the demo staff (for Min side and the dashboard) and the module 1 exercise."""
    from sqlalchemy import select

    from rusfokus.db import session_scope
    from rusfokus.progress.models import Certificate, Person

    srv = demo_server
    # a learner with a kursusbevis, so Min side shows its whole table
    with session_scope(f"sqlite:///{srv.home / 'rusfokus.db'}") as s:
        srv.learner_email = s.scalar(
            select(Person.email).join(Certificate, Certificate.person_id == Person.id).limit(1)
        )
    assert srv.learner_email
    return srv


@pytest.fixture(scope="module")
def app_queries(built_book) -> dict[str, str]:
    """The query each app is embedded with in the book (the exercise needs ?opgave=...)."""
    found: dict[str, str] = {}
    for page in sorted(Path(built_book).rglob("*.html")):
        for name, src in re.findall(r'data-app="([a-z0-9-]+)" data-src="([^"]+)"', page.read_text(encoding="utf-8")):
            found.setdefault(name, src.split("?", 1)[1] if "?" in src else "")
    return found


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("RUSFOKUS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


def new_context(browser, srv, width: int, phone: bool):
    if phone:
        context = browser.new_context(
            locale="da-DK",
            viewport={"width": width, "height": 844},
            is_mobile=True,
            has_touch=True,
            user_agent=PHONE_UA,
        )
    else:
        context = browser.new_context(locale="da-DK", viewport={"width": width, "height": 900})
    context.add_cookies(
        [srv.cookie("rf_admin", srv.admin_token("pia")), srv.cookie("rf_learner", srv.learner_token(srv.learner_email))]
    )
    return context


def open_app(page, srv, app, query: str = ""):
    missing = []
    page.on("response", lambda r: missing.append(f"{r.url} (page {r.frame.url})") if r.status == 404 else None)
    page.goto(
        f"{srv.url}/voila/render/{app}/index.ipynb" + (f"?{query}" if query else ""),
        wait_until="commit",
        timeout=TIMEOUT,
    )
    wait_for_widgets(page, timeout=TIMEOUT)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # live.js stacks or marks wide tables in the next frame
    return missing


def assert_fits(page, where: str) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"{where}: the page scrolls sideways ({width[0]} > {width[1]} px)"
    result = page.evaluate(CONTROLS_JS)
    assert result["checked"] > 0, f"{where}: no controls found"
    assert result["bad"] == [], f"{where}: " + "; ".join(result["bad"])


def assert_text_fits(page, where: str) -> None:
    assert page.evaluate(TEXT_JS) == [], where


# ---- the book ---------------------------------------------------------------


def drawer_links_inside(page, dialog_id: str) -> int:
    return page.evaluate(
        """(id) => { const d = document.getElementById(id); const vw = document.documentElement.clientWidth;
        const links = Array.from(d.querySelectorAll('a[href]')).filter((a) => a.getClientRects().length);
        if (links.some((a) => a.getBoundingClientRect().right > vw + 0.5)) return -1;
        return links.length; }""",
        dialog_id,
    )


@pytest.mark.parametrize("width", [390, 800])
def test_book_menu_and_contents_open_and_close_on_phone_and_tablet(browser, phone_server, width, shots):
    context = new_context(browser, phone_server, width, phone=True)
    try:
        page = context.new_page()
        missing = []

        def watch(r):
            if r.status == 404:
                missing.append(f"{r.url} (page {r.frame.url})")

        page.on("response", watch)
        page.goto(f"{phone_server.url}/{BOOK_PAGE}")
        page.wait_for_load_state("load")
        primary = page.locator("#pst-primary-sidebar-modal")
        menu = page.locator(".primary-toggle:visible")
        assert menu.count() == 1, "one visible ☰ button"
        assert not primary.evaluate("d => d.open")
        menu.tap()
        page.wait_for_function("() => document.getElementById('pst-primary-sidebar-modal').open")
        links = drawer_links_inside(page, "pst-primary-sidebar-modal")
        assert links > 20, f"the menu shows the table of contents inside the screen ({links} links)"
        assert page.locator("#pst-primary-sidebar-modal a", has_text="Genstande og Sundhedsstyrelsens råd").is_visible()
        page.screenshot(path=str(shots / f"book-menu-{width}.png"))
        assert missing == [], f"not found: {missing}"
        page.remove_listener("response", watch)  # axe fetches style sheets its own way
        assert run_axe(page, include_frames=False) == []
        page.get_by_role("button", name="Luk").tap()
        page.wait_for_function("() => !document.getElementById('pst-primary-sidebar-modal').open")
        assert page.locator("#pst-primary-sidebar a").count() == links, "the links go back to the sidebar"
        assert page.locator("#pst-primary-sidebar .rf-drawer-close").count() == 0
        # again, closed with Escape; then follow a link from the menu
        menu.tap()
        page.wait_for_function("() => document.getElementById('pst-primary-sidebar-modal').open")
        page.keyboard.press("Escape")
        page.wait_for_function("() => !document.getElementById('pst-primary-sidebar-modal').open")
        menu.tap()
        page.locator("#pst-primary-sidebar-modal a", has_text="AUDIT-C").first.tap()
        page.wait_for_url("**/audit-c.html")
        page.wait_for_load_state("load")

        # "Indhold" (this page's headings) opens on the right and closes on a tap outside
        page.goto(f"{phone_server.url}/{BOOK_PAGE}")
        page.wait_for_load_state("load")
        contents = page.locator(".secondary-toggle:visible")
        assert contents.count() == 1, "one visible Indhold button"
        contents.tap()
        page.wait_for_function("() => document.getElementById('pst-secondary-sidebar-modal').open")
        assert drawer_links_inside(page, "pst-secondary-sidebar-modal") >= 2
        page.screenshot(path=str(shots / f"book-contents-{width}.png"))
        page.touchscreen.tap(8, 400)  # the backdrop, left of the drawer
        page.wait_for_function("() => !document.getElementById('pst-secondary-sidebar-modal').open")
    finally:
        context.close()


def test_no_sticky_tooltip_covers_the_search_button_on_touch(browser, phone_server):
    context = new_context(browser, phone_server, 390, phone=True)
    try:
        page = context.new_page()
        page.goto(f"{phone_server.url}/{BOOK_PAGE}")
        page.wait_for_load_state("load")
        # the "Indhold" button's tooltip is the one that lay over the search button
        for button in (".theme-switch-button:visible", ".primary-toggle:visible", ".secondary-toggle:visible"):
            page.locator(button).first.tap()
            if page.locator("dialog[open]").count():
                page.keyboard.press("Escape")  # focus goes back to the button, where a tooltip would show
            page.wait_for_timeout(400)  # Bootstrap shows a tooltip after a short fade
            assert (
                page.locator(".tooltip").evaluate_all(
                    "els => els.filter((e) => e.getClientRects().length && "
                    "getComputedStyle(e).display !== 'none').length"
                )
                == 0
            )
            search = page.locator(".search-button:visible").first
            box = search.bounding_box()
            hit = page.evaluate(
                "([x, y]) => document.elementFromPoint(x, y).closest('.search-button') !== null",
                [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
            )
            assert hit, f"after a tap on {button} something covers the search button"
        # the buttons keep their accessible names without the tooltips
        assert page.locator(".search-button:visible").first.get_attribute("aria-label")
    finally:
        context.close()


def test_book_sidebar_still_folds_on_a_laptop(browser, phone_server):
    context = new_context(browser, phone_server, 1280, phone=False)
    try:
        page = context.new_page()
        page.goto(f"{phone_server.url}/{BOOK_PAGE}")
        page.wait_for_load_state("load")
        sidebar = page.locator("#pst-primary-sidebar")
        assert sidebar.locator("a", has_text="AUDIT-C").first.is_visible()
        page.locator(".primary-toggle:visible").click()
        page.wait_for_function(
            "() => document.getElementById('pst-primary-sidebar').classList.contains('pst-sidebar-hidden')"
        )
        sidebar.locator("a", has_text="AUDIT-C").first.wait_for(state="hidden", timeout=5_000)
        assert not page.locator("#pst-primary-sidebar-modal").evaluate("d => d.open"), "no drawer on a wide screen"
        page.locator(".primary-toggle:visible").click()
        page.wait_for_function(
            "() => !document.getElementById('pst-primary-sidebar').classList.contains('pst-sidebar-hidden')"
        )
        sidebar.locator("a", has_text="AUDIT-C").first.wait_for(state="visible", timeout=5_000)  # after the slide-in
    finally:
        context.close()


def test_app_card_says_the_tool_is_starting_until_it_is_shown(browser, phone_server):
    """The book's app box shows "Værktøjet starter …" from the moment the frame is made until the app's
    widgets are in it (recorded as it happens, so a fast start cannot hide a missing line)."""
    context = new_context(browser, phone_server, 390, phone=True)
    context.add_init_script("""
      window.__rfLoading = [];
      new MutationObserver((mutations) => {
        for (const m of mutations) for (const n of m.addedNodes) {
          if (n.nodeType !== 1 || !n.classList.contains('rf-app-loading')) continue;
          window.__rfLoading.push({event: 'shown', text: n.textContent, role: n.getAttribute('role'),
                                   visible: n.getClientRects().length > 0 && !n.hidden});
          new MutationObserver(() => {
            if (!n.hidden) return;
            const frame = n.parentNode.querySelector('iframe');
            let body = '';
            try { body = frame.contentDocument.body.className; } catch (e) { body = 'unreadable'; }
            window.__rfLoading.push({event: 'hidden', body});
          }).observe(n, {attributes: true, attributeFilter: ['hidden']});
        }
      }).observe(document, {childList: true, subtree: true});
    """)
    try:
        page = context.new_page()
        page.goto(f"{phone_server.url}/{BOOK_PAGE}")
        page.wait_for_load_state("load")
        box = page.locator(".rf-app[data-app='genstande']")
        box.scroll_into_view_if_needed()  # the frame loads lazily
        page.wait_for_function("() => window.__rfLoading.some((e) => e.event === 'hidden')", timeout=TIMEOUT)
        events = page.evaluate("window.__rfLoading")
        assert events[0] == {"event": "shown", "text": "Værktøjet starter …", "role": "status", "visible": True}
        hidden = [e for e in events if e["event"] == "hidden"]
        assert "rf-live-ready" in hidden[0]["body"].split(), events
        assert not box.locator(".rf-app-loading").is_visible()
        frame = page.frame_locator(".rf-app[data-app='genstande'] iframe")
        frame.locator(".rf-live-widget").first.wait_for(timeout=TIMEOUT)
        assert frame.locator(".rf-live-starting").is_hidden(), "no second line inside the frame"
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"the book page with its app scrolls sideways: {width}"
    finally:
        context.close()


# ---- every app on a phone ------------------------------------------------------


@pytest.mark.parametrize("app", [a.name for a in APPS])
def test_every_app_fits_a_phone(browser, phone_server, app_queries, shots, app):
    context = new_context(browser, phone_server, 390, phone=True)
    try:
        page = context.new_page()
        missing = open_app(page, phone_server, app, app_queries.get(app, ""))
        assert missing == [], f"not found: {missing}"
        assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui"), "the book's font"
        assert page.locator(".rf-live-starting").is_hidden()
        assert_fits(page, app)
        assert_text_fits(page, app)
        PHONE_CHECKS.get(app, lambda page, srv: None)(page, phone_server)
        page.screenshot(path=str(shots / f"{app}-390.png"), full_page=True)
        assert run_axe(page) == []
    finally:
        context.close()


def _samtale(page, srv):
    start = page.get_by_role("button", name="Start samtalen")
    start.tap()
    choices = page.locator(".rf-valg")
    choices.first.wait_for(timeout=TIMEOUT)
    assert_fits(page, "samtale, first step")
    assert_text_fits(page, "samtale, first step")
    choices.first.tap()
    page.get_by_role("button", name=re.compile("Videre|Se din opsummering")).wait_for(timeout=TIMEOUT)
    assert_fits(page, "samtale, feedback")


def _mi_coach(page, srv):
    answer = page.get_by_label("Dit svar til personen:")
    width = page.evaluate("document.documentElement.clientWidth")
    assert answer.bounding_box()["width"] >= width - 40, "the answer box takes the row"
    assert page.get_by_label("Vælg din faggruppe (udsagn fra den kommer først):").bounding_box()["width"] >= width - 40
    for i in range(1, 9):
        page.get_by_text(f"Udsagn {i} af 8").wait_for(timeout=TIMEOUT)
        answer.fill("Det lyder, som om du er bekymret for ham.")
        page.get_by_role("button", name="Kod mit svar").tap()
        page.locator("[data-rf='label']").wait_for(timeout=TIMEOUT)
        if i == 1:
            assert_fits(page, "mi-coach, feedback")
            assert_text_fits(page, "mi-coach, feedback")
        page.get_by_role("button", name="Se dine tal" if i == 8 else "Næste udsagn").tap()
    page.locator("[data-rf='figures']").wait_for(timeout=TIMEOUT)
    page.wait_for_timeout(300)
    assert_fits(page, "mi-coach, results")
    assert_text_fits(page, "mi-coach, results")


def _min_side(page, srv):
    page.get_by_text("Dine moduler").first.wait_for(timeout=TIMEOUT)
    # every module's status is on the screen (Min side's status column was cut off)
    cells = page.locator("td.rf-gyldig, td.rf-snart, td.rf-udloebet")
    assert cells.count() >= 1
    width = page.evaluate("document.documentElement.clientWidth")
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, cells.nth(i).inner_text()


def _dashboard(page, srv):
    page.get_by_text("Institutioner uden aktuel nøgleperson").first.wait_for(timeout=TIMEOUT)
    assert page.get_by_label("Forvaltning", exact=True).bounding_box()["width"] > 250


def _signal_eller_stoej(page, srv):
    """Module 5's trainer: every step fits and every button can be tapped, up to the plan."""
    page.get_by_label("Vælg en ung").select_option(label="Mads, 22 år, om morgenen")
    page.get_by_role("button", name="Start", exact=True).tap()
    page.get_by_text("Iagttagelse 1 af 4", exact=True).wait_for(timeout=TIMEOUT)
    assert_fits(page, "signal-eller-stoej, first observation")
    for step in range(4):
        page.get_by_role("button", name="Handl i dag", exact=True).tap()
        page.locator("[data-rf='feedback']").wait_for(timeout=TIMEOUT)
        if step == 0:
            assert_fits(page, "signal-eller-stoej, feedback")
            assert_text_fits(page, "signal-eller-stoej, feedback")
        page.get_by_role("button", name=re.compile("^(Næste|Videre til spørgsmålene)$")).tap()
    for _ in range(3):
        page.locator(".rf-valg").first.tap()
        page.locator("[data-rf='feedback']").wait_for(timeout=TIMEOUT)
        page.get_by_role("button", name=re.compile("^(Næste|Se hvad du gør nu)$")).tap()
    page.locator("[data-rf='slut']").wait_for(timeout=TIMEOUT)
    assert_fits(page, "signal-eller-stoej, the plan")
    assert_text_fits(page, "signal-eller-stoej, the plan")


PHONE_CHECKS = {
    "samtale": _samtale,
    "mi-coach": _mi_coach,
    "min-side": _min_side,
    "dashboard": _dashboard,
    "signal-eller-stoej": _signal_eller_stoej,
}


def test_every_app_fits_a_small_phone(browser, phone_server, app_queries, shots):
    """360 px, the narrowest common phone: the first view of every app."""
    context = new_context(browser, phone_server, 360, phone=True)
    try:
        page = context.new_page()
        for app in [a.name for a in APPS]:
            open_app(page, phone_server, app, app_queries.get(app, ""))
            assert_fits(page, f"{app} at 360 px")
            assert_text_fits(page, f"{app} at 360 px")
            page.screenshot(path=str(shots / f"{app}-360.png"))
    finally:
        context.close()


# ---- and on a laptop ------------------------------------------------------------


def test_every_app_still_fits_a_laptop(browser, phone_server, app_queries, shots):
    context = new_context(browser, phone_server, 1280, phone=False)
    try:
        page = context.new_page()
        for app in [a.name for a in APPS]:
            open_app(page, phone_server, app, app_queries.get(app, ""))
            assert_fits(page, f"{app} at 1280 px")
            assert_text_fits(page, f"{app} at 1280 px")
            assert page.locator("table.rf-stacked").count() == 0, "tables stay tables on a laptop"
            page.screenshot(path=str(shots / f"{app}-1280.png"))
        # the coach's answer box and buttons stay side by side with their labels on a laptop
        open_app(page, phone_server, "mi-coach")
        label = page.get_by_text("Dit svar til personen:").bounding_box()
        box = page.get_by_label("Dit svar til personen:").bounding_box()
        assert abs(label["y"] - box["y"]) < 30 and box["x"] > label["x"], "label and answer box on one row"
    finally:
        context.close()
