"""Genstande: how much alcohol a drink holds, and a week against SST's 10/4.

1 genstand = 12 g pure alcohol. Rule of thumb (sundhed.dk): genstande =
centiliter x vol% / 150. Sundhedsstyrelsen (2022): healthy adults at most 10
genstande a week and at most 4 on the same day (not for gravide, ammende or
under-18s). Pure functions, no widgets here.

One drink is rounded to one decimal (half up) before anything is added or
compared, so the figures the learner sees are the figures that are compared:
an ordinary beer (33 cl, 4.6 %) is 1,0 genstand and four of them are 4,0,
which is not "more than 4". Input may be a Danish decimal comma ("4,6").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

GRAM_PER_GENSTAND = 12
MAX_PER_WEEK = 10
MAX_PER_DAY = 4
DAYS = ("Mandag", "Tirsdag", "Onsdag", "Torsdag", "Fredag", "Lørdag", "Søndag")
# Plausible ranges for one drink: from a sip of 1 cl to a 3-litre box of wine, and from
# alkoholfri (below 0.5 %) to the strongest spirits sold in ordinary shops.
MIN_CL = 1.0
MAX_CL = 300.0
MIN_VOL = 0.5
MAX_VOL = 80.0
MAX_COUNT = 50
MAX_PER_DRINK = 30  # more than a whole 1-litre bottle of spirits in one "drink": a typing error
RULE_TEXT = (
    "1 genstand = 12 gram ren alkohol. Beregneren regner: centiliter × alkoholprocent / 150. "
    "Hver drik rundes af til én decimal, og det er de samme tal, der bliver lagt sammen og sammenlignet "
    "med rådet."
)
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Drink:
    key: str
    name: str
    cl: float
    vol: float


PRESETS: tuple[Drink, ...] = (
    Drink("oel", "Almindelig øl (33 cl, 4,6 %)", 33, 4.6),
    Drink("fadoel", "Stor fadøl (50 cl, 4,6 %)", 50, 4.6),
    Drink("staerk-oel", "Stærk øl (33 cl, 7 %)", 33, 7.0),
    Drink("vin-glas", "Glas vin (12 cl, 12 %)", 12, 12.0),
    Drink("vin-flaske", "Flaske vin (75 cl, 12 %)", 75, 12.0),
    Drink("hedvin", "Hedvin, fx portvin (8 cl, 19 %)", 8, 19.0),
    Drink("spiritus", "Spiritus (4 cl, 40 %)", 4, 40.0),
    Drink("spiritus-flaske", "Flaske spiritus (70 cl, 40 %)", 70, 40.0),
    Drink("alkoholsodavand", "Alkoholsodavand (27,5 cl, 5 %)", 27.5, 5.0),
)
PRESET_BY_KEY = {d.key: d for d in PRESETS}
CUSTOM = "egen"


class GenstandeInputError(ValueError):
    """Input out of range. The message is Danish, for the learner."""


_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")


def parse_number(value, what: str, unit: str = "") -> float:
    """A number from a widget or a test: int/float, or Danish text such as "4,6" or "4,6 %".

    A comma is the decimal separator (never a thousands separator): "5,5" is 5.5, never 55.
    """
    if isinstance(value, bool) or value is None:
        raise GenstandeInputError(f"{what} skal være et tal.")
    if isinstance(value, str):
        text = value.strip().lower().replace("\u2212", "-")
        if unit and text.endswith(unit):
            text = text[: -len(unit)].strip()
        if not _NUMBER_TEXT.match(text):
            raise GenstandeInputError(f"{what} skal være et tal, fx 4,6. Brug højst ét komma og ingen bogstaver.")
        number = float(text.replace(",", "."))
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise GenstandeInputError(f"{what} skal være et tal.") from None
    if number != number or number in (float("inf"), float("-inf")):  # NaN, infinity
        raise GenstandeInputError(f"{what} skal være et tal.")
    return number


def _checked(cl, vol) -> tuple[float, float]:
    cl = parse_number(cl, "Mængden i centiliter", "cl")
    vol = parse_number(vol, "Alkoholprocenten", "%")
    if not MIN_CL <= cl <= MAX_CL:
        raise GenstandeInputError(
            f"Mængden skal være mellem {fmt_input(MIN_CL)} og {fmt_input(MAX_CL)} cl. Du skrev {fmt_input(cl)} cl."
        )
    if not MIN_VOL <= vol <= MAX_VOL:
        raise GenstandeInputError(
            f"Alkoholprocenten skal være mellem {fmt_input(MIN_VOL)} og {fmt_input(MAX_VOL)} %. "
            f"Du skrev {fmt_input(vol)} %."
        )
    if cl * vol / 150 > MAX_PER_DRINK:
        raise GenstandeInputError(
            f"{fmt_input(cl)} cl med {fmt_input(vol)} % er over {MAX_PER_DRINK} genstande "
            "i én drik. Det er mere end en hel flaske spiritus. Tjek centiliter og alkoholprocent."
        )
    return cl, vol


def genstande_per_drink(cl, vol) -> float:
    """Genstande in one drink of ``cl`` centiliter at ``vol`` % alcohol (unrounded)."""
    cl, vol = _checked(cl, vol)
    return cl * vol / 150


def _rounded(cl, vol) -> Decimal:
    cl, vol = _checked(cl, vol)
    return (Decimal(repr(cl)) * Decimal(repr(vol)) / 150).quantize(TENTH, rounding=ROUND_HALF_UP)


def rounded_per_drink(cl, vol) -> float:
    """Genstande in one drink, rounded to one decimal (half up): the figure shown, added and compared."""
    return float(_rounded(cl, vol))


def grams(genstande: float) -> float:
    return genstande * GRAM_PER_GENSTAND


@dataclass(frozen=True)
class WeekResult:
    per_drink: tuple[float, ...]  # genstande in one of each drink
    per_day: tuple[float, ...]  # 7 totals, Monday first
    week: float
    over_week: bool
    days_over: tuple[str, ...]  # names of days above MAX_PER_DAY

    @property
    def within_advice(self) -> bool:
        return not self.over_week and not self.days_over


def week_total(drinks: list[tuple[object, object, list[int]]]) -> WeekResult:
    """``drinks``: (cl, vol, counts for the 7 days). Returns totals vs 10/4.

    Each drink is rounded to one decimal first; the totals are exact sums of those
    rounded figures, and the limits are compared with exactly the figures shown.
    A bad value raises a Danish message naming the drink ("Drik 2: ...").
    """
    per_drink: list[Decimal] = []
    per_day = [Decimal(0)] * 7
    for number, (cl, vol, counts) in enumerate(drinks, 1):
        try:
            size = _rounded(cl, vol)
            if len(counts) != 7:
                raise GenstandeInputError("Der skal være et antal for hver af ugens 7 dage.")
            for i, count in enumerate(counts):
                n = parse_number(count, f"Antallet om {DAYS[i].lower()}en")
                if n < 0 or n > MAX_COUNT or n != int(n):
                    raise GenstandeInputError(
                        f"Antallet om {DAYS[i].lower()}en skal være et helt tal fra 0 til {MAX_COUNT}."
                    )
                per_day[i] += size * int(n)
        except GenstandeInputError as exc:
            prefix = f"Drik {number}: " if len(drinks) > 1 else ""
            raise GenstandeInputError(prefix + str(exc)) from None
        per_drink.append(size)
    week = sum(per_day, Decimal(0))
    days_over = tuple(DAYS[i] for i, x in enumerate(per_day) if x > MAX_PER_DAY)
    return WeekResult(
        tuple(float(x) for x in per_drink),
        tuple(float(x) for x in per_day),
        float(week),
        week > MAX_PER_WEEK,
        days_over,
    )


def fmt(x: float) -> str:
    """Danish number format with one decimal: 1,0 / 12,5."""
    return f"{x:.1f}".replace(".", ",")


def fmt_input(x: float) -> str:
    """A number as a Danish learner would type it: 33, 4,6, 27,5."""
    return f"{x:g}".replace(".", ",")


def verdict(result: WeekResult) -> list[str]:
    """Plain Danish sentences comparing the week with Sundhedsstyrelsen's advice."""
    lines = [f"I alt {fmt(result.week)} genstande på en uge ({fmt(grams(result.week))} g ren alkohol)."]
    if result.week == 0:
        lines.append("Der er ingen genstande i ugen.")
        return lines
    if result.over_week:
        lines.append(f"Det er mere end Sundhedsstyrelsens råd om højst {MAX_PER_WEEK} genstande om ugen.")
    else:
        lines.append(f"Det er inden for Sundhedsstyrelsens råd om højst {MAX_PER_WEEK} genstande om ugen.")
    if result.days_over:
        days = ", ".join(d.lower() for d in result.days_over)
        lines.append(f"Mere end {MAX_PER_DAY} genstande på samme dag: {days}.")
    else:
        lines.append(f"Ingen dag har mere end {MAX_PER_DAY} genstande.")
    lines.append("Husk: Intet alkoholforbrug er risikofrit.")
    return lines
