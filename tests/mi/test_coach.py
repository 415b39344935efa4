"""MITI-lite figures, coach and forandringscirkel logic and their widgets (no kernel)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from rusfokus.apps.forandringscirkel import build_app as build_forandring
from rusfokus.apps.mi_coach import build_app as build_coach
from rusfokus.content import mi_file
from rusfokus.content.loader import DataFileError
from rusfokus.mi.coach import (
    ROUND_SIZE,
    CoachRound,
    default_items,
    feedback,
    load_items,
    pick_round,
)
from rusfokus.mi.coder import code
from rusfokus.mi.dataset import FAGGRUPPER, default_dataset
from rusfokus.mi.forandring import (
    STAGE_KEYS,
    StageRound,
    check,
    default_cirkel,
    load_cirkel,
)
from rusfokus.mi.stats import describe, level, miti_lite

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root
FORANDRING_FILE = mi_file("forandringscirkel.yml", TEST_CONTENT)
# The MI data covers every faggruppe of the registry, ungeindsats included (issue 17).
MI_FAGGRUPPER = set(FAGGRUPPER)
# The forandringscirkel situations (not part of issue 17) have none for ungeindsats yet.
CIRKEL_FAGGRUPPER = set(FAGGRUPPER) - {"ungeindsats"}

# --- MITI-lite ---------------------------------------------------------------


def test_miti_lite_counts_and_levels():
    m = miti_lite(
        [
            "complex_reflection",
            "complex_reflection",
            "simple_reflection",
            "complex_reflection",
            "open_question",
            "closed_question",
            "righting_reflex",
            "affirmation",
        ]
    )
    assert (m.reflections, m.questions, m.complex, m.righting) == (4, 2, 3, 1)
    assert m.rq_ratio == 2.0 and m.rq_level == "god"
    assert m.pct_complex == 0.75 and m.complex_level == "god"
    assert m.pct_open == 0.5


@pytest.mark.parametrize(
    ("value", "fair", "good", "expected"),
    [
        (0.99, 1, 2, "under"),
        (1.0, 1, 2, "rimelig"),
        (1.99, 1, 2, "rimelig"),
        (2.0, 1, 2, "god"),
        (0.39, 0.4, 0.5, "under"),
        (0.4, 0.4, 0.5, "rimelig"),
        (0.5, 0.4, 0.5, "god"),
        (None, 1, 2, None),
    ],
)
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
    items = default_items(TEST_CONTENT)
    assert {it.faggruppe for it in items} == MI_FAGGRUPPER
    assert len(items) >= 2 * ROUND_SIZE
    dataset_clients = {e.client for e in default_dataset(TEST_CONTENT)}
    assert not dataset_clients & {it.client for it in items}


def test_coach_examples_are_coded_as_what_they_show():
    """The coach must not show an example that it would itself code differently."""
    for it in default_items(TEST_CONTENT):
        for label, text in it.examples.items():
            assert code(text, it.client).label == label, (it.item_id, label, text)


def test_pick_round_puts_faggruppe_first_and_is_seeded():
    items = default_items(TEST_CONTENT)
    rnd = pick_round(items, "jobcenter", seed=4)
    assert len(rnd) == ROUND_SIZE and len({it.item_id for it in rnd}) == ROUND_SIZE
    own = [it for it in items if it.faggruppe == "jobcenter"]
    assert {it.faggruppe for it in rnd[: len(own)]} == {"jobcenter"}
    assert pick_round(items, "jobcenter", seed=4) == rnd
    with pytest.raises(ValueError):
        pick_round(items, "hospital")


def test_feedback_suggests_better_suited_example():
    item = default_items(TEST_CONTENT)[0]
    fb = feedback(item, "Du skal tage dig sammen.")
    assert fb.coding.label == "righting_reflex" and fb.example == item.examples["complex_reflection"]
    fb = feedback(item, "Er det svært?")
    assert fb.coding.label == "closed_question" and fb.example == item.examples["open_question"]


def test_coach_round_to_figures():
    rnd = CoachRound(pick_round(default_items(TEST_CONTENT), None, seed=1))
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
    f.write_text(
        "- id: x\n  faggruppe: skole\n  situation: s\n  klient: k\n  eksempler:\n    complex_reflection: r\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match=r"coach\.yml:6: \[1\]\.eksempler: missing open_question"):
        load_items(f)


# --- coach widget ---------------------------------------------------------------


def test_coach_widget_round_by_clicks():
    app = build_coach(seed=2)
    assert "Udsagn 1 af 8" in app.progress.value
    first_client = app.round.items[0].client
    assert f"»{first_client}«" in app.statement.value
    app.code_button.click()  # empty answer
    assert 'role="alert"' in app.feedback.value and "tomt" in app.feedback.value
    assert app.round.index == 0
    texts = [
        "Du skal stoppe nu.",
        "Hvad tænker du om det?",
        "Drikker du hver dag?",
        "Du er træt.",
        "Du er bekymret, og samtidig vil du gerne klare det selv.",
        "Må jeg fortælle noget?",
        "Det er modigt af dig.",
        "Lad mig samle op: det er svært, du er træt, og du vil gerne videre.",
    ]
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
    c = default_cirkel(TEST_CONTENT)
    assert tuple(s.key for s in c.stages) == STAGE_KEYS
    assert [s.english for s in c.stages] == [
        "precontemplation",
        "contemplation",
        "preparation",
        "action",
        "maintenance",
        "relapse",
    ]
    for key in STAGE_KEYS:
        assert sum(1 for s in c.situations if s.stage == key) >= 2, key
    assert {s.faggruppe for s in c.situations} == CIRKEL_FAGGRUPPER


def test_check_and_round():
    c = default_cirkel(TEST_CONTENT)
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
    with pytest.raises(DataFileError, match=r"f\.yml:\d+: situationer\[\d+\]\.stadie: 'handlingg'"):
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


# --- child safety in the coach (Barnets Lov § 133) ---------------------------------

from rusfokus.mi.coach import (  # noqa: E402
    CHILD_PREFIX,
    UNDERRETNING_STEP,
    child_safety_note,
    mentions_child_and_substance,
    promises_secrecy,
)


def _item(item_id: str):
    return next(it for it in default_items(TEST_CONTENT) if it.item_id == item_id)


def test_newborn_cannabis_and_child_disclosure_are_flagged():
    """The parent who smokes hash with a newborn and the children who tell never get MI feedback alone."""
    newborn = _item("c-sund-4")
    assert "nyfødt" in newborn.situation and "joints" in newborn.client and newborn.child == "risiko"
    assert {_item("c-skole-1").child, _item("c-dag-4").child} == {"fortaeller"}
    for item_id in ("c-sund-4", "c-sund-1", "c-skole-1", "c-dag-4", "c-fam-2"):
        fb = feedback(_item(item_id), "Du er bange for, at det går galt, og samtidig vil du gerne videre.")
        note = " ".join(fb.child_note)
        assert fb.child_note[0].startswith(CHILD_PREFIX), item_id
        assert fb.child_note[0] == UNDERRETNING_STEP and "underretning efter Barnets Lov § 133" in note, item_id
        assert fb.coding.label == "complex_reflection"  # the MI feedback is still given
    assert "Lov ikke at holde det hemmeligt" in " ".join(child_safety_note(_item("c-skole-1")))
    assert "børnefaglige vurdering" in " ".join(child_safety_note(_item("c-fam-2")))
    assert "børnefaglige vurdering" not in " ".join(child_safety_note(_item("c-sund-4")))


def test_no_child_note_where_no_child_is_concerned():
    for item_id in ("c-job-1", "c-psyk-2", "c-sund-2", "c-dag-3"):
        assert feedback(_item(item_id), "Hvad tænker du om det?").child_note == ()
    flagged = [it.item_id for it in default_items(TEST_CONTENT) if it.child != "ingen"]
    assert len(flagged) >= 8


def test_secrecy_promise_to_a_child_is_corrected():
    item = _item("c-skole-1")
    for answer in (
        "Jeg lover, at det bliver mellem os.",
        "Det er vores hemmelighed.",
        "Jeg siger det ikke til nogen.",
        "Jeg holder det hemmeligt.",
        "Bare rolig, ingen får det at vide.",
    ):
        assert promises_secrecy(answer), answer
        assert any("Det kan du ikke love et barn" in line for line in feedback(item, answer).child_note)
    for answer in (
        "Det er godt, at du fortæller mig det. Jeg vil tale med en voksen, der kan hjælpe.",
        "Jeg bliver nødt til at fortælle det til nogen, der kan hjælpe dig.",
        "Jeg kan ikke holde det hemmeligt, men jeg hjælper dig.",
        "Jeg kan ikke love, at det bliver mellem os.",
    ):
        assert not promises_secrecy(answer), answer
        assert not any("Det kan du ikke love" in line for line in feedback(item, answer).child_note), answer
    # a parent (not a child) talking about secrets gets no secrecy line
    assert not any(
        "Det kan du ikke love" in line for line in feedback(_item("c-sund-4"), "Det bliver mellem os.").child_note
    )


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("Du er på hjemmebesøg hos en nyfødt.", "Jeg ryger lidt hash om aftenen."), True),
        (("En elev i 9. klasse.", "Min mor drikker, når hun har fri."), True),
        (("Far drak mange øl.",), False),  # no child named
        (("Min søn har ondt i maven.",), False),  # no substance
        (("En person i praktik.", "Jeg sover dårligt."), False),
    ],
)
def test_mentions_child_and_substance(texts, expected):
    assert mentions_child_and_substance(*texts) is expected


def test_coach_file_must_decide_on_a_child_at_risk(tmp_path: Path):
    base = (
        "- id: x\n  faggruppe: sundhedspleje\n  situation: Hjemmebesøg hos en nyfødt.\n"
        "  klient: Jeg ryger en joint om aftenen.\n"
        "{barn}  eksempler:\n    complex_reflection: r\n    open_question: q\n"
    )
    f = tmp_path / "coach.yml"
    f.write_text(base.format(barn=""), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"'x' mentions a child: add barn"):
        load_items(f)
    f.write_text(base.format(barn="  barn: maaske\n"), encoding="utf-8")
    with pytest.raises(
        DataFileError, match=r"coach\.yml:5: \[1\]\.barn: 'maaske' is not one of fortaeller, risiko, ingen"
    ):
        load_items(f)
    f.write_text(base.format(barn="  barn: risiko\n"), encoding="utf-8")
    assert load_items(f)[0].child == "risiko"


def test_coach_widget_shows_child_safety_note():
    app = build_coach(seed=3)
    app.faggruppe.value = "sundhedspleje"
    seen = {"risiko": 0, "ingen": 0}
    for _ in range(ROUND_SIZE):
        item = app.round.current
        app.answer.value = "Hvad tænker du selv om det?"
        app.code_button.click()
        html = app.feedback.value
        if item.child == "ingen":
            assert "data-rf='child-safety'" not in html and CHILD_PREFIX not in html, item.item_id
            seen["ingen"] += 1
        else:
            assert "data-rf='child-safety'" in html and CHILD_PREFIX in html, item.item_id
            assert "underretning efter Barnets Lov § 133" in html
            assert html.index("child-safety") < html.index("data-rf='label'"), "safety comes first"
            seen["risiko"] += 1
        app.next_button.click()
    assert seen["risiko"] >= 3  # all of sundhedspleje's flagged statements come first
    assert app.errors.outputs == ()
