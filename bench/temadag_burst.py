"""The temadag burst, shared by P3 (one `rusfokus serve`) and P9 (N copies behind HAProxy).

``LEARNERS`` hand-ins spread evenly over ``WINDOW`` seconds through the path the exercise app's kernel uses:
``rusfokus.exercises.client.submit`` → ``POST /api/opgave/aflever`` (signed token) → the grading queue → nbgrader.
Each hand-in is sent from its own thread (a learner waits for her score), each on a fresh connection without
cookies (so a balancer spreads them over the copies). The figure is the time from the last hand-in until every
one has a result in the course folder; "lost" counts hand-ins without a result or with a pending marker left.
Target: ≤ 90 s after the last, 0 lost.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bench.p2_exercise_submit import answers

LEARNERS = 60
WINDOW = 60.0


def burst(url: str, home: Path, course: Path, deadline: float, prefix: str = "temadag") -> dict:
    """Run the burst against ``url`` (the server or the balancer); tokens are signed with ``home``'s secret.

    Returns ``after_last`` (s from the last hand-in until all are graded), ``lost``, ``waited_out`` (answered 202:
    saved but not graded while the learner's request waited; graded later, not lost) and ``failed`` (other
    answers, refused or dropped connections)."""
    from rusfokus.exercises import client
    from rusfokus.exercises.schema import exercise
    from rusfokus.exercises.store import pending_attempts
    from rusfokus.identity import load_secret

    # the exercise p2's make_course builds (modules/01-opsporing/data/opgave.yml)
    ex = exercise("opsporing", Path(__file__).resolve().parents[1] / "modules")
    secret = load_secret(home / "secret.key")  # sign tokens with the server's key, as its kernels do
    codes: dict[str, int] = {}
    lock = threading.Lock()

    def learner(i: int) -> None:
        email = f"{prefix}{i:02d}@eksempel-kommune.example"
        try:
            code, _ = client.submit(
                email, "opsporing", answers(ex, i % 3 != 0), base=url.rstrip("/") + "/", secret=secret
            )
        except Exception:  # noqa: BLE001 - a refused or dropped hand-in is counted (failed; lost if no result)
            code = 0
        with lock:
            codes[email] = code

    def graded() -> int:
        return len(list(course.glob("attempts/*/opsporing/*.result.json")))

    threads = []
    t_start = time.perf_counter()
    for i in range(LEARNERS):
        time.sleep(max(0.0, t_start + i * WINDOW / LEARNERS - time.perf_counter()))
        t = threading.Thread(target=learner, args=(i,))
        t.start()
        threads.append(t)
    t_last = time.perf_counter()
    while time.perf_counter() < t_last + deadline and graded() < LEARNERS:
        time.sleep(0.2)
    t_done = time.perf_counter()
    for t in threads:
        t.join(timeout=deadline)
    lost = LEARNERS - graded() + len(pending_attempts(course))
    return {
        "after_last": t_done - t_last,
        "lost": max(lost, 0),
        "waited_out": sum(1 for c in codes.values() if c == 202),
        "failed": sum(1 for c in codes.values() if c not in (200, 202)),
    }
