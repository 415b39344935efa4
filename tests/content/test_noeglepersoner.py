"""The facilitator part of the book ("For nøglepersoner"): structure, timings, facts, live questions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from rusfokus.temadag.questions import MODULES, questions_for

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

ROOT = Path(__file__).resolve().parents[2]
PART = ROOT / "book" / "noeglepersoner"
SECTIONS = [
    "## Læringsmål",
    "## Dagsorden: temadag på 3 timer",
    "## Dagsorden: personalemøde på 45 minutter",
    "## Forberedelse",
    "## Talepunkter",
    "## Gruppeøvelser",
    "## Live-spørgsmål i appen",
    "## Casekort",
    "## Evaluering",
]
FORBIDDEN = [r"14/21", r"7/14", r"122\.000", r"§\s*153", r"§\s*50\b", r"80\s*%", r"80 procent"]


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def agenda(page: str, heading: str) -> list[tuple[int, int]]:
    block = page.split(heading, 1)[1].split("\n## ", 1)[0]
    return [(_minutes(a), _minutes(b)) for a, b in re.findall(r"^\| (\d:\d\d)-(\d:\d\d) \|", block, re.M)]


def test_part_is_in_the_toc_in_order():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    part = next(p for p in toc["parts"] if p["caption"] == "For nøglepersoner")
    files = [c["file"] for c in part["chapters"]]
    assert files[0] == "book/noeglepersoner/index" and files[-1] == "book/noeglepersoner/kilder"
    for module in MODULES:
        assert f"book/noeglepersoner/{module}" in files
    for f in files:
        assert (ROOT / f"{f}.md").is_file()


@pytest.mark.parametrize("module", list(MODULES))
def test_module_kit_has_every_section_and_agendas_add_up(module):
    page = (PART / f"{module}.md").read_text(encoding="utf-8")
    positions = [page.find(s) for s in SECTIONS]
    assert -1 not in positions, [s for s, p in zip(SECTIONS, positions, strict=True) if p == -1]
    assert positions == sorted(positions)
    for heading, total in (
        ("## Dagsorden: temadag på 3 timer", 180),
        ("## Dagsorden: personalemøde på 45 minutter", 45),
    ):
        slots = agenda(page, heading)
        assert slots[0][0] == 0 and slots[-1][1] == total, (module, heading, slots)
        for (_, end), (start, _) in zip(slots, slots[1:], strict=False):
            assert end == start, (module, heading, "gap or overlap", slots)
        assert all(a < b for a, b in slots)
    assert page.count(":::{container} casekort") >= 3


@pytest.mark.parametrize("module", list(MODULES))
def test_live_question_list_matches_the_app(module):
    page = (PART / f"{module}.md").read_text(encoding="utf-8")
    block = page.split("## Live-spørgsmål i appen", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\d+\. ", block, re.M)
    assert len(listed) == len(questions_for([module], TEST_CONTENT))


def test_no_outdated_figures_and_one_sentence_per_line():
    for path in sorted(PART.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for pattern in FORBIDDEN:
            for hit in re.finditer(pattern, text):
                line = text[: hit.start()].count("\n") + 1
                context = text.splitlines()[line - 1]
                # old figures are allowed only as history ("Tidligere ...", "indtil 2022", "nu ophævet")
                assert re.search(r"Tidligere|indtil|Indtil|ophævet|Før det", context), f"{path.name}:{line}: {context}"
        for n, line in enumerate(text.splitlines(), 1):
            if line.startswith(("|", "#", "-", ":::", "```", "(")) or re.match(r"^\d+\. ", line):
                continue
            # a plain paragraph line holds one sentence: no ". X" break outside quoted speech
            spoken = re.sub(r'"[^"]*"', '""', line)
            assert not re.search(r"[.!?] [A-ZÆØÅ]", spoken), f"{path.name}:{n}: more than one sentence: {line}"


def test_sources_page_lists_every_source_the_kits_lean_on():
    kilder = (PART / "kilder.md").read_text(encoding="utf-8")
    for needle in (
        "10 genstande om ugen",
        "12 gram",
        "§ 133",
        "§ 20",
        "109.000",
        "24 timer",
        "cirka halvdelen",
        "75 procent",
        "60-70 procent",
        "1. september 2024",
        "Miller",
        "Hedensted",
        "Randers",
        "§ 141",
        "§ 142",
        "§ 101 a",
        "afklarende samtale",
        "L 126 er nummeret på lovforslaget",
        "ammende",
        "AUDIT-C",
        "600.000",
        "TUBA",
        "§ 33",
        "visitationsretningslinje",
    ):
        assert needle in kilder, needle
