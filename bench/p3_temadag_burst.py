"""P3: temadag burst. 60 learners hand in within 60 s through the app's path; all graded how soon?

The path is the one the exercise app's kernel uses: ``rusfokus.exercises.client.submit``
→ ``POST /api/opgave/aflever`` (signed token) → the server's one grading queue
→ nbgrader in-process. Submissions are spread evenly over 60 s, each from its
own thread (a learner waits for her score); the burst itself is ``bench.temadag_burst``
(P9 runs the same one through HAProxy). The value is the time from the last
submission until every hand-in has a result on disk; "lost" counts hand-ins
without a result file or with a pending marker left when the queue is empty.
Target: ≤ 90 s after the last submission, 0 lost.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.p2_exercise_submit import make_course, start
from bench.temadag_burst import LEARNERS, WINDOW, burst
from helpers.server import stop_server

DEADLINE = 600.0


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="rf-p3-") as tmp:
        base = Path(tmp)
        course = make_course(base)
        srv = start(base, course)
        try:
            result = burst(srv.url, srv.home, course, DEADLINE)
        finally:
            stop_server(srv)
    lost = result["lost"]
    return [
        {
            "id": "P3",
            "name": f"temadag burst {LEARNERS} in {WINDOW:.0f} s: all graded, s after last (lost={lost})",
            "value": round(result["after_last"], 1),
            "unit": "s",
            "baseline": None,
            "ratio": None,
        },
        {
            "id": "P3",
            "name": "temadag burst: hand-ins lost",
            "value": lost,
            "unit": "count",
            "baseline": None,
            "ratio": None,
        },
    ]


if __name__ == "__main__":
    for fig in run():
        print(fig)
