"""P5: full book build, cold (empty output folder) and with nothing changed.

Targets: cold <= 90 s, nothing changed <= 10 s. The baseline of the
incremental figure is the cold build measured in the same run (ratio = how
many times faster a rebuild is); the cold figure's baseline is its target.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from helpers.paths import ROOT


def run() -> list[dict]:
    from rusfokus.book import build_book

    tmp = Path(tempfile.mkdtemp(prefix="rf-bench-p5-"))
    try:
        t0 = time.perf_counter()
        build_book(ROOT, out_dir=tmp / "html", staging=tmp / "staging", quiet=True)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        build_book(ROOT, out_dir=tmp / "html", staging=tmp / "staging", quiet=True)
        warm = time.perf_counter() - t0
        pages = len(list((tmp / "html").rglob("*.html")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [
        {
            "id": "P5-cold",
            "name": f"book build from scratch ({pages} HTML pages; target 90 s)",
            "value": round(cold, 2),
            "unit": "s",
            "baseline": 90.0,
            "ratio": round(90.0 / cold, 2),
        },
        {
            "id": "P5-warm",
            "name": "book build with nothing changed (target 10 s; baseline = cold)",
            "value": round(warm, 2),
            "unit": "s",
            "baseline": round(cold, 2),
            "ratio": round(cold / warm, 2),
        },
    ]
