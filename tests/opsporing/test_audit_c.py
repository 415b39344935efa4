"""AUDIT-C: scoring, interpretation and the widget (no kernel)."""

from __future__ import annotations

import itertools
import re

import pytest

from rusfokus.apps.audit_c import AuditCApp, render_result
from rusfokus.apps.guard import DANISH_ERROR
from rusfokus.opsporing.audit_c import (
    ABOUT,
    CUT_OFFS,
    FOR_WHOM,
    NEXT_STEPS,
    QUESTIONS,
    AuditCError,
    interpret,
    min_genstande_per_week,
    score,
    validate_answers,
)


def test_three_questions_five_options_in_fact_sheet_order():
    assert len(QUESTIONS) == 3
    assert all(len(q.options) == 5 for q in QUESTIONS)
    assert (
        QUESTIONS[0].options[0] == "Aldrig, jeg drikker ikke alkohol"
        and QUESTIONS[0].options[4] == "4 gange om ugen eller oftere"
    )
    assert QUESTIONS[1].options == ("1-2", "3-4", "5-6", "7-9", "10 eller flere")
    assert "6 genstande eller flere" in QUESTIONS[2].text
    assert QUESTIONS[2].options[4] == "Dagligt eller næsten dagligt"


ALL = list(itertools.product(range(5), repeat=3))


@pytest.mark.parametrize("answers", ALL)
def test_score_is_sum_and_in_range(answers):
    expected = 0 if answers[0] == 0 else sum(answers)
    assert score(answers) == expected
    assert 0 <= expected <= 12


def test_extremes():
    assert score((4, 4, 4)) == 12
    assert score((1, 0, 0)) == 1
    assert score((0, None, None)) == 0  # "Aldrig": 2 and 3 are not asked


@pytest.mark.parametrize(
    "answers, message",
    [
        ((None, 1, 1), "Svar på spørgsmål 1 først."),
        ((2, None, 1), "Svar på spørgsmål 2."),
        ((2, 1, None), "Svar på spørgsmål 3."),
        ((5, 1, 1), "Svaret på spørgsmål 1 er ikke et af svarmulighederne."),
        ((1, -1, 1), "Svaret på spørgsmål 2 er ikke et af svarmulighederne."),
        ((1, 1, "2"), "Svaret på spørgsmål 3 er ikke et af svarmulighederne."),
        ((1, True, 1), "Svaret på spørgsmål 2 er ikke et af svarmulighederne."),
        ((1, 1), "AUDIT-C har præcis tre spørgsmål."),
    ],
)
def test_bad_answers_give_danish_messages(answers, message):
    with pytest.raises(AuditCError) as info:
        validate_answers(answers)
    assert str(info.value) == message


def test_cut_offs_are_the_published_ones():
    got = {(c.koen, c.limit): c.source for c in CUT_OFFS}
    assert "Bush" in got[("mand", 4)] and "1998" in got[("mand", 4)]
    assert "Bradley" in got[("kvinde", 3)] and "2003" in got[("kvinde", 3)]
    assert "Tyskland og Sverige" in got[("mand", 5)] and "Tyskland og Sverige" in got[("kvinde", 4)]
    assert len(got) == 4


@pytest.mark.parametrize("koen", ["kvinde", "mand", "uoplyst"])
@pytest.mark.parametrize("answers", ALL)
def test_interpretation_is_coherent_for_every_answer(answers, koen):
    res = interpret(answers, koen)
    total = score(answers)
    assert res.lines[0] == f"Scoren er {total} ud af 12."
    wanted = [c for c in CUT_OFFS if koen == "uoplyst" or c.koen == koen]
    assert {*res.over, *res.under} == set(wanted)
    assert all(total >= c.limit for c in res.over) and all(total < c.limit for c in res.under)
    text = " ".join(res.lines)
    # Never a diagnosis.
    assert not re.search(r"alkoholiker|afhængig|misbrug|diagnose", text, re.I)
    # The SST lines appear exactly when the answers imply them.
    assert res.over_4_samme_dag == ("højst 4 genstande på samme dag" in text)
    assert res.over_10_om_ugen == ("højst 10 om ugen" in text)
    if answers[0] == 0:
        assert total == 0 and not res.over_4_samme_dag and not res.over_10_om_ugen


def test_sst_lines_follow_the_answers():
    assert interpret((1, 0, 0)).over_4_samme_dag is False
    assert interpret((1, 2, 0)).over_4_samme_dag is True  # typical day 5-6
    assert interpret((1, 0, 1)).over_4_samme_dag is True  # 6+ sometimes
    assert min_genstande_per_week((4, 1, 0)) == 12  # 4 days x 3
    assert interpret((4, 1, 0)).over_10_om_ugen is True
    assert min_genstande_per_week((3, 1, 0)) == 6  # 2 days x 3: not shown
    assert interpret((3, 1, 0)).over_10_om_ugen is False
    assert min_genstande_per_week((2, 4, 0)) == 5  # half a day a week x 10
    assert min_genstande_per_week((0, None, None)) == 0


def test_women_cut_off_three_and_men_four():
    three = (1, 1, 1)
    assert [c.limit for c in interpret(three, "kvinde").over] == [3]
    assert [c.limit for c in interpret(three, "mand").over] == []
    assert [c.limit for c in interpret((2, 1, 1), "mand").over] == [4]
    with pytest.raises(AuditCError):
        interpret(three, "ukendt")


def test_texts_state_limits_of_the_score_and_no_danish_cut_off():
    about = " ".join(ABOUT)
    assert "0-12" in about
    assert "ikke en diagnose" in about
    assert "ingen dansk, officiel grænse" in about and "Sundhedsstyrelsen har ikke fastsat en" in about
    steps = " ".join(NEXT_STEPS)
    assert "kort opsporende samtale" in steps
    assert "højst 10 genstande om ugen og højst 4 på samme dag" in steps
    assert "14 dage" in steps and "anonym" in steps and "§ 141" in steps
    assert "Barnets Lov § 133" in steps


def test_texts_say_the_cut_offs_are_for_adults_and_not_for_gravide():
    about = " ".join(FOR_WHOM)
    assert "lavet til voksne" in about and "under 18" in about
    assert "Gravide bør slet ikke drikke alkohol" in about and "Ammende skal være forsigtige" in about
    steps = " ".join(NEXT_STEPS)
    assert "raske voksne" in steps and "gravid, er rådet ingen alkohol" in steps
    assert "ikke stoppe brat" in steps and "samme dag" in steps
    html = render_result(interpret((4, 4, 4), "kvinde"))
    assert "lavet til voksne" in html and "Gravide bør slet ikke drikke alkohol" in html
    app = AuditCApp()
    intro = app.children[0].children[1].value
    assert "lavet til voksne" in intro and "Gravide bør slet ikke drikke alkohol" in intro


# --- widget ---------------------------------------------------------------


def test_widget_starts_asking_for_question_one_and_has_accessible_names():
    app = AuditCApp()
    assert "Svar på spørgsmål 1 først." in app.result.value
    assert [q.description for q in app.questions] == [q.text for q in QUESTIONS]
    assert app.koen.description.startswith("Køn")
    assert all(q.value is None for q in app.questions)


def test_widget_scores_when_values_are_set():
    app = AuditCApp()
    app.questions[0].value = 4
    app.questions[1].value = 2
    assert "Svar på spørgsmål 3." in app.result.value
    app.questions[2].value = 3
    assert 'data-rf="score">Scoren er 9 ud af 12' in app.result.value
    assert "grænsen for mænd på 4 point" in app.result.value
    app.koen.value = "kvinde"
    assert "mænd" not in app.result.value.split("</ul>")[0]
    assert "grænsen for kvinder på 3 point" in app.result.value
    assert "Det kan scoren ikke" in app.result.value and "Det kan du gøre nu" in app.result.value


def test_widget_disables_questions_2_and_3_after_aldrig():
    app = AuditCApp()
    app.questions[0].value = 0
    assert app.questions[1].disabled and app.questions[2].disabled
    assert "Scoren er 0 ud af 12" in app.result.value
    app.questions[0].value = 1
    assert not app.questions[1].disabled
    assert "Svar på spørgsmål 2." in app.result.value


def test_widget_shows_unexpected_errors_in_danish(monkeypatch, caplog):
    app = AuditCApp()

    def boom(*_a, **_k):
        raise RuntimeError("internal detail")

    monkeypatch.setattr("rusfokus.apps.audit_c.interpret", boom)
    app.questions[0].value = 2
    (out,) = app.errors.outputs
    assert DANISH_ERROR in out["data"]["text/plain"]
    assert "internal detail" not in out["data"]["text/html"] and "Traceback" not in out["data"]["text/html"]
    assert "app callback AuditCApp._update failed" in caplog.text
    monkeypatch.undo()
    app.questions[0].value = 3
    assert app.errors.outputs == ()


def test_option_labels_are_unique_across_questions():
    """Radio labels must make sense alone: a screen reader may not announce the question."""
    labels = [o for q in QUESTIONS for o in q.options]
    assert len(labels) == len(set(labels))
