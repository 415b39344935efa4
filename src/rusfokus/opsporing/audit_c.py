"""AUDIT-C: the three alcohol questions of AUDIT (items 1-3), score 0-12.

Pure logic (questions, score, what the score can and cannot tell); the app is
:mod:`rusfokus.apps.audit_c`. Facts from ``fagligt-grundlag.md`` § 2:
each item scores 0-4; published cut-offs are Bush et al. 1998 (men >= 4),
Bradley et al. 2003 (women >= 3) and men >= 5 / women >= 4 in German and
Swedish practice. No Danish or Sundhedsstyrelsen cut-off exists, and the app
never diagnoses. The cut-offs are for adults; for gravide the advice is no
alcohol and for ammende care (SST notat 2022 v1.2), whatever the score.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    options: tuple[str, ...]  # option i scores i points


QUESTIONS: tuple[Question, ...] = (
    Question(
        "hyppighed",
        "1. Hvor tit drikker du alkohol?",
        (
            "Aldrig, jeg drikker ikke alkohol",
            "Én gang om måneden eller sjældnere",
            "2-4 gange om måneden",
            "2-3 gange om ugen",
            "4 gange om ugen eller oftere",
        ),
    ),
    Question(
        "antal",
        "2. Hvor mange genstande drikker du typisk på en dag, hvor du drikker?",
        ("1-2", "3-4", "5-6", "7-9", "10 eller flere"),
    ),
    Question(
        "seks_plus",
        "3. Hvor tit drikker du 6 genstande eller flere ved samme lejlighed?",
        (
            "Aldrig",
            "Sjældnere end én gang om måneden",
            "Én gang om måneden",
            "Én gang om ugen",
            "Dagligt eller næsten dagligt",
        ),
    ),
)

# Lowest number of drinking days a week each answer to question 1 allows, and
# lowest number of genstande per drinking day for question 2. Their product
# is a safe lower bound for a week ("mindst ..."), never an estimate.
_DAYS_PER_WEEK_MIN = (0, 0, 0.5, 2, 4)
_DRINKS_PER_DAY_MIN = (1, 3, 5, 7, 10)

KOEN = {"kvinde": "Kvinde", "mand": "Mand", "uoplyst": "Vil ikke oplyse / andet"}
_PLURAL = {"kvinde": "kvinder", "mand": "mænd"}


@dataclass(frozen=True)
class CutOff:
    koen: str
    limit: int
    source: str


CUT_OFFS: tuple[CutOff, ...] = (
    CutOff("mand", 4, "Bush m.fl., Archives of Internal Medicine, 1998"),
    CutOff("kvinde", 3, "Bradley m.fl., Archives of Internal Medicine, 2003"),
    CutOff("mand", 5, "brugt i praksis i Tyskland og Sverige"),
    CutOff("kvinde", 4, "brugt i praksis i Tyskland og Sverige"),
)


class AuditCError(ValueError):
    """Answers that cannot be scored (learner-facing Danish message)."""


def validate_answers(answers: tuple[int | None, ...]) -> tuple[int, int, int]:
    """Check three answers (option index 0-4 each); after "Aldrig" at question 1, 2 and 3 count 0.

    Raises :class:`AuditCError` with a Danish message naming the missing question.
    """
    if len(answers) != 3:
        raise AuditCError("AUDIT-C har præcis tre spørgsmål.")
    first = answers[0]
    if first is None:
        raise AuditCError("Svar på spørgsmål 1 først.")
    for i, a in enumerate(answers):
        if a is not None and (not isinstance(a, int) or isinstance(a, bool) or not 0 <= a <= 4):
            raise AuditCError(f"Svaret på spørgsmål {i + 1} er ikke et af svarmulighederne.")
    if first == 0:
        return (0, 0, 0)
    for i in (1, 2):
        if answers[i] is None:
            raise AuditCError(f"Svar på spørgsmål {i + 1}.")
    return (first, answers[1], answers[2])


def score(answers: tuple[int | None, ...]) -> int:
    """AUDIT-C total 0-12."""
    return sum(validate_answers(answers))


def min_genstande_per_week(answers: tuple[int | None, ...]) -> float:
    """A lower bound for genstande a week implied by questions 1 and 2 (0 if never)."""
    a = validate_answers(answers)
    if answers[0] == 0:
        return 0
    return _DAYS_PER_WEEK_MIN[a[0]] * _DRINKS_PER_DAY_MIN[a[1]]


@dataclass(frozen=True)
class Result:
    score: int
    over: tuple[CutOff, ...]  # published cut-offs reached for the chosen sex
    under: tuple[CutOff, ...]  # published cut-offs not reached
    over_4_samme_dag: bool  # typical day or 6+ occasions exceed SST's max 4 the same day
    over_10_om_ugen: bool  # the lower bound per week exceeds SST's 10
    lines: tuple[str, ...]  # learner text (Danish), one sentence per item


def interpret(answers: tuple[int | None, ...], koen: str = "uoplyst") -> Result:
    """Score and explain answers against published cut-offs and SST's 10/4 advice. Never a diagnosis."""
    if koen not in KOEN:
        raise AuditCError("Vælg køn, eller vælg 'Vil ikke oplyse / andet'.")
    a = validate_answers(answers)
    total = sum(a)
    relevant = [c for c in CUT_OFFS if koen == "uoplyst" or c.koen == koen]
    over = tuple(c for c in relevant if total >= c.limit)
    under = tuple(c for c in relevant if total < c.limit)
    drinks = answers[0] != 0
    over_4 = drinks and (a[1] >= 2 or a[2] >= 1)
    over_10 = min_genstande_per_week(answers) > 10
    lines = [f"Scoren er {total} ud af 12."]
    if total == 0:
        lines.append("Svarene viser ikke noget alkoholforbrug.")
    for c in over:
        lines.append(f"Scoren er på eller over grænsen for {_PLURAL[c.koen]} på {c.limit} point ({c.source}).")
    for c in under:
        lines.append(f"Scoren er under grænsen for {_PLURAL[c.koen]} på {c.limit} point ({c.source}).")
    if over_4:
        lines.append(
            "Svarene viser dage med mere end 4 genstande. Sundhedsstyrelsen anbefaler højst 4 genstande på samme dag."
        )
    if over_10:
        lines.append(
            "Svarene betyder mindst "
            + _fmt(min_genstande_per_week(answers))
            + " genstande om ugen. Sundhedsstyrelsen anbefaler højst 10 om ugen."
        )
    return Result(total, over, under, over_4, over_10, tuple(lines))


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


ABOUT = (
    "AUDIT-C er de tre første spørgsmål fra AUDIT, et spørgeskema fra WHO.",
    "Hvert svar giver 0-4 point, i alt 0-12.",
    (
        "AUDIT-C er lavet til at finde alkoholvaner, der kan være risikable. "
        "En højere score peger på mere risikable vaner."
    ),
    "Scoren er ikke en diagnose. Den kan ikke vise, om nogen er afhængig.",
    "Den siger ikke noget om stoffer, om hvorfor nogen drikker, eller om skader, der allerede er sket.",
    "Den bygger på personens egne svar, og de kan være for lave.",
    "Et lavt resultat betyder ikke, at du skal se bort fra det, du selv har set.",
    "Der findes ingen dansk, officiel grænse for AUDIT-C. Sundhedsstyrelsen har ikke fastsat en.",
    "Grænserne i resultatet er fra udenlandske studier og fra praksis i Tyskland og Sverige.",
)

FOR_WHOM = (
    "Grænserne er lavet til voksne. Brug dem ikke til unge under 18 år.",
    "For gravide gælder ingen grænse: Gravide bør slet ikke drikke alkohol. Ammende skal være forsigtige med alkohol.",
)

NEXT_STEPS = (
    "Brug svarene som udgangspunkt for en kort opsporende samtale: Spørg, hvad personen selv tænker om svarene.",
    "Fortæl, hvad Sundhedsstyrelsen anbefaler raske voksne: højst 10 genstande om ugen og højst 4 på samme dag. "
    "Er personen gravid, er rådet ingen alkohol. Ammer personen, er rådet at være forsigtig.",
    "Drikker personen hver dag, eller ryster hænderne om morgenen? Så må personen ikke stoppe brat. "
    "Hjælp personen med at kontakte en læge eller rusmiddelcentret samme dag.",
    (
        "Fortæl om kommunens tilbud. Alkoholbehandling er gratis, kan være anonym "
        "og begynder inden for 14 dage (sundhedsloven § 141)."
    ),
    "Tilbyd at ringe sammen til rusmiddelcentret.",
    (
        "Spørg ind til børn i familien. Hvis du bliver bekymret for et barn, "
        "har du underretningspligt (Barnets Lov § 133)."
    ),
)
