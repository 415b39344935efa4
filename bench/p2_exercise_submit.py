"""P2: click "Aflever" → score on screen, in the preheated exercise app, vs `nbgrader autograde` CLI.

The clock runs from the click (after the answers are in the kernel) until the first
frame painted with the new score, read from the page's own performance clock; it
covers kernel → HTTP → queue → in-process autograde → page.

A real `rusfokus serve` with its own course folder; Chromium clicks "Aflever"
in the Voilà app and the clock stops when the new score is on the page. The
baseline grades the same submission with nbgrader's command line (what a
course without the in-process queue would run per hand-in).
Target: median ≤ 1.0 s and ≥ 3× faster than the CLI.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from helpers.browser import CHROMIUM_ARGS, wait_for_widgets
from helpers.paths import CHROMIUM, ROOT
from helpers.server import start_server, stop_server

APP = "/voila/render/opgave/index.ipynb?opgave=opsporing"
CLICKS = 9
CLI_RUNS = 3


def make_course(base: Path) -> Path:
    from rusfokus.exercises.course import build

    course = base / "course"  # the exercise itself comes from the content root (modules/01-opsporing/data/opgave.yml)
    course.mkdir(parents=True)
    shutil.copy(ROOT / "exercises" / "nbgrader_config.py", course)
    build(course, "opsporing", content_dir=ROOT / "modules")
    return course


def start(base: Path, course: Path):
    """`rusfokus serve` on a free port with a minimal book (the app is opened directly)."""
    book = base / "book"
    book.mkdir()
    (book / "index.html").write_text('<!doctype html><html lang="da"><title>bench</title><h1>bench</h1></html>')
    return start_server(book, base / "home", {"RUSFOKUS_COURSE_DIR": str(course)}, defaults="product")


def answers(ex, correct: bool) -> dict:
    from rusfokus.exercises.schema import answer_sheet

    return answer_sheet(ex, correct, "Jeg skriver ned, hvad jeg ser, og taler med min nøgleperson.")


def _fill(page, ex, correct: bool) -> None:
    chosen = answers(ex, correct)
    for q in ex.spoergsmaal:
        if q.type == "refleksion":
            page.get_by_label("Dit svar").fill(chosen[q.id])
            continue
        for o in q.valg:
            box = page.get_by_label(o.tekst, exact=True)
            if q.multiple:
                box.set_checked(o.id in chosen[q.id])
            elif o.id == chosen[q.id]:
                box.check()


# Installed in the page before each click. The clock is the page's own: from the click
# event to the first frame painted after the score text is in the DOM. (Playwright's
# wait_for polls with a backoff that ends in 500 ms steps, which added up to half a
# second of waiting to the figure it was meant to measure.)
CLOCK_JS = """(expected) => {
  const clock = window.__rfClock = {};
  document.addEventListener('click', () => { clock.click ??= performance.now(); }, {capture: true, once: true});
  const seen = () => {
    if (clock.seen !== undefined || clock.click === undefined || !document.body.textContent.includes(expected)) return;
    clock.seen = -1;
    observer.disconnect();
    requestAnimationFrame(() => { clock.seen = performance.now(); });
  };
  const observer = new MutationObserver(seen);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def browser_clicks(srv, ex, n: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(locale="da-DK")
        page.goto(f"{srv.url}/adgang/{srv.learner_token('bench.p2@eksempel-kommune.example')}")
        page.wait_for_load_state("load")
        page.goto(srv.url + APP)
        wait_for_widgets(page, 120_000)
        page.get_by_role("button", name="Aflever").wait_for(timeout=120_000)
        for i in range(n + 1):  # the first click warms the grading worker and is not counted
            correct = i % 2 == 0
            _fill(page, ex, correct)
            expected = f"Dit resultat: {ex.auto_points if correct else 0:g} af {ex.auto_points:g} point"
            # a learner reads her answers before she clicks: let the kernel take in the last changes,
            # so the clock measures hand-in → score and not the queue of checkbox messages
            page.wait_for_timeout(1500)
            page.evaluate(CLOCK_JS, expected)
            page.get_by_role("button", name="Aflever").click()
            page.get_by_text(expected).wait_for(timeout=120_000)
            page.wait_for_function("() => window.__rfClock.seen > 0", timeout=10_000)
            clock = page.evaluate("() => window.__rfClock")
            if i:
                times.append((clock["seen"] - clock["click"]) / 1000)
        browser.close()
    return times


def cli_autograde(course: Path, runs: int) -> list[float]:
    """The same submission graded by `nbgrader autograde` from the command line."""
    sub = next((course / "submitted").iterdir()).name
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).parent / "nbgrader"), "autograde", "opsporing", "--student", sub, "--force"],
            cwd=course,
            env=env,
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - t0)
    return times


def run() -> list[dict]:
    from rusfokus.exercises.schema import exercise

    ex = exercise("opsporing", ROOT / "modules")
    with tempfile.TemporaryDirectory(prefix="rf-p2-") as tmp:
        base = Path(tmp)
        course = make_course(base)
        srv = start(base, course)
        try:
            app_times = browser_clicks(srv, ex, CLICKS)
        finally:
            stop_server(srv)
        cli_times = cli_autograde(course, CLI_RUNS)
    app = statistics.median(app_times)
    cli = statistics.median(cli_times)
    return [
        {
            "id": "P2",
            "name": f"Aflever click → score on screen, median of {len(app_times)} (preheated app)",
            "value": round(app, 3),
            "unit": "s",
            "baseline": round(cli, 3),
            "ratio": round(cli / app, 2),
        },
        {
            "id": "P2-max",
            "name": "Aflever click → score on screen, slowest of the clicks (preheated app)",
            "value": round(max(app_times), 3),
            "unit": "s",
            "baseline": round(max(cli_times), 3),
            "ratio": round(max(cli_times) / max(app_times), 2),
        },
    ]


if __name__ == "__main__":
    for fig in run():
        print(fig)
