"""Reading the built book's HTML the way a learner sees it (shared by content tests)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

from helpers.paths import ROOT

FAGGRUPPER = {"dagtilbud", "skole", "sundhedspleje", "jobcenter", "familieafdeling", "ungeindsats"}

# Withdrawn facts (fagligt-grundlag.md): old SST limits, old paragraphs, old child count.
WITHDRAWN = [
    re.compile(r"\b14\s*(?:/|og|-)\s*21\b"),
    re.compile(r"\b7\s*(?:/|og|-)\s*14\b"),
    re.compile(r"\b(?:7|14|21) genstande (?:om|pr\.?|per|i) ugen", re.I),
    re.compile(r"\bstop før 5", re.I),
    re.compile(r"(?:høj|lav)risikogrænse", re.I),
    re.compile(r"(?:serviceloven|SEL)\s*§\s*(?:153|50)\b", re.I),
    re.compile(r"§\s*153\b"),
    re.compile(r"§\s*50\b"),
    re.compile(r"\b122[.\s]?000\b"),
]
# A sentence that mentions a withdrawn fact must say that it is history.
HISTORY = re.compile(
    r"indtil 20(?:22|24)|før 2024|tidligere|gælder ikke længere|ikke længere gælder|"
    r"gamle|ældre|ophævet|fra 2008|2008",
    re.I,
)


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


# --- module pages (content tests) ---


def toc_pages(module: str) -> list[str]:
    """Page names of one module, in _toc.yml order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                files.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc)
    prefix = f"modules/{module}/"
    return [f.removeprefix(prefix) for f in files if f.startswith(prefix)]


@cache
def sentences(text: str) -> list[str]:
    """Split visible text into sentences (also at line breaks: list items, table cells)."""
    out = []
    for block in re.split(r"\n\s*", text):
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÆØÅ\"„])", block) if s.strip()]
    return out


def withdrawn_as_current(text: str) -> list[str]:
    """Sentences that state a withdrawn fact without saying it is history."""
    return [s for s in sentences(text) if any(p.search(s) for p in WITHDRAWN) and not HISTORY.search(s)]


def lix(blocks: list[str]) -> float:
    words, n_sent = [], 0
    for block in blocks:
        ws = [w for w in re.findall(r"[\wÆØÅæøå§%-]+", block) if re.search(r"[A-Za-zÆØÅæøå]", w)]
        if not ws:
            continue
        words += ws
        n_sent += max(1, len(re.findall(r"[.!?:]+(?=\s|$|[\"”»)])", block)))
    long_words = sum(1 for w in words if len(w) > 6)
    return len(words) / n_sent + 100 * long_words / len(words)


def body_blocks(path: Path) -> list[str]:
    art = BeautifulSoup(str(article(path)), "html.parser")
    for tag in art.find_all(["script", "style", "table"]):
        tag.decompose()
    for tag in art.select(".rf-app, .rf-kommune"):
        tag.decompose()
    return [el.get_text(" ", strip=True) for el in art.find_all(["p", "li"]) if not el.find(["p", "li"])]


def page(built_book: Path, name: str) -> Path:
    path = Path(built_book) / "modules" / f"{name}.html"
    assert path.is_file(), f"{name}.html was not built"
    return path


def module_pages(built_book: Path, module: str) -> list[Path]:
    return [page(built_book, f"{module}/{p}") for p in toc_pages(module)]
