"""Pure logic: source notebook, answer validation, submission notebook (no kernel, no nbgrader run)."""

import ast
from pathlib import Path

import nbformat
import pytest

from rusfokus.apps.opgave import public_view
from rusfokus.exercises.notebook import (
    AnswerError,
    source_notebook,
    submission_notebook,
    validate_answers,
)
from rusfokus.exercises.schema import load_exercise

ROOT = Path(__file__).resolve().parents[2]
EX = load_exercise(ROOT / "modules" / "01-opsporing" / "data" / "opgave.yml")


def correct_answers(ex=EX) -> dict:
    out = {}
    for q in ex.spoergsmaal:
        if q.type == "refleksion":
            out[q.id] = "Jeg vil tale med forælderen og skrive mine iagttagelser ned."
        else:
            out[q.id] = list(q.korrekt) if q.multiple else q.korrekt[0]
    return out


def test_opsporing_meets_the_brief():
    types = [q.type for q in EX.spoergsmaal]
    assert len(types) >= 10 and types.count("case") >= 2 and types.count("refleksion") >= 1
    text = " ".join(
        q.tekst + " " + q.forklaring + " " + (q.case or "") + " " + " ".join(o.tekst for o in q.valg)
        for q in EX.spoergsmaal
    )
    for fact in ("10 genstande", "4 genstande", "12 gram", "0 og 12", "§ 133", "14 dage", "anonym", "109.000"):
        assert fact in text, fact
    for old in ("122.000", "SEL § 153", "§ 153", "SEL § 50", "14/21", "7/14"):
        assert old not in text, old


def test_source_notebook_has_one_hidden_test_per_auto_question_with_docstring():
    nb = source_notebook(EX)
    nbformat.validate(nb)
    tests = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"]["solution"]
    ]
    assert [c.metadata.nbgrader.grade_id for c in tests] == [q.grade_id for q in EX.spoergsmaal if q.auto]
    for cell, q in zip(tests, [q for q in EX.spoergsmaal if q.auto], strict=True):
        assert cell.source.startswith('"""Tjekker spørgsmål')
        assert "### BEGIN HIDDEN TESTS" in cell.source and cell.metadata.nbgrader.points == q.point
        ast.parse(cell.source)
    manual = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.metadata["nbgrader"]["solution"]]
    assert [c.metadata.nbgrader.grade_id for c in manual] == ["svar_egen_praksis"]


def test_valid_answers_are_cleaned():
    raw = correct_answers()
    raw["audit-c"] = ["d", "a", "b"]
    raw["egen-praksis"] = "  Første linje\r\nAnden linje  "
    clean = validate_answers(EX, raw)
    assert clean["audit-c"] == ["a", "b", "d"]
    assert clean["egen-praksis"] == "Første linje\nAnden linje"


BAD = [
    (lambda a: a.update({"ugegraense": "x"}), "ikke et af valgene", "ugegraense"),
    (lambda a: a.update({"ugegraense": ["b"]}), "ikke et af valgene", "ugegraense"),
    (lambda a: a.update({"ugegraense": None}), "mangler at vælge", "ugegraense"),
    (lambda a: a.pop("samme-dag"), "mangler at vælge", "samme-dag"),
    (lambda a: a.update({"audit-c": []}), "mindst ét kryds", "audit-c"),
    (lambda a: a.update({"audit-c": ["a", "a"]}), "ikke et af valgene", "audit-c"),
    (lambda a: a.update({"audit-c": ["a", "z"]}), "ikke et af valgene", "audit-c"),
    (lambda a: a.update({"audit-c": "a"}), "mindst ét kryds", "audit-c"),
    (lambda a: a.update({"egen-praksis": ""}), "mangler at skrive", "egen-praksis"),
    (lambda a: a.update({"egen-praksis": 42}), "mangler at skrive", "egen-praksis"),
    (lambda a: a.update({"egen-praksis": "x" * 1501}), "for langt: 1501 tegn", "egen-praksis"),
    (lambda a: a.update({"egen-praksis": "hej\x00med dig"}), "tegn, der ikke kan gemmes", "egen-praksis"),
    (lambda a: a.update({"egen-praksis": "bip\x07"}), "tegn, der ikke kan gemmes", "egen-praksis"),
    (lambda a: a.update({"__import__('os')": "a"}), "passer ikke til opgaven", None),
]


@pytest.mark.parametrize("mutate,message,qid", BAD)
def test_bad_answers_give_danish_message_naming_question(mutate, message, qid):
    raw = correct_answers()
    mutate(raw)
    with pytest.raises(AnswerError) as exc:
        validate_answers(EX, raw)
    assert message in str(exc.value)
    if qid:
        assert exc.value.question == qid


def test_not_a_mapping():
    with pytest.raises(AnswerError, match="kunne ikke læses"):
        validate_answers(EX, ["a"])


def test_submission_uses_repr_and_survives_quotes_and_code_like_text():
    nasty = "Hun sagde: \"nej\" og 'måske'\n\\n ''' \"\"\" ); import os; os.system('rm -rf /') #\næøå ÆØÅ"
    answers = validate_answers(EX, {**correct_answers(), "egen-praksis": nasty})
    release = source_notebook(EX)  # same cells as the release for this purpose
    nb = submission_notebook(release, EX, answers)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "svar_egen_praksis")
    namespace = {}
    exec(compile(cell.source, "<svar>", "exec"), {"__builtins__": {}}, namespace)  # only literals
    assert namespace["svar_egen_praksis"] == nasty.strip()
    tree = ast.parse(cell.source)
    assert all(isinstance(n, ast.Assign) for n in tree.body)
    single = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "svar_ugegraense")
    assert single.source == "svar_ugegraense = 'b'\n"


def test_public_view_hides_keys_and_explanations():
    pub = public_view(EX)
    assert all(q.korrekt == () and q.forklaring == "" for q in pub.spoergsmaal)
    assert [q.id for q in pub.spoergsmaal] == [q.id for q in EX.spoergsmaal]
    assert [(q.type, q.multiple) for q in pub.spoergsmaal] == [(q.type, q.multiple) for q in EX.spoergsmaal]
    assert pub.question("tegn-hos-foraelder").multiple and not pub.question("underretning-personlig").multiple
