"""Module 5, Unge og rusmidler (issue 15), checked in the BUILT book and in its data files.

What a rusmiddelcenter consultant checks before signing off a youth module:
- Sundhedsstyrelsen's advice for young people is stated as it is (under 18: no alcohol;
  18-25: particular care; 10/4 only for healthy adults, never for a pregnant girl);
- no invented numbers: every figure and legal reference on the module's pages is on its
  Kilder page, the hash figures carry their year, the pages on drugs print no numbers;
- the rules: Barnets Lov § 33 for under-18s, sundhedsloven § 141 and serviceloven § 101 for
  18+, § 101 a only with its condition, § 133 personal, 24 hours;
- what the fact sheet marks [pV] (the § 33 deadline and the consent rules for parents and
  for the young person from 15) and SSP's rules on sharing are never taught as fact: the
  learner is told to ask, and Kilder says they are to be verified;
- every faggruppe tab set in modules 1-5 has the ungeindsats tab ("Ungeindsats og SSP");
- the module fits about 45 minutes, its exercise tests judgement on short cases, its
  temadag questions follow the unified format, the kit has the youth track, Læringsstier
  shows module 5 for every faggruppe.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
import yaml

from rusfokus.exercises import course, schema
from rusfokus.exercises.grading import Grader
from rusfokus.kommune import load_kommune

from helpers.builthtml import (
    article,
    body_blocks,
    lix,
    module_pages,
    page,
    sentences,
    toc_pages,
    visible_text,
    withdrawn_as_current,
)
from helpers.course import built_course

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

ROOT = Path(__file__).resolve().parents[2]
M5 = "05-unge-og-rusmidler"
DATA = ROOT / "modules" / M5 / "data"
PAGES = [
    "index",
    "unge-i-dag",
    "stoffer",
    "tegn",
    "samtalen",
    "regler",
    "signal-eller-stoej",
    "cases",
    "refleksion",
    "opsummering",
    "test-din-viden",
    "kilder",
]
TABS = {
    "dagtilbud": "Dagtilbud",
    "skole": "Skole",
    "sundhedspleje": "Sundhedspleje",
    "jobcenter": "Jobcenter og sygedagpenge",
    "familieafdeling": "Familieafdeling",
    "ungeindsats": "Ungeindsats og SSP",
    "socialpsykiatri": "Socialpsykiatri og bostøtte",
}
TEN_FOUR = re.compile(
    r"\b10\s*(?:-|/|og)\s*4\b|\b10 genstande\b|\b10 om ugen\b|\b4 (?:genstande )?på samme dag\b",
    re.I,
)
PREGNANT = re.compile(r"\bgravid\w*", re.I)
NEGATION = re.compile(r"\b(?:ikke|aldrig|ingen|slet)\b", re.I)
# The [pV] rules: a deadline or consent from 15 stated next to § 33 (or about under-18s' treatment).
PV_RULE = re.compile(
    r"§ 33.*(?:14 dage|15 år|samtykke)|(?:14 dage|15 år).*§ 33|fra (?:de er |den unge er )?15 år",
    re.I,
)
ASK = re.compile(r"[Ss]pørg|[Tt]jek")


def m5(built_book: Path, name: str) -> Path:
    return page(built_book, f"{M5}/{name}")


def text(built_book: Path, name: str) -> str:
    return re.sub(r"\s+", " ", visible_text(m5(built_book, name)))


def learner_pages(built_book: Path) -> dict[str, Path]:
    return {name: m5(built_book, name) for name in toc_pages(M5) if name != "kilder"}


def exercise_data() -> dict:
    return yaml.safe_load((DATA / "opgave.yml").read_text(encoding="utf-8"))


def temadag_data() -> dict:
    return yaml.safe_load((DATA / "temadag.yml").read_text(encoding="utf-8"))


def test_checkers_catch_what_they_should():
    assert PV_RULE.search("Behandling efter Barnets Lov § 33 begynder inden for 14 dage.")
    assert PV_RULE.search("Den unge kan selv give samtykke fra 15 år.")
    assert not PV_RULE.search("Unge under 18 kan få social stofbehandling efter Barnets Lov § 33.")
    assert TEN_FOUR.search("højst 10 genstande om ugen") and not TEN_FOUR.search("senest 14 dage")


# ---------------------------------------------------------------- structure and time


def test_pages_are_in_the_toc_in_order_and_built(built_book):
    assert toc_pages(M5) == PAGES
    assert sorted(p.stem for p in (ROOT / "modules" / M5).glob("*.md")) == sorted(PAGES)
    for path in module_pages(built_book, M5):
        assert article(path).find("h1") is not None, path.name
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    captions = [part["caption"] for part in toc["parts"]]
    assert captions.index("Modul 5: Unge og rusmidler") == captions.index("Modul 4: Dobbeltdiagnose") + 1


def test_index_has_goals_time_prerequisites_and_links_kilder(built_book):
    art = article(m5(built_book, "index"))
    assert art.find("h1").get_text(strip=True).rstrip("#") == "Modul 5: Unge og rusmidler"
    headings = [h.get_text(strip=True).rstrip("#") for h in art.find_all("h2")]
    for heading in ("Læringsmål", "Tid", "Forudsætninger"):
        assert heading in headings
    assert "cirka 45 minutter" in text(built_book, "index")
    hrefs = [a.get("href", "").split("#")[0] for a in art.find_all("a")]
    assert any(h.endswith("kilder.html") for h in hrefs)
    assert any(h.endswith("03-motiverende-samtale/index.html") for h in hrefs), "MI for youth ties to module 3"


def test_time_table_covers_every_page_and_adds_up_to_about_45_minutes(built_book):
    table = article(m5(built_book, "index")).find("table")
    rows = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in table.find_all("tr") if tr.find("td")]
    minutes = {r[0]: int(r[1]) for r in rows}
    total = minutes.pop("I alt")
    assert sum(minutes.values()) == total and 40 <= total <= 50, minutes
    titles = {
        name: article(m5(built_book, name)).find("h1").get_text(" ", strip=True).rstrip("#").strip()
        for name in PAGES
        if name not in ("index", "kilder")
    }
    assert sorted(titles.values()) == sorted(minutes), (titles, minutes)


# ---------------------------------------------------------------- facts


def test_sst_advice_for_young_people(built_book):
    t = text(built_book, "unge-i-dag")
    assert "Unge under 18 år bør ikke drikke alkohol" in t
    assert "Unge mellem 18 og 25 år skal være særligt forsigtige med alkohol" in t
    assert "højst drikke 10 genstande om ugen og højst 4 genstande på samme dag" in t
    assert "Rådet om 10 og 4 er til raske voksne" in t
    assert "intet alkoholforbrug er risikofrit" in t
    # the old under-16 advice only as history
    old = [s for s in sentences(t) if "under 16" in s]
    assert old and all(re.search(r"[Tt]idligere|[Ii]ndtil 2022", s) for s in old), old
    assert "Grænserne i AUDIT-C er lavet til voksne" in t


def test_hash_figures_carry_their_source_and_year_and_drug_pages_invent_no_numbers(built_book):
    t = text(built_book, "unge-i-dag")
    assert "knap 40 %" in t and "knap 10 %" in t and "Tallene er fra før 2017" in t and "Randers" in t
    assert "selvmedicinering" in t and "hvad gør hash for dig?" in t
    for needle in (
        "svært at lære",
        "angst",
        "psykose og skizofreni",
        "afhængig af hash",
        "varierer meget i styrke",
    ):
        assert needle in t, needle
    assert not re.search(r"THC", t)
    # numbers on the two fact pages: only ages, the advice, years, the hash figures and 112
    allowed = {"4", "10", "15", "16", "18", "19", "20", "25", "40", "112", "2017", "2022"}
    for name in ("unge-i-dag", "stoffer"):
        numbers = set(re.findall(r"\d+", text(built_book, name)))
        assert numbers <= allowed, (name, numbers - allowed)
    s = text(built_book, "stoffer")
    for drug in (
        "Kokain",
        "benzodiazepiner",
        "ADHD-medicin uden recept",
        "GHB",
        "Lattergas",
        "blandes",
    ):
        assert drug in s, drug
    assert "Ring 112" in s


def test_signs_and_what_means_act_today(built_book):
    art = article(m5(built_book, "tegn"))
    headings = [h.get_text(" ", strip=True).rstrip("#").strip() for h in art.find_all("h2")]
    assert headings[:4] == [
        "Tegn, du kan se",
        "Hold øje: ét tegn",
        "Et signal: flere tegn over tid",
        "Handl i dag",
    ]
    t = text(built_book, "tegn")
    for needle in (
        "Ring 112",
        "Rus øger risikoen for selvmord",
        "akut psykiatrisk hjælp samme dag",
        "Underret kommunen samme dag",
        "inden for 24 timer",
        "Barnets Lov § 133",
    ):
        assert needle in t, needle
    assert art.select(".rf-kommune"), "the page shows whom to call about a child (kommune.yml)"


def test_talking_with_young_people(built_book):
    t = text(built_book, "samtalen")
    for needle in (
        "Tal med den unge alene først",
        "Vær nysgerrig, ikke moraliserende",
        "Tal om den unges egne mål",
        "Lov aldrig at holde noget hemmeligt",
        "rette-refleksen",
        "forandringssnak",
        "Giv information med lov",
    ):
        assert needle in t, needle


def test_rules_for_under_and_over_18(built_book):
    t = text(built_book, "regler")
    for needle in (
        "social stofbehandling efter Barnets Lov § 33",
        "Gratis alkoholbehandling efter sundhedsloven § 141",
        "Social stofbehandling efter serviceloven § 101",
        "senest 14 dage",
        "anonym, hvis den unge ønsker det",
        "Barnets Lov § 133",
        "Pligten er personlig",
        "selvom din leder er uenig",
        "inden for 24 timer",
        "6 hverdage",
        "§ 137",
        "§ 20",
        "4 måneder",
        "straffeloven § 152",
        "forvaltningsloven § 27",
        "En underretning er lovlig",
    ):
        assert needle in t, needle
    assert "andre sociale problemer" in t and "afklarende samtale" in t
    table = article(m5(built_book, "regler")).find("table")
    who = [tr.find("td").get_text(strip=True) for tr in table.find_all("tr") if tr.find("td")]
    assert who == [
        "Skolen og ungdomsuddannelsen",
        "SSP",
        "Ungeindsatsen",
        "Familieafdelingen",
        "Rusmiddelcentret",
    ]
    # the municipality's youth offers come from kommune.yml, not from the page
    k = load_kommune(ROOT / "kommune.yml")
    box = article(m5(built_book, "regler")).select_one(".rf-kommune-ungetilbud")
    assert box is not None
    source = (ROOT / "modules" / M5 / "regler.md").read_text("utf-8")
    for offer in k.ungetilbud:
        assert offer.navn in box.get_text(" ") and offer.navn not in source


def test_unverified_rules_are_never_taught_as_fact(built_book):
    taught = {}
    for name, path in learner_pages(built_book).items():
        for s in sentences(re.sub(r"[ \t]+", " ", visible_text(path))):
            if PV_RULE.search(s):
                taught.setdefault(name, []).append(s)
    assert taught == {}
    regler = text(built_book, "regler")
    assert "kurset ikke har tjekket" in regler and ASK.search(regler)
    assert "SSP har sine egne regler" in regler and "Spørg jeres SSP-koordinator" in regler
    assert "§ 115" not in regler, "SSP's paragraph is not in the fact sheet: named only on Kilder, as to be verified"
    kilder = text(built_book, "kilder")
    section = kilder.split("Skal tjekkes, før der undervises i det", 1)[1]
    for needle in ("§ 33", "14 dage", "15 år", "ikke tjekket", "retsplejeloven § 115", "psykose"):
        assert needle in section, needle


def test_every_figure_and_paragraph_is_on_the_kilder_page(built_book):
    kilder = text(built_book, "kilder")
    kilder_paragraphs = set(re.findall(r"§\s*(\d+)", kilder))
    missing = {}
    for name, path in learner_pages(built_book).items():
        t = visible_text(path)
        refs = set(re.findall(r"§\s*(\d+)", t)) - kilder_paragraphs
        figures = {f for f in re.findall(r"\b\d{1,3}(?:\.\d{3})+\b", t) if f not in kilder}
        percents = {p for p in re.findall(r"\b\d+(?:,\d+)? %", t) if p not in kilder}
        if refs or figures or percents:
            missing[name] = sorted(refs | figures | percents)
    assert missing == {}
    for source in (
        "Sundhedsstyrelsen (2022)",
        "Rusmiddelplan for Randers Kommune 2017-2020",
        "Københavns Kommune",
        "Haderslev Kommune",
        "Hedensted Kommune",
        "LOV 721/2023",
        "LBK 275/2025",
        "L 132",
    ):
        assert source in kilder, source


def test_no_withdrawn_fact_and_no_ten_four_for_a_pregnant_girl(built_book):
    for name, path in learner_pages(built_book).items():
        t = visible_text(path)
        assert withdrawn_as_current(t) == [], name
        for s in sentences(re.sub(r"[ \t]+", " ", t)):
            if PREGNANT.search(s) and TEN_FOUR.search(s):
                assert NEGATION.search(s), (name, s)
    cases = text(built_book, "cases")
    assert "Rådet om 10 og 4 gælder ikke for Amalie" in cases


# ---------------------------------------------------------------- tabs, apps, what learners see


def test_cases_have_a_tab_per_faggruppe_with_questions_and_reflection(built_book):
    art = article(m5(built_book, "cases"))
    labels = art.select(".sd-tab-label")
    assert {lab.get("data-sync-group") for lab in labels} == {"faggruppe"}
    assert {lab["data-sync-id"]: lab.get_text(strip=True) for lab in labels} == TABS
    for content in art.select(".sd-tab-content"):
        questions = content.find("ol").find_all("li")
        assert len(questions) >= 3 and all(li.get_text().strip().endswith("?") for li in questions)
        assert content.find("details") is not None, "each case has 'Forslag til refleksion'"
    # each case is about a young person between 15 and 25 (the first age in its title)
    ages = []
    for content in art.select(".sd-tab-content"):
        m = re.search(r"(\d+) år", content.find("strong").get_text())
        if m:
            ages.append(int(m.group(1)))
    assert len(ages) >= 5 and all(15 <= a <= 25 for a in ages), ages
    index = article(m5(built_book, "index")).select(".sd-tab-label")
    assert {lab["data-sync-id"] for lab in index} == set(TABS)


def test_every_faggruppe_tab_set_in_modules_1_to_5_has_the_ungeindsats_tab(built_book):
    seen = 0
    for folder in (
        "01-opsporing",
        "02-bekymringssamtale",
        "03-motiverende-samtale",
        "04-dobbeltdiagnose",
        M5,
    ):
        for path in module_pages(built_book, folder):
            for tab_set in article(path).select(".sd-tab-set"):
                labels = tab_set.select('.sd-tab-label[data-sync-group="faggruppe"]')
                if not labels:
                    continue
                seen += 1
                found = {lab["data-sync-id"]: lab.get_text(strip=True) for lab in labels}
                assert found.get("ungeindsats") == "Ungeindsats og SSP", (path.name, found)
    assert seen >= 9


def test_test_din_viden_embeds_the_exercise(built_book):
    embeds = article(m5(built_book, "test-din-viden")).select(".rf-app")
    assert [e["data-app"] for e in embeds] == ["opgave"]
    assert embeds[0]["data-src"] == "/voila/render/opgave/index.ipynb?opgave=unge-og-rusmidler"


def test_signal_page_embeds_its_app(built_book):
    if not (ROOT / "widgets" / "signal-eller-stoej" / "index.ipynb").is_file():
        pytest.skip("widgets/signal-eller-stoej is the engine side of issue 15 and does not exist yet")
    embeds = article(m5(built_book, "signal-eller-stoej")).select(".rf-app")
    assert [e["data-app"] for e in embeds] == ["signal-eller-stoej"], "switch the {app} block on in the page"
    assert embeds[0]["data-src"] == "/voila/render/signal-eller-stoej/index.ipynb"


def test_no_python_and_plain_danish(built_book):
    for name, path in learner_pages(built_book).items():
        art = article(path)
        assert not art.select(".cell_input, .highlight-python, .highlight-ipython3, .highlight-default"), name
        t = visible_text(path)
        assert not re.search(r"^\s*(?:import \w|from \w+ import|def \w+\()|Traceback|\{\{", t, re.M), name
        assert lix(body_blocks(path)) <= 40, (name, round(lix(body_blocks(path)), 1))


# ---------------------------------------------------------------- exercise and temadag data


def test_exercise_is_valid_under_the_real_schema():
    ex = schema.load_exercise(DATA / "opgave.yml")
    assert ex.id == ex.modul == "unge-og-rusmidler"
    assert sum(q.auto for q in ex.spoergsmaal) >= 12


def test_exercise_tests_judgement_on_short_cases():
    data = exercise_data()
    assert data["id"] == "unge-og-rusmidler" and data["modul"] == "unge-og-rusmidler"
    items = data["spoergsmaal"]
    scored = [q for q in items if q["type"] != "refleksion"]
    cases = [q for q in scored if q["type"] == "case"]
    assert len(scored) >= 12 and 2 * len(cases) >= len(scored)
    assert [q["type"] for q in items].count("refleksion") == 1
    for q in cases:
        assert q["case"].strip() and len(q["valg"]) >= 3 and len(q["forklaring"].strip().splitlines()) >= 2, q["id"]
    labels = [o["tekst"] for q in scored for o in q["valg"]]
    assert len(labels) == len(set(labels)), "each option must be unique: browser tests find it by its label"
    for q in scored:
        keys = q["korrekt"] if isinstance(q["korrekt"], list) else [q["korrekt"]]
        assert set(keys) <= {o["id"] for o in q["valg"]}, q["id"]


def test_exercise_keys_are_safe_and_current():
    by_id = {q["id"]: q for q in exercise_data()["spoergsmaal"]}
    for q in by_id.values():
        if q["type"] == "refleksion":
            continue
        keys = q["korrekt"] if isinstance(q["korrekt"], list) else [q["korrekt"]]
        right = " ".join(o["tekst"] for o in q["valg"] if o["id"] in keys)
        blob = re.sub(r"\s+", " ", f"{q.get('case') or ''} {q['forklaring']} {right}")
        assert not [s for s in sentences(blob) if PV_RULE.search(s)], q["id"]
        assert not withdrawn_as_current(blob), q["id"]
        for s in sentences(blob):
            if PREGNANT.search(s) and TEN_FOUR.search(s):
                assert NEGATION.search(s), (q["id"], s)
    assert by_id["alkohol-under-18"]["korrekt"] == "a"
    overdose = by_id["overdosis-fest"]
    assert "112" in next(o["tekst"] for o in overdose["valg"] if o["id"] == overdose["korrekt"])
    duty = by_id["leder-uenig"]
    assert "personlig" in next(o["tekst"] for o in duty["valg"] if o["id"] == duty["korrekt"])
    under18 = by_id["behandling-under-18"]
    right = next(o["tekst"] for o in under18["valg"] if o["id"] == under18["korrekt"])
    assert "Barnets Lov § 33" in right and ASK.search(right.replace("tjekker", "Tjek"))


def test_temadag_questions_follow_the_unified_format():
    data = temadag_data()
    assert set(data) == {"modul", "titel", "spoergsmaal"} and data["modul"] == "unge-og-rusmidler"
    assert data["titel"].startswith("Unge og rusmidler: ")
    ids = [q["id"] for q in data["spoergsmaal"]]
    assert len(ids) == len(set(ids)) >= 5
    opinion = 0
    for q in data["spoergsmaal"]:
        assert set(q) == {"id", "case", "tekst", "valg", "korrekt", "forklaring"}, q["id"]
        assert re.fullmatch(r"[a-z][a-z0-9-]*", q["id"]) and isinstance(q["case"], str) and q["tekst"].strip()
        options = [v["id"] for v in q["valg"]]
        assert 2 <= len(options) <= 6 and len(options) == len(set(options)), q["id"]
        assert isinstance(q["korrekt"], list) and set(q["korrekt"]) <= set(options), q["id"]
        opinion += not q["korrekt"]
        blob = re.sub(r"\s+", " ", q["forklaring"])
        assert not [s for s in sentences(blob) if PV_RULE.search(s)] and not withdrawn_as_current(blob), q["id"]
    assert 1 <= opinion < len(ids)


# ---------------------------------------------------------------- Læringsstier and the kit


def test_laeringsstier_shows_module_5_and_the_ungeindsats_path(built_book):
    path = Path(built_book) / "book" / "laeringsstier.html"
    art = article(path)
    table = art.find("table")
    header = [th.get_text(strip=True) for th in table.find("tr").find_all(["th", "td"])]
    assert header[-1] == "Modul 5"
    rows = {
        tr.find("td").get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")[1:]]
        for tr in table.find_all("tr")
        if tr.find("td")
    }
    assert rows["Ungeindsats og SSP"][-1] == "Vigtigt"
    assert all(len(v) == len(header) - 1 and all(v) for v in rows.values()), rows
    section = next(h for h in art.find_all("h2") if h.get_text(strip=True).rstrip("#") == "Ungeindsats og SSP")
    first = section.find_parent("section").find("ol").find("li")
    assert first.find("a", href=re.compile(rf"modules/{M5}/index\.html"))


def test_kit_has_the_youth_track(built_book):
    kit = Path(built_book) / "book" / "noeglepersoner"
    index = article(kit / "index.html")
    assert index.find("a", href=re.compile(r"^spor-unge\.html"))
    art = article(kit / "spor-unge.html")
    t = re.sub(r"\s+", " ", visible_text(kit / "spor-unge.html"))
    for word in ("ungeindsats", "SSP", "hash", "Barnets Lov § 33", "Barnets Lov § 133"):
        assert word.lower() in t.lower(), word
    assert not [s for s in sentences(visible_text(kit / "spor-unge.html")) if PV_RULE.search(s)]
    agenda = next(h for h in art.find_all("h2") if "Dagsorden" in h.get_text()).find_next("table")
    slots = [(a, b) for a, b in re.findall(r"(\d:\d\d)-(\d:\d\d)", agenda.get_text(" "))]
    assert slots[0][0] == "0:00" and slots[-1][1] == "3:00"
    assert all(end == start for (_, end), (start, _) in zip(slots, slots[1:], strict=False))
    assert len(art.select(".casekort")) >= 3
    hrefs = {a["href"].split("#")[0] for a in art.find_all("a", href=True)}
    assert {
        "egne-erfaringer.html",
        "svaere-spoergsmaal.html",
        "procedure.html",
        "lommekort.html",
    } <= hrefs
    kilder = visible_text(kit / "kilder.html")
    assert "Unge og rusmidler" in kilder and "særligt forsigtige" in kilder


@pytest.mark.slow
def test_exercise_builds_and_grades_with_nbgrader(tmp_path, monkeypatch):
    """Real nbgrader: the release hides the keys, the key scores full marks, wrong answers score 0."""
    monkeypatch.setenv("RUSFOKUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    ex = schema.load_exercise(DATA / "opgave.yml")
    # built once per run (the set the session server is built with), a copy of its own
    course_dir = built_course(tmp_path / "course", "opsporing", ex.id)
    manifest = json.loads(course.manifest_path(course_dir, ex.id).read_text(encoding="utf-8"))
    assert manifest["questions"] == len(ex.spoergsmaal)
    release = course.release_path(course_dir, ex.id).read_text(encoding="utf-8")
    for q in ex.spoergsmaal:
        assert q.forklaring.strip().splitlines()[0] not in release, f"{q.id}: explanation leaked into release"
    grader = Grader(course_dir, content_dir=TEST_CONTENT)
    _, fut = grader.submit("kim.eksempel@eksempel-kommune.example", ex.id, schema.answer_sheet(ex, correct=True))
    right = fut.result(timeout=180)
    assert right["score"] == ex.auto_points and right["passed"] and right["pending_manual"], right
    _, fut = grader.submit("kim.eksempel@eksempel-kommune.example", ex.id, schema.answer_sheet(ex, correct=False))
    wrong = fut.result(timeout=180)
    assert wrong["score"] == 0 and not wrong["passed"], wrong
