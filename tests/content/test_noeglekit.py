"""The nøgleperson kit, v2 (issue 11): tracks per faggruppe, the role page, the
hard questions, the note on participants' own experience, the corrected
figures, and the local material made from kommune.yml (HTML and PDF).

Over the built book (fixture ``built_book``) as a nøgleperson sees it, over
the PDFs the build wrote (their text read back from the PDF itself), and in
Chromium's print mode.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from rusfokus import noeglekit
from rusfokus.kommune import load_kommune

from helpers.browser import axe_problems_on_pages
from helpers.builthtml import article, visible_text
from helpers.pdf import pdf_text

ROOT = Path(__file__).resolve().parents[2]
PART = ROOT / "book" / "noeglepersoner"
TRACKS = {
    "spor-0-6-aar": ["dagtilbud", "dagpleje", "sundhedspleje"],
    "spor-skole": ["skole", "SSP", "ungeindsats"],
    "spor-jobcenter": ["jobcenter", "sygedagpenge"],
    "spor-familieafdeling": ["familieafdeling", "underretning"],
}
NEW_PAGES = [*TRACKS, "rolle", "svaere-spoergsmaal", "egne-erfaringer", "procedure", "samtykke", "lommekort"]
HARD_QUESTIONS = [
    "Er det ikke privat, hvad folk drikker?",
    "Hvad hvis jeg tager fejl?",
    "Ødelægger en underretning samarbejdet med forældrene?",
    "Jeg drikker selv mere end 10 om ugen",
]


@pytest.fixture(scope="module")
def kommune():
    return load_kommune(ROOT / "kommune.yml")


def page(book: Path, name: str) -> Path:
    path = Path(book) / "book" / "noeglepersoner" / f"{name}.html"
    assert path.is_file(), f"book/noeglepersoner/{name}.html was not built"
    return path


def text_of(book: Path, name: str) -> str:
    return visible_text(page(book, name)).replace("\xa0", " ")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


# ---------------------------------------------------------------- reading a PDF back


def flat(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- sources (no build)


def lix(text: str) -> float:
    lines = []
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith(("```", ":::", "|", "#", ">")) or re.fullmatch(r"\([\w-]+\)=", s):
            continue
        lines.append(s)
    joined = re.sub(r"\{\{[^}]*\}\}", "Kommune", " ".join(lines))
    joined = re.sub(r"\{[a-z]+\}`([^`<]*?)\s*(?:<[^>]*>)?`", r"\1", joined)
    words = [w for w in re.findall(r"[\wÆØÅæøå§%-]+", joined) if re.search(r"[A-Za-zÆØÅæøå]", w)]
    sentences = max(1, len(re.findall(r"[.!?:]+(?=\s|$|[\"”»)*])", joined)))
    return len(words) / sentences + 100 * sum(len(w) > 6 for w in words) / len(words)


@pytest.mark.parametrize("name", sorted(p.stem for p in PART.glob("*.md") if p.stem != "kilder"))
def test_kit_pages_are_plain_danish(name):
    """Every kit page but the list of sources (titles of reports are not ours to shorten)."""
    value = lix((PART / f"{name}.md").read_text(encoding="utf-8"))
    assert value <= 40, f"book/noeglepersoner/{name}.md has LIX {value:.1f} (max 40)"


@pytest.mark.parametrize("kind", list(noeglekit.DOCUMENTS))
def test_generated_material_is_plain_danish(kind, kommune):
    doc = noeglekit.document(kind, kommune)
    text = "\n".join(line for b in doc.blocks if b.kind in ("p", "li", "step") for line in (b.text, *b.lines) if line)
    for value in (
        kommune.navn,
        kommune.rusmiddelcenter.navn,
        kommune.rusmiddelcenter.adresse,
        kommune.boernefamilie.navn,
        kommune.fagpersoner.raadgivning_navn,
    ):
        text = text.replace(value, "Navn")  # the municipality's own names are not ours to shorten
    assert lix(text) <= 40, (kind, lix(text))


def test_documents_carry_the_municipality_and_the_steps_in_order(kommune):
    proc = noeglekit.document("procedure", kommune)
    steps = [b.title for b in proc.blocks if b.kind == "step"]
    assert [re.sub(r"^\d\. ", "", s) for s in steps] == [
        "Bekymring",
        "Leder og nøgleperson",
        "Samtale",
        "Underretning",
        "Rusmiddelcentret",
    ]
    text = proc.text().replace("\xa0", " ")
    for value in (
        kommune.navn,
        kommune.rusmiddelcenter.navn,
        kommune.rusmiddelcenter.telefon,
        kommune.boernefamilie.navn,
        kommune.boernefamilie.telefon,
        kommune.fagpersoner.raadgivning_telefon,
        kommune.fagpersoner.underretning_web,
        kommune.boernefamilie.uden_for_aabningstid,
    ):
        assert value in text, value
    consent = noeglekit.document("samtykke", kommune).text()
    for needle in (
        "Hvem giver samtykke",
        "Hvem må dele",
        "Hvem må få",
        "Hvad må vi dele",
        "Hvor længe",
        "trække samtykket tilbage",
        "Du kan sige nej",
        kommune.rusmiddelcenter.navn,
        "§ 133",
    ):
        assert needle in consent, needle


def test_pocket_card_gives_10_4_only_to_healthy_adults(kommune):
    card = noeglekit.document("lommekort", kommune)
    advice = [b.text for b in card.blocks if "10" in b.text and "genstande" in b.text]
    assert advice and all("gravid" not in a.lower() and "ammende" not in a.lower() for a in advice)
    heading = next(b.text for b in card.blocks if b.kind == "h" and "råd" in b.text)
    assert "raske voksne" in heading
    special = next(b.text for b in card.blocks if "Gravide" in b.text)
    assert "ingen alkohol" in special and "gælder ikke" in special
    text = card.text()
    for question in ("Hvor tit drikker du alkohol?", "typisk dag", "6 genstande eller flere"):
        assert question in text
    assert "§ 133" in text and "112" in text


def test_pdf_follows_kommune_yml_and_names_what_does_not_fit(kommune, tmp_path):
    other = dataclasses.replace(
        kommune,
        navn="Prøvekommune",
        rusmiddelcenter=dataclasses.replace(
            kommune.rusmiddelcenter, navn="Rusmiddelcenter Prøveby", telefon="12 34 56 78"
        ),
    )
    written = noeglekit.write_pdfs(other, tmp_path)
    assert [p.name for p in written] == ["procedure.pdf", "samtykke.pdf", "lommekort.pdf"]
    for path in written:
        text = flat(pdf_text(path.read_bytes()))
        assert "Rusmiddelcenter Prøveby" in text and "12 34 56 78" in text, path.name
        assert "99 99 99 99" not in text, path.name
    assert "Prøvekommune" in flat(pdf_text((tmp_path / noeglekit.PDF_FOLDER / "procedure.pdf").read_bytes()))
    too_long = dataclasses.replace(
        kommune,
        rusmiddelcenter=dataclasses.replace(
            kommune.rusmiddelcenter, aabningstider=tuple(f"Dag {i}: 9.00-15.00 og igen om aftenen" for i in range(60))
        ),
    )
    with pytest.raises(ValueError, match="procedure.pdf: the text does not fit on one page"):
        noeglekit.render_pdf(noeglekit.document("procedure", too_long), too_long.navn)


# ---------------------------------------------------------------- the built book


def test_index_links_every_track_and_the_new_pages(built_book):
    index = article(page(built_book, "index"))
    hrefs = {a["href"].split("#")[0] for a in index.find_all("a", href=True)}
    for name in NEW_PAGES:
        assert f"{name}.html" in hrefs, name


@pytest.mark.parametrize("track", list(TRACKS))
def test_track_has_its_own_agenda_cases_and_talking_points(built_book, track):
    path = page(built_book, track)
    art = article(path)
    text = text_of(built_book, track)
    for word in TRACKS[track]:
        assert word.lower() in text.lower(), (track, word)
    headings = [h.get_text(" ", strip=True).replace("#", "").strip() for h in art.find_all("h2")]
    for needed in ("Læringsmål", "Dagsorden: temadag på 3 timer", "Forberedelse", "Talepunkter", "Casekort"):
        assert needed in headings, (track, needed, headings)
    agenda = next(h for h in art.find_all("h2") if "Dagsorden" in h.get_text()).find_next("table")
    slots = [(_minutes(a), _minutes(b)) for a, b in re.findall(r"(\d:\d\d)-(\d:\d\d)", agenda.get_text(" "))]
    assert slots[0][0] == 0 and slots[-1][1] == 180, slots
    assert all(end == start for (_, end), (start, _) in zip(slots, slots[1:], strict=False)), slots
    cards = art.select(".casekort")
    assert len(cards) >= 3
    talking = next(h for h in art.find_all("h2") if "Talepunkter" in h.get_text()).find_parent("section")
    assert len(talking.find_all("li")) >= 6
    # each track links the safety note, the hard questions and the local material
    hrefs = {a["href"].split("#")[0] for a in art.find_all("a", href=True)}
    assert {"egne-erfaringer.html", "svaere-spoergsmaal.html", "procedure.html", "lommekort.html"} <= hrefs


def test_track_cases_are_their_own(built_book):
    seen = {}
    for track in TRACKS:
        for card in article(page(built_book, track)).select(".casekort"):
            title = card.find("strong").get_text()
            assert title not in seen, f"{title} in both {seen.get(title)} and {track}"
            seen[title] = track


def test_role_page(built_book, kommune):
    text = text_of(built_book, "rolle")
    for needle in (
        "mandat",
        "Tid",
        "Netværk",
        "Sparring fra rusmiddelcentret",
        "Nye kolleger",
        "Hold styr på, hvem der er klædt på",
        "personlig",
    ):
        assert needle in text, needle
    assert kommune.rusmiddelcenter.telefon in text and kommune.fagpersoner.raadgivning_telefon in text
    assert kommune.fagpersoner.raadgivning_navn in text


def test_hard_questions_have_answers(built_book):
    art = article(page(built_book, "svaere-spoergsmaal"))
    for question in HARD_QUESTIONS:
        heading = next((h for h in art.find_all("h2") if question in h.get_text()), None)
        assert heading is not None, question
        answer = heading.find_parent("section").get_text(" ", strip=True)
        assert len(answer.split()) > 40, question


def test_note_on_own_experience(built_book):
    text = text_of(built_book, "egne-erfaringer")
    for needle in ("600.000", "I skal ikke fortælle om jer selv", "anonyme", "frivilligt", "underrette"):
        assert needle in text, needle


@pytest.mark.parametrize("kind", list(noeglekit.DOCUMENTS))
def test_local_material_page_shows_the_document_and_links_its_pdf(built_book, kommune, kind):
    path = page(built_book, kind)
    art = article(path)
    box = art.select_one(f".rf-kit.rf-kit-{kind}")
    assert box is not None
    shown = flat(box.get_text(" ").replace("\xa0", " "))
    doc = noeglekit.document(kind, kommune)
    for line in doc.text().splitlines():
        assert flat(line.replace("\xa0", " ")) in shown, line
    link = box.select_one(".rf-kit-download a")
    pdf_path = (path.parent / link["href"]).resolve()
    assert pdf_path.is_file(), link["href"]
    pdf = flat(pdf_text(pdf_path.read_bytes()))
    for value in (kommune.navn, kommune.rusmiddelcenter.navn, kommune.rusmiddelcenter.telefon):
        assert value in pdf, (kind, value)
    if kind != "samtykke":
        assert kommune.boernefamilie.telefon in pdf and kommune.fagpersoner.raadgivning_telefon in pdf
    soup_head = path.read_text(encoding="utf-8")
    assert "print.css" in soup_head


def test_figures_and_law_corrected_in_the_kit(built_book):
    dd = text_of(built_book, "dobbeltdiagnose")
    assert "60-70 procent" in dd
    for sentence in re.split(r"(?<=[.!?])\s+", flat(dd)):
        if "75 procent" in sentence:
            assert "bruger stoffer" in sentence or "KL" in sentence, sentence
            assert "i behandling" not in sentence or "ikke kun" in sentence, sentence
    kilder = text_of(built_book, "kilder")
    assert "Lov nr. L 126" not in kilder and "L 126 er nummeret på lovforslaget" in kilder
    assert "SIF" in kilder and "60-70 procent" in kilder
    for name in [*NEW_PAGES, "index", "opsporing", "bekymringssamtale", "motiverende-samtale", "dobbeltdiagnose"]:
        for sentence in re.split(r"(?<=[.!?])\s+|\n", text_of(built_book, name)):
            low = sentence.lower()
            if "§ 142" in sentence:
                assert "stof" in low and "alkohol" not in low.replace("alkoholbehandlingen", ""), (name, sentence)
            if "§ 101 a" in sentence:
                assert "andre sociale problemer" in sentence, (name, sentence)
            if re.search(r"\b10\b", sentence) and ("gravid" in low or "ammende" in low):
                assert "ikke" in low, (name, sentence)
    opsporing = text_of(built_book, "opsporing")
    assert "Anna ammer" in opsporing and "gælder rådet om 10 og 4 ikke for Anna" in opsporing


@pytest.mark.browser
def test_local_material_prints_alone_on_one_page(browser, built_book):
    ctx = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    tab = ctx.new_page()
    for kind in noeglekit.DOCUMENTS:
        tab.goto(page(built_book, kind).as_uri())
        assert tab.locator(".rf-kit-download").is_visible()
        tab.emulate_media(media="print")
        assert tab.locator(".rf-kit").is_visible()
        assert not tab.locator(".rf-kit-download").is_visible()
        assert not tab.locator(".bd-sidebar-primary").is_visible()
        intro = tab.locator("article section > p").first
        assert not intro.is_visible(), "the note for the nøgleperson must not print"
        pdf = tab.pdf(format="A4")
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, kind
        tab.emulate_media(media="screen")
    ctx.close()


@pytest.mark.browser
def test_new_kit_pages_have_no_serious_accessibility_problems(browser, built_book):

    ctx = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    tab = ctx.new_page()
    problems = axe_problems_on_pages(tab, {name: page(built_book, name) for name in NEW_PAGES})
    ctx.close()
    assert problems == {}
