"""Anonymous evaluation after a temadag: a few 1-5 statements and free text."""

from __future__ import annotations

from dataclasses import dataclass

QUESTIONS = (
    ("relevant", "Temadagen var relevant for mit arbejde."),
    ("tegn", "Jeg kender nu flere tegn på alkohol- og stofproblemer."),
    ("handling", "Jeg ved, hvad jeg gør, hvis jeg bliver bekymret."),
    ("form", "Cases og øvelser hjalp mig til at forstå stoffet."),
    ("anbefal", "Jeg vil anbefale temadagen til en kollega."),
)
"""(key, statement) rated 1 (helt uenig) to 5 (helt enig)."""

SCALE = {1: "Helt uenig", 2: "Uenig", 3: "Hverken enig eller uenig", 4: "Enig", 5: "Helt enig"}
FREE_TEXT_LABEL = "Hvad tager du med dig, og hvad kunne gøre temadagen bedre?"
FREE_TEXT_MAX = 2000


class EvaluationError(ValueError):
    """Invalid evaluation form; the message is Danish (shown to the participant)."""


@dataclass(frozen=True)
class EvaluationAnswer:
    scores: dict[str, int]
    free_text: str


def parse_form(form: dict[str, str]) -> EvaluationAnswer:
    """Validate a submitted form (field name → text). Every statement needs a rating."""
    scores = {}
    for key, statement in QUESTIONS:
        raw = (form.get(key) or "").strip()
        if raw not in {"1", "2", "3", "4", "5"}:
            raise EvaluationError(f"Giv et svar fra 1 til 5 på: {statement}")
        scores[key] = int(raw)
    text = (form.get("fritekst") or "").strip()
    if len(text) > FREE_TEXT_MAX:
        raise EvaluationError(f"Din kommentar er for lang. Skriv højst {FREE_TEXT_MAX} tegn.")
    return EvaluationAnswer(scores, text)


def summarise(answers: list[EvaluationAnswer]) -> dict:
    """Count, mean and distribution per statement; free texts sorted (no order → no link to person)."""
    summary = {"count": len(answers), "questions": [], "comments": sorted(a.free_text for a in answers if a.free_text)}
    for key, statement in QUESTIONS:
        values = [a.scores[key] for a in answers if key in a.scores]
        dist = [sum(1 for v in values if v == score) for score in range(1, 6)]
        mean = round(sum(values) / len(values), 1) if values else None
        summary["questions"].append(
            {"key": key, "statement": statement, "mean": mean, "distribution": dist, "n": len(values)}
        )
    return summary
