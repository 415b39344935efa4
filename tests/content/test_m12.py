"""Content of modules 1 (Opsporing) and 2 (Bekymringssamtalen), checked in the BUILT book.

What a rusmiddelcenter consultant would check before signing off: the current
facts are stated, no withdrawn fact is presented as current, every figure and
legal reference is on the module's Kilder page, the apps and the municipality's
data are embedded, each faggruppe has its case, learners see no Python, and
the text is plain (LIX).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from rusfokus.content.registry import module

from helpers.builthtml import (
    FAGGRUPPER,
    article,
    body_blocks,
    lix,
    module_pages,
    page,
    toc_pages,
    visible_text,
    withdrawn_as_current,
)
from helpers.course import built_course

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("01-opsporing", "02-bekymringssamtale")
EMBEDS = {
    "01-opsporing/genstande": ("genstande", None),
    "01-opsporing/audit-c": ("audit-c", None),
    "01-opsporing/henvisning": ("henvisning", None),
    "01-opsporing/test-din-viden": ("opgave", "opsporing"),
    "02-bekymringssamtale/simulator": ("samtale", None),
    "02-bekymringssamtale/test-din-viden": ("opgave", "bekymringssamtale"),
}


# ---------------------------------------------------------------- the helpers themselves


def test_withdrawn_fact_checker_flags_current_use_and_allows_history():
    assert withdrawn_as_current("Sundhedsstyrelsen anbefaler højst 14/21 genstande om ugen.")
    assert withdrawn_as_current("Du skal underrette efter serviceloven § 153.")
    assert withdrawn_as_current("122.000 børn vokser op med alkoholproblemer.")
    assert withdrawn_as_current("Mænd bør højst drikke 21 genstande om ugen.")
    assert not withdrawn_as_current("Indtil 2022 var grænsen 14/21 genstande om ugen for mænd.")
    assert not withdrawn_as_current("Før 2024 stod pligten i serviceloven § 153.")
    assert not withdrawn_as_current("Behandlingen starter inden for 14 dage.")


def test_lix_of_plain_and_heavy_text():
    assert lix(["Du ser det.", "Du taler med hende.", "Du ringer."]) < 20
    heavy = [
        "Underretningsforpligtelsens anvendelsesområde forudsætter sagsbehandlingsmæssige vurderinger, "
        "hvorefter kommunalbestyrelsens forvaltningsmæssige kompetencefordeling konkretiseres."
    ]
    assert lix(heavy) > 60


# ---------------------------------------------------------------- structure


@pytest.mark.parametrize("module", MODULES)
def test_every_page_is_in_the_toc_and_built(built_book, module):
    sources = sorted(p.stem for p in (ROOT / "modules" / module).glob("*.md"))
    assert sorted(toc_pages(module)) == sources
    for path in module_pages(built_book, module):
        assert path.stat().st_size > 0


@pytest.mark.parametrize("module", MODULES)
def test_module_starts_with_index_and_ends_with_opsummering_test_and_kilder(built_book, module):
    pages = toc_pages(module)
    assert pages[0] == "index"
    assert pages[-3:] == ["opsummering", "test-din-viden", "kilder"]
    index = visible_text(page(built_book, f"{module}/index"))
    headings = [h.get_text(strip=True).rstrip("#") for h in article(page(built_book, f"{module}/index")).find_all("h2")]
    for heading in ("Læringsmål", "Tid", "Forudsætninger"):
        assert heading in headings
    assert re.search(r"cirka 45 minutter", index)
    links = [a.get("href", "") for a in article(page(built_book, f"{module}/index")).find_all("a")]
    assert any(h.split("#")[0].endswith("kilder.html") for h in links), "index must link to the Kilder page"


# ---------------------------------------------------------------- facts


def test_module1_states_the_current_facts(built_book):
    genstande = visible_text(page(built_book, "01-opsporing/genstande"))
    assert "højst drikke 10 genstande om ugen" in genstande
    assert "højst drikke 4 genstande på samme dag" in genstande
    assert "12 gram ren alkohol" in genstande
    assert "Intet alkoholforbrug er risikofrit" in genstande

    audit = visible_text(page(built_book, "01-opsporing/audit-c"))
    assert "mellem 0 og 12 point" in audit
    assert "fra 0 til 4 point" in audit
    assert "ingen dansk officiel grænse" in audit
    for source in ("Bush", "1998", "Bradley", "2003"):
        assert source in audit

    henvisning = visible_text(page(built_book, "01-opsporing/henvisning"))
    assert "sundhedsloven § 141" in henvisning
    assert "senest 14 dage" in henvisning
    assert "anonym, hvis borgeren ønsker det" in henvisning
    assert "serviceloven § 101" in henvisning

    tavshed = visible_text(page(built_book, "01-opsporing/tavshedspligt"))
    assert "Barnets Lov § 133" in tavshed
    assert "Underretningspligten er din egen" in tavshed
    assert "selvom din leder er uenig" in tavshed
    assert "Barnets Lov § 20" in tavshed

    hvorfor = visible_text(page(built_book, "01-opsporing/hvorfor"))
    assert "109.000 børn" in hvorfor


def test_module2_states_the_current_facts(built_book):
    henv = visible_text(page(built_book, "02-bekymringssamtale/henvisning-opfoelgning"))
    assert "senest 14 dage" in henv and "sundhedsloven § 141" in henv
    assert "anonym, hvis borgeren ønsker det" in henv
    underretning = visible_text(page(built_book, "02-bekymringssamtale/underretning"))
    assert "Barnets Lov § 133" in underretning
    assert "Underretningspligten er personlig" in underretning
    assert "inden for 24 timer" in underretning


@pytest.mark.parametrize("module", MODULES)
def test_no_withdrawn_fact_is_stated_as_current(built_book, module):
    bad = {p.name: withdrawn_as_current(visible_text(p)) for p in module_pages(built_book, module)}
    assert {k: v for k, v in bad.items() if v} == {}


@pytest.mark.parametrize("module", MODULES)
def test_every_figure_and_paragraph_is_on_the_kilder_page(built_book, module):
    kilder = visible_text(page(built_book, f"{module}/kilder"))
    kilder_paragraphs = set(re.findall(r"§\s*(\d+)", kilder))
    missing = {}
    for path in module_pages(built_book, module):
        text = visible_text(path)
        refs = set(re.findall(r"§\s*(\d+)", text)) - kilder_paragraphs
        figures = {f for f in re.findall(r"\b\d{1,3}(?:\.\d{3})+\b", text) if f not in kilder}
        percents = {p for p in re.findall(r"\b\d+(?:,\d+)? %", text) if p not in kilder}
        if refs or figures or percents:
            missing[path.name] = sorted(refs | figures | percents)
    assert missing == {}


# ---------------------------------------------------------------- apps, kommune data, cases


@pytest.mark.parametrize("name", sorted(EMBEDS))
def test_apps_are_embedded_on_the_right_pages(built_book, name):
    app, opgave = EMBEDS[name]
    embeds = article(page(built_book, name)).select(".rf-app")
    assert [e["data-app"] for e in embeds] == [app]
    src = embeds[0]["data-src"]
    assert src.startswith(f"/voila/render/{app}/index.ipynb")
    assert (ROOT / "widgets" / app / "index.ipynb").is_file()
    if opgave:
        assert src.endswith(f"?opgave={opgave}")
        assert (ROOT / "modules" / module(opgave).folder / "data" / "opgave.yml").is_file()


def test_municipal_offers_and_contacts_come_from_kommune_yml(built_book):
    k = yaml.safe_load((ROOT / "kommune.yml").read_text(encoding="utf-8"))
    henv = visible_text(page(built_book, "01-opsporing/henvisning"))
    assert k["kommune"] in henv
    for tilbud in k["tilbud"]:
        assert tilbud["navn"] in henv
    assert k["rusmiddelcenter"]["telefon"] in henv
    underretning = visible_text(page(built_book, "02-bekymringssamtale/underretning"))
    assert k["boernefamilie"]["telefon"] in underretning
    for mod in MODULES:
        for path in module_pages(built_book, mod):
            assert "{{" not in visible_text(path), f"{path.name}: unreplaced substitution"


@pytest.mark.parametrize("module", MODULES)
def test_cases_one_per_faggruppe_with_reflection_questions(built_book, module):
    art = article(page(built_book, f"{module}/cases"))
    labels = art.select(".sd-tab-label")
    assert {lab.get("data-sync-group") for lab in labels} == {"faggruppe"}
    assert {lab.get("data-sync-id") for lab in labels} == FAGGRUPPER
    contents = art.select(".sd-tab-content")
    assert len(contents) == len(FAGGRUPPER)
    for content in contents:
        questions = content.find("ol")
        assert questions is not None and len(questions.find_all("li")) >= 3
        assert all(li.get_text().strip().endswith("?") for li in questions.find_all("li"))
        assert content.find("details") is not None, "each case has 'Forslag til refleksion'"
    # The index lets the learner pick a faggruppe with the same keys (remembered by sphinx-design).
    index_labels = article(page(built_book, f"{module}/index")).select(".sd-tab-label")
    assert {lab.get("data-sync-id") for lab in index_labels} == FAGGRUPPER


# ---------------------------------------------------------------- what learners see


@pytest.mark.parametrize("module", MODULES)
def test_no_visible_python(built_book, module):
    for path in module_pages(built_book, module):
        art = article(path)
        assert not art.select(".cell_input, .highlight-python, .highlight-ipython3, .highlight-default"), path.name
        text = visible_text(path)
        for pattern in (
            r"^\s*import \w",
            r"^\s*from \w+ import",
            r"^\s*def \w+\(",
            r"Traceback",
            r"\bNone\b",
        ):
            assert not re.search(pattern, text, re.M), f"{path.name}: {pattern}"


@pytest.mark.parametrize("module", MODULES)
def test_plain_danish_lix_at_most_45(built_book, module):
    scores = {p.name: round(lix(body_blocks(p)), 1) for p in module_pages(built_book, module) if p.stem != "kilder"}
    assert {k: v for k, v in scores.items() if v > 45} == {}


# ---------------------------------------------------------------- sources (no build needed)

_SENTENCE_END = re.compile(r"(?<!\bm\.fl)(?<!\bkl)(?<!\bfx)[.!?](?:\*\*)?\s+(?=\*\*|[A-ZÆØÅ])")


def _outside_quotes(line: str) -> str:
    return re.sub(r'"[^"]*"', '""', line)


@pytest.mark.parametrize("module", MODULES)
def test_markdown_one_sentence_per_line(module):
    bad = []
    for md in sorted((ROOT / "modules" / module).glob("*.md")):
        if md.stem == "kilder":
            continue
        for no, line in enumerate(md.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith(("|", "#", ":", "```", ">")):
                continue
            body = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line)
            if _SENTENCE_END.search(_outside_quotes(body)):
                bad.append(f"{md.name}:{no}: {line[:80]}")
    assert bad == []


# ---------------------------------------------------------------- the scored exercise of module 2

OPGAVE_YML = ROOT / "modules" / "02-bekymringssamtale" / "data" / "opgave.yml"


def _exercise():
    from rusfokus.exercises.schema import load_exercise

    return load_exercise(OPGAVE_YML)


def test_bekymringssamtale_exercise_meets_the_brief():
    ex = _exercise()
    types = [q.type for q in ex.spoergsmaal]
    assert ex.id == "bekymringssamtale" and ex.modul == "bekymringssamtale"
    assert len(ex.spoergsmaal) >= 10
    assert types.count("case") >= 2
    assert types.count("refleksion") >= 1
    texts = "\n".join(
        [q.tekst + "\n" + q.forklaring + "\n" + (q.case or "") for q in ex.spoergsmaal]
        + [o.tekst for q in ex.spoergsmaal for o in q.valg]
    )
    assert withdrawn_as_current(texts) == []
    assert "§ 133" in texts and "14 dage" in texts


@pytest.mark.slow
def test_bekymringssamtale_exercise_grades_for_real(tmp_path, monkeypatch):
    """Real nbgrader: build the course from the YAML, grade all-right and all-wrong answers."""
    import rusfokus.progress.hooks as hooks

    graded = []
    monkeypatch.setattr(hooks, "on_graded", lambda *a, **k: graded.append(a))

    from rusfokus.exercises.course import manifest_path, release_path
    from rusfokus.exercises.grading import Grader

    ex = _exercise()
    built_course(tmp_path, ex.id)  # built once per run, a copy of its own
    assert json.loads(manifest_path(tmp_path, ex.id).read_text(encoding="utf-8"))["questions"] == len(ex.spoergsmaal)
    released = release_path(tmp_path, ex.id).read_text(encoding="utf-8")
    assert "HIDDEN TESTS" not in released
    for q in ex.spoergsmaal:
        assert q.forklaring.splitlines()[0] not in released, f"{q.id}: explanation leaked into release"

    def answers(correct: bool) -> dict:
        from rusfokus.exercises.schema import answer_sheet

        return answer_sheet(ex, correct, "Jeg taler med min leder først og skriver mine iagttagelser ned.")

    grader = Grader(tmp_path, content_dir=TEST_CONTENT)
    try:
        right = grader.submit("test.person@eksempel-kommune.example", ex.id, answers(True))[1].result(timeout=120)
        wrong = grader.submit("test.person@eksempel-kommune.example", ex.id, answers(False))[1].result(timeout=120)
    finally:
        grader.join()
    assert right["score"] == right["max_score"] == ex.auto_points and right["passed"]
    assert right["pending_manual"] is True
    assert wrong["score"] == 0 and not wrong["passed"]
    assert [call[1] for call in graded] == [ex.id, ex.id]
