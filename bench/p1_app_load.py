"""P1: time until the genstandsberegner's widgets are in the page.

Through `rusfokus serve` (preheated kernels) vs plain default
`voila widgets/genstande/index.ipynb`, same machine, same browser, median of
9 loads after one warm-up load each. Target: median <= 1.0 s, ratio >= 1.8x.
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
from helpers.server import start_server, stop_server

LOADS = 9
SELECTOR = ".widget-dropdown select"

# Runs in the page before its own scripts. The clock is the page's: from navigation
# start (performance.now() == 0) to the first frame painted after the selector is in
# the DOM. (Playwright's wait_for_selector polls with a backoff that ends in 500 ms
# steps, which added up to half a second to the figure it was meant to measure.)
CLOCK_JS = """(() => {
  if (window !== window.top) return;
  const clock = window.__rfClock = {};
  const check = () => {
    if (clock.seen !== undefined || !document.querySelector(SELECTOR_JSON)) return;
    clock.seen = -1;
    observer.disconnect();
    requestAnimationFrame(() => { clock.seen = performance.now(); });
  };
  const observer = new MutationObserver(check);
  observer.observe(document, {subtree: true, childList: true});
})();""".replace("SELECTOR_JSON", json.dumps(SELECTOR))


def _book_dir() -> Path:
    built = Path(os.environ.get("RUSFOKUS_BOOK_DIR") or ROOT / "_build" / "html")
    if (built / "index.html").exists():
        return built
    from rusfokus.book import build_book

    return build_book(ROOT)


def _wait_http(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def _measure(browser, url: str, pause: float) -> list[float]:
    context = browser.new_context()
    context.add_init_script(CLOCK_JS)
    times = []
    for i in range(LOADS + 1):
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_selector(SELECTOR, timeout=60_000)
        page.wait_for_function("() => window.__rfClock.seen > 0", timeout=10_000)
        elapsed = page.evaluate("() => window.__rfClock.seen") / 1000
        page.close()
        if i:  # the first load warms the browser cache for both servers alike
            times.append(elapsed)
        time.sleep(pause)  # a person reads the page before the next one opens it
    context.close()
    return times


def run() -> list[dict]:
    from playwright.sync_api import sync_playwright

    book = _book_dir()
    home = Path(tempfile.mkdtemp(prefix="rf-bench-p1-"))
    srv = start_server(book, home, defaults="product")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUSFOKUS_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    plain = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("voila")),
            "widgets/genstande/index.ipynb",
            "--no-browser",
            f"--port={port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_http(f"http://127.0.0.1:{port}/")
        time.sleep(8)  # let the preheated pools fill
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ours = _measure(browser, srv.url + "/voila/render/genstande/index.ipynb", pause=2.0)
            base = _measure(browser, f"http://127.0.0.1:{port}/", pause=2.0)
            browser.close()
    finally:
        plain.terminate()
        stop_server(srv)
        shutil.rmtree(home, ignore_errors=True)
    m_ours, m_base = statistics.median(ours), statistics.median(base)
    return [
        {
            "id": "P1",
            "name": f"calculator widgets in page, rusfokus serve (median of {LOADS})",
            "value": round(m_ours, 3),
            "unit": "s",
            "baseline": round(m_base, 3),
            "ratio": round(m_base / m_ours, 2),
        },
        {
            "id": "P1-max",
            "name": "calculator widgets in page, rusfokus serve (slowest load)",
            "value": round(max(ours), 3),
            "unit": "s",
            "baseline": round(max(base), 3),
            "ratio": round(max(base) / max(ours), 2),
        },
    ]
