"""The "Signal eller støj?" widget without a server: values set and buttons clicked as a learner would;
the text it shows comes from the engine (tests/unge) and kommune.yml; errors are Danish, names escaped."""

from __future__ import annotations

import logging
import re

import pytest

from rusfokus.apps.common import esc
from rusfokus.apps.signal_eller_stoej import NO_CASES, NO_KOMMUNE, SignalEllerStoejApp, build_app
from rusfokus.kommune import load_kommune
from rusfokus.settings import get_settings
from rusfokus.unge.cases import CASES_FILE, load_cases

from helpers.paths import ROOT

CASES_PATH = ROOT / "modules" / "05-unge-og-rusmidler" / "data" / CASES_FILE
KOMMUNE = load_kommune(ROOT / "kommune.yml")


@pytest.fixture
def app():
    return SignalEllerStoejApp(CASES_PATH, KOMMUNE)


def buttons(app) -> dict:
    return {b.description: b for b in app.choices.children}


def play(app, case_id: str, sort=None, answers=None):
    """Pick a case, sort every observation (by default right), answer the three questions, open the plan."""
    app.picker.value = case_id
    app.start_button.click()
    case = app.by_id[case_id]
    labels = {"stoej": "Støj", "signal": "Signal", "handl_i_dag": "Handl i dag"}
    for i, o in enumerate(case.iagttagelser):
        assert f"Iagttagelse {i + 1} af {len(case.iagttagelser)}" in app.scene.value
        assert esc(o.tekst) in app.scene.value
        buttons(app)[labels[sort[i] if sort else o.svar]].click()
        assert 'data-rf="feedback"' in app.feedback.value and esc(o.forklaring) in app.feedback.value
        app.next_button.click()
    for n in range(3):
        q = app.session.question
        assert f"Spørgsmål {n + 1} af 3" in app.scene.value and esc(q.tekst) in app.scene.value
        value = answers[q.key] if answers and q.key in answers else sorted(q.rigtige)[0]
        label = dict(q.valg)[value]
        buttons(app)[label].click()
        app.next_button.click()
    return app


def test_the_cases_are_offered_and_start_empty(app):
    assert [t for t, _ in app.picker.options] == [c.titel for c in load_cases(CASES_PATH)]
    assert app.picker.description == "Vælg en ung" and app.start_button.description == "Start"
    assert app.scene.value == "" and app.choices.children == () and app.notice.value == ""


def test_sorting_gives_feedback_and_locks_the_choice(app):
    app.picker.value = "emil-9-klasse"
    app.start_button.click()
    assert list(buttons(app)) == ["Støj", "Signal", "Handl i dag"]
    assert app.next_button.layout.display == "none"
    buttons(app)["Signal"].click()  # "træt en mandag" is noise
    assert "Ikke helt. Det rigtige er: støj." in app.feedback.value and 'role="status"' in app.feedback.value
    assert all(b.disabled for b in app.choices.children)
    assert "rf-valgt" in buttons(app)["Signal"]._dom_classes
    assert app.next_button.layout.display is None and app.next_button.description == "Næste"
    buttons(app)["Støj"].click()  # a second click after the choice changes nothing
    assert app.session.svar == ["signal"]
    app.next_button.click()
    assert "Iagttagelse 2 af 6" in app.scene.value and app.feedback.value == ""
    buttons(app)["Signal"].click()
    assert "Rigtigt: et signal." in app.feedback.value


def test_a_whole_run_ends_with_the_plan_from_kommune_yml(app):
    play(app, "jonas-fest", answers={"niveau": "tal_snart"})
    result = app.result.value
    assert "Du sorterede 4 af 4 iagttagelser rigtigt og svarede rigtigt på 2 af 3 spørgsmål." in result
    assert "<h4>Det gør du nu</h4>" in result and "Ring 112 nu" in result and "Handl i dag." in result
    assert KOMMUNE.boernefamilie.navn in result and KOMMUNE.boernefamilie.telefon in result
    assert "Ung i Eksempelby" in result and "SSP Eksempel Kommune" in result
    assert "Barnets Lov § 133" in result and "Barnets Lov § 33" in result and "Serviceloven § 101" not in result
    assert result.index("Alarmcentralen") < result.index("Den unge selv, alene") < result.index("Forældrene")
    assert "Dine svar" in result
    assert app.choices.children == () and app.restart_button.layout.display is None
    app.restart_button.click()
    assert "Iagttagelse 1 af 4" in app.scene.value and app.result.value == ""


def test_the_button_to_the_questions_and_the_plan_are_named(app):
    app.picker.value = "oliver-ungdomsskole"
    app.start_button.click()
    for _ in app.by_id["oliver-ungdomsskole"].iagttagelser:
        buttons(app)["Støj"].click()
        last = app.next_button.description
        app.next_button.click()
    assert last == "Videre til spørgsmålene"
    assert list(buttons(app)) == [
        "Hold øje, og skriv ned, hvad du ser",
        "Tal med den unge inden for få dage",
        "Handl i dag",
    ]
    buttons(app)["Hold øje, og skriv ned, hvad du ser"].click()
    assert "Rigtigt." in app.feedback.value
    app.next_button.click()
    assert list(buttons(app)) == ["Først den unge selv, alene", "Først forældrene", "Først din leder", "Først 112"]
    buttons(app)["Først 112"].click()
    assert "Ikke helt. Det rigtige er: Først den unge selv, alene." in app.feedback.value
    app.next_button.click()
    buttons(app)["Barnets Lov § 133"].click()
    assert app.next_button.description == "Se hvad du gør nu"


def test_choosing_another_young_person_clears_the_run(app):
    play(app, "mads-morgen")
    assert "ikke må stoppe brat" in app.result.value and "Sundhedsloven § 141" in app.result.value
    app.picker.value = "amalie-ungeindsats"
    assert app.scene.value == app.result.value == app.feedback.value == "" and app.session is None
    assert app.restart_button.layout.display == "none"


def test_a_broken_cases_file_gives_a_danish_notice_and_an_english_log(tmp_path, caplog):
    bad = tmp_path / "cases.yml"
    bad.write_text("cases:\n  - id: x\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="rusfokus.apps"):
        a = SignalEllerStoejApp(bad, KOMMUNE)
    assert NO_CASES in a.notice.value.replace("&#x27;", "'") and 'role="alert"' in a.notice.value
    assert a.picker.disabled and a.start_button.disabled
    assert re.search(r"cases\.yml:2: cases\[1\]\.titel: is missing", caplog.text)


def test_a_broken_kommune_file_still_runs_without_local_names(tmp_path, monkeypatch, caplog):
    bad = tmp_path / "kommune.yml"
    bad.write_text("kommune: [\n", encoding="utf-8")
    monkeypatch.setenv("RUSFOKUS_KOMMUNE", str(bad))
    get_settings.cache_clear()  # the app reads kommune.yml where the settings say, as in a kernel
    try:
        with caplog.at_level(logging.ERROR, logger="rusfokus.apps"):
            a = build_app(CASES_PATH)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert NO_KOMMUNE in a.notice.value and "cannot load kommune.yml" in caplog.text
    play(a, "emil-9-klasse")
    assert "Eksempel" not in a.result.value and "kommunens familieafdeling" in a.result.value


def test_case_text_is_escaped(tmp_path):
    text = CASES_PATH.read_text(encoding="utf-8").replace(
        'titel: "Anton, 15 år, 9. klasse"', 'titel: "Anton <b>15</b> & co"'
    )
    p = tmp_path / "cases.yml"
    p.write_text(text, encoding="utf-8")
    a = SignalEllerStoejApp(p, KOMMUNE)
    a.picker.value = "emil-9-klasse"
    a.start_button.click()
    assert "Anton &lt;b&gt;15&lt;/b&gt; &amp; co" in a.scene.value and "<b>15</b>" not in a.scene.value
