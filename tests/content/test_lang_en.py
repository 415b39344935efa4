"""English words in Danish learner text are marked lang="en" (WCAG 3.1.2, language of parts).

A screen reader reads a page in its language (da); an English phrase inside it is
read with Danish sounds unless an element around it says lang="en". The built
book is searched for the English terms the course uses (MI's English names, the
stages of change, English source titles); each must sit inside an element with
lang="en". Names of instruments and acronyms (AUDIT-C, MI, MITI, OARS, DARN-CAT)
are read letter by letter or as names and are not marked; loan words Danish
dictionaries list (feedback, case, screening) are Danish.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import NavigableString

from helpers.builthtml import soup

# English phrases used in the course, matched whole-word and case-insensitively.
ENGLISH_TERMS = [
    "Motivational Interviewing",
    "righting reflex",
    "binge drinking",
    "change talk",
    "sustain talk",
    "discord",
    "elicit-provide-elicit",
    "precontemplation",
    "contemplation",
    "preparation",
    "action",
    "maintenance",
    "relapse",
    "no wrong door",
    "desire, ability, reasons, need",
    "commitment, activation, taking steps",
    "Helping People Change",
    "Treatment Integrity Coding Manual",
    "Alcohol Use Disorders Identification Test",
    "alcohol-screening tests",
    "alcohol consumption questions",
    "Guidelines for Use in Primary Care",
    "Archives of Internal Medicine",
    "Arch Intern Med",
]
TERMS = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in ENGLISH_TERMS) + r")(?![\w-])", re.I)
SKIP = {"script", "style", "template", "noscript", "code", "pre"}


def unmarked_english(html_path: Path) -> list[str]:
    """The English terms in a built page's text that no lang="en" element encloses."""
    found = []
    for node in soup(html_path).find_all(string=TERMS):
        if not isinstance(node, NavigableString) or node.parent.name in SKIP:
            continue
        langs = [p.get("lang") for p in node.parents if getattr(p, "get", None) and p.get("lang")]
        if langs and langs[0].lower().startswith("en"):
            continue
        found += [f"{m.group(0)!r} in “{' '.join(node.split())[:90]}”" for m in TERMS.finditer(str(node))]
    return found


def book_pages(built_book: Path) -> list[Path]:
    return sorted(
        p
        for p in built_book.rglob("*.html")
        if not p.relative_to(built_book).parts[0].startswith("_") and p.name not in {"genindex.html", "search.html"}
    )


def test_english_terms_are_marked_lang_en(built_book):
    pages = book_pages(built_book)
    assert len(pages) > 50
    found = {p.relative_to(built_book).as_posix(): unmarked_english(p) for p in pages}
    assert {page: terms for page, terms in found.items() if terms} == {}


def test_the_search_sees_terms_inside_and_outside_lang_en(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        '<html lang="da"><body><p>MI hedder <em>Motivational Interviewing</em> og '
        '<span lang="en">the righting reflex</span>; <span lang="en-GB"><em>change talk</em></span>. '
        "Handlingsplan, ikke en transaction.</p></body></html>",
        encoding="utf-8",
    )
    found = unmarked_english(page)
    assert len(found) == 1 and found[0].startswith("'Motivational Interviewing'"), found
