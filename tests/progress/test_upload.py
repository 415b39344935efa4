"""Staff import preview ("X nye, Y ændrede, Z markeres fratrådt") and the partial-list mode,
on a real SQLite database: the preview writes nothing and its counts match what the import then does."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest
from sqlalchemy import func, select

from rusfokus.db import session_scope
from rusfokus.migrations import upgrade
from rusfokus.progress.models import STATUS_ACTIVE, STATUS_LEFT, AuditEntry, Person
from rusfokus.progress.roster import Roster, RosterRow
from rusfokus.progress.staff import ImportRefused, import_roster, preview_import

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def row(n: int, name: str | None = None, inst: str = "Vestskolen", nk: bool = False, fag: str = "Lærer") -> RosterRow:
    return RosterRow(
        line=n + 1,
        email=f"p{n}@eksempel-kommune.example",
        name=name or f"Person {n}",
        institution=inst,
        afdeling="Skoler",
        forvaltning="Børn og Unge",
        faggruppe=fag,
        noegleperson=nk,
    )


@pytest.fixture
def db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'rf.db'}"
    upgrade(url)
    with session_scope(url) as s:
        import_roster(s, Roster(rows=[row(i) for i in range(6)]), now=datetime(2026, 1, 1), secret=TEST_SECRET)
    return url


def _statuses(url) -> dict[str, str]:
    with session_scope(url) as s:
        return {p.email: p.status for p in s.scalars(select(Person))}


def test_preview_counts_match_the_import_and_write_nothing(db_url):
    with session_scope(db_url) as s:  # p5 left earlier, comes back now
        s.scalar(select(Person).where(Person.email == "p5@eksempel-kommune.example")).status = STATUS_LEFT
    new_list = Roster(
        rows=[
            row(0),
            row(1, name="Person Et Nyt Navn"),
            row(2, inst="Østskolen"),
            row(3, nk=True),
            row(5),
            row(7),
            row(8),
        ]
    )
    before = _statuses(db_url)
    with session_scope(db_url) as s:
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
        preview = preview_import(s, new_list)
    assert _statuses(db_url) == before  # nothing written
    assert preview.new == ["p7@eksempel-kommune.example", "p8@eksempel-kommune.example"]
    assert preview.changed == {
        "p1@eksempel-kommune.example": ["name"],
        "p2@eksempel-kommune.example": ["institution"],
        "p3@eksempel-kommune.example": ["noegleperson"],
    }
    assert preview.reactivated == ["p5@eksempel-kommune.example"]
    assert preview.leaving == ["p4@eksempel-kommune.example"]
    assert preview.unchanged == 1
    assert preview.summary_da() == "2 nye, 3 ændrede, 1 markeres fratrådt (1 kommer tilbage, 1 uændrede)"
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits
        result = import_roster(s, new_list, secret=TEST_SECRET)
    assert (result.created, result.updated, result.reactivated, result.left, result.unchanged) == (2, 3, 1, 1, 1)
    assert _statuses(db_url)["p4@eksempel-kommune.example"] == STATUS_LEFT
    with session_scope(db_url) as s:  # after the import, the same list changes nothing
        again = preview_import(s, new_list)
    assert (again.new, again.changed, again.leaving, again.unchanged) == ([], {}, [], 7)


def test_only_add_update_marks_nobody_fratraadt(db_url):
    partial = Roster(rows=[row(1, name="Person Et Nyt Navn"), row(9)])
    with session_scope(db_url) as s:
        preview = preview_import(s, partial, only_add_update=True)
        full = preview_import(s, partial)
    assert preview.summary_da().startswith("1 nye, 1 ændrede, 0 markeres fratrådt")
    assert len(full.leaving) == 5  # the default mode would mark everyone else fratrådt
    with session_scope(db_url) as s:
        result = import_roster(s, partial, only_add_update=True, actor="admin:test", secret=TEST_SECRET)
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (result.created, result.updated, result.left) == (1, 1, 0)
    assert "only add and update" in entry.detail
    statuses = _statuses(db_url)
    assert all(status == STATUS_ACTIVE for status in statuses.values()) and len(statuses) == 7


def test_empty_list_is_still_refused_in_both_modes(db_url):
    with session_scope(db_url) as s:
        for mode in (False, True):
            with pytest.raises(ImportRefused):
                import_roster(s, Roster(rows=[]), only_add_update=mode, secret=TEST_SECRET)


def _cli(home, *args):
    env = {"RUSFOKUS_HOME": str(home), "RUSFOKUS_ROOT": str(ROOT), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "rusfokus.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.slow  # the rusfokus CLI several times as subprocesses
def test_cli_dry_run_and_only_add_update(tmp_path):
    home = tmp_path / "home"
    header = "Navn;E-mail;Arbejdssted;Afdeling;Forvaltning;Stilling;Nøgleperson\r\n"
    full = tmp_path / "fuld.csv"
    full.write_text(
        header
        + "".join(
            f"Person {i};p{i}@eksempel-kommune.example;Vestskolen;Skoler;Børn og Unge;Lærer;\r\n" for i in range(4)
        ),
        encoding="utf-8",
    )
    partial = tmp_path / "ny.csv"
    partial.write_text(
        header + "Nina Ny;nina@eksempel-kommune.example;Vestskolen;Skoler;Børn og Unge;Lærer;\r\n", encoding="utf-8"
    )
    assert _cli(home, "staff", "import", str(full)).returncode == 0
    dry = _cli(home, "staff", "import", str(partial), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and "1 new" in dry.stdout and "4 to be marked fratrådt" in dry.stdout
    assert "p0@eksempel-kommune.example" in dry.stdout  # who would be marked fratrådt
    listed = _cli(home, "staff", "list", "--format", "csv").stdout
    assert "nina@" not in listed and "fratrådt" not in listed  # the dry run wrote nothing
    done = _cli(home, "staff", "import", str(partial), "--only-add-update")
    assert done.returncode == 0, done.stderr
    assert "1 created" in done.stdout and "0 marked fratrådt" in done.stdout
    listed = _cli(home, "staff", "list", "--format", "csv").stdout
    assert "nina@" in listed and "fratrådt" not in listed


def _upload_value(name: str, content: bytes):
    return (
        {
            "name": name,
            "type": "text/csv",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime(2026, 11, 1),
        },
    )


def test_dashboard_upload_previews_then_imports_only_on_confirmation(db_url):
    from rusfokus.progress.upload import RosterUpload

    done = []
    widget = RosterUpload(db_url, "admin:test", on_done=lambda: done.append(1), secret=TEST_SECRET)
    header = "Navn;E-mail;Arbejdssted;Afdeling;Forvaltning;Stilling;Nøgleperson\r\n"
    csv = (
        header + "Person 1;p1@eksempel-kommune.example;Vestskolen;Skoler;Børn og Unge;Lærer;Ja\r\n"
        "Ny <i>Kollega</i>;ny@eksempel-kommune.example;Vestskolen;Skoler;Børn og Unge;Lærer;\r\n"
    ).encode()
    widget.file.value = _upload_value("hr.csv", csv)
    assert widget.confirm.layout.display == "none"
    widget.button.click()
    text = widget.result.value
    assert "Hvis du importerer: 1 nye, 1 ændrede, 5 markeres fratrådt" in text
    assert "Person 5 (p5@eksempel-kommune.example)" in text and "Intet er ændret endnu" in text
    assert widget.confirm.layout.display is None
    assert set(_statuses(db_url).values()) == {STATUS_ACTIVE} and len(_statuses(db_url)) == 6  # nothing written
    widget.cancel.click()
    assert "fortrudt" in widget.result.value and widget.confirm.layout.display == "none"
    assert len(_statuses(db_url)) == 6 and done == []
    widget.only.value = True  # a partial list: nobody fratrådt
    widget.button.click()
    assert "1 nye, 1 ændrede, 0 markeres fratrådt" in widget.result.value
    widget.skip.value = True  # changing a choice after the preview asks for a new preview
    assert widget.confirm.layout.display == "none" and "Vis ændringer igen" in widget.result.value
    widget.confirm.click()
    assert len(_statuses(db_url)) == 6
    widget.button.click()
    widget.confirm.click()
    assert "2 medarbejdere importeret: 1 nye, 1 opdaterede" in widget.result.value
    assert "0 markeret som fratrådt" in widget.result.value and done == [1]
    statuses = _statuses(db_url)
    assert len(statuses) == 7 and set(statuses.values()) == {STATUS_ACTIVE}
    with session_scope(db_url) as s:
        assert s.scalar(select(Person.name).where(Person.email == "ny@eksempel-kommune.example")) == "Ny <i>Kollega</i>"
