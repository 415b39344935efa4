"""MI coach logic: practice statements, a round of answers, feedback and MITI-lite.

Pure functions and a small state object; the widget (``coach_app.py``) only
wires values to these.

Child safety beats coaching: MI never suspends the duty to notify (Barnets Lov
§ 133). A statement in which a child tells about a parent's drinking or drugs
(``barn: fortaeller``) or in which a child may be at risk (``barn: risiko``)
gets the underretning step as the FIRST line of the feedback, whatever the
learner answered and whatever its MI code. A statement whose situation or
text names a child at all must say which it is (``barn: ingen`` when neither),
so a new statement cannot slip through without a decision.

Privacy: what a learner types may describe a real citizen. ``feedback`` and
``CoachRound`` code it in memory only; nothing here writes it to a file, a
database or a log.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rusfokus.content import mi_file
from rusfokus.content.loader import load_yaml
from rusfokus.content.registry import faggruppe_labels
from rusfokus.mi.coder import LABEL_NAMES_DA, Coding, code
from rusfokus.mi.dataset import FAGGRUPPER, each_item
from rusfokus.mi.stats import MitiLite, miti_lite

COACH_NAME = "coach.yml"
ROUND_SIZE = 8
EXAMPLE_LABELS = ("complex_reflection", "open_question")
FAGGRUPPE_DA = faggruppe_labels()
"""Faggruppe key -> Danish label (the faggruppe registry's)."""


CHILD_KINDS = ("fortaeller", "risiko", "ingen")
_CHILD_WORDS = re.compile(
    r"\b(barn\w*|børn\w*|baby\w*|nyfødt\w*|spædbarn\w*|datter|døtre|søn|sønnen|drenge?n?e?|pige\w*|elev\w*|unger(?:ne)?|"
    r"plejebørn\w*|gravid\w*|vuggestue\w*|børnehave\w*)\b",
    re.IGNORECASE,
)
_SUBSTANCE_WORDS = re.compile(
    r"\b(drik\w*|drak|druk\w*|alkohol\w*|øl|øllene|vin|vinen|hash\w*|joint\w*|amfetamin\w*|kokain\w*|stof\w*|"
    r"piller|pillerne|fuld|beruset|påvirket|skæv)\b",
    re.IGNORECASE,
)
_SECRET_PROMISE = re.compile(
    r"\b(?:bliver|forbliver) mellem os\b|\bvores (?:lille )?hemmelighed\b|\b(?:holder|holde) (?:det )?hemmelig\w*|"
    r"\b(?:siger|fortæller) (?:det )?ikke til (?:nogen|andre)\b|\b(?:siger|fortæller) jeg ikke til (?:nogen|andre)\b|"
    r"\bingen (?:andre )?får (?:det )?at vide\b|\blover(?: dig)?,? at jeg ikke\b",
    re.IGNORECASE,
)
_NO_SECRET = re.compile(
    r"\bikke (?:love|lov|holde|holder)\b|\bkan ikke\b[^.?!]*\bhemmelig|\bingen hemmelighed",
    re.IGNORECASE,
)
CHILD_PREFIX = "Barnets sikkerhed går forud:"
UNDERRETNING_STEP = (
    f"{CHILD_PREFIX} Lav en underretning efter Barnets Lov § 133 til kommunen, når du ved eller har grund til at "
    "tro, at et barn under 18 år kan have brug for særlig støtte. Pligten er din egen. Den gælder, også selv om din "
    "leder er uenig. MI ændrer ikke på den."
)
CHILD_NOTES = {
    "fortaeller": (
        UNDERRETNING_STEP,
        "Et barn har fortalt dig om en voksens alkohol eller stoffer. Lyt roligt, og tag det alvorligt. "
        "Lov ikke at holde det hemmeligt. Tal med din leder samme dag.",
    ),
    "risiko": (
        UNDERRETNING_STEP,
        "Her kan et barn være i fare. Du venter ikke på, at forælderen bliver klar til at ændre noget. "
        "Tal med din leder, og følg jeres procedure.",
    ),
}
CHILD_NOTE_FAMILIEAFDELING = (
    "Har du selv sagen, hører det med i din børnefaglige vurdering. Det er barnets behov, der afgør den."
)
SECRET_NOTE = (
    "Du lovede at holde det hemmeligt. Det kan du ikke love et barn. "
    "Sig i stedet, at du vil tale med en voksen, der kan hjælpe."
)


def mentions_child(*texts: str) -> bool:
    """True if the texts name a child (the data check asks for a ``barn`` decision)."""
    return bool(_CHILD_WORDS.search(" ".join(texts)))


def mentions_child_and_substance(*texts: str) -> bool:
    """True if the texts together name a child and alcohol or drugs (the data check asks for a ``barn`` decision)."""
    joined = " ".join(texts)
    return bool(_CHILD_WORDS.search(joined) and _SUBSTANCE_WORDS.search(joined))


def promises_secrecy(answer: str) -> bool:
    """True if the answer promises a child to keep a disclosure secret ("det bliver mellem os")."""
    return bool(_SECRET_PROMISE.search(answer)) and not _NO_SECRET.search(answer)


@dataclass(frozen=True)
class PracticeItem:
    item_id: str
    faggruppe: str
    situation: str
    client: str
    examples: dict[str, str]
    child: str = "ingen"


def child_safety_note(item: PracticeItem, answer: str = "") -> tuple[str, ...]:
    """The child-safety lines to show with the feedback on ``item`` (empty when no child is concerned).

    The first line is always the underretning step (Barnets Lov § 133).
    """
    if item.child not in CHILD_NOTES:
        return ()
    lines = list(CHILD_NOTES[item.child])
    if item.faggruppe == "familieafdeling":
        lines.append(CHILD_NOTE_FAMILIEAFDELING)
    if item.child == "fortaeller" and promises_secrecy(answer):
        lines.append(SECRET_NOTE)
    return tuple(lines)


def parse_items(data, where) -> list[PracticeItem]:
    if not isinstance(data, list) or not data:
        raise where.error((), "the file must be a list of practice items")
    seen: set[str] = set()
    return each_item(data, lambda raw, i: _parse_item(raw, i, where, seen))


def _parse_item(raw, i, where, seen) -> PracticeItem:
    if not isinstance(raw, dict):
        raise where.error((i,), "each item must be a mapping with id, faggruppe, situation, klient, eksempler")
    unknown = set(raw) - {"id", "faggruppe", "situation", "klient", "eksempler", "barn"}
    if unknown:
        raise where.error(
            (i, sorted(unknown)[0]),
            "unknown field (allowed: id, faggruppe, situation, klient, eksempler, barn)",
        )
    values = {}
    for key in ("id", "faggruppe", "situation", "klient"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise where.error((i, key), "must be a non-empty text")
        values[key] = value.strip()
    if values["id"] in seen:
        raise where.error((i, "id"), f"duplicate id {values['id']!r}")
    seen.add(values["id"])
    if values["faggruppe"] not in FAGGRUPPER:
        raise where.error((i, "faggruppe"), f"{values['faggruppe']!r} is not one of {', '.join(FAGGRUPPER)}")
    examples = raw.get("eksempler")
    if not isinstance(examples, dict):
        raise where.error((i, "eksempler"), "must map codes to example answers")
    for label, text in examples.items():
        if label not in EXAMPLE_LABELS:
            raise where.error((i, "eksempler", label), f"unknown code (allowed: {', '.join(EXAMPLE_LABELS)})")
        if not isinstance(text, str) or not text.strip():
            raise where.error((i, "eksempler", label), "must be a non-empty text")
    for required in ("complex_reflection", "open_question"):
        if required not in examples:
            raise where.error((i, "eksempler"), f"missing {required}")
    child = raw.get("barn")
    if child is None:
        if mentions_child(values["situation"], values["klient"]):
            raise where.error(
                (i,),
                f"{values['id']!r} mentions a child: add barn: fortaeller (a child tells about an adult's alcohol "
                "or drugs), risiko (a child may be at risk) or ingen (no child at risk)",
            )
        child = "ingen"
    elif child not in CHILD_KINDS:
        raise where.error((i, "barn"), f"{child!r} is not one of {', '.join(CHILD_KINDS)}")
    return PracticeItem(
        values["id"],
        values["faggruppe"],
        values["situation"],
        values["klient"],
        {k: v.strip() for k, v in examples.items()},
        child,
    )


def load_items(path: str | Path) -> list[PracticeItem]:
    """The practice statements in ``path`` (module 3's are ``mi_file(COACH_NAME, root)``)."""
    data, where = load_yaml(path)
    return parse_items(data, where)


@lru_cache(maxsize=4)
def default_items(root: str | Path) -> tuple[PracticeItem, ...]:
    """Module 3's practice statements (``data/coach.yml``) under the content root ``root``."""
    return tuple(load_items(mi_file(COACH_NAME, root)))


def pick_round(
    items, faggruppe: str | None = None, size: int = ROUND_SIZE, seed: int | None = None
) -> list[PracticeItem]:
    """``size`` statements: the chosen faggruppe's first, then the others, each part shuffled."""
    if faggruppe is not None and faggruppe not in FAGGRUPPER:
        raise ValueError(f"unknown faggruppe {faggruppe!r}")
    rng = random.Random(seed)
    own = [it for it in items if it.faggruppe == faggruppe]
    rest = [it for it in items if it.faggruppe != faggruppe]
    rng.shuffle(own)
    rng.shuffle(rest)
    chosen = (own + rest)[:size]
    if len(chosen) < size:
        raise ValueError(f"need {size} practice items, have {len(chosen)}")
    return chosen


@dataclass(frozen=True)
class Feedback:
    coding: Coding
    praise: str
    example_label: str
    example: str
    child_note: tuple[str, ...] = ()


_GOOD = {"complex_reflection", "open_question", "affirmation", "autonomy_support", "information"}
_ADVICE = {
    "righting_reflex": (
        "complex_reflection",
        "Vis først, at du har forstået. Vil du give et råd, så spørg om lov. En refleksion kunne være:",
    ),
    "closed_question": (
        "open_question",
        "Et lukket spørgsmål giver et kort svar. Et åbent spørgsmål giver personen mere plads:",
    ),
    "simple_reflection": (
        "complex_reflection",
        "En simpel refleksion er en god start. En kompleks refleksion lægger en følelse eller betydning til:",
    ),
    "open_question": (
        "complex_reflection",
        "Godt. Husk også refleksioner: Sig med dine egne ord, hvad du hører. For eksempel:",
    ),
    "complex_reflection": ("open_question", "Godt. Du kan også gå videre med et åbent spørgsmål:"),
    "information": (
        "open_question",
        "Godt. Efter information kan du spørge, hvad personen tænker om den. Eller gå videre med et åbent spørgsmål:",
    ),
    "affirmation": (
        "complex_reflection",
        "Godt. Anerkendelse virker bedst sammen med refleksioner. For eksempel:",
    ),
    "autonomy_support": (
        "complex_reflection",
        "Godt. En refleksion viser, at du har lyttet. For eksempel:",
    ),
}


def feedback(item: PracticeItem, answer: str) -> Feedback:
    """Code the learner's answer to ``item`` and pick a better-suited (or another good) example.

    The answer is coded in memory; it is not stored or logged. For a child-related item the underretning
    step comes first in ``child_note`` whatever the code.
    """
    coding = code(answer, item.client)
    example_label, text = _ADVICE[coding.label]
    return Feedback(coding, text, example_label, item.examples[example_label], child_safety_note(item, answer))


@dataclass
class CoachRound:
    """A practice round: one answer per statement, then MITI-lite figures."""

    items: list[PracticeItem]
    answers: list[tuple[str, Coding]] = field(default_factory=list)

    @property
    def index(self) -> int:
        return len(self.answers)

    @property
    def done(self) -> bool:
        return self.index >= len(self.items)

    @property
    def current(self) -> PracticeItem | None:
        return None if self.done else self.items[self.index]

    def answer(self, text: str) -> Feedback:
        if self.done:
            raise ValueError("the round is finished")
        fb = feedback(self.items[self.index], text)
        self.answers.append((text, fb.coding))
        return fb

    def figures(self) -> MitiLite:
        return miti_lite(c.label for _t, c in self.answers)


def label_da(label: str) -> str:
    return LABEL_NAMES_DA[label]


def is_good(label: str) -> bool:
    return label in _GOOD
