"""MITI-lite: practice figures from a list of coded responses.

Compares the learner's round with the MITI 4.2.1 fair/good thresholds for the
reflection:question ratio (1:1 / 2:1) and the share of complex reflections
(40 % / 50 %) (Moyers, Manuel & Ernst 2015; PMC9461167, table 3). It is
practice feedback on a few typed answers, not a MITI rating: MITI codes a
real, recorded conversation of 20 minutes with trained coders.

Counting: reflections = simple + complex reflections (as in MITI 4.2.1 a
summary is coded as a reflection, so it is already among them); questions =
open + closed questions. Asking permission is not counted as a question.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rusfokus.mi.dataset import LABELS

RQ_FAIR, RQ_GOOD = 1.0, 2.0
COMPLEX_FAIR, COMPLEX_GOOD = 0.40, 0.50
NOT_A_RATING = (
    "Tallene er feedback på din øvelse, ikke en MITI-vurdering. "
    "En rigtig MITI-kodning bygger på en optaget samtale, som trænede kodere lytter til."
)


@dataclass(frozen=True)
class MitiLite:
    n: int
    counts: dict[str, int]
    reflections: int
    questions: int
    complex: int
    rq_ratio: float | None  # None when there were neither reflections nor questions
    pct_complex: float | None  # None without reflections
    pct_open: float | None  # None without questions
    righting: int
    rq_level: str | None
    complex_level: str | None


def level(value: float | None, fair: float, good: float) -> str | None:
    """'god', 'rimelig' or 'under' (below fair) for a value against MITI thresholds."""
    if value is None:
        return None
    if value >= good:
        return "god"
    if value >= fair:
        return "rimelig"
    return "under"


def miti_lite(labels) -> MitiLite:
    labels = list(labels)
    unknown = [x for x in labels if x not in LABELS]
    if unknown:
        raise ValueError(f"unknown MI code(s): {', '.join(sorted(set(unknown)))}")
    c = Counter(labels)
    counts = {lab: c.get(lab, 0) for lab in LABELS}
    complex_ = counts["complex_reflection"]
    reflections = counts["simple_reflection"] + complex_
    questions = counts["open_question"] + counts["closed_question"]
    if questions:
        rq = reflections / questions
    elif reflections:
        rq = float("inf")
    else:
        rq = None
    pct_complex = complex_ / reflections if reflections else None
    pct_open = counts["open_question"] / questions if questions else None
    return MitiLite(
        n=len(labels),
        counts=counts,
        reflections=reflections,
        questions=questions,
        complex=complex_,
        rq_ratio=rq,
        pct_complex=pct_complex,
        pct_open=pct_open,
        righting=counts["righting_reflex"],
        rq_level=level(rq, RQ_FAIR, RQ_GOOD),
        complex_level=level(pct_complex, COMPLEX_FAIR, COMPLEX_GOOD),
    )


LEVEL_DA = {
    "god": "Det når MITI's grænse for god",
    "rimelig": "Det når MITI's grænse for rimelig, men ikke for god",
    "under": "Det er under MITI's grænse for rimelig",
}


def fmt_ratio(rq: float | None) -> str:
    if rq is None:
        return "-"
    if rq == float("inf"):
        return "kun refleksioner"
    return f"{rq:.1f}".replace(".", ",") + " : 1"


def fmt_pct(x: float | None) -> str:
    return "-" if x is None else f"{round(x * 100)} %"


def describe(m: MitiLite) -> list[str]:
    """Plain Danish sentences about the round, for the learner."""
    lines = [f"Du svarede på {m.n} udsagn: {m.reflections} refleksioner og {m.questions} spørgsmål."]
    if m.rq_ratio is None:
        lines.append("Du brugte hverken refleksioner eller spørgsmål, så forholdet kan ikke regnes ud.")
    elif m.rq_ratio == float("inf"):
        lines.append("Du brugte kun refleksioner og ingen spørgsmål. Det er over MITI's grænse for god (2 : 1).")
    else:
        lines.append(
            f"Forholdet mellem refleksioner og spørgsmål er {fmt_ratio(m.rq_ratio)}. "
            f"{LEVEL_DA[m.rq_level]} (rimelig 1 : 1, god 2 : 1)."
        )
    if m.pct_complex is None:
        lines.append("Du brugte ingen refleksioner. Prøv at sige med dine egne ord, hvad du hører personen sige.")
    else:
        lines.append(
            f"{fmt_pct(m.pct_complex)} af dine refleksioner var komplekse. "
            f"{LEVEL_DA[m.complex_level]} (rimelig 40 %, god 50 %)."
        )
    if m.pct_open is not None:
        lines.append(f"{fmt_pct(m.pct_open)} af dine spørgsmål var åbne. Åbne spørgsmål giver personen mest plads.")
    if m.righting:
        lines.append(
            f"Rette-refleksen viste sig {m.righting} {'gang' if m.righting == 1 else 'gange'}. "
            f"Spørg om lov, før du giver råd eller information."
        )
    else:
        lines.append("Du holdt rette-refleksen tilbage i hele runden.")
    return lines
