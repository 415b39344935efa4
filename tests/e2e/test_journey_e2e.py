"""The learner's journey in Chromium, as a signed-in learner on a phone (390×844, touch) and a laptop:
read two pages and see "2 af 12 sider læst", the forside's "Fortsæt hvor du slap" goes to the next
page, the case tab opens on her faggruppe, Min side shows her nøgleperson, temadage and kursusbevis,
and the "Brug for hjælp nu?" bar with tap-to-call links is on screen without opening the menu.
Without a personal link the pages read are kept in the browser and the server stores nothing.

Screenshots go to $RUSFOKUS_SCREENSHOTS (or a temp folder); the test prints where.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, time
from pathlib import Path

import pytest

from helpers.browser import run_axe
from helpers.server import start_server, stop_server

TIMEOUT = 120_000
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
M1 = "modules/01-opsporing"
TEMADAG = "Temadag om opsporing i skolen"

# (size, learner, name, institution, afdeling, faggruppe, her tab, her nøgleperson)
LEARNERS = {
    "phone": (
        "camilla.holm@eksempel-kommune.example",
        "Camilla Holm",
        "Vestskolen",
        "Skoler",
        "Pædagog",
        "skole",
        "Signe Dahl",
    ),
    "laptop": (
        "ida.moeller@eksempel-kommune.example",
        "Ida Møller",
        "Sundhedsplejen Nord",
        "Sundhedsplejen",
        "Sundhedsplejerske",
        "sundhedspleje",
        "Trine Poulsen",
    ),
}


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("RUSFOKUS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def journey_server(built_book, tmp_path_factory):
    from rusfokus.db import session_scope
    from rusfokus.progress.hooks import record_result
    from rusfokus.progress.roster import Roster, RosterRow
    from rusfokus.progress.staff import import_roster
    from rusfokus.temadag.models import (
        STATUS_CONFIRMED,
        STATUS_PENDING,
        Temadag,
        TemadagParticipant,
    )

    home = tmp_path_factory.mktemp("journey-home")
    # preheated as on a product server: the learner's apps run in pooled kernels, which learn whose page they
    # serve through Voilà's request-info socket (rusfokus.voila_request)
    srv = start_server(built_book, home, {"RUSFOKUS_POOL_SIZE": "1"})
    try:
        srv.db_url = f"sqlite:///{home / 'rusfokus.db'}"
        rows = []
        for email, name, inst, afd, fag, _tab, np_name in LEARNERS.values():
            np_email = np_name.lower().replace(" ", ".") + "@eksempel-kommune.example"
            rows += [
                RosterRow(len(rows) + 2, email, name, inst, afd, "Børn og Unge", fag, False),
                RosterRow(len(rows) + 3, np_email, np_name, inst, afd, "Børn og Unge", fag, True),
            ]
        rows.append(
            RosterRow(
                len(rows) + 2,
                "ole.bak@eksempel-kommune.example",
                "Ole Bak",
                "Børnehuset Solsikken",
                "Dagtilbud",
                "Børn og Unge",
                "Pædagog",
                True,
            )
        )
        with session_scope(srv.db_url) as s:
            import_roster(s, Roster(rows=rows), now=datetime(2026, 1, 1), secret=srv.secret())
            from sqlalchemy import select

            from rusfokus.progress.models import Person

            for i, (email, name, *_rest) in enumerate(LEARNERS.values()):
                pid = s.scalar(select(Person.id).where(Person.email == email))
                for j, (title, status) in enumerate(
                    [(TEMADAG, STATUS_CONFIRMED), ("Temadag hun endnu ikke er bekræftet på", STATUS_PENDING)]
                ):
                    t = Temadag(
                        title=title,
                        date=date(2026, 10 + j, 5 + i),
                        start=time(9),
                        duration_min=180,
                        place="Mødelokale 2",
                        modules="opsporing",
                        facilitator="Signe Dahl",
                        institutions="Vestskolen",
                        created_at=datetime(2026, 9, 1),
                    )
                    s.add(t)
                    s.flush()
                    s.add(
                        TemadagParticipant(
                            temadag_id=t.id,
                            person_id=pid,
                            name=name,
                            email=email,
                            method="kode",
                            checked_in_at=datetime(2026, 10, 5, 9),
                            status=status,
                        )
                    )
                record_result(
                    s, email, "bekymringssamtale", 9, 10, True, datetime(2026, 11, 20, 13), 24, secret=srv.secret()
                )
        yield srv
    finally:
        stop_server(srv, wait=False)


def new_context(browser, srv, size: str, email: str | None):
    if size == "phone":
        context = browser.new_context(
            locale="da-DK", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=PHONE_UA
        )
    else:
        context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    if email:
        context.add_cookies([srv.cookie("rf_learner", srv.learner_token(email))])
    return context


def reads_of(srv, email: str | None = None) -> list[tuple[str, bool]]:
    from sqlalchemy import select

    from rusfokus.db import session_scope
    from rusfokus.progress.journey import PageRead
    from rusfokus.progress.models import Person

    with session_scope(srv.db_url) as s:
        q = select(PageRead.page, PageRead.read_at).join(Person, Person.id == PageRead.person_id)
        if email:
            q = q.where(Person.email == email)
        return sorted((page, read_at is not None) for page, read_at in s.execute(q).all())


def read_to_the_end(page, srv, doc: str, expect: str):
    page.goto(f"{srv.url}/{doc}.html")
    page.wait_for_load_state("load")
    page.locator("#rf-journey").wait_for(timeout=TIMEOUT)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function(
        "(t) => document.getElementById('rf-journey').textContent.includes(t)", arg=expect, timeout=TIMEOUT
    )


def assert_help_bar_on_screen(page, size: str):
    """The tap-to-call link is on the first screen, inside it, and is what a tap at its centre hits."""
    width = page.evaluate("document.documentElement.clientWidth")
    for href in ("tel:+4599999999", "tel:112"):
        link = page.locator(f'.bd-header-announcement a[href="{href}"]')
        assert link.is_visible(), href
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= 844, (href, box)
        assert box["height"] >= 24, f"{href}: a tap target of at least 24 px ({box['height']})"
        hit = page.evaluate(
            "([x, y, h]) => { const e = document.elementFromPoint(x, y); "
            "return !!(e && e.closest(`a[href='${h}']`)); }",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, href],
        )
        assert hit, f"{size}: something covers {href}"
    assert page.locator(".bd-header-announcement").get_by_role("link", name="Kontakt rusmiddelcentret").is_visible()
    # the centre's full name is in the link's accessible name, also where a phone shows it short
    assert page.get_by_role("link", name="Ring til Rusmiddelcenter Eksempelby: 99 99 99 99").count() == 1
    height = page.locator(".bd-header-announcement").bounding_box()["height"]
    assert height <= (100 if size == "phone" else 50), f"the help bar leaves the screen to the page ({height} px)"


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_signed_in_learner_journey(browser, journey_server, shots, size):
    srv = journey_server
    email, name, inst, _afd, _fag, tab, np_name = LEARNERS[size]
    context = new_context(browser, srv, size, email)
    try:
        page = context.new_page()
        # 1. the first page of the module she opens: the help bar is on screen before anything is opened
        page.goto(f"{srv.url}/{M1}/hvorfor.html")
        page.wait_for_load_state("load")
        page.locator("#rf-journey").wait_for(timeout=TIMEOUT)
        assert_help_bar_on_screen(page, size)
        box = page.locator("#rf-journey")
        assert "Modul 1: Opsporing:" in box.inner_text()
        assert "Test din viden: Ikke startet." in box.inner_text()
        page.screenshot(path=str(shots / f"journey-module-top-{size}.png"))
        assert run_axe(page, include_frames=False) == []

        # 2. two pages read to the end
        read_to_the_end(page, srv, f"{M1}/hvorfor", "1 af 12 sider læst")
        read_to_the_end(page, srv, f"{M1}/tegn", "2 af 12 sider læst")
        page.evaluate("window.scrollTo(0, 0)")
        assert re.search(r"Modul 1: Opsporing:\s*2 af 12 sider læst\.", box.inner_text())
        page.screenshot(path=str(shots / f"journey-two-read-{size}.png"))
        stored = reads_of(srv, email)
        assert (f"{M1}/hvorfor", True) in stored and (f"{M1}/tegn", True) in stored
        assert sum(1 for _p, read in stored if read) == 2
        # a module she passed shows the date
        page.goto(f"{srv.url}/modules/02-bekymringssamtale/forberedelse.html")
        page.locator("#rf-journey").wait_for(timeout=TIMEOUT)
        page.wait_for_function("() => document.getElementById('rf-journey').textContent.includes('Bestået 20-11-2026')")

        # 3. the forside: "Fortsæt hvor du slap" goes on after the last page she read in module 1
        read_to_the_end(page, srv, f"{M1}/tegn", "2 af 12 sider læst")  # she was last on module 1
        page.goto(f"{srv.url}/book/index.html")
        go_on = page.get_by_role("link", name=re.compile("Fortsæt hvor du slap"))
        go_on.wait_for(timeout=TIMEOUT)
        assert "Genstande og Sundhedsstyrelsens råd" in go_on.inner_text()
        overview = page.locator("#rf-journey").inner_text()
        assert "Modul 1: Opsporing: 2 af 12 sider læst." in overview
        assert "Test: Bestået 20-11-2026." in overview
        page.screenshot(path=str(shots / f"journey-forside-{size}.png"))
        assert run_axe(page, include_frames=False) == []
        if size == "phone":
            go_on.tap()
        else:
            go_on.click()
        page.wait_for_url(f"**/{M1}/genstande.html")

        # 4. the cases open on her faggruppe's tab
        page.goto(f"{srv.url}/{M1}/cases.html")
        page.wait_for_load_state("load")
        page.wait_for_function(
            """(tab) => {
                const l = document.querySelector(`.sd-tab-label[data-sync-group=faggruppe][data-sync-id=${tab}]`);
                return l && document.getElementById(l.getAttribute('for')).checked; }""",
            arg=tab,
            timeout=TIMEOUT,
        )
        checked = page.evaluate("""() => Array.from(document.querySelectorAll('.sd-tab-set > input:checked'))
                                    .map((i) => i.nextElementSibling.getAttribute('data-sync-id'))""")
        assert checked and set(checked) == {tab}
        label = page.locator(f'.sd-tab-label[data-sync-id="{tab}"]').first
        label.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"journey-cases-tab-{size}.png"))
        assert run_axe(page, include_frames=False) == []
        # her own choice of tab wins from then on
        other = "familieafdeling"
        page.locator(f'.sd-tab-label[data-sync-id="{other}"]').first.click()
        page.reload()
        page.wait_for_load_state("load")
        page.locator("#rf-journey").wait_for(timeout=TIMEOUT)
        assert page.evaluate(
            f"""() => document.getElementById(document.querySelector('.sd-tab-label[data-sync-id={other}]')
                 .getAttribute('for')).checked"""
        )

        # 5. Min side: her nøgleperson, her temadage, her kursusbevis
        page.goto(f"{srv.url}/book/min-side.html")
        page.locator(".rf-app[data-app='min-side']").scroll_into_view_if_needed()
        frame = page.frame_locator(".rf-app[data-app='min-side'] iframe")
        frame.get_by_role("heading", name="Din nøgleperson").wait_for(timeout=TIMEOUT)
        text = frame.locator("body").inner_text()
        assert np_name in text and "Ole Bak" not in text, "her own institution's nøgleperson only"
        assert TEMADAG in text and "endnu ikke er bekræftet" not in text
        assert "Kursusbevis: Bekymringssamtalen (PDF)" in text
        assert frame.get_by_role("link", name=re.compile("Kursusbevis: Bekymringssamtalen")).is_visible()
        assert page.locator("#rf-journey").count() == 0, "the journey box is for module pages and the forside"
        page.wait_for_timeout(500)  # the frame fits its height
        page.screenshot(path=str(shots / f"journey-min-side-{size}.png"), full_page=True)
        assert run_axe(page) == []
    finally:
        context.close()


def test_without_a_personal_link_the_journey_stays_in_the_browser(browser, journey_server, shots):
    srv = journey_server
    before = reads_of(srv)
    context = new_context(browser, srv, "phone", None)
    try:
        page = context.new_page()
        read_to_the_end(page, srv, f"{M1}/audit-c", "1 af 12 sider læst")
        box = page.locator("#rf-journey").inner_text()
        assert "Kurset husker dine læste sider i denne browser." in box
        assert "åbnet kurset via dit personlige link" in box
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(shots / "journey-anonymous-390.png"))
        page.goto(f"{srv.url}/book/index.html")
        go_on = page.get_by_role("link", name=re.compile("Fortsæt hvor du slap"))
        go_on.wait_for(timeout=TIMEOUT)
        assert "Den korte opsporende samtale" in go_on.inner_text()
        assert page.evaluate("JSON.parse(localStorage.getItem('rusfokus-forloeb')).laest") == [f"{M1}/audit-c"]
        # the server knows nothing of this browser, and refuses a request without the cookie
        assert reads_of(srv) == before
        status = page.evaluate("""async () => (await fetch('/api/progress/laest', {method: 'POST',
            headers: {'Content-Type': 'application/json', 'X-Rusfokus': '1'},
            body: JSON.stringify({page: 'modules/01-opsporing/tegn'})})).status""")
        assert status == 401 and reads_of(srv) == before
        # she opens her personal link in this browser: what she read is handed to the server once
        signe = "signe.dahl@eksempel-kommune.example"
        assert reads_of(srv, signe) == []
        context.add_cookies([srv.cookie("rf_learner", srv.learner_token(signe))])
        page.goto(f"{srv.url}/{M1}/index.html")
        page.locator("#rf-journey").wait_for(timeout=TIMEOUT)
        page.wait_for_function("() => JSON.parse(localStorage.getItem('rusfokus-forloeb')).laest.length === 0")
        assert (f"{M1}/audit-c", True) in reads_of(srv, signe)
        assert "Kurset husker dine læste sider i denne browser." not in page.locator("#rf-journey").inner_text()
    finally:
        context.close()
