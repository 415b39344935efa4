"""Fictional demo data for "Eksempel Kommune" (and large synthetic histories for benchmarks).

Every name is made up by combining short lists of common Danish first and
last names at random (seeded, so the same seed gives the same people); the
e-mail domain is ``eksempel-kommune.example``. No real person is described.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from rusfokus.progress import MODULE_TITLES
from rusfokus.progress.hooks import record_result
from rusfokus.progress.roster import Roster, RosterRow
from rusfokus.progress.staff import import_roster

DOMAIN = "eksempel-kommune.example"
FIRST = [
    "Anne",
    "Mette",
    "Lone",
    "Hanne",
    "Camilla",
    "Louise",
    "Sofie",
    "Ida",
    "Maja",
    "Line",
    "Rikke",
    "Pia",
    "Trine",
    "Signe",
    "Jette",
    "Peter",
    "Lars",
    "Jens",
    "Michael",
    "Søren",
    "Thomas",
    "Mads",
    "Anders",
    "Kasper",
    "Rasmus",
    "Henrik",
    "Morten",
    "Jakob",
    "Ole",
    "Bo",
    "Ahmed",
    "Fatima",
    "Ayse",
]
LAST = [
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Poulsen",
    "Møller",
    "Østergaard",
    "Kjær",
    "Lund",
    "Bak",
    "Holm",
    "Dahl",
    "Yilmaz",
    "Ali",
]
# forvaltning → afdeling → (institutions, faggrupper, relative size)
ORGANISATION = {
    "Børn og Unge": {
        "Dagtilbud": (
            ["Børnehuset Solsikken", "Vuggestuen Mariehønen", "Naturbørnehaven Skovly", "Dagplejen Eksempelby"],
            ["Pædagog", "Pædagogisk assistent", "Dagplejer"],
            5,
        ),
        "Skoler": (["Eksempelby Skole", "Vestskolen", "Søndermarkskolen"], ["Lærer", "Pædagog"], 5),
        "Sundhedsplejen": (["Sundhedsplejen Nord", "Sundhedsplejen Syd"], ["Sundhedsplejerske"], 2),
        "Familieafdelingen": (
            ["Familieafdelingen, Myndighed", "Familiehuset"],
            ["Socialrådgiver", "Familiebehandler"],
            3,
        ),
        # Youth workers (issue 15): the "Ungeindsats og SSP" tab of the case pages.
        "SSP": (["SSP Eksempel Kommune"], ["SSP-konsulent", "SSP-medarbejder"], 1),
        "Ungdomsskole og klubber": (
            ["Ungdomsskolen Eksempelby", "Ungdomsklubben Eksempelby"],
            ["Ungdomsskolelærer", "Klubpædagog"],
            1,
        ),
    },
    "Beskæftigelse": {
        "Jobcenter": (["Jobcenter Eksempelby"], ["Jobkonsulent", "Socialrådgiver"], 3),
        "Sygedagpenge": (["Sygedagpengeteamet"], ["Sagsbehandler", "Socialrådgiver"], 2),
        "Ungeindsats": (["Ungeindsatsen"], ["Ungevejleder", "Socialrådgiver", "Mentor"], 1),
    },
    "Social og Sundhed": {
        "Socialpsykiatri": (["Botilbuddet Engen", "Støttecentret"], ["Social- og sundhedsassistent", "Pædagog"], 2),
    },
}
NOEGLEPERSON_GAPS = {"Støttecentret", "Vestskolen", "Dagplejen Eksempelby"}  # shown as "mangler nøgleperson"


def _places():
    for forv, afdelinger in ORGANISATION.items():
        for afd, (institutions, faggrupper, weight) in afdelinger.items():
            for inst in institutions:
                yield forv, afd, inst, faggrupper, weight


def generate_staff(n: int, seed: int = 2026) -> list[RosterRow]:
    rng = random.Random(seed)
    places = list(_places())
    weights = [p[4] for p in places]
    rows, used, keys, next_suffix = [], set(), set(), {}
    for i in range(n):
        forv, afd, inst, faggrupper, _ = places[i] if i < len(places) else rng.choices(places, weights)[0]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        base = f"{first}.{last}".lower().replace("ø", "oe").replace("æ", "ae").replace("å", "aa")
        email, k = f"{base}@{DOMAIN}", next_suffix.get(base, 2)
        while email in used:
            email, k = f"{base}{k}@{DOMAIN}", k + 1
        next_suffix[base] = k
        used.add(email)
        key = inst not in keys and inst not in NOEGLEPERSON_GAPS
        keys.add(inst)
        rows.append(
            RosterRow(
                line=i + 2,
                email=email,
                name=f"{first} {last}",
                institution=inst,
                afdeling=afd,
                forvaltning=forv,
                faggruppe=rng.choice(faggrupper),
                noegleperson=key,
            )
        )
    return rows


def generate_history(staff: list[RosterRow], modules: list[str], years: int, today: date, seed: int = 2026):
    """Yield (email, module, graded_at, score, max_score, passed) over the last ``years`` years."""
    rng = random.Random(seed + 1)
    span = years * 365
    for row in staff:
        eagerness = 0.97 if row.noegleperson else 0.35 + 0.6 * rng.random()
        for index, module in enumerate(modules):
            if rng.random() > eagerness * (0.9 - 0.12 * (index % 5)):
                continue
            day = today - timedelta(days=rng.randrange(span))
            while day <= today:
                graded = datetime.combine(day, datetime.min.time()) + timedelta(
                    hours=8 + rng.randrange(9), minutes=rng.randrange(60)
                )
                if rng.random() < 0.12:  # a failed first attempt, passed a few days later
                    yield row.email, module, graded, 4.0, 10.0, False
                    graded += timedelta(days=rng.randrange(1, 10))
                yield row.email, module, graded, float(rng.randrange(7, 11)), 10.0, True
                day += timedelta(days=rng.randrange(700, 900))  # refresher around the 2-year mark


def load_demo(
    session: Session,
    *,
    n: int = 200,
    seed: int = 2026,
    months: int = 24,
    today: date | None = None,
    actor: str = "demo",
    secret: bytes,
) -> dict:
    """Import ``n`` made-up staff and their graded results (``secret``: the server's, see ``import_roster``)."""
    today = today or date.today()
    staff = generate_staff(n, seed)
    result = import_roster(session, Roster(rows=staff), actor=actor, source="demo", secret=secret)
    count = 0
    for email, module, graded, score, max_score, passed in generate_history(staff, list(MODULE_TITLES), 3, today, seed):
        if graded.date() <= today:
            record_result(session, email, module, score, max_score, passed, graded, months, secret=secret)
            count += 1
    return {"staff": n, "import": result.summary(), "results": count}


def demo_csv(n: int = 200, seed: int = 2026) -> bytes:
    """The demo staff list as Danish Excel writes it (cp1252, ';', CRLF) for trying `staff import`."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Navn", "E-mail", "Arbejdssted", "Afdeling", "Forvaltning", "Stilling", "Nøgleperson"])
    for r in generate_staff(n, seed):
        writer.writerow(
            [r.name, r.email, r.institution, r.afdeling, r.forvaltning, r.faggruppe, "Ja" if r.noegleperson else ""]
        )
    return out.getvalue().encode("cp1252")
