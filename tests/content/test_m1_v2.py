"""Module 1 after the fagperson's review (issue 11, "Fagligt v2"), checked in the BUILT book.

What a clinical consultant from a rusmiddelcenter checks before signing:
- sundhedsloven § 142 is drug treatment; alcohol medicine is § 141;
- anonymous drug treatment (serviceloven § 101 a) is never promised without its condition;
- the 10/4 advice is never offered to a pregnant or breastfeeding woman, and the
  AUDIT-C cut-offs are said to be for adults;
- *Dialog om alkohol* is a tool for staff, not a leaflet for the citizen;
- the safety page (withdrawal, the intoxicated parent at pick-up, overdose,
  suicide risk) is in the module, with sources, and prints no unverified number;
- the module's time table still adds up to about 45 minutes;
- the quiz tests judgement on short cases.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from rusfokus.exercises.schema import load_exercise
from rusfokus.kommune import load_kommune

from helpers.builthtml import article, toc_pages, visible_text

ROOT = Path(__file__).resolve().parents[2]
M1 = "01-opsporing"

TEN_FOUR = re.compile(
    r"\b10\s*(?:-|/|og)\s*4\b|\b10 genstande\b|\b10 om ugen\b|\b4 (?:genstande )?på samme dag\b|\b10-4\b", re.I
)
PREGNANT_OR_BREASTFEEDING = re.compile(r"\bgravid\w*|\bammer\b|\bammende\b|\bamning\b", re.I)
NEGATION = re.compile(r"\b(?:ikke|aldrig|ingen)\b", re.I)


# ---------------------------------------------------------------- helpers


def m1_pages() -> list[str]:
    return toc_pages(M1)


def built(book: Path, name: str) -> Path:
    path = Path(book) / (f"modules/{M1}/{name}.html" if "/" not in name else f"{name}.html")
    assert path.is_file(), f"{name} was not built"
    return path


def blocks(path: Path) -> list[str]:
    """Text of every leaf paragraph, list item, definition and table cell, as a learner reads it."""
    art = BeautifulSoup(str(article(path)), "html.parser")
    for tag in art.find_all(["script", "style", "template"]):
        tag.decompose()
    out = []
    for el in art.find_all(["p", "li", "dd", "td", "th", "dt"]):
        if el.find(["p", "li", "dd"]):
            continue
        text = " ".join(el.get_text(" ", strip=True).split())
        if text:
            out.append(text)
    return out


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÆØÅ§\"„])", text) if s.strip()]


def all_sentences(path: Path) -> list[str]:
    return [s for b in blocks(path) for s in sentences(b)]


def test_helpers_split_and_match():
    assert sentences("Rådet er 10 og 4. Gravide bør ikke drikke.") == ["Rådet er 10 og 4.", "Gravide bør ikke drikke."]
    assert TEN_FOUR.search("højst 10 genstande om ugen") and TEN_FOUR.search("rådet om 10 og 4")
    assert TEN_FOUR.search("højst 4 på samme dag") and not TEN_FOUR.search("inden for 14 dage")
    assert PREGNANT_OR_BREASTFEEDING.search("Line ammer.") and PREGNANT_OR_BREASTFEEDING.search("en gravid kvinde")
    assert not PREGNANT_OR_BREASTFEEDING.search("Hun sammenligner.")


# ---------------------------------------------------------------- 1. § 142 is drug treatment


def test_142_is_drug_treatment_and_alcohol_medicine_is_141(built_book):
    pages = {name: built(built_book, name) for name in m1_pages()}
    pages["ordliste"] = Path(built_book) / "book" / "ordliste.html"
    pages["om-kurset"] = Path(built_book) / "book" / "om-kurset.html"
    found = 0
    for name, path in pages.items():
        for s in all_sentences(path):
            if "§ 142" in s or "§142" in s:
                found += 1
                assert not re.search(r"Antabus|Campral|abstinens", s), f"{name}: {s}"
                assert not re.search(r"\balkohol", s, re.I) or NEGATION.search(s), f"{name}: {s}"
    assert found >= 4
    henv = visible_text(built(built_book, "henvisning"))
    assert "Medicin i alkoholbehandlingen hører også under § 141" in henv
    assert "Sundhedsloven § 142 gælder også kun behandling for stoffer" in henv and "§ 142 gælder ikke alkohol" in henv
    # The § 142 paragraph sits under "Behandling for stoffer", not under alcohol treatment.
    art = article(built(built_book, "henvisning"))
    alcohol = art.find(id="alkoholbehandling-er-gratis-og-kan-vaere-anonym")
    drugs = art.find(id="behandling-for-stoffer")
    assert alcohol is not None and drugs is not None
    assert "§ 142" not in alcohol.get_text(" ") and "§ 142" in drugs.get_text(" ")
    ordliste = " ".join(blocks(pages["ordliste"]))
    assert re.search(r"Reglen om lægelig behandling for stoffer\..*§ 142 gælder ikke alkoholbehandling", ordliste)
    assert re.search(r"hører også under § 141, fx Antabus, Campral", ordliste)


# ---------------------------------------------------------------- 2. § 101 a has a condition


ANON_DRUGS = re.compile(r"(?:stof\w*|§ 101 a).*anonym|anonym.*(?:stof\w*|§ 101 a)", re.I)
CONDITION = re.compile(r"\bkun\b|nogle|afklarende samtale|andre sociale problemer|afgør|\bikke\b", re.I)


def test_anonymous_drug_treatment_is_never_promised_without_its_condition(built_book):
    pages = {name: built(built_book, name) for name in m1_pages()}
    pages["ordliste"] = Path(built_book) / "book" / "ordliste.html"
    pages["om-kurset"] = Path(built_book) / "book" / "om-kurset.html"
    promised = {}
    for name, path in pages.items():
        if name == "kilder":
            continue
        for s in all_sentences(path):
            if ANON_DRUGS.search(s) and not CONDITION.search(s):
                promised.setdefault(name, []).append(s)
        text = visible_text(path)
        if "§ 101 a" in text:
            assert "andre sociale problemer" in text, f"{name} names § 101 a without its condition"
    assert promised == {}
    henv = visible_text(built(built_book, "henvisning"))
    assert "afklarende samtale" in henv and "ambulant" in henv
    kilder = visible_text(built(built_book, "kilder"))
    assert "L 132" in kilder and "afklarende samtale" in kilder


# ---------------------------------------------------------------- 7. gravide, ammende, adults only


def test_ten_four_is_never_offered_to_gravide_or_ammende(built_book):
    offending = {}
    for name in m1_pages():
        for s in all_sentences(built(built_book, name)):
            if PREGNANT_OR_BREASTFEEDING.search(s) and TEN_FOUR.search(s) and not NEGATION.search(s):
                offending.setdefault(name, []).append(s)
    assert offending == {}


def test_sundhedspleje_case_does_not_quote_ten_four_to_the_breastfeeding_mother(built_book):
    art = article(built(built_book, "cases"))
    tab = next(
        c
        for c, lab in zip(art.select(".sd-tab-content"), art.select(".sd-tab-label"), strict=True)
        if lab.get("data-sync-id") == "sundhedspleje"
    )
    text = " ".join(tab.get_text(" ", strip=True).split())
    assert "Line ammer" in text
    ten_four = [s for s in sentences(text) if TEN_FOUR.search(s)]
    assert ten_four, "the case should say what the 10/4 advice means here"
    for s in ten_four:
        assert NEGATION.search(s) or ("Mikkel" in s and "Line" not in s), s
    assert "Rådet om 10 og 4 gælder ikke for Line" in text
    assert "forsigtige med alkohol" in text


def test_genstande_and_audit_c_pages_say_whom_the_advice_is_for(built_book):
    genstande = visible_text(built(built_book, "genstande"))
    assert "Rådet om 10 og 4 er til raske voksne" in genstande
    assert "Rådet om 10 og 4 gælder ikke for gravide og kvinder, der ammer" in genstande
    assert "En gravid bør slet ikke drikke alkohol" in genstande
    # the calculator's rule, stated on the page as in the app
    assert "1 genstand er 12 gram ren alkohol" in genstande and "4 øl er 4,0 genstande" in genstande
    audit = visible_text(built(built_book, "audit-c"))
    assert "Grænserne er lavet til voksne" in audit and "under 18 år" in audit
    assert "For en gravid findes der ingen grænse" in audit


def test_dialog_om_alkohol_is_a_staff_tool(built_book):
    pages = {name: built(built_book, name) for name in m1_pages()}
    pages["ordliste"] = Path(built_book) / "book" / "ordliste.html"
    pages["om-kurset"] = Path(built_book) / "book" / "om-kurset.html"
    mentions = 0
    for name, path in pages.items():
        text = " ".join(blocks(path))
        if "Dialog om alkohol" not in text:
            continue
        mentions += 1
        assert re.search(r"ikke (?:en )?pjece til borgeren", text), f"{name} does not say it is not a leaflet"
        for s in all_sentences(path):
            if "Dialog om alkohol" in s:
                assert not re.search(r"\b(?:giv|udlever|del ud)\b", s, re.I), f"{name}: {s}"
    assert mentions >= 3
    assert "Det er et redskab til dig som medarbejder" in visible_text(built(built_book, "kort-samtale"))


# ---------------------------------------------------------------- safety page


def test_safety_page_follows_henvisning_in_the_toc():
    pages = m1_pages()
    assert "sikkerhed" in pages and pages.index("sikkerhed") == pages.index("henvisning") + 1


def test_safety_page_teaches_withdrawal_pickup_overdose_and_suicide_risk(built_book):
    k = load_kommune(ROOT / "kommune.yml")
    path = built(built_book, "sikkerhed")
    text = visible_text(path)
    flat = " ".join(text.split())
    art = article(path)
    headings = [h.get_text(" ", strip=True).rstrip("#").strip() for h in art.find_all("h2")]
    assert headings == [
        "Når en borger drikker hver dag",
        "Når en forælder er påvirket ved afhentning",
        "Tegn på overdosis",
        "Rus og selvmord",
        "Husk",
    ]
    # withdrawal
    for needle in (
        "drikker allerede om morgenen",
        "ryster på hænderne om morgenen",
        "kramper",
        "delirium tremens",
        "Råd aldrig borgeren til at stoppe brat",
        "samme dag",
        "lægevagten",
    ):
        assert needle in flat, needle
    assert k.rusmiddelcenter.telefon in flat and k.rusmiddelcenter.navn in flat
    # the intoxicated parent: ordered steps, child first, local procedure decides
    section = next(h for h in art.find_all("h2") if h.get_text().startswith("Når en forælder")).find_parent("section")
    steps = [
        " ".join(li.get_text(" ", strip=True).split()) for li in section.find("ol").find_all("li", recursive=False)
    ]
    assert len(steps) == 7
    assert steps[0].startswith("Barnets sikkerhed kommer først") and "Giv ikke barnet med" in steps[0]
    assert "den anden forælder" in steps[2] and "netværk" in steps[2]
    assert "leder" in steps[3]
    assert "112" in steps[4] and "køre bil" in steps[4]
    assert "Barnets Lov § 133" in steps[5] and k.boernefamilie.telefon in steps[5]
    assert "lokale procedure" in section.get_text(" ")
    # overdose and 112
    for needle in (
        "opioider",
        "GHB",
        "benzodiazepiner",
        "Ring 112 med det samme",
        "ikke kan vækkes",
        "trækker vejret langsomt",
        "Bliv hos personen",
    ):
        assert needle in flat, needle
    # suicide risk: no unverified helpline number printed
    assert "Rus øger risikoen for selvmord" in flat and "Ring 112 ved akut fare" in flat
    numbers = set(re.findall(r"\b\d{2} ?\d{2} ?\d{2} ?\d{2}\b|\b\d{2} \d{3} \d{3}\b|\b\d{4}\b", flat))
    allowed = {k.rusmiddelcenter.telefon, k.boernefamilie.telefon}
    assert numbers <= allowed, numbers - allowed
    assert "Kurset skriver ikke nummeret her" in flat


def test_safety_page_is_on_the_kilder_page_and_linked_from_the_module(built_book):
    kilder = visible_text(built(built_book, "kilder"))
    assert "Sikkerhed: når det haster" in kilder
    for needle in ("delirium tremens", "GHB", "ikke kontrolleret", "lokale procedure"):
        assert needle in kilder, needle
    for name in ("henvisning", "audit-c", "kort-samtale", "cases"):
        links = [a.get("href", "") for a in article(built(built_book, name)).find_all("a")]
        assert any(h.split("#")[0].endswith("sikkerhed.html") for h in links), name


# ---------------------------------------------------------------- time


def test_time_table_covers_every_page_and_adds_up_to_45_minutes(built_book):
    art = article(built(built_book, "index"))
    table = art.find("table")
    rows = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in table.find_all("tr") if tr.find("td")]
    minutes = {r[0]: int(r[1]) for r in rows}
    total = minutes.pop("I alt")
    assert sum(minutes.values()) == total
    assert 40 <= total <= 50
    titles = {}
    for name in m1_pages():
        if name in ("index", "kilder"):
            continue
        h1 = article(built(built_book, name)).find("h1").get_text(" ", strip=True).rstrip("#").strip()
        titles[name] = h1
    unmatched = [t for t in titles.values() if not any(t.startswith(row.split(":")[0]) or row in t for row in minutes)]
    assert unmatched == [], unmatched
    assert "Når det haster: sikkerhed først" in minutes


# ---------------------------------------------------------------- quiz


def _quiz():
    return load_exercise(ROOT / "modules" / "01-opsporing" / "data" / "opgave.yml")


def test_quiz_tests_judgement_on_short_cases():
    ex = _quiz()
    cases = [q for q in ex.spoergsmaal if q.type == "case"]
    assert len(cases) * 2 >= len(ex.spoergsmaal), "at least half of the items are case-based judgement items"
    case_text = "\n".join((q.case or "") + q.tekst for q in cases)
    assert re.search(r"AUDIT-C.*\b[0-2] point", case_text, re.S), "a low AUDIT-C score with clear signs"
    assert PREGNANT_OR_BREASTFEEDING.search(case_text), "a pregnant or breastfeeding woman"
    assert re.search(r"ryster", case_text), "a daily drinker with morning tremor"
    assert re.search(r"siger nej|vil ikke tale|kommer ikke dig ved", case_text), "a citizen who says no"
    assert re.search(r"henter|afhentning", case_text) and re.search(r"bil", case_text), "the intoxicated parent"
    for q in cases:
        assert len(q.valg) >= 3 and len(q.forklaring.splitlines()) >= 2, q.id


def test_quiz_keys_are_safe_and_current():
    ex = _quiz()
    by_id = {q.id: q for q in ex.spoergsmaal}
    for q in ex.spoergsmaal:
        right = [o.tekst for o in q.valg if o.id in q.korrekt]
        blob = " ".join([q.forklaring, *right])
        for s in sentences(blob.replace("\n", " ")):
            if PREGNANT_OR_BREASTFEEDING.search(s) and TEN_FOUR.search(s):
                assert NEGATION.search(s), f"{q.id}: {s}"
            if "§ 142" in s:
                assert not re.search(r"Antabus|Campral", s), f"{q.id}: {s}"
    tremor = next(q for q in ex.spoergsmaal if q.case and "ryster" in q.case)
    right = " ".join(o.tekst for o in tremor.valg if o.id in tremor.korrekt)
    assert "samme dag" in right and "ikke må stoppe brat" in right
    wrong = " ".join(o.tekst for o in tremor.valg if o.id not in tremor.korrekt)
    assert re.search(r"stop\w* (?:helt )?(?:med det samme|i morgen|fra i dag)", wrong, re.I), (
        "a plausible but unsafe distractor: stopping abruptly"
    )
    assert by_id["ugegraense"].korrekt == ("b",)
    labels = [o.tekst for q in ex.spoergsmaal for o in q.valg]
    assert len(labels) == len(set(labels)), "each option must be unique: browser tests find it by its label"
