"""Module 5 (Unge og rusmidler) in a real browser: the app "Signal eller støj?" inside its book page
at 1280 px and on a 390 px phone, and the module's exercise handed in and graded from its book page.

The session's `rusfokus serve` (Voilà, real kernels), Debian Chromium, axe-core. Module 5's exercise
is built into the server's course folder with the CLI while the server runs, as an operator does
(`rusfokus opgave build unge-og-rusmidler`); grading is the server's one queue running nbgrader.
Screenshots go to $RUSFOKUS_SCREENSHOTS (or a temp folder); the test prints where.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from rusfokus.exercises.course import student_id
from rusfokus.exercises.schema import load_exercise
from rusfokus.kommune import load_kommune
from rusfokus.unge.cases import CASES_FILE, load_cases

from helpers.browser import axe_in_frame, wait_for_widgets
from helpers.course import exercise_file
from helpers.paths import ROOT
from helpers.phone import PHONE_UA, TEXT_JS

TIMEOUT = 90_000
M5 = "unge-og-rusmidler"
APP_PAGE = "/modules/05-unge-og-rusmidler/signal-eller-stoej.html"
TEST_PAGE = "/modules/05-unge-og-rusmidler/test-din-viden.html"
CASES = {c.id: c for c in load_cases(ROOT / "modules" / "05-unge-og-rusmidler" / "data" / CASES_FILE)}
KOMMUNE = load_kommune(ROOT / "kommune.yml")
LABEL = {"stoej": "Støj", "signal": "Signal", "handl_i_dag": "Handl i dag"}
SHOTS = Path(os.environ.get("RUSFOKUS_SCREENSHOTS") or tempfile.gettempdir()) / "rusfokus-modul5"


# Inside the frame: no control or text runs past the frame's right edge, and nothing scrolls sideways.
FRAME_FITS_JS = """() => {
  const vw = document.documentElement.clientWidth, bad = [];
  for (const el of document.querySelectorAll('button, select, input')) {
    const r = el.getBoundingClientRect();
    if (!el.getClientRects().length || r.width < 1) continue;
    if (r.left < -0.5 || r.right > vw + 0.5) bad.push((el.textContent || el.tagName).trim().slice(0, 40));
  }
  if (document.documentElement.scrollWidth > vw + 1) bad.push('the app scrolls sideways');
  return bad;
}"""


def context_for(browser, width: int):
    if width < 500:
        return browser.new_context(
            locale="da-DK",
            viewport={"width": width, "height": 844},
            is_mobile=True,
            has_touch=True,
            user_agent=PHONE_UA,
        )
    return browser.new_context(locale="da-DK", viewport={"width": width, "height": 900})


def click(frame, name: str):
    button = frame.get_by_role("button", name=name, exact=True)
    button.wait_for(timeout=TIMEOUT)
    button.click()


def fits(page, iframe, frame) -> None:
    box = iframe.bounding_box()
    assert box["x"] >= -0.5 and box["x"] + box["width"] <= page.viewport_size["width"] + 0.5
    bad = frame.evaluate(FRAME_FITS_JS) + frame.evaluate(TEXT_JS)
    assert bad == [], "\n".join(bad)


@pytest.mark.parametrize("width", [1280, 390])
def test_signal_eller_stoej_inside_its_book_page(browser, server, width):
    case = CASES["jonas-fest"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = context_for(browser, width)
    try:
        page = context.new_page()
        page.goto(server.url + APP_PAGE)
        iframe = page.wait_for_selector(
            "iframe.rf-app-frame[src^='/voila/render/signal-eller-stoej/']", timeout=TIMEOUT
        )
        assert iframe.get_attribute("title") == "Signal eller støj?"
        frame = iframe.content_frame()
        wait_for_widgets(frame, TIMEOUT)
        frame.get_by_role("heading", name="Signal eller støj?").wait_for(timeout=TIMEOUT)
        assert axe_in_frame(frame) == []
        fits(page, iframe, frame)

        frame.get_by_label("Vælg en ung").select_option(label=case.titel)
        click(frame, "Start")
        frame.get_by_text(f"Iagttagelse 1 af {len(case.iagttagelser)}", exact=True).wait_for(timeout=TIMEOUT)
        feedback = frame.locator("[data-rf='feedback']")
        # the first observation (noise) sorted as a signal: feedback, the choice locked
        click(frame, "Signal")
        expect(feedback).to_contain_text("Ikke helt. Det rigtige er: støj.", timeout=TIMEOUT)
        expect(feedback).to_contain_text(" ".join(case.iagttagelser[0].forklaring.split()), timeout=TIMEOUT)
        assert frame.get_by_role("button", name="Signal", exact=True).is_disabled()
        assert axe_in_frame(frame) == []
        for i, o in enumerate(case.iagttagelser[1:], start=2):
            click(frame, "Næste")
            frame.get_by_text(f"Iagttagelse {i} af {len(case.iagttagelser)}", exact=True).wait_for(timeout=TIMEOUT)
            click(frame, LABEL[o.svar])
            expect(feedback).to_contain_text("Rigtigt", timeout=TIMEOUT)
        expect(feedback).to_contain_text("Handl i dag", timeout=TIMEOUT)  # the overdose: act today
        page.screenshot(path=str(SHOTS / f"signal-feedback-{width}.png"), full_page=True)
        click(frame, "Videre til spørgsmålene")
        frame.get_by_text("Hvad gør du nu?").wait_for(timeout=TIMEOUT)
        click(frame, "Handl i dag")
        expect(feedback).to_contain_text("Rigtigt.", timeout=TIMEOUT)
        click(frame, "Næste")
        click(frame, "Først den unge selv, alene")  # wrong: life is in danger
        expect(feedback).to_contain_text("Ikke helt. Det rigtige er: Først 112.", timeout=TIMEOUT)
        click(frame, "Næste")
        click(frame, "Barnets Lov § 133")
        expect(feedback).to_contain_text("Rigtigt.", timeout=TIMEOUT)
        click(frame, "Se hvad du gør nu")

        result = frame.locator("[data-rf='slut']")
        result.wait_for(timeout=TIMEOUT)
        expect(result).to_contain_text(
            "Du sorterede 3 af 4 iagttagelser rigtigt og svarede rigtigt på 2 af 3 spørgsmål.", timeout=TIMEOUT
        )
        text = result.inner_text()
        steps = frame.locator("[data-rf='nu'] li")
        assert steps.first.inner_text().startswith("Ring 112 nu")
        assert frame.locator("[data-rf='inddrag'] li").first.inner_text().startswith("Alarmcentralen")
        for expected in (
            KOMMUNE.boernefamilie.navn,
            KOMMUNE.boernefamilie.telefon,
            "Ung i Eksempelby",
            "Barnets Lov § 133",
            "Barnets Lov § 33",
            "Tavshedspligt",
        ):
            assert expected in text, expected
        assert "Serviceloven § 101" not in text and "§ 115" not in text
        for marker in ("Traceback", "NameError", "build_app", "import "):
            assert marker not in frame.locator("body").inner_text()
        assert axe_in_frame(frame) == []
        fits(page, iframe, frame)
        page.screenshot(path=str(SHOTS / f"signal-plan-{width}.png"), full_page=True)
        result.screenshot(path=str(SHOTS / f"signal-plan-app-{width}.png"))
        print(f"screenshots: {SHOTS}")
        click(frame, "Prøv den samme unge igen")
        frame.get_by_text(f"Iagttagelse 1 af {len(case.iagttagelser)}", exact=True).wait_for(timeout=TIMEOUT)
    finally:
        context.close()


def check_answer(box, tries: int = 3) -> None:
    """Tick a radio button. A 3-worker CI run once saw Playwright's click land and the radio stay unticked
    ("Clicking the checkbox did not change its state") while the kernel was busy saving the draft of the
    previous answer; the cause is not found. The click is tried again, and the radio must end up ticked."""
    for attempt in range(tries):
        try:
            box.check()
            break
        except PlaywrightError as error:
            if "did not change its state" not in str(error) or attempt == tries - 1:
                raise
    expect(box).to_be_checked()


def test_module_5_exercise_handed_in_and_graded_from_its_book_page(browser_page, server):
    """`rusfokus opgave build unge-og-rusmidler` on the running server, then a learner with her personal link
    answers every question right on the book's test page, hands in and is graded by the queue."""
    out = server.rusfokus("opgave", "build", M5)
    assert f"{M5}: built" in out.stdout + out.stderr
    ex = load_exercise(exercise_file(M5))
    assert len([q for q in ex.spoergsmaal if q.auto]) >= 12
    email = "ida.modul5@eksempel-kommune.example"
    page = browser_page
    page.goto(f"{server.url}/adgang/{server.learner_token(email)}")
    page.wait_for_url("**/*.html", timeout=TIMEOUT)
    page.goto(server.url + TEST_PAGE)
    frame = page.wait_for_selector("iframe.rf-app-frame", timeout=TIMEOUT).content_frame()
    wait_for_widgets(frame, TIMEOUT)
    frame.get_by_role("heading", name=ex.titel).wait_for(timeout=TIMEOUT)
    for q in ex.spoergsmaal:
        if q.type == "refleksion":
            frame.get_by_label("Dit svar").fill("Jeg vil tale med den unge alene først og spørge nysgerrigt.")
            continue
        for o in q.valg:
            box = frame.get_by_label(o.tekst, exact=True)
            if q.multiple:
                box.set_checked(o.id in q.korrekt)
            elif o.id in q.korrekt:
                check_answer(box)
    assert axe_in_frame(frame) == []
    click(frame, "Aflever")
    frame.get_by_text("Dit resultat:").wait_for(timeout=TIMEOUT)
    text = frame.locator("body").inner_text()
    assert f"{ex.auto_points} af {ex.auto_points} point" in text and "Du har bestået" in text
    assert "Afventer bedømmelse" in text  # the reflection waits for a nøgleperson
    for marker in ("Traceback", "NameError", "import "):
        assert marker not in text
    results = list((server.course / "attempts").glob(f"{student_id(email)}/{M5}/*.result.json"))
    assert len(results) == 1
    assert axe_in_frame(frame) == []
    page.screenshot(path=str(SHOTS / "modul5-test-resultat.png"), full_page=True)
