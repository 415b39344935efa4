"""P3: temadag burst. 60 learners hand in within 60 s through the app's path; all graded how soon?

The path is the one the exercise app's kernel uses: ``rusfokus.exercises.client.submit``
→ ``POST /api/opgave/aflever`` (signed token) → the server's one grading queue
→ nbgrader in-process. Submissions are spread evenly over 60 s, each from its
own thread (a learner waits for her score). The value is the time from the last
submission until every hand-in has a result on disk; "lost" counts hand-ins
without a result file or with a pending marker left when the queue is empty.
Target: ≤ 90 s after the last submission, 0 lost.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from bench.p2_exercise_submit import answers, make_course, start
from helpers.server import stop_server

LEARNERS = 60
WINDOW = 60.0
DEADLINE = 600.0


def run() -> list[dict]:
    from rusfokus.exercises import client
    from rusfokus.exercises.schema import exercise
    from rusfokus.exercises.store import pending_attempts
    from rusfokus.settings import get_settings

    ex = exercise("opsporing")  # the exercise p2's make_course builds (modules/01-opsporing/data/opgave.yml)
    with tempfile.TemporaryDirectory(prefix="rf-p3-") as tmp:
        base = Path(tmp)
        course = make_course(base)
        srv = start(base, course)
        old_home = os.environ.get("RUSFOKUS_HOME")
        os.environ["RUSFOKUS_HOME"] = str(srv.home)  # sign tokens with the server's key, as its kernels do
        get_settings.cache_clear()
        codes: dict[str, int] = {}
        lock = threading.Lock()

        def learner(i: int) -> None:
            email = f"temadag{i:02d}@eksempel-kommune.example"
            code, _ = client.submit(email, "opsporing", answers(ex, i % 3 != 0), base=srv.url + "/")
            with lock:
                codes[email] = code

        try:
            threads = []
            t_start = time.perf_counter()
            for i in range(LEARNERS):
                due = t_start + i * WINDOW / LEARNERS
                time.sleep(max(0.0, due - time.perf_counter()))
                t = threading.Thread(target=learner, args=(i,))
                t.start()
                threads.append(t)
            t_last = time.perf_counter()
            deadline = t_last + DEADLINE
            while time.perf_counter() < deadline:
                results = list(course.glob("attempts/*/opsporing/*.result.json"))
                if len(results) >= LEARNERS:
                    break
                time.sleep(0.2)
            t_done = time.perf_counter()
            for t in threads:
                t.join(timeout=DEADLINE)
            results = list(course.glob("attempts/*/opsporing/*.result.json"))
            lost = LEARNERS - len(results) + len(pending_attempts(course))
        finally:
            stop_server(srv)
            if old_home is None:
                os.environ.pop("RUSFOKUS_HOME", None)
            else:
                os.environ["RUSFOKUS_HOME"] = old_home
            get_settings.cache_clear()
    after_last = t_done - t_last
    return [
        {
            "id": "P3",
            "name": f"temadag burst {LEARNERS} in {WINDOW:.0f} s: all graded, s after last (lost={lost})",
            "value": round(after_last, 1),
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
