"""Module 2, content v2 (issue 11), checked in the BUILT book.

The new pages a rusmiddelcenter consultant asked for are there and say what
they must (what treatment is, pårørende and children, pregnancy, the jobcenter
frame, colleagues); anonymity for drug treatment always comes with the
serviceloven § 101 a limits; the 10/4 advice is never offered to gravide or
ammende; the module still fits about 45 minutes for each faggruppe's path; the
text is plain (LIX at most 40).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from helpers.browser import axe_problems_on_pages
from helpers.builthtml import (
    FAGGRUPPER,
    article,
    body_blocks,
    lix,
    page,
    sentences,
    toc_pages,
    visible_text,
)

ROOT = Path(__file__).resolve().parents[2]
M2 = "02-bekymringssamtale"
NEW_PAGES = ("naar-borgeren-ringer", "paaroerende-og-boern", "graviditet", "jobcenter", "kollega")
FAGGRUPPE_LABEL = {
    "dagtilbud": "Dagtilbud",
    "skole": "Skole",
    "sundhedspleje": "Sundhedspleje",
    "jobcenter": "Jobcenter og sygedagpenge",
    "familieafdeling": "Familieafdeling",
    "ungeindsats": "Ungeindsats og SSP",
}


def m2(built_book: Path, name: str) -> str:
    return visible_text(page(built_book, f"{M2}/{name}"))


def folded(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# ---------------------------------------------------------------- the new pages


def test_new_pages_are_in_module_2_between_index_and_opsummering():
    pages = toc_pages(M2)
    for name in NEW_PAGES:
        assert name in pages
        assert 0 < pages.index(name) < pages.index("opsummering")
    # What treatment is comes before the page on how to refer.
    assert pages.index("naar-borgeren-ringer") < pages.index("henvisning-opfoelgning")


def test_what_happens_when_the_citizen_calls(built_book):
    text = folded(m2(built_book, "naar-borgeren-ringer"))
    for must in (
        "Hvad sker der, når borgeren ringer?",
        "åben rådgivning",
        "visitation",
        "plan sammen",
        "at stoppe helt",
        "(reduktion)",
        "(stabilisering)",
        "Ambulant behandling",
        "Dagbehandling",
        "Døgnbehandling",
        "Online",
        "sundhedsloven § 141",
        "Antabus",
        "Campral",
        "medicin mod abstinenser",
        "En borger, der er anonym, kan ikke få medicin",
        "sundhedsloven § 142",
        "samtale med en læge",
        "metadon eller buprenorfin",
        "senest 14 dage",
        "mere end ét forløb",
        "Du kan kun tilbyde det, du kan fortælle om",
        "lokal praksis",
    ):
        assert must in text, must
    # Medicine in alcohol treatment is § 141; § 142 is only named for drugs.
    for s in sentences(m2(built_book, "naar-borgeren-ringer")):
        if "§ 142" in s:
            assert "alkohol" not in s.lower(), s
    # Local details come from kommune.yml through the {kommune} directive.
    k = yaml.safe_load((ROOT / "kommune.yml").read_text(encoding="utf-8"))
    art = article(page(built_book, f"{M2}/naar-borgeren-ringer"))
    assert art.select(".rf-kommune-tilbud") and art.select(".rf-kommune-kontakt")
    for tilbud in k["tilbud"]:
        assert tilbud["navn"] in text
    assert k["rusmiddelcenter"]["telefon"] in text


def test_safety_first_withdrawal(built_book):
    for name in ("naar-borgeren-ringer", "henvisning-opfoelgning", "jobcenter", "opsummering"):
        text = folded(m2(built_book, name))
        assert "stoppe brat" in text, name
        assert "samme dag" in text and "læge" in text, name
    ringer = folded(m2(built_book, "naar-borgeren-ringer"))
    assert "kramper" in ringer and "112" in ringer and "abstinenser" in ringer


def test_paaroerende_and_childrens_own_help(built_book):
    text = folded(m2(built_book, "paaroerende-og-boern"))
    for must in (
        "samtaler for pårørende",
        "grupper for voksne pårørende",
        "Familieorienteret behandling",
        "samtaler og grupper for børn og unge",
        "TUBA",
        "vokset op med alkohol- eller stofproblemer i familien",
        "uden forældrenes samtykke",
        "Lokal praksis afgør",
        "Barnets Lov § 133",
        "109.000 børn",
    ):
        assert must in text, must
    assert article(page(built_book, f"{M2}/paaroerende-og-boern")).select(".rf-kommune-tilbud")


def test_pregnancy_pathway(built_book):
    text = folded(m2(built_book, "graviditet"))
    for must in (
        "Er du gravid, så drik ikke alkohol.",
        "Ammer du, så vær forsigtig med alkohol.",
        "Det gælder ikke for gravide og ammende.",
        "kan skade det ufødte barn",
        "Jordemoderen",
        "Familieambulatorier",
        "afgør lokal praksis",
        "Barnets Lov § 133",
        "lige efter fødslen",
        "Dialog om alkohol",
        "Det er ikke en folder",
    ):
        assert must in text, must


def test_jobcenter_frame(built_book):
    text = folded(m2(built_book, "jobcenter"))
    for must in (
        "Opfølgning på sygedagpenge",
        "Ressourceforløb",
        "Rehabiliteringsteamet",
        "frivillighed",
        "Brug aldrig behandling som en trussel",
        "samtykke",
        "tavshedspligt",
        "Fremskudt rusmiddelbehandler",
        "lokal praksis",
        "Barnets Lov § 133",
    ):
        assert must in text, must


def test_colleague_and_own_attitudes(built_book):
    text = folded(m2(built_book, "kollega"))
    for must in ("alkoholpolitik", "Tal med din leder", "Dæk ikke over", "egne vaner", "holdninger"):
        assert must in text, must
    k = yaml.safe_load((ROOT / "kommune.yml").read_text(encoding="utf-8"))
    assert k["rusmiddelcenter"]["telefon"] in text


@pytest.mark.parametrize("name", NEW_PAGES)
def test_new_pages_are_plain_danish_lix_at_most_40(built_book, name):
    assert lix(body_blocks(page(built_book, f"{M2}/{name}"))) <= 40


def test_every_module2_page_lix_at_most_40(built_book):
    scores = {p: round(lix(body_blocks(page(built_book, f"{M2}/{p}"))), 1) for p in toc_pages(M2) if p != "kilder"}
    assert {k: v for k, v in scores.items() if v > 40} == {}


def test_new_sources_are_on_the_kilder_page(built_book):
    kilder = folded(m2(built_book, "kilder"))
    for must in (
        "Sundhedsloven § 142",
        "Serviceloven § 101 a",
        "afklarende samtale",
        "Dialog om alkohol",
        "ikke en folder",
        "Haderslev Kommune",
        "TUBA",
        "Familieambulatorierne",
        "abstinenser",
        "109.000",
    ):
        assert must in kilder, must


# ---------------------------------------------------------------- § 101 a wherever drug anonymity is promised

DRUG_ANON = re.compile(r"anonym\w*\s+(?:\w+\s+){0,3}?stofbehandling|stofbehandling\w*\s+(?:\w+\s+){0,6}?anonym", re.I)


def test_drug_anonymity_checker():
    assert DRUG_ANON.search("Lov ikke anonym stofbehandling.")
    assert DRUG_ANON.search("Stofbehandling kan også være anonym.")
    assert not DRUG_ANON.search("Alkoholbehandling kan være anonym.")


def test_drug_anonymity_always_comes_with_the_101a_limits(built_book):
    pages = {}
    for name in toc_pages(M2):
        if name == "kilder":
            continue
        text = folded(m2(built_book, name))
        if DRUG_ANON.search(text):
            pages[name] = text
    # The referral pages talk about it, so the check is not empty.
    assert {"naar-borgeren-ringer", "henvisning-opfoelgning"} <= set(pages)
    for name, text in pages.items():
        assert "§ 101 a" in text, name
        assert "andre sociale problemer" in text, name
    for name in ("naar-borgeren-ringer", "henvisning-opfoelgning"):
        assert "afklarende samtale" in pages[name], name


def _quiz_texts() -> list[str]:
    from rusfokus.exercises.schema import load_exercise

    ex = load_exercise(ROOT / "modules" / "02-bekymringssamtale" / "data" / "opgave.yml")
    return [
        q.tekst + " " + q.forklaring + " " + (q.case or "") + " " + " ".join(o.tekst for o in q.valg)
        for q in ex.spoergsmaal
    ]


def test_quiz_and_simulator_do_not_promise_drug_anonymity_without_101a():
    for text in _quiz_texts():
        if DRUG_ANON.search(folded(text)):
            assert "§ 101 a" in text
    for path in (ROOT / "modules" / M2 / "data" / "samtaler").glob("*.yml"):
        assert not DRUG_ANON.search(folded(path.read_text(encoding="utf-8"))), path.name


# ---------------------------------------------------------------- 10/4 is not for gravide and ammende

PREGNANT = re.compile(r"gravid|ammer|ammende|amning", re.I)
TEN_FOUR = re.compile(r"\b10 (?:og|/) ?4\b|10 genstande|højst 4|4 genstande", re.I)
NEGATION = re.compile(r"\b(?:ikke|aldrig)\b", re.I)


def offered_to_pregnant(text: str) -> list[str]:
    return [s for s in sentences(text) if PREGNANT.search(s) and TEN_FOUR.search(s) and not NEGATION.search(s)]


def test_ten_four_checker():
    assert offered_to_pregnant("Som gravid kan du drikke højst 4 genstande på samme dag.")
    assert offered_to_pregnant("Til en mor, der ammer: højst 10 genstande om ugen.")
    assert not offered_to_pregnant("Rådet om 10 og 4 gælder ikke for gravide.")
    assert not offered_to_pregnant("Voksne bør højst drikke 10 genstande om ugen.")


def test_ten_four_is_never_offered_to_gravide_or_ammende(built_book):
    bad = {name: offered_to_pregnant(m2(built_book, name)) for name in toc_pages(M2)}
    assert {k: v for k, v in bad.items() if v} == {}
    # The rule itself is taught where the sundhedspleje path reads.
    assert "Tilbyd aldrig rådet om 10 og 4 til en gravid eller en, der ammer." in folded(m2(built_book, "graviditet"))


def test_ten_four_not_offered_in_sundhedspleje_cases_and_quiz():
    from rusfokus.dialog import load_cases

    cases, errors = load_cases(ROOT / "modules" / M2 / "data" / "samtaler")
    assert errors == []
    for case in cases:
        texts = [case.intro] + [n.tekst for n in case.noder.values()]
        texts += [c.tekst + " " + c.feedback for n in case.noder.values() for c in n.valg]
        if case.faggruppe == "sundhedspleje":
            assert not any(TEN_FOUR.search(t) for t in texts), case.id
        for t in texts:
            assert offered_to_pregnant(folded(t)) == [], (case.id, t)
    from rusfokus.exercises.schema import load_exercise

    ex = load_exercise(ROOT / "modules" / "02-bekymringssamtale" / "data" / "opgave.yml")
    for q in ex.spoergsmaal:
        if q.type == "refleksion" or not PREGNANT.search((q.case or "") + q.tekst):
            continue
        correct = set(q.korrekt) if isinstance(q.korrekt, (list, tuple)) else {q.korrekt}
        for o in q.valg:
            if o.id in correct:
                assert offered_to_pregnant(o.tekst) == [], (q.id, o.tekst)


# ---------------------------------------------------------------- 45 minutes per faggruppe


def time_table(built_book: Path) -> list[tuple[str, str, int]]:
    art = article(page(built_book, f"{M2}/index"))
    heading = next(h for h in art.find_all("h2") if h.get_text(strip=True).rstrip("#") == "Tid")
    table = heading.find_next("table")
    rows = []
    for tr in table.find_all("tr")[1:]:
        side, hvem, minutter = (td.get_text(" ", strip=True) for td in tr.find_all("td"))
        rows.append((side, hvem, int(minutter)))
    return rows


def test_time_table_lists_every_page_with_its_faggruppe(built_book):
    rows = time_table(built_book)
    titles = {}
    for name in toc_pages(M2):
        if name in ("index", "kilder"):
            continue
        h1 = article(page(built_book, f"{M2}/{name}")).find("h1").get_text(strip=True).rstrip("#")
        titles[name] = h1
    assert sorted(r[0] for r in rows) == sorted(titles.values())
    by_title = {r[0]: r[1] for r in rows}
    assert by_title[titles["graviditet"]] == "Sundhedspleje, Dagtilbud"
    assert by_title[titles["jobcenter"]] == "Jobcenter og sygedagpenge"
    assert "Familieafdeling" in by_title[titles["paaroerende-og-boern"]]
    for who in by_title.values():
        groups = {g.strip() for g in who.split(",")}
        assert groups <= {"Alle", *FAGGRUPPE_LABEL.values()}, who


@pytest.mark.parametrize("faggruppe", sorted(FAGGRUPPER))
def test_each_faggruppe_path_fits_about_45_minutes(built_book, faggruppe):
    label = FAGGRUPPE_LABEL[faggruppe]
    rows = time_table(built_book)
    own = [r for r in rows if label in {g.strip() for g in r[1].split(",")}]
    assert len(own) >= 1, f"{label} has no page of its own"
    total = sum(m for _s, who, m in rows if who == "Alle") + sum(m for *_x, m in own)
    assert 42 <= total <= 47, (label, total)


def test_laeringsstier_names_each_faggruppe_page_in_module_2(built_book):
    path = Path(built_book) / "book" / "laeringsstier.html"
    art = article(path)
    table = next(t for t in art.find_all("table") if "Din side i modul 2" in t.get_text())
    links = {}
    for tr in table.find_all("tr")[1:]:
        cells = tr.find_all("td")
        a = cells[1].find("a")
        assert a is not None, cells[0].get_text()
        links[cells[0].get_text(strip=True)] = a["href"].split("#")[0]
        assert (path.parent / a["href"].split("#")[0]).resolve().is_file()
    assert links["Sundhedspleje"].endswith("graviditet.html")
    assert links["Dagtilbud"].endswith("graviditet.html")
    assert links["Jobcenter og sygedagpenge"].endswith("jobcenter.html")
    assert links["Skole"].endswith("paaroerende-og-boern.html")
    assert links["Familieafdeling"].endswith("paaroerende-og-boern.html")
    # The same choice as the module's own time table.
    rows = {r[0]: r[1] for r in time_table(built_book)}
    for label, href in links.items():
        if label not in FAGGRUPPE_LABEL.values():
            continue
        name = Path(href).stem
        h1 = article(page(built_book, f"{M2}/{name}")).find("h1").get_text(strip=True).rstrip("#")
        assert label in rows[h1], (label, name)


# ---------------------------------------------------------------- in Chromium


def test_new_pages_have_no_serious_axe_violations(browser_page, built_book):

    files = {name: Path(built_book) / "modules" / M2 / f"{name}.html" for name in (*NEW_PAGES, "index")}
    assert axe_problems_on_pages(browser_page, files) == {}
