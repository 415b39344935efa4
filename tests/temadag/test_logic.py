"""Pure temadag logic: check-in codes, live session, evaluation, planning, exports."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from rusfokus.content.loader import DataFileError
from rusfokus.temadag import codes, evaluation, planning
from rusfokus.temadag.live import LiveError, LiveQuestion, LiveSession
from rusfokus.temadag.questions import MODULES, load_question_set, questions_for

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

KEY = b"k" * 32
T0 = 1_800_000_000.0  # a fixed moment; window boundaries are multiples of 300 s


# --- codes -------------------------------------------------------------------
def test_code_is_six_readable_characters_and_depends_on_key_id_and_window():
    c = codes.current_code(KEY, 7, T0)
    assert len(c.code) == 6 and set(c.code) <= set(codes.ALPHABET)
    assert c.code != codes.short_code(KEY, 8, c.window)
    assert c.code != codes.short_code(b"other" * 8, 7, c.window)
    assert c.code != codes.short_code(KEY, 7, c.window + 1)
    assert c.accepted_until - c.shown_until == codes.GRACE_SECONDS


def test_current_code_accepted_and_normalised():
    c = codes.current_code(KEY, 7, T0)
    typed = f" {c.code[:3].lower()}-{c.code[3:]} "
    assert codes.check_code(KEY, [3, 7], typed, T0 + 10) == codes.CodeCheck("ok", 7)


def test_code_from_previous_window_accepted_only_within_grace():
    c = codes.current_code(KEY, 7, T0)
    just_after = c.shown_until + codes.GRACE_SECONDS - 1
    assert codes.check_code(KEY, [7], c.code, just_after).status == "ok"
    assert codes.check_code(KEY, [7], c.code, c.accepted_until + 1) == codes.CodeCheck("expired", 7)


def test_old_photo_is_expired_and_garbage_is_invalid():
    c = codes.current_code(KEY, 7, T0)
    assert codes.check_code(KEY, [7], c.code, T0 + 3600).status == "expired"
    assert codes.check_code(KEY, [7], c.code, T0 + 86400).status == "invalid"
    assert codes.check_code(KEY, [7], "ABC", T0).status == "invalid"
    assert codes.check_code(KEY, [7], "", T0).status == "invalid"
    assert codes.check_code(KEY, [], c.code, T0).status == "invalid"


def test_empty_key_refused():
    with pytest.raises(ValueError):
        codes.short_code(b"", 1, 1)


def test_qr_svg_is_inline_svg():
    svg = codes.qr_svg("http://example.invalid/temadag/ind?kode=ABCDEF")
    assert svg.startswith("<svg") and "<path" in svg


# --- live ----------------------------------------------------------------------
def _session():
    return LiveSession(
        [
            LiveQuestion("a", "", "Spørgsmål A?", ("ja", "nej", "ved ikke"), (0,), "Forklaring A"),
            LiveQuestion("b", "Case B", "Spørgsmål B?", ("x", "y"), (), "Forklaring B"),
        ]
    )


def test_live_flow_counts_and_hides_key_until_reveal():
    s = _session()
    assert s.projector_view()["phase"] == "venter"
    with pytest.raises(LiveError):
        s.answer("p1", "a", 0)
    s.act("start")
    for p, opt in (("p1", 0), ("p2", 1), ("p3", 1)):
        s.answer(p, "a", opt)
    s.answer("p1", "a", 2)  # changing an answer moves it, does not add one
    view = s.projector_view()
    assert view["counts"] == [0, 2, 1] and view["answered"] == 3
    assert "correct" not in view["question"] and "explanation" not in view["question"]
    pv = s.participant_view("p2")
    assert pv["my_answer"] == 1 and "counts" not in pv and "correct" not in pv["question"]
    s.act("vis")
    assert s.projector_view()["question"]["correct"] == [0]
    assert s.participant_view("p2")["question"]["explanation"] == "Forklaring A"
    with pytest.raises(LiveError, match="ikke åbent"):
        s.answer("p4", "a", 0)
    s.act("naeste")
    assert s.current.id == "b" and s.phase == "spoerg"
    with pytest.raises(LiveError, match="skiftet"):
        s.answer("p1", "a", 0)
    with pytest.raises(LiveError, match="Vælg"):
        s.answer("p1", "b", 5)
    with pytest.raises(LiveError, match="Vælg"):
        s.answer("p1", "b", "x")
    s.act("naeste")
    assert s.phase == "slut" and "question" not in s.projector_view()


def test_live_versions_wake_only_the_right_clients():
    s = _session()
    s.act("start")
    v, av = s.version, s.answers_version
    s.answer("p1", "a", 0)
    assert s.version == v and s.answers_version == av + 1
    s.answer("p1", "a", 0)  # same answer again: nothing changed
    assert s.answers_version == av + 1
    s.act("vis")
    assert s.version == v + 1


def test_live_rejects_unknown_action_and_duplicate_ids():
    with pytest.raises(LiveError):
        _session().act("slet")
    q = LiveQuestion("a", "", "?", ("1", "2"), (), "x")
    with pytest.raises(ValueError):
        LiveSession([q, q])
    with pytest.raises(ValueError):
        LiveSession([])


# --- question files -------------------------------------------------------------
def test_all_module_question_sets_load():
    for module in MODULES:
        qs = questions_for([module], TEST_CONTENT)
        assert len(qs) >= 4
        assert all(q.id.startswith(module + ".") for q in qs)


def test_question_files_use_only_current_facts():
    text = " ".join(
        f"{q.case} {q.question} {' '.join(q.options)} {q.explanation}"
        for q in questions_for(list(MODULES), TEST_CONTENT)
    )
    assert "122.000" not in text and "14/21" not in text
    # the old figures may appear only as an explicitly wrong/historic option
    assert "§ 153" not in text.replace("serviceloven § 153", "").replace("Serviceloven § 153", "")


def test_bad_question_file_names_file_line_and_field(tmp_path):
    bad = tmp_path / "temadag.yml"
    bad.write_text(
        "modul: opsporing\ntitel: T\nspoergsmaal:\n  - id: a\n    case: ''\n    tekst: S?\n"
        "    valg: [{id: a, tekst: ja}, {id: b, tekst: nej}]\n    korrekt: [c]\n    forklaring: F\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as exc:
        load_question_set(bad)
    assert str(exc.value) == f"{bad}:8: spoergsmaal[1].korrekt: 'c' is not one of the options (a, b)"
    with pytest.raises(DataFileError, match="no live questions for module 'opsporing'"):
        questions_for(["opsporing"], tmp_path / "nowhere")


# --- evaluation --------------------------------------------------------------------
def test_evaluation_parse_and_summary():
    form = {key: "4" for key, _ in evaluation.QUESTIONS}
    a = evaluation.parse_form({**form, "fritekst": "  Gode cases  "})
    b = evaluation.parse_form({**form, "relevant": "2"})
    summary = evaluation.summarise([a, b])
    first = summary["questions"][0]
    assert summary["count"] == 2 and first["mean"] == 3.0 and first["distribution"] == [0, 1, 0, 1, 0]
    assert summary["comments"] == ["Gode cases"]
    with pytest.raises(evaluation.EvaluationError, match="1 til 5"):
        evaluation.parse_form({**form, "tegn": "6"})
    with pytest.raises(evaluation.EvaluationError, match="for lang"):
        evaluation.parse_form({**form, "fritekst": "x" * 3000})
    assert evaluation.summarise([])["questions"][0]["mean"] is None


# --- planning -------------------------------------------------------------------------
RAW = {
    "title": "Temadag: børn og alkohol",
    "date": "2027-03-11",
    "start": "09:00",
    "duration_min": "180",
    "place": "Rådhuset, mødesal 2",
    "modules": "opsporing, bekymringssamtale",
    "facilitator": "Pia Nøgleperson",
    "institutions": "Børnehuset Solsikken; Vestskolen",
    "counts_toward_module": "ja",
}


def test_validate_plan_ok():
    p = planning.validate_plan(RAW)
    assert p.modules == ("opsporing", "bekymringssamtale")
    assert p.institutions == ("Børnehuset Solsikken", "Vestskolen")
    assert p.counts_toward_module is True and p.end == dt.datetime(2027, 3, 11, 12, 0)


@pytest.mark.parametrize(
    "field,value,danish",
    [
        ("title", " ", "titel"),
        ("date", "11/3/2027", "ÅÅÅÅ-MM-DD"),
        ("duration_min", "60", "45 minutter"),
        ("modules", "opsporing, kemi", "moduler"),
        ("place", "", "hvor"),
        ("facilitator", "", "navnet"),
        ("facilitator_email", "ikke en mail", "e-mail"),
        ("start", "9", "TT:MM"),
    ],
)
def test_validate_plan_errors(field, value, danish):
    with pytest.raises(planning.PlanningError) as err:
        planning.validate_plan({**RAW, field: value})
    assert err.value.field == field and danish in err.value.danish


def test_aarshjul_groups_by_month_with_status():
    a = planning.validate_plan(RAW)
    b = planning.validate_plan({**RAW, "date": "2027-09-02", "title": "Efterår"})
    c = planning.validate_plan({**RAW, "date": "2028-01-05"})
    months = planning.aarshjul([b, a, c], 2027, today=dt.date(2027, 5, 1))
    assert [m["name"] for m in months][:3] == ["januar", "februar", "marts"]
    assert [i["status"] for i in months[2]["items"]] == ["afholdt"]
    assert [i["status"] for i in months[8]["items"]] == ["planlagt"]
    assert sum(len(m["items"]) for m in months) == 2


def test_export_xlsx_roundtrip():
    from openpyxl import load_workbook

    data = planning.export_xlsx([planning.validate_plan(RAW)], dt.date(2027, 1, 1))
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value == "Dato" and ws["D2"].value == "Temadag: børn og alkohol"
    assert ws["E2"].value == "Opsporing, Bekymringssamtalen" and ws["J2"].value == "planlagt"
    assert load_workbook(io.BytesIO(data)).sheetnames == ["Årshjul"]
    from dataclasses import replace

    plan = replace(planning.validate_plan(RAW), id=3, evaluations=2)
    form = {key: "4" for key, _ in evaluation.QUESTIONS}
    summary = evaluation.summarise(
        [evaluation.parse_form({**form, "fritekst": "Godt"}), evaluation.parse_form({**form, "relevant": "2"})]
    )
    wb = load_workbook(io.BytesIO(planning.export_xlsx([plan], dt.date(2027, 1, 1), {3: summary})))
    ev = wb["Evaluering"]
    assert ev["C2"].value == 2 and ev["D2"].value == 3.0 and ev["E2"].value == 4.0 and ev["I2"].value == "Godt"


def test_export_ics_is_valid_rfc5545():
    from dataclasses import replace

    p = replace(planning.validate_plan({**RAW, "title": "Temadag; børn, alkohol og " + "lang titel " * 8}), id=5)
    ics = planning.export_ics([p], "rusfokus.example", dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC))
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and ics.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = ics.replace("\r\n ", "")
    assert "DTSTART;TZID=Europe/Copenhagen:20270311T090000" in unfolded
    assert "DTEND;TZID=Europe/Copenhagen:20270311T120000" in unfolded
    assert "SUMMARY:Temadag\\; børn\\, alkohol" in unfolded and "UID:temadag-5@rusfokus.example" in unfolded
