"""Modules 1 and 2 in Chromium: axe-core on every page, the faggruppe choice, and the embedded apps."""

import pytest

from rusfokus.identity import LEARNER_COOKIE

from helpers.browser import axe_problems_on_pages, expect_case_shown, run_axe, wait_for_widgets

M1 = (
    "index",
    "hvorfor",
    "tegn",
    "genstande",
    "audit-c",
    "kort-samtale",
    "henvisning",
    "sikkerhed",
    "tavshedspligt",
    "cases",
    "opsummering",
    "test-din-viden",
    "kilder",
)
M2 = (
    "index",
    "forberedelse",
    "aabning",
    "lytte",
    "barnets-perspektiv",
    "henvisning-opfoelgning",
    "dokumentation",
    "underretning",
    "faldgruber",
    "simulator",
    "cases",
    "opsummering",
    "test-din-viden",
    "kilder",
)
PAGES = [*(f"01-opsporing/{p}" for p in M1), *(f"02-bekymringssamtale/{p}" for p in M2)]


def test_every_page_has_no_serious_axe_violations(browser_page, built_book):
    files = {page: built_book / "modules" / f"{page}.html" for page in PAGES}
    assert axe_problems_on_pages(browser_page, files) == {}


def test_faggruppe_chosen_on_the_index_is_shown_first_in_both_modules(browser_page, server):
    """Served as learners get the book (http, one origin), not from file:// URLs, where Chromium's storage
    for the remembered tab once came to the next page without the learner's choice (ci46)."""
    page = browser_page
    page.goto(f"{server.url}/modules/01-opsporing/index.html")
    page.get_by_text("Jobcenter og sygedagpenge", exact=True).first.click()
    page.goto(f"{server.url}/modules/01-opsporing/cases.html")
    expect_case_shown(page, "Susanne på 52 år")
    expect_case_shown(page, "Lucas på 4 år", shown=False)
    page.goto(f"{server.url}/modules/02-bekymringssamtale/cases.html")
    expect_case_shown(page, "Brian på 29 år")
    # Switching on a cases page carries over as well.
    page.get_by_text("Sundhedspleje", exact=True).first.click()
    page.goto(f"{server.url}/modules/01-opsporing/cases.html")
    expect_case_shown(page, "Familien med den nyfødte")
    expect_case_shown(page, "Susanne på 52 år", shown=False)


@pytest.mark.parametrize(
    "name,expect",
    [
        ("01-opsporing/genstande", None),
        ("01-opsporing/audit-c", None),
        ("01-opsporing/henvisning", None),
        ("02-bekymringssamtale/simulator", None),
        ("01-opsporing/test-din-viden", "Hvor mange genstande om ugen"),
        ("02-bekymringssamtale/test-din-viden", "Du er bekymret for en forælder"),
    ],
)
def test_embedded_app_runs_in_the_served_page(browser_page, server, name, expect):
    page = browser_page
    page.context.add_cookies(
        [server.cookie(LEARNER_COOKIE, server.learner_token("mette.eksempel@eksempel-kommune.example"))]
    )
    page.goto(f"{server.url}/modules/{name}.html")
    iframe = page.wait_for_selector("iframe.rf-app-frame", timeout=30_000)
    frame = iframe.content_frame()
    wait_for_widgets(frame)
    if expect:
        frame.wait_for_selector(f"text={expect}", timeout=60_000)
    assert not page.locator(".rf-app-offline").first.is_visible()
    assert run_axe(page) == []
