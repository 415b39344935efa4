"""Chromium pages: waiting for an app's widgets and axe-core's WCAG check."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.paths import AXE_JS

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
    """Wait until an app's widgets are in the page (live.js marks the body when all are shown)."""
    page.wait_for_selector("body.rf-live-ready .lm-Widget", timeout=timeout)


def run_axe(page, include_frames: bool = True) -> list[dict]:
    """axe-core WCAG 2.1 A/AA; returns serious and critical violations."""
    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run `make assets` (npm ci)")
    script = AXE_JS.read_text(encoding="utf-8")
    frames = page.frames if include_frames else [page.main_frame]
    for frame in frames:
        frame.evaluate(script)
    result = page.evaluate(
        """async () => await axe.run(document,
            {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}, iframes: true})"""
    )
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n.get("target") for n in v["nodes"]][:5]}
        for v in bad
    ]


def axe_problems_on_pages(page, files: dict[str, Path]) -> dict[str, list[dict]]:
    """Open each built page as a file; name -> its serious/critical axe violations."""
    problems = {}
    for name, path in files.items():
        page.goto(Path(path).as_uri())
        page.wait_for_load_state("load")
        found = run_axe(page, include_frames=False)
        if found:
            problems[name] = found
    return problems
