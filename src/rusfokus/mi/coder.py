"""A transparent, rule-based coder for MI responses in Danish.

``code(utterance, client=None)`` returns a ``Coding`` with one of the eight
labels, a confidence (0-1) and the reasons in plain Danish for the learner.
The labels follow MITI 4.2.1's behaviour codes (see ``rusfokus.mi.dataset``
and module 3's ``data/README.md`` for the departures); one label per reply,
in this order: confrontation, information the person asked for or said yes
to, asking permission, other righting reflex, emphasising choice, question,
affirmation, neutral information, reflection.
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
    "autonomy_support": "støtte til selvbestemmelse",
    "information": "information med lov",
    "righting_reflex": "rette-refleks",
    # Not a code since issue 17 (MITI 4.2.1 codes a summary as a reflection): the coder never returns it. The name
    # stays because module 3's test (opgave.yml) offers "Opsummering" as a wrong option in a coding item.
    "summary": "opsummering",
}
MAX_CHARS = 1000


class CodingError(ValueError):
    """The utterance cannot be coded (empty or too long). The message is Danish, for the learner."""


@dataclass(frozen=True)
class Params:
    """Thresholds of the coder. The defaults are the result of ``tune()`` on the train split."""

    complex_new_share: float = 0.4  # share of new content words above which a reflection is complex
    complex_cue_new_share: float = 0.0  # lower bar when a feeling/meaning/two-sided cue is present
    simple_max_words: int = 7  # a short reflection without added feeling/meaning is simple


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


_REPORTED = re.compile(r"\b(tænker|synes|føler|mener|siger|tror|frygter),? at\s+$")


def _righting_cues(text: str, ctext: str) -> list[str]:
    """Advice, warning or persuasion the client did not say first and that is not the client's thought reported."""
    found = []
    for pattern in lx.DIRECTIVE + lx.WARNING + lx.PERSUADE:
        for m in re.finditer(pattern, text):
            if _REPORTED.search(text[max(0, m.start() - 30) : m.start()]):
                continue
            found.append(m.group(0).strip(" ,"))
            break
    return _not_echoed(found, ctext)


def _is_check_back(sentence: str) -> bool:
    return bool(_find(lx.CHECK_BACK, sentence)) and len(_WORD.findall(sentence)) <= 7


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

    confront = _find(lx.CONFRONT, text)
    granted = _find(lx.PERMISSION_GIVEN, text)
    permission = _find(lx.PERMISSION, text)
    choice = _find(lx.CHOICE, text)
    info = _find(lx.INFO, text)
    righting = _righting_cues(text, ctext)
    imperative = [
        s
        for s in sentences
        if (_WORD.findall(s) or [""])[0] in lx.ADVICE_IMPERATIVES
        and not re.match(r"^(lad mig|lad os|prøv at (fortælle|beskrive))\b", s)
    ]
    client_asks = "?" in ctext
    # information given after asking permission in the same reply: a statement after the permission question
    after_permission = [s for s in sentences[1:] if not s.endswith("?") and _find(lx.INFO, s)] if permission else []

    if confront:
        return _righting(confront[0], 0.9)
    said_after_granted = [x for x in sentences[1:] if not x.endswith("?")] if granted else []
    if (info or righting or imperative or said_after_granted) and (granted or after_permission):
        cue = (granted or permission)[0]
        return Coding(
            "information",
            0.85,
            [
                f"Du giver information eller et råd, som personen har spurgt om eller sagt ja til (»{cue}«).",
                "Information med lov er god MI-praksis. Spørg gerne bagefter, hvad personen tænker om den.",
            ],
        )
    if permission:
        return Coding(
            "autonomy_support",
            0.95,
            [
                f"Du spørger om lov eller tilbyder noget, personen kan sige nej til (»{permission[0]}«).",
                "Det viser, at personen bestemmer, hvad der skal ske.",
            ],
        )
    is_question = any(x.endswith("?") for x in sentences)
    if info and client_asks and not (righting or imperative or is_question or re.match(r"^(du|i)\b", text)):
        return _information(info[0], asked=True)
    if righting or imperative:
        cue = righting[0] if righting else _WORD.findall(imperative[0])[0]
        return _righting(cue, 0.9 if len(righting) + len(imperative) > 1 else 0.8)
    if choice:
        return Coding(
            "autonomy_support",
            0.9,
            [
                f"Du understreger, at det er personens eget valg (»{choice[0]}«).",
                "Det styrker personens oplevelse af selv at bestemme.",
            ],
        )

    statements = [s for s in sentences if not s.strip().endswith("?")]
    questions = [
        s
        for s in sentences
        if (s.strip().endswith("?") or _question_kind(s)) and not (statements and _is_check_back(s))
    ]
    if questions:
        kind = _question_kind(questions[-1]) or ("closed_question", "Spørgsmålet kan besvares kort.")
        return Coding(kind[0], 0.85, [kind[1]])

    affirm = _find(lx.AFFIRM, text)
    if affirm:
        return Coding(
            "affirmation",
            0.8 if len(affirm) > 1 else 0.7,
            [
                f"Du fremhæver noget positivt ved personen: en styrke, en indsats eller en værdi (»{affirm[0]}«).",
                "Anerkendelse handler om personen, ikke om at rose et resultat.",
            ],
        )
    if info and not re.match(r"^(du|i)\b", text):
        return _information(info[0], asked=False)
    return _reflection(" ".join(s for s in sentences if not _is_check_back(s)) or text, ctext, p)


def _righting(cue: str, conf: float) -> Coding:
    return Coding(
        "righting_reflex",
        conf,
        [
            f"Du giver råd, advarer, overtaler eller konfronterer uden at have fået lov (»{cue}«).",
            "Det vækker ofte modstand, så personen forsvarer det, som det er.",
        ],
    )


def _information(cue: str, asked: bool) -> Coding:
    why = (
        f"Personen spurgte, og du svarer med information (»{cue}«)."
        if asked
        else f"Du giver neutral information uden at presse på for en forandring (»{cue}«)."
    )
    return Coding("information", 0.75, [why, "Spørg gerne bagefter, hvad personen tænker om det."])


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
    for new, cue_new, short in product((0.2, 0.3, 0.4, 0.5), (0.0, 0.1, 0.2), (5, 6, 7, 8)):
        candidate = Params(complex_new_share=new, complex_cue_new_share=cue_new, simple_max_words=short)
        acc = accuracy(train, candidate)
        if acc > best_acc:
            best, best_acc = candidate, acc
    return best
