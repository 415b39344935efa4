"""P8: a staff meeting on one server (issue 16): 40 learners open module 1 at once.

Each simulated learner is a real client doing what the book page and live.js do, over HTTP and
the kernel websocket: open the genstande page (the book sets the page session cookie), load the
app page (over the cap: wait and try again as the "Der er travlt" page does), connect to the
kernel, fetch every widget's state as the page's widget manager does (kernel_info, then all states in one
message over the jupyter.widget.control comm, widget by widget only if that has no answer in 4 s; the
moment the app is usable), type a number of drinks and
wait for the app's answer, read a little, leave (closing the socket; today's page only closed it,
ours also sends the release beacon), open the AUDIT-C page and answer its questions, and stay
there. Learners arrive spread over 20 s; everything happens within 60 s.

Figures: p95 time until an app is usable, failed apps (not usable within 60 s, or no answer to
the learner's input), peak memory of the server and all its processes (kernels, and ours' kernel
template), sampled every 0.5 s, and memory per learner. Memory is the sum of PSS (the budget's
figure: each page shared by several processes is divided among them, so the sum is the memory
really taken); the sum of RSS is reported too (P8-peak-rss), but it counts a page shared by N
processes N times, which over-counts ours' forked kernels (they share the template's pages).
Baseline in the same run: the same load on today's design (preheated Voilà, each kernel a fresh
Python, without cap, release or beacon: RUSFOKUS_MAX_KERNELS=0, RUSFOKUS_KERNELS_PER_VISITOR=0,
RUSFOKUS_RELEASE_SECONDS=0, RUSFOKUS_FORK_KERNELS=0, and the pools of then: genstande 3, AUDIT-C 1,
BASELINE_POOLS; ours keeps about 20 of each ready, see rusfokus.server.kernels.pool_sizes).
P8-growth: ours at 10, 40 and 80 learners.
Targets: p95 <= 3 s, 0 failed, peak <= 4 GB. ``P8_LEARNERS=5,10`` (env) runs smaller loads while
developing.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import re
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from helpers.paths import ROOT
from helpers.server import start_server, stop_server, wait_for_preheated

USABLE_TIMEOUT = 60.0
ARRIVAL_SPREAD = 20.0
BASELINE_ENV = {
    "RUSFOKUS_MAX_KERNELS": "0",
    "RUSFOKUS_KERNELS_PER_VISITOR": "0",
    "RUSFOKUS_RELEASE_SECONDS": "0",
    "RUSFOKUS_FORK_KERNELS": "0",
}
APPS = ("genstande", "audit-c")
CONTROL_TARGET = "jupyter.widget.control"  # @jupyter-widgets/base-manager CONTROL_COMM_TARGET
CONTROL_VERSION = "1.0.0"  # CONTROL_COMM_PROTOCOL_VERSION
CONTROL_COMM_TIMEOUT = 4.0  # CONTROL_COMM_TIMEOUT (ms 4000): then the page asks widget by widget
BASELINE_POOLS = {"genstande": 3, "audit-c": None}
"""The baseline's preheated pools: today's design before issue 16 (genstande 3, the rest 1)."""
_CONFIG = re.compile(r'<script id="rf-live-config" type="application/json"[^>]*>(.*?)</script>')


def _book_dir() -> Path:
    built = Path(os.environ.get("RUSFOKUS_BOOK_DIR") or ROOT / "_build" / "html")
    if (built / "index.html").exists():
        return built
    from rusfokus.book import build_book

    return build_book(ROOT)


def _pss(pid: int) -> int:
    """Proportional set size (bytes): private pages plus each shared page divided by its sharers."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


class Memory:
    """Peak memory of the server process and all its descendants (the kernels, the kernel template).

    Two sums: RSS counts a page shared by several processes once per process (a forked kernel's pages
    shared with the template are counted again for every kernel); PSS divides each shared page among
    its sharers, so the sum is the memory the processes really take. ``peak`` (the budget's figure) is
    the PSS sum; ``peak_rss`` is reported next to it."""

    def __init__(self, pid: int):
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def both(self) -> tuple[int, int]:
        pss = rss = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                rss += p.memory_info().rss
            except psutil.Error:
                continue
            pss += _pss(p.pid)
        return pss, rss

    def now(self) -> int:
        return self.both()[0]

    def _run(self):
        while not self._stop.is_set():
            pss, rss = self.both()
            self.peak = max(self.peak, pss)
            self.peak_rss = max(self.peak_rss, rss)
            self._stop.wait(0.5)

    def __enter__(self):
        self.peak, self.peak_rss = self.both()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _msg(msg_type: str, content: dict, channel: str = "shell") -> tuple[str, str]:
    msg_id = uuid.uuid4().hex
    return msg_id, json.dumps(
        {
            "header": {
                "msg_id": msg_id,
                "msg_type": msg_type,
                "username": "",
                "session": uuid.uuid4().hex,
                "date": "",
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }
    )


class Learner:
    def __init__(self, base: str, release_beacon: bool):
        self.base = base
        self.ws_base = base.replace("http", "ws", 1)
        self.release_beacon = release_beacon
        self.cookie = ""
        self.http = AsyncHTTPClient()
        self.usable: list[float] = []
        self.failed: list[str] = []
        self.conns = []

    async def get(self, path: str):
        req = HTTPRequest(
            self.base + path,
            headers={"Cookie": self.cookie} if self.cookie else {},
            request_timeout=USABLE_TIMEOUT,
            follow_redirects=False,
        )
        try:
            resp = await self.http.fetch(req)
        except HTTPClientError as exc:
            resp = exc.response
            if resp is None:
                raise
        for header in resp.headers.get_list("Set-Cookie"):
            if header.startswith("rf_page="):
                self.cookie = header.split(";")[0]
        return resp

    async def open_app(self, app: str):
        """Load the app page (trying again while the server is busy), connect, fetch the widgets' state.
        Returns (connection, models {comm id: state}, kernel id) or raises."""
        started = time.monotonic()
        tries = 0
        while True:
            resp = await self.get(f"/voila/render/{app}/index.ipynb")
            if resp.code == 200:
                break
            if resp.code != 503 or time.monotonic() - started > USABLE_TIMEOUT:
                raise RuntimeError(f"{app}: HTTP {resp.code}")
            # the busy page's own backoff (rusfokus.server.app.BUSY_SCRIPT)
            await asyncio.sleep(min(30, 2 * 2 ** min(tries, 4)) * (0.75 + random.random() * 0.5))
            tries += 1
        kernel_id = json.loads(_CONFIG.search(resp.body.decode()).group(1))["kernelId"]
        conn = await websocket_connect(
            HTTPRequest(f"{self.ws_base}/api/kernels/{kernel_id}/channels", headers={"Cookie": self.cookie})
        )
        self.conns.append(conn)
        # live.js: the kernel connection asks for kernel_info, then the widget manager (ManagerBase.
        # _loadFromKernel) asks for every widget's state in one message over a jupyter.widget.control
        # comm; if that has no answer in 4 s it asks each widget for its state.
        msg_id, raw = _msg("kernel_info_request", {})
        conn.write_message(raw)
        await self._reply(conn, msg_id, "kernel_info_reply")
        try:
            states = await asyncio.wait_for(self._states_at_once(conn, started), CONTROL_COMM_TIMEOUT)
        except TimeoutError:
            states = await self._states_one_by_one(conn, started)
        self.usable.append(time.monotonic() - started)
        return conn, states, kernel_id

    async def _states_at_once(self, conn, started: float) -> dict:
        comm_id = uuid.uuid4().hex
        _mid, raw = _msg("comm_open", {"comm_id": comm_id, "target_name": CONTROL_TARGET, "data": {}})
        opened = json.loads(raw)
        opened["metadata"] = {"version": CONTROL_VERSION}
        conn.write_message(json.dumps(opened))
        _mid, raw = _msg("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})
        conn.write_message(raw)
        while True:
            msg = await self._read(conn, started)
            content = msg.get("content", {})
            if msg["msg_type"] == "comm_close" and content.get("comm_id") == comm_id:
                raise RuntimeError("the kernel closed the widget control comm")
            data = content.get("data", {}) if msg["msg_type"] == "comm_msg" else {}
            if content.get("comm_id") == comm_id and data.get("method") == "update_states":
                break
        _mid, raw = _msg("comm_close", {"comm_id": comm_id, "data": {}})
        conn.write_message(raw)
        return {cid: model.get("state", {}) for cid, model in data["states"].items()}

    async def _states_one_by_one(self, conn, started: float) -> dict:
        msg_id, raw = _msg("comm_info_request", {"target_name": "jupyter.widget"})
        conn.write_message(raw)
        comms = (await self._reply(conn, msg_id, "comm_info_reply"))["content"]["comms"]
        states = {}
        waiting = {}
        for comm_id in comms:
            mid, raw = _msg("comm_msg", {"comm_id": comm_id, "data": {"method": "request_state"}})
            waiting[mid] = comm_id
            conn.write_message(raw)
        while waiting:
            msg = await self._read(conn, started)
            parent = msg.get("parent_header", {}).get("msg_id")
            if msg["msg_type"] == "comm_msg" and parent in waiting:
                states[waiting.pop(parent)] = msg["content"]["data"].get("state", {})
        return states

    async def _read(self, conn, started: float) -> dict:
        left = USABLE_TIMEOUT - (time.monotonic() - started)
        raw = await asyncio.wait_for(conn.read_message(), max(1.0, left))
        if raw is None:
            raise RuntimeError("the kernel socket closed")
        return json.loads(raw)

    async def _reply(self, conn, msg_id: str, msg_type: str) -> dict:
        started = time.monotonic()
        while True:
            msg = await self._read(conn, started)
            if msg.get("parent_header", {}).get("msg_id") == msg_id and msg["msg_type"] == msg_type:
                return msg

    async def use(self, conn, states: dict, model: str, attr: str, value) -> None:
        """Set ``attr`` of every ``model`` widget as a learner would, and wait for the app's answer
        (an update of another widget, e.g. the result)."""
        targets = [cid for cid, st in states.items() if st.get("_model_name") == model]
        if not targets:
            raise RuntimeError(f"no {model} in the app")
        for cid in targets:
            _mid, raw = _msg(
                "comm_msg", {"comm_id": cid, "data": {"method": "update", "state": {attr: value}, "buffer_paths": []}}
            )
            conn.write_message(raw)
        started = time.monotonic()
        while True:
            msg = await self._read(conn, started)
            data = msg.get("content", {}).get("data", {}) if msg["msg_type"] == "comm_msg" else {}
            if data.get("method") == "update" and msg["content"]["comm_id"] not in targets:
                return

    async def leave(self, conn, kernel_id: str) -> None:
        conn.close()
        self.conns.remove(conn)
        if self.release_beacon:  # live.js on pagehide
            await self.http.fetch(
                HTTPRequest(
                    f"{self.base}/rusfokus/kernel/{kernel_id}/release",
                    method="POST",
                    body=b"",
                    headers={"Cookie": self.cookie},
                ),
                raise_error=False,
            )

    async def meeting(self, delay: float, until: float) -> None:
        await asyncio.sleep(delay)
        kid = None
        try:
            await self.get("/modules/01-opsporing/genstande.html")
            await self.get("/rusfokus/status")
            conn, states, kid = await self.open_app("genstande")
            await self.use(conn, states, "IntTextModel", "value", 3)
            await asyncio.sleep(random.uniform(4, 10))  # reads the result
            await self.leave(conn, kid)
        except Exception as exc:
            self.failed.append(f"genstande: {exc!r}")
        kid = None
        try:
            await self.get("/modules/01-opsporing/audit-c.html")
            await self.get("/rusfokus/status")
            conn, states, kid = await self.open_app("audit-c")
            await self.use(conn, states, "RadioButtonsModel", "index", 1)
        except Exception as exc:
            self.failed.append(f"audit-c: {exc!r}")
        await asyncio.sleep(max(0.0, until - time.monotonic()))  # stays on the AUDIT-C page
        if self.conns and kid:  # the meeting ends: the tab is closed
            await self.leave(self.conns[-1], kid)
        for conn in list(self.conns):
            conn.close()


async def _meeting(url: str, learners: int, release_beacon: bool) -> tuple[list[float], list[str], float]:
    AsyncHTTPClient.configure(None, max_clients=max(10, learners))
    started = time.monotonic()
    until = started + 60.0
    people = [Learner(url, release_beacon) for _ in range(learners)]
    await asyncio.gather(*(p.meeting(random.uniform(0, ARRIVAL_SPREAD), until) for p in people))
    usable = [t for p in people for t in p.usable]
    failed = [f for p in people for f in p.failed]
    return usable, failed, time.monotonic() - started


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, math.ceil(0.95 * len(values)) - 1)]


def _settle(memory: Memory, idle: int, seconds: float = 90.0) -> int:
    """Wait until the kernels of the last load are gone and the pools refilled: memory back within
    150 MB of the idle server's (or ``seconds`` passed), so one load does not carry into the next."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and memory.now() > idle + 150 * 2**20:
        time.sleep(3)
    time.sleep(3)
    return memory.now()


def _baseline_widgets(into: Path) -> Path:
    """The apps with today's pool sizes (BASELINE_POOLS), for the baseline server."""
    target = into / "widgets"
    shutil.copytree(ROOT / "widgets", target, ignore=shutil.ignore_patterns("kernel-ipc-*", ".ipynb_checkpoints"))
    for app, size in BASELINE_POOLS.items():
        path = target / app / "index.ipynb"
        nb = json.loads(path.read_text(encoding="utf-8"))
        meta = nb["metadata"].setdefault("rusfokus", {})
        if size is None:
            meta.pop("pool_size", None)
        else:
            meta["pool_size"] = size
        path.write_text(json.dumps(nb), encoding="utf-8")
    return target


def _load(server, learners: int, release_beacon: bool) -> dict:
    idle = Memory(server.process.pid).now()
    with Memory(server.process.pid) as mem:
        usable, failed, took = asyncio.run(_meeting(server.url, learners, release_beacon))
    return {
        "learners": learners,
        "p95": p95(usable),
        "failed": len(failed),
        "peak": mem.peak,
        "peak_rss": mem.peak_rss,
        "idle": idle,
        "took": took,
        "apps": len(usable),
        "why": failed[:3],
    }


def run() -> list[dict]:
    sizes = [int(x) for x in os.environ.get("P8_LEARNERS", "10,40,80").split(",")]
    main = 40 if 40 in sizes else max(sizes)
    book = _book_dir()
    results, baseline = {}, None
    for name, env in (("baseline", BASELINE_ENV), ("ours", {})):
        home = Path(tempfile.mkdtemp(prefix=f"rf-bench-p8-{name}-"))
        if name == "baseline":
            env = {**env, "RUSFOKUS_WIDGETS_DIR": str(_baseline_widgets(home))}
        srv = start_server(book, home, env, timeout=180, defaults="product")
        try:
            wait_for_preheated(srv, list(APPS), timeout=300)
            time.sleep(5)
            if name == "baseline":
                baseline = _load(srv, main, release_beacon=False)
            else:
                idle = Memory(srv.process.pid).now()
                for n in sizes:
                    results[n] = _load(srv, n, release_beacon=True)
                    print(f"   P8 ours {n}: {results[n]}", flush=True)
                    _settle(Memory(srv.process.pid), idle)
        finally:
            stop_server(srv)
            shutil.rmtree(home, ignore_errors=True)
        if name == "baseline":
            print(f"   P8 baseline {main}: {baseline}", flush=True)
    ours = results[main]
    mb = 2**20

    def fig(id_, text, value, unit, base=None, better_lower=True):
        ratio = None
        if base is not None and value:
            ratio = round((base / value) if better_lower else (value / base), 2)
        return {"id": id_, "name": text, "value": value, "unit": unit, "baseline": base, "ratio": ratio}

    out = [
        fig(
            "P8",
            f"{main} learners, genstande + AUDIT-C: p95 time until an app is usable",
            round(ours["p95"], 2),
            "s",
            round(baseline["p95"], 2),
        ),
        fig(
            "P8-failed",
            f"{main} learners: apps failed (not usable in 60 s, or no answer)",
            ours["failed"],
            "apps",
            baseline["failed"],
        ),
        fig(
            "P8-peak",
            f"{main} learners: peak memory, server + all kernels (sum of PSS)",
            round(ours["peak"] / mb),
            "MB",
            round(baseline["peak"] / mb),
        ),
        fig(
            "P8-peak-rss",
            f"{main} learners: peak sum of RSS (counts shared pages once per process)",
            round(ours["peak_rss"] / mb),
            "MB",
            round(baseline["peak_rss"] / mb),
        ),
        fig(
            "P8-per-learner",
            f"{main} learners: memory per learner ((peak - idle) / learners)",
            round((ours["peak"] - ours["idle"]) / mb / main, 1),
            "MB",
            round((baseline["peak"] - baseline["idle"]) / mb / main, 1),
        ),
    ]
    for n in sizes:
        r = results[n]
        out.append(
            fig(
                f"P8-growth-{n}",
                f"{n} learners: peak memory (p95 usable {r['p95']:.2f} s, {r['failed']} failed)",
                round(r["peak"] / mb),
                "MB",
            )
        )
    return out
