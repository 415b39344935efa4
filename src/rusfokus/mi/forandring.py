"""Forandringscirklen: stages of change as data, situations and the check of an answer."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rusfokus.content import mi_file
from rusfokus.content.loader import load_yaml
from rusfokus.mi.dataset import FAGGRUPPER, each_item

FORANDRING_NAME = "forandringscirkel.yml"
ROUND_SIZE = 8
STAGE_KEYS = (
    "foerovervejelse",
    "overvejelse",
    "forberedelse",
    "handling",
    "vedligeholdelse",
    "tilbagefald",
)


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    english: str
    signs: str
    helps: tuple[str, ...]


@dataclass(frozen=True)
class Situation:
    item_id: str
    faggruppe: str
    text: str
    stage: str
    explanation: str


@dataclass(frozen=True)
class Cirkel:
    stages: tuple[Stage, ...]
    situations: tuple[Situation, ...]

    def stage(self, key: str) -> Stage:
        for s in self.stages:
            if s.key == key:
                return s
        raise KeyError(key)


def _text(value, where, path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise where.error(path, "must be a non-empty text")
    return value.strip()


def _fields(raw, allowed, where, path):
    if not isinstance(raw, dict):
        raise where.error(path, f"must be a mapping with {', '.join(allowed)}")
    unknown = set(raw) - set(allowed)
    if unknown:
        raise where.error((*path, sorted(unknown)[0]), f"unknown field (allowed: {', '.join(allowed)})")


def parse_cirkel(data, where) -> Cirkel:
    _fields(data, ("stadier", "situationer"), where, ())
    raw_stages = data.get("stadier")
    if not isinstance(raw_stages, list):
        raise where.error(("stadier",), "must be a list of the six stages")
    stages = []
    for i, raw in enumerate(raw_stages):
        path = ("stadier", i)
        _fields(raw, ("key", "navn", "engelsk", "kendetegn", "hjaelper"), where, path)
        helps = raw.get("hjaelper")
        if not isinstance(helps, list) or not helps:
            raise where.error((*path, "hjaelper"), "must be a non-empty list of texts")
        stages.append(
            Stage(
                _text(raw.get("key"), where, (*path, "key")),
                _text(raw.get("navn"), where, (*path, "navn")),
                _text(raw.get("engelsk"), where, (*path, "engelsk")),
                _text(raw.get("kendetegn"), where, (*path, "kendetegn")),
                tuple(_text(h, where, (*path, "hjaelper", j)) for j, h in enumerate(helps)),
            )
        )
    keys = tuple(s.key for s in stages)
    if keys != STAGE_KEYS:
        raise where.error(
            ("stadier",),
            f"must list the stages in this order: {', '.join(STAGE_KEYS)} (found {', '.join(keys)})",
        )
    raw_sits = data.get("situationer")
    if not isinstance(raw_sits, list) or not raw_sits:
        raise where.error(("situationer",), "must be a non-empty list")
    seen: set[str] = set()
    situations = each_item(raw_sits, lambda raw, i: _situation(raw, i, where, seen))
    return Cirkel(tuple(stages), tuple(situations))


def _situation(raw, i, where, seen) -> Situation:
    path = ("situationer", i)
    _fields(raw, ("id", "faggruppe", "tekst", "stadie", "forklaring"), where, path)
    sit = Situation(
        *(_text(raw.get(k), where, (*path, k)) for k in ("id", "faggruppe", "tekst", "stadie", "forklaring"))
    )
    if sit.item_id in seen:
        raise where.error((*path, "id"), f"duplicate id {sit.item_id!r}")
    seen.add(sit.item_id)
    if sit.faggruppe not in FAGGRUPPER:
        raise where.error((*path, "faggruppe"), f"{sit.faggruppe!r} is not one of {', '.join(FAGGRUPPER)}")
    if sit.stage not in STAGE_KEYS:
        raise where.error((*path, "stadie"), f"{sit.stage!r} is not one of {', '.join(STAGE_KEYS)}")
    return sit


def load_cirkel(path: str | Path) -> Cirkel:
    """Stages and situations in ``path`` (module 3's are ``mi_file(FORANDRING_NAME, root)``)."""
    data, where = load_yaml(path)
    return parse_cirkel(data, where)


@lru_cache(maxsize=4)
def default_cirkel(root: str | Path) -> Cirkel:
    """Module 3's stages and situations (``data/forandringscirkel.yml``) under the content root ``root``."""
    return load_cirkel(mi_file(FORANDRING_NAME, root))


@dataclass(frozen=True)
class StageAnswer:
    correct: bool
    chosen: Stage
    right: Stage
    explanation: str


def check(cirkel: Cirkel, situation: Situation, chosen_key: str) -> StageAnswer:
    if chosen_key not in STAGE_KEYS:
        raise ValueError(f"unknown stage {chosen_key!r}")
    return StageAnswer(
        chosen_key == situation.stage,
        cirkel.stage(chosen_key),
        cirkel.stage(situation.stage),
        situation.explanation,
    )


@dataclass
class StageRound:
    cirkel: Cirkel
    situations: list[Situation]
    results: list[StageAnswer] = field(default_factory=list)

    @classmethod
    def new(cls, cirkel: Cirkel, seed: int | None = None, size: int = ROUND_SIZE) -> StageRound:
        order = list(cirkel.situations)
        random.Random(seed).shuffle(order)
        return cls(cirkel, order[:size])

    @property
    def done(self) -> bool:
        return len(self.results) >= len(self.situations)

    @property
    def current(self) -> Situation | None:
        return None if self.done else self.situations[len(self.results)]

    def answer(self, chosen_key: str) -> StageAnswer:
        if self.done:
            raise ValueError("the round is finished")
        result = check(self.cirkel, self.situations[len(self.results)], chosen_key)
        self.results.append(result)
        return result

    @property
    def score(self) -> int:
        return sum(1 for r in self.results if r.correct)
