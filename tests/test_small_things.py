"""Small things people noticed: Danish numbers, the favicon, the book's font in the apps, the
"Værktøjet starter …" first paint of an app page, the same module names everywhere."""

from __future__ import annotations

import math
import re
import urllib.request
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from rusfokus.apps.common import APP_CSS, procent, tal

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

ROOT = Path(__file__).resolve().parents[1]
# The module folders as they are on disk (not the registry), so the registry is checked against them.
MODULE_DIRS = {p.name[3:]: p.name for p in sorted((ROOT / "modules").glob("[0-9][0-9]-*")) if p.is_dir()}


# ---- Danish numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (3.7, None, "3,7"),
        (18.75, 1, "18,8"),
        (0.125, 2, "0,13"),  # half up, as people round (an f-string gives 0.12)
        (2.675, 2, "2,68"),  # the float is 2.67499…; people wrote 2,675
        (7.0, None, "7"),
        (7.5, None, "7,5"),
        (10, None, "10"),
        (109000, None, "109.000"),
        (1234567.891, None, "1.234.567,89"),
        (66.666666, None, "66,67"),
        (12, 1, "12,0"),
        (-3.25, 1, "-3,3"),
        (-0.04, 1, "0,0"),  # never "-0,0"
        (Decimal("4.6"), None, "4,6"),
    ],
)
def test_tal_writes_numbers_the_danish_way(value, decimals, expected):
    assert tal(value, decimals) == expected


def test_tal_empty_values_and_wrong_types():
    assert tal(None) == "-" and tal(math.nan) == "-" and tal(None, empty="") == ""
    with pytest.raises(TypeError, match="needs a number"):
        tal("3.7")
    with pytest.raises(TypeError):
        tal(True)


def test_tal_takes_numpy_numbers():
    np = pytest.importorskip("numpy")
    assert tal(np.float64(3.7)) == "3,7" and tal(np.int64(109000)) == "109.000" and tal(np.float64("nan")) == "-"


def test_procent():
    assert procent(18.75) == "18,8 %" and procent(40, 0) == "40 %" and procent(None) == "-"


def test_min_side_shows_decimal_points_the_danish_way(tmp_path):
    from rusfokus.apps.min_side import learner_overview, render
    from rusfokus.db import session_scope
    from rusfokus.migrations import upgrade
    from rusfokus.progress.hooks import record_result
    from rusfokus.progress.roster import Roster, RosterRow
    from rusfokus.progress.staff import import_roster

    url = f"sqlite:///{tmp_path / 'rf.db'}"
    upgrade(url)
    email = "signe.lund@eksempel-kommune.example"
    with session_scope(url) as s:
        import_roster(
            s,
            Roster(rows=[RosterRow(2, email, "Signe Lund", "Vestskolen", "Skoler", "Børn og Unge", "Lærer", False)]),
            now=datetime(2026, 1, 1),
            secret=TEST_SECRET,
        )
        record_result(s, email, "opsporing", 7.5, 10, True, datetime(2026, 3, 2), 24, secret=TEST_SECRET)
        page = render(learner_overview(s, email))
    assert "Bestået 02-03-2026 (7,5 af 10 point)" in page
    assert "7.5" not in page


# ---- the book's font in the apps -----------------------------------------------------


def _theme_font() -> str:
    import pydata_sphinx_theme

    css = (
        Path(pydata_sphinx_theme.__file__).parent
        / "theme"
        / "pydata_sphinx_theme"
        / "static"
        / "styles"
        / "pydata-sphinx-theme.css"
    ).read_text(encoding="utf-8")
    return re.search(r"--pst-font-family-base-system:([^;]+);", css).group(1).strip()


def test_apps_use_the_books_font():
    book = _theme_font()
    assert book.startswith("system-ui")
    assert f"font-family: {book.replace(',', ', ')};" in APP_CSS
    live = (ROOT / "src" / "rusfokus" / "frontend" / "live.css").read_text(encoding="utf-8")
    assert f"--rf-font: {book.replace(',', ', ')};" in live
    assert re.search(r"^body,$", live, re.M), "the page body (Min side, dashboard) gets the font too"


# ---- favicon, first paint, over HTTP -------------------------------------------------------


def test_book_pages_link_the_favicon(built_book):
    book = Path(built_book)
    assert (book / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"  # an icon file at the site root
    assert (book / "_static" / "favicon.svg").read_text(encoding="utf-8").startswith("<svg")
    # (the forwarding page at / has no <head>: a browser asks for /favicon.ico there)
    pages = [
        p
        for p in book.rglob("*.html")
        if "_static" not in p.parts and not re.match(r'<meta http-equiv="refresh"', p.read_text(encoding="utf-8"), re.I)
    ]
    assert len(pages) > 20
    missing = [
        str(p.relative_to(book))
        for p in pages
        if not re.search(r'<link rel="icon" href="(\.\./)*_static/favicon\.svg"', p.read_text(encoding="utf-8"))
    ]
    assert missing == []


def _get(url: str, cookie: str | None = None):
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


def test_favicon_is_served_for_book_and_app_pages(server):
    status, kind, body = _get(server.url + "/favicon.ico")
    assert status == 200 and body[:4] == b"\x00\x00\x01\x00"
    status, kind, body = _get(server.url + "/_static/favicon.svg")
    assert status == 200 and kind.startswith("image/svg+xml") and body.startswith(b"<svg")
    status, _, page = _get(server.url + "/voila/render/genstande/index.ipynb")
    html = page.decode("utf-8")
    assert status == 200
    assert '<link rel="icon" href="/_static/favicon.svg" type="image/svg+xml">' in html
    assert "data:;base64" not in html


def test_app_page_says_the_tool_is_starting_before_the_widgets(server):
    status, _, page = _get(server.url + "/voila/render/genstande/index.ipynb")
    html = page.decode("utf-8")
    line = '<p class="rf-live-starting" role="status">Værktøjet starter …</p>'
    assert status == 200 and html.count(line) == 1, html[-3000:]
    for mark in ('id="rf-live-config"', "application/vnd.jupyter.widget-view+json"):
        assert mark in html, f"{mark} is missing from the app page:\n{html[-3000:]}"
    assert html.index(line) < html.index('id="rf-live-config"') < html.index("application/vnd.jupyter.widget-view+json")
    # hidden when live.js has shown the widgets or its own notice, and inside the book's frame
    for rule in (
        "body.rf-live-ready .rf-live-starting",
        "body.rf-live-failed .rf-live-starting",
        ".rf-framed .rf-live-starting",
    ):
        assert rule in html


# ---- the same module names in the book, Min side and the PDF -----------------------------------


def _book_titles() -> dict[str, str]:
    titles = {}
    for module, folder in MODULE_DIRS.items():
        text = (ROOT / "modules" / folder / "index.md").read_text(encoding="utf-8")
        titles[module] = re.search(r"^# Modul \d+: (.+)$", text, re.M).group(1).strip()
    return titles


def test_module_names_are_the_same_in_the_book_min_side_and_the_certificate():
    from rusfokus.progress import MODULE_TITLES

    assert set(MODULE_TITLES) == set(MODULE_DIRS)
    assert _book_titles() == MODULE_TITLES


def test_toc_temadag_and_certificate_use_the_same_module_names():
    from rusfokus.progress import MODULE_TITLES
    from rusfokus.temadag.questions import MODULES

    book = _book_titles()
    assert MODULES == MODULE_TITLES
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for n, module in enumerate(MODULE_DIRS, start=1):
        assert f'caption: "Modul {n}: {book[module]}"' in toc
    certificates = (ROOT / "src" / "rusfokus" / "progress" / "certificates.py").read_text(encoding="utf-8")
    assert "module_title(module)" in certificates


def test_report_tables_show_danish_numbers():
    import numpy as np
    import pandas as pd

    from rusfokus.apps.views import html_table

    frame = pd.DataFrame(
        {"Institution": ["<b>Skolen</b>"], "Ansatte": [np.int64(1250)], "Andel": [18.75], "Nøgleperson": [True]}
    )
    out = html_table(frame, "Test")
    assert ">1.250<" in out and ">18,8<" in out and ">Ja<" in out
    assert "&lt;b&gt;Skolen&lt;/b&gt;" in out


def test_danish_dates_have_one_home():
    from datetime import date

    from rusfokus.dansk import MONTHS, dato

    assert dato(date(2026, 12, 2)) == "2. december 2026" and dato(date(2027, 5, 1)) == "1. maj 2027"
    assert len(MONTHS) == 12
    for path in (ROOT / "src" / "rusfokus").rglob("*.py"):
        if path.name != "dansk.py":
            assert '"september"' not in path.read_text(encoding="utf-8"), f"{path}: month names belong in dansk.py"
