"""Live question sets: one YAML file per module in ``temadag/data/``.

Content people edit these files; a mistake gives a :class:`DataFileError`
naming the file, line and field.
"""

from __future__ import annotations

from pathlib import Path

from rusfokus.progress import MODULE_TITLES
from rusfokus.temadag.live import LiveQuestion
from rusfokus.yamlutil import DataFileError, load_yaml

DATA_DIR = Path(__file__).parent / "data"

MODULES = MODULE_TITLES
"""Module id → Danish title: the progress package's MODULE_TITLES, the one home of module titles."""


def _text(value, where, path, *, allow_empty=False) -> str:
    if value is None and allow_empty:
        return ""
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise where.error(path, "must be a non-empty text")
    return value.strip()


def load_question_set(path: str | Path) -> tuple[str, str, list[LiveQuestion]]:
    """(module id, title, questions) from one YAML file; raises DataFileError."""
    data, where = load_yaml(path)
    if not isinstance(data, dict):
        raise where.error((), "the file must be a mapping with modul, titel and spoergsmaal")
    for key in ("modul", "titel", "spoergsmaal"):
        if key not in data:
            raise where.error((), f"missing field '{key}'")
    module = _text(data["modul"], where, ("modul",))
    if module not in MODULES:
        raise where.error(("modul",), f"unknown module '{module}'; use one of {', '.join(MODULES)}")
    title = _text(data["titel"], where, ("titel",))
    items = data["spoergsmaal"]
    if not isinstance(items, list) or not items:
        raise where.error(("spoergsmaal",), "must be a non-empty list")
    questions, seen = [], set()
    for i, item in enumerate(items):
        path = ("spoergsmaal", i)
        if not isinstance(item, dict):
            raise where.error(path, "each question must be a mapping")
        for key in ("id", "spoergsmaal", "svar", "rigtige", "forklaring"):
            if key not in item:
                raise where.error(path, f"missing field '{key}'")
        qid = _text(item["id"], where, (*path, "id"))
        if qid in seen:
            raise where.error((*path, "id"), f"id '{qid}' is used twice")
        seen.add(qid)
        options = item["svar"]
        if not isinstance(options, list) or not 2 <= len(options) <= 6:
            raise where.error((*path, "svar"), "must be a list of 2 to 6 answers")
        options = tuple(_text(o, where, (*path, "svar", j)) for j, o in enumerate(options))
        correct = item["rigtige"]
        if not isinstance(correct, list) or any(
            not isinstance(c, int) or isinstance(c, bool) or not 1 <= c <= len(options) for c in correct
        ):
            raise where.error((*path, "rigtige"), f"must be a list of answer numbers from 1 to {len(options)} (empty for an opinion question)")
        questions.append(LiveQuestion(
            id=qid,
            case=_text(item.get("case"), where, (*path, "case"), allow_empty=True),
            question=_text(item["spoergsmaal"], where, (*path, "spoergsmaal")),
            options=options,
            correct=tuple(c - 1 for c in correct),
            explanation=_text(item["forklaring"], where, (*path, "forklaring")),
        ))
    return module, title, questions


def questions_for(modules: list[str], data_dir: str | Path = DATA_DIR) -> list[LiveQuestion]:
    """All live questions for a temadag's modules, in module order; ids prefixed by module."""
    out = []
    for module in modules:
        path = Path(data_dir) / f"{module}.yml"
        if not path.is_file():
            raise DataFileError(f"{path}: no live questions for module '{module}'")
        _, _, qs = load_question_set(path)
        for q in qs:
            out.append(LiveQuestion(f"{module}.{q.id}", q.case, q.question, q.options, q.correct, q.explanation))
    return out
