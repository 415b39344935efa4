"""The exercise in a real browser: personal link → book page → answer → Aflever → score and explanations.

The session's `rusfokus serve` (Voilà; its own course
folder, module 1 built), Debian Chromium, axe-core. Grading is the server's one queue running
nbgrader in-process.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from pathlib import Path

from rusfokus.exercises.course import student_id
from rusfokus.exercises.schema import load_exercise

from helpers.browser import run_axe, wait_for_widgets
from helpers.course import exercise_file

TIMEOUT = 90_000
EX = load_exercise(exercise_file("opsporing"))
EMAIL = "signe.lund@eksempel-kommune.example"
APP = "/voila/render/opgave/index.ipynb?opgave=opsporing"


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


def test_full_loop_from_book_page(browser_page, server):
    page = browser_page
    login(page, server)
    page.goto(server.url + "/modules/01-opsporing/test-din-viden.html")
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
    attempts = list((server.course / "attempts").glob(f"{student_id(EMAIL)}/opsporing/*.result.json"))
    assert len(attempts) == 1


def test_wrong_answers_fail_and_history_is_shown_on_return(browser_page, server):
    page = browser_page
    login(page, server, "bo.holm@eksempel-kommune.example")
    page.goto(server.url + APP)
    wait_for_widgets(page, TIMEOUT)
    answer_all(page, correct=False)
    page.get_by_role("button", name="Aflever").click()
    page.get_by_text("Du har ikke bestået endnu").wait_for(timeout=TIMEOUT)
    page.reload()
    wait_for_widgets(page, TIMEOUT)
    page.get_by_text("Dine tidligere forsøg (1)").wait_for(timeout=TIMEOUT)
    assert "Du har ikke bestået endnu" in page.locator("body").inner_text()


def test_without_personal_link_no_hand_in(browser_page, server):
    """Without a personal link she is told at the top, before the first question, that she
    cannot hand in and that nothing is saved (a forged cookie, a bare ?learner= too)."""
    page = browser_page
    page.context.add_cookies([server.cookie("rf_learner", "forfalsket.token")])
    page.goto(server.url + APP + "&learner=" + EMAIL)
    wait_for_widgets(page, TIMEOUT)
    alert = page.get_by_role("alert")
    alert.wait_for(timeout=TIMEOUT)
    text = alert.inner_text()
    assert "Du er ikke logget ind med dit personlige link" in text and "bliver ikke gemt" in text
    first_q = page.get_by_role("heading", name=re.compile(r"^Spørgsmål 1\b"))
    assert alert.bounding_box()["y"] < first_q.bounding_box()["y"]
    assert alert.bounding_box()["y"] < page.viewport_size["height"]  # seen without scrolling
    assert page.get_by_role("button", name="Aflever").is_disabled()
    page.context.clear_cookies()
    page.goto(server.url + APP)  # no cookie at all: the plain notice
    wait_for_widgets(page, TIMEOUT)
    page.get_by_role("alert").wait_for(timeout=TIMEOUT)
    assert page.get_by_role("alert").inner_text().startswith("Du er ikke logget ind med dit personlige link")
    assert run_axe(page) == []


def test_answer_key_absent_from_served_page(browser_page, server):
    page = browser_page
    login(page, server, "key.check@eksempel-kommune.example")
    req = urllib.request.Request(
        server.url + APP, headers={"Cookie": f"rf_learner={server.learner_token('x@eksempel-kommune.example')}"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        served_html = r.read().decode("utf-8")
    page.goto(server.url + APP)
    wait_for_widgets(page, TIMEOUT)
    page.get_by_role("button", name="Aflever").wait_for(timeout=TIMEOUT)
    dom = page.content()
    for text in (served_html, dom):
        assert "HIDDEN TESTS" not in text and "korrekt" not in text
        for q in EX.spoergsmaal:
            assert q.forklaring.splitlines()[0] not in text, q.id
            if q.auto:
                assert f"{q.var} ==" not in text, q.id


def test_exercise_app_accessibility(browser_page, server):
    page = browser_page
    login(page, server, "axe@eksempel-kommune.example")
    page.goto(server.url + APP)
    wait_for_widgets(page, TIMEOUT)
    page.get_by_role("button", name="Aflever").wait_for(timeout=TIMEOUT)
    assert run_axe(page) == []
    answer_all(page, correct=True)
    page.get_by_role("button", name="Aflever").click()
    page.get_by_text("Dit resultat:").wait_for(timeout=TIMEOUT)
    assert run_axe(page) == []


PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
INSIDE_JS = """() => {
  const vw = document.documentElement.clientWidth, bad = [];
  for (const el of document.querySelectorAll('button, input, textarea, select, a')) {
    const r = el.getBoundingClientRect();
    if (!el.getClientRects().length || r.width < 1) continue;
    if (r.left < -0.5 || r.right > vw + 0.5) bad.push((el.textContent || el.value || el.tagName).trim().slice(0, 40));
  }
  for (const q of document.querySelectorAll('.rf-q')) {  // answer texts wrap inside their question
    const edge = q.getBoundingClientRect().right;
    for (const el of q.querySelectorAll('label, span, p')) {
      const r = el.getBoundingClientRect();
      if (el.getClientRects().length && r.width >= 1 && r.right > edge + 0.5)
        bad.push(`"${el.textContent.trim().slice(0, 40)}" ends at ${Math.round(r.right)} > ${Math.round(edge)}`);
    }
  }
  if (document.documentElement.scrollWidth > vw + 1) bad.push('the page scrolls sideways');
  return bad;
}"""


def _draft_on_disk(srv, email: str) -> dict:
    from rusfokus.exercises.store import draft_file

    try:
        return json.loads(draft_file(srv.course, email, "opsporing").read_text(encoding="utf-8"))["svar"]
    except (OSError, ValueError):
        return {}


def test_test_din_viden_on_a_phone_from_draft_to_kursusbevis(browser, server):
    """Issue 13, deliverable 4, as a learner on a 390 px phone: the book's test page shows the
    pass mark before the first question; her answers survive a reload (saved server side);
    after Aflever every question is marked right or wrong in place with its explanation, the
    hand-in is dated, and the pass links to her kursusbevis (a real PDF). Axe clean."""
    from rusfokus.apps.opgave import dansk_tid

    email = "telefon.kursist@eksempel-kommune.example"
    context = browser.new_context(
        locale="da-DK", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=PHONE_UA
    )
    try:
        page = context.new_page()
        login(page, server, email)
        page.goto(server.url + "/modules/01-opsporing/test-din-viden.html")
        frame = page.wait_for_selector("iframe.rf-app-frame", timeout=TIMEOUT).content_frame()
        wait_for_widgets(frame, TIMEOUT)
        mark = frame.get_by_text("Du skal have mindst 70 % rigtige for at bestå.")
        mark.wait_for(timeout=TIMEOUT)
        first_q = frame.get_by_role("heading", name=re.compile(r"^Spørgsmål 1\b"))
        assert mark.bounding_box()["y"] < first_q.bounding_box()["y"]
        assert frame.get_by_role("alert").count() == 0  # signed in: no notice
        outside = frame.evaluate(INSIDE_JS)
        assert outside == [], "\n".join(outside)

        # answer: the first question wrong, the rest right (a pass with one wrong mark)
        q1 = EX.spoergsmaal[0]
        wrong1 = next(o for o in q1.valg if o.id not in q1.korrekt)
        answer_all(frame, correct=True)  # the text first (saved when she pauses), then the choices
        frame.get_by_label(wrong1.tekst, exact=True).check()
        frame.get_by_text("gemt som kladde").wait_for(timeout=TIMEOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # every answer has reached the server
            saved = _draft_on_disk(server, email)
            if saved.get(q1.id) == wrong1.id and all(saved.get(q.id) not in (None, [], "") for q in EX.spoergsmaal):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"draft not saved: {_draft_on_disk(server, email)}")

        page.reload()  # the draft comes back
        frame = page.wait_for_selector("iframe.rf-app-frame", timeout=TIMEOUT).content_frame()
        wait_for_widgets(frame, TIMEOUT)
        frame.get_by_text("gemt som kladde").wait_for(timeout=TIMEOUT)
        assert frame.get_by_label(wrong1.tekst, exact=True).is_checked()
        assert frame.get_by_label("Dit svar").input_value().startswith("Jeg vil skrive ned")
        for q in EX.spoergsmaal[1:]:
            if q.type != "refleksion":
                for o in q.valg:
                    assert frame.get_by_label(o.tekst, exact=True).is_checked() == (o.id in q.korrekt), (q.id, o.id)
        assert not list((server.course / "attempts").glob(f"{student_id(email)}/opsporing/*.ipynb"))

        frame.get_by_role("button", name="Aflever").click()
        frame.get_by_text("Dit resultat:").wait_for(timeout=TIMEOUT)
        wrong_mark = frame.locator(f"#rf-mark-{q1.id}")
        assert "Forkert" in wrong_mark.inner_text()
        assert q1.forklaring.splitlines()[0] in wrong_mark.inner_text()
        # in place: the mark lies between its question and the next one
        first_q = frame.get_by_role("heading", name=re.compile(r"^Spørgsmål 1\b"))
        q2 = frame.get_by_role("heading", name=re.compile(r"^Spørgsmål 2\b"))
        assert first_q.bounding_box()["y"] < wrong_mark.bounding_box()["y"] < q2.bounding_box()["y"]
        for q in EX.spoergsmaal[1:]:
            text = frame.locator(f"#rf-mark-{q.id}").inner_text()
            assert ("Afventer bedømmelse" if q.type == "refleksion" else "Rigtigt") in text, q.id
            assert q.forklaring.splitlines()[0] in text, q.id
        result = json.loads(
            next((server.course / "attempts").glob(f"{student_id(email)}/opsporing/*.result.json")).read_text(
                encoding="utf-8"
            )
        )
        assert result["passed"]
        frame.get_by_text(f"Sidst afleveret {dansk_tid(result['stamp'])}").wait_for(timeout=TIMEOUT)
        link = frame.get_by_role("link", name="Hent dit kursusbevis (PDF)")
        href = link.get_attribute("href")
        assert href == "/api/progress/mine/kursusbevis/opsporing.pdf"
        pdf = context.request.get(server.url + href)
        assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf")
        assert pdf.body()[:5] == b"%PDF-"
        outside = frame.evaluate(INSIDE_JS)
        assert outside == [], "\n".join(outside)
        shots = Path(os.environ.get("RUSFOKUS_SCREENSHOTS") or server.home)
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "test-din-viden-390.png"), full_page=True)
        assert run_axe(page) == []
    finally:
        context.close()
