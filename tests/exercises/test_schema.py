"""The exercise data file format: good files load, bad files name file, question and field."""

import copy
import re
from pathlib import Path

import pytest
import yaml

from rusfokus.content.registry import module_ids
from rusfokus.exercises.schema import ExerciseError, exercise, load_all, load_exercise, parse_exercise

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

ROOT = Path(__file__).resolve().parents[2]
OPSPORING = ROOT / "modules" / "01-opsporing" / "data" / "opgave.yml"

GOOD = {
    "id": "demo",
    "titel": "Demo",
    "modul": "opsporing",
    "bestaa_pct": 70,
    "spoergsmaal": [
        {
            "id": "ugegraense",
            "type": "enkeltvalg",
            "tekst": "Hvor mange?",
            "valg": [{"id": "a", "tekst": "7"}, {"id": "b", "tekst": "10"}],
            "korrekt": "b",
            "forklaring": "10.",
        },
        {
            "id": "tegn",
            "type": "flervalg",
            "tekst": "Hvilke?",
            "valg": [{"id": "a", "tekst": "x"}, {"id": "b", "tekst": "y"}, {"id": "c", "tekst": "z"}],
            "korrekt": ["a", "c"],
            "point": 2,
            "forklaring": "a og c.",
        },
        {
            "id": "sag",
            "type": "case",
            "case": "Mia på 6 år …",
            "tekst": "Hvad gør du?",
            "valg": [{"id": "a", "tekst": "x"}, {"id": "b", "tekst": "y"}],
            "korrekt": "a",
            "forklaring": "a.",
        },
        {
            "id": "egen-praksis",
            "type": "refleksion",
            "tekst": "Hvad nu?",
            "point": 2,
            "max_tegn": 400,
            "forklaring": "Godt svar.",
        },
    ],
}


def test_good_data_parses_with_points_and_names():
    ex = parse_exercise(GOOD, "demo.yml")
    assert ex.auto_points == 4 and ex.manual_points == 2
    q = ex.question("egen-praksis")
    assert (q.var, q.grade_id, q.max_tegn, q.auto) == ("svar_egen_praksis", "tjek_egen_praksis", 400, False)
    assert ex.question("tegn").multiple and not ex.question("sag").multiple
    assert ex.question("sag").korrekt == ("a",)


def test_content_doc_exercise_example_is_valid():
    text = (ROOT / "modules" / "README.md").read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```yaml\n(.*?)```", text, re.S) if block.startswith("id: "))
    ex = parse_exercise(yaml.safe_load(example), "README.md")
    assert len(ex.spoergsmaal) == 3


def _bad(mutate):
    data = copy.deepcopy(GOOD)
    mutate(data)
    return data


BAD = [
    (lambda d: d["spoergsmaal"][0].update(korrekt="e"), "spoergsmaal[1].korrekt"),
    (lambda d: d["spoergsmaal"][0].update(korrekt=["b"]), "spoergsmaal[1].korrekt"),
    (lambda d: d["spoergsmaal"][1].update(korrekt="a"), "spoergsmaal[2].korrekt"),
    (lambda d: d["spoergsmaal"][0].update(type="essay"), "spoergsmaal[1].type"),
    (lambda d: d["spoergsmaal"][0].pop("forklaring"), "spoergsmaal[1].forklaring"),
    (lambda d: d["spoergsmaal"][0].update(korekt="b"), "spoergsmaal[1].korekt"),
    (lambda d: d["spoergsmaal"][0].update(point=0), "spoergsmaal[1].point"),
    (lambda d: d["spoergsmaal"][0].update(point="1"), "spoergsmaal[1].point"),
    (lambda d: d["spoergsmaal"][0].update(tekst=10), "spoergsmaal[1].tekst"),
    (lambda d: d["spoergsmaal"][0].update(tekst="a\x00b"), "spoergsmaal[1].tekst"),
    (lambda d: d["spoergsmaal"][0]["valg"].pop(), "spoergsmaal[1].valg"),
    (lambda d: d["spoergsmaal"][0]["valg"].append({"id": "a", "tekst": "igen"}), "spoergsmaal[1].valg[3].id"),
    (lambda d: d["spoergsmaal"][0]["valg"].append({"id": "A B", "tekst": "x"}), "spoergsmaal[1].valg[3].id"),
    (lambda d: d["spoergsmaal"][2].pop("case"), "spoergsmaal[3].case"),
    (lambda d: d["spoergsmaal"][0].update(case="x"), "spoergsmaal[1].case"),
    (lambda d: d["spoergsmaal"][3].update(max_tegn=10), "spoergsmaal[4].max_tegn"),
    (lambda d: d["spoergsmaal"][3].update(korrekt="a"), "spoergsmaal[4].korrekt"),
    (lambda d: d["spoergsmaal"][1].update(id="ugegraense"), "spoergsmaal[2].id"),
    (lambda d: d["spoergsmaal"][1].update(id="Tegn 1"), "spoergsmaal[2].id"),
    (lambda d: d.update(modul="modul1"), "modul"),
    (lambda d: d.update(bestaa_pct=0), "bestaa_pct"),
    (lambda d: d.update(bestaa_pct=150), "bestaa_pct"),
    (lambda d: d.update(spoergsmaal=[]), "spoergsmaal"),
    (lambda d: d.update(spoergsmaal=[GOOD["spoergsmaal"][3]]), "spoergsmaal"),
    (lambda d: d.update(titel=None), "titel"),
    (lambda d: d.update(id="andet"), "id"),
]


@pytest.mark.parametrize("mutate,field", BAD)
def test_bad_data_names_file_and_field(mutate, field):
    with pytest.raises(ExerciseError) as exc:
        parse_exercise(_bad(mutate), "demo.yml", expected_id="demo")
    assert str(exc.value).startswith(f"demo.yml: {field}: "), str(exc.value)
    assert [p.field for p in exc.value.problems] == [field]


def test_errors_name_file_line_and_field_and_list_every_question(tmp_path):
    """The loader's one style, file:line: field: message, with the line of the value (issue 14)."""
    text = OPSPORING.read_text(encoding="utf-8")
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip() == "korrekt: c")
    second = next(i for i, line in enumerate(lines) if i > first and line.strip().startswith("korrekt: "))
    lines[first] = lines[first].replace("korrekt: c", "korrekt: x")
    lines[second] = lines[second].split("korrekt:")[0] + "korrekt: zz"
    bad = tmp_path / "opsporing.yml"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ExerciseError) as exc:
        load_exercise(bad)
    problems = exc.value.problems
    assert [p.line for p in problems] == [first + 1, second + 1]
    assert all(re.fullmatch(r"spoergsmaal\[\d+\]\.korrekt", p.field) for p in problems)
    assert str(problems[0]) == f"{bad}:{first + 1}: {problems[0].field}: 'x' is not one of the options (a, b, c, d)"
    assert str(exc.value).splitlines() == [str(p) for p in problems]


def test_a_module_folders_exercise_must_be_that_module(tmp_path):
    data = tmp_path / "01-opsporing" / "data"
    data.mkdir(parents=True)
    (data / "opgave.yml").write_text(
        OPSPORING.read_text(encoding="utf-8").replace("id: opsporing", "id: andet", 1), encoding="utf-8"
    )
    with pytest.raises(
        ExerciseError, match=r"opgave.yml:\d+: id: is 'andet' but the file belongs to module 'opsporing'"
    ):
        load_exercise(data / "opgave.yml")
    assert exercise("opsporing", ROOT / "modules").id == "opsporing"
    with pytest.raises(ExerciseError, match="'nope' is not an exercise"):
        exercise("nope", TEST_CONTENT)


def test_bad_files(tmp_path):
    (tmp_path / "brudt.yml").write_text("id: brudt\nspoergsmaal: [\n", encoding="utf-8")
    with pytest.raises(ExerciseError, match=r"brudt.yml:\d+: invalid YAML"):
        load_exercise(tmp_path / "brudt.yml")
    (tmp_path / "latin.yml").write_bytes("titel: Pr\xf8ve\n".encode("latin-1"))
    with pytest.raises(ExerciseError, match="latin.yml.*not UTF-8"):
        load_exercise(tmp_path / "latin.yml")
    with pytest.raises(ExerciseError, match="findes-ikke.yml: file not found"):
        load_exercise(tmp_path / "findes-ikke.yml")
    (tmp_path / "liste.yml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ExerciseError, match=r"liste.yml:1: \(top\): the file must be a mapping"):
        load_exercise(tmp_path / "liste.yml")


def test_every_module_has_a_valid_exercise():
    exercises = load_all(TEST_CONTENT)
    assert list(exercises) == list(module_ids())
    for eid, ex in exercises.items():
        assert ex.id == eid == ex.modul


@pytest.mark.slow  # measured >= 5 s
def test_alias_bomb_is_refused_fast(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        levels.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = tmp_path / "bombe.yml"
    path.write_text("\n".join(levels) + "\n", encoding="utf-8")
    with pytest.raises(ExerciseError, match=r"bombe.yml.*aliases"):
        load_exercise(path)
