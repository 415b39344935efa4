"""Reading the built book's HTML the way a learner sees it (shared by content tests)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from bs4 import BeautifulSoup


@cache
def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")


def article(path: Path) -> BeautifulSoup:
    art = soup(path).find("article")
    assert art is not None, f"{path}: no <article> in the built page"
    return art


def visible_text(path: Path) -> str:
    """The page's main text, without scripts and styles, whitespace folded."""
    art = BeautifulSoup(str(article(path)), "html.parser")
    for tag in art.find_all(["script", "style", "template"]):
        tag.decompose()
    return re.sub(r"[ \t\r\f\v]+", " ", art.get_text("\n"))
