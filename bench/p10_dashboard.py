"""P10: the consultant's dashboard, first view and full tables, in Chromium through `rusfokus serve`.

Two servers on the same machine, each with the same fictional demo data (2,000 staff
with three years of history) and a signed-in admin: the dashboard as shipped (one
preheated kernel, asked for in widgets/dashboard's metadata; header and "Henter tal og
tabeller …" first, the tables from a background thread), and as the baseline the old
behaviour in the same run: every table computed before the first paint
(``RUSFOKUS_BENCH_DASHBOARD_EAGER=1``, read only by ``dashboard.build_app`` for this
benchmark) on a server that starts a new kernel for each load (admin apps on the preheat
deny list, as they were). The clock is the page's (navigation start → the first frame
painted after the element is in the DOM), median of LOADS loads after one warm-up load, the
servers taking turns. Target: first view <= 2 s.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from helpers.browser import CHROMIUM_ARGS
from helpers.paths import CHROMIUM, ROOT, free_port
from helpers.server import Server, stop_server

LOADS = 7
STAFF = "2000"
PASSWORD = "bench-kodeord-123"
DASHBOARD = "/voila/render/dashboard/index.ipynb"
FIRST_VIEW = ".rf-dash-header h1"
TABLES = "caption"  # the first report table ("Nøgletal") is in the page
TARGET_S = 2.0

CLOCK_JS = """(() => {
  if (window !== window.top) return;
  const clock = window.__rfClock = {};
  const marks = MARKS_JSON;
  const check = () => {
    for (const [name, selector] of Object.entries(marks)) {
      if (clock[name] === undefined && document.querySelector(selector)) {
        clock[name] = -1;
        requestAnimationFrame(() => { clock[name] = performance.now(); });
      }
    }
    if (Object.keys(marks).every((n) => clock[n] !== undefined)) observer.disconnect();
  };
  const observer = new MutationObserver(check);
  observer.observe(document, {subtree: true, childList: true, characterData: true});
})();""".replace("MARKS_JSON", json.dumps({"first": FIRST_VIEW, "tables": TABLES}))


# the baseline's `rusfokus serve`: the dashboard on the preheat deny list again, as admin apps were (bench only)
LAUNCH = """
import sys
import rusfokus.server.app as app
from rusfokus.cli import main
orig = app.voila_config
def config(settings):
    c = orig(settings)
    c.VoilaKernelManager.preheat_denylist = [*c.VoilaKernelManager.preheat_denylist, "dashboard/index.ipynb"]
    pools = dict(c.VoilaKernelManager.kernel_pools_config)
    pools.pop("dashboard/index.ipynb", None)
    c.VoilaKernelManager.kernel_pools_config = pools
    return c
app.voila_config = config
sys.exit(main(["serve"]))
"""


def _start(book: Path, home: Path, env_extra: dict, baseline: bool) -> Server:
    """Like tests/helpers/server.start_server; ``baseline``: the dashboard kernel is not preheated."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUSFOKUS_")}
    env.update(
        {
            "RUSFOKUS_ROOT": str(ROOT),
            "RUSFOKUS_HOME": str(home),
            "RUSFOKUS_BOOK_DIR": str(book),
            "RUSFOKUS_PORT": str(port),
            "RUSFOKUS_HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            **env_extra,
        }
    )
    cmd = [sys.executable, "-c", LAUNCH] if baseline else [sys.executable, "-m", "rusfokus.cli", "serve"]
    log = home / "server.log"
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/rusfokus/status", timeout=2):
                return Server(url, port, home, env, log, proc)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server did not answer:\n{log.read_text()[-3000:]}")


def _server(book: Path, variant: str):
    home = Path(tempfile.mkdtemp(prefix="rf-bench-p10-"))
    if variant == "old":  # compute everything first, new kernel per load
        srv = _start(book, home, {"RUSFOKUS_BENCH_DASHBOARD_EAGER": "1"}, baseline=True)
    else:  # what ships: `rusfokus serve` as it is
        srv = _start(book, home, {}, baseline=False)
    srv.rusfokus("demo", "load", "--staff", STAFF)
    srv.rusfokus("admin", "set-password", "konsulent", "--password-stdin", input=PASSWORD + "\n")
    return srv, home


def _load(context, srv) -> tuple[float, float]:
    page = context.new_page()
    try:
        page.goto(srv.url + DASHBOARD, wait_until="commit")
        page.wait_for_function("() => window.__rfClock && window.__rfClock.first > 0", timeout=120_000)
        page.wait_for_function("() => window.__rfClock.tables > 0", timeout=120_000)
        first, tables = page.evaluate("() => [window.__rfClock.first, window.__rfClock.tables]")
        return first / 1000, tables / 1000
    finally:
        page.close()


def _fig(fid: str, name: str, value: float, base: float) -> dict:
    return {
        "id": fid,
        "name": name,
        "value": round(value, 3),
        "unit": "s",
        "baseline": round(base, 3),
        "ratio": round(base / value, 2),
    }


def run() -> list[dict]:
    from playwright.sync_api import sync_playwright

    from bench.p1_app_load import _book_dir

    book = _book_dir()
    variants = ("ours", "old")
    servers = {}
    try:
        for variant in variants:
            servers[variant] = _server(book, variant)
        time.sleep(8)  # let the preheated pool fill
        times = {v: [] for v in variants}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            contexts = {}
            for variant, (srv, _home) in servers.items():
                ctx = browser.new_context(viewport={"width": 1280, "height": 900})
                ctx.add_cookies([{**srv.cookie("rf_admin", srv.admin_token("konsulent")), "domain": "127.0.0.1"}])
                ctx.add_init_script(CLOCK_JS)
                contexts[variant] = ctx
            for i in range(LOADS + 1):
                order = variants[i % len(variants) :] + variants[: i % len(variants)]
                for variant in order:
                    measured = _load(contexts[variant], servers[variant][0])
                    if i:  # the first load of each warms the browser cache
                        times[variant].append(measured)
                    time.sleep(2.0)  # a person reads the page; the pool refills
            browser.close()
    finally:
        for srv, home in servers.values():
            stop_server(srv)
            shutil.rmtree(home, ignore_errors=True)
    first = {v: statistics.median(f for f, _t in ts) for v, ts in times.items()}
    tables = {v: statistics.median(t for _f, t in ts) for v, ts in times.items()}
    slowest = {v: max(f for f, _t in ts) for v, ts in times.items()}
    what = f"{STAFF} staff, median of {LOADS}"
    return [
        _fig(
            "P10",
            f"dashboard first view, rusfokus serve as shipped ({what}; target <= {TARGET_S:g} s)",
            first["ours"],
            first["old"],
        ),
        _fig("P10-tables", f"dashboard tables in page, as shipped ({what})", tables["ours"], tables["old"]),
        _fig("P10-max", "dashboard first view, slowest load, as shipped", slowest["ours"], slowest["old"]),
    ]
