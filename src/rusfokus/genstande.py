"""Genstande: how much alcohol a drink holds, and a week against SST's 10/4.

1 genstand = 12 g pure alcohol. Rule of thumb (sundhed.dk): genstande =
centiliter x vol% / 150. Sundhedsstyrelsen (2022): at most 10 genstande a
week and at most 4 on the same day. Pure functions, no widgets here.
"""

from __future__ import annotations

from dataclasses import dataclass

GRAM_PER_GENSTAND = 12
MAX_PER_WEEK = 10
MAX_PER_DAY = 4
DAYS = ("Mandag", "Tirsdag", "Onsdag", "Torsdag", "Fredag", "Lørdag", "Søndag")
MAX_CL = 500.0
MAX_VOL = 96.0
MAX_COUNT = 50


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


def _number(value, what: str) -> float:
    if isinstance(value, bool):
        raise GenstandeInputError(f"{what} skal være et tal.")
    try:
        number = float(str(value).replace(",", ".").strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise GenstandeInputError(f"{what} skal være et tal.") from None
    if number != number:  # NaN
        raise GenstandeInputError(f"{what} skal være et tal.")
    return number


def genstande_per_drink(cl, vol) -> float:
    """Genstande in one drink of ``cl`` centiliter at ``vol`` % alcohol."""
    cl = _number(cl, "Mængden i centiliter")
    vol = _number(vol, "Alkoholprocenten")
    if not 0 < cl <= MAX_CL:
        raise GenstandeInputError(f"Mængden skal være mellem 0 og {MAX_CL:g} cl.")
    if not 0 < vol <= MAX_VOL:
        raise GenstandeInputError(f"Alkoholprocenten skal være mellem 0 og {MAX_VOL:g} %.")
    return cl * vol / 150


def grams(genstande: float) -> float:
    return genstande * GRAM_PER_GENSTAND


@dataclass(frozen=True)
class WeekResult:
    per_drink: tuple[float, ...]      # genstande in one of each drink
    per_day: tuple[float, ...]        # 7 totals, Monday first
    week: float
    over_week: bool
    days_over: tuple[str, ...]        # names of days above MAX_PER_DAY

    @property
    def within_advice(self) -> bool:
        return not self.over_week and not self.days_over


def week_total(drinks: list[tuple[float, float, list[int]]]) -> WeekResult:
    """``drinks``: (cl, vol, counts for the 7 days). Returns totals vs 10/4."""
    per_drink = []
    per_day = [0.0] * 7
    for cl, vol, counts in drinks:
        size = genstande_per_drink(cl, vol)
        per_drink.append(size)
        if len(counts) != 7:
            raise GenstandeInputError("Der skal være et antal for hver af ugens 7 dage.")
        for i, count in enumerate(counts):
            n = _number(count, f"Antallet om {DAYS[i].lower()}en")
            if n < 0 or n > MAX_COUNT or n != int(n):
                raise GenstandeInputError(f"Antallet om {DAYS[i].lower()}en skal være et helt tal fra 0 til {MAX_COUNT}.")
            per_day[i] += size * n
    per_day_r = tuple(round(x, 2) for x in per_day)
    week = round(sum(per_day), 2)
    days_over = tuple(DAYS[i] for i, x in enumerate(per_day_r) if x > MAX_PER_DAY)
    return WeekResult(tuple(round(x, 2) for x in per_drink), per_day_r, week, week > MAX_PER_WEEK, days_over)


def fmt(x: float) -> str:
    """Danish number format with one decimal: 1,0 / 12,5."""
    return f"{x:.1f}".replace(".", ",")


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
