"""The consultant's new tools in the dashboard, in Chromium through `rusfokus serve` (issue 13, item 5):
the first view with "Henter …", person search and page with a new link and revoking it, "Tjek
kursusbevis", the staff import preview and "kun tilføj og opdater", the links PDF; at laptop
and phone (390×844) sizes, axe clean, names escaped; a learner or a stranger cannot reach it.
"""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.progress.models import Certificate, Person

from helpers.browser import run_axe, wait_for_widgets
from helpers.phone import CONTROLS_JS, PHONE_UA, TEXT_JS

DASHBOARD = "/voila/render/dashboard/index.ipynb"
TIMEOUT = 120_000


@pytest.fixture(scope="module")
def consultant_server(demo_server):
    srv = demo_server
    srv.db = f"sqlite:///{srv.home / 'rusfokus.db'}"
    with session_scope(srv.db) as s:
        srv.code, srv.cert_name = s.execute(
            select(Certificate.code, Person.name).join(Person, Person.id == Certificate.person_id).limit(1)
        ).first()
    return srv


def _context(browser, srv, *, phone: bool = False, cookie: str | None = "admin"):
    if phone:
        context = browser.new_context(
            locale="da-DK", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=PHONE_UA
        )
    else:
        context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    if cookie == "admin":
        context.add_cookies([{**srv.cookie("rf_admin", srv.admin_token("konsulent")), "domain": "127.0.0.1"}])
    elif cookie == "learner":
        email = srv.rusfokus("staff", "list", "--format", "csv").stdout.splitlines()[1].split(",")[1]
        context.add_cookies([{**srv.cookie("rf_learner", srv.learner_token(email)), "domain": "127.0.0.1"}])
    return context


def _open(page, srv):
    page.goto(srv.url + DASHBOARD, wait_until="commit", timeout=TIMEOUT)
    wait_for_widgets(page, timeout=TIMEOUT)
    page.wait_for_selector("text=Uddannelse i tidlig opsporing", timeout=TIMEOUT)


def test_learner_and_stranger_cannot_reach_the_dashboard(browser, consultant_server):
    srv = consultant_server
    for who in (None, "learner"):
        context = _context(browser, srv, cookie=who)
        try:
            page = context.new_page()
            page.goto(srv.url + DASHBOARD, timeout=TIMEOUT)
            page.wait_for_url("**/login?next=*", timeout=TIMEOUT)
            body = page.inner_text("body")
            assert "Log ind som administrator" in body and "Find en medarbejder" not in body
            assert "/adgang/" not in page.content()
        finally:
            context.close()


def test_first_view_search_person_link_revoke_and_certificate_check(browser, consultant_server):
    srv = consultant_server
    context = _context(browser, srv)
    try:
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        _open(page, srv)
        # the tables follow the first view
        page.wait_for_selector("text=Tallene er hentet", timeout=TIMEOUT)
        page.wait_for_selector("caption:has-text('Nøgletal')", timeout=TIMEOUT)
        # message and result areas that are still empty leave no blank gap
        assert (
            page.evaluate("""() => [...document.querySelectorAll('.widget-html')]
            .filter((e) => !e.querySelector('.widget-html-content').textContent.trim() && e.offsetHeight > 0).length""")
            == 0
        )
        # search by a part of the name: the <script> person, shown as text
        page.get_by_label("Navn eller e-mail").fill("bo <script")
        page.get_by_label("Navn eller e-mail").press("Enter")
        page.wait_for_selector("h3:has-text('Bo <script>')", timeout=TIMEOUT)
        assert page.evaluate("window.__pwned") is None and dialogs == []
        assert "Nøgleperson" in page.inner_text("body")
        page.get_by_role("button", name="Lav nyt personligt link").click()
        page.wait_for_selector("code.rf-link", timeout=TIMEOUT)
        link = page.inner_text("code.rf-link")
        assert re.fullmatch(r"http://[^/]+/adgang/[A-Za-z0-9_.-]+", link)
        assert run_axe(page) == []
        # revoke asks first; then the link no longer logs in
        page.get_by_role("button", name="Tilbagekald link").click()
        page.get_by_role("button", name="Ja, tilbagekald linket").click()
        page.wait_for_selector("text=Linket er tilbagekaldt", timeout=TIMEOUT)
        assert page.get_by_role("button", name="Lav nyt personligt link").is_disabled()
        token = link.rsplit("/", 1)[1]
        assert page.request.get(srv.url + "/adgang/" + token, max_redirects=0).status == 403
        page.get_by_role("button", name="Åbn adgangen igen").click()
        page.wait_for_selector("text=Adgangen er åbnet igen", timeout=TIMEOUT)
        assert page.request.get(srv.url + "/adgang/" + token, max_redirects=0).status == 302
        # tjek kursusbevis: valid, and unknown
        page.get_by_label("Kode", exact=True).fill(srv.code.lower())
        page.get_by_role("button", name="Tjek kursusbevis").click()
        page.wait_for_selector(f"li:has-text('Navn: {srv.cert_name}')", timeout=TIMEOUT)
        page.get_by_label("Kode", exact=True).fill("AAAA-BBBB-CCCC")
        page.get_by_role("button", name="Tjek kursusbevis").click()
        page.wait_for_selector("text=Ukendt kode: AAAA-BBBB-CCCC", timeout=TIMEOUT)
        assert run_axe(page) == []
    finally:
        context.close()


def test_import_preview_then_confirm_and_links_pdf_download(browser, consultant_server, tmp_path):
    srv = consultant_server
    partial = tmp_path / "nye.csv"
    partial.write_bytes(
        "Navn;E-mail;Arbejdssted;Afdeling;Forvaltning;Stilling;Nøgleperson\r\n"
        "Nina <b>Ny</b>;nina.ny@eksempel-kommune.example;Vestskolen;Skoler;Børn og Unge;Lærer;\r\n".encode("cp1252")
    )
    before = srv.rusfokus("staff", "list", "--format", "csv").stdout
    context = _context(browser, srv)
    try:
        page = context.new_page()
        _open(page, srv)
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="Vælg fil").click()
        chooser.value.set_files(str(partial))
        page.get_by_role("button", name="Vælg fil (1)").wait_for(timeout=TIMEOUT)  # the file was read and sent
        page.get_by_role("button", name="Vis ændringer").click()
        page.wait_for_selector("text=Hvis du importerer: 1 nye, 0 ændrede", timeout=TIMEOUT)
        assert not re.search(r"1 nye, 0 ændrede, 0 markeres", page.inner_text("body"))  # a full list by default
        assert srv.rusfokus("staff", "list", "--format", "csv").stdout == before  # nothing written yet
        page.get_by_label("Kun tilføj og opdater (en delvis liste: ingen markeres fratrådt)").check()
        page.get_by_role("button", name="Vis ændringer").click()
        page.wait_for_selector("text=Hvis du importerer: 1 nye, 0 ændrede, 0 markeres fratrådt", timeout=TIMEOUT)
        assert run_axe(page) == []
        page.get_by_role("button", name="Importér", exact=True).click()
        page.wait_for_selector("text=1 medarbejdere importeret: 1 nye", timeout=TIMEOUT)
        after = srv.rusfokus("staff", "list", "--format", "csv").stdout
        assert "nina.ny@" in after and "fratrådt" not in after
        # the links sheet for one institution
        page.get_by_label("Institution", exact=True).select_option(label="Vestskolen")
        page.get_by_role("button", name="Lav PDF med links").click()
        page.wait_for_selector("a:has-text('Hent PDF med')", timeout=TIMEOUT)
        with page.expect_download() as info:
            page.get_by_role("link", name=re.compile("Hent PDF med")).click()
        path = tmp_path / "links.pdf"
        info.value.save_as(path)
        assert info.value.suggested_filename == "personlige-links-vestskolen.pdf"
        assert path.read_bytes().startswith(b"%PDF")
    finally:
        context.close()


def test_phone_390_every_control_inside_and_axe_clean(browser, consultant_server, tmp_path):
    srv = consultant_server
    context = _context(browser, srv, phone=True)
    try:
        page = context.new_page()
        started = time.monotonic()
        _open(page, srv)
        page.wait_for_selector("caption:has-text('Nøgletal')", timeout=TIMEOUT)
        assert time.monotonic() - started < TIMEOUT / 1000
        page.get_by_label("Navn eller e-mail").fill("bo <script")
        page.get_by_label("Navn eller e-mail").press("Enter")
        page.wait_for_selector("h3:has-text('Bo <script>')", timeout=TIMEOUT)
        page.get_by_role("button", name="Lav nyt personligt link").click()
        page.wait_for_selector("code.rf-link", timeout=TIMEOUT)
        page.get_by_label("Kode", exact=True).fill(srv.code)
        page.get_by_role("button", name="Tjek kursusbevis").click()
        page.wait_for_selector("text=Kursusbeviset er", timeout=TIMEOUT)
        page.screenshot(path=str(tmp_path / "dashboard-phone.png"), full_page=True)
        result = page.evaluate(CONTROLS_JS)
        assert result["checked"] > 10 and result["bad"] == []
        assert page.evaluate(TEXT_JS) == []
        assert run_axe(page) == []
    finally:
        context.close()
