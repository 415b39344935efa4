"""MITI-lite figures, coach and forandringscirkel logic and their widgets (no kernel)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from rusfokus.mi.coach import (
    ROUND_SIZE,
    CoachRound,
    default_items,
    feedback,
    load_items,
    pick_round,
)
from rusfokus.mi.coach_app import build_app as build_coach
from rusfokus.mi.coder import code
from rusfokus.mi.dataset import FAGGRUPPER, default_dataset
from rusfokus.mi.forandring import (
    FORANDRING_FILE,
    STAGE_KEYS,
    StageRound,
    check,
    default_cirkel,
    load_cirkel,
)
from rusfokus.mi.forandring_app import build_app as build_forandring
from rusfokus.mi.stats import describe, level, miti_lite
from rusfokus.yamlutil import DataFileError

# --- MITI-lite ---------------------------------------------------------------


def test_miti_lite_counts_and_levels():
    m = miti_lite(["complex_reflection", "complex_reflection", "simple_reflection", "summary",
                   "open_question", "closed_question", "righting_reflex", "affirmation"])
    assert (m.reflections, m.questions, m.complex, m.righting) == (4, 2, 3, 1)
    assert m.rq_ratio == 2.0 and m.rq_level == "god"
    assert m.pct_complex == 0.75 and m.complex_level == "god"
    assert m.pct_open == 0.5


@pytest.mark.parametrize(("value", "fair", "good", "expected"), [
    (0.99, 1, 2, "under"), (1.0, 1, 2, "rimelig"), (1.99, 1, 2, "rimelig"), (2.0, 1, 2, "god"),
    (0.39, 0.4, 0.5, "under"), (0.4, 0.4, 0.5, "rimelig"), (0.5, 0.4, 0.5, "god"), (None, 1, 2, None),
])
def test_threshold_edges(value, fair, good, expected):
    assert level(value, fair, good) == expected


def test_miti_lite_without_questions_or_reflections():
    only_refl = miti_lite(["simple_reflection"] * 3)
    assert math.isinf(only_refl.rq_ratio) and only_refl.rq_level == "god" and only_refl.pct_open is None
    assert only_refl.pct_complex == 0 and only_refl.complex_level == "under"
    nothing = miti_lite(["righting_reflex", "affirmation"])
    assert nothing.rq_ratio is None and nothing.pct_complex is None
    text = " ".join(describe(nothing))
    assert "kan ikke regnes ud" in text and "2 gange" not in text and "1 gang" in text
    with pytest.raises(ValueError):
        miti_lite(["question"])


# --- coach logic ---------------------------------------------------------------


def test_coach_items_cover_faggrupper_and_are_not_in_dataset():
    items = default_items()
    assert {it.faggruppe for it in items} == set(FAGGRUPPER)
    assert len(items) >= 2 * ROUND_SIZE
    dataset_clients = {e.client for e in default_dataset()}
    assert not dataset_clients & {it.client for it in items}


def test_coach_examples_are_coded_as_what_they_show():
    """The coach must not show an example that it would itself code differently."""
    for it in default_items():
        for label, text in it.examples.items():
            assert code(text, it.client).label == label, (it.item_id, label, text)


def test_pick_round_puts_faggruppe_first_and_is_seeded():
    items = default_items()
    rnd = pick_round(items, "jobcenter", seed=4)
    assert len(rnd) == ROUND_SIZE and len({it.item_id for it in rnd}) == ROUND_SIZE
    own = [it for it in items if it.faggruppe == "jobcenter"]
    assert {it.faggruppe for it in rnd[: len(own)]} == {"jobcenter"}
    assert pick_round(items, "jobcenter", seed=4) == rnd
    with pytest.raises(ValueError):
        pick_round(items, "hospital")


def test_feedback_suggests_better_suited_example():
    item = default_items()[0]
    fb = feedback(item, "Du skal tage dig sammen.")
    assert fb.coding.label == "righting_reflex" and fb.example == item.examples["complex_reflection"]
    fb = feedback(item, "Er det svært?")
    assert fb.coding.label == "closed_question" and fb.example == item.examples["open_question"]


def test_coach_round_to_figures():
    rnd = CoachRound(pick_round(default_items(), None, seed=1))
    answers = ["Hvad tænker du om det?", "Du er bange for, at det går galt, og samtidig vil du gerne videre."] * 4
    for a in answers:
        rnd.answer(a)
    assert rnd.done and rnd.current is None
    m = rnd.figures()
    assert m.n == ROUND_SIZE and m.rq_ratio == 1.0 and m.pct_complex == 1.0
    with pytest.raises(ValueError):
        rnd.answer("Hej")


def test_bad_coach_file(tmp_path: Path):
    f = tmp_path / "coach.yml"
    f.write_text("- id: x\n  faggruppe: skole\n  situation: s\n  klient: k\n  eksempler:\n    complex_reflection: r\n",
                 encoding="utf-8")
    with pytest.raises(DataFileError, match=r"line 6.*0\.eksempler.*missing open_question"):
        load_items(f)


# --- coach widget ---------------------------------------------------------------


def test_coach_widget_round_by_clicks():
    app = build_coach(seed=2)
    assert "Udsagn 1 af 8" in app.progress.value
    first_client = app.round.items[0].client
    assert f"»{first_client}«" in app.statement.value
    app.code_button.click()  # empty answer
    assert "role=\"alert\"" in app.feedback.value and "tomt" in app.feedback.value
    assert app.round.index == 0
    texts = ["Du skal stoppe nu.", "Hvad tænker du om det?", "Drikker du hver dag?", "Du er træt.",
             "Du er bekymret, og samtidig vil du gerne klare det selv.", "Må jeg fortælle noget?",
             "Det er modigt af dig.", "Lad mig samle op: det er svært, du er træt, og du vil gerne videre."]
    for i, t in enumerate(texts):
        app.answer.value = t
        app.code_button.click()
        assert "data-code=" in app.feedback.value and "Hvorfor" in app.feedback.value
        assert app.code_button.disabled and app.answer.disabled
        if i == 0:
            assert "righting_reflex" in app.feedback.value and "kompleks refleksion" in app.feedback.value
        app.next_button.click()
    assert "Runden er slut" in app.progress.value
    assert "ikke en MITI-vurdering" in app.result.value and "2 : 1" in app.result.value and "40 %" in app.result.value
    assert app.answer.layout.display == "none" and app.code_button.layout.display == "none"
    assert app.errors.outputs == ()
    app.restart_button.click()
    assert "Udsagn 1 af 8" in app.progress.value and app.result.value == ""
    assert app.answer.layout.display is None and not app.answer.disabled


def test_coach_widget_escapes_learner_text():
    app = build_coach(seed=2)
    for _ in range(ROUND_SIZE):
        app.answer.value = "<script>alert(1)</script> Hvad tænker du?"
        app.code_button.click()
        app.next_button.click()
    assert "<script>" not in app.result.value and "&lt;script&gt;" in app.result.value


def test_coach_widget_faggruppe_restarts_round():
    app = build_coach(seed=5)
    app.faggruppe.value = "sundhedspleje"
    assert app.round.items[0].faggruppe == "sundhedspleje"
    assert "Sundhedspleje" in app.statement.value
    assert app.faggruppe.description and app.answer.description  # accessible names


# --- forandringscirkel ----------------------------------------------------------


def test_cirkel_data():
    c = default_cirkel()
    assert tuple(s.key for s in c.stages) == STAGE_KEYS
    assert [s.english for s in c.stages] == ["precontemplation", "contemplation", "preparation", "action",
                                             "maintenance", "relapse"]
    for key in STAGE_KEYS:
        assert sum(1 for s in c.situations if s.stage == key) >= 2, key
    assert {s.faggruppe for s in c.situations} == set(FAGGRUPPER)


def test_check_and_round():
    c = default_cirkel()
    sit = c.situations[0]
    assert check(c, sit, sit.stage).correct
    wrong = next(k for k in STAGE_KEYS if k != sit.stage)
    res = check(c, sit, wrong)
    assert not res.correct and res.right.key == sit.stage and res.right.helps
    with pytest.raises(ValueError):
        check(c, sit, "panik")
    rnd = StageRound.new(c, seed=1)
    assert StageRound.new(c, seed=1).situations == rnd.situations
    for s in list(rnd.situations):
        rnd.answer(s.stage)
    assert rnd.done and rnd.score == len(rnd.situations)


def test_bad_cirkel_file(tmp_path: Path):
    f = tmp_path / "f.yml"
    text = FORANDRING_FILE.read_text("utf-8")
    f.write_text(text.replace("stadie: handling", "stadie: handlingg", 1), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"situationer\.\d+\.stadie.*handlingg"):
        load_cirkel(f)


def test_forandring_widget_by_clicks():
    app = build_forandring(seed=7)
    assert "Situation 1 af 8" in app.progress.value
    app.check_button.click()
    assert "Vælg først" in app.feedback.value
    n = len(app.round.situations)
    for i, sit in enumerate(list(app.round.situations)):
        app.stage.value = sit.stage if i % 2 == 0 else next(k for k in STAGE_KEYS if k != sit.stage)
        app.check_button.click()
        assert ("Rigtigt" in app.feedback.value) == (i % 2 == 0)
        assert "Det hjælper i stadiet" in app.feedback.value
        assert app.stage.disabled and not app.next_button.disabled
        app.next_button.click()
    assert f"Du ramte {n - n // 2} af {n}" in app.feedback.value
    assert app.stage.layout.display == "none"
    assert app.errors.outputs == ()
    app.restart_button.click()
    assert "Situation 1 af" in app.progress.value and app.stage.value is None and not app.stage.disabled
    assert app.stage.layout.display is None
