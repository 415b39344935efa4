"""P13: the memory of each app's kernel, opened as its learner or admin opens it.

One `rusfokus serve` at a time with the product's settings, the demo data `make run` loads (`rusfokus demo load`),
and no preheated kernels (RUSFOKUS_POOL_SIZE=0), so each opened app starts a kernel of its own and the new kernel
is the one process that was not there before (the grader's spare kernel, and ours' kernel template, are there from
the start). For each app in widgets/ a client does what the page does (P8's learner): it opens the book page the app
is embedded in (which sets the page session cookie; the dashboard is not in the book), loads the app page with the
cookies its user has (an admin session for the dashboard, a learner's personal link with a kursusbevis for the
others) and the query the book embeds it with (the exercise: ``?opgave=opsporing``), connects to the kernel and
fetches every widget's state. The HTTP answer comes once the notebook has run; then the bench waits until the
kernel has used no CPU for a second (the dashboard fills its tables in a thread) and reads the kernel's memory from
/proc/<pid>/smaps_rollup: USS (its private pages, what this kernel alone takes and gives back when it goes) and PSS
(private pages plus each shared page divided by the processes sharing it, the budget's figure as in P8). Then the
page leaves (socket closed, release beacon) and the bench waits until the kernel is gone, so every app is measured
with the same processes alive: the server, the grader's spare kernel, ours' template and this one kernel. With more
kernels alive a forked kernel's PSS is lower (the shared pages are divided among more), its USS the same.

Ours: forked kernels (RUSFOKUS_FORK_KERNELS=1, the default). Baseline in the same run: plain kernels
(RUSFOKUS_FORK_KERNELS=0), each a fresh Python. Figures: each app's PSS, and the mean USS of the three apps that read
the database (opgave, Min side, the dashboard) and of the other seven.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import psutil
from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.progress.models import Certificate, Person
from rusfokus.server.apps import list_apps

from bench.p1_app_load import _book_dir
from bench.p8_staff_meeting import Learner, _pss
from helpers.paths import ROOT
from helpers.server import Server, start_server, stop_server

DB_APPS = ("opgave", "min-side", "dashboard")
"""The apps that read the database (the README's "Memory" names them apart from the calculators)."""
VARIANTS = {"plain": "0", "ours": "1"}  # RUSFOKUS_FORK_KERNELS
ADMIN = "konsulent"  # the demo admin `make run` makes
IDLE_CPU_SECONDS = 0.02  # a kernel that used less CPU than this in a second has finished its work
_EMBEDDED = re.compile(r'data-app="([a-z0-9-]+)" data-src="([^"]+)"')
MB = 2**20


def embedded_apps(book_dir: Path) -> dict[str, tuple[str, str]]:
    """app -> (the first book page that embeds it, as a path below the server's root; the query it is embedded
    with), pages in sorted order (so the exercise is module 1's)."""
    found: dict[str, tuple[str, str]] = {}
    for page in sorted(Path(book_dir).rglob("*.html")):
        for name, src in _EMBEDDED.findall(page.read_text(encoding="utf-8")):
            query = src.split("?", 1)[1] if "?" in src else ""
            found.setdefault(name, ("/" + page.relative_to(book_dir).as_posix(), query))
    return found


def _uss(pid: int) -> int:
    """Unique set size (bytes): the pages only this process maps (P8's ``_pss`` reads the same file)."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return 0
    return total


def _descendants(pid: int) -> set[int]:
    try:
        return {p.pid for p in psutil.Process(pid).children(recursive=True)}
    except psutil.Error:
        return set()


def _wait_quiet_processes(pid: int, quiet: float = 4.0, timeout: float = 90.0) -> set[int]:
    """The server's processes once no process came or went for ``quiet`` seconds (the grader's spare kernel is
    started in a thread after the server answers)."""
    deadline = time.monotonic() + timeout
    last, since = _descendants(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _descendants(pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


class Visitor(Learner):
    """P8's learner with her identity cookie (personal link or admin session) and the app's query."""

    def __init__(self, base: str, identity: str, query: str):
        super().__init__(base, release_beacon=True)
        self.identity = identity
        self.query = query
        self.cookie = identity

    async def get(self, path: str):
        if path.startswith("/voila/render/") and self.query:
            path += "?" + self.query
        resp = await super().get(path)  # keeps only the page session cookie it was given, if any
        page = [c for c in self.cookie.split("; ") if c.startswith("rf_page=")]
        self.cookie = "; ".join([self.identity, *page[-1:]])
        return resp


async def _cpu_quiet(proc: psutil.Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    before = sum(proc.cpu_times()[:2])
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        now = sum(proc.cpu_times()[:2])
        if now - before < IDLE_CPU_SECONDS:
            return
        before = now


async def _open_and_measure(srv: Server, app: str, page: str, query: str, identity: str, before: set[int]) -> dict:
    visitor = Visitor(srv.url, identity, query)
    started = time.monotonic()
    if page:
        await visitor.get(page)  # the book page sets the page session cookie
    conn, states, kernel_id = await visitor.open_app(app)
    usable = time.monotonic() - started
    alerts = [str(st.get("value")) for st in states.values() if 'role="alert"' in str(st.get("value", ""))]
    if alerts:  # measure the app, not an error notice (no identity, a broken link, the database unreachable)
        raise RuntimeError(f"{app} shows an error instead of the app: {alerts[0][:300]}")
    new = _descendants(srv.process.pid) - before
    if len(new) != 1:
        raise RuntimeError(f"{app}: expected one new kernel process, found {sorted(new)}")
    pid = new.pop()
    proc = psutil.Process(pid)
    await _cpu_quiet(proc)
    samples = []
    for _ in range(3):
        samples.append((_pss(pid), _uss(pid), proc.memory_info().rss))
        await asyncio.sleep(0.5)
    await visitor.leave(conn, kernel_id)
    pss, uss, rss = (statistics.median(s[i] for s in samples) for i in range(3))
    return {"pid": pid, "pss": pss, "uss": uss, "rss": rss, "widgets": len(states), "usable": usable}


def _wait_gone(srv: Server, pid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while pid in _descendants(srv.process.pid) and time.monotonic() < deadline:
        time.sleep(0.3)


def _learner_with_certificate(srv: Server) -> str:
    with session_scope(f"sqlite:///{srv.home / 'rusfokus.db'}") as s:
        email = s.scalar(select(Person.email).join(Certificate, Certificate.person_id == Person.id).limit(1))
    if not email:
        raise RuntimeError("the demo data has no learner with a kursusbevis")
    return email


def measure(variant: str, book: Path) -> dict[str, dict]:
    """app -> its kernel's memory (bytes) on a server with this variant's kernels."""
    home = Path(tempfile.mkdtemp(prefix=f"rf-bench-p13-{variant}-"))
    course = home / "course"  # an empty course folder of its own, never the working tree's exercises/
    course.mkdir()
    env = {"RUSFOKUS_POOL_SIZE": "0", "RUSFOKUS_FORK_KERNELS": VARIANTS[variant], "RUSFOKUS_COURSE_DIR": str(course)}
    srv = start_server(book, home, env, timeout=180, defaults="product")
    out = {}
    try:
        srv.rusfokus("demo", "load")  # what `make run` loads
        learner = f"rf_learner={srv.learner_token(_learner_with_certificate(srv))}"
        admin = f"rf_admin={srv.admin_token(ADMIN)}"
        pages = embedded_apps(book)
        before = _wait_quiet_processes(srv.process.pid)
        for info in list_apps(ROOT / "widgets"):
            page, query = pages.get(info.name, ("", ""))
            identity = admin if info.admin else learner
            got = asyncio.run(_open_and_measure(srv, info.name, page, query, identity, before))
            _wait_gone(srv, got["pid"])
            out[info.name] = got
            print(
                f"   P13 {variant} {info.name}: PSS {got['pss'] / MB:.1f} MB, USS {got['uss'] / MB:.1f} MB, "
                f"RSS {got['rss'] / MB:.1f} MB ({got['widgets']} widgets, usable in {got['usable']:.1f} s)",
                flush=True,
            )
            before = _descendants(srv.process.pid)
        others = {p: (_pss(p), _uss(p)) for p in before}
        print(
            f"   P13 {variant}: other processes (PSS/USS MB): "
            + ", ".join(f"{psutil.Process(p).name()}[{p}] {a / MB:.0f}/{b / MB:.0f}" for p, (a, b) in others.items()),
            flush=True,
        )
    finally:
        stop_server(srv)
        shutil.rmtree(home, ignore_errors=True)
    return out


def _fig(id_: str, name: str, value: float, base: float) -> dict:
    value, base = round(value / MB, 1), round(base / MB, 1)
    return {
        "id": id_,
        "name": name,
        "value": value,
        "unit": "MB",
        "baseline": base,
        "ratio": round(base / value, 2) if value else None,
    }


def figures(ours: dict[str, dict], plain: dict[str, dict]) -> list[dict]:
    """Each app's PSS, then the mean USS of the database apps and of the other apps (ours vs plain kernels)."""
    out = [
        _fig(f"P13-{app}", f"{app} kernel, opened by its user: PSS", ours[app]["pss"], plain[app]["pss"])
        for app in ours
    ]
    groups = (
        ("db", "database apps (opgave, min-side, dashboard)", [a for a in ours if a in DB_APPS]),
        ("calc", "the other apps", [a for a in ours if a not in DB_APPS]),
    )
    for key, text, apps in groups:
        if apps:
            out.append(
                _fig(
                    f"P13-{key}-uss",
                    f"{text}: own memory (USS), mean of {len(apps)}",
                    statistics.mean(ours[a]["uss"] for a in apps),
                    statistics.mean(plain[a]["uss"] for a in apps),
                )
            )
    return out


def run() -> list[dict]:
    book = _book_dir()
    plain = measure("plain", book)
    ours = measure("ours", book)
    return figures(ours, plain)
