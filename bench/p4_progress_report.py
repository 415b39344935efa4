"""P4: full progress report + .xlsx for N staff × 10 modules × 3 years of synthetic history.

Measured from the SQLite database (load_data → full_report → xlsx bytes),
best of 3 after one warm-up, for 1k, 10k and 100k staff. The value is the
process' CPU time (this machine's 2 cores are shared by many processes, so
wall time mostly measures waiting for a core); wall time is reported too. Target: ≤ 2 s at
10k. Baseline (same run, same tables): writing the workbook the default way,
pandas ``DataFrame.to_excel`` with openpyxl. Growth from 10k to 100k should
be about 10× (linear).
"""

from __future__ import annotations

import io
import random
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import insert

from rusfokus.db import session_scope
from rusfokus.migrations import upgrade
from rusfokus.progress.certificates import add_months, new_code
from rusfokus.progress.demo import generate_history, generate_staff
from rusfokus.progress.export import xlsx_bytes
from rusfokus.progress.models import Certificate, Completion, Person
from rusfokus.progress.reports import TABLE_TITLES, full_report, load_data
from rusfokus.progress.roster import Roster
from rusfokus.progress.staff import OrgCache

TODAY = date(2026, 11, 1)
MODULES = [
    "opsporing",
    "bekymringssamtale",
    "motiverende-samtale",
    "dobbeltdiagnose",
    *(f"modul-{i:02d}" for i in range(5, 11)),
]
TARGET_S = 2.0


def build(url: str, n: int, seed: int = 4) -> dict:
    staff = generate_staff(n, seed)
    now = datetime(2023, 11, 1)
    rng = random.Random(seed)
    with session_scope(url) as s:
        org = OrgCache(s)
        inst = {
            r.institution: org.institution(r.forvaltning, r.afdeling, r.institution).id for r in Roster(rows=staff).rows
        }
        people = [
            {
                "id": i + 1,
                "email": r.email,
                "name": r.name,
                "faggruppe": r.faggruppe,
                "institution_id": inst[r.institution],
                "noegleperson": r.noegleperson,
                "status": "aktiv" if rng.random() > 0.05 else "fratrådt",
                "created_at": now,
                "updated_at": now,
            }
            for i, r in enumerate(staff)
        ]
        s.execute(insert(Person), people)
        ids = {p["email"]: p["id"] for p in people}
        completions, certs = [], []
        for email, module, graded, score, max_score, passed in generate_history(staff, MODULES, 3, TODAY, seed):
            if graded.date() > TODAY:
                continue
            completions.append(
                {
                    "person_id": ids[email],
                    "module": module,
                    "kind": "modul",
                    "score": score,
                    "max_score": max_score,
                    "passed": passed,
                    "completed_at": graded,
                }
            )
            if passed:
                certs.append(
                    {
                        "person_id": ids[email],
                        "module": module,
                        "issued_on": graded.date(),
                        "expires_on": add_months(graded.date(), 24),
                        "code": new_code(),
                    }
                )
        for start in range(0, len(completions), 50_000):
            s.execute(insert(Completion), completions[start : start + 50_000])
        for start in range(0, len(certs), 50_000):
            s.execute(insert(Certificate), certs[start : start + 50_000])
    return {"completions": len(completions), "certificates": len(certs)}


def report_once(url: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) for load + all tables + .xlsx bytes."""
    cpu, wall = time.process_time(), time.perf_counter()
    with session_scope(url) as s:
        tables = full_report(load_data(s), TODAY)
    xlsx_bytes(tables)
    return time.process_time() - cpu, time.perf_counter() - wall


def pandas_baseline(url: str) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    with session_scope(url) as s:
        tables = full_report(load_data(s), TODAY)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for key, frame in tables.items():
            frame.to_excel(writer, sheet_name=TABLE_TITLES[key][:31], index=False)
    return time.process_time() - cpu, time.perf_counter() - wall


def best_of(fn, url: str, repeat: int = 3) -> tuple[float, float]:
    fn(url)  # warm-up (imports, caches)
    runs = [fn(url) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def run() -> list[dict]:
    import os

    figures, seconds = [], {}
    with tempfile.TemporaryDirectory(prefix="rusfokus-p4-") as tmp:
        for n in (1_000, 10_000, 100_000):
            url = f"sqlite:///{Path(tmp) / f'p4_{n}.db'}"
            upgrade(url)
            t0 = time.perf_counter()
            sizes = build(url, n)
            print(
                f"   {n} staff: {sizes['completions']} results, {sizes['certificates']} kursusbeviser "
                f"(built in {time.perf_counter() - t0:.1f} s)",
                flush=True,
            )
            value, wall = best_of(report_once, url, repeat=3 if n <= 10_000 else 1)
            seconds[n] = value
            baseline = best_of(pandas_baseline, url, repeat=1)[0] if n <= 10_000 else None
            label = f"{n // 1000}k"
            figures.append(
                {
                    "id": f"P4-{label}",
                    "unit": "s CPU",
                    "value": round(value, 3),
                    "name": f"Report + .xlsx, {label} staff x 10 modules x 3 yrs, CPU s (baseline pandas to_excel)",
                    "baseline": round(baseline, 3) if baseline else None,
                    "ratio": round(baseline / value, 2) if baseline else None,
                }
            )
            figures.append(
                {
                    "id": f"P4-{label}-wall",
                    "unit": "s",
                    "value": round(wall, 3),
                    "baseline": None,
                    "ratio": None,
                    "name": f"Same, wall clock (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
                }
            )
    figures.append(
        {
            "id": "P4-target",
            "name": "10k staff report + .xlsx, CPU s vs target 2 s (ratio = target/value)",
            "value": round(seconds[10_000], 3),
            "unit": "s",
            "baseline": TARGET_S,
            "ratio": round(TARGET_S / seconds[10_000], 2),
        }
    )
    figures.append(
        {
            "id": "P4-growth",
            "name": "Time 100k / time 10k (10 = linear growth)",
            "value": round(seconds[100_000] / seconds[10_000], 2),
            "unit": "x",
            "baseline": 10.0,
            "ratio": round(10.0 / (seconds[100_000] / seconds[10_000]), 2),
        }
    )
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure)
