"""Exercise → nbgrader source notebook; validated answers → submission notebook.

Pure functions (no kernel, no nbgrader run). Answers are written with
``repr()`` so that ``None``, quotes and Danish letters survive exactly.
"""

from __future__ import annotations

import copy
import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from rusfokus.exercises.schema import Exercise, Question

# characters never accepted in a learner's free text: control characters
# other than tab/newline/carriage return, and lone surrogates
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class AnswerError(ValueError):
    """Bad answers from a learner. ``str(exc)`` is Danish; ``question`` names the question."""

    def __init__(self, message: str, question: str | None = None):
        super().__init__(message)
        self.question = question


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None) -> dict:
    meta = {
        "grade": grade,
        "solution": solution,
        "locked": locked,
        "schema_version": 3,
        "grade_id": grade_id,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def question_markdown(q: Question, number: int) -> str:
    lines = [f"## Spørgsmål {number} ({q.point} point)", ""]
    if q.case:
        lines += ["**Case:** " + q.case, ""]
    lines += [q.tekst, ""]
    lines += [f"- `{o.id}`: {o.tekst}" for o in q.valg]
    if q.type == "refleksion":
        lines.append(f"Fritekst, højst {q.max_tegn} tegn. Bedømmes af en nøgleperson.")
    return "\n".join(lines).rstrip() + "\n"


def _answer_literal(q: Question, value) -> str:
    """Python source assigning a validated answer, built with repr() only."""
    if q.type == "refleksion":
        lines = value.splitlines(keepends=True) or [""]
        if len(lines) == 1:
            return f"{q.var} = {value!r}\n"
        body = "".join(f"    {line!r}\n" for line in lines)
        return f"{q.var} = (\n{body})\n"
    if q.multiple:
        return f"{q.var} = {sorted(value)!r}\n"
    return f"{q.var} = {value!r}\n"


def _test_source(q: Question) -> str:
    kind = {"enkeltvalg": "enkeltvalg", "flervalg": "flervalg", "case": "case"}[q.type]
    doc = (
        f'"""Tjekker spørgsmål \'{q.id}\' ({kind}, {q.point} point): '
        f'{"præcis de rigtige valg er sat kryds ved" if q.multiple else "det rigtige valg er valgt"}."""'
    )
    if q.multiple:
        check = f"assert sorted({q.var}) == {sorted(q.korrekt)!r}, 'ikke de rigtige valg'"
    else:
        check = f"assert {q.var} == {q.korrekt[0]!r}, 'ikke det rigtige valg'"
    return f"{doc}\n### BEGIN HIDDEN TESTS\n{check}\n### END HIDDEN TESTS\n"


def source_notebook(ex: Exercise) -> nbformat.NotebookNode:
    """The nbgrader source notebook: one answer cell and one hidden test cell per question."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["rusfokus"] = {"opgave": ex.id, "modul": ex.modul}
    intro = f"# {ex.titel}\n" + (f"\n{ex.intro}\n" if ex.intro else "")
    nb.cells.append(new_markdown_cell(intro, metadata=_meta("intro", grade=False, solution=False, locked=True)))
    for n, q in enumerate(ex.spoergsmaal, 1):
        nb.cells.append(
            new_markdown_cell(
                question_markdown(q, n), metadata=_meta(f"tekst_{q.var[5:]}", grade=False, solution=False, locked=True)
            )
        )
        if q.auto:
            example = sorted(q.korrekt) if q.multiple else q.korrekt[0]
            answer = f"### BEGIN SOLUTION\n{_answer_literal(q, example)}### END SOLUTION\n"
            nb.cells.append(
                new_code_cell(answer, metadata=_meta(q.answer_id, grade=False, solution=True, locked=False))
            )
            nb.cells.append(
                new_code_cell(
                    _test_source(q), metadata=_meta(q.grade_id, grade=True, solution=False, locked=True, points=q.point)
                )
            )
        else:
            answer = f"### BEGIN SOLUTION\n{_answer_literal(q, 'Eksempel på et svar.')}### END SOLUTION\n"
            nb.cells.append(
                new_code_cell(
                    answer, metadata=_meta(q.answer_id, grade=True, solution=True, locked=False, points=q.point)
                )
            )
    return nb


def validate_answers(ex: Exercise, raw) -> dict:
    """Check a learner's answers against the exercise; return clean values.

    ``raw`` maps question id → option id (single), list of option ids
    (multiple) or text (refleksion). Raises AnswerError (Danish).
    """
    if not isinstance(raw, dict):
        raise AnswerError("Svarene kunne ikke læses. Prøv igen.")
    known = {q.id for q in ex.spoergsmaal}
    unknown = [k for k in raw if k not in known]
    if unknown:
        raise AnswerError("Svarene passer ikke til opgaven. Genindlæs siden og prøv igen.", str(unknown[0])[:60])
    clean = {}
    for n, q in enumerate(ex.spoergsmaal, 1):
        value = raw.get(q.id)
        label = f"spørgsmål {n}"
        if q.type == "refleksion":
            if not isinstance(value, str) or not value.strip():
                raise AnswerError(f"Du mangler at skrive et svar til {label}.", q.id)
            if _BAD_TEXT.search(value):
                raise AnswerError(
                    f"Dit svar til {label} indeholder tegn, der ikke kan gemmes. Skriv kun almindelig tekst.", q.id
                )
            text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
            if len(text) > q.max_tegn:
                raise AnswerError(
                    f"Dit svar til {label} er for langt: {len(text)} tegn. Der må højst være {q.max_tegn}.", q.id
                )
            clean[q.id] = text
            continue
        options = set(q.option_ids())
        if q.multiple:
            if not isinstance(value, list | tuple) or not value:
                raise AnswerError(f"Du mangler at sætte mindst ét kryds i {label}.", q.id)
            if not all(isinstance(v, str) and v in options for v in value) or len(set(value)) != len(value):
                raise AnswerError(f"Svaret til {label} er ikke et af valgene. Genindlæs siden og prøv igen.", q.id)
            clean[q.id] = sorted(value)
        else:
            if value is None or value == "":
                raise AnswerError(f"Du mangler at vælge et svar i {label}.", q.id)
            if not isinstance(value, str) or value not in options:
                raise AnswerError(f"Svaret til {label} er ikke et af valgene. Genindlæs siden og prøv igen.", q.id)
            clean[q.id] = value
    return clean


def submission_notebook(release_nb: nbformat.NotebookNode, ex: Exercise, answers: dict) -> nbformat.NotebookNode:
    """Fill the answer cells of a copy of the release notebook with validated answers."""
    nb = copy.deepcopy(release_nb)
    by_answer_id = {q.answer_id: q for q in ex.spoergsmaal}
    filled = set()
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        q = by_answer_id.get(grade_id)
        if q is not None and cell.cell_type == "code":
            cell.source = _answer_literal(q, answers[q.id])
            cell.outputs = []
            cell.execution_count = None
            filled.add(q.id)
    missing = [q.id for q in ex.spoergsmaal if q.id not in filled]
    if missing:
        raise ValueError(f"release notebook of '{ex.id}' has no answer cell for question '{missing[0]}' (rebuild it)")
    return nb
