"""The learner's text of proof of effect is plain Danish (LIX <= 40), measured as the book's pages are."""

from __future__ import annotations

import re
from pathlib import Path

from rusfokus.effekt import counts
from rusfokus.effekt.minside import after_pass_html, effekt_html
from rusfokus.effekt.selfefficacy import ITEMS, SCALE

from helpers.builthtml import lix

TEMPLATE = Path(counts.__file__).parent / "templates" / "effekt.html"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>|\{[%{#].*?[%}#]\}", " ", html)).strip()


def test_items_and_page_are_plain_danish():
    assert lix(list(ITEMS)) <= 40, lix(list(ITEMS))
    page = [text_of(p) for p in re.findall(r"<(?:p|h1|h2|legend|li)[^>]*>(.*?)</", TEMPLATE.read_text(), re.S)]
    page = [p for p in page if re.search(r"[a-zæøå]{3}", p)]
    assert len(page) >= 5 and lix(page) <= 40, (lix(page), page)
    links = [text_of(effekt_html({"due": True, "text": "før du går i gang med kurset"})), text_of(after_pass_html())]
    assert lix(links) <= 40, lix(links)
    assert [label for _v, label in SCALE] == ["Helt uenig", "Lidt uenig", "Hverken enig eller uenig", "Lidt enig",
                                             "Helt enig"]  # fmt: skip


def test_count_errors_are_plain_danish():
    messages = []
    for name, value in (("samtaler", -1), ("henvisninger", 9999), ("samtaler", "tre"), ("samtaler", "")):
        try:
            counts.check_count(name, value)
        except ValueError as exc:
            messages.append(str(exc))
    assert len(messages) == 4 and lix(messages) <= 40, (lix(messages), messages)
