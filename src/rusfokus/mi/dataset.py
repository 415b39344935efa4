"""The labelled Danish MI dataset (module 3's ``data/ytringer.yml``) and its fixed split.

``load_dataset()`` validates the file (errors ``file:line: field: message``, every item's first) and
returns one ``Example`` per staff response. ``split()`` is a train/held-out split BY CLIENT STATEMENT
with a fixed seed (stratified by faggruppe): all replies to one statement are in the same part, so the
held-out figures measure the coder on statements it was never tuned on. Rules and thresholds are tuned
on the train part only; the held-out part is used for the accuracy test and ``make bench`` (P7).

The codes follow MITI 4.2.1's behaviour codes (Moyers, Manuel & Ernst 2015) with the departures listed
in module 3's ``data/README.md``: questions split into open and closed (MITI 3.1.1), Seeking Collaboration
and Emphasizing Autonomy in one code, Persuade and Confront in one (the righting reflex), and Giving
Information / Persuade with Permission as ``information``. Summaries are coded as reflections.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rusfokus.content import mi_file
from rusfokus.content.loader import ContentError, DataFileError, load_yaml
from rusfokus.content.registry import faggruppe_keys

LABELS = (
    "open_question",
    "closed_question",
    "simple_reflection",
    "complex_reflection",
    "affirmation",
    "autonomy_support",
    "information",
    "righting_reflex",
)
GOOD_LABELS = frozenset(
    {"open_question", "simple_reflection", "complex_reflection", "affirmation", "autonomy_support", "information"}
)
"""Codes that are MI-consistent practice (MITI: MI-adherent, or a reflection/question)."""
FAGGRUPPER = faggruppe_keys()
"""The faggruppe keys MI data may name: the faggruppe registry's."""
DATASET_NAME = "ytringer.yml"
SPLIT_SEED = 20261123
HELD_OUT_SHARE = 0.3


@dataclass(frozen=True)
class Example:
    item_id: str
    faggruppe: str
    client: str
    utterance: str
    label: str


def _text(value, where, path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise where.error(path, "must be a non-empty text")
    return value.strip()


def each_item(data, parse_one) -> list:
    """``parse_one(item, index)`` for every item of a list; every item's first problem, all raised at once."""
    out, problems = [], []
    for i, item in enumerate(data):
        try:
            out.append(parse_one(item, i))
        except ContentError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ContentError(problems)
    return out


def parse_dataset(data, where) -> list[Example]:
    if not isinstance(data, list) or not data:
        raise where.error((), "the file must be a list of items (id, faggruppe, klient, svar)")
    seen: set[str] = set()
    clients: dict[str, str] = {}
    return [ex for examples in each_item(data, lambda item, i: _item(item, i, where, seen, clients)) for ex in examples]


def _item(item, i, where, seen, clients) -> list[Example]:
    if not isinstance(item, dict):
        raise where.error((i,), "each item must be a mapping with id, faggruppe, klient, svar")
    unknown = set(item) - {"id", "faggruppe", "klient", "svar"}
    if unknown:
        raise where.error((i, sorted(unknown)[0]), "unknown field (allowed: id, faggruppe, klient, svar)")
    item_id = _text(item.get("id"), where, (i, "id"))
    if item_id in seen:
        raise where.error((i, "id"), f"duplicate id {item_id!r}")
    seen.add(item_id)
    faggruppe = _text(item.get("faggruppe"), where, (i, "faggruppe"))
    if faggruppe not in FAGGRUPPER:
        raise where.error((i, "faggruppe"), f"{faggruppe!r} is not one of {', '.join(FAGGRUPPER)}")
    client = _text(item.get("klient"), where, (i, "klient"))
    key = " ".join(client.lower().split())
    if key in clients:
        raise where.error((i, "klient"), f"the same statement as item {clients[key]!r}: give each statement one item")
    clients[key] = item_id
    answers = item.get("svar")
    if not isinstance(answers, list) or not answers:
        raise where.error((i, "svar"), "must be a list of '- <code>: <text>' lines")
    examples: list[Example] = []
    for j, answer in enumerate(answers):
        if not isinstance(answer, dict) or len(answer) != 1:
            raise where.error((i, "svar", j), "each answer must be one '<code>: <text>' pair")
        ((label, text),) = answer.items()
        if label not in LABELS:
            raise where.error((i, "svar", j), f"unknown code {label!r} (allowed: {', '.join(LABELS)})")
        examples.append(Example(item_id, faggruppe, client, _text(text, where, (i, "svar", j, label)), label))
    return examples


def load_dataset(path: str | Path) -> list[Example]:
    """The dataset in ``path`` (module 3's is ``mi_file(DATASET_NAME, root)``)."""
    data, where = load_yaml(path)
    return parse_dataset(data, where)


@lru_cache(maxsize=4)
def default_dataset(root: str | Path) -> tuple[Example, ...]:
    """Module 3's dataset (``data/ytringer.yml``) under the content root ``root`` (``settings.content_dir``)."""
    return tuple(load_dataset(mi_file(DATASET_NAME, root)))


def split(examples, seed: int = SPLIT_SEED, held_out_share: float = HELD_OUT_SHARE):
    """Split BY CLIENT STATEMENT with a fixed seed: returns (train, held_out).

    Within each faggruppe the statements are shuffled with ``seed`` and ``held_out_share`` of them (rounded)
    go to held-out with all their replies; no statement has replies in both parts.
    """
    if not 0 < held_out_share < 1:
        raise ValueError("held_out_share must be between 0 and 1")
    statements: dict[str, list[str]] = defaultdict(list)
    for ex in examples:
        if ex.item_id not in statements[ex.faggruppe]:
            statements[ex.faggruppe].append(ex.item_id)
    rng = random.Random(seed)
    held_ids: set[str] = set()
    for faggruppe in sorted(statements):
        ids = sorted(statements[faggruppe])
        rng.shuffle(ids)
        held_ids.update(ids[: round(len(ids) * held_out_share)])
    train = [ex for ex in examples if ex.item_id not in held_ids]
    held_out = [ex for ex in examples if ex.item_id in held_ids]
    return train, held_out


__all__ = [
    "LABELS",
    "GOOD_LABELS",
    "FAGGRUPPER",
    "Example",
    "DataFileError",
    "load_dataset",
    "default_dataset",
    "split",
]
