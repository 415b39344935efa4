"""P10: the consultant's dashboard, first view and full tables, in Chromium through `rusfokus serve`.

Two servers on the same machine, each with the same fictional demo data (2,000 staff
with three years of history) and a signed-in admin: today's dashboard, which paints its
header and "Henter tal og tabeller …" first and computes the tables in a background
thread, and as the baseline the old behaviour (every table computed before the first
paint; ``RUSFOKUS_BENCH_DASHBOARD_EAGER=1``, read only by ``dashboard.build_app`` for this
benchmark). The clock is the page's (navigation start → the first frame painted after the
element is in the DOM), median of LOADS loads after one warm-up load, the two servers
taking turns. Target: first view <= 2 s.
Admin apps get no preheated kernel (server/app.py), so each load includes a kernel start.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server

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


def _server(book: Path, eager: bool):
    home = Path(tempfile.mkdtemp(prefix="rf-bench-p10-"))
    srv = start_server(book, home, extra_env={"RUSFOKUS_BENCH_DASHBOARD_EAGER": "1"} if eager else None)
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


def run() -> list[dict]:
    from playwright.sync_api import sync_playwright

    from bench.p1_app_load import _book_dir

    book = _book_dir()
    servers = []
    try:
        servers = [_server(book, eager=False), _server(book, eager=True)]
        times = {False: [], True: []}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            contexts = {}
            for eager, (srv, _home) in zip((False, True), servers, strict=True):
                ctx = browser.new_context(viewport={"width": 1280, "height": 900})
                ctx.add_cookies([{**srv.cookie("rf_admin", srv.admin_token("konsulent")), "domain": "127.0.0.1"}])
                ctx.add_init_script(CLOCK_JS)
                contexts[eager] = ctx
            for i in range(LOADS + 1):
                for eager in ((False, True) if i % 2 else (True, False)):
                    measured = _load(contexts[eager], servers[int(eager)][0])
                    if i:  # the first load of each warms the browser cache
                        times[eager].append(measured)
                    time.sleep(1.0)
            browser.close()
    finally:
        for srv, home in servers:
            stop_server(srv)
            shutil.rmtree(home, ignore_errors=True)
    med = {eager: (statistics.median(f for f, _t in ts), statistics.median(t for _f, t in ts))
           for eager, ts in times.items()}
    (new_first, new_tables), (old_first, old_tables) = med[False], med[True]
    return [
        {"id": "P10", "name": f"dashboard first view in Chromium, {STAFF} staff (median of {LOADS}; target "
         f"<= {TARGET_S:g} s)", "value": round(new_first, 3), "unit": "s", "baseline": round(old_first, 3),
         "ratio": round(old_first / new_first, 2)},
        {"id": "P10-tables", "name": f"dashboard tables in page, {STAFF} staff (median of {LOADS})",
         "value": round(new_tables, 3), "unit": "s", "baseline": round(old_tables, 3),
         "ratio": round(old_tables / new_tables, 2)},
        {"id": "P10-max", "name": "dashboard first view, slowest load", "value": round(max(f for f, _ in times[False]), 3),
         "unit": "s", "baseline": round(max(f for f, _ in times[True]), 3),
         "ratio": round(max(f for f, _ in times[True]) / max(f for f, _ in times[False]), 2)},
    ]
