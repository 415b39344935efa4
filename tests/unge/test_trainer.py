"""The "Signal eller støj?" engine without a kernel: sorting, feedback, the three questions, the plan
(what to do now, whom to involve in which order, which rules apply) by age, substance and danger."""

from __future__ import annotations

import dataclasses

import pytest

from rusfokus.kommune import load_kommune
from rusfokus.unge.cases import (
    AKUT_SVAR,
    CASES_FILE,
    HANDL_I_DAG,
    HOLD_OEJE,
    SIGNAL,
    STOEJ,
    TAL_SNART,
    Case,
    Iagttagelse,
    load_cases,
)
from rusfokus.unge.trainer import RULES, Session, SessionError, plan, questions, rule_keys

from helpers.builthtml import lix
from helpers.paths import ROOT

CASES = {c.id: c for c in load_cases(ROOT / "modules" / "05-unge-og-rusmidler" / "data" / CASES_FILE)}
KOMMUNE = load_kommune(ROOT / "kommune.yml")


def case(alder=16, rusmiddel="stoffer", niveau=TAL_SNART, akut="", samarbejde=()) -> Case:
    obs = [Iagttagelse("Træt en mandag.", STOEJ, "Det sker."), Iagttagelse("Væk seks mandage.", SIGNAL, "Mønster.")]
    if akut:
        obs.append(Iagttagelse("Kan ikke vækkes.", AKUT_SVAR, "Ring 112.", akut))
    if niveau == HOLD_OEJE:
        obs = [obs[0], Iagttagelse("Ny frisure.", STOEJ, "Stil.")]
    return Case(
        id="t",
        titel="T",
        alder=alder,
        rusmiddel=rusmiddel,
        rolle="Du er lærer.",
        intro="En ung.",
        iagttagelser=tuple(obs),
        niveau=niveau,
        niveau_forklaring="Fordi.",
        samarbejde=tuple(samarbejde),
    )


def run(c: Case, sort=None, answers=None) -> Session:
    s = Session(c)
    for i, o in enumerate(c.iagttagelser):
        s.sort(sort[i] if sort else o.svar)
    for q in s.questions:
        s.answer(answers[q.key] if answers and q.key in answers else sorted(q.rigtige)[0])
    return s


def test_sorting_gives_feedback_per_choice_in_order():
    c = CASES["emil-9-klasse"]
    s = Session(c)
    fb = s.sort(SIGNAL)  # "træt en mandag" is noise
    assert (
        not fb.rigtigt
        and fb.overskrift == "Ikke helt. Det rigtige er: støj."
        and fb.tekst == c.iagttagelser[0].forklaring
    )
    fb = s.sort(SIGNAL)
    assert fb.rigtigt and fb.overskrift == "Rigtigt: et signal." and not fb.akut
    assert s.index == 2 and s.rigtige == 1 and s.question is None
    with pytest.raises(SessionError):
        s.answer(HOLD_OEJE)  # questions come after the sorting
    with pytest.raises(SessionError):
        s.sort("maaske")


def test_an_act_today_observation_is_flagged_in_the_feedback():
    c = CASES["jonas-fest"]
    s = Session(c)
    for o in c.iagttagelser[:-1]:
        s.sort(o.svar)
    fb = s.sort(SIGNAL)  # the overdose, sorted too mildly
    assert not fb.rigtigt and fb.akut and fb.overskrift == "Ikke helt. Det rigtige er: handl i dag."
    assert s.all_sorted and s.question.key == "niveau"


def test_three_questions_with_answer_keys_and_feedback():
    s = run(CASES["jonas-fest"], answers={"niveau": TAL_SNART, "foerst": "ung", "regel": "sul141"})
    assert [q.key for q in s.questions] == ["niveau", "foerst", "regel"]
    assert s.finished
    r = s.result(KOMMUNE)
    assert r.rigtige == 4 and r.spoergsmaal_rigtige == 0 and r.spoergsmaal == 3
    assert r.overskrift == ("Du sorterede 4 af 4 iagttagelser rigtigt og svarede rigtigt på 0 af 3 spørgsmål.")
    s.restart()
    assert s.index == 0 and not s.answers and not s.finished
    for o in s.case.iagttagelser:
        s.sort(o.svar)
    fb = s.answer(TAL_SNART)
    assert not fb.rigtigt and fb.akut and fb.overskrift == "Ikke helt. Det rigtige er: Handl i dag."
    fb = s.answer("112")
    assert fb.rigtigt and "112 først" in fb.tekst
    fb = s.answer("bl133")
    assert fb.rigtigt and "under 18" in fb.tekst
    with pytest.raises(SessionError):
        s.answer("bl133")  # every question is answered
    with pytest.raises(SessionError):
        Session(s.case).result(KOMMUNE)


def test_whom_first_the_young_person_alone_unless_life_is_in_danger():
    assert questions(case())[1].rigtige == {"ung"}
    assert questions(case(niveau=HANDL_I_DAG, akut="overdosis"))[1].rigtige == {"112"}
    assert questions(case(niveau=HANDL_I_DAG, akut="selvmord"))[1].rigtige == {"112"}
    assert questions(case(alder=22, rusmiddel="alkohol", niveau=HANDL_I_DAG, akut="abstinenser"))[1].rigtige == {"ung"}


@pytest.mark.parametrize(
    "alder, rusmiddel, keys, main",
    [
        (15, "stoffer", ["bl133", "bl33", "tavshed"], {"bl133"}),
        (13, "alkohol", ["bl133", "sst_under18", "tavshed"], {"bl133"}),
        (14, "ukendt", ["bl133", "tavshed"], {"bl133"}),
        (17, "begge", ["bl133", "bl33", "sst_under18", "tavshed"], {"bl133"}),
        (19, "stoffer", ["sel101", "tavshed"], {"sel101"}),
        (22, "alkohol", ["sul141", "sst_18_25", "tavshed"], {"sul141"}),
        (20, "begge", ["sul141", "sst_18_25", "sel101", "tavshed"], {"sul141", "sel101"}),
    ],
)
def test_rules_by_age_and_substance(alder, rusmiddel, keys, main):
    c = case(alder=alder, rusmiddel=rusmiddel)
    assert rule_keys(c) == keys
    assert questions(c)[2].rigtige == main
    assert [r.ref for r in plan(c, KOMMUNE).regler] == [RULES[k].ref for k in keys]


def test_rule_texts_follow_the_fact_sheet():
    assert "ulovligt skolefravær" in RULES["bl133"].tekst and "24 timer" in RULES["bl133"].tekst
    assert "også hvis din leder er uenig" in RULES["bl133"].tekst
    # Barnets Lov § 33: the 14-day rule and the consent rules are [pV]: not taught.
    assert "14 dage" not in RULES["bl33"].tekst and "samtykke" not in RULES["bl33"].tekst
    assert "14 dage" in RULES["sel101"].tekst and "§ 101 a" in RULES["sel101"].tekst
    assert "14 dage" in RULES["sul141"].tekst and "anonym" in RULES["sul141"].tekst
    assert "10 genstande om ugen og højst 4 på samme dag" in RULES["sst_18_25"].tekst
    assert "under 18 til ikke at drikke" in RULES["sst_under18"].tekst
    assert not any("115" in r.ref or "115" in r.tekst for r in RULES.values())  # not in the fact sheet


def test_plan_under_18_names_parents_familieafdeling_and_the_local_youth_offer():
    p = plan(CASES["emil-9-klasse"], KOMMUNE)
    assert not p.handl_i_dag
    who = [c.hvem for c in p.inddrag]
    assert who[0] == "Den unge selv, alene" and who[1] == "Forældrene"
    assert KOMMUNE.boernefamilie.navn in who and "SSP Eksempel Kommune" in who and "Ung i Eksempelby" in who
    assert who.index(KOMMUNE.boernefamilie.navn) > who.index("Din leder og jeres nøgleperson")
    bf = next(c for c in p.inddrag if c.hvem == KOMMUNE.boernefamilie.navn)
    assert bf.telefon == KOMMUNE.boernefamilie.telefon
    assert any("underrette" in s and KOMMUNE.boernefamilie.telefon in s and "Pligten er din egen" in s for s in p.nu)
    assert any("Ung i Eksempelby" in s for s in p.nu)


def test_plan_for_a_young_adult_keeps_parents_out_unless_she_wants():
    p = plan(CASES["amalie-ungeindsats"], KOMMUNE)
    parents = p.inddrag[-1]  # last: only if she wants, and never before the professionals who can help
    assert parents.hvem == "Forældrene"
    assert "kun" in parents.tekst and "selv vil" in parents.tekst and "tavshedspligt" in parents.tekst
    who = [c.hvem for c in p.inddrag]
    assert KOMMUNE.boernefamilie.navn not in who and "Ungeindsatsen Eksempelby" in who
    assert "SSP Eksempel Kommune" not in who  # SSP's demo age range is 12-18
    assert not any("underret" in s.lower() for s in p.nu)


def test_act_today_puts_112_first_and_underretning_today():
    p = plan(CASES["jonas-fest"], KOMMUNE)
    assert p.handl_i_dag and p.nu[0].startswith("Ring 112 nu")
    assert p.inddrag[0].hvem == "Alarmcentralen" and p.inddrag[0].telefon == "112"
    assert p.inddrag[1].tekst.startswith("Når faren er drevet over")
    assert "Kontakt forældrene i dag." in p.nu
    assert any(s.startswith("Underret i dag") and KOMMUNE.boernefamilie.uden_for_aabningstid in s for s in p.nu)
    nadia = plan(CASES["nadia-beskeder"], KOMMUNE)
    assert nadia.nu[0].startswith("Lad ikke den unge være alene") and "selvmord" in nadia.nu[0]


def test_withdrawal_means_no_abrupt_stop_and_a_doctor_or_the_rusmiddelcenter_today():
    p = plan(CASES["mads-morgen"], KOMMUNE)
    assert p.handl_i_dag and "ikke må stoppe brat" in p.nu[0] and "kramper" in p.nu[0] and "i dag" in p.nu[0]
    assert KOMMUNE.rusmiddelcenter.navn in p.nu[0]
    assert not any(c.hvem == "Alarmcentralen" for c in p.inddrag)
    doctor = next(c for c in p.inddrag if c.hvem.startswith("Egen læge"))
    assert doctor.telefon == KOMMUNE.rusmiddelcenter.telefon


def test_hold_oeje_asks_for_notes_and_no_more():
    p = plan(CASES["oliver-ungdomsskole"], KOMMUNE)
    assert not p.handl_i_dag and p.nu[0].startswith("Skriv ned")
    assert [c.hvem for c in p.inddrag] == ["Den unge selv, alene", "Forældrene", "Din leder og jeres nøgleperson"]


def test_without_kommune_no_local_names_only_kinds_of_places():
    p = plan(CASES["emil-9-klasse"], None)
    text = " ".join(p.nu) + " ".join(c.hvem + c.tekst + c.telefon for c in p.inddrag)
    assert "Eksempel" not in text and "99 99" not in text
    assert "Familieafdelingen" in [c.hvem for c in p.inddrag] and "kommunens familieafdeling" in text


def test_the_youth_offer_follows_the_age_range_in_kommune_yml():
    k = dataclasses.replace(
        KOMMUNE,
        ungetilbud=tuple(
            dataclasses.replace(o, alder_fra=18) if o.type == "behandling" else o for o in KOMMUNE.ungetilbud
        ),
    )
    who = [c.hvem for c in plan(CASES["emil-9-klasse"], k).inddrag]
    assert "Ung i Eksempelby" not in who and KOMMUNE.rusmiddelcenter.navn in who  # 15-year-old: the fallback
    no_offers = dataclasses.replace(KOMMUNE, ungetilbud=())
    p = plan(CASES["amalie-ungeindsats"], no_offers)
    assert [c.hvem for c in p.inddrag][-2:] == [KOMMUNE.rusmiddelcenter.navn, "Forældrene"]  # adult: parents last
    assert "Ungeindsatsen" in [c.hvem for c in p.inddrag]


def test_the_engine_speaks_plain_danish():
    """LIX <= 40 (the house rule) over the steps, contacts, question feedback and rules of every case."""
    blocks = [r.tekst for r in RULES.values()]
    for c in CASES.values():
        p = plan(c, KOMMUNE)
        blocks += [*p.nu, *(k.tekst for k in p.inddrag), *(q.forklaring for q in questions(c))]
    assert lix(blocks) <= 40
