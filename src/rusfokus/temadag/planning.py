"""Planning a temadag: validate the input, build the årshjul, export .xlsx/.ics.

Pure functions over :class:`TemadagPlan` values; the database layer
(:mod:`rusfokus.temadag.store`) converts rows to plans.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from rusfokus.dansk import MONTHS
from rusfokus.progress.roster import bad_characters
from rusfokus.safe_export import append_row
from rusfokus.temadag.evaluation import QUESTIONS
from rusfokus.temadag.questions import MODULES

DURATIONS = {180: "3 timer", 45: "45 minutter"}


class PlanningError(ValueError):
    """Invalid temadag input. ``str()`` is English (CLI); ``.danish`` is for the web form."""

    def __init__(self, field: str, english: str, danish: str):
        super().__init__(f"{field}: {english}")
        self.field = field
        self.danish = danish


@dataclass(frozen=True)
class TemadagPlan:
    title: str
    date: dt.date
    start: dt.time
    duration_min: int
    place: str
    modules: tuple[str, ...]
    facilitator: str
    facilitator_email: str = ""
    institutions: tuple[str, ...] = ()
    counts_toward_module: bool = False
    id: int | None = None
    attended: int = 0
    evaluations: int = 0
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start) + dt.timedelta(minutes=self.duration_min)

    def status(self, today: dt.date) -> str:
        if self.date < today:
            return "afholdt"
        return "i dag" if self.date == today else "planlagt"


def _split(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def validate_plan(raw: dict) -> TemadagPlan:
    """Build a plan from form/CLI values (strings or lists); raises PlanningError."""
    title = str(raw.get("title") or "").strip()
    if not title:
        raise PlanningError("title", "a title is required", "Skriv en titel.")
    if len(title) > 200:
        raise PlanningError("title", "title is longer than 200 characters", "Titlen må højst være 200 tegn.")
    try:
        date = dt.date.fromisoformat(str(raw.get("date") or "").strip())
    except ValueError:
        raise PlanningError("date", "date must be YYYY-MM-DD", "Skriv datoen som ÅÅÅÅ-MM-DD, fx 2027-03-11.") from None
    try:
        start = dt.time.fromisoformat(str(raw.get("start") or "09:00").strip())
    except ValueError:
        raise PlanningError("start", "start must be HH:MM", "Skriv starttidspunktet som TT:MM, fx 09:00.") from None
    try:
        duration = int(raw.get("duration_min") or 180)
    except (TypeError, ValueError):
        duration = -1
    if duration not in DURATIONS:
        raise PlanningError(
            "duration_min", "duration must be 180 (temadag) or 45 (personalemøde)", "Vælg 3 timer eller 45 minutter."
        )
    place = str(raw.get("place") or "").strip()
    if not place:
        raise PlanningError("place", "a place is required", "Skriv hvor temadagen holdes.")
    modules = _split(raw.get("modules"))
    if not modules:
        raise PlanningError("modules", "choose at least one module", "Vælg mindst ét modul.")
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        raise PlanningError(
            "modules", f"unknown module(s) {', '.join(unknown)}; use {', '.join(MODULES)}", "Vælg moduler fra listen."
        )
    facilitator = str(raw.get("facilitator") or "").strip()
    if not facilitator:
        raise PlanningError("facilitator", "a facilitator is required", "Skriv navnet på den, der holder temadagen.")
    email = str(raw.get("facilitator_email") or "").strip()
    if email and ("@" not in email or " " in email):
        raise PlanningError("facilitator_email", "not a valid e-mail address", "Skriv en gyldig e-mailadresse.")

    institutions = tuple(dict.fromkeys(_split(raw.get("institutions"))))
    limits = {
        "place": (place, 200, "Stedet"),
        "facilitator": (facilitator, 200, "Navnet på facilitator"),
        "facilitator_email": (email, 320, "E-mailadressen"),
        "institutions": ("\n".join(institutions), 5000, "Listen over institutioner"),
    }
    for fld, (value, limit, label) in {"title": (title, 200, "Titlen"), **limits}.items():
        if len(value) > limit:
            raise PlanningError(fld, f"{fld} is longer than {limit} characters", f"{label} må højst være {limit} tegn.")
        if bad_characters(value.replace("\n", " ")):
            raise PlanningError(
                fld,
                f"{fld} contains a control character (e.g. NUL)",
                f"{label} indeholder et tegn, som ikke kan bruges. Skriv teksten igen.",
            )
    counts = raw.get("counts_toward_module")
    if isinstance(counts, str):
        counts = counts.strip().lower() in {"1", "true", "ja", "yes", "on"}
    return TemadagPlan(
        title=title,
        date=date,
        start=start,
        duration_min=duration,
        place=place,
        modules=tuple(dict.fromkeys(modules)),
        facilitator=facilitator,
        facilitator_email=email,
        institutions=institutions,
        counts_toward_module=bool(counts),
    )


def aarshjul(plans: list[TemadagPlan], year: int, today: dt.date) -> list[dict]:
    """Twelve months of a year, each with its temadage (sorted) and status."""
    months = [{"month": i + 1, "name": MONTHS[i], "items": []} for i in range(12)]
    for plan in sorted(plans, key=lambda p: (p.date, p.start, p.title)):
        if plan.date.year == year:
            months[plan.date.month - 1]["items"].append({"plan": plan, "status": plan.status(today)})
    return months


EXPORT_COLUMNS = (
    "Dato",
    "Start",
    "Varighed (min)",
    "Titel",
    "Moduler",
    "Sted",
    "Facilitator",
    "Inviterede institutioner",
    "Tæller for modul",
    "Status",
    "Tjekket ind",
    "Evalueringer",
)


def export_rows(plans: list[TemadagPlan], today: dt.date) -> list[list]:
    return [
        [
            p.date,
            p.start.strftime("%H:%M"),
            p.duration_min,
            p.title,
            ", ".join(MODULES[m] for m in p.modules),
            p.place,
            p.facilitator,
            ", ".join(p.institutions),
            "ja" if p.counts_toward_module else "nej",
            p.status(today),
            p.attended,
            p.evaluations,
        ]
        for p in sorted(plans, key=lambda p: (p.date, p.start))
    ]


def export_xlsx(plans: list[TemadagPlan], today: dt.date, evaluations: dict[int, dict] | None = None) -> bytes:
    """The årshjul as a workbook; with ``evaluations`` (temadag id → summary) also an "Evaluering" sheet."""
    # lazy: loads openpyxl (~0.4 s); needed only here
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Årshjul"
    append_row(ws, EXPORT_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in export_rows(plans, today):
        append_row(ws, row)  # text (titles, places, names) is never a formula
        ws.cell(ws.max_row, 1).number_format = "yyyy-mm-dd"
    for col, width in zip("ABCDEFGHIJKL", (12, 7, 9, 40, 30, 25, 22, 40, 9, 10, 9, 9), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    if evaluations is not None:
        ev = wb.create_sheet("Evaluering")
        append_row(ev, ["Dato", "Titel", "Svar", *(statement for _, statement in QUESTIONS), "Kommentarer"])
        for cell in ev[1]:
            cell.font = Font(bold=True)
        for p in sorted(plans, key=lambda p: (p.date, p.start)):
            summary = evaluations.get(p.id)
            if not summary or not summary["count"]:
                continue
            append_row(
                ev,
                [
                    p.date,
                    p.title,
                    summary["count"],
                    *(q["mean"] for q in summary["questions"]),
                    "\n".join(summary["comments"]),
                ],
            )  # anonymous comments: a string cell, never a formula
            ev.cell(ev.max_row, 1).number_format = "yyyy-mm-dd"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Copenhagen
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE""".splitlines()


def _ics_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """RFC 5545 line folding at 75 octets (never inside a UTF-8 character)."""
    out, current = [], ""
    for ch in line:
        limit = 75 if not out else 74
        if len((current + ch).encode("utf-8")) > limit:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    return [out[0]] + [" " + part for part in out[1:]]


def export_ics(plans: list[TemadagPlan], host: str, now: dt.datetime) -> str:
    """An iCalendar file with one event per temadag (Europe/Copenhagen local time)."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//rusfokus//temadag//DA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        *_VTIMEZONE,
    ]
    for p in sorted(plans, key=lambda p: (p.date, p.start)):
        start = dt.datetime.combine(p.date, p.start)
        description = (
            f"Moduler: {', '.join(MODULES[m] for m in p.modules)}\n"
            f"Facilitator: {p.facilitator}\n"
            f"Inviterede: {', '.join(p.institutions) or '-'}"
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:temadag-{p.id}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;TZID=Europe/Copenhagen:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=Europe/Copenhagen:{p.end:%Y%m%dT%H%M%S}",
            f"SUMMARY:{_ics_escape(p.title)}",
            f"LOCATION:{_ics_escape(p.place)}",
            f"DESCRIPTION:{_ics_escape(description)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    folded = [part for line in lines for part in _fold(line)]
    return "\r\n".join(folded) + "\r\n"
