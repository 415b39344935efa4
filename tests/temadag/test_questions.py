"""Temadag live questions in the one multiple-choice format (valg/korrekt), and answers stored before the change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rusfokus.content import temadag_file
from rusfokus.content.loader import ContentError
from rusfokus.content.registry import module_ids
from rusfokus.db import session_scope
from rusfokus.migrations import upgrade
from rusfokus.temadag import planning, store
from rusfokus.temadag.live import LiveSession
from rusfokus.temadag.models import TemadagLiveAnswer, TemadagParticipant
from rusfokus.temadag.questions import check, load_question_set, questions_for

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "modules"
NOW = dt.datetime(2027, 3, 11, 9, 5)


@pytest.mark.parametrize("module", module_ids())
def test_every_modules_temadag_questions_load_in_the_new_format(module):
    path = temadag_file(module, CONTENT)
    modul, title, questions = load_question_set(path, module)
    assert modul == module and title and len(questions) >= 3
    for q in questions:
        assert len(q.option_ids) == len(q.options) >= 2
        assert all(0 <= c < len(q.options) for c in q.correct)
    text = path.read_text(encoding="utf-8")
    assert "svar:" not in text and "rigtige:" not in text


def test_check_covers_every_module():
    ok, problems = check(CONTENT)
    assert problems == [] and len(ok) == len(module_ids())


def test_old_svar_rigtige_format_gets_an_error_naming_the_new_fields(tmp_path):
    old = tmp_path / "temadag.yml"
    old.write_text(
        "modul: opsporing\ntitel: T\nspoergsmaal:\n  - id: a\n    case: ''\n    spoergsmaal: S?\n"
        "    svar: [ja, nej]\n    rigtige: [1]\n    forklaring: F\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as exc:
        load_question_set(old)
    lines = str(exc.value).splitlines()
    assert lines == [
        f"{old}:6: spoergsmaal[1].spoergsmaal: old format: write 'tekst' instead of 'spoergsmaal' "
        "(valg: [{id, tekst}], korrekt: [ids]; see modules/README.md)",
        f"{old}:7: spoergsmaal[1].svar: old format: write 'valg' instead of 'svar' "
        "(valg: [{id, tekst}], korrekt: [ids]; see modules/README.md)",
        f"{old}:8: spoergsmaal[1].rigtige: old format: write 'korrekt' instead of 'rigtige' "
        "(valg: [{id, tekst}], korrekt: [ids]; see modules/README.md)",
    ]


@pytest.mark.parametrize(
    "edit,field,message",
    [
        ("    korrekt: [b]\n", "korrekt", "'b' is not one of the options (a, c)"),
        ("    korrekt: b\n", "korrekt", "must be a list of option ids"),
        ("    korrekt: [a, a]\n", "korrekt", "an option id is listed twice"),
    ],
)
def test_bad_korrekt_is_named_with_line(tmp_path, edit, field, message):
    path = tmp_path / "temadag.yml"
    path.write_text(
        "modul: opsporing\ntitel: T\nspoergsmaal:\n  - id: a\n    case: ''\n    tekst: S?\n"
        "    valg: [{id: a, tekst: ja}, {id: c, tekst: nej}]\n" + edit + "    forklaring: F\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as exc:
        load_question_set(path)
    assert str(exc.value).startswith(f"{path}:8: spoergsmaal[1].{field}: {message}")


def test_a_file_must_name_its_folders_module(tmp_path):
    path = tmp_path / "temadag.yml"
    path.write_text(temadag_file("opsporing", CONTENT).read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(
        ContentError,
        match=r"temadag\.yml:\d+: modul: is 'opsporing' but the file is in the folder "
        r"of module 'dobbeltdiagnose'",
    ):
        load_question_set(path, "dobbeltdiagnose")


def test_answers_stored_before_the_format_change_keep_their_option(tmp_path):
    """A running temadag's rows hold the option's 0-based position (the old ``svar`` list); the conversion
    kept ids and order, so a restart after the upgrade counts each answer for the same option text."""
    url = f"sqlite:///{tmp_path / 'rusfokus.db'}"
    upgrade(url)
    raw = {
        "title": "T",
        "date": "2027-03-11",
        "start": "09:00",
        "duration_min": "180",
        "place": "R",
        "modules": "opsporing",
        "facilitator": "Pia",
        "institutions": "",
        "counts_toward_module": "nej",
    }
    with session_scope(url) as s:
        row = store.create(s, planning.validate_plan(raw), "admin", NOW)
        tid = row.id
        people = []
        for name in ("Mette", "Ali", "Jens"):
            p = TemadagParticipant(
                temadag_id=tid,
                name=name,
                email=f"{name.lower()}@eksempel.dk",
                method="kode",
                checked_in_at=NOW,
            )
            s.add(p)
            s.flush()
            people.append(p.id)
        live = LiveSession(questions_for(["opsporing"], CONTENT))
        live.goto(1)
        store.save_live(s, tid, live, NOW)
        # rows as the old code wrote them: option 1 = the old svar[1] of 'hentning'; 7 = an option that is gone
        for pid, option in zip(people, (1, 1, 7), strict=True):
            s.add(
                TemadagLiveAnswer(
                    temadag_id=tid,
                    question_id="opsporing.hentning",
                    participant_id=pid,
                    option=option,
                )
            )
    with session_scope(url) as s:
        fresh = store.restore_live(s, tid, LiveSession(questions_for(["opsporing"], CONTENT)))
    q = fresh.current
    assert q.id == "opsporing.hentning" and fresh.phase == "spoerg"
    counts = fresh.counts(q.id)
    assert counts == [0, 2, 0]  # the out-of-range row is dropped, not miscounted
    chosen = counts.index(2)
    assert q.option_ids[chosen] == "b"
    assert q.options[chosen] == "Lugten af alkohol, at han virker påvirket, og at andre ofte henter Sofie."
    assert chosen in q.correct
