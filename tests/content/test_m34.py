"""Content of modules 3 (Motiverende samtale) and 4 (Dobbeltdiagnose).

Three layers:
- the Markdown sources and exercise files (fast, no build): facts and forbidden figures;
- the exercise files through a real nbgrader build and autograde (answer keys really score);
- the built book (fixture ``built_book``): what a learner actually sees in the HTML.
"""

from __future__ import annotations

import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from rusfokus.content import exercise_file
from rusfokus.exercises.schema import load_exercise

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

ROOT = Path(__file__).resolve().parents[2]
M3 = ROOT / "modules" / "03-motiverende-samtale"
M4 = ROOT / "modules" / "04-dobbeltdiagnose"


def _yml(opgave: str) -> Path:
    return exercise_file(opgave, ROOT / "modules")


M3_PAGES = [
    "index",
    "aanden",
    "faerdigheder",
    "forandringssnak",
    "forandringscirklen",
    "to-minutter",
    "coach",
    "cases",
    "opsummering",
    "test-din-viden",
    "kilder",
]
M4_PAGES = [
    "index",
    "hvad-er-dobbeltdiagnose",
    "behandling",
    "samarbejde",
    "cases",
    "opsummering",
    "test-din-viden",
    "kilder",
]

# Figures that are outdated or have no source (../shared/fagligt-grundlag.md).
FORBIDDEN = [
    (re.compile(r"\b80\s*(%|pct|procent)", re.I), "'80 %' has no source for dual diagnosis"),
    (re.compile(r"\b14\s*/\s*21\b"), "withdrawn limits 14/21"),
    (re.compile(r"\b7\s*/\s*14\b"), "withdrawn limits 7/14"),
    (re.compile(r"SEL\s*§\s*153|serviceloven\s*§\s*153", re.I), "SEL § 153 is now Barnets Lov § 133"),
    (re.compile(r"SEL\s*§\s*50\b|serviceloven\s*§\s*50\b", re.I), "SEL § 50 is now Barnets Lov § 20"),
    (re.compile(r"122[.\s]?000"), "122.000 is the 2008 figure"),
    (re.compile(r"empowerment", re.I), "the 4th edition's renaming is [unverified]"),
]


def _sources() -> dict[str, str]:
    files = [*M3.glob("*.md"), *M4.glob("*.md"), _yml("motiverende-samtale"), _yml("dobbeltdiagnose")]
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in files}


# --------------------------------------------------------------------------- sources


def test_every_page_exists_and_has_its_label():
    for folder, pages, prefix in ((M3, M3_PAGES, "m3"), (M4, M4_PAGES, "m4")):
        for page in pages:
            text = (folder / f"{page}.md").read_text(encoding="utf-8")
            assert re.match(rf"\({prefix}-[a-z-]+\)=\n# ", text), (
                f"{folder.name}/{page}.md must start with a label and a title"
            )


@pytest.mark.parametrize("pattern,why", FORBIDDEN, ids=[w for _, w in FORBIDDEN])
def test_no_forbidden_figures_in_sources(pattern, why):
    hits = [name for name, text in _sources().items() if pattern.search(text)]
    assert not hits, f"{why}: {hits}"


def test_one_sentence_per_line():
    """Prose lines (not tables, code, dialogue or list items) hold one sentence each."""
    two_sentences = re.compile(r"[a-zæøå0-9)][.!?] +[A-ZÆØÅ]")
    bad = []
    for path in [*M3.glob("*.md"), *M4.glob("*.md")]:
        fence = False
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            s = line.strip()
            if s.startswith("```") or s.startswith(":::"):
                fence = not fence if s.startswith("```") else fence
                continue
            if fence or not s or s[0] in "|>-*#:" or re.match(r"\d+\.", s) or '"' in s:
                continue
            if two_sentences.search(s):
                bad.append(f"{path.name}:{n}: {s[:70]}")
    assert not bad, "more than one sentence on a line:\n" + "\n".join(bad)


def test_kilder_pages_list_the_sources():
    m3 = (M3 / "kilder.md").read_text(encoding="utf-8")
    for needle in (
        "Miller, W. R. & Rollnick, S. (2013)",
        "3. udgave",
        "Moyers, T. B., Manuel, J. K. & Ernst, D. (2015)",
        "4.2.1",
        "MITI 3.1.1",
        "PMC9461167",
        "Barnets Lov § 133",
        "§ 141",
    ):
        assert needle in m3, f"module 3 kilder lacks {needle!r}"
    # The course uses the 3rd edition's terms (fremkaldelse, rette-refleksen) and cites that edition;
    # the 4th edition's renamings are unverified (fagligt-grundlag, Additions 2026-12), so it is not cited for them.
    assert "Miller, W. R. & Rollnick, S. (2023)" not in m3
    m4 = (M4 / "kilder.md").read_text(encoding="utf-8")
    for needle in (
        "Sundhedsstyrelsen (2016)",
        "samtidig alkoholafhængighed og psykisk lidelse",
        "140.000",
        "KL",
        "op til 75 %",
        "(SIF) (2013)",
        "60-70 %",
        "L 126",
        "2023-24",
        "§ 82 c",
        "Faglig visitationsretningslinje",
        "8. september 2023",
        "1. september 2024",
        "2027",
        "Barnets Lov § 133",
        "112",
    ):
        assert needle in m4, f"module 4 kilder lacks {needle!r}"


def test_law_references_in_pages_are_listed_on_kilder():
    """Every '§ N' a module states appears on that module's Kilder page."""
    para = re.compile(r"§§? ?(\d+(?: [a-z]\b)?)")
    for folder in (M3, M4):
        kilder = (folder / "kilder.md").read_text(encoding="utf-8")
        listed = set(para.findall(kilder))
        for pair in re.findall(r"§§ (\d+) og (\d+)", kilder):
            listed.update(pair)
        for page in folder.glob("*.md"):
            for ref in para.findall(page.read_text(encoding="utf-8")):
                assert ref in listed, f"{folder.name}/{page.name} cites § {ref}, missing on kilder.md"


def test_prevalence_only_sourced_figures():
    text = (M4 / "hvad-er-dobbeltdiagnose.md").read_text(encoding="utf-8")
    assert "omkring 140.000" in text and "omkring halvdelen" in text
    assert "over 50 %" in text and "op til 75 %" in text and "60-70 %" in text
    percents = set(re.findall(r"(\d+(?:-\d+)?) %", text))
    assert percents <= {"50", "75", "60-70"}, f"unsourced percentages: {percents - {'50', '75', '60-70'}}"


# --------------------------------------------------------------------------- exercises


@pytest.mark.parametrize("opgave", ["motiverende-samtale", "dobbeltdiagnose"])
def test_exercise_shape(opgave):
    ex = load_exercise(_yml(opgave))
    types = [q.type for q in ex.spoergsmaal]
    assert ex.modul == opgave
    assert len(types) >= 10
    assert types.count("case") >= 2
    assert types.count("refleksion") >= 1
    assert ex.spoergsmaal[-1].type == "refleksion", "the reflection task comes last (the pages say so)"


def test_mi_exercise_coding_items_use_the_coach_categories():
    from rusfokus.mi import LABEL_NAMES_DA

    names = {v.lower(): k for k, v in LABEL_NAMES_DA.items()}
    ex = load_exercise(_yml("motiverende-samtale"))
    coding = [q for q in ex.spoergsmaal if q.id.startswith("kode-")]
    assert len(coding) >= 5
    keys = {dict((o.id, o.tekst) for o in q.valg)[q.korrekt[0]] for q in coding}
    assert len(keys) >= 5, f"coding items cover at least five kinds of response, got {keys}"
    for q in coding:
        assert "Hvilken slags svar er det?" in q.tekst
        for o in q.valg:
            assert o.tekst.lower() in names, f"{q.id}: option {o.tekst!r} is not one of the coach's categories"


def _quoted_staff_response(q) -> tuple[str | None, str]:
    """The client statement (if any) and the staff response quoted in a coding item."""
    quotes = re.findall(r'"([^"]+)"', q.tekst)
    client = quotes[0] if len(quotes) == 2 else None
    return client, quotes[-1]


def test_mi_coach_agrees_with_the_exercise_key():
    """A learner must not get one answer from the coach and another from the test."""
    from rusfokus.mi import LABEL_NAMES_DA, code

    ex = load_exercise(_yml("motiverende-samtale"))
    disagree = []
    for q in ex.spoergsmaal:
        if not q.id.startswith("kode-"):
            continue
        client, response = _quoted_staff_response(q)
        key = dict((o.id, o.tekst) for o in q.valg)[q.korrekt[0]].lower()
        got = LABEL_NAMES_DA[code(response, client).label]
        if got != key:
            disagree.append(f"{q.id}: key {key!r}, coach {got!r}")
    assert not disagree, "\n".join(disagree)


def _answers(ex, correct: bool) -> dict:
    answers = {}
    for q in ex.spoergsmaal:
        if q.type == "refleksion":
            answers[q.id] = "Jeg vil spørge åbent og lytte efter borgerens egne grunde."
        elif correct:
            answers[q.id] = list(q.korrekt) if q.multiple else q.korrekt[0]
        else:
            wrong = [o for o in q.option_ids() if o not in q.korrekt]
            answers[q.id] = [wrong[0]] if q.multiple else wrong[0]
    return answers


@pytest.mark.slow
def test_exercises_build_and_grade_with_nbgrader(tmp_path, monkeypatch):
    """Real nbgrader: the release hides the keys, the key scores full marks, wrong answers score 0."""
    from rusfokus.exercises import course
    from rusfokus.exercises.grading import Grader

    monkeypatch.setenv("RUSFOKUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    course_dir = tmp_path / "course"
    course_dir.mkdir(parents=True)
    for opgave in ("motiverende-samtale", "dobbeltdiagnose"):
        summary = course.build(course_dir, opgave, content_dir=TEST_CONTENT)
        assert summary["questions"] >= 10
        release = Path(summary["release"]).read_text(encoding="utf-8")
        ex = load_exercise(_yml(opgave))
        for q in ex.spoergsmaal:
            assert q.forklaring.strip().splitlines()[0] not in release, f"{q.id}: explanation leaked into release"
    grader = Grader(course_dir, content_dir=TEST_CONTENT)
    for opgave in ("motiverende-samtale", "dobbeltdiagnose"):
        ex = load_exercise(_yml(opgave))
        _, fut = grader.submit("kim.eksempel@eksempel-kommune.example", opgave, _answers(ex, correct=True))
        right = fut.result(timeout=180)
        assert right["score"] == ex.auto_points and right["passed"], right
        assert right["pending_manual"], "the reflection waits for a nøgleperson"
        _, fut = grader.submit("kim.eksempel@eksempel-kommune.example", opgave, _answers(ex, correct=False))
        wrong = fut.result(timeout=180)
        assert wrong["score"] == 0 and not wrong["passed"], wrong


# --------------------------------------------------------------------------- built book


class _Text(HTMLParser):
    """Visible text of the article (no scripts, styles or hidden nav)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self.code_classes: list[str] = []

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        if "highlight-" in cls:
            self.code_classes.append(cls)
        if tag in ("script", "style", "template"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _page(built_book, folder: str, page: str) -> tuple[str, str, list[str]]:
    path = Path(built_book) / "modules" / folder / f"{page}.html"
    assert path.is_file(), f"{path} was not built (is it in _toc.yml?)"
    raw = path.read_text(encoding="utf-8")
    main = raw[raw.find("<main") : raw.rfind("</main>")] if "<main" in raw else raw
    p = _Text()
    p.feed(main)
    text = re.sub(r"\s+", " ", " ".join(p.parts).replace("\xa0", " "))
    return raw, text, p.code_classes


@pytest.fixture(scope="module")
def pages(built_book):
    out = {}
    for folder, names in (("03-motiverende-samtale", M3_PAGES), ("04-dobbeltdiagnose", M4_PAGES)):
        for name in names:
            out[f"{folder[:2]}/{name}"] = _page(built_book, folder, name)
    return out


def test_built_pages_have_no_visible_python_and_no_forbidden_figures(pages):
    for key, (_raw, text, code_classes) in pages.items():
        assert not code_classes, f"{key}: shows a code block {code_classes[:1]}"
        for needle in ("import ", "def ", "print(", "Traceback", "widgets.", "ipywidgets"):
            assert needle not in text, f"{key}: learner sees {needle!r}"
        for pattern, why in FORBIDDEN:
            assert not pattern.search(text), f"{key}: {why}"


def test_built_module4_states_sourced_prevalence_and_2024_treatment(pages):
    _, text, _ = pages["04/hvad-er-dobbeltdiagnose"]
    assert re.search(r"omkring 140\.000 .* omkring halvdelen af dem også har en psykisk lidelse", text)
    assert "op til 75 %" in text and "over 50 %" in text and "60-70 %" in text
    _, text, _ = pages["04/behandling"]
    assert "1. september 2024" in text and "§ 82 c" in text and "L 126" in text and "2027" in text
    assert "på samme tid" in text and "Sundhedsstyrelsen" in text
    _, text, _ = pages["04/samarbejde"]
    assert "Ring 112" in text and "psykiatriske akutmodtagelse" in text


def test_built_module3_states_miti_thresholds(pages):
    _, text, _ = pages["03/coach"]
    assert "MITI 4.2.1" in text
    for row in ("Refleksioner : spørgsmål 1:1 2:1", "Komplekse refleksioner 40 % 50 %"):
        assert row in text, f"threshold row {row!r} missing"
    assert "3,5" in text  # relational threshold, fair


def test_built_pages_embed_the_apps(pages):
    raw, _, _ = pages["03/forandringscirklen"]
    assert 'data-app="forandringscirkel"' in raw
    raw, _, _ = pages["03/coach"]
    assert 'data-app="mi-coach"' in raw
    for key, opgave in (("03/test-din-viden", "motiverende-samtale"), ("04/test-din-viden", "dobbeltdiagnose")):
        raw, _, _ = pages[key]
        assert f'data-src="/voila/render/opgave/index.ipynb?opgave={opgave}"' in raw


def test_built_cases_have_synced_faggruppe_tabs(pages):
    for key, ids in (
        ("03/cases", {"dagtilbud", "skole", "sundhedspleje", "jobcenter", "familieafdeling", "ungeindsats"}),
        ("04/cases", {"socialpsykiatri", "jobcenter", "skole", "familieafdeling", "ungeindsats"}),
    ):
        raw, _, _ = pages[key]
        found = set(re.findall(r'data-sync-group="faggruppe" data-sync-id="([a-z]+)"', raw))
        assert found == ids, f"{key}: tabs {found}"


def test_built_kilder_pages(pages):
    _, text, _ = pages["03/kilder"]
    assert "Miller" in text and "Rollnick" in text and "Moyers" in text and "PMC9461167" in text
    _, text, _ = pages["04/kilder"]
    assert "National klinisk retningslinje for samtidig alkoholafhængighed og psykisk lidelse" in text
    assert "En styrket misbrugsbehandling" in text and "§ 82 c" in text


def test_toc_lists_every_page():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = set()

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.add(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc)
    for folder, names in (("03-motiverende-samtale", M3_PAGES), ("04-dobbeltdiagnose", M4_PAGES)):
        for name in names:
            assert f"modules/{folder}/{name}" in files
