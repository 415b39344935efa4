"""Test din viden (issue 13, deliverable 4): the pure logic and the widget, without a server.

Danish dates in Danish local time, the pass mark, draft checking and storage (beside the
attempts, so GDPR erasure takes them too), handed-in answers read back from the attempt
notebook, and the widget's draft saving while she types. Real grading and the HTTP routes
are in test_exercises_web.py; the browser flow is in e2e/test_exercise_app.py.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest

from rusfokus.apps.opgave import (
    NO_IDENTITY,
    ExerciseApp,
    dansk_tid,
    history_html,
    last_hand_in_html,
    pass_mark_html,
)
from rusfokus.exercises.notebook import AnswerError, source_notebook, submission_notebook
from rusfokus.exercises.schema import answer_sheet, load_exercise
from rusfokus.exercises.store import (
    Attempt,
    attempt_answers,
    clean_draft,
    draft_file,
    forget_learner,
    history,
    load_draft,
    pending_attempts,
    save_draft,
)

ROOT = Path(__file__).resolve().parents[2]
EX = load_exercise(ROOT / "modules" / "01-opsporing" / "data" / "opgave.yml")
EMAIL = "ida.noerby@eksempel-kommune.example"
REFL = next(q for q in EX.spoergsmaal if q.type == "refleksion")
MULTI = next(q for q in EX.spoergsmaal if q.multiple)
SINGLE = EX.spoergsmaal[0]


def test_danish_date_in_danish_local_time():
    assert dansk_tid("20261202T091400.000000Z") == "2. december 2026 kl. 10.14"  # winter: UTC+1
    assert dansk_tid("20260701T080500.123456Z") == "1. juli 2026 kl. 10.05"  # summer: UTC+2
    assert dansk_tid(datetime(2026, 3, 29, 0, 59, tzinfo=UTC)) == "29. marts 2026 kl. 01.59"
    assert dansk_tid(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == "29. marts 2026 kl. 03.00"


def test_pass_mark_and_last_hand_in_lines():
    assert "Du skal have mindst 70 % rigtige for at bestå." in pass_mark_html(EX)
    assert "refleksion tæller ikke med" in pass_mark_html(EX)
    assert last_hand_in_html([]) == ""
    rows = [
        {"stamp": "20261201T120000.000000Z", "afventer": False, "fejlet": False, "pct": 50.0, "bestaaet": False},
        {"stamp": "20261202T091400.000000Z", "afventer": False, "fejlet": False, "pct": 83.3, "bestaaet": True},
    ]
    assert "Sidst afleveret 2. december 2026 kl. 10.14 – 83,3 % – bestået." in last_hand_in_html(rows)
    pending = rows + [
        {"stamp": "20261202T100000.000000Z", "afventer": True, "fejlet": False, "pct": None, "bestaaet": None}
    ]
    assert "Sidst afleveret 2. december 2026 kl. 11.00 – bliver rettet." in last_hand_in_html(pending)
    listed = history_html(rows)
    assert "1. december 2026 kl. 13.00: 50 % – ikke bestået" in listed and "(UTC)" not in listed


def test_clean_draft_accepts_half_answers_and_refuses_what_does_not_fit():
    assert clean_draft(EX, {}) == {}
    ok = clean_draft(EX, {SINGLE.id: None, MULTI.id: [MULTI.valg[1].id, MULTI.valg[0].id], REFL.id: "Jeg"})
    assert ok == {SINGLE.id: None, MULTI.id: sorted([MULTI.valg[1].id, MULTI.valg[0].id]), REFL.id: "Jeg"}
    assert clean_draft(EX, {REFL.id: "x" * (REFL.max_tegn + 10)})  # over the limit while writing: kept
    bad = [
        {"ukendt": "a"},
        {SINGLE.id: "zz"},
        {SINGLE.id: ["a"]},
        {MULTI.id: ["a", "a"]},
        {MULTI.id: "a"},
        {REFL.id: "x" * (2 * REFL.max_tegn + 1)},
        {REFL.id: "nul\x00tegn"},
        {REFL.id: 5},
        ["a"],
        None,
    ]
    for raw in bad:
        with pytest.raises(AnswerError) as exc:
            clean_draft(EX, raw)
        assert str(exc.value)  # a Danish message for the learner


def test_draft_is_stored_beside_the_attempts_and_never_seen_as_one(tmp_path):
    saved = save_draft(tmp_path, EMAIL, EX, {SINGLE.id: SINGLE.valg[1].id, REFL.id: "Kladde"})
    path = draft_file(tmp_path, EMAIL, EX.id)
    assert path.parent == Attempt(tmp_path, EMAIL, EX.id, "x").folder
    assert json.loads(path.read_text(encoding="utf-8"))["svar"] == saved["svar"]
    assert load_draft(tmp_path, EMAIL, EX) == {"svar": saved["svar"], "gemt": saved["gemt"]}
    assert load_draft(tmp_path, "en.anden@eksempel-kommune.example", EX) is None
    # grading and the attempt list never see a draft
    assert history(tmp_path, EMAIL, EX.id) == [] and pending_attempts(tmp_path) == []
    with pytest.raises(AnswerError):
        save_draft(tmp_path, EMAIL, EX, {SINGLE.id: "zz"})
    assert load_draft(tmp_path, EMAIL, EX)["svar"] == saved["svar"]  # a refused draft leaves the old one
    # an answer that no longer fits (the exercise changed) is dropped, the rest kept
    data = json.loads(path.read_text(encoding="utf-8"))
    data["svar"]["fjernet-spoergsmaal"] = "a"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_draft(tmp_path, EMAIL, EX)["svar"] == saved["svar"]
    path.write_text("{ikke json", encoding="utf-8")
    assert load_draft(tmp_path, EMAIL, EX) is None
    # GDPR erasure of the learner takes her drafts too
    save_draft(tmp_path, EMAIL, EX, {SINGLE.id: None})
    forget_learner(tmp_path, EMAIL)
    assert not path.exists()


def test_handed_in_answers_read_back_from_the_attempt_notebook(tmp_path):
    answers = answer_sheet(EX, False, "Første linje.\nAnden linje med 'citat' og \"æøå\".")
    nb = submission_notebook(source_notebook(EX), EX, answers)
    attempt = Attempt(tmp_path, EMAIL, EX.id, "20261202T091400.000000Z")
    attempt.folder.mkdir(parents=True)
    attempt.notebook.write_text(nbformat.writes(nb), encoding="utf-8")
    back = attempt_answers(attempt, EX)
    assert back == {k: sorted(v) if isinstance(v, list) else v for k, v in answers.items()}
    # a tampered cell is not run and not read
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == SINGLE.answer_id:
            cell.source = "import os\nsvar_x = os.getcwd()"
    attempt.notebook.write_text(nbformat.writes(nb), encoding="utf-8")
    assert SINGLE.id not in attempt_answers(attempt, EX)
    assert attempt_answers(Attempt(tmp_path, EMAIL, EX.id, "findes-ikke"), EX) == {}


def test_widget_saves_choices_at_once_and_text_when_she_pauses():
    saved, lock = [], threading.Lock()

    def save(answers):
        with lock:
            saved.append(dict(answers))
        return 200, {"status": "gemt", "gemt": "2026-12-02T09:14:00+00:00"}

    app = ExerciseApp(EX, lambda a: (500, {}), save_draft=save, draft_delay=0.3)
    box = app.boxes[0]
    box.radio.value = SINGLE.valg[2].id
    assert saved[-1][SINGLE.id] == SINGLE.valg[2].id
    assert "gemt som kladde 2. december 2026 kl. 10.14" in app.draft_note.value
    refl = next(b for b in app.boxes if b.q.type == "refleksion")
    n = len(saved)
    for text in ("J", "Je", "Jeg", "Jeg t", "Jeg taler"):
        refl.text.value = text
    assert len(saved) == n  # typing: not one call per key
    deadline = time.monotonic() + 5
    while len(saved) == n and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.4)
    assert len(saved) == n + 1 and saved[-1][REFL.id] == "Jeg taler"


def test_widget_restores_a_draft_without_saving_it_again_and_says_when_saving_fails():
    calls = []
    draft = {
        "svar": {SINGLE.id: SINGLE.valg[1].id, MULTI.id: [MULTI.valg[0].id], REFL.id: "Gemt tekst"},
        "gemt": "2026-12-02T09:14:00+00:00",
    }
    app = ExerciseApp(EX, None, save_draft=lambda a: calls.append(a) or (0, {"fejl": "x"}), draft=draft, draft_delay=0)
    assert calls == []
    assert app.boxes[0].answer() == SINGLE.valg[1].id
    assert next(b for b in app.boxes if b.q.multiple).answer() == [MULTI.valg[0].id]
    assert next(b for b in app.boxes if b.q.type == "refleksion").answer() == "Gemt tekst"
    assert "kl. 10.14" in app.draft_note.value
    app.boxes[0].radio.value = SINGLE.valg[0].id
    assert len(calls) == 1 and "kunne ikke gemmes som kladde" in app.draft_note.value
    assert all(b.feedback.value == "" for b in app.boxes)


def test_without_identity_nothing_is_saved_and_she_is_told_first():
    app = ExerciseApp(EX, None, identity_error=NO_IDENTITY)
    root = app.children[0].children
    assert root.index(app.notice) < root.index(app.info) < root.index(app.boxes[0])
    assert "Du er ikke logget ind med dit personlige link" in app.notice.value and app.button.disabled
    app.boxes[0].radio.value = SINGLE.valg[0].id  # no save function: nothing happens, no error
    assert app.draft_note.value == ""
