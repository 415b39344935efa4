"""The consultant's dashboard and the learner's Min side in Chromium, through `rusfokus serve`.

The demo server (conftest ``demo_server``, shared with the consultant and phone
tests) with the fictional demo data, an admin user made with the CLI, and one
roster row whose name and institution hold a ``<script>``: it must show as
text and never run.
"""

from __future__ import annotations

import pytest

from helpers.browser import run_axe, wait_for_widgets
from helpers.demo import EVIL, PASSWORD

DASHBOARD = "/voila/render/dashboard/index.ipynb"
MIN_SIDE = "/voila/render/min-side/index.ipynb"


@pytest.fixture
def progress_server(demo_server):
    return demo_server


def _login(page, srv):
    page.goto(srv.url + DASHBOARD)
    page.wait_for_url("**/login?next=*")
    page.get_by_label("Brugernavn").fill("konsulent")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url("**" + DASHBOARD, wait_until="commit", timeout=120_000)
    wait_for_widgets(page, timeout=120_000)
    page.wait_for_selector("text=Uddannelse i tidlig opsporing", timeout=120_000)
    page.wait_for_selector("text=Tallene er hentet", timeout=120_000)  # the tables follow the first view


def test_dashboard_requires_login(browser_page, progress_server):
    page = browser_page
    page.goto(progress_server.url + DASHBOARD)
    page.wait_for_url("**/login?next=*")
    assert page.locator("h1").inner_text() == "Log ind som administrator"
    page.get_by_label("Brugernavn").fill("konsulent")
    page.get_by_label("Adgangskode").fill("forkert-kodeord")
    page.get_by_role("button", name="Log ind").click()
    assert "Forkert brugernavn eller adgangskode" in page.locator("[role=alert]").inner_text()
    response = page.request.get(progress_server.url + "/admin/rapport.xlsx", max_redirects=0)
    assert response.status == 302
    assert run_axe(page) == []


def test_dashboard_login_filters_escaping_download_and_axe(browser_page, progress_server, tmp_path):
    page = browser_page
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _login(page, progress_server)
    assert page.locator("text=Institutioner uden aktuel nøgleperson").count() == 1
    assert page.locator(f"text=Skole {EVIL}").count() >= 1  # shown as text
    assert page.evaluate("window.__pwned") is None and dialogs == []
    assert run_axe(page) == []
    page.get_by_label("Forvaltning", exact=True).select_option(label="Beskæftigelse")
    # the report tables (not the links sheet's list of every institution)
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.rf-table')].some((t) => t.innerText.includes('Vestskolen'))",
        timeout=30_000,
    )
    page.get_by_label("Vis pr.", exact=True).select_option(label="Institution")
    page.wait_for_selector("caption:has-text('Gyldige kursusbeviser pr. institution')", timeout=30_000)
    assert (
        page.locator("caption:has-text('Gyldige kursusbeviser pr. institution') >> xpath=..")
        .inner_text()
        .count("Jobcenter Eksempelby")
        == 1
    )
    with page.expect_download() as info:
        page.get_by_role("link", name="Hent rapport (Excel)").click()
    path = tmp_path / "rapport.xlsx"
    info.value.save_as(path)
    assert info.value.suggested_filename.startswith("rusfokus-rapport-")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    assert "Genopfriskning" in wb.sheetnames
    forv = {row[0] for row in wb["Gennemført pr. forvaltning"].iter_rows(min_row=2, values_only=True)}
    assert forv == {"Beskæftigelse"}
    assert run_axe(page) == []


def test_upload_over_tornados_10_mib_reaches_the_kernel_and_gets_the_real_reason(
    browser_page, progress_server, tmp_path
):
    """A staff list over 20 MB travels as one websocket message of more than Tornado's
    default 10 MiB: the admin's kernel channel takes it, so the refusal names the size."""
    from rusfokus.progress import upload

    page = browser_page
    _login(page, progress_server)
    big = tmp_path / "medarbejdere.csv"
    big.write_bytes(b"Navn;E-mail;Institution\r\n" + b" " * (upload.MAX_BYTES + 1024))
    with page.expect_file_chooser() as chooser:  # the widget's file input is not in the page
        page.get_by_role("button", name="Vælg fil").click()
    chooser.value.set_files(str(big))
    # The browser reads the file before the widget sends it: "Vælg fil (1)" says it is on its way to the
    # kernel (on the same websocket as the click below, so it arrives first). Clicking before that (CI was
    # loaded: reading 20 MB took a while) sent the click alone: "Vælg først en fil", never the real reason.
    page.get_by_role("button", name="Vælg fil (1)").wait_for(timeout=120_000)
    page.get_by_role("button", name="Vis ændringer").click()  # the preview step reads the file
    page.wait_for_selector("text=Filen er for stor", timeout=120_000)
    assert page.locator("text=Vælg først en fil").count() == 0


def test_min_side_shows_own_data_only_and_axe(browser, progress_server):
    srv = progress_server
    email = srv.rusfokus("staff", "list", "--format", "csv").stdout.splitlines()[1].split(",")[1]
    context = browser.new_context(locale="da-DK")
    try:
        context.add_cookies([{**srv.cookie("rf_learner", srv.learner_token(email)), "domain": "127.0.0.1"}])
        page = context.new_page()
        page.goto(srv.url + MIN_SIDE, wait_until="commit", timeout=120_000)
        wait_for_widgets(page, timeout=120_000)
        page.wait_for_selector("text=Dine moduler", timeout=120_000)
        text = page.inner_text("body")
        name = srv.rusfokus("staff", "list", "--format", "csv").stdout.splitlines()[1].split(",")[0]
        assert f"Hej {name}" in text and "Opsporing" in text
        assert "Bo <script>" not in text  # nobody else's data
        assert run_axe(page) == []
    finally:
        context.close()
    anonymous = browser.new_context(locale="da-DK")
    try:
        page = anonymous.new_page()
        page.goto(srv.url + MIN_SIDE, wait_until="commit", timeout=120_000)
        # No personal link: the server's Danish notice instead of the app, so no kernel is started.
        page.wait_for_selector("text=Du er ikke logget ind med dit personlige link", timeout=60_000)
        assert page.locator(".lm-Widget").count() == 0
        assert run_axe(page) == []
    finally:
        anonymous.close()
