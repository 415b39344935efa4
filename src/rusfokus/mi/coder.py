"""A transparent, rule-based coder for MI responses in Danish.

``code(utterance, client=None)`` returns a ``Coding`` with one of the eight
labels, a confidence (0-1) and the reasons in plain Danish for the learner.
It runs offline: regular expressions from ``lexicon.py``, the sentence form,
and the overlap with the client statement (to tell a simple reflection, which
repeats, from a complex one, which adds meaning, feeling or both sides).
The few numeric thresholds live in ``Params``; ``tune()`` picks them on the
train split of the dataset (see ``rusfokus.mi.dataset.split``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product

from rusfokus.mi import lexicon as lx

LABEL_NAMES_DA = {
    "open_question": "åbent spørgsmål",
    "closed_question": "lukket spørgsmål",
    "simple_reflection": "simpel refleksion",
    "complex_reflection": "kompleks refleksion",
    "affirmation": "anerkendelse",
    "summary": "opsummering",
    "autonomy_support": "støtte til selvbestemmelse",
    "righting_reflex": "rette-refleks",
}
MAX_CHARS = 1000


class CodingError(ValueError):
    """The utterance cannot be coded (empty or too long). The message is Danish, for the learner."""


@dataclass(frozen=True)
class Params:
    """Thresholds of the coder. The defaults are the result of ``tune()`` on the train split."""

    complex_new_share: float = 0.3  # share of new content words above which a reflection is complex
    complex_cue_new_share: float = 0.0  # lower bar when a feeling/meaning/two-sided cue is present
    summary_min_parts: int = 3  # clauses a summary gathers
    summary_min_words: int = 12
    summary_max_new_share: float = 0.6  # a summary without a check-back mostly gathers the person's words
    simple_max_words: int = 8  # a short reflection without added feeling/meaning is simple


@dataclass
class Coding:
    label: str
    confidence: float
    reasons: list[str] = field(default_factory=list)

    @property
    def label_da(self) -> str:
        return LABEL_NAMES_DA[self.label]


_PRONOUNS = {
    "du": "jeg",
    "dig": "mig",
    "din": "min",
    "dit": "mit",
    "dine": "mine",
    "i": "vi",
    "jer": "os",
    "jeres": "vores",
}
_WORD = re.compile(r"[a-zæøåéü0-9]+")


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def _find(patterns, text: str) -> list[str]:
    found = []
    for pattern in patterns:
        m = re.search(pattern, text)
        if m:
            found.append(m.group(0).strip(" ,"))
    return found


def _stem(word: str) -> str:
    for suffix in ("erne", "ene", "en", "et", "er", "e", "s"):
        if len(word) - len(suffix) >= 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:5]


def _content_words(text: str, mirror: bool = False) -> list[str]:
    words = _WORD.findall(text)
    if mirror:
        words = [_PRONOUNS.get(w, w) for w in words]
    return [_stem(w) for w in words if w not in lx.STOPWORDS and len(w) > 1]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?:])\s+", text) if s.strip()]


def _mirror(text: str) -> str:
    return " ".join(_PRONOUNS.get(w, w) for w in _WORD.findall(text))


def _not_echoed(cues: list[str], client: str) -> list[str]:
    """Cues the client did not say first (``du skal`` echoes the client's ``jeg skal``)."""
    mirrored_client = " ".join(_WORD.findall(client))
    return [c for c in cues if _mirror(c) not in mirrored_client and " ".join(_WORD.findall(c)) not in mirrored_client]


_SUBORDINATE = r"(?:at|der|som|om|hvad|hvordan|hvis|fordi|når|selv om|så|hvor|end|men)\b"


def _parts(text: str) -> int:
    """Main clauses (things said), not counting subordinate clauses after a comma."""
    core = re.sub(r"[?!.]\s*$", "", text)
    pieces = re.split(rf",(?!\s*{_SUBORDINATE})\s*|[.:!?]\s+", core)
    return sum(1 for p in pieces if len(_WORD.findall(p)) >= 2)


def _new_share(text: str, ctext: str) -> float:
    """Share of the response's content words that the client did not say (0 = all echoed)."""
    own = _content_words(text, mirror=True)
    theirs = set(_content_words(ctext))
    return sum(1 for w in own if w not in theirs) / max(len(own), 1)


def _question_kind(sentence: str) -> tuple[str, str] | None:
    s = sentence.strip().lower()
    first = (_WORD.findall(s) or [""])[0]
    for pattern in lx.TELL_OPENERS:
        m = re.search(pattern, s)
        if m:
            return (
                "open_question",
                f"Du beder personen om at fortælle (»{m.group(0)}«). Det giver plads til et længere svar.",
            )
    if not s.endswith("?"):
        return None
    for pattern in lx.CLOSED_QUESTION_STARTS:
        m = re.search(pattern, s)
        if m:
            return (
                "closed_question",
                f"Spørgsmålet (»{m.group(0)}«) spørger efter et tal, et tidspunkt, en person eller et sted. "
                f"Det giver et kort svar.",
            )
    if first in lx.OPEN_QUESTION_WORDS:
        if re.search(r"\beller\b", s):
            return "closed_question", "Spørgsmålet giver to svar at vælge imellem. Det gør det lukket."
        return (
            "open_question",
            f"Spørgsmålet begynder med »{first}«. Det inviterer til et længere svar med personens egne ord.",
        )
    return "closed_question", f"Spørgsmålet begynder med »{first}« og kan besvares med ja eller nej."


def code(utterance: str, client: str | None = None, params: Params | None = None) -> Coding:
    """Code one staff response; ``client`` is the statement it answers (optional)."""
    if not isinstance(utterance, str) or not utterance.strip():
        raise CodingError("Skriv først dit svar. Feltet er tomt.")
    if len(utterance) > MAX_CHARS:
        raise CodingError(f"Dit svar er for langt. Skriv højst {MAX_CHARS} tegn.")
    if len(_WORD.findall(utterance.lower())) < 2:
        raise CodingError("Dit svar er for kort til at blive kodet. Skriv mindst en kort sætning.")
    p = params or DEFAULT_PARAMS
    text = _norm(utterance)
    ctext = _norm(client or "")
    sentences = _sentences(text)
    words = _WORD.findall(text)

    permission = _find(lx.PERMISSION, text)
    choice = _find(lx.CHOICE, text)
    righting = _not_echoed(_find(lx.DIRECTIVE + lx.WARNING + lx.PERSUADE, text), ctext)
    imperative = [
        s
        for s in sentences
        if (_WORD.findall(s) or [""])[0] in lx.ADVICE_IMPERATIVES
        and not re.match(r"^(lad mig|lad os|prøv at (fortælle|beskrive))\b", s)
    ]

    if permission:
        return Coding(
            "autonomy_support",
            0.95,
            [
                f"Du spørger om lov eller tilbyder noget, personen kan sige nej til (»{permission[0]}«).",
                "Det viser, at personen bestemmer, hvad der skal ske.",
            ],
        )
    if righting or imperative:
        cue = righting[0] if righting else _WORD.findall(imperative[0])[0]
        conf = 0.9 if len(righting) + len(imperative) > 1 else 0.8
        return Coding(
            "righting_reflex",
            conf,
            [
                f"Du giver råd, advarer eller overtaler uden at spørge om lov først (»{cue}«).",
                "Det vækker ofte modstand, så personen forsvarer det, som det er.",
            ],
        )
    if choice:
        return Coding(
            "autonomy_support",
            0.9,
            [
                f"Du understreger, at det er personens eget valg (»{choice[0]}«).",
                "Det styrker personens oplevelse af selv at bestemme.",
            ],
        )

    check = _find(lx.CHECK_BACK, text)
    opener = _find(lx.SUMMARY_OPENERS, text)
    parts = _parts(text)
    affirm = _find(lx.AFFIRM, text)
    gathers = parts >= p.summary_min_parts and len(words) >= p.summary_min_words
    if gathers and not (check or opener) and _new_share(text, ctext) > p.summary_max_new_share:
        gathers = False  # many clauses, but mostly new content: a long reflection, not a summary
    if opener or (gathers and (check or (parts > p.summary_min_parts and not affirm))):
        why = f"Du samler op (»{opener[0]}«)." if opener else f"Du samler {parts} ting, personen har sagt, i ét svar."
        reasons = [why]
        if check:
            reasons.append("Du tjekker bagefter, om du har forstået det rigtigt. Det er en god vane.")
        return Coding("summary", 0.85 if opener or check else 0.65, reasons)

    questions = [s for s in sentences if s.strip().endswith("?") or _question_kind(s)]
    if questions:
        kind = _question_kind(questions[-1]) or ("closed_question", "Spørgsmålet kan besvares kort.")
        return Coding(kind[0], 0.85, [kind[1]])

    if affirm:
        return Coding(
            "affirmation",
            0.8 if len(affirm) > 1 else 0.7,
            [
                f"Du fremhæver noget positivt ved personen: en styrke, en indsats eller en værdi (»{affirm[0]}«).",
                "Anerkendelse handler om personen, ikke om at rose et resultat.",
            ],
        )
    return _reflection(text, ctext, p)


def _reflection(text: str, ctext: str, p: Params) -> Coding:
    added = [w for w in lx.FEELINGS + lx.MEANING + lx.TWO_SIDED if w in text and w not in ctext]
    new_share = _new_share(text, ctext) if ctext else (0.5 if not added else 0.7)
    threshold = p.complex_cue_new_share if added else p.complex_new_share
    short = not added and len(_WORD.findall(text)) <= p.simple_max_words
    if new_share > threshold and not short:
        reasons = ["Du siger det, personen mener, med dine egne ord og lægger noget til."]
        if added:
            reasons.append(
                f"Du tilføjer en følelse, en betydning eller begge sider af sagen (»{added[0].strip(' ,')}«)."
            )
        conf = min(0.9, 0.55 + abs(new_share - threshold))
        return Coding("complex_reflection", round(conf, 2), reasons)
    reasons = ["Du gentager eller omformulerer det, personen sagde, uden at lægge noget til."]
    if not ctext:
        reasons.append("Uden klientens udsagn er det svært at skelne simpel og kompleks refleksion.")
    conf = min(0.9, 0.55 + abs(threshold - new_share))
    return Coding("simple_reflection", round(conf, 2), reasons)


DEFAULT_PARAMS = Params()


def accuracy(examples, params: Params | None = None) -> float:
    if not examples:
        return 0.0
    hits = sum(1 for e in examples if code(e.utterance, e.client, params).label == e.label)
    return hits / len(examples)


def tune(train) -> Params:
    """Grid-search the thresholds on ``train`` only. The defaults win ties (only a strict gain replaces them)."""
    best, best_acc = DEFAULT_PARAMS, accuracy(train, DEFAULT_PARAMS)
    for new, cue_new, parts, min_words, short, max_new in product(
        (0.3, 0.5), (0.0, 0.2), (3, 4), (12, 16), (6, 8), (0.6, 0.8)
    ):
        candidate = Params(
            complex_new_share=new,
            complex_cue_new_share=cue_new,
            summary_min_parts=parts,
            summary_min_words=min_words,
            simple_max_words=short,
            summary_max_new_share=max_new,
        )
        acc = accuracy(train, candidate)
        if acc > best_acc:
            best, best_acc = candidate, acc
    return best
