"""The learner's journey in the built book: the help bar with tap-to-call links on every page,
each page's name for rusfokus.js, the page map, and the faggruppe tabs the roster maps to."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from rusfokus.kommune import load_kommune
from rusfokus.progress.journey import PAGE_MAP_NAME, TAB_LABELS, load_page_map
from rusfokus.sphinxext import tel_href

from helpers.builthtml import soup

ROOT = Path(__file__).resolve().parents[2]


def toc_docs() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs = [toc["root"]]
    for part in toc["parts"]:
        docs += [c["file"] for c in part["chapters"]]
    return docs


@pytest.fixture(scope="module")
def pages(built_book) -> dict[str, Path]:
    return {doc: Path(built_book) / f"{doc}.html" for doc in toc_docs()}


@pytest.mark.parametrize(
    ("number", "href"),
    [
        ("99 99 99 99", "tel:+4599999999"),
        ("+45 70 11 22 33", "tel:+4570112233"),
        ("0045 70112233", "tel:+4570112233"),
        ("112", "tel:112"),
    ],
)
def test_tel_href(number, href):
    assert tel_href(number) == href


def test_tel_href_refuses_what_cannot_be_dialled():
    with pytest.raises(ValueError, match="kommune.yml"):
        tel_href("ring til os")


def test_help_bar_with_tel_links_on_every_page(pages, built_book):
    k = load_kommune(ROOT / "kommune.yml")
    call = tel_href(k.rusmiddelcenter.telefon)
    assert call == "tel:+" + "45" + re.sub(r"\D", "", k.rusmiddelcenter.telefon)
    all_html = [
        p
        for p in Path(built_book).rglob("*.html")
        if "_static" not in p.parts
        and "_sources" not in p.parts
        and not p.read_text(encoding="utf-8").startswith('<meta http-equiv="Refresh"')
    ]  # the root redirect
    assert len(all_html) >= len(pages)
    for path in all_html:
        page = soup(path)
        bars = page.select("aside.bd-header-announcement")
        assert len(bars) == 1, f"{path.name}: one help bar"
        bar = bars[0]
        assert bar.get("aria-label") == "Brug for hjælp nu", path
        # above the header and outside the menu: shown on a phone without opening anything
        assert bar.find_parent(["dialog", "nav", "article"]) is None and bar.find_next("header", id="pst-header")
        text = re.sub(r"\s+", " ", bar.get_text(" ")).strip()
        assert text.startswith("Brug for hjælp nu?"), text
        links = {a["href"]: re.sub(r"\s+", " ", a.get_text()) for a in bar.find_all("a")}
        assert links[call] == f"Ring til {k.rusmiddelcenter.navn}: {k.rusmiddelcenter.telefon}", path
        assert links["tel:112"] == "Akut fare: ring 112"
        contact = [h for h, t in links.items() if t == "Kontakt rusmiddelcentret"]
        assert len(contact) == 1, path
        target, anchor = contact[0].split("#")
        target_file = (path.parent / target).resolve() if target else path.resolve()
        assert target_file == (Path(built_book) / "book" / "om-kurset.html").resolve(), contact
        box = soup(target_file).find(id=anchor)
        assert box is not None and k.rusmiddelcenter.navn in box.get_text()
        assert box.find("a", href=call) is not None, "the contact box's number is tap-to-call too"


def test_every_page_names_itself_for_the_journey(pages):
    for doc, path in pages.items():
        meta = soup(path).find("meta", attrs={"name": "rf-page"})
        assert meta is not None and meta["content"] == doc, path
        assert soup(path).find("html").get("data-content_root") is not None


def test_page_map_has_every_module_page_in_book_order(built_book):
    page_map = load_page_map(Path(built_book))
    order = [d for d in toc_docs() if d.startswith("modules/") and not d.endswith("/kilder")]
    assert page_map.order == order
    assert [m["id"] for m in page_map.modules] == [
        "opsporing",
        "bekymringssamtale",
        "motiverende-samtale",
        "dobbeltdiagnose",
        "unge-og-rusmidler",
    ]
    data = json.loads((Path(built_book) / PAGE_MAP_NAME).read_text(encoding="utf-8"))
    assert data["forside"] == "book/index", "the page that offers 'Fortsæt hvor du slap'"
    for module in data["modules"]:
        assert re.fullmatch(r"Modul \d: .+", module["title"]), module["title"]
        for p in module["pages"]:
            path = Path(built_book) / p["url"]
            assert path.is_file(), p
            assert soup(path).find("h1").get_text().strip().rstrip("#").strip() == p["title"]
        assert module["pages"][-1]["page"].endswith("/test-din-viden")


def test_faggruppe_tabs_in_the_book_are_the_ones_the_roster_maps_to(pages):
    found: dict[str, set[str]] = {}
    for path in pages.values():
        for label in soup(path).select('.sd-tab-label[data-sync-group="faggruppe"]'):
            found.setdefault(label["data-sync-id"], set()).add(label.get_text().strip())
    assert set(found) == set(TAB_LABELS), "every tab the roster can select exists, and no other"
    for tab, labels in found.items():
        assert TAB_LABELS[tab] in labels or any(lab.startswith(TAB_LABELS[tab]) for lab in labels), (tab, labels)
