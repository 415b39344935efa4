"""The tilgængelighedserklæring has the content Digitaliseringsstyrelsen requires.

The standard statement (EU 2018/1523, Digitaliseringsstyrelsen's WAS-Tool):
compliance status, the content that is not accessible, how the site was
evaluated, when the statement was made and last reviewed (at least yearly),
contact by phone AND in writing, and the way to complain to
Digitaliseringsstyrelsen. Checked on the built page, with the demo kommune.yml.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from rusfokus.kommune import load_kommune
from rusfokus.sphinxext import tel_href

from helpers.builthtml import article, visible_text
from helpers.paths import ROOT

KLAGE_URL = "https://digst.dk/digital-inklusion/webtilgaengelighed/oplever-du-ikke-tilgaengeligt-indhold/"
DATE = r"\d{1,2}\. (?:januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december) 20\d\d"


def test_statement_has_the_required_content(built_book):
    k = load_kommune(ROOT / "kommune.yml")
    path = built_book / "book" / "tilgaengelighed.html"
    text = " ".join(visible_text(path).split())
    # compliance status and how it was evaluated (QualWeb, as Digitaliseringsstyrelsen measures; axe-core)
    assert "Kurset overholder standarden delvist." in text
    for tool in ("QualWeb", "axe-core", "WCAG 2.1", "AA"):
        assert tool in text, tool
    # the content that is not accessible: a non-empty list under its heading
    section = article(path).find("section", id="kendte-mangler")
    assert section is not None and len(section.find_all("li")) >= 3
    # made, last reviewed, reviewed at least once a year
    assert re.search(rf"lavet den {DATE}", text), "the date the statement was made"
    assert re.search(rf"sidst gennemgået den {DATE}", text), "the date it was last reviewed"
    assert "mindst én gang om året" in text
    # phone and written contact, from kommune.yml
    links = {unquote(a["href"]) for a in article(path).find_all("a", href=True)}  # Sphinx cloaks @ as %40
    assert k.rusmiddelcenter.telefon in text and tel_href(k.rusmiddelcenter.telefon) in links, "phone contact"
    assert k.rusmiddelcenter.email in text and f"mailto:{k.rusmiddelcenter.email}" in links, "written contact"
    # the complaint route: Digitaliseringsstyrelsen, linked
    assert "Du kan klage til Digitaliseringsstyrelsen" in text
    assert KLAGE_URL in links
