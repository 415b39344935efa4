"""The Sphinx extension reads the same settings as the server: RUSFOKUS_KOMMUNE names the municipality
of every page, as it does for the apps (henvisningsguide) and the kursusbeviser.

A real, in-process Sphinx build of a one-page book with the extension (seconds, not the whole book).
"""

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
PAGE = "# Kontakt\n\nDu bor i {{ kommune_navn }}. Ring til {{ rusmiddelcenter_navn }}.\n\n```{kommune} kontakt\n```\n"


def copy_logo(folder: Path) -> None:
    """kommune.yml may name a logo file beside it."""
    for logo in ROOT.glob("kommune-logo.*"):
        shutil.copy(logo, folder / logo.name)


def other_kommune(folder: Path) -> Path:
    """A valid kommune file for another (fictional) municipality."""
    copy_logo(folder)
    text = (ROOT / "kommune.yml").read_text(encoding="utf-8")
    assert "Eksempel Kommune" in text and "Rusmiddelcenter Eksempelby" in text
    path = folder / "andeby.yml"
    path.write_text(
        text.replace("Eksempel Kommune", "Andeby Kommune").replace(
            "Rusmiddelcenter Eksempelby", "Rusmiddelcenter Andeby"
        ),
        encoding="utf-8",
    )
    return path


def build(src: Path, out: Path) -> str:
    app = Sphinx(str(src), str(src), str(out), str(out / ".doctrees"), "html", status=None, warning=None, freshenv=True)
    app.build()
    return BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser").get_text(" ")


def one_page_book(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "index.md").write_text(PAGE, encoding="utf-8")
    (src / "kommune.yml").write_text((ROOT / "kommune.yml").read_text(encoding="utf-8"), encoding="utf-8")
    copy_logo(src)
    return src


def test_pages_name_the_municipality_of_rusfokus_kommune(tmp_path, monkeypatch):
    monkeypatch.setenv("RUSFOKUS_KOMMUNE", str(other_kommune(tmp_path)))
    text = build(one_page_book(tmp_path), tmp_path / "html")
    assert "Du bor i Andeby Kommune" in text and "Ring til Rusmiddelcenter Andeby" in text
    assert "Eksempel Kommune" not in text and "Rusmiddelcenter Eksempelby" not in text


def test_without_rusfokus_kommune_the_books_own_file_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv("RUSFOKUS_KOMMUNE", raising=False)
    src = one_page_book(tmp_path)
    (src / "kommune.yml").write_text(other_kommune(tmp_path).read_text(encoding="utf-8"), encoding="utf-8")
    text = build(src, tmp_path / "html")
    assert "Du bor i Andeby Kommune" in text
