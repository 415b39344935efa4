"""Dashboard and Min side widgets (set .value / .click()), HTML escaping, CLI, HTTP routes."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
import tornado.testing
import tornado.web
from sqlalchemy import select

from rusfokus import identity
from rusfokus.apps.dashboard import Dashboard
from rusfokus.apps.min_side import learner_overview, render
from rusfokus.cli import main
from rusfokus.db import session_scope
from rusfokus.identity import web as identity_web
from rusfokus.identity.admins import add_user
from rusfokus.migrations import upgrade
from rusfokus.progress import web
from rusfokus.progress.demo import generate_staff, load_demo
from rusfokus.progress.hooks import record_result
from rusfokus.progress.models import Certificate, Person
from rusfokus.progress.reports import load_data
from rusfokus.progress.roster import Roster, RosterRow
from rusfokus.progress.staff import import_roster
from rusfokus.settings import Settings, get_settings

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

TODAY = date(2026, 6, 1)
EVIL = "<script>alert(1)</script>"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RUSFOKUS_HOME", str(tmp_path))
    monkeypatch.setenv("RUSFOKUS_DB", f"sqlite:///{tmp_path / 'rf.db'}")
    (tmp_path / "secret.key").write_bytes(TEST_SECRET)  # the server's key: the kernels check what the tests sign
    monkeypatch.setenv("RUSFOKUS_COURSE_DIR", str(tmp_path / "course"))  # person delete erases exercise data here
    get_settings.cache_clear()
    upgrade(f"sqlite:///{tmp_path / 'rf.db'}")
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def url(home):
    url = f"sqlite:///{home / 'rf.db'}"
    with session_scope(url) as s:
        load_demo(s, n=60, seed=7, today=TODAY, secret=TEST_SECRET)
        evil = RosterRow(
            2, "evil@eksempel-kommune.example", f"Bo {EVIL}", f"Skole {EVIL}", "Skoler", "Børn og Unge", "Lærer", True
        )
        import_roster(s, Roster(rows=[*generate_staff(60, 7), evil]), now=datetime(2026, 1, 1), secret=TEST_SECRET)
        record_result(
            s, "evil@eksempel-kommune.example", "opsporing", 9, 10, True, datetime(2024, 5, 1), 24, secret=TEST_SECRET
        )
    return url


def test_dashboard_filters_and_escaping(url):
    with session_scope(url) as s:
        data = load_data(s)
    dash = Dashboard(data, admin=f"adm{EVIL}", today=TODAY)
    everything = "".join(w.value for w in dash.sections.values()) + dash.children[0].value
    assert EVIL not in everything and "&lt;script&gt;" in everything
    assert (
        "<img" in dash.sections["gennemfoert"].value
        and 'alt="Gyldigt kursusbevis pr. forvaltning' in dash.sections["gennemfoert"].value
    )
    assert "Bo &lt;script&gt;" in dash.sections["genopfriskning"].value  # expired 2026-05-01
    dash.forvaltning.value = "Beskæftigelse"
    assert set(dash.afdeling.options) == {
        ("Alle", ""),
        ("Jobcenter", "Jobcenter"),
        ("Sygedagpenge", "Sygedagpenge"),
        ("Ungeindsats", "Ungeindsats"),
    }
    assert "Vestskolen" not in dash.sections["gennemfoert"].value
    assert "forvaltning=Besk%C3%A6ftigelse" in dash.downloads.value
    dash.by.value = "institution"
    assert "Jobcenter Eksempelby" in dash.sections["gennemfoert"].value
    assert "Gennemført pr. institution" in dash.sections["gennemfoert"].value


def test_dashboard_certificate_lookup(url):
    with session_scope(url) as s:
        data = load_data(s)
    dash = Dashboard(data, today=TODAY, db_url=url, secret=TEST_SECRET)
    dash.cert_email.value = "nobody@eksempel-kommune.example"
    dash.cert_button.click()
    assert "ingen medarbejder" in dash.cert_result.value
    dash.cert_email.value = " EVIL@eksempel-kommune.example"
    dash.cert_module.value = "dobbeltdiagnose"
    dash.cert_button.click()
    assert "ikke bestået" in dash.cert_result.value
    dash.cert_module.value = "opsporing"
    dash.cert_button.click()
    with session_scope(url) as s:
        code = s.scalar(select(Certificate.code).join(Person).where(Person.email == "evil@eksempel-kommune.example"))
    assert f"/admin/kursusbevis/{code}.pdf" in dash.cert_result.value


def test_min_side_shows_only_own_data(url):
    with session_scope(url) as s:
        mine = learner_overview(s, "EVIL@eksempel-kommune.example", TODAY)
        assert learner_overview(s, "stranger@eksempel-kommune.example", TODAY) is None
    page = render(mine)
    assert EVIL not in page and "Hej Bo &lt;script&gt;" in page
    assert "Bestået 01-05-2024 (9 af 10 point)" in page and "udløbet" in page and "Tid til genopfriskning" in page
    assert page.count("/api/progress/mine/kursusbevis/") == 1
    assert "Ikke startet" in page
    assert "Vi har ingen resultater" in render(None)


def test_cli_strict_import_lists_problems_and_imports_nothing(home, tmp_path, capsys):
    path = tmp_path / "hr.csv"
    path.write_bytes(
        "Navn;E-mail;Arbejdssted\r\nAnne Dahl;anne@eksempel-kommune.example;Vestskolen\r\n"
        "Per Bak;per@@x;Vestskolen\r\n;ole@eksempel-kommune.example;Vestskolen\r\n".encode("cp1252")
    )
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["staff", "import", str(path), "--db", db]) == 1
    err = capsys.readouterr().err
    assert "hr.csv:3: invalid e-mail 'per@@x'" in err and "hr.csv:4: name (Navn) is empty" in err
    assert "nothing imported" in err
    assert main(["staff", "list", "--format", "csv", "--db", db]) == 0
    assert (
        capsys.readouterr().out.strip() == "name,email,institution,afdeling,forvaltning,faggruppe,noegleperson,status"
    )
    assert main(["staff", "import", str(path), "--skip-invalid", "--db", db]) == 0
    assert "2 invalid row(s) listed above were skipped" in capsys.readouterr().err
    assert main(["staff", "list", "--format", "csv", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        out[-1] == "Anne Dahl,anne@eksempel-kommune.example,Vestskolen,Ikke angivet,Ikke angivet,Ikke angivet,nej,aktiv"
    )
    assert main(["staff", "import", str(tmp_path / "missing.csv"), "--db", db]) == 2


def test_cli_report_certificate_person(url, tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "r.xlsx"), "--today", "2026-06-01"]) == 0
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames[:3] == ["Overblik", "Gennemført pr. forvaltning", "Gennemført pr. afdeling"]
    ws = wb["Genopfriskning"]
    assert [c.value for c in ws[1]][:3] == ["Navn", "E-mail", "Institution"] and ws[1][0].font.bold
    assert main(["report", "--out", str(tmp_path / "x.csv")]) == 2
    assert main(["report", "--out", str(tmp_path / "x.csv"), "--table", "genopfriskning"]) == 0
    assert (tmp_path / "x.csv").read_bytes().startswith(b"\xef\xbb\xbfNavn;E-mail;")
    pdf = tmp_path / "bevis.pdf"
    assert main(["certificate", "issue", "evil@eksempel-kommune.example", "opsporing", "--out", str(pdf)]) == 0
    code = capsys.readouterr().out.splitlines()[-1].split()[1]
    assert pdf.read_bytes().startswith(b"%PDF")
    assert main(["certificate", "verify", code]) == 3  # expired on 2026-05-01 (before today)
    assert main(["certificate", "verify", "ZZZZ-ZZZZ-ZZZZ"]) == 1
    assert main(["person", "export", "evil@eksempel-kommune.example", "--out", str(tmp_path / "p.json")]) == 0
    assert json.loads((tmp_path / "p.json").read_text())["person"]["name"] == f"Bo {EVIL}"
    assert main(["person", "delete", "evil@eksempel-kommune.example"]) == 2  # needs --yes
    assert main(["person", "delete", "evil@eksempel-kommune.example", "--yes"]) == 0
    assert main(["certificate", "verify", code]) == 1
    assert main(["purge", "--dry-run"]) == 0
    capsys.readouterr()
    assert main(["audit", "--format", "csv"]) == 0
    log = capsys.readouterr().out
    assert "person.delete" in log and "certificate.issue" in log and "evil@" not in log


class WebTest(tornado.testing.AsyncHTTPTestCase):
    tmp = None

    def get_app(self):
        import os
        import tempfile

        self.tmp = tempfile.mkdtemp()
        os.environ["RUSFOKUS_HOME"] = self.tmp
        with open(os.path.join(self.tmp, "secret.key"), "wb") as fh:
            fh.write(TEST_SECRET)  # the server's key: it checks what the tests sign
        os.environ["RUSFOKUS_DB"] = f"sqlite:///{self.tmp}/w.db"
        get_settings.cache_clear()
        self.rf = Settings.from_env()
        web.startup(self.rf)
        identity_web._login_limiter = None  # a fresh login attempt limit per test
        with session_scope(self.rf.db_url) as s:
            add_user(s, "konsulent", "rigtig-lang-kode")
            load_demo(s, n=30, seed=3, secret=TEST_SECRET)
        return tornado.web.Application(identity_web.routes(self.rf) + web.routes(self.rf))

    def tearDown(self):
        super().tearDown()
        import os
        import shutil

        for k in ("RUSFOKUS_HOME", "RUSFOKUS_DB"):
            os.environ.pop(k, None)
        get_settings.cache_clear()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _login(self, password="rigtig-lang-kode"):
        page = self.fetch("/login")
        cookie = page.headers["Set-Cookie"].split(";")[0]
        token = cookie.split("=", 1)[1]
        body = f"csrf={token}&username=konsulent&password={password}&next=/admin/rapport.xlsx"
        return self.fetch("/login", method="POST", body=body, headers={"Cookie": cookie}, follow_redirects=False)

    def test_admin_routes_need_login(self):
        for path in (
            "/admin/rapport.xlsx",
            "/admin/rapport/genopfriskning.csv",
            "/admin/kursusbevis/AAAA-BBBB-CCCC.pdf",
        ):
            r = self.fetch(path, follow_redirects=False)
            assert r.code == 302 and r.headers["Location"].startswith("/login?next=")
        forged = identity.admin_token("konsulent", secret=b"x" * 64)
        r = self.fetch("/admin/rapport.xlsx", headers={"Cookie": f"rf_admin={forged}"}, follow_redirects=False)
        assert r.code == 302

    @pytest.mark.slow  # measured >= 5 s
    def test_login_then_download(self):
        assert self._login("forkert-kode").code == 403
        r = self._login()
        assert r.code == 302 and r.headers["Location"] == "/admin/rapport.xlsx"
        admin_cookie = [c for c in r.headers.get_list("Set-Cookie") if c.startswith("rf_admin=")][0]
        assert "HttpOnly" in admin_cookie and "SameSite=Strict" in admin_cookie
        cookie = admin_cookie.split(";")[0]
        x = self.fetch("/admin/rapport.xlsx?forvaltning=Besk%C3%A6ftigelse", headers={"Cookie": cookie})
        assert x.code == 200 and x.body[:2] == b"PK"
        c = self.fetch("/admin/rapport/noegleperson.csv", headers={"Cookie": cookie})
        assert c.code == 200 and c.body.startswith("\ufeffForvaltning;Afdeling;Institution".encode())
        assert self.fetch("/admin/rapport/nope.csv", headers={"Cookie": cookie}).code == 404
        with session_scope(self.rf.db_url) as s:
            code = s.scalar(select(Certificate.code))
        p = self.fetch(f"/admin/kursusbevis/{code}.pdf", headers={"Cookie": cookie})
        assert p.code == 200 and p.body.startswith(b"%PDF")
        v = self.fetch(f"/api/progress/verify/{code}")
        assert v.code == 200 and "Kursusbeviset er" in v.body.decode()
        assert self.fetch("/api/progress/verify/AAAA-BBBB-CCCC").code == 404

    def test_login_csrf_open_redirect_and_rate_limit(self):
        r = self.fetch(
            "/login",
            method="POST",
            body="csrf=x&username=konsulent&password=rigtig-lang-kode",
            headers={"Cookie": "rf_login_csrf=y"},
        )
        assert r.code == 400
        page = self.fetch("/login")
        cookie = page.headers["Set-Cookie"].split(";")[0]
        token = cookie.split("=", 1)[1]
        r = self.fetch(
            "/login",
            method="POST",
            follow_redirects=False,
            headers={"Cookie": cookie},
            body=f"csrf={token}&username=konsulent&password=rigtig-lang-kode&next=//evil.example/",
        )
        assert r.headers["Location"] == web.DASHBOARD
        for _ in range(5):
            self._login("forkert")
        assert self._login().code == 429

    @pytest.mark.slow  # measured >= 5 s
    def test_learner_gets_only_own_certificate(self):
        with session_scope(self.rf.db_url) as s:
            email, module = s.execute(select(Person.email, Certificate.module).join(Certificate)).first()
        token = identity.learner_token(email, secret=TEST_SECRET)
        r = self.fetch(f"/api/progress/mine/kursusbevis/{module}.pdf", headers={"Cookie": f"rf_learner={token}"})
        assert r.code == 200 and r.body.startswith(b"%PDF")
        assert self.fetch(f"/api/progress/mine/kursusbevis/{module}.pdf").code == 403
        other = identity.learner_token("ny@eksempel-kommune.example", secret=TEST_SECRET)
        r = self.fetch(f"/api/progress/mine/kursusbevis/{module}.pdf", headers={"Cookie": f"rf_learner={other}"})
        assert r.code == 404


def test_app_entry_points_check_identity_in_the_kernel(url, monkeypatch):
    from rusfokus.apps import dashboard
    from rusfokus.apps import min_side as minside

    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("HTTP_COOKIE", raising=False)
    assert "Du skal logge ind som administrator" in dashboard.build_app().value
    assert "personlige link" in minside.build_app().value
    forged = identity.sign("admin", "konsulent", secret=b"y" * 64)
    monkeypatch.setenv("HTTP_COOKIE", f"rf_admin={forged}")
    assert "Du skal logge ind" in dashboard.build_app().value
    monkeypatch.setenv(
        "HTTP_COOKIE",
        f"rf_admin={identity.admin_token('konsulent', secret=TEST_SECRET)}; "
        f"rf_learner={identity.learner_token('evil@eksempel-kommune.example', secret=TEST_SECRET)}",
    )
    assert isinstance(dashboard.build_app(), Dashboard)
    page = minside.build_app().value
    assert "Hej Bo &lt;script&gt;" in page and EVIL not in page


def test_dashboard_upload_strict_then_skip_invalid(url):
    with session_scope(url) as s:
        data = load_data(s)
    dash = Dashboard(data, admin="konsulent", today=TODAY, db_url=url, secret=TEST_SECRET)
    rows = [
        f"{r.name};{r.email};{r.institution};{r.afdeling};{r.forvaltning};{r.faggruppe};" for r in generate_staff(60, 7)
    ]
    csv = (
        "Navn;E-mail;Arbejdssted;Afdeling;Forvaltning;Stilling;Nøgleperson\r\n"
        + "\r\n".join(rows)
        + "\r\nNy Kollega;ny.kollega@eksempel-kommune.example;Nyt Sted <b>;Skoler;Børn og Unge;Lærer;Ja"
        + "\r\nFejl Person;fejl@;Vestskolen;Skoler;Børn og Unge;Lærer;\r\n"
    ).encode("cp1252")
    dash.upload.button.click()
    assert "Vælg først en fil" in dash.upload.result.value
    dash.upload.file.value = (
        {
            "name": "hr.csv",
            "type": "text/csv",
            "size": len(csv),
            "content": memoryview(csv),
            "last_modified": datetime(2026, 11, 1),
        },
    )
    dash.upload.button.click()
    assert "intet er importeret" in dash.upload.result.value and "Linje 63: ugyldig e-mail" in dash.upload.result.value
    assert "Nyt Sted" not in str(dash.forvaltning.options) and "Nyt Sted" not in dash.sections["noegleperson"].value
    dash.upload.skip.value = True
    dash.upload.button.click()  # the preview: nothing written yet
    flagged = sum(r.noegleperson for r in generate_staff(60, 7))  # the file has no Nøgleperson marks: all change
    assert f"Hvis du importerer: 1 nye, {flagged} ændrede, 1 markeres fratrådt" in dash.upload.result.value
    assert "Bo &lt;script&gt;" in dash.upload.result.value and "Linje 63" in dash.upload.result.value
    assert dash.upload.confirm.layout.display is None
    assert "Nyt Sted" not in str(dash.forvaltning.options)
    dash.upload.confirm.click()
    assert f"61 medarbejdere importeret: 1 nye, {flagged} opdaterede" in dash.upload.result.value
    assert "1 markeret som fratrådt" in dash.upload.result.value  # the <script> person is no longer listed
    dash.by.value = "institution"
    assert "Nyt Sted &lt;b&gt;" in dash.sections["gennemfoert"].value
    dash.upload.file.value = (
        {
            "name": "hr.pdf",
            "type": "application/pdf",
            "size": 3,
            "content": memoryview(b"abc"),
            "last_modified": datetime(2026, 11, 1),
        },
    )
    dash.upload.button.click()
    assert "Vælg en CSV- eller Excel-fil" in dash.upload.result.value
