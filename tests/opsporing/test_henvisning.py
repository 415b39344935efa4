"""Henvisningsguide: every situation gives a coherent answer; the widget wires it (no kernel)."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from pathlib import Path

import pytest

from rusfokus.apps.henvisning import NO_KOMMUNE, HenvisningApp, build_app, render
from rusfokus.kommune import load_kommune
from rusfokus.opsporing.henvisning import (
    BOERN,
    HASTEGRAD,
    HVEM,
    QUESTIONS,
    RULES,
    RUSMIDDEL,
    VIL_HJAELP,
    HenvisningError,
    Situation,
    all_situations,
    guide,
    situation,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kommune():
    return load_kommune(ROOT / "kommune.yml")


SITUATIONS = all_situations()


def test_all_situations_is_every_combination():
    # 3 x 4 x 3 x 3, and the children question (3 answers) only for an adult.
    assert len(SITUATIONS) == 4 * 3 * 3 * (3 + 1 + 1)
    assert len(set(SITUATIONS)) == len(SITUATIONS)


def refs(v):
    return [r.ref for r in v.regler]


@pytest.mark.parametrize("s", SITUATIONS, ids=str)
def test_every_situation_is_coherent(s, kommune):
    v = guide(s, kommune)
    text = " ".join(v.nu)
    assert 4 <= len(v.nu) <= 10 and len(set(v.nu)) == len(v.nu)
    assert all(step.strip() and step.endswith(".") for step in v.nu)
    # Urgency: 112 first when acute, and never as the first step otherwise.
    if s.hastegrad == "akut":
        assert v.nu[0].startswith("Ring 112") and v.kontakter[0].telefon == "112"
    else:
        assert "112" not in v.nu[0] and all(c.telefon != "112" for c in v.kontakter)
        assert v.nu[0].startswith("Tal med din leder" + (" i dag" if s.hastegrad == "haster" else " om"))
    # Children: § 133 and a step about underretning exactly when a child is involved.
    child = s.hvem != "voksen" or s.boern == "ja"
    assert v.underretning == child
    assert ("Barnets Lov § 133" in refs(v)) == (child or s.boern == "ved_ikke")
    assert ("underret" in text.lower()) == (child or s.boern == "ved_ikke")
    if child:
        assert any(c.navn == kommune.boernefamilie.navn for c in v.kontakter)
        assert kommune.boernefamilie.navn in text
    if s.hvem == "voksen" and s.boern == "ved_ikke":
        assert "Spørg ind til, om der er børn i familien." in text
    # Treatment rules follow the substance and the age.
    adult_user = s.hvem != "ung"
    assert ("Sundhedsloven § 141" in refs(v)) == (adult_user and s.rusmiddel != "stoffer")
    # § 142 is drug treatment (lægesamtale, substitution): never for alcohol alone.
    assert ("Sundhedsloven § 142" in refs(v)) == (adult_user and s.rusmiddel != "alkohol")
    assert ("Serviceloven § 101" in refs(v)) == (adult_user and s.rusmiddel != "alkohol")
    assert ("Barnets Lov § 33" in refs(v)) == (not adult_user and s.rusmiddel != "alkohol")
    assert refs(v)[-1].startswith("Tavshedspligt")
    # Contacts come from kommune.yml.
    names = [c.navn for c in v.kontakter]
    if adult_user:
        assert kommune.rusmiddelcenter.navn in names
        assert any(c.telefon == kommune.rusmiddelcenter.telefon for c in v.kontakter)
    else:
        assert kommune.tilbud_af_type("boern_unge")[0].navn in names
    # Offers to pårørende when a child lives with the adult who drinks or takes drugs.
    assert (kommune.tilbud_af_type("paaroerende")[0].navn in names) == (adult_user and child)
    # Wanting help: offer to call together only on a yes; a no is respected.
    assert ("ringe sammen" in text) == (s.vil_hjaelp == "ja")
    if s.vil_hjaelp == "nej":
        assert "Respektér svaret, og pres ikke." in text
        if child and s.hastegrad != "akut":
            assert "Et nej til hjælp fjerner ikke din underretningspligt." in text
    assert v.nu[-1].startswith("Følg op")


@pytest.mark.parametrize("s", SITUATIONS, ids=str)
def test_no_withdrawn_facts_and_html_is_escaped(s, kommune):
    v = guide(s, kommune)
    blob = render(v)
    for bad in (r"§\s*153", r"§\s*50\b", r"14\s*/\s*21", r"7\s*/\s*14", r"122\.000"):
        assert not re.search(bad, blob)
    assert "<script" not in blob


def test_alcohol_alone_never_brings_142_and_drugs_do_for_adults(kommune):
    """Walk every situation the guide can describe: § 142 is drug treatment, alcohol medicine is § 141."""
    seen = {"alkohol": 0, "stoffer": 0}
    for s in SITUATIONS:
        for k in (kommune, None):
            v = guide(s, k)
            blob = render(v)
            if s.rusmiddel == "alkohol":
                assert "§ 142" not in blob, s
                assert "Sundhedsloven § 142" not in refs(v), s
                seen["alkohol"] += 1
            elif s.hvem != "ung":  # stoffer, begge or ved_ikke for an adult who uses
                assert "Sundhedsloven § 142" in refs(v) and "Serviceloven § 101" in refs(v), s
                seen["stoffer"] += 1
            if s.alkohol and s.hvem != "ung":
                assert "Sundhedsloven § 141" in refs(v), s
    # 45 alcohol-only situations (36 of them for an adult who drinks), 108 adult drug situations; x2 kommune
    assert seen == {"alkohol": 2 * 45, "stoffer": 2 * 108}


def test_anonymity_for_drug_treatment_is_qualified(kommune):
    """§ 101 a only without other social problems, decided in an afklarende samtale; anonymous: no medicine."""
    for s in SITUATIONS:
        for regel in guide(s, kommune).regler:
            if "anonym" in regel.tekst.lower() and regel.ref == "Serviceloven § 101":
                assert "ikke har andre sociale problemer" in regel.tekst and "afklarende samtale" in regel.tekst
    assert "kan ikke få medicin" in RULES["141"].tekst


def test_rule_texts_state_the_current_law():
    assert "gratis" in RULES["141"].tekst and "14 dage" in RULES["141"].tekst and "anonym" in RULES["141"].tekst
    for medicine in ("Antabus", "Campral", "abstinenser"):
        assert medicine in RULES["141"].tekst
    assert "stoffer, ikke for alkohol" in RULES["142"].tekst
    assert "samtale med en læge" in RULES["142"].tekst and "14 dage" in RULES["142"].tekst
    assert "afhængighedsskabende medicin" in RULES["142"].tekst
    assert "14 dage" in RULES["101"].tekst and "§ 101 a" in RULES["101"].tekst
    assert "personlig" in RULES["bl133"].tekst and "også hvis din leder er uenig" in RULES["bl133"].tekst
    assert "straffeloven § 152" in RULES["tavshed"].ref and "ikke absolut" in RULES["tavshed"].tekst


def test_answers_are_validated_in_danish():
    with pytest.raises(HenvisningError, match=r"^Svar på spørgsmål 1: Hvem er du bekymret for\?$"):
        situation({})
    with pytest.raises(HenvisningError, match="Svar på spørgsmål 5"):
        situation({"hvem": "voksen", "rusmiddel": "alkohol", "hastegrad": "akut", "vil_hjaelp": "ja"})
    with pytest.raises(HenvisningError, match="spørgsmål 2 er ikke en af svarmulighederne"):
        situation({"hvem": "voksen", "rusmiddel": "vand", "hastegrad": "akut", "vil_hjaelp": "ja", "boern": "ja"})


@pytest.mark.parametrize("hvem", ["ung", "barn_af_foraelder"])
def test_children_question_is_ignored_unless_adult(hvem, kommune):
    base = {"hvem": hvem, "rusmiddel": "begge", "hastegrad": "haster", "vil_hjaelp": "nej"}
    results = {guide({**base, "boern": b}, kommune) for b in (None, *BOERN)}
    assert len(results) == 1


def test_every_raw_answer_combination_is_answered(kommune):
    n = 0
    for combo in itertools.product(HVEM, RUSMIDDEL, HASTEGRAD, VIL_HJAELP, BOERN):
        answers = dict(zip([q[0] for q in QUESTIONS], combo, strict=True))
        assert guide(answers, kommune).nu
        n += 1
    assert n == 324


def test_without_kommune_steps_and_rules_remain():
    s = Situation("barn_af_foraelder", "alkohol", "akut", "ved_ikke")
    v = guide(s, None)
    assert [c.telefon for c in v.kontakter] == ["112"]
    assert "kommunens børne- og familieafdeling" in " ".join(v.nu)
    assert "Barnets Lov § 133" in refs(v)


def test_kommune_values_are_escaped(kommune):
    evil = replace(kommune, rusmiddelcenter=replace(kommune.rusmiddelcenter, navn="<script>alert(1)</script>"))
    html = render(guide(Situation("voksen", "alkohol", "bekymring", "ja", "nej"), evil))
    assert "<script>" not in html and "&lt;script&gt;" in html


# --- widget ---------------------------------------------------------------


def answer(app, **values):
    for key, value in values.items():
        app.questions[key].value = value


def test_widget_asks_and_answers(kommune):
    app = HenvisningApp(kommune)
    assert "Svar på spørgsmål 1" in app.result.value
    assert all(q.description for q in app.questions.values())
    answer(app, hvem="voksen", rusmiddel="stoffer", hastegrad="bekymring", vil_hjaelp="ved_ikke")
    assert app.questions["boern"].layout.display is None
    assert "Svar på spørgsmål 5" in app.result.value
    answer(app, boern="ja")
    assert "Serviceloven § 101" in app.result.value and "Barnets Lov § 133" in app.result.value
    assert kommune.rusmiddelcenter.telefon in app.result.value
    answer(app, hvem="ung")
    assert app.questions["boern"].layout.display == "none"
    assert "Barnets Lov § 33" in app.result.value and "Serviceloven § 101" not in app.result.value
    answer(app, hastegrad="akut")
    assert "<li>Ring 112 nu" in app.result.value


def test_widget_with_broken_kommune_file_shows_danish_notice(tmp_path, monkeypatch, caplog):
    bad = tmp_path / "kommune.yml"
    bad.write_text("kommune: [", encoding="utf-8")
    monkeypatch.setenv("RUSFOKUS_KOMMUNE", str(bad))
    app = build_app()  # the kernel's entry point reads RUSFOKUS_KOMMUNE, as in a kernel
    assert app.kommune is None
    assert "cannot load kommune.yml" in caplog.text
    assert NO_KOMMUNE in app.notice.value and 'role="alert"' in app.notice.value
    answer(app, hvem="voksen", rusmiddel="alkohol", hastegrad="haster", vil_hjaelp="ja", boern="nej")
    assert "Sundhedsloven § 141" in app.result.value and "Ring 112" not in app.result.value
    assert NO_KOMMUNE in app.notice.value and app.errors.outputs == ()


def test_option_labels_are_unique_across_questions():
    """Radio labels must make sense alone: a screen reader may not announce the question."""
    labels = [label for _key, _text, options in QUESTIONS for label in options.values()]
    assert len(labels) == len(set(labels))


def test_widget_unexpected_error_is_danish(kommune, monkeypatch, caplog):
    from rusfokus.apps.guard import DANISH_ERROR

    app = HenvisningApp(kommune)

    def boom(*_a, **_k):
        raise RuntimeError("internal detail")

    monkeypatch.setattr("rusfokus.apps.henvisning.guide", boom)
    answer(app, hvem="ung", rusmiddel="alkohol", hastegrad="haster", vil_hjaelp="ja")
    (out,) = app.errors.outputs
    assert out["data"]["text/plain"] == DANISH_ERROR and "internal detail" not in out["data"]["text/html"]
    assert "app callback HenvisningApp._update failed" in caplog.text
