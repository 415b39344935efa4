"""```{kommune} ungetilbud``` and ``{{ ungetilbud_navn }}``/``{{ ungetilbud_telefon }}``: module 5's pages show the
youth offers of kommune.yml (escaped, phone numbers as tel: links), and a kommune.yml without them still builds.

A real, in-process Sphinx build of a one-page book with the extension (seconds, not the whole book).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bs4 import BeautifulSoup
from sphinx.application import Sphinx

from helpers.paths import ROOT

CONF = """
extensions = ["myst_parser", "rusfokus.sphinxext"]
myst_enable_extensions = ["substitution", "colon_fence"]
language = "da"
root_doc = "index"
"""
PAGE = "# Unge\n\nRing til {{ ungetilbud_navn }} på {{ ungetilbud_telefon }}.\n\n```{kommune} ungetilbud\n```\n"


def book(tmp_path: Path, kommune_text: str) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "index.md").write_text(PAGE, encoding="utf-8")
    (src / "kommune.yml").write_text(kommune_text, encoding="utf-8")
    for logo in ROOT.glob("kommune-logo.*"):
        shutil.copy(logo, src / logo.name)
    return src


def build(src: Path, out: Path) -> BeautifulSoup:
    app = Sphinx(str(src), str(src), str(out), str(out / ".doctrees"), "html", status=None, warning=None, freshenv=True)
    app.build()
    assert app.statuscode == 0
    return BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")


def test_youth_offers_from_kommune_yml(tmp_path, monkeypatch):
    monkeypatch.delenv("RUSFOKUS_KOMMUNE", raising=False)
    text = (
        (ROOT / "kommune.yml")
        .read_text(encoding="utf-8")
        .replace("navn: SSP Eksempel Kommune", 'navn: "SSP <Eksempel> & Co"')
    )
    soup = build(book(tmp_path, text), tmp_path / "html")
    assert "Ring til Ung i Eksempelby på 99 99 99 98." in soup.get_text(" ")
    box = soup.select_one(".rf-kommune-ungetilbud")
    items = box.select("li")
    assert len(items) == 3
    first = items[0].get_text(" ")
    assert "Ung i Eksempelby" in first and "(for unge 15-25 år)" in first and "Ungdomsvej 3" in first
    assert items[0].select_one("a[href='tel:+4599999998']").get_text() == "99 99 99 98"
    assert items[0].select_one("a[href='https://www.eksempel-kommune.example/ung']")
    assert "SSP <Eksempel> & Co" in items[1].get_text(" ")  # text, not markup
    assert "<Eksempel>" not in str(items[1]).replace("&lt;Eksempel&gt;", "")
    assert "(for unge 12-18 år)" in items[1].get_text(" ")


def test_without_youth_offers_the_page_points_to_the_rusmiddelcenter(tmp_path, monkeypatch):
    monkeypatch.delenv("RUSFOKUS_KOMMUNE", raising=False)
    text = (ROOT / "kommune.yml").read_text(encoding="utf-8")
    start = text.index("# Kommunens tilbud til unge")
    end = text.index("\n\n", text.index("ungetilbud:"))
    soup = build(book(tmp_path, text[:start] + text[end + 2 :]), tmp_path / "html")
    page = soup.get_text(" ")
    assert "Ring til Rusmiddelcenter Eksempelby på 99 99 99 99." in page
    box = soup.select_one(".rf-kommune-ungetilbud")
    assert "Eksempel Kommune har ikke skrevet sine tilbud til unge ind i kurset." in box.get_text(" ")
    assert box.select_one("a[href='tel:+4599999999']")
