"""P12: the modules 1-2 apps (AUDIT-C, henvisningsguide, samtalesimulator).

Through `rusfokus serve` in Chromium: time until each app's first question
is in the page (median of 5 loads after one warm-up), and the time from a
click to the app's answer (AUDIT-C score, samtale feedback). Pure logic:
every henvisningsguide situation, and loading + checking all case files.
No baselines: these are absolute figures for a learner's wait.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from helpers.browser import CHROMIUM_ARGS
from helpers.paths import CHROMIUM, ROOT
from helpers.server import start_server, stop_server

LOADS = 5
APPS = {
    "audit-c": "text=1. Hvor tit drikker du alkohol?",
    "henvisning": "text=1. Hvem er du bekymret for?",
    "samtale": "button:has-text('Start samtalen')",
}


def _figure(id_, name, value, unit):
    return {"id": id_, "name": name, "value": value, "unit": unit, "baseline": None, "ratio": None}


def _logic() -> list[dict]:
    from rusfokus.dialog import load_cases
    from rusfokus.kommune import load_kommune
    from rusfokus.opsporing.henvisning import (
        BOERN,
        HASTEGRAD,
        HVEM,
        QUESTIONS,
        RUSMIDDEL,
        VIL_HJAELP,
        guide,
    )

    kommune = load_kommune(ROOT / "kommune.yml")
    keys = [q[0] for q in QUESTIONS]
    combos = [
        dict(zip(keys, (a, b, c, d, e), strict=True))
        for a in HVEM
        for b in RUSMIDDEL
        for c in HASTEGRAD
        for d in VIL_HJAELP
        for e in BOERN
    ]
    t0 = time.perf_counter()
    for answers in combos:
        guide(answers, kommune)
    per_guide = (time.perf_counter() - t0) / len(combos) * 1e6
    t0 = time.perf_counter()
    cases, errors = load_cases(ROOT / "modules" / "02-bekymringssamtale" / "data" / "samtaler")
    load_ms = (time.perf_counter() - t0) * 1000
    assert cases and not errors, errors
    return [
        _figure("P12.guide", "henvisningsguide: one answer (mean over all 324 answer combinations)", per_guide, "µs"),
        _figure("P12.cases", f"samtalesimulator: load and check {len(cases)} case files", load_ms, "ms"),
    ]


def _browser(book_dir: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    figures = []
    with tempfile.TemporaryDirectory(prefix="p12-") as home:
        srv = start_server(book_dir, Path(home), defaults="product")
        time.sleep(20)  # every app's preheated kernel pool fills at start-up; measure after that
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                context = browser.new_context()
                for app, selector in APPS.items():
                    times = []
                    for i in range(LOADS + 1):
                        page = context.new_page()
                        t0 = time.perf_counter()
                        page.goto(f"{srv.url}/voila/render/{app}/index.ipynb", wait_until="commit")
                        page.wait_for_selector(selector, timeout=60_000)
                        if i:
                            times.append(time.perf_counter() - t0)
                        if app == "audit-c" and i == LOADS:
                            figures.append(_audit_click(page))
                        if app == "samtale" and i == LOADS:
                            figures.append(_samtale_click(page))
                        page.close()
                        time.sleep(4)  # a person reads; the preheated pool refills
                    figures.append(
                        _figure(
                            f"P12.load.{app}",
                            f"{app}: first question in the page (median of {LOADS})",
                            statistics.median(times),
                            "s",
                        )
                    )
                context.close()
                browser.close()
        finally:
            stop_server(srv)
    return figures


def _audit_click(page) -> dict:
    for question, option in (("1. Hvor tit", "2-3 gange om ugen"), ("2. Hvor mange", "3-4")):
        group = page.locator(".widget-radio").filter(has=page.locator(".widget-label", has_text=question))
        group.get_by_label(option, exact=True).check()
    group = page.locator(".widget-radio").filter(has=page.locator(".widget-label", has_text="3. Hvor tit"))
    t0 = time.perf_counter()
    group.get_by_label("Aldrig", exact=True).check()
    page.wait_for_selector("text=Scoren er 4 ud af 12", timeout=30_000)
    return _figure("P12.click.audit-c", "AUDIT-C: last answer clicked -> score shown", time.perf_counter() - t0, "s")


def _samtale_click(page) -> dict:
    page.get_by_role("button", name="Start samtalen").click()
    page.wait_for_selector("button.rf-valg:not([disabled])", timeout=30_000)
    t0 = time.perf_counter()
    page.locator("button.rf-valg").first.click()
    page.wait_for_selector("[data-rf='feedback']", timeout=30_000)
    return _figure("P12.click.samtale", "samtale: choice clicked -> feedback shown", time.perf_counter() - t0, "s")


def run() -> list[dict]:
    from bench.p1_app_load import _book_dir

    return _logic() + _browser(_book_dir())
