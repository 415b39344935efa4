"""Danish dates, written once: month names and "2. december 2026" (certificates, e-mails,
the exercise app's hand-in time, the temadag year plan)."""

from __future__ import annotations

from datetime import date

MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


def dato(day: date) -> str:
    """``date(2026, 12, 2)`` -> ``"2. december 2026"`` (a datetime gives its date)."""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"
