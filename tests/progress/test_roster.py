"""Roster parsing: Danish Excel CSV quirks and .xlsx, strict validation (no database)."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from rusfokus.progress.roster import RosterError, decode_bytes, normalise_header, read_roster

HEADER = "Navn;E-mail;Arbejdssted;Afdeling;Forvaltning;Stilling;Nøgleperson"


def write(tmp_path, name: str, text: str, encoding: str = "utf-8", newline: str = "\r\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def test_cp1252_semicolon_crlf_quoted(tmp_path):
    path = write(
        tmp_path,
        "hr.csv",
        HEADER + "\n"
        "Åse Ørum;ASE.ORUM@Eksempel-Kommune.example ;Børnehuset Æblet;Dagtilbud;Børn og Unge;Pædagog;X\n"
        '"Bo ""Bosse"" Jensen";bo@eksempel-kommune.example;"Skole; Vest";Skoler;Børn og Unge;Lærer;nej\n',
        encoding="cp1252",
    )
    roster = read_roster(path)
    assert roster.problems == []
    first, second = roster.rows
    assert (first.name, first.email, first.institution, first.noegleperson) == (
        "Åse Ørum",
        "ase.orum@eksempel-kommune.example",
        "Børnehuset Æblet",
        True,
    )
    assert (second.name, second.institution, second.noegleperson) == ('Bo "Bosse" Jensen', "Skole; Vest", False)
    assert second.line == 3


def test_utf8_bom_comma_and_header_variants(tmp_path):
    text = (
        "e-mail,NAVN,Institution,Faggruppe,nøgleperson (ja/nej)\n"
        "kim@eksempel-kommune.example,Kim Lund,Jobcenter Eksempelby,Jobkonsulent,JA\n"
        "lis@eksempel-kommune.example,Lis Holm,Jobcenter Eksempelby,Jobkonsulent,\n"
    )
    roster = read_roster(write(tmp_path, "hr.csv", "\ufeff" + text, newline="\n"))
    assert [r.email for r in roster.rows] == ["kim@eksempel-kommune.example", "lis@eksempel-kommune.example"]
    assert [r.noegleperson for r in roster.rows] == [True, False]
    assert roster.rows[0].afdeling == "Ikke angivet" and roster.rows[0].forvaltning == "Ikke angivet"
    assert roster.columns["noegleperson"] == "nøgleperson (ja/nej)"


def test_every_problem_listed_with_line_and_reason(tmp_path):
    path = write(
        tmp_path,
        "hr.csv",
        HEADER + "\n"
        "Anne Dahl;anne@eksempel-kommune.example;Vestskolen;Skoler;Børn og Unge;Lærer;\n"
        ";;;;;;\n"
        "\n"
        "Per Bak;per@;Vestskolen;Skoler;Børn og Unge;Lærer;nej\n"
        "Anne D.;ANNE@eksempel-kommune.example;Vestskolen;Skoler;Børn og Unge;Lærer;\n"
        ";ole@eksempel-kommune.example;;Skoler;Børn og Unge;Lærer;måske\n",
    )
    roster = read_roster(path)
    assert len(roster.rows) == 1
    lines = {p.line: p.reason for p in roster.problems}
    assert set(lines) == {5, 6, 7}
    assert "invalid e-mail 'per@'" in lines[5]
    assert "duplicate e-mail" in lines[6] and "line 2" in lines[6]
    assert "name (Navn) is empty" in lines[7] and "Arbejdssted" in lines[7] and "'måske'" in lines[7]
    assert roster.problems[2].email == "ole@eksempel-kommune.example"  # not marked fratrådt later
    assert roster.problems[0].format("hr.csv").startswith("hr.csv:5: ")


def test_quoted_field_with_line_break_keeps_line_numbers(tmp_path):
    path = write(
        tmp_path,
        "hr.csv",
        HEADER + "\n"
        'Eva Kjær;eva@eksempel-kommune.example;"Familiehuset\nafd. 2";Familie;Børn og Unge;Familiebehandler;\n'
        "Jon Ali;jon@;Familiehuset;Familie;Børn og Unge;Socialrådgiver;\n",
    )
    roster = read_roster(path)
    assert roster.rows[0].institution == "Familiehuset afd. 2"
    assert roster.problems[0].line == 4


def test_title_lines_above_header_and_excel_sep_hint(tmp_path):
    path = write(
        tmp_path,
        "hr.csv",
        "sep=;\nMedarbejderliste pr. 1. november 2026;;;;;;\n;;;;;;\n" + HEADER + "\n"
        "Anne Dahl;anne@eksempel-kommune.example;Vestskolen;Skoler;Børn og Unge;Lærer;\n"
        "Per Bak;per@;Vestskolen;Skoler;Børn og Unge;Lærer;\n",
        encoding="cp1252",
    )
    roster = read_roster(path)
    assert [r.line for r in roster.rows] == [5] and [p.line for p in roster.problems] == [6]
    with pytest.raises(RosterError, match="missing column"):
        read_roster(write(tmp_path, "bad.csv", "".join(f"Titel {i}\n" for i in range(12)) + HEADER + "\n"))


def test_first_and_last_name_columns(tmp_path):
    path = write(
        tmp_path, "hr.csv", "Fornavn;Efternavn;Mail;Arbejdssted\nLis;Holm;lis@eksempel-kommune.example;Ungeindsatsen\n"
    )
    assert read_roster(path).rows[0].name == "Lis Holm"


def test_missing_required_column_is_a_file_error(tmp_path):
    path = write(tmp_path, "hr.csv", "Navn;Telefon\nLis Holm;12345678\n")
    with pytest.raises(RosterError, match="missing column.*E-mail.*Arbejdssted"):
        read_roster(path)


def test_empty_file_and_old_xls(tmp_path):
    with pytest.raises(RosterError, match="empty"):
        read_roster(write(tmp_path, "empty.csv", "\n\n"))
    with pytest.raises(RosterError, match="xls"):
        read_roster(write(tmp_path, "old.xls", "x"))
    with pytest.raises(RosterError, match="not found"):
        read_roster(tmp_path / "nope.csv")


def test_xlsx_with_blank_rows_and_numbers(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Navn", "E-mail", "Arbejdssted", "Stilling", "Nøgleperson"])
    ws.append(["Mia Lund", "mia@eksempel-kommune.example", "Sundhedsplejen Nord", "Sundhedsplejerske", "x"])
    ws.append([None, None, None, None, None])
    ws.append(["Ib Olsen", "ib(at)eksempel-kommune.example", "Sundhedsplejen Nord", "Sundhedsplejerske", None])
    path = tmp_path / "hr.xlsx"
    wb.save(path)
    roster = read_roster(path)
    assert [r.name for r in roster.rows] == ["Mia Lund"] and roster.rows[0].noegleperson
    assert [(p.line, "invalid e-mail" in p.reason) for p in roster.problems] == [(4, True)]


def test_broken_xlsx_is_a_clear_error(tmp_path):
    path = tmp_path / "hr.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RosterError, match="cannot read as .xlsx"):
        read_roster(path)


def test_helpers():
    assert normalise_header(" Nøgleperson ") == "noegleperson"
    assert normalise_header("E-mail") == "email"
    assert decode_bytes("æøå".encode("cp1252")) == "æøå"
    assert decode_bytes(b"\xef\xbb\xbf\xc3\xa6") == "æ"
