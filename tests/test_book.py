"""The built book: warnings are errors, nothing from the internet, Danish chrome."""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from rusfokus.book import BookBuildError, build_book
from rusfokus.sphinxext import translate_html

from helpers.minibook import mini_book

EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe|source|audio|video)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""", re.I
)
CSS_URL = re.compile(r"""@import\s+url\(\s*["']?https?://|url\(\s*["']?https?://""", re.I)
ENGLISH_CHROME = [
    "Skip to main content",
    "Back to top",
    "Search this book",
    "On this page",
    ">Light<",
    ">Dark<",
    "System Settings",
    "Toggle primary sidebar",
    "Color mode",
]


def pages(book: Path):
    return sorted(book.rglob("*.html"))


def test_book_builds_with_warnings_as_errors(built_book):
    assert (built_book / "book" / "index.html").is_file()
    assert (built_book / "modules" / "01-opsporing" / "genstande.html").is_file()


def test_no_page_loads_anything_from_the_internet(built_book):
    offenders = []
    for page in pages(built_book):
        text = page.read_text(encoding="utf-8")
        for m in EXTERNAL.finditer(text):
            offenders.append(f"{page.relative_to(built_book)}: {m.group(0)[:120]}")
        if "THEBE_JS_URL" in text or "cdnjs.cloudflare" in text or "cdn.jsdelivr" in text or "unpkg.com" in text:
            offenders.append(f"{page.relative_to(built_book)}: CDN reference")
    for css in built_book.rglob("*.css"):
        if CSS_URL.search(css.read_text(encoding="utf-8", errors="replace")):
            offenders.append(f"{css.relative_to(built_book)}: external url() in CSS")
    assert not offenders, "\n".join(offenders[:20])


def test_pages_are_danish_with_danish_theme_strings(built_book):
    for page in pages(built_book):
        text = page.read_text(encoding="utf-8")
        if "<html" not in text or page.name in ("genindex.html",):
            continue
        assert '<html lang="da"' in text, page
        for english in ENGLISH_CHROME:
            assert english not in text, f"{page.relative_to(built_book)} shows English {english!r}"


def test_no_python_visible_to_learners(built_book):
    for page in pages(built_book):
        text = page.read_text(encoding="utf-8")
        assert 'class="cell_input' not in text, f"{page.relative_to(built_book)} shows a code cell"
        assert "import rusfokus" not in text and "from rusfokus" not in text, page


def test_app_pages_carry_the_offline_notice(built_book):
    text = (built_book / "modules" / "01-opsporing" / "genstande.html").read_text(encoding="utf-8")
    assert 'data-app="genstande"' in text
    assert 'data-src="/voila/render/genstande/index.ipynb"' in text
    assert "Det virker kun, når du åbner kurset fra kursusserveren" in text
    assert "_static/rusfokus.js" in text


def test_translate_html_fixes_search_button_name_and_strips_thebe():
    page = (
        '<button aria-label="Søg" class="btn"><i></i> Søg <kbd>Ctrl</kbd>+<kbd>K</kbd></button>'
        '<a href="#main">Skip to main content</a>'
        '<script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"; const x=1</script>'
    )
    out = translate_html(page)
    assert 'aria-label="Søg Ctrl+K"' in out and "Gå til hovedindhold" in out and "unpkg" not in out


def test_broken_kommune_file_stops_the_build_and_keeps_the_last_good_book(tmp_path):
    proj = mini_book(tmp_path)
    out = tmp_path / "html"
    out.mkdir()
    (out / "index.html").write_text("last good build")
    text = (proj / "kommune.yml").read_text(encoding="utf-8")
    (proj / "kommune.yml").write_text(
        text.replace("email: rusmiddelcenter@", "email: rusmiddelcenter-at-"), encoding="utf-8"
    )
    with pytest.raises(BookBuildError, match=r"kommune\.yml:\d+: rusmiddelcenter\.email"):
        build_book(proj, out_dir=out, staging=tmp_path / "staging")
    assert (out / "index.html").read_text() == "last good build"


@pytest.mark.slow
def test_a_page_warning_fails_the_build_and_names_the_file(tmp_path):
    proj = mini_book(tmp_path, second="# Ordliste\n\nSe {ref}`findes-ikke`.\n")
    out = tmp_path / "html"
    with pytest.raises(BookBuildError, match=r"side\.md.*findes-ikke"):
        build_book(proj, out_dir=out, staging=tmp_path / "staging")
    assert not out.exists()


DEMO_PRIMARY, NEW_PRIMARY = "#0b4f6c", "#7a1f5c"  # kommune.yml's profil.farver.primaer, and another


@pytest.mark.slow
def test_rebuild_after_a_kommune_yml_edit_shows_the_new_values(tmp_path):
    """Sphinx pickles its environment between builds; the municipality's data must never
    come from the last build's pickle (a changed file once failed or showed old values).
    The book gets the same colours as the served stylesheet (tests/web/test_theme.py), and a
    rebuild follows kommune.yml's colours too (one pair of builds for both)."""
    proj = mini_book(tmp_path)

    def visible_text(page: Path) -> str:  # builthtml caches pages by path: this page changes
        return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text(" ")

    out, staging = tmp_path / "html", tmp_path / "staging"
    build_book(proj, out_dir=out, staging=staging, quiet=True)
    kommune = (proj / "kommune.yml").read_text(encoding="utf-8")
    from rusfokus.kommune import load_kommune

    old_phone = load_kommune(proj / "kommune.yml").rusmiddelcenter.telefon
    assert old_phone in visible_text(out / "index.html")
    css = (out / "_static" / "rusfokus-farver.css").read_text(encoding="utf-8")
    assert f"--rf-primaer: {DEMO_PRIMARY};" in css and "--pst-color-primary: var(--rf-primaer);" in css
    assert 'href="_static/rusfokus-farver.css' in (out / "index.html").read_text(encoding="utf-8")
    (proj / "kommune.yml").write_text(
        kommune.replace(old_phone, "11 22 33 44").replace(DEMO_PRIMARY, NEW_PRIMARY, 1), encoding="utf-8"
    )
    build_book(proj, out_dir=out, staging=staging, quiet=True)
    text = visible_text(out / "index.html")
    assert "11 22 33 44" in text and old_phone not in text
    assert f"--rf-primaer: {NEW_PRIMARY};" in (out / "_static" / "rusfokus-farver.css").read_text(encoding="utf-8")


def _andeby(folder: Path) -> Path:
    """A valid kommune file of another (fictional) municipality, beside the mini book."""
    text = (folder / "kommune.yml").read_text(encoding="utf-8")
    path = folder / "andeby.yml"
    path.write_text(
        text.replace("Eksempel Kommune", "Andeby Kommune").replace(
            "Rusmiddelcenter Eksempelby", "Rusmiddelcenter Andeby"
        ),
        encoding="utf-8",
    )
    return path


def test_the_book_checks_the_kommune_file_of_the_settings_not_the_one_in_the_folder(tmp_path):
    """RUSFOKUS_KOMMUNE (the server's setting) is the file the book is built with, so it is the one checked."""
    from rusfokus.settings import Settings

    proj = mini_book(tmp_path)
    broken = _andeby(proj)
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("email: rusmiddelcenter@", "email: x-at-"), encoding="utf-8"
    )
    settings = Settings.from_env(root=proj, kommune_file=broken)
    with pytest.raises(BookBuildError, match=r"andeby\.yml\D+\d+: rusmiddelcenter\.email"):
        build_book(proj, out_dir=tmp_path / "html", staging=tmp_path / "staging", settings=settings)


@pytest.mark.slow
def test_the_book_names_the_municipality_of_rusfokus_kommune(tmp_path, monkeypatch):
    """A page and the app inside it name one municipality: the book honours RUSFOKUS_KOMMUNE like the server."""
    proj = mini_book(tmp_path)
    monkeypatch.setenv("RUSFOKUS_KOMMUNE", str(_andeby(proj)))
    out = build_book(proj, out_dir=tmp_path / "html", staging=tmp_path / "staging", quiet=True)
    text = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "Ring til Rusmiddelcenter Andeby" in text and "Andeby Kommune" in text
    assert "Rusmiddelcenter Eksempelby" not in text


def _notebook_page(code: str) -> str:
    """A page the book build executes (as it executes the apps' pages), with one code cell."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Indhold"), nbformat.v4.new_code_cell(code)]
    return nbformat.writes(nb)


@pytest.mark.slow
def test_the_pages_the_book_executes_read_the_content_root_and_kommune_file_of_its_settings(tmp_path):
    """The book's app pages run in kernels of their own: they read the content root and the municipality
    of the Settings the build was given (as `rusfokus serve` gives its kernels), not what they would find."""
    from rusfokus.settings import Settings

    proj = mini_book(tmp_path)
    (proj / "side.md").unlink()
    (proj / "side.ipynb").write_text(
        _notebook_page(
            "from rusfokus.settings import Settings\n"
            "s = Settings.from_env()\n"
            "print('INDHOLD=' + str(s.content_dir))\n"
            "print('KOMMUNE=' + str(s.kommune_file))"
        ),
        encoding="utf-8",
    )
    content = tmp_path / "andet-indhold"
    content.mkdir()
    settings = Settings.from_env({}, root=proj, content_dir=content, kommune_file=_andeby(proj))
    out = build_book(proj, out_dir=tmp_path / "html", staging=tmp_path / "staging", quiet=True, settings=settings)
    text = BeautifulSoup((out / "side.html").read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert f"INDHOLD={content}" in text and f"KOMMUNE={proj / 'andeby.yml'}" in text
    index = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "Ring til Rusmiddelcenter Andeby" in index
