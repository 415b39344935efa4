"""Issue 17: child safety beats coaching, and what a learner types is never stored or logged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rusfokus.apps.mi_coach import build_app, render_feedback
from rusfokus.content import mi_file
from rusfokus.content.loader import DataFileError
from rusfokus.mi.coach import (
    CHILD_NOTES,
    ROUND_SIZE,
    UNDERRETNING_STEP,
    CoachRound,
    default_items,
    feedback,
    load_items,
    mentions_child,
    mentions_child_and_substance,
)
from rusfokus.migrations import upgrade

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

# One answer of each kind a learner might give, including the ones the coach praises.
ANSWERS_OF_EVERY_CODE = {
    "righting_reflex": "Du skal stoppe med det samme.",
    "open_question": "Hvad tænker du selv om det?",
    "closed_question": "Sker det tit?",
    "simple_reflection": "Det sker tit.",
    "complex_reflection": "Du er bange for, hvad der sker, og samtidig vil du gerne gøre det rigtige.",
    "affirmation": "Det er modigt af dig at sige det.",
    "autonomy_support": "Må jeg fortælle dig lidt om det?",
    "information": "Det er ikke din skyld. Det er de voksnes opgave at løse det.",
}


def test_every_child_related_statement_is_flagged():
    """A statement that names a child and alcohol or drugs is flagged, except the few documented as 'ingen'."""
    items = default_items(TEST_CONTENT)
    flagged = [it for it in items if it.child in CHILD_NOTES]
    assert len(flagged) >= 12
    # every statement where a child tells, or a young person under 18 uses, is flagged
    unflagged_with_child_and_substance = {
        it.item_id for it in items if it.child == "ingen" and mentions_child_and_substance(it.situation, it.client)
    }
    # each of these is a reviewed decision with its reason in coach.yml (a pregnant woman who stopped, a placement)
    assert unflagged_with_child_and_substance <= {"c-dag-3", "c-sund-2", "c-fam-3"}, unflagged_with_child_and_substance
    assert {it.faggruppe for it in flagged} >= {"dagtilbud", "skole", "sundhedspleje", "familieafdeling", "ungeindsats"}


@pytest.mark.parametrize("label", sorted(ANSWERS_OF_EVERY_CODE))
def test_child_safety_override_for_every_child_statement(label):
    """Whatever the learner answers, the underretning step (Barnets Lov § 133) comes first."""
    answer = ANSWERS_OF_EVERY_CODE[label]
    flagged = [it for it in default_items(TEST_CONTENT) if it.child in CHILD_NOTES]
    for item in flagged:
        fb = feedback(item, answer)
        assert fb.child_note, item.item_id
        assert fb.child_note[0] == UNDERRETNING_STEP, item.item_id
        html = render_feedback(fb)
        assert html.index("data-rf='child-safety'") < html.index("data-rf='label'"), item.item_id
        assert html.index("Barnets Lov § 133") < html.index("Dit svar er kodet som"), item.item_id
    for item in default_items(TEST_CONTENT):
        if item.child not in CHILD_NOTES:
            assert feedback(item, answer).child_note == (), item.item_id


def test_the_step_matches_the_law():
    """The wording follows Barnets Lov § 133 (fagligt grundlag): under 18, 'kan have brug for særlig støtte'."""
    assert "barn under 18 år kan have brug for særlig støtte" in UNDERRETNING_STEP
    assert "underretning efter Barnets Lov § 133" in UNDERRETNING_STEP
    assert "Pligten er din egen" in UNDERRETNING_STEP and "leder er uenig" in UNDERRETNING_STEP
    for lines in CHILD_NOTES.values():
        assert lines[0] == UNDERRETNING_STEP


def test_reassuring_a_child_is_not_coded_as_righting_reflex():
    child = next(it for it in default_items(TEST_CONTENT) if it.child == "fortaeller")
    for answer in ("Det er ikke din skyld.", "Det er de voksnes opgave at løse det."):
        fb = feedback(child, answer)
        assert fb.coding.label == "information", (answer, fb.coding.label)
        assert fb.child_note[0] == UNDERRETNING_STEP


def test_a_statement_naming_a_child_must_decide(tmp_path: Path):
    """Not only child + substance: any child named needs an explicit barn value."""
    assert mentions_child("En dreng på 12 år.", "Jeg vil ikke hjem i dag.")
    f = tmp_path / "coach.yml"
    f.write_text(
        "- id: x\n  faggruppe: skole\n  situation: En dreng på 12 år i frikvarteret.\n"
        "  klient: Jeg vil ikke hjem i dag.\n  eksempler:\n    complex_reflection: r\n    open_question: q\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match=r"'x' mentions a child: add barn"):
        load_items(f)


# --- privacy -------------------------------------------------------------------------

MARKER = "Birthe Qvistgaard-Hjortlund"  # fictional; a name nobody else writes
TYPED = [
    f"{MARKER} på Vestergade drikker hver aften, det ved du godt.",
    f"Hvad tænker du om, at {MARKER} har sagt det?",
    f"Du er bekymret for {MARKER}, og samtidig vil du gerne hjælpe.",
]


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_coach_text_is_not_persisted(tmp_path: Path, monkeypatch, caplog):
    """A round through the app builder: the typed text is in no database, file or log afterwards."""
    home = tmp_path / "home"
    home.mkdir()
    url = f"sqlite:///{home / 'rusfokus.db'}"
    upgrade(url)
    monkeypatch.setenv("RUSFOKUS_HOME", str(home))
    monkeypatch.setenv("RUSFOKUS_DB", url)
    data_dir = Path(mi_file("coach.yml", TEST_CONTENT)).parent
    before = {p: p.stat().st_mtime_ns for p in data_dir.rglob("*") if p.is_file()}
    caplog.set_level(logging.DEBUG)

    app = build_app(seed=7)
    shown = " ".join(w.value for w in app.children[0].children if hasattr(w, "value") and isinstance(w.value, str))
    assert "bliver ikke gemt og ikke skrevet i en log" in shown  # the page says so
    for i in range(ROUND_SIZE):
        app.answer.value = TYPED[i % len(TYPED)]
        app.code_button.click()
        assert MARKER in app.feedback.value or "data-code=" in app.feedback.value
        app.next_button.click()
    app.next_button.click()  # the figures
    assert MARKER in app.result.value  # shown back to the learner in memory ("Se dine svar") ...
    app.answer.value = "x"  # ... and an input the coder refuses
    app.code_button.click()
    rnd = CoachRound(list(default_items(TEST_CONTENT))[:2])  # the functions the practice rounds (H2) call
    for t in TYPED[:2]:
        rnd.answer(t)
    app.restart_button.click()
    assert MARKER not in app.result.value and MARKER not in app.feedback.value

    needle = MARKER.encode()
    assert MARKER not in caplog.text
    assert not _files_containing(tmp_path, needle)  # database file and anything else under the home folder
    assert not _files_containing(data_dir, needle)
    assert {p: p.stat().st_mtime_ns for p in data_dir.rglob("*") if p.is_file()} == before
    assert (home / "rusfokus.db").stat().st_size > 0
