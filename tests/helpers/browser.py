"""Chromium pages: waiting for an app's widgets and axe-core's WCAG check."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import pytest

from helpers.paths import AXE_JS
from helpers.xdist import once_per_run

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
    "--disable-quic",
]


def wait_for_widgets(page, timeout: float = 60_000) -> None:
    """Wait until an app's widgets are in the page (live.js marks the body when all are shown).

    On a timeout the failure says what the frame showed instead (its address, body classes and text), so a
    failure in CI can be told apart: a busy notice, a kernel error, a page still starting, a frame never loaded."""
    try:
        page.wait_for_selector("body.rf-live-ready .lm-Widget", timeout=timeout)
    except Exception as error:
        raise AssertionError(f"the app's widgets did not appear: {error}\n{_frame_state(page)}") from None


def _frame_state(page) -> str:
    try:
        state = page.evaluate(
            """() => ({url: location.href, body: document.body ? document.body.className : null,
                     text: document.body ? document.body.innerText.slice(0, 1500) : null,
                     html: document.documentElement.outerHTML.length})"""
        )
    except Exception as error:  # the frame is gone or never loaded
        return f"(could not read the frame: {error})"
    return json.dumps(state, ensure_ascii=False, indent=1)


AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
"""WCAG 2.1 A/AA; only violations are worked out in full (passes and incomplete are not reported here, and
leaving their details out saves about a fifth of axe's time on a book page)."""


AXE_RUN = "async (options) => await axe.run(document, options)"


@functools.cache
def _axe_script() -> str:
    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run `make assets` (npm ci)")
    return AXE_JS.read_text(encoding="utf-8")


def _serious(result: dict) -> list[dict]:
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n.get("target") for n in v["nodes"]][:5]}
        for v in bad
    ]


def run_axe(page, include_frames: bool = True) -> list[dict]:
    """axe-core WCAG 2.1 A/AA over a page (and its frames); returns serious and critical violations."""
    frames = page.frames if include_frames else [page.main_frame]
    for frame in frames:
        frame.evaluate(_axe_script())
    return _serious(page.evaluate(AXE_RUN, {**AXE_OPTIONS, "iframes": include_frames}))


def axe_in_frame(frame) -> list[dict]:
    """axe-core WCAG 2.1 A/AA on one frame's own document (an app inside its book page): serious and critical."""
    frame.evaluate(_axe_script())
    return _serious(frame.evaluate(AXE_RUN, AXE_OPTIONS))


AXE_RESULTS: Path | None = None
"""Where axe's result for a built page at a window size is kept for the whole run (conftest sets it to a folder
every xdist worker shares): several tests check some of the same pages (a module's pages, the pages a
newer test adds to it), and each page file is checked once per run and size. None: no keeping."""


def axe_problems_on_pages(page, files: dict[str, Path]) -> dict[str, list[dict]]:
    """Open each built page as a file (at the page's window size); name -> its serious/critical axe violations."""
    problems = {}
    for name, path in files.items():
        found = _axe_on_file(page, Path(path))
        if found:
            problems[name] = found
    return problems


def _axe_on_file(page, path: Path) -> list[dict]:
    def check() -> list[dict]:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        return run_axe(page, include_frames=False)

    if AXE_RESULTS is None:
        return check()
    size = page.viewport_size or {}
    what = f"{path.resolve()}|{path.stat().st_mtime_ns}|{path.stat().st_size}|{size.get('width')}x{size.get('height')}"

    def keep(folder: Path) -> Path:
        folder.mkdir(parents=True)
        (folder / "axe.json").write_text(json.dumps(check()), encoding="utf-8")
        return folder / "axe.json"

    key = hashlib.sha256(what.encode()).hexdigest()[:32]
    return json.loads(once_per_run(AXE_RESULTS / key, keep).read_text(encoding="utf-8"))


FAGGRUPPE_TAB_KEY = "sphinx-design-tab-id-faggruppe"
"""Where sphinx-design's tab sync (and rusfokus.js) keep the faggruppe tab the learner picked."""


def expect_case_shown(page, text: str, shown: bool = True) -> None:
    """A case of the remembered faggruppe tab is shown (or hidden), waiting for the page's scripts; on failure
    the message says which tab the browser remembers, so a wrong choice and a late script can be told apart."""
    from playwright.sync_api import expect

    locator = page.get_by_text(text)
    try:
        if shown:
            expect(locator).to_be_visible()
        else:
            expect(locator).to_be_hidden()
    except AssertionError as error:
        remembered = page.evaluate(f"() => window.localStorage.getItem({json.dumps(FAGGRUPPE_TAB_KEY)})")
        raise AssertionError(
            f"{text!r} is not {'shown' if shown else 'hidden'} on {page.url}; the browser remembers the "
            f"faggruppe tab {remembered!r}"
        ) from error
