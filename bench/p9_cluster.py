"""P9: the temadag through HAProxy with 2 copies of `rusfokus serve`, beside the same with 1 copy (issue 19).

Each run starts the cluster `make cluster` starts (``rusfokus.cluster.Cluster``: PostgreSQL 15, HAProxy with the
sticky cookie, N copies with one shared secret, one database and one course folder; no Hub, no preheated
kernels, no demo data), first with 1 copy, then with 2, and drives it the way P3 and P6 do:

- burst (P3's, ``bench.temadag_burst``): 60 hand-ins spread over 60 s through ``rusfokus.exercises.client.submit``
  to HAProxy's address, each a fresh connection without the sticky cookie, so HAProxy spreads them over the
  copies; the figure is the time from the last hand-in until every one has a result in the course folder
  (target ≤ 90 s), and the lost ones (no result, or a pending marker left);
- live (P6's simulation, ``bench.p6_temadag_live._simulate``): 60 phones check in and answer, the projector
  long-polls; its HTTP client keeps no cookie jar, so every request of a phone or the projector may reach either
  copy: an answer taken by copy A must reach the projector's long-poll on copy B. Figures: p95 answer →
  projector (target ≤ 2 s) and answers lost. A run that hangs (a copy that never hears of the question) is cut
  at LIVE_TIMEOUT and counted as all lost.

The 2-copy value stands beside the 1-copy baseline of the same run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import tempfile
from pathlib import Path

from bench.p2_exercise_submit import make_course
from bench.p6_temadag_live import PARTICIPANTS, _p95, _simulate
from bench.temadag_burst import LEARNERS, WINDOW, burst
from helpers.paths import ROOT, free_port

GRADE_DEADLINE = 300.0
LIVE_TIMEOUT = 120.0


class ClusterServer:
    """What P6's simulation needs of a server: the address people use (HAProxy), admin tokens, the secret."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.url = cluster.url

    def secret(self) -> bytes:
        from rusfokus.identity import load_secret

        return load_secret(self.cluster.state / "secret.key")

    def admin_token(self, name: str) -> str:
        from rusfokus.identity import admin_token

        return admin_token(name, secret=self.secret())


def _start(base: Path, copies: int, course: Path):
    from rusfokus.cluster import Cluster

    book = base / "book"
    book.mkdir(exist_ok=True)
    (book / "index.html").write_text('<!doctype html><html lang="da"><title>bench</title><h1>bench</h1></html>')
    state = Path(tempfile.mkdtemp(prefix=f"rf-p9-{copies}-"))
    state.chmod(0o711)  # PostgreSQL runs as the postgres user under root
    cluster = Cluster(
        root=ROOT,
        state=state,
        port=free_port(),
        hub_port=free_port(),
        copies=copies,
        with_hub=False,
        demo=False,
        book_dir=book,
        extra_env={"RUSFOKUS_COURSE_DIR": str(course), "RUSFOKUS_POOL_SIZE": "0"},
    )
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        shutil.rmtree(state, ignore_errors=True)
        raise
    return cluster


def _burst(cluster, course: Path) -> dict:
    # the copies share one secret: copy-a's home holds it; the same burst as P3's, through HAProxy's address
    return burst(cluster.url, cluster.state / "copy-a", course, GRADE_DEADLINE, prefix="klynge")


def _seed_live(cluster) -> int:
    from rusfokus.db import session_scope
    from rusfokus.progress.models import STATUS_ACTIVE, Person
    from rusfokus.progress.staff import OrgCache

    out = cluster._cli(
        "temadag", "create", "--title", "Klyngebenchmark", "--date", dt.date.today().isoformat(),
        "--place", "Aulaen", "--modules", "opsporing", "--facilitator", "Bench", "--institutions", "Benchskolen",
        home=cluster.state / "admin",
    )  # fmt: skip
    temadag_id = int(out.split("#")[1].split(":")[0])
    with session_scope(cluster.postgres.url) as s:
        inst = OrgCache(s).institution("Børn og Unge", "Skoler", "Benchskolen")
        now = dt.datetime.now()
        for i in range(PARTICIPANTS):
            s.add(
                Person(
                    email=f"deltager{i:02d}@eksempel.dk", name=f"Deltager {i:02d}", faggruppe="Lærer",
                    institution_id=inst.id, noegleperson=False, status=STATUS_ACTIVE, created_at=now, updated_at=now,
                )
            )  # fmt: skip
    return temadag_id


def _live(cluster) -> dict:
    temadag_id = _seed_live(cluster)
    try:
        result = asyncio.run(asyncio.wait_for(_simulate(ClusterServer(cluster), temadag_id), LIVE_TIMEOUT))
    except Exception as exc:  # noqa: BLE001 - a hung or failed live run: every answer counts as lost
        print(f"   live run failed: {type(exc).__name__}: {str(exc)[:200]}")
        return {"p95": None, "lost": PARTICIPANTS, "error": type(exc).__name__}
    seen = [x for x in result["long"] if x is not None]
    lost = PARTICIPANTS - sum(result["final"]["counts"]) + (len(result["long"]) - len(seen))
    return {"p95": _p95(seen) if seen else None, "lost": lost, "error": ""}


def _one(copies: int) -> dict:
    base = Path(tempfile.mkdtemp(prefix=f"rf-p9-course-{copies}-"))
    cluster = None
    try:
        course = make_course(base)
        cluster = _start(base, copies, course)
        before = cluster.requests_per_copy()
        burst = _burst(cluster, course)
        mid = cluster.requests_per_copy()
        burst["per_copy"] = {k: mid[k] - before.get(k, 0) for k in mid}
        print(
            f"   {copies} cop{'y' if copies == 1 else 'ies'}: burst graded {burst['after_last']:.1f} s after the last, "
            f"lost {burst['lost']}; answered before the score (202) {burst['waited_out']}, other errors "
            f"{burst['failed']}",
            flush=True,
        )
        live = _live(cluster)
        end = cluster.requests_per_copy()
        live["per_copy"] = {k: end[k] - mid.get(k, 0) for k in end}
        print(f"   requests per copy (HAProxy): burst {burst['per_copy']}, live {live['per_copy']}", flush=True)
        p95 = "-" if live["p95"] is None else f"{live['p95']:.3f} s"
        print(f"   {copies} cop{'y' if copies == 1 else 'ies'}: live p95 {p95}, lost {live['lost']}", flush=True)
        return {"burst": burst, "live": live}
    finally:
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(cluster.state, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)


def _spread(per_copy: dict) -> float | None:
    """The share (%) of the requests the least busy copy answered: 50 is an even split of 2 copies."""
    total = sum(per_copy.values())
    return round(100 * min(per_copy.values()) / total, 1) if total else None


def _ratio(baseline, value):
    if baseline is None or value is None or value <= 0:
        return None
    return round(baseline / value, 2)


def run() -> list[dict]:
    one = _one(1)
    two = _one(2)
    b1, b2 = one["burst"]["after_last"], two["burst"]["after_last"]
    p1, p2 = one["live"]["p95"], two["live"]["p95"]
    return [
        {
            "id": "P9",
            "name": f"burst {LEARNERS} in {WINDOW:.0f} s via HAProxy, 2 copies: all graded, s after last (<= 90)",
            "value": round(b2, 1),
            "unit": "s",
            "baseline": round(b1, 1),
            "ratio": _ratio(b1, b2),
        },
        {
            "id": "P9-burst-lost",
            "name": "burst via HAProxy: hand-ins lost (2 copies; baseline 1 copy)",
            "value": two["burst"]["lost"],
            "unit": "count",
            "baseline": one["burst"]["lost"],
            "ratio": None,
        },
        {
            "id": "P9-live",
            "name": f"live answer -> projector p95, {PARTICIPANTS} phones via HAProxy, 2 copies (<= 2 s)",
            "value": None if p2 is None else round(p2, 3),
            "unit": "s",
            "baseline": None if p1 is None else round(p1, 3),
            "ratio": _ratio(p1, p2),
        },
        {
            "id": "P9-live-lost",
            "name": "live via HAProxy: answers lost (2 copies; baseline 1 copy)",
            "value": two["live"]["lost"],
            "unit": "answers",
            "baseline": one["live"]["lost"],
            "ratio": None,
        },
        {
            "id": "P9-spread",
            "name": "2 copies: share of requests the less busy copy answered, burst + live (50 = even)",
            "value": _spread(
                {
                    k: two["burst"]["per_copy"].get(k, 0) + two["live"]["per_copy"].get(k, 0)
                    for k in two["live"]["per_copy"]
                }
            ),
            "unit": "%",
            "baseline": None,
            "ratio": None,
        },
    ]


if __name__ == "__main__":
    for fig in run():
        print(fig)
