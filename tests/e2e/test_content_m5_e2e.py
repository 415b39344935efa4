"""Module 5 (Unge og rusmidler) in Chromium: axe-core on every page and the kit's youth pages at
1280 and 390 px (no sideways scrolling on a phone), the 'Ungeindsats og SSP' tab followed from
module 5 into modules 1 and 4, and the module's exercise answered and handed in inside the book
page on the session's `rusfokus serve`, whose course folder has module 5's exercise built."""

from __future__ import annotations

import pytest

from rusfokus.exercises.schema import load_exercise
from rusfokus.identity import LEARNER_COOKIE

from helpers.browser import axe_problems_on_pages, expect_case_shown, run_axe, wait_for_widgets
from helpers.paths import ROOT

TIMEOUT = 90_000
M5 = "05-unge-og-rusmidler"
PAGES = [
    "index",
    "unge-i-dag",
    "stoffer",
    "tegn",
    "samtalen",
    "regler",
    "signal-eller-stoej",
    "cases",
    "refleksion",
    "opsummering",
    "test-din-viden",
    "kilder",
]
EMAIL = "nanna.eksempel@eksempel-kommune.example"


@pytest.mark.parametrize("width", [1280, 390])
def test_pages_have_no_serious_axe_violations_and_fit_a_phone(browser_page, built_book, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    files = {name: built_book / "modules" / M5 / f"{name}.html" for name in PAGES}
    files |= {
        name: built_book / "book" / "noeglepersoner" / f"{name}.html" for name in ("spor-unge", "unge-og-rusmidler")
    }
    files["laeringsstier"] = built_book / "book" / "laeringsstier.html"
    assert axe_problems_on_pages(page, files) == {}
    too_wide = {}
    for name, path in files.items():
        page.goto(path.as_uri())
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width + 1:
            too_wide[name] = scroll
    assert too_wide == {}, f"pages scroll sideways at {width} px"


def test_ungeindsats_tab_follows_the_learner_into_other_modules(browser_page, server):
    page = browser_page
    page.goto(f"{server.url}/modules/{M5}/cases.html")
    page.get_by_text("Ungeindsats og SSP", exact=True).first.click()
    # the page's script opens the remembered tab after the page has loaded: expect_case_shown waits for it
    # (a busy CPU in `make test` once checked before it had run)
    expect_case_shown(page, "Yusuf på 17 år")
    page.goto(f"{server.url}/modules/01-opsporing/cases.html")
    expect_case_shown(page, "Kasper på 19 år")
    expect_case_shown(page, "Emma i 5. klasse", shown=False)
    page.goto(f"{server.url}/modules/04-dobbeltdiagnose/cases.html")
    expect_case_shown(page, "Ali, 19 år, droppet ud af erhvervsuddannelsen.")


@pytest.fixture
def m5_server(server):
    """The session's server: its course folder has module 5's exercise built (conftest SERVER_EXERCISES)."""
    assert (server.course / "release" / "unge-og-rusmidler").is_dir()
    return server


def test_exercise_is_answered_and_handed_in_inside_the_book_page(browser_page, m5_server):
    srv, page = m5_server, browser_page
    ex = load_exercise(ROOT / "modules" / M5 / "data" / "opgave.yml")
    page.context.add_cookies([srv.cookie(LEARNER_COOKIE, srv.learner_token(EMAIL))])
    page.goto(f"{srv.url}/modules/{M5}/test-din-viden.html")
    frame = page.wait_for_selector("iframe.rf-app-frame", timeout=TIMEOUT).content_frame()
    wait_for_widgets(frame, TIMEOUT)
    frame.get_by_role("heading", name="Test din viden – Unge og rusmidler").wait_for(timeout=TIMEOUT)
    for q in ex.spoergsmaal:
        if q.type == "refleksion":
            frame.get_by_label("Dit svar").fill("Jeg taler med den unge alene og spørger, hvad hashen hjælper med.")
            continue
        for o in q.valg:
            box = frame.get_by_label(o.tekst, exact=True)
            if q.multiple:
                box.set_checked(o.id in q.korrekt)
            elif o.id in q.korrekt:
                box.check()
    frame.get_by_role("button", name="Aflever").click()
    frame.get_by_text("Dit resultat:").wait_for(timeout=TIMEOUT)
    text = frame.locator("body").inner_text()
    assert f"{ex.auto_points} af {ex.auto_points} point" in text and "Du har bestået" in text
    assert "Afventer bedømmelse" in text
    for marker in ("Traceback", "NameError", "import "):
        assert marker not in text
    assert run_axe(page) == []
