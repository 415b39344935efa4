"""The consultant's tools in the dashboard (issue 13, item 5), on a real SQLite database:
person search and page, a new personal link (audit-logged) and revoking it, "Tjek kursusbevis",
personal links as a PDF per institution, and the lazy first view ("Henter …", tables after)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import select

from rusfokus import identity
from rusfokus.apps import dashboard_person as person_page
from rusfokus.apps.dashboard import Dashboard, verification_html
from rusfokus.db import session_scope
from rusfokus.identity.links import LinksError, entries_for, links_pdf, make_sheet
from rusfokus.identity.revocation import is_revoked_in
from rusfokus.migrations import upgrade
from rusfokus.progress.hooks import record_result
from rusfokus.progress.models import AuditEntry, Certificate, Person
from rusfokus.progress.roster import Roster, RosterRow
from rusfokus.progress.staff import import_roster
from rusfokus.settings import get_settings

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 6, 1)
EVIL = "<script>alert(1)</script>"
BASE = "https://kursus.eksempel-kommune.example"


def person(n, name, inst="Vestskolen", nk=False, email=None):
    return RosterRow(n, email or f"p{n}@eksempel-kommune.example", name, inst, "Skoler", "Børn og Unge", "Lærer", nk)


@pytest.fixture
def url(tmp_path, monkeypatch):
    monkeypatch.setenv("RUSFOKUS_HOME", str(tmp_path))
    (tmp_path / "secret.key").write_bytes(TEST_SECRET)  # the server's key: it checks what the tests sign
    monkeypatch.setenv("RUSFOKUS_DB", f"sqlite:///{tmp_path / 'rf.db'}")
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'rf.db'}"
    upgrade(url)
    rows = [
        person(1, "Mette Hansen", nk=True),
        person(2, "Søren Østergaard"),
        person(3, "Anne Hansen", "Østskolen"),
        person(4, f"Bo {EVIL}", f"Skole {EVIL}", email="bo@eksempel-kommune.example"),
        person(5, "Kim 100%_Lund"),
    ]
    with session_scope(url) as s:
        import_roster(s, Roster(rows=rows), now=datetime(2026, 1, 1), secret=TEST_SECRET)
        record_result(
            s, "p1@eksempel-kommune.example", "opsporing", 9, 10, True, datetime(2024, 5, 1), 24, secret=TEST_SECRET
        )
        record_result(
            s,
            "p1@eksempel-kommune.example",
            "bekymringssamtale",
            3,
            10,
            False,
            datetime(2026, 2, 3),
            24,
            secret=TEST_SECRET,
        )
        record_result(
            s, "p2@eksempel-kommune.example", "opsporing", 8, 10, True, datetime(2026, 3, 1), 24, secret=TEST_SECRET
        )
        from rusfokus.temadag.models import Temadag, TemadagParticipant

        td = Temadag(
            title="Temadag om opsporing",
            date=date(2026, 4, 2),
            start=time(9),
            duration_min=180,
            place="Rådhuset",
            modules="opsporing",
            facilitator="Nøgleperson",
            created_at=datetime(2026, 1, 1),
        )
        s.add(td)
        s.flush()
        pid = s.scalar(select(Person.id).where(Person.email == "p1@eksempel-kommune.example"))
        s.add(
            TemadagParticipant(
                temadag_id=td.id,
                person_id=pid,
                name="Mette Hansen",
                method="link",
                checked_in_at=datetime(2026, 4, 2, 9),
            )
        )
    yield url
    get_settings.cache_clear()


def _id(url, email):
    with session_scope(url) as s:
        return s.scalar(select(Person.id).where(Person.email == email))


def test_search_by_name_or_email_escapes_wildcards_and_skips_the_erased(url):
    from rusfokus.gdpr import delete_person

    with session_scope(url) as s:
        assert [h.name for h in person_page.search_people(s, "hansen")] == ["Anne Hansen", "Mette Hansen"]
        assert [h.email for h in person_page.search_people(s, "P2@EKSEMPEL")] == ["p2@eksempel-kommune.example"]
        assert [h.name for h in person_page.search_people(s, "østergaard")] == ["Søren Østergaard"]
        assert [h.name for h in person_page.search_people(s, "100%_")] == ["Kim 100%_Lund"]
    with session_scope(url) as s:
        assert person_page.search_people(s, "a%") == []  # % is a character, not a wildcard
        with pytest.raises(person_page.PersonPageError, match="mindst 2 tegn"):
            person_page.search_people(s, " a ")
        delete_person(s, "p3@eksempel-kommune.example", secret=TEST_SECRET)
    with session_scope(url) as s:
        assert [h.name for h in person_page.search_people(s, "hansen")] == ["Mette Hansen"]


def test_person_page_shows_modules_certificates_temadage_and_flag(url):
    with session_scope(url) as s:
        d = person_page.person_details(s, _id(url, "p1@eksempel-kommune.example"), TODAY, secret=TEST_SECRET)
    page = person_page.person_html(d)
    assert "<h3>Mette Hansen</h3>" in page and "<strong>Nøgleperson:</strong> Ja" in page
    assert "Vestskolen, Skoler, Børn og Unge" in page
    assert "Opsporing" in page and "Bekymringssamtalen" in page and "Ikke bestået" in page and "3 af 10" in page
    assert "Temadag om opsporing, 02-04-2026" in page
    assert re.search(r"udløber snart|udløbet|gyldig", page) and "/admin/kursusbevis/" in page
    with session_scope(url) as s:
        evil = person_page.person_html(
            person_page.person_details(s, _id(url, "bo@eksempel-kommune.example"), TODAY, secret=TEST_SECRET)
        )
    assert EVIL not in evil and "Bo &lt;script&gt;" in evil and "Ingen kursusbeviser endnu" in evil


def test_new_link_is_audited_and_revoking_stops_it_until_access_is_opened_again(url):
    pid = _id(url, "p2@eksempel-kommune.example")
    with session_scope(url) as s:
        link = person_page.new_link(s, pid, BASE, "admin:konsulent", secret=TEST_SECRET)
    assert link.startswith(BASE + "/adgang/")
    assert (
        identity.verify("learner", link.rsplit("/", 1)[1], max_age=60, secret=TEST_SECRET)
        == "p2@eksempel-kommune.example"
    )
    with session_scope(url) as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.target, entry.actor) == ("person.link_shown", f"person #{pid}", "admin:konsulent")
        assert "p2@" not in entry.detail  # people by id only
        person_page.revoke_link(s, pid, "admin:konsulent", secret=TEST_SECRET)
    with session_scope(url) as s:
        assert is_revoked_in(s, "p2@eksempel-kommune.example", secret=TEST_SECRET)
        with pytest.raises(person_page.PersonPageError, match="tilbagekaldt"):
            person_page.new_link(s, pid, BASE, "admin:konsulent", secret=TEST_SECRET)
        assert person_page.person_details(s, pid, secret=TEST_SECRET).revoked
        assert person_page.reopen_link(s, pid, "admin:konsulent", secret=TEST_SECRET)
    with session_scope(url) as s:
        assert not is_revoked_in(s, "p2@eksempel-kommune.example", secret=TEST_SECRET)
        assert person_page.new_link(s, pid, BASE, "admin:konsulent", secret=TEST_SECRET).startswith(BASE)


def test_person_panel_widget(url):
    panel = person_page.PersonPanel(url, "admin:konsulent", BASE, today=TODAY, secret=TEST_SECRET)
    panel.query.value = "x"
    assert "mindst 2 tegn" in panel.message.value
    panel.query.value = "hansen"
    assert "2 fundet" in panel.message.value and panel.actions.layout.display == "none"
    panel.results.value = _id(url, "p1@eksempel-kommune.example")
    panel.show_button.click()
    assert "<h3>Mette Hansen</h3>" in panel.page.value and panel.actions.layout.display is None
    sent = []
    panel.add_action("Send link på mail", lambda pid: sent.append(pid) or "<p>Sendt</p>")
    panel.actions.children[-1].click()
    assert sent == [panel.person_id] and panel.link_output.value == "<p>Sendt</p>"
    panel.link_button.click()
    assert "/adgang/" in panel.link_output.value and "giv det kun til personen selv" in panel.link_output.value
    panel.revoke_button.click()  # asks first
    assert "Vil du tilbagekalde" in panel.link_output.value
    with session_scope(url) as s:
        assert not is_revoked_in(s, "p1@eksempel-kommune.example", secret=TEST_SECRET)
    panel.confirm_revoke.click()
    assert (
        "Linket er tilbagekaldt" in panel.link_output.value
        and "Personligt link:</strong> Tilbagekaldt" in panel.page.value
    )
    assert panel.link_button.disabled and panel.reopen_button.layout.display is None
    panel.reopen_button.click()
    assert "Adgangen er åbnet igen" in panel.link_output.value and not panel.link_button.disabled
    panel.query.value = "findes ikke"
    assert "Ingen medarbejdere matcher »findes ikke«" in panel.message.value
    panel.query.value = "<b>bo"
    assert "&lt;b&gt;bo" in panel.message.value


def test_tjek_kursusbevis(url):
    with session_scope(url) as s:
        code = s.scalar(select(Certificate.code).join(Person).where(Person.email == "p2@eksempel-kommune.example"))
        old = s.scalar(select(Certificate.code).join(Person).where(Person.email == "p1@eksempel-kommune.example"))
        valid = verification_html(s, code.lower().replace("-", " "), TODAY)
        expired = verification_html(s, old, date(2027, 1, 1))
        unknown = verification_html(s, "AAAA-BBBB-CCCC", TODAY)
        empty = verification_html(s, "  ", TODAY)
        evil = verification_html(s, "<script>", TODAY)
    assert "Kursusbeviset er gyldigt." in valid and "Søren Østergaard" in valid and "Opsporing" in valid
    assert "Udstedt: 01-03-2026" in valid and "Udløber: 01-03-2028" in valid
    assert "Kursusbeviset er udløbet." in expired and "Mette Hansen" in expired
    assert "Ukendt kode: AAAA-BBBB-CCCC" in unknown and "Skriv koden" in empty
    assert "<script>" not in evil
    from rusfokus.gdpr import delete_person

    with session_scope(url) as s:
        delete_person(s, "p2@eksempel-kommune.example", secret=TEST_SECRET)
    with session_scope(url) as s:  # erasing a person removes the kursusbevis too
        assert "Ukendt kode" in verification_html(s, code, TODAY)
    dash = Dashboard(admin="konsulent", today=TODAY, db_url=url, base_url=BASE, secret=TEST_SECRET)
    dash.check_code.value = old
    assert "Mette Hansen" in dash.check_result.value


# --- the links sheet -------------------------------------------------------------------
@pytest.fixture
def printed(monkeypatch):
    """Every text fpdf2 puts on a page (cell / multi_cell, not dry runs): fpdf2 subsets fonts, so the
    text cannot be read back from the PDF bytes without a PDF library."""
    from fpdf import FPDF

    texts: list[str] = []
    cell, multi = FPDF.cell, FPDF.multi_cell

    def rec_cell(self, w=None, h=None, text="", *a, **kw):
        texts.append(str(text))
        return cell(self, w, h, text, *a, **kw)

    def rec_multi(self, w, h=None, text="", *a, **kw):
        if not kw.get("dry_run"):
            texts.append(str(text))
        return multi(self, w, h, text, *a, **kw)

    monkeypatch.setattr(FPDF, "cell", rec_cell)
    monkeypatch.setattr(FPDF, "multi_cell", rec_multi)
    return texts


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_links_pdf_one_institution_per_page_group_with_link_and_qr(url, printed):
    with session_scope(url) as s:
        entries = entries_for(s, BASE, secret=TEST_SECRET)
        vest = entries_for(s, BASE, "Vestskolen", secret=TEST_SECRET)
    assert [e.institution for e in entries] == ["Skole " + EVIL, "Vestskolen", "Vestskolen", "Vestskolen", "Østskolen"]
    assert [e.name for e in vest] == ["Kim 100%_Lund", "Mette Hansen", "Søren Østergaard"]
    for e in entries:
        assert identity.verify("learner", e.link.rsplit("/", 1)[1], max_age=60, secret=TEST_SECRET) == e.email
    pdf = links_pdf(entries, kommune="Eksempel Kommune")
    assert pdf.startswith(b"%PDF") and pages(pdf) == 3  # a new page for each institution
    assert len(re.findall(rb"/Subtype\s*/Image", pdf)) == 5  # a QR code per person
    assert "Mette Hansen" in printed and "Søren Østergaard" in printed and "Skole " + EVIL in printed
    assert "Linket logger dig ind. Giv det ikke videre." in printed
    for e in entries:
        assert e.link in printed  # the whole link as text
    many = links_pdf([entries[1]] * 9)
    assert pages(many) == 3  # four cards a page
    with pytest.raises(LinksError):
        links_pdf([])


def test_links_sheet_leaves_out_revoked_and_is_audited(url, printed):
    with session_scope(url) as s:
        person_page.revoke_link(s, _id(url, "p1@eksempel-kommune.example"), "admin:konsulent", secret=TEST_SECRET)
    with session_scope(url) as s:
        pdf, n = make_sheet(s, BASE, institution="Vestskolen", actor="admin:konsulent", secret=TEST_SECRET)
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert n == 2 and pages(pdf) == 1 and "Mette Hansen" not in printed and "Søren Østergaard" in printed
    assert (entry.action, entry.target, entry.detail) == ("links.pdf", "Vestskolen", "2 personal links printed")
    with session_scope(url) as s, pytest.raises(LinksError):
        make_sheet(s, BASE, institution="Findes ikke", actor="admin:konsulent", secret=TEST_SECRET)
    dash = Dashboard(admin="konsulent", today=TODAY, db_url=url, base_url=BASE, secret=TEST_SECRET)
    dash.links.button.click()
    assert "Vælg først en institution" in dash.links.result.value
    dash.links.institution.value = "Skole " + EVIL
    dash.links.button.click()
    value = dash.links.result.value
    assert 'href="data:application/pdf;base64,' in value and "Hent PDF med 1 links" in value and EVIL not in value


@pytest.mark.slow  # the rusfokus CLI as a subprocess, a PDF of every institution
def test_cli_links_pdf(url, tmp_path):
    out = tmp_path / "links.pdf"
    env = {
        "RUSFOKUS_HOME": str(tmp_path),
        "RUSFOKUS_DB": url,
        "RUSFOKUS_ROOT": str(ROOT),
        "PATH": "/usr/bin:/bin",
        "RUSFOKUS_BASE_URL": BASE,
    }
    run = subprocess.run(
        [sys.executable, "-m", "rusfokus.cli", "links", "--staff", "--pdf", str(out), "--institution", "Vestskolen"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "3 personal links" in run.stdout and out.read_bytes().startswith(b"%PDF")
    assert pages(out.read_bytes()) == 1 and len(re.findall(rb"/Subtype\s*/Image", out.read_bytes())) == 3
    with session_scope(url) as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.actor, entry.action, entry.target) == ("cli", "links.pdf", "Vestskolen")
    bad = subprocess.run(
        [sys.executable, "-m", "rusfokus.cli", "links", "--staff", "--pdf", str(out), "--institution", "Findes ikke"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "Findes ikke" in bad.stderr


# --- first view: "Henter …", then the tables ---------------------------------------------
def test_lazy_dashboard_shows_henter_then_fills_the_tables_from_a_thread(url):
    dash = Dashboard(admin="konsulent", today=TODAY, db_url=url, base_url=BASE, secret=TEST_SECRET)
    assert "Henter tal og tabeller" in dash.status.value
    assert all(w.value == "" for w in dash.sections.values()) and dash.forvaltning.disabled
    dash.by.value = "institution"  # a change before the data is there does nothing (and does not fail)
    assert dash.person.query is not None  # the search works at once
    dash.person.query.value = "mette"
    assert "Mette Hansen" in dash.person.page.value
    dash.start_loading().join(60)
    assert "Tallene er hentet" in dash.status.value and not dash.forvaltning.disabled
    assert "Gennemført pr. institution" in dash.sections["gennemfoert"].value
    assert "Børn og Unge" in [v for _l, v in dash.forvaltning.options]


def test_lazy_dashboard_failure_is_shown_in_danish(url, caplog, monkeypatch):
    from rusfokus.progress import reports

    def broken(_session):
        raise RuntimeError("database went away")

    monkeypatch.setattr(reports, "load_data", broken)
    dash = Dashboard(admin="konsulent", today=TODAY, db_url=url, base_url=BASE, secret=TEST_SECRET)
    dash.load()
    assert "Tallene kunne ikke hentes" in dash.status.value
    assert "loading the report data failed" in caplog.text


def test_build_app_returns_before_the_tables_are_computed(url, monkeypatch):
    from rusfokus.apps import dashboard

    monkeypatch.setenv("HTTP_COOKIE", f"rf_admin={identity.admin_token('konsulent', secret=TEST_SECRET)}")
    started = []
    monkeypatch.setattr(Dashboard, "start_loading", lambda self: started.append(self))
    dash = dashboard.build_app()
    assert isinstance(dash, Dashboard) and started == [dash] and dash.data is None
    assert "Henter tal og tabeller" in dash.status.value
    monkeypatch.setenv(dashboard.EAGER_ENV, "1")  # the benchmark's baseline: everything before the first paint
    eager = dashboard.build_app()
    assert eager.data is not None and "Overblik" in eager.sections["overblik"].value and len(started) == 1


def test_first_view_imports_no_pandas_openpyxl_or_matplotlib(url):
    """The first paint waits only for what it shows: the heavy report modules load in the thread."""
    code = (
        "import sys\nfrom rusfokus.apps.dashboard import Dashboard\n"
        f"d = Dashboard(admin='konsulent', db_url={url!r}, base_url='http://x', secret={TEST_SECRET!r})\n"
        "d.person.query.value = 'hansen'\nd.check_code.value = 'AAAA-BBBB-CCCC'\n"
        "assert 'Henter' in d.status.value\n"
        "print(sorted(m for m in ('pandas', 'openpyxl', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"RUSFOKUS_HOME": str(Path(url[10:]).parent), "RUSFOKUS_DB": url, "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
