"""One institution's training status for its nøgleperson, from the progress database.

The data is read for the one institution only (``institution_data``) and turned
into tables by the same functions the rusmiddelcenter's reports use
(``rusfokus.progress.reports``): completion per module, who is due a refresher.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from rusfokus.progress import MODULE_TITLES, module_title
from rusfokus.progress.certificates import EXPIRED, SOON, status_of
from rusfokus.progress.reports import ReportData, completion_table, load_data, refresher_table


def institution_data(session: Session, institution_id: int) -> ReportData:
    """``reports.load_data`` for the people of one institution (same frames, same columns)."""
    return load_data(session, tuple(MODULE_TITLES), institution_id=institution_id)


def _day(value) -> str:
    return f"{value:%d-%m-%Y}"


def institution_status(data: ReportData, today: date | None = None) -> dict:
    """What the nøgleperson's page shows: per module counts, who is due a refresher, who has
    not passed any module yet, and each active colleague's state per module."""
    today = today or date.today()
    active = data.active.sort_values("name", key=lambda s: s.str.casefold(), kind="stable")
    certs = {(int(r.person_id), r.module): r.expires_on.date() for r in data.certs.itertuples()}
    passed = {(int(r.person_id), r.module) for r in data.passes.itertuples()}
    attended = set()
    if data.attended is not None:
        attended = {(int(r.person_id), r.module) for r in data.attended.itertuples()}
    people, not_started = [], []
    for p in active.itertuples():
        pid = int(p.person_id)
        states = []
        for module in data.modules:
            expires = certs.get((pid, module))
            if expires is not None:
                kind = status_of(expires, today)
                text = {EXPIRED: f"Udløbet {_day(expires)}", SOON: f"Udløber {_day(expires)}"}.get(
                    kind, f"Gyldigt til {_day(expires)}"
                )
            elif (pid, module) in passed:
                kind, text = "bestaaet", "Bestået"
            elif (pid, module) in attended:
                kind, text = "temadag", "Deltaget i temadag"
            else:
                kind, text = "ikke", "Ikke gennemført"
            states.append({"module": module_title(module), "kind": kind, "text": text})
        person = {
            "name": p.name or "",
            "faggruppe": p.faggruppe or "",
            "noegleperson": bool(p.noegleperson),
            "states": states,
        }
        people.append(person)
        if all(s["kind"] in ("ikke", "temadag") for s in states):
            not_started.append(person)
    due = refresher_table(data, today)
    counts = completion_table(data, "institution", today) if len(active) else pd.DataFrame()
    return {
        "active": len(active),
        "people": people,
        "not_started": not_started,
        "due": [
            {"name": r["Navn"], "module": r["Modul"], "expires": _day(r["Udløber"]), "status": r["Status"]}
            for _, r in due.iterrows()
        ],
        "modules": [
            {
                "module": r["Modul"],
                "staff": int(r["Ansatte"]),
                "passed": int(r["Gennemført"]),
                "valid": int(r["Gyldigt bevis"]),
                "valid_pct": float(r["Gyldigt bevis (%)"]),
            }
            for _, r in counts.iterrows()
        ],
    }
