"""`rusfokus temadag ...` end to end through rusfokus.cli.main on a temporary SQLite database."""

from __future__ import annotations

from openpyxl import load_workbook

from rusfokus.cli import main


def test_create_list_export_and_errors(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    rc = main(
        [
            "temadag",
            "create",
            "--db",
            db,
            "--title",
            "Børn og alkohol",
            "--date",
            "2027-03-11",
            "--place",
            "Rådhuset",
            "--modules",
            "opsporing,bekymringssamtale",
            "--facilitator",
            "Pia",
            "--institutions",
            "Vestskolen; Børnehuset Solsikken",
            "--counts-toward-module",
        ]
    )
    assert rc == 0 and "created temadag #1" in capsys.readouterr().out
    rc = main(
        [
            "temadag",
            "create",
            "--db",
            db,
            "--title",
            "X",
            "--date",
            "11-03-2027",
            "--place",
            "R",
            "--modules",
            "opsporing",
            "--facilitator",
            "P",
        ]
    )
    assert rc == 2 and "date must be YYYY-MM-DD" in capsys.readouterr().err
    rc = main(
        [
            "temadag",
            "create",
            "--db",
            db,
            "--title",
            "X",
            "--date",
            "2027-03-11",
            "--place",
            "R",
            "--modules",
            "kemi",
            "--facilitator",
            "P",
        ]
    )
    assert rc == 2 and "unknown module" in capsys.readouterr().err
    assert main(["temadag", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Børn og alkohol" in out and "[opsporing, bekymringssamtale]" in out and out.count("#") == 1
    xlsx = tmp_path / "aarshjul.xlsx"
    assert main(["temadag", "export", "--db", db, str(xlsx), "--year", "2027"]) == 0
    ws = load_workbook(xlsx).active
    assert ws["D2"].value == "Børn og alkohol" and ws["H2"].value == "Vestskolen, Børnehuset Solsikken"
    ics = tmp_path / "aarshjul.ics"
    assert main(["temadag", "export", "--db", db, str(ics)]) == 0
    assert "SUMMARY:Børn og alkohol" in ics.read_text(encoding="utf-8")
    assert main(["temadag", "export", "--db", db, str(tmp_path / "x.pdf")]) == 2
    assert not (tmp_path / "x.pdf").exists()
    assert main(["temadag", "evaluation", "--db", db, "7"]) == 2
    assert "no temadag #7" in capsys.readouterr().err
    assert main(["temadag", "delete", "--db", db, "1"]) == 0
    assert "deleted temadag #1" in capsys.readouterr().out
    assert main(["temadag", "list", "--db", db]) == 0 and "no temadage" in capsys.readouterr().out
