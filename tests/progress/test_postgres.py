"""Import, reports, certificates and GDPR against a real database: SQLite and a real PostgreSQL 15.

The PostgreSQL server is Debian's package, started by the fixture in a temp
dir on a free port (as the ``postgres`` user when the tests run as root).
"""

from __future__ import annotations

import itertools
import os
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from rusfokus import gdpr
from rusfokus.db import session_scope
from rusfokus.migrations import heads, upgrade
from rusfokus.progress import certificates
from rusfokus.progress.hooks import on_graded, record_result
from rusfokus.progress.models import AuditEntry, Certificate, Completion, Person
from rusfokus.progress.reports import full_report, load_data
from rusfokus.progress.roster import read_roster
from rusfokus.progress.staff import ImportRefused, import_roster, staff_frame

from helpers.postgres import PG_BIN, as_pg

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

HEADER = "Navn;E-mail;Arbejdssted;Afdeling;Forvaltning;Stilling;Nøgleperson\r\n"
TODAY = date(2026, 6, 1)
_counter = itertools.count()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'progress.db'}"
    else:
        port = request.getfixturevalue("pg_server")
        name = f"rf_test_{os.getpid()}_{next(_counter)}"
        as_pg([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name])
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
    upgrade(url)
    return url


def roster_file(tmp_path, rows: list[str], name="hr.csv"):
    path = tmp_path / name
    path.write_bytes((HEADER + "".join(r + "\r\n" for r in rows)).encode("cp1252"))
    return read_roster(path)


STAFF = [
    "Anne Dahl;anne@eksempel-kommune.example;Vestskolen;Skoler;Børn og Unge;Lærer;Ja",
    "Per Bak;per@eksempel-kommune.example;Vestskolen;Skoler;Børn og Unge;Lærer;",
    "Eva Kjær;eva@eksempel-kommune.example;Børnehuset Solsikken;Dagtilbud;Børn og Unge;Pædagog;",
    "Kim Lund;kim@eksempel-kommune.example;Jobcenter Eksempelby;Jobcenter;Beskæftigelse;Jobkonsulent;x",
]


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_single_alembic_head():
    assert len(heads()) == 1


def test_strict_import_writes_nothing_and_skip_invalid_imports_the_rest(db_url, tmp_path):
    roster = roster_file(tmp_path, [*STAFF, "Ib Olsen;ib@;Vestskolen;Skoler;Børn og Unge;Lærer;"])
    with pytest.raises(ImportRefused, match="1 invalid"):
        with session_scope(db_url) as s:
            import_roster(s, roster, secret=TEST_SECRET)
    with session_scope(db_url) as s:
        assert count(s, Person) == 0
        result = import_roster(s, roster, skip_invalid=True, now=datetime(2026, 1, 1), secret=TEST_SECRET)
    assert (result.created, result.skipped) == (4, 1)
    with session_scope(db_url) as s:
        frame = staff_frame(s)
    assert list(frame.columns[:8]) == [
        "name",
        "email",
        "institution",
        "afdeling",
        "forvaltning",
        "faggruppe",
        "noegleperson",
        "status",
    ]
    assert frame.set_index("email").loc["kim@eksempel-kommune.example", "noegleperson"] == "ja"
    assert set(frame["status"]) == {"aktiv"}


def test_reimport_updates_marks_fratraadt_and_reactivates(db_url, tmp_path):
    with session_scope(db_url) as s:
        import_roster(s, roster_file(tmp_path, STAFF), now=datetime(2026, 1, 1), secret=TEST_SECRET)
    changed = [STAFF[0].replace("Lærer", "Skoleleder"), STAFF[1], STAFF[3]]  # Eva gone
    with session_scope(db_url) as s:
        r = import_roster(s, roster_file(tmp_path, changed), now=datetime(2026, 2, 1), secret=TEST_SECRET)
    assert (r.created, r.updated, r.unchanged, r.left) == (0, 1, 2, 1)
    with session_scope(db_url) as s:
        eva = s.scalar(select(Person).where(Person.email == "eva@eksempel-kommune.example"))
        assert eva.status == "fratrådt" and eva.left_at == datetime(2026, 2, 1)
        assert s.scalar(select(Person.faggruppe).where(Person.email == "anne@eksempel-kommune.example")) == "Skoleleder"
    # Eva is back; Kim's row is invalid this time (bad flag) but Kim is still employed: not fratrådt.
    back = [*STAFF[:3], STAFF[3].replace(";x", ";måske")]
    with session_scope(db_url) as s:
        r = import_roster(
            s, roster_file(tmp_path, back), skip_invalid=True, now=datetime(2026, 3, 1), secret=TEST_SECRET
        )
    assert (r.reactivated, r.left, r.skipped) == (1, 0, 1)
    with session_scope(db_url) as s:
        assert set(staff_frame(s)["status"]) == {"aktiv"}
        assert count(s, AuditEntry) == 3


def test_empty_roster_is_refused(db_url, tmp_path):
    with session_scope(db_url) as s:
        import_roster(s, roster_file(tmp_path, STAFF), secret=TEST_SECRET)
    with pytest.raises(ImportRefused, match="refusing"):
        with session_scope(db_url) as s:
            import_roster(
                s,
                roster_file(tmp_path, ["Ib Olsen;ib@;Vestskolen;Skoler;Børn og Unge;Lærer;"]),
                skip_invalid=True,
                secret=TEST_SECRET,
            )
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).where(Person.status == "aktiv")) == 4


def _known_dataset(db_url, tmp_path):
    with session_scope(db_url) as s:
        import_roster(s, roster_file(tmp_path, STAFF), now=datetime(2024, 1, 1), secret=TEST_SECRET)
        # 24-month validity. Anne: opsporing 2024-07-10 → expires 2026-07-10 (within 60 days of TODAY).
        record_result(
            s,
            "anne@eksempel-kommune.example",
            "opsporing",
            9,
            10,
            True,
            datetime(2024, 7, 10, 9),
            24,
            secret=TEST_SECRET,
        )
        # Per failed, then passed on 2025-03-02 → valid until 2027-03-02.
        record_result(
            s,
            "per@eksempel-kommune.example",
            "opsporing",
            3,
            10,
            False,
            datetime(2025, 3, 1, 9),
            24,
            secret=TEST_SECRET,
        )
        record_result(
            s, "per@eksempel-kommune.example", "opsporing", 8, 10, True, datetime(2025, 3, 2, 9), 24, secret=TEST_SECRET
        )
        # Kim (nøgleperson) passed in 2024-03 → expired 2026-03-15.
        record_result(
            s,
            "kim@eksempel-kommune.example",
            "opsporing",
            10,
            10,
            True,
            datetime(2024, 3, 15, 9),
            24,
            secret=TEST_SECRET,
        )
        record_result(
            s,
            "kim@eksempel-kommune.example",
            "bekymringssamtale",
            7,
            10,
            True,
            datetime(2025, 3, 20, 9),
            24,
            secret=TEST_SECRET,
        )


def test_report_figures_on_known_dataset(db_url, tmp_path):
    _known_dataset(db_url, tmp_path)
    with session_scope(db_url) as s:
        tables = full_report(load_data(s), TODAY)
    forv = tables["forvaltning"].set_index(["Forvaltning", "Modul"])
    assert forv.loc[("Børn og Unge", "Opsporing")].to_dict() == {
        "Ansatte": 3,
        "Gennemført": 2,
        "Gennemført (%)": 66.7,
        "Gyldigt bevis": 2,
        "Gyldigt bevis (%)": 66.7,
    }
    assert forv.loc[("Beskæftigelse", "Opsporing"), "Gyldigt bevis"] == 0  # expired
    assert forv.loc[("Beskæftigelse", "Opsporing"), "Gennemført"] == 1
    assert forv.loc[("Beskæftigelse", "Bekymringssamtalen"), "Gyldigt bevis (%)"] == 100.0
    inst = tables["institution"].set_index(["Institution", "Modul"])
    assert inst.loc[("Børnehuset Solsikken", "Opsporing"), "Gennemført"] == 0
    due = tables["genopfriskning"]
    assert list(zip(due["Navn"], due["Modul"], due["Status"], due["Dage til udløb"], strict=True)) == [
        ("Kim Lund", "Opsporing", "udløbet", -78),
        ("Anne Dahl", "Opsporing", "udløber snart", 39),
    ]
    missing = tables["noegleperson"].set_index("Institution")["Årsag"].to_dict()
    # Vestskolen: Anne is nøgleperson with a valid bevis. Kim holds a valid bekymringssamtale bevis.
    assert missing == {"Børnehuset Solsikken": "Ingen nøgleperson"}
    with session_scope(db_url) as s:
        later = full_report(load_data(s), date(2027, 4, 1))  # every kursusbevis has expired by then
    assert later["noegleperson"].set_index("Institution")["Årsag"].to_dict() == {
        "Børnehuset Solsikken": "Ingen nøgleperson",
        "Jobcenter Eksempelby": "Nøgleperson uden gyldigt kursusbevis",
        "Vestskolen": "Nøgleperson uden gyldigt kursusbevis",
    }
    monthly = tables["maaned"].set_index("Måned")
    assert monthly["I alt"].to_dict() == {"2024-03": 1, "2024-07": 1, "2025-03": 2}
    overview = dict(tables["overblik"].values.tolist())
    assert overview["Aktive medarbejdere"] == 4 and overview["Medarbejdere med mindst ét gyldigt kursusbevis"] == 3
    with session_scope(db_url) as s:
        only = full_report(load_data(s).filtered(forvaltning="Beskæftigelse"), TODAY)
    assert set(only["institution"]["Institution"]) == {"Jobcenter Eksempelby"}


def test_certificate_pdf_and_verify(db_url, tmp_path):
    _known_dataset(db_url, tmp_path)
    with session_scope(db_url) as s:
        anne = gdpr.get_person(s, "ANNE@eksempel-kommune.example ")
        cert = certificates.ensure_certificate(s, anne, "opsporing", 24)
        assert cert.expires_on == date(2026, 7, 10)
        pdf = certificates.certificate_pdf(s, cert, kommune="Eksempel Kommune", base_url="http://x.example")
        code = cert.code
    assert pdf.startswith(b"%PDF") and b"DejaVu" in pdf and len(pdf) > 5000
    assert b"/Subtype /Image" in pdf  # QR code pointing at /api/progress/verify/<code>
    with session_scope(db_url) as s:
        v = certificates.verify(s, code.lower().replace("-", " "), today=TODAY)
        assert (v.name, v.module, v.status) == ("Anne Dahl", "opsporing", "udløber snart")
        with pytest.raises(certificates.CertificateError, match="unknown"):
            certificates.verify(s, "AAAA-BBBB-CCCC")
        with pytest.raises(certificates.CertificateError, match="not passed"):
            certificates.ensure_certificate(s, gdpr.get_person(s, "eva@eksempel-kommune.example"), "opsporing", 24)


def test_gdpr_export_delete_keeps_counts_and_purge(db_url, tmp_path):
    _known_dataset(db_url, tmp_path)
    with session_scope(db_url) as s:
        data = gdpr.export_person(s, "per@eksempel-kommune.example")
    assert data["person"]["name"] == "Per Bak" and len(data["completions"]) == 2
    assert data["certificates"][0]["module"] == "opsporing"
    with session_scope(db_url) as s:
        code = s.scalar(select(Certificate.code).join(Person).where(Person.email == "per@eksempel-kommune.example"))
        pid = gdpr.delete_person(s, "per@eksempel-kommune.example", secret=TEST_SECRET)
    with session_scope(db_url) as s:
        person = s.get(Person, pid)
        assert (person.name, person.email, person.status) == (None, None, "slettet")
        assert s.scalar(select(func.count()).where(Completion.person_id == pid)) == 2  # anonymous counts kept
        with pytest.raises(certificates.CertificateError):
            certificates.verify(s, code)
        tables = full_report(load_data(s), TODAY)
        assert tables["maaned"].set_index("Måned").loc["2025-03", "I alt"] == 2
        assert "Per Bak" not in tables["genopfriskning"]["Navn"].tolist()
        assert "per@eksempel-kommune.example" not in staff_frame(s)["email"].tolist()
        actions = [a for (a,) in s.execute(select(AuditEntry.action))]
        assert "person.delete" in actions and "person.export" in actions
        assert not any("per@" in (t or "") for (t,) in s.execute(select(AuditEntry.target)))
        with pytest.raises(gdpr.PersonNotFound):
            gdpr.get_person(s, "per@eksempel-kommune.example")
    # Eva leaves in Feb 2026; with 12 months' retention she is purged after Feb 2027, not before.
    with session_scope(db_url) as s:
        import_roster(s, roster_file(tmp_path, [STAFF[0], STAFF[3]]), now=datetime(2026, 2, 1), secret=TEST_SECRET)
    with session_scope(db_url) as s:
        assert gdpr.purge(s, 12, now=datetime(2026, 12, 1), secret=TEST_SECRET) == []
        ids = gdpr.purge(s, 12, now=datetime(2027, 3, 1), dry_run=True, secret=TEST_SECRET)
        assert len(ids) == 1 and s.get(Person, ids[0]).name == "Eva Kjær"
        assert gdpr.purge(s, 12, now=datetime(2027, 3, 1), secret=TEST_SECRET) == ids
        assert s.get(Person, ids[0]).email is None


def test_on_graded_records_once_and_renews(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("RUSFOKUS_HOME", str(tmp_path))
    first = on_graded(
        "Ny.Medarbejder@eksempel-kommune.example",
        "opsporing",
        8,
        10,
        True,
        datetime(2026, 1, 5, 10),
        db_url=db_url,
        secret=TEST_SECRET,
    )
    again = on_graded(
        "ny.medarbejder@eksempel-kommune.example",
        "opsporing",
        8,
        10,
        True,
        datetime(2026, 1, 5, 10),
        db_url=db_url,
        secret=TEST_SECRET,
    )
    assert first["certificate"] == again["certificate"]
    failed = on_graded(
        "ny.medarbejder@eksempel-kommune.example",
        "bekymringssamtale",
        2,
        10,
        False,
        "2026-01-06T10:00:00",
        db_url=db_url,
        secret=TEST_SECRET,
    )
    assert failed["certificate"] is None
    with session_scope(db_url) as s:
        assert count(s, Completion) == 2 and count(s, Certificate) == 1
        person = gdpr.get_person(s, "ny.medarbejder@eksempel-kommune.example")
        assert person.institution.name == "Ikke på medarbejderlisten"
    with pytest.raises(ValueError, match="not an e-mail"):
        on_graded("nobody", "opsporing", 1, 1, True, datetime(2026, 1, 1), db_url=db_url, secret=TEST_SECRET)


def test_purge_deletes_unmatched_check_ins_30_days_after_the_temadag(db_url, tmp_path):
    """A name and e-mail nobody matched to the staff list (an outsider, a typo) is personal
    data with no purpose once the temadag is over: purge deletes it after 30 days, and keeps
    check-ins of people on the staff list."""
    from datetime import time

    from rusfokus.temadag.models import (
        STATUS_CONFIRMED,
        STATUS_PENDING,
        Temadag,
        TemadagParticipant,
    )

    with session_scope(db_url) as s:
        import_roster(s, roster_file(tmp_path, STAFF[:1]), now=datetime(2026, 1, 1), secret=TEST_SECRET)
    with session_scope(db_url) as s:
        anne = s.scalar(select(Person).where(Person.email == "anne@eksempel-kommune.example"))
        day = Temadag(
            title="Temadag",
            date=date(2026, 3, 2),
            start=time(9),
            duration_min=180,
            place="Aulaen",
            modules="opsporing",
            facilitator="Nøgleperson",
            created_at=datetime(2026, 2, 1),
        )
        s.add(day)
        s.flush()
        s.add_all(
            [
                TemadagParticipant(
                    temadag_id=day.id,
                    person_id=None,
                    name="Udefra Udensen",
                    email="opdigtet@andet.dk",
                    method="kode",
                    checked_in_at=datetime(2026, 3, 2, 9),
                    status=STATUS_PENDING,
                ),
                TemadagParticipant(
                    temadag_id=day.id,
                    person_id=anne.id,
                    name="Anne Dahl",
                    email="anne@eksempel-kommune.example",
                    method="link",
                    checked_in_at=datetime(2026, 3, 2, 9),
                    status=STATUS_CONFIRMED,
                ),
            ]
        )

    def emails(s):
        return sorted(e for (e,) in s.execute(select(TemadagParticipant.email)))

    with session_scope(db_url) as s:
        gdpr.purge(s, 12, now=datetime(2026, 3, 20), secret=TEST_SECRET)  # 18 days after: the facilitator may still act
        assert emails(s) == ["anne@eksempel-kommune.example", "opdigtet@andet.dk"]
        gdpr.purge(s, 12, now=datetime(2026, 4, 10), dry_run=True, secret=TEST_SECRET)
        assert len(emails(s)) == 2
        gdpr.purge(s, 12, now=datetime(2026, 4, 10), secret=TEST_SECRET)
    with session_scope(db_url) as s:
        assert emails(s) == ["anne@eksempel-kommune.example"]
        note = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "purge.run")).all()[-1]
        assert "1 unmatched temadag check-ins deleted" in note


def test_gdpr_export_lists_and_delete_erases_the_pages_read(db_url, tmp_path):
    from rusfokus.progress import journey

    with session_scope(db_url) as s:
        import_roster(s, roster_file(tmp_path, STAFF[:2]), now=datetime(2026, 1, 1), secret=TEST_SECRET)
    with session_scope(db_url) as s:
        for email in ("anne@eksempel-kommune.example", "per@eksempel-kommune.example"):
            pid = s.scalar(select(Person.id).where(Person.email == email))
            s.add(
                journey.PageRead(
                    person_id=pid,
                    page="modules/01-opsporing/tegn",
                    first_seen_at=datetime(2026, 2, 1),
                    last_seen_at=datetime(2026, 2, 1),
                    read_at=datetime(2026, 2, 1),
                )
            )
    with session_scope(db_url) as s:
        data = gdpr.export_person(s, "anne@eksempel-kommune.example")
        assert [p["page"] for p in data["pages_read"]] == ["modules/01-opsporing/tegn"]
        gdpr.delete_person(s, "anne@eksempel-kommune.example", secret=TEST_SECRET)
    with session_scope(db_url) as s:
        left = s.execute(select(Person.email).join(journey.PageRead, journey.PageRead.person_id == Person.id)).all()
        assert left == [("per@eksempel-kommune.example",)]  # only hers erased
