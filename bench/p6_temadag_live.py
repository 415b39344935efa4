"""P6: a live temadag question with 60 phones.

Through a real `rusfokus serve`: 60 simulated participants check in with the
current code and their work e-mail, wait on the live question (long-poll),
and answer it within a few seconds of each other; the projector view
long-polls the answers. Figure: p95 seconds from sending an answer to the
projector's data counting it (target ≤ 2 s, 0 answers lost), all 60 joined
and answered within 10 s, and the server's peak memory, kernels included
(target ≤ 4 GB). Baseline (same run, same answers): a projector that simply
re-reads the state every 2 seconds instead of long-polling.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import shutil
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import psutil

from helpers.paths import ROOT
from helpers.server import start_server, stop_server

PARTICIPANTS = 60
ANSWER_WINDOW_S = 5.0  # answers are spread over this many seconds after the question opens
NAIVE_POLL_S = 2.0


def _book_dir() -> Path:
    built = Path(os.environ.get("RUSFOKUS_BOOK_DIR") or ROOT / "_build" / "html")
    if (built / "index.html").exists():
        return built
    from rusfokus.book import build_book

    return build_book(ROOT)


def _seed(server) -> int:
    from rusfokus.db import session_scope
    from rusfokus.progress.models import STATUS_ACTIVE, Person
    from rusfokus.progress.staff import OrgCache

    out = server.rusfokus(
        "temadag",
        "create",
        "--title",
        "Benchmark",
        "--date",
        dt.date.today().isoformat(),
        "--place",
        "Aulaen",
        "--modules",
        "opsporing",
        "--facilitator",
        "Bench",
        "--institutions",
        "Benchskolen",
    ).stdout
    temadag_id = int(out.split("#")[1].split(":")[0])
    with session_scope(f"sqlite:///{server.home / 'rusfokus.db'}") as s:
        inst = OrgCache(s).institution("Børn og Unge", "Skoler", "Benchskolen")
        now = dt.datetime.now()
        for i in range(PARTICIPANTS):
            s.add(
                Person(
                    email=f"deltager{i:02d}@eksempel.dk",
                    name=f"Deltager {i:02d}",
                    faggruppe="Lærer",
                    institution_id=inst.id,
                    noegleperson=False,
                    status=STATUS_ACTIVE,
                    created_at=now,
                    updated_at=now,
                )
            )
    return temadag_id


class MemoryWatch(threading.Thread):
    """Peak RSS of the server process and all its children (kernels), sampled every 50 ms."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            total = 0
            try:
                for p in [self.root, *self.root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak = max(self.peak, total)
            time.sleep(0.05)


async def _simulate(server, temadag_id: int) -> dict:
    import json

    from tornado.httpclient import AsyncHTTPClient

    from rusfokus.temadag import codes

    client = AsyncHTTPClient(force_instance=True, max_clients=PARTICIPANTS * 2 + 10)
    base = server.url
    admin = {"Cookie": f"rf_admin={server.admin_token('bench')}"}
    code = codes.current_code(server.secret(), temadag_id, time.time()).code
    seen: list[tuple[float, int]] = []  # (time, answered) as the long-polling projector got it
    naive: list[tuple[float, int]] = []  # the same, for a projector re-reading every 2 s
    done = asyncio.Event()

    async def projector():
        since = -1
        while not done.is_set():
            r = await client.fetch(
                f"{base}/api/temadag/{temadag_id}/skaerm?since={since}", headers=admin, request_timeout=60
            )
            view = json.loads(r.body)
            since = view["answers_version"]
            seen.append((time.perf_counter(), view.get("answered", 0)))

    async def naive_projector():
        while not done.is_set():
            r = await client.fetch(f"{base}/api/temadag/{temadag_id}/skaerm?since=-1", headers=admin)
            naive.append((time.perf_counter(), json.loads(r.body).get("answered", 0)))
            await asyncio.sleep(NAIVE_POLL_S)

    async def participant(i: int, rng: random.Random, sent: list, joined: list):
        body = urllib.parse.urlencode({"kode": code, "email": f"deltager{i:02d}@eksempel.dk"})
        r = await client.fetch(
            f"{base}/temadag/ind", method="POST", body=body, follow_redirects=False, raise_error=False
        )
        assert r.code == 302, f"check-in {i} failed: HTTP {r.code}"
        cookie = {"Cookie": r.headers["Set-Cookie"].split(";")[0]}
        joined.append(time.perf_counter())
        version = -1
        while True:  # wait (long-poll) until the question is open
            r = await client.fetch(
                f"{base}/api/temadag/{temadag_id}/deltager?since={version}", headers=cookie, request_timeout=60
            )
            state = json.loads(r.body)
            version = state["version"]
            if state["phase"] == "spoerg":
                break
        await asyncio.sleep(rng.uniform(0, ANSWER_WINDOW_S))
        t0 = time.perf_counter()
        r = await client.fetch(
            f"{base}/api/temadag/{temadag_id}/svar",
            method="POST",
            headers={**cookie, "X-Rusfokus": "1", "Content-Type": "application/json"},
            body=json.dumps(
                {"question": state["question"]["id"], "option": rng.randrange(len(state["question"]["options"]))}
            ),
        )
        sent.append((t0, json.loads(r.body)["answered"]))

    rng = random.Random(6)
    sent: list = []
    joined: list = []
    t_start = time.perf_counter()
    tasks = [asyncio.create_task(projector()), asyncio.create_task(naive_projector())]
    people = [
        asyncio.create_task(participant(i, random.Random(rng.random()), sent, joined)) for i in range(PARTICIPANTS)
    ]
    while len(joined) < PARTICIPANTS:
        await asyncio.sleep(0.05)
    t_joined = time.perf_counter()
    await client.fetch(
        f"{base}/api/temadag/{temadag_id}/styr",
        method="POST",
        body=json.dumps({"action": "start"}),
        headers={**admin, "X-Rusfokus": "1", "Content-Type": "application/json"},
    )
    await asyncio.gather(*people)
    deadline = time.perf_counter() + 10
    while (not seen or seen[-1][1] < PARTICIPANTS) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(NAIVE_POLL_S + 0.5)
    done.set()
    # wake the long-poll so the projector task ends
    await client.fetch(
        f"{base}/api/temadag/{temadag_id}/styr",
        method="POST",
        body=json.dumps({"action": "vis"}),
        headers={**admin, "X-Rusfokus": "1", "Content-Type": "application/json"},
    )
    await asyncio.wait(tasks, timeout=NAIVE_POLL_S + 5)
    final = json.loads((await client.fetch(f"{base}/api/temadag/{temadag_id}/skaerm?since=-1", headers=admin)).body)
    client.close()

    def latencies(observed):
        out = []
        for t0, rank in sent:
            hit = next((t for t, n in observed if t >= t0 and n >= rank), None)
            out.append(None if hit is None else hit - t0)
        return out

    return {
        "long": latencies(seen),
        "naive": latencies(naive),
        "final": final,
        "join_s": t_joined - t_start,
        "last_visible_s": min((t for t, n in seen if n >= PARTICIPANTS), default=float("nan")) - t_start,
    }


def _p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def run() -> list[dict]:
    home = Path(tempfile.mkdtemp(prefix="rf-bench-p6-"))
    srv = start_server(_book_dir(), home, defaults="product")
    try:
        temadag_id = _seed(srv)
        time.sleep(5)  # let the preheated kernel pools fill, so memory is the steady state
        watch = MemoryWatch(srv.process.pid)
        watch.start()
        result = asyncio.run(_simulate(srv, temadag_id))
        watch.stop.set()
        watch.join()
    finally:
        stop_server(srv)
        shutil.rmtree(home, ignore_errors=True)
    long_ok = [x for x in result["long"] if x is not None]
    naive_ok = [x for x in result["naive"] if x is not None]
    lost = PARTICIPANTS - sum(result["final"]["counts"])
    missed = len(result["long"]) - len(long_ok)
    p95, p95_naive = _p95(long_ok), _p95(naive_ok)
    print(
        f"   joined in {result['join_s']:.2f} s; all answers visible {result['last_visible_s']:.2f} s after start; "
        f"lost {lost}; not seen by projector {missed}; peak memory {watch.peak / 2**20:.0f} MiB"
    )
    return [
        {
            "id": "P6",
            "name": f"live answer -> projector data, p95 ({PARTICIPANTS} phones; target <= 2 s)",
            "value": round(p95, 3),
            "unit": "s",
            "baseline": round(p95_naive, 3),
            "ratio": round(p95_naive / p95, 1),
        },
        {
            "id": "P6-lost",
            "name": "answers lost (sent but not counted on the projector)",
            "value": lost + missed,
            "unit": "answers",
            "baseline": None,
            "ratio": None,
        },
        {
            "id": "P6-join",
            "name": f"{PARTICIPANTS} phones checked in (concurrently)",
            "value": round(result["join_s"], 2),
            "unit": "s",
            "baseline": None,
            "ratio": None,
        },
        {
            "id": "P6-total",
            "name": "start to all answers on the projector (target <= 10 s)",
            "value": round(result["last_visible_s"], 2),
            "unit": "s",
            "baseline": None,
            "ratio": None,
        },
        {
            "id": "P6-mem",
            "name": "server peak memory incl. kernels (target <= 4 GB)",
            "value": round(watch.peak / 2**20),
            "unit": "MiB",
            "baseline": None,
            "ratio": None,
        },
    ]
