"""Roles in Chromium at phone size (390×844, touch): a nøgleperson through her personal link.

The session's `rusfokus serve` (conftest `server`, module 1's exercise built). Two colleagues hand in
"Tidlig opsporing" over the server's API (graded by nbgrader in the server). The
nøgleperson opens her personal link on a phone, finds "For nøglepersoner" on the
temadag page, sees her institution's status, scores a colleague's reflection and plans a
temadag; the learner then gets "Bedømt". A plain learner is refused; the login page tells
nøglepersoner to use their link. axe-core finds no serious or critical problem on any of
these pages, and nothing is wider than the phone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rusfokus.db import session_scope
from rusfokus.exercises.schema import answer_sheet, load_exercise
from rusfokus.progress import module_title
from rusfokus.progress.models import STATUS_ACTIVE, Person
from rusfokus.progress.staff import OrgCache
from rusfokus.temadag import planning, store

from helpers.browser import run_axe
from helpers.course import exercise_file

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "da-DK",
}
EX = load_exercise(exercise_file("opsporing"))
NINA, METTE, OLE = "nina.noegle@eksempel.dk", "mette.hansen@eksempel.dk", "ole.lund@eksempel.dk"
METTE_TEXT = "Et barn kommer ofte træt. Jeg taler med min leder og skriver det ned."
OLE_TEXT = "Ole skriver om en elev på Åskolen."
SHOTS = os.environ.get("RUSFOKUS_SHOTS")  # set to a folder to keep screenshots for a look by eye


@pytest.fixture(scope="module")
def roles_server(server):
    """The session's server (module 1's exercise built), with two institutions no other test uses: what the
    nøgleperson sees of her institution is only these people's."""
    srv = server
    url = f"sqlite:///{srv.home / 'rusfokus.db'}"
    now = dt.datetime.now()
    with session_scope(url) as s:
        org = OrgCache(s)
        sol = org.institution("Børn og Unge", "Dagtilbud", "Børnehuset Kløverbakken")
        vest = org.institution("Børn og Unge", "Skole", "Åskolen")
        for email, name, inst, key in (
            (NINA, "Nina Nøgle", sol, True),
            (METTE, "Mette Hansen", sol, False),
            (OLE, "Ole Lund", vest, False),
        ):
            s.add(
                Person(
                    email=email,
                    name=name,
                    faggruppe="Pædagog",
                    institution_id=inst.id,
                    noegleperson=key,
                    status=STATUS_ACTIVE,
                    created_at=now,
                    updated_at=now,
                )
            )
        plan = planning.validate_plan(
            {
                "title": "Åskolens temadag",
                "date": dt.date.today().isoformat(),
                "place": "Aulaen",
                "modules": "opsporing",
                "facilitator": "Bo",
                "institutions": "Åskolen",
            }
        )
        store.create(s, plan, "pia", now)
    for email, text in ((METTE, METTE_TEXT), (OLE, OLE_TEXT)):  # hand in as the exercise app's kernel does
        body = json.dumps({"opgave": "opsporing", "svar": answer_sheet(EX, True, text)}).encode()
        req = urllib.request.Request(
            f"{srv.url}/api/opgave/aflever",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {srv.learner_token(email)}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=120) as r:
            assert json.loads(r.read())["status"] == "rettet"
    return srv


def phone(browser, srv, email=None):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    if email:
        page.goto(f"{srv.url}/adgang/{srv.learner_token(email)}")
        page.wait_for_url("**/*.html", timeout=60_000)  # "/" forwards to the book's first page
        page.wait_for_load_state("load")
        assert any(c["name"] == "rf_learner" and c["httpOnly"] for c in page.context.cookies())
    return page


def fits_phone(page, name: str) -> None:
    """axe clean, no sideways scrolling, every link/button/input inside the 390 px viewport."""
    assert run_axe(page, include_frames=False) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name}: page is {width}px wide"
    outside = page.evaluate("""() =>
        [...document.querySelectorAll('main a, main button, main input, main select, main textarea, header a')]
        .filter(e => e.offsetParent !== null && e.type !== 'hidden')
        .map(e => [e.textContent.trim() || e.name || e.id, e.getBoundingClientRect()])
        .filter(([_, r]) => r.left < 0 || r.right > 390.5).map(([t]) => t)""")
    assert outside == [], f"{name}: outside the viewport: {outside}"
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_noegleperson_on_a_phone(roles_server, browser):
    srv = roles_server
    page = phone(browser, srv, NINA)
    page.goto(f"{srv.url}/temadag/ind")
    fits_phone(page, "temadag-ind")
    page.get_by_role("link", name="For nøglepersoner").click()
    expect(page.get_by_role("heading", name="For nøglepersoner")).to_be_visible()
    expect(page.get_by_text("Du er nøgleperson for Børnehuset Kløverbakken.")).to_be_visible()
    fits_phone(page, "noegleperson-forside")

    page.get_by_role("link", name="Status for uddannelsen").click()
    expect(page.get_by_role("heading", name="Status for uddannelsen")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("Mette Hansen")
    expect(main).not_to_contain_text("Ole Lund")
    fits_phone(page, "noegleperson-status")

    page.goto(f"{srv.url}/noegleperson/refleksioner")
    expect(main).to_contain_text(METTE_TEXT)
    expect(main).not_to_contain_text(OLE_TEXT)
    fits_phone(page, "noegleperson-refleksioner")
    page.get_by_role("group", name="Point til Mette Hansen").get_by_label("2 point").check()
    page.get_by_role("button", name="Gem point").click()
    expect(page.get_by_role("status")).to_contain_text("Pointene er gemt.")
    expect(main).to_contain_text("Der er ingen refleksioner, som venter på point.")
    fits_phone(page, "noegleperson-refleksioner-gemt")

    # the learner's exercise now says Bedømt (what the exercise app reads)
    req = urllib.request.Request(
        f"{srv.url}/api/opgave/status?opgave=opsporing", headers={"Authorization": f"Bearer {srv.learner_token(METTE)}"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        latest = json.loads(r.read())["seneste"]
    row = next(q for q in latest["questions"] if q["id"] == "egen-praksis")
    assert row["status"] == "bedømt" and row["score"] == 2.0 and latest["pending_manual"] is False

    # temadage: only hers; plan one for her institution on the phone
    page.goto(f"{srv.url}/temadag/admin")
    expect(page.get_by_role("heading", name="Temadage og årshjul", exact=False)).to_be_visible()
    expect(main).not_to_contain_text("Åskolens temadag")
    fits_phone(page, "temadag-admin")
    page.get_by_label("Titel").fill("Personalemøde om opsporing")
    page.get_by_label("Dato").fill(dt.date.today().isoformat())
    page.get_by_label("Sted").fill("Personalerummet")
    page.get_by_label(module_title("opsporing"), exact=True).check()
    page.get_by_label("Facilitator (navn)").fill("Nina Nøgle")
    expect(page.get_by_label("Inviterede institutioner", exact=False)).to_have_value("Børnehuset Kløverbakken")
    page.get_by_role("button", name="Opret temadag").click()
    expect(page.get_by_role("heading", name="Personalemøde om opsporing")).to_be_visible()
    expect(main).to_contain_text("Mette Hansen")  # her colleagues on the tick list
    fits_phone(page, "temadag-detalje")
    page.get_by_role("link", name="Åbn skærmen til projektoren").click()
    expect(page.locator("#kode")).to_have_text(re.compile(r"^[A-Z0-9]{6}$"), timeout=15_000)

    # no admin pages: the dashboard app and the reports send her to the administrators' login
    for path in ("/voila/render/dashboard/index.ipynb", "/admin/rapport.xlsx"):
        page.goto(srv.url + path)
        page.wait_for_url("**/login?next=**")
    expect(page.locator("#noeglepersoner")).to_contain_text("personlige link")
    page.context.close()


def test_learner_and_stranger_on_a_phone_are_refused(roles_server, browser):
    srv = roles_server
    page = phone(browser, srv, METTE)
    page.goto(f"{srv.url}/noegleperson")
    expect(page.get_by_role("alert")).to_contain_text("Siden er kun for nøglepersoner.")
    fits_phone(page, "afvist-kursist")
    page.goto(f"{srv.url}/temadag/ind")
    expect(page.get_by_role("link", name="For nøglepersoner")).to_have_count(0)
    page.context.close()

    page = phone(browser, srv)
    page.goto(f"{srv.url}/login")
    expect(page.locator("#noeglepersoner")).to_contain_text("Du har ingen adgangskode.")
    fits_phone(page, "login")
    page.goto(f"{srv.url}/noegleperson/refleksioner")
    expect(page.get_by_role("alert")).to_contain_text("Der er ingen adgangskode.")
    expect(page.locator("main")).not_to_contain_text(METTE_TEXT)
    page.context.close()
