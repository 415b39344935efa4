"""The cases of "Signal eller støj?": the module's file is valid and fictional; mistakes are named by
file, line and field; an answer key that contradicts itself is refused."""

from __future__ import annotations

import re

import pytest

from rusfokus.content import data_dir
from rusfokus.content.loader import ContentError, display_path
from rusfokus.unge.cases import (
    AKUT,
    AKUT_SVAR,
    CASES_FILE,
    HANDL_I_DAG,
    HOLD_OEJE,
    MODULE_ID,
    SIGNAL,
    STOEJ,
    TAL_SNART,
    check,
    load_cases,
)

from helpers.builthtml import lix
from helpers.paths import ROOT

CASES = ROOT / "modules" / "05-unge-og-rusmidler" / "data" / CASES_FILE

GOOD = """\
cases:
  - id: test-ung
    titel: "Test, 16 år"
    alder: 16
    rusmiddel: stoffer
    rolle: Du er lærer.
    intro: En opdigtet ung.
    iagttagelser:
      - tekst: Træt en mandag.
        svar: stoej
        forklaring: Det sker.
      - tekst: Væk seks mandage.
        svar: signal
        forklaring: Et mønster.
      - tekst: Lugter af hash i skolen.
        svar: signal
        forklaring: Et signal.
    niveau: tal_snart
    niveau_forklaring: Tal med den unge snart.
"""


def write(tmp_path, text: str):
    p = tmp_path / "cases.yml"
    p.write_text(text, encoding="utf-8")
    return p


def problems(tmp_path, text: str) -> str:
    with pytest.raises(ContentError) as exc:
        load_cases(write(tmp_path, text))
    return str(exc.value)


def test_the_module_file_is_valid_and_covers_every_level_and_kind_of_danger():
    cases = load_cases(CASES)
    assert CASES == data_dir(MODULE_ID, ROOT / "modules") / CASES_FILE
    assert len(cases) >= 6
    assert {c.niveau for c in cases} == {HOLD_OEJE, TAL_SNART, HANDL_I_DAG}
    assert {a for c in cases for a in c.akut} == set(AKUT)
    ages = [c.alder for c in cases]
    assert min(ages) < 15 and max(ages) >= 18 and any(15 <= a < 18 for a in ages)  # school-age, youth, young adults
    for c in cases:
        kinds = {o.svar for o in c.iagttagelser}
        assert STOEJ in kinds, c.id  # every case trains telling noise from signals
        assert (AKUT_SVAR in kinds) == (c.niveau == HANDL_I_DAG), c.id
        assert (kinds & {SIGNAL, AKUT_SVAR} == set()) == (c.niveau == HOLD_OEJE), c.id


def test_the_module_file_teaches_no_unverified_rules_or_numbers():
    text = CASES.read_text(encoding="utf-8")
    # Barnets Lov § 33's 14-day rule and consent rules are [pV] in fagligt-grundlag.md; § 115 is not there.
    assert "§" not in text  # rules come from the engine (one home), not from case text
    assert not re.search(r"\b14 dage\b|samtykke", text)
    assert "TODO" not in text


def test_a_good_file_loads(tmp_path):
    (case,) = load_cases(write(tmp_path, GOOD))
    assert case.id == "test-ung" and case.under_18 and case.stoffer and not case.alkohol
    assert [o.svar for o in case.iagttagelser] == [STOEJ, SIGNAL, SIGNAL]


def test_wrong_answer_value_names_file_line_and_field(tmp_path):
    text = GOOD.replace(
        "svar: signal\n        forklaring: Et mønster.", "svar: maaske\n        forklaring: Et mønster."
    )
    msg = problems(tmp_path, text)
    line = text.splitlines().index("        svar: maaske") + 1
    assert f"cases.yml:{line}: cases[1].iagttagelser[2].svar: must be one of stoej, signal, handl_i_dag" in msg


def test_all_problems_are_listed_at_once(tmp_path):
    text = GOOD.replace("alder: 16", "alder: 40").replace("rusmiddel: stoffer", "rusmiddel: kaffe")
    text = text.replace("    rolle: Du er lærer.\n", "")
    msg = problems(tmp_path, text)
    assert "cases[1].alder: must be a whole number of years from 10 to 25, got 40" in msg
    assert "cases[1].rusmiddel: must be one of alkohol, stoffer, begge, ukendt" in msg
    assert "cases[1].rolle: is missing" in msg


def test_act_today_needs_a_reason_and_the_level_handl_i_dag(tmp_path):
    acute = GOOD.replace(
        "svar: signal\n        forklaring: Et signal.", "svar: handl_i_dag\n        forklaring: Et signal."
    )
    assert "iagttagelser[3].akut: svar: handl_i_dag needs akut: one of overdosis, selvmord, abstinenser" in problems(
        tmp_path, acute
    )
    acute = acute.replace("svar: handl_i_dag\n", "svar: handl_i_dag\n        akut: overdosis\n")
    assert "cases[1].niveau: an observation is handl_i_dag, so niveau must be handl_i_dag, not tal_snart" in problems(
        tmp_path, acute
    )
    load_cases(write(tmp_path, acute.replace("niveau: tal_snart", "niveau: handl_i_dag")))
    # akut only on an act-today observation; withdrawal only with alcohol
    assert "only an observation with svar: handl_i_dag has akut" in problems(
        tmp_path,
        GOOD.replace(
            "svar: signal\n        forklaring: Et signal.",
            "svar: signal\n        akut: selvmord\n        forklaring: Et signal.",
        ),
    )
    withdrawal = acute.replace("akut: overdosis", "akut: abstinenser").replace(
        "niveau: tal_snart", "niveau: handl_i_dag"
    )
    assert "rusmiddel must be alkohol or begge" in problems(tmp_path, withdrawal)


def test_levels_must_agree_with_the_observations(tmp_path):
    assert "hold_oeje means nothing here is a signal" in problems(
        tmp_path, GOOD.replace("niveau: tal_snart", "niveau: hold_oeje")
    )
    assert "handl_i_dag needs at least one observation with svar: handl_i_dag" in problems(
        tmp_path, GOOD.replace("niveau: tal_snart", "niveau: handl_i_dag")
    )
    all_noise = GOOD.replace("svar: signal", "svar: stoej")
    assert "tal_snart needs at least one observation with svar: signal" in problems(tmp_path, all_noise)
    load_cases(write(tmp_path, all_noise.replace("niveau: tal_snart", "niveau: hold_oeje")))
    no_noise = GOOD.replace("svar: stoej", "svar: signal")
    assert "needs at least one observation with svar: stoej" in problems(tmp_path, no_noise)


def test_a_young_adult_case_must_say_alcohol_or_drugs(tmp_path):
    text = GOOD.replace("alder: 16", "alder: 20").replace("rusmiddel: stoffer", "rusmiddel: ukendt")
    assert "cases[1].rusmiddel: for a young adult (18+)" in problems(tmp_path, text)


def test_duplicate_ids_unknown_fields_and_partners(tmp_path):
    body = GOOD.split("cases:\n", 1)[1]
    assert "cases[2].id: id 'test-ung' is already used by case 1" in problems(tmp_path, GOOD + body)
    text = GOOD.replace("    niveau: tal_snart\n", "    niveau: tal_snart\n    farve: blå\n    samarbejde: [politi]\n")
    msg = problems(tmp_path, text)
    assert "cases[1].farve: unknown field" in msg and "cases[1].samarbejde[1]: must be one of ssp, ungeindsats" in msg


def test_too_few_observations_and_bad_yaml(tmp_path):
    short = GOOD.split("      - tekst: Væk seks mandage.")[0] + "    niveau: hold_oeje\n    niveau_forklaring: x\n"
    assert "iagttagelser: must be a list of 3 to 8 observations" in problems(tmp_path, short)
    assert "cases.yml:3: invalid YAML" in problems(tmp_path, "cases:\n  - id: [\n")
    assert "must be a list of one or more cases" in problems(tmp_path, "cases: []\n")


def test_check_for_rusfokus_check(tmp_path):
    ok, problems = check(ROOT / "modules")
    assert problems == [] and ok == [f"{display_path(CASES)}: 7 cases, 32 observations to sort"]
    broken = tmp_path / "05-unge-og-rusmidler" / "data"
    broken.mkdir(parents=True)
    (broken / CASES_FILE).write_text(GOOD.replace("alder: 16", "alder: 9"), encoding="utf-8")
    ok, problems = check(tmp_path)
    line = GOOD.splitlines().index("    alder: 16") + 1
    assert ok == [] and [p.field for p in problems] == ["cases[1].alder"] and problems[0].line == line


def test_the_learner_reads_plain_danish():
    """LIX <= 40 (the house rule) over every text the app shows from the cases file."""
    blocks = []
    for c in load_cases(CASES):
        blocks += [c.titel, c.rolle, c.intro, c.niveau_forklaring]
        blocks += [t for o in c.iagttagelser for t in (o.tekst, o.forklaring)]
    assert lix(blocks) <= 40
