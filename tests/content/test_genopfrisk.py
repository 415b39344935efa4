"""The refresher loop's judgement items (issue 17): modules/NN-*/data/genopfrisk.yml and their loader.

What a rusmiddelcenter consultant and the loop's engine need from the pools:
- every module has a valid pool of at least 12 items, so three rounds of three can be drawn
  without a repeat for a learner of any faggruppe, and every faggruppe has cases of its own;
- the items are new: no id or situation is a question of the module's test or temadag;
- plain Danish (LIX <= 40 per item), one right option that is not given away by its length,
  no two options nearly the same, no withdrawn fact, every legal reference and figure on the
  module's Kilder page;
- a broken file is refused as a whole, every problem as ``file:line: field: message``, and
  ``rusfokus check --content`` lists it.
"""

from __future__ import annotations

import re
import shutil
from functools import cache
from pathlib import Path

import pytest
import yaml

from rusfokus.cli import main
from rusfokus.content.genopfrisk import PracticeItem, check, load_pool, pool_file, pool_problems
from rusfokus.content.loader import ContentError
from rusfokus.content.registry import MODULES, faggruppe_keys, module_ids

from helpers.builthtml import lix, sentences, withdrawn_as_current

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "modules"
MIN_ITEMS = 12
ROUNDS, PER_ROUND = 3, 3


@cache
def _pools() -> dict[str, list[PracticeItem]]:
    """The shipped pools, loaded once (read-only: PracticeItem is frozen)."""
    return {m: load_pool(m, CONTENT) for m in module_ids()}


def _texts(item: PracticeItem) -> list[str]:
    return [item.situation, item.spoergsmaal, *(t for _, t in item.valg), item.forklaring]


@pytest.fixture
def content(tmp_path, monkeypatch):
    """A copy of the content root's data files, which the test may break."""
    root = tmp_path / "modules"
    shutil.copytree(CONTENT, root, ignore=shutil.ignore_patterns("*.md", "*.ipynb"))
    monkeypatch.setenv("RUSFOKUS_CONTENT_DIR", str(root))
    for path in ROOT.glob("kommune*"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv("RUSFOKUS_KOMMUNE", str(tmp_path / "kommune.yml"))
    monkeypatch.setenv("RUSFOKUS_HOME", str(tmp_path / "home"))
    return root


def _break(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` by ``new``; the line number of ``new``'s first line."""
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    at = text.index(old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:at].count("\n") + 1


# --- the shipped pools ---


def test_every_module_has_a_valid_pool_of_at_least_12_items():
    pools = _pools()
    assert set(pools) == {m.id for m in MODULES}
    for module_id, items in pools.items():
        assert len(items) >= MIN_ITEMS, (module_id, len(items))
        assert all(isinstance(i, PracticeItem) and i.modul == module_id for i in items)
        assert len({i.id for i in items}) == len(items)
        for item in items:
            assert item.korrekt in item.option_ids and len(item.valg) >= 3, item.id
    ok, problems = check(CONTENT)
    assert problems == [] and len(ok) == len(MODULES)


def test_no_item_repeats_a_question_of_the_test_or_the_temadag():
    """Read independently of the loader: the ids, cases and texts of opgave.yml and temadag.yml."""

    def norm(text: str) -> str:
        return " ".join(re.sub(r"[^\w ]+", " ", text.casefold()).split())

    for m in MODULES:
        taken_ids, taken_texts = set(), set()
        for name in ("opgave.yml", "temadag.yml"):
            data = yaml.safe_load((CONTENT / m.folder / "data" / name).read_text(encoding="utf-8"))
            for q in data["spoergsmaal"]:
                taken_ids.add(q["id"])
                taken_texts |= {norm(q[k]) for k in ("case", "tekst") if q.get(k)}
        for item in _pools()[m.id]:
            assert item.id not in taken_ids, (m.id, item.id)
            assert norm(item.situation) not in taken_texts, (m.id, item.id)
            # not even a sentence of a test case is reused
            for s in sentences(item.situation):
                if len(s.split()) >= 6:
                    assert not any(norm(s) in t for t in taken_texts), (m.id, item.id, s)


def test_every_faggruppe_has_cases_of_its_own_and_enough_items_for_three_rounds():
    keys = faggruppe_keys()
    for module_id, items in _pools().items():
        own = {k: [i.id for i in items if k in i.faggrupper] for k in keys}
        assert all(own.values()), (module_id, [k for k, v in own.items() if not v])
        for k in keys:
            suitable = [i for i in items if i.for_faggruppe(k)]
            assert len(suitable) >= ROUNDS * PER_ROUND, (module_id, k, len(suitable))
    assert _pools()["opsporing"][0].for_faggruppe(None)


def test_every_item_is_plain_danish_lix_40_or_less():
    for module_id, items in _pools().items():
        for item in items:
            value = lix(_texts(item))
            assert value <= 40, (module_id, item.id, round(value, 1))


def test_the_right_option_is_not_given_away_by_its_length():
    """A learner who always picks the longest (or shortest) option must not pass: at most half per module."""
    everything = []
    for module_id, items in _pools().items():
        longest = shortest = 0
        for item in items:
            lengths = {oid: len(t) for oid, t in item.valg}
            longest += lengths[item.korrekt] == max(lengths.values())
            shortest += lengths[item.korrekt] == min(lengths.values())
            everything.append(item)
        assert longest <= len(items) / 2, (module_id, "right option is the longest", longest, len(items))
        assert shortest <= len(items) / 2, (module_id, "right option is the shortest", shortest, len(items))
    positions = [item.option_ids.index(item.korrekt) for item in everything]
    assert max(positions.count(p) for p in set(positions)) <= 0.5 * len(positions)


def test_no_withdrawn_fact_and_every_legal_reference_and_figure_is_on_the_kilder_page():
    """Figures with a unit in options and explanations (what the course states as fact) must be on Kilder;
    a case's own details (ages, days away from school) are not facts to source."""
    figure = re.compile(r"\b(\d+(?:[.,]\d+)?)\s*(?:%|genstande?|timer|hverdage|dage|måneder|gram)(?=\W|$)", re.I)
    for m in MODULES:
        kilder = re.sub(r"\s+", " ", (CONTENT / m.folder / "kilder.md").read_text(encoding="utf-8"))
        for item in _pools()[m.id]:
            text = " ".join(_texts(item))
            assert not withdrawn_as_current(text), (m.id, item.id, withdrawn_as_current(text))
            assert "80 %" not in text and "SEL" not in text, (m.id, item.id)
            for ref in re.findall(r"§\s*(\d+(?:\s?[a-z]\b)?)", text):
                assert re.search(rf"§+ [\d, og]*\b{re.escape(ref)}\b", kilder), (m.id, item.id, f"§ {ref}")
            stated = " ".join([*(t for _, t in item.valg), item.forklaring])
            for number in figure.findall(stated):
                assert re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d]|[.,]\d)", kilder), (m.id, item.id, number)


def test_paragraph_142_is_only_drug_treatment():
    for module_id, items in _pools().items():
        for item in items:
            for s in sentences(" ".join(_texts(item))):
                if "§ 142" in s:
                    assert re.search(r"stof|metadon|buprenorfin|substitution", s, re.I), (module_id, item.id, s)


# --- broken files: file:line: field: message, nothing half-loaded ---


def test_missing_korrekt_is_reported_with_file_line_and_field(content):
    path = pool_file("opsporing", content)
    item_line = _break(path, "    korrekt: b\n", "") - 0
    item_line = max(
        i
        for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if i < item_line and t.startswith("  - id:")
    )
    with pytest.raises(ContentError) as exc:
        load_pool("opsporing", content)
    assert str(exc.value) == f"{path}:{item_line}: items[1]: missing field 'korrekt'"
    assert [str(p) for p in exc.value.problems] == pool_problems(content)


def test_korrekt_that_is_not_an_option(content):
    path = pool_file("bekymringssamtale", content)
    line = _break(path, "    korrekt: c\n", "    korrekt: e\n")
    problems = pool_problems(content)
    assert problems == [f"{path}:{line}: items[1].korrekt: 'e' is not one of the options (a, b, c)"]
    line = _break(path, "    korrekt: a\n", "    korrekt: [a]\n")
    assert f"{path}:{line}: items[2].korrekt: must be one option id, e.g. b (not a list)" in pool_problems(content)


def test_unknown_faggruppe(content):
    path = pool_file("dobbeltdiagnose", content)
    line = _break(path, "    faggrupper: [socialpsykiatri]\n", "    faggrupper: [socialpsykiatri, boernehave]\n")
    [problem] = pool_problems(content)
    assert problem.startswith(f"{path}:{line}: items[2].faggrupper[2]: unknown faggruppe 'boernehave'; use one of ")
    assert "dagtilbud" in problem


def test_duplicate_id(content):
    path = pool_file("unge-og-rusmidler", content)
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    first, second = items[0]["id"], items[1]["id"]
    line = _break(path, f"  - id: {second}\n", f"  - id: {first}\n")
    assert pool_problems(content) == [f"{path}:{line}: items[2].id: id '{first}' is used twice (first in items[1])"]


def test_an_item_copied_from_the_test_is_refused(content):
    path = pool_file("opsporing", content)
    exercise = yaml.safe_load((content / "01-opsporing/data/opgave.yml").read_text(encoding="utf-8"))
    q = next(q for q in exercise["spoergsmaal"] if q.get("case"))
    situation = yaml.safe_load(path.read_text(encoding="utf-8"))["items"][0]["situation"]
    block = "".join(f"      {line}\n" for line in situation.splitlines())
    copied = "".join(f"      {line}\n" for line in q["case"].strip().splitlines())
    line = _break(path, block, copied) - 1  # the line of "situation: |"
    assert pool_problems(content) == [
        f"{path}:{line}: items[1].situation: repeats question '{q['id']}' of opgave.yml; "
        "the refresher pool must have its own items"
    ]
    # the same for an id of a temadag question
    temadag = yaml.safe_load((content / "01-opsporing/data/temadag.yml").read_text(encoding="utf-8"))
    tid = temadag["spoergsmaal"][1]["id"]
    first = yaml.safe_load(path.read_text(encoding="utf-8"))["items"][1]["id"]
    line = _break(path, f"  - id: {first}\n", f"  - id: {tid}\n")
    assert f"{path}:{line}: items[2].id: repeats question '{tid}' of temadag.yml; " in "\n".join(pool_problems(content))
    # the loader itself still reads the file (the overlap is a check across files)
    assert len(load_pool("opsporing", content)) >= 3


def test_nearly_identical_options_and_other_mistakes_are_all_listed_at_once(content):
    path = pool_file("motiverende-samtale", content)
    text = path.read_text(encoding="utf-8")
    option_a = re.search(r"      - \{id: a, tekst: (\"[^\"]+\")\}\n", text).group(0)
    option_b = re.search(r"      - \{id: b, tekst: \"([^\"]+)\"\}\n", text)
    line = _break(path, option_a, f'      - {{id: a, tekst: "{option_b.group(1)}!"}}\n')
    top = _break(path, "modul: motiverende-samtale\n", "modul: motiverende-samtale\ntitel: Genopfrisk\n") + 1
    assert pool_problems(content) == [
        f"{path}:{top}: titel: unknown field (allowed: items, modul)",
        f"{path}:{line + 2}: items[1].valg[2].tekst: is nearly the same as option 'a' (valg[1]); "
        "make the options differ",
    ]


def test_the_loader_refuses_a_bad_file_without_a_partial_list(content, tmp_path):
    path = pool_file("opsporing", content)
    _break(path, "    situation: |\n", "    situation: 42\n    sitaution: |\n")
    with pytest.raises(ContentError) as exc:
        load_pool("opsporing", content)
    fields = [p.field for p in exc.value.problems]
    assert "items[1].sitaution" in fields and "items[1].situation" in fields
    # not YAML, not a mapping, empty items, the wrong module, no file
    for text, expected in (
        ("modul: opsporing\nitems: [\n", "invalid YAML"),
        ("- a\n- b\n", "the file must be a mapping with modul and items"),
        ("modul: opsporing\nitems: []\n", "items: must be a non-empty list of items"),
        (
            "modul: dobbeltdiagnose\nitems: []\n",
            "is 'dobbeltdiagnose' but the file is in the folder of module 'opsporing'",
        ),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ContentError, match=re.escape(expected)):
            load_pool("opsporing", content)
    path.unlink()
    with pytest.raises(ContentError, match="file not found"):
        load_pool("opsporing", content)
    assert any("missing: every module has a refresher pool" in p for p in pool_problems(content))
    with pytest.raises(KeyError, match="unknown module"):
        load_pool("ingen-modul", content)


def test_rusfokus_check_content_lists_the_pool_problem(content, capsys):
    """Only this part's lines are asserted: other parts' files are edited by others at the same time."""
    path = pool_file("dobbeltdiagnose", content)
    line = _break(path, "    korrekt: b\n", "    korrekt: x\n")
    assert main(["check", "--content"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [row for row in out if row.startswith("ERROR ") and "genopfrisk.yml" in row] == [
        f"ERROR {path}:{line}: items[2].korrekt: 'x' is not one of the options (a, b, c)"
    ]
    assert sum(row.startswith("OK ") and "genopfrisk.yml: " in row for row in out) == len(MODULES) - 1
