"""The exercise data file format: good files load, bad files name file, question and field."""

import copy
import re
from pathlib import Path

import pytest
import yaml

from rusfokus.exercises.schema import ExerciseError, load_all, load_exercise, parse_exercise

ROOT = Path(__file__).resolve().parents[2]
OPGAVER = ROOT / "exercises" / "opgaver"

GOOD = {
    "id": "demo",
    "titel": "Demo",
    "modul": "opsporing",
    "bestaa_pct": 70,
    "spoergsmaal": [
        {"id": "ugegraense", "type": "enkeltvalg", "tekst": "Hvor mange?", "valg": [{"id": "a", "tekst": "7"}, {"id": "b", "tekst": "10"}], "korrekt": "b", "forklaring": "10."},
        {"id": "tegn", "type": "flervalg", "tekst": "Hvilke?", "valg": [{"id": "a", "tekst": "x"}, {"id": "b", "tekst": "y"}, {"id": "c", "tekst": "z"}], "korrekt": ["a", "c"], "point": 2, "forklaring": "a og c."},
        {"id": "sag", "type": "case", "case": "Mia på 6 år …", "tekst": "Hvad gør du?", "valg": [{"id": "a", "tekst": "x"}, {"id": "b", "tekst": "y"}], "korrekt": "a", "forklaring": "a."},
        {"id": "egen-praksis", "type": "refleksion", "tekst": "Hvad nu?", "point": 2, "max_tegn": 400, "forklaring": "Godt svar."},
    ],
}


def test_good_data_parses_with_points_and_names():
    ex = parse_exercise(GOOD, "demo.yml")
    assert ex.auto_points == 4 and ex.manual_points == 2
    q = ex.question("egen-praksis")
    assert (q.var, q.grade_id, q.max_tegn, q.auto) == ("svar_egen_praksis", "tjek_egen_praksis", 400, False)
    assert ex.question("tegn").multiple and not ex.question("sag").multiple
    assert ex.question("sag").korrekt == ("a",)


def test_schema_md_example_is_valid():
    text = (OPGAVER / "SCHEMA.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    ex = parse_exercise(yaml.safe_load(example), "SCHEMA.md")
    assert len(ex.spoergsmaal) == 3


def _bad(mutate):
    data = copy.deepcopy(GOOD)
    mutate(data)
    return data


BAD = [
    (lambda d: d["spoergsmaal"][0].update(korrekt="e"), "question 'ugegraense': field 'korrekt'"),
    (lambda d: d["spoergsmaal"][0].update(korrekt=["b"]), "question 'ugegraense': field 'korrekt'"),
    (lambda d: d["spoergsmaal"][1].update(korrekt="a"), "question 'tegn': field 'korrekt'"),
    (lambda d: d["spoergsmaal"][0].update(type="essay"), "question 'ugegraense': field 'type'"),
    (lambda d: d["spoergsmaal"][0].pop("forklaring"), "question 'ugegraense': field 'forklaring'"),
    (lambda d: d["spoergsmaal"][0].update(korekt="b"), "question 'ugegraense': field 'korekt'"),
    (lambda d: d["spoergsmaal"][0].update(point=0), "question 'ugegraense': field 'point'"),
    (lambda d: d["spoergsmaal"][0].update(point="1"), "question 'ugegraense': field 'point'"),
    (lambda d: d["spoergsmaal"][0].update(tekst=10), "question 'ugegraense': field 'tekst'"),
    (lambda d: d["spoergsmaal"][0].update(tekst="a\x00b"), "question 'ugegraense': field 'tekst'"),
    (lambda d: d["spoergsmaal"][0]["valg"].pop(), "question 'ugegraense': field 'valg'"),
    (lambda d: d["spoergsmaal"][0]["valg"].append({"id": "a", "tekst": "igen"}), "question 'ugegraense': field 'valg[3].id'"),
    (lambda d: d["spoergsmaal"][0]["valg"].append({"id": "A B", "tekst": "x"}), "question 'ugegraense': field 'valg[3].id'"),
    (lambda d: d["spoergsmaal"][2].pop("case"), "question 'sag': field 'case'"),
    (lambda d: d["spoergsmaal"][0].update(case="x"), "question 'ugegraense': field 'case'"),
    (lambda d: d["spoergsmaal"][3].update(max_tegn=10), "question 'egen-praksis': field 'max_tegn'"),
    (lambda d: d["spoergsmaal"][3].update(korrekt="a"), "question 'egen-praksis': field 'korrekt'"),
    (lambda d: d["spoergsmaal"][1].update(id="ugegraense"), "question 'ugegraense': field 'id'"),
    (lambda d: d["spoergsmaal"][1].update(id="Tegn 1"), "question '#2': field 'id'"),
    (lambda d: d.update(modul="modul1"), "field 'modul'"),
    (lambda d: d.update(bestaa_pct=0), "field 'bestaa_pct'"),
    (lambda d: d.update(bestaa_pct=150), "field 'bestaa_pct'"),
    (lambda d: d.update(spoergsmaal=[]), "field 'spoergsmaal'"),
    (lambda d: d.update(spoergsmaal=[GOOD["spoergsmaal"][3]]), "field 'spoergsmaal'"),
    (lambda d: d.update(titel=None), "field 'titel'"),
    (lambda d: d.update(id="andet"), "field 'id'"),
]


@pytest.mark.parametrize("mutate,expected", BAD)
def test_bad_data_names_question_and_field(mutate, expected):
    with pytest.raises(ExerciseError) as exc:
        parse_exercise(_bad(mutate), "demo.yml", expected_id="demo")
    assert str(exc.value).startswith("demo.yml")
    assert expected in str(exc.value)


def test_bad_files(tmp_path):
    (tmp_path / "brudt.yml").write_text("id: brudt\nspoergsmaal: [\n", encoding="utf-8")
    with pytest.raises(ExerciseError, match=r"brudt.yml.*line \d+.*not valid YAML"):
        load_exercise(tmp_path / "brudt.yml")
    (tmp_path / "latin.yml").write_bytes("titel: Pr\xf8ve\n".encode("latin-1"))
    with pytest.raises(ExerciseError, match="latin.yml.*not UTF-8"):
        load_exercise(tmp_path / "latin.yml")
    with pytest.raises(ExerciseError, match="findes-ikke.yml: file not found"):
        load_exercise(tmp_path / "findes-ikke.yml")
    (tmp_path / "liste.yml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ExerciseError, match="liste.yml: the file must be a mapping"):
        load_exercise(tmp_path / "liste.yml")


def test_all_committed_exercise_files_are_valid():
    exercises = load_all(OPGAVER)
    for eid, ex in exercises.items():
        assert ex.id == eid


def test_alias_bomb_is_refused_fast(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        levels.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = tmp_path / "bombe.yml"
    path.write_text("\n".join(levels) + "\n", encoding="utf-8")
    with pytest.raises(ExerciseError, match=r"bombe.yml.*aliases"):
        load_exercise(path)
