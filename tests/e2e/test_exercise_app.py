"""The exercise in a real browser: personal link → book page → answer → Aflever → score and explanations.

A real `rusfokus serve` (Voilà with preheated kernels) with its own course
folder, Debian Chromium, axe-core. Grading is the server's one queue running
nbgrader in-process.
"""

from __future__ import annotations

import shutil
import urllib.request

import pytest
from conftest import ROOT, run_axe, start_server, stop_server, wait_for_widgets

from rusfokus.exercises.course import build
from rusfokus.exercises.schema import load_exercise

TIMEOUT = 90_000
EX = load_exercise(ROOT / "exercises" / "opgaver" / "opsporing.yml")
EMAIL = "signe.lund@eksempel-kommune.example"
APP = "/voila/render/opgave/index.ipynb?opgave=opsporing"


@pytest.fixture(scope="module")
def ex_server(built_book, tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "opgaver").mkdir()
    shutil.copy(ROOT / "exercises" / "opgaver" / "opsporing.yml", course / "opgaver")
    build(course, "opsporing")
    srv = start_server(built_book, tmp_path_factory.mktemp("ex-home"), {"RUSFOKUS_COURSE_DIR": str(course)})
    srv.course = course
    yield srv
    stop_server(srv)


def answer_all(frame, correct: bool = True) -> None:
    for q in EX.spoergsmaal:
        if q.type == "refleksion":
            frame.get_by_label("Dit svar").fill("Jeg vil skrive ned, hvad jeg ser, og tale med min nøgleperson.")
            continue
        wanted = set(q.korrekt) if correct else {next(o.id for o in q.valg if o.id not in q.korrekt)}
        for o in q.valg:
            box = frame.get_by_label(o.tekst, exact=True)
            if q.multiple:
                box.set_checked(o.id in wanted)
            elif o.id in wanted:
                box.check()


def login(page, srv, email=EMAIL):
    page.goto(f"{srv.url}/adgang/{srv.learner_token(email)}")
    page.wait_for_url("**/*.html", timeout=TIMEOUT)  # "/" forwards to the book's first page
    page.wait_for_load_state("load")
    assert "/adgang/" not in page.url
    assert any(c["name"] == "rf_learner" and c["httpOnly"] for c in page.context.cookies())


def test_full_loop_from_book_page(browser_page, ex_server):
    page = browser_page
    login(page, ex_server)
    page.goto(ex_server.url + "/modules/01-opsporing/test-din-viden.html")
    iframe = page.wait_for_selector("iframe.rf-app-frame", timeout=TIMEOUT)
    frame = iframe.content_frame()
    wait_for_widgets(frame, TIMEOUT)
    frame.get_by_role("heading", name="Test din viden – Opsporing").wait_for(timeout=TIMEOUT)
    answer_all(frame, correct=True)
    frame.get_by_role("button", name="Aflever").click()
    frame.get_by_text("Dit resultat:").wait_for(timeout=TIMEOUT)
    text = frame.locator("body").inner_text()
    assert f"{EX.auto_points} af {EX.auto_points} point" in text and "Du har bestået" in text
    assert "Afventer bedømmelse" in text
    assert "Sundhedsstyrelsen anbefaler højst 10 genstande om ugen." in text
    for marker in ("Traceback", "NameError", "import "):
        assert marker not in text
    attempts = list((ex_server.course / "attempts").glob("*/opsporing/*.result.json"))
    assert len(attempts) == 1


def test_wrong_answers_fail_and_history_is_shown_on_return(browser_page, ex_server):
    page = browser_page
    login(page, ex_server, "bo.holm@eksempel-kommune.example")
    page.goto(ex_server.url + APP)
    wait_for_widgets(page, TIMEOUT)
    answer_all(page, correct=False)
    page.get_by_role("button", name="Aflever").click()
    page.get_by_text("Du har ikke bestået endnu").wait_for(timeout=TIMEOUT)
    page.reload()
    wait_for_widgets(page, TIMEOUT)
    page.get_by_text("Dine tidligere forsøg (1)").wait_for(timeout=TIMEOUT)
    assert "Du har ikke bestået endnu" in page.locator("body").inner_text()


def test_without_personal_link_no_hand_in(browser_page, ex_server):
    page = browser_page
    page.context.add_cookies([ex_server.cookie("rf_learner", "forfalsket.token")])
    page.goto(ex_server.url + APP + "&learner=" + EMAIL)
    wait_for_widgets(page, TIMEOUT)
    page.get_by_role("alert").wait_for(timeout=TIMEOUT)
    assert "link" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("button", name="Aflever").is_disabled()


def test_answer_key_absent_from_served_page(browser_page, ex_server):
    page = browser_page
    login(page, ex_server, "key.check@eksempel-kommune.example")
    req = urllib.request.Request(ex_server.url + APP, headers={"Cookie": f"rf_learner={ex_server.learner_token('x@eksempel-kommune.example')}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        served_html = r.read().decode("utf-8")
    page.goto(ex_server.url + APP)
    wait_for_widgets(page, TIMEOUT)
    page.get_by_role("button", name="Aflever").wait_for(timeout=TIMEOUT)
    dom = page.content()
    for text in (served_html, dom):
        assert "HIDDEN TESTS" not in text and "korrekt" not in text
        for q in EX.spoergsmaal:
            assert q.forklaring.splitlines()[0] not in text, q.id
            if q.auto:
                assert f"{q.var} ==" not in text, q.id


def test_exercise_app_accessibility(browser_page, ex_server):
    page = browser_page
    login(page, ex_server, "axe@eksempel-kommune.example")
    page.goto(ex_server.url + APP)
    wait_for_widgets(page, TIMEOUT)
    page.get_by_role("button", name="Aflever").wait_for(timeout=TIMEOUT)
    assert run_axe(page) == []
    answer_all(page, correct=True)
    page.get_by_role("button", name="Aflever").click()
    page.get_by_text("Dit resultat:").wait_for(timeout=TIMEOUT)
    assert run_axe(page) == []
