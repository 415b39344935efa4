"""The one loader (rusfokus.content.loader): file:line: field: message for every kind of content file."""

from __future__ import annotations

from pathlib import Path

import pytest

import rusfokus.content.loader as loader_module
from rusfokus.content.loader import (
    MAX_NODES,
    ContentError,
    DataFileError,
    Problem,
    field_name,
    load_yaml,
)
from rusfokus.dialog.schema import DialogFileError, load_case
from rusfokus.exercises.schema import ExerciseError, load_exercise
from rusfokus.kommune import KommuneError, load_kommune
from rusfokus.mi.coach import load_items
from rusfokus.mi.dataset import load_dataset
from rusfokus.mi.forandring import load_cirkel
from rusfokus.temadag.questions import load_question_set

ROOT = Path(__file__).resolve().parents[2]
M = ROOT / "modules"


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in t)


def _break(tmp_path: Path, source: Path, old: str, new: str, name: str | None = None) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    out = tmp_path / (name or source.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


def test_problem_style_and_field_names():
    assert str(Problem("a.yml", 3, "spoergsmaal[1].korrekt", "wrong")) == "a.yml:3: spoergsmaal[1].korrekt: wrong"
    assert str(Problem("a.yml", None, "", "file not found")) == "a.yml: file not found"
    assert field_name(("spoergsmaal", 0, "valg", 2, "id")) == "spoergsmaal[1].valg[3].id"
    assert field_name(()) == "(top)"
    err = ContentError([Problem("a.yml", 1, "x", "one"), Problem("b.yml", 2, "y", "two")])
    assert isinstance(err, DataFileError) and str(err) == "a.yml:1: x: one\nb.yml:2: y: two"


# One test per kind of file: (loader, source file, text to break, broken text, needle for the line, field).
CASES = [
    (
        "exercise",
        load_exercise,
        M / "01-opsporing/data/opgave.yml",
        "bestaa_pct: 70",
        "bestaa_pct: 170",
        "bestaa_pct: 170",
        "bestaa_pct",
        ExerciseError,
    ),
    (
        "temadag",
        lambda p: load_question_set(p),
        M / "01-opsporing/data/temadag.yml",
        "korrekt: [b]",
        "korrekt: [x]",
        "korrekt: [x]",
        "spoergsmaal[2].korrekt",
        ContentError,
    ),
    (
        "dialogue",
        load_case,
        M / "02-bekymringssamtale/data/samtaler/paedagog-afhentning.yml",
        "vurdering: god",
        "vurdering: fin",
        "vurdering: fin",
        None,
        DialogFileError,
    ),
    (
        "mi dataset",
        load_dataset,
        M / "03-motiverende-samtale/data/ytringer.yml",
        "faggruppe: skole",
        "faggruppe: skolen",
        "faggruppe: skolen",
        None,
        ContentError,
    ),
    (
        "mi coach",
        load_items,
        M / "03-motiverende-samtale/data/coach.yml",
        "faggruppe: jobcenter",
        "faggruppe: job",
        "faggruppe: job",
        None,
        ContentError,
    ),
    (
        "forandringscirkel",
        load_cirkel,
        M / "03-motiverende-samtale/data/forandringscirkel.yml",
        "stadie: handling",
        "stadie: handlingg",
        "stadie: handlingg",
        None,
        ContentError,
    ),
    (
        "kommune",
        load_kommune,
        ROOT / "kommune.yml",
        'telefon: "99 99 99 99"',
        'telefon: "ring til os"',
        "ring til os",
        "rusmiddelcenter.telefon",
        KommuneError,
    ),
]


@pytest.mark.parametrize("kind,load,source,old,new,needle,field,error", CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_file_names_file_line_and_field(tmp_path, kind, load, source, old, new, needle, field, error):
    bad = _break(tmp_path, source, old, new)
    with pytest.raises(error) as exc:
        load(bad)
    line = _line_of(bad, needle)
    first = str(exc.value).splitlines()[0]
    assert first.startswith(f"{bad}:{line}: "), first
    found_field = first.removeprefix(f"{bad}:{line}: ").split(": ", 1)[0]
    if field is not None:
        assert found_field == field, first
    else:  # a list item's field: key path with items counted from 1
        assert found_field.endswith((".faggruppe", ".stadie", ".vurdering")) and "[" in found_field, first


def test_every_problem_of_a_file_is_listed(tmp_path):
    src = M / "03-motiverende-samtale/data/coach.yml"
    text = src.read_text(encoding="utf-8").replace("faggruppe: jobcenter", "faggruppe: job")
    bad = tmp_path / "coach.yml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as exc:
        load_items(bad)
    assert len(exc.value.problems) == src.read_text(encoding="utf-8").count("faggruppe: jobcenter") >= 2
    assert all(p.field.endswith(".faggruppe") for p in exc.value.problems)


def test_missing_file_bad_yaml_and_alias_bomb_are_problems_too(tmp_path, monkeypatch):
    with pytest.raises(ContentError, match=r"nowhere\.yml: file not found"):
        load_yaml(tmp_path / "nowhere.yml")
    (tmp_path / "brudt.yml").write_text("a: [\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"brudt\.yml:\d+: invalid YAML"):
        load_yaml(tmp_path / "brudt.yml")
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        levels.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    (tmp_path / "bombe.yml").write_text("\n".join(levels) + "\n", encoding="utf-8")
    built = []  # counted, not timed: the loader stops after MAX_NODES of the 10^9 nodes
    construct = loader_module._construct
    monkeypatch.setattr(loader_module, "_construct", lambda node, *a: built.append(1) or construct(node, *a))
    with pytest.raises(
        ContentError,
        match=rf"bombe\.yml:\d+: invalid YAML: the file expands to more than {MAX_NODES}",
    ):
        load_yaml(tmp_path / "bombe.yml")
    assert 0 < len(built) <= MAX_NODES + 1
