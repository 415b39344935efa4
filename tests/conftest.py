"""Shared fixtures: a built book, a running `rusfokus serve`, Chromium, axe-core.

Everything is real: the book is built with Jupyter Book (warnings are errors),
the server is the same `rusfokus serve` an operator runs, the browser is
Debian's Chromium driven by playwright, accessibility is axe-core.
Set RUSFOKUS_TEST_BOOK=<built html dir> to reuse a build while developing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-gpu", "--disable-quic"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        uses_chromium = bool({"browser", "browser_page", "axe_check"} & set(getattr(item, "fixturenames", ())))
        if "/e2e/" in str(item.fspath).replace(os.sep, "/") or uses_chromium:
            item.add_marker(pytest.mark.browser)
    # Browser tests last: playwright's sync API keeps an event loop running in
    # this thread while the session's browser is open, which tornado's own
    # test loops (AsyncHTTPTestCase, run_sync) must not meet.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The whole book, built once per test session with -W -n --keep-going."""
    reuse = os.environ.get("RUSFOKUS_TEST_BOOK")
    if reuse:
        return Path(reuse)
    from rusfokus.book import build_book

    tmp = tmp_path_factory.mktemp("book")
    return build_book(ROOT, out_dir=tmp / "html", staging=tmp / "staging", quiet=True)


@dataclass
class Server:
    url: str
    port: int
    home: Path
    env: dict
    log: Path
    process: subprocess.Popen

    def secret(self) -> bytes:
        from rusfokus.identity import load_secret

        return load_secret(self.home / "secret.key")

    def learner_token(self, email: str) -> str:
        from rusfokus.identity import learner_token

        return learner_token(email, secret=self.secret())

    def admin_token(self, username: str) -> str:
        from rusfokus.identity import admin_token

        return admin_token(username, secret=self.secret())

    def cookie(self, name: str, value: str) -> dict:
        return {"name": name, "value": value, "domain": "127.0.0.1", "path": "/", "httpOnly": True, "sameSite": "Lax"}

    def rusfokus(self, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        """Run the rusfokus CLI against this server's data."""
        return subprocess.run([sys.executable, "-m", "rusfokus.cli", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, check=check, **kw)


def start_server(book_dir: Path, home: Path, extra_env: dict | None = None, timeout: float = 90) -> Server:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUSFOKUS_")}
    env.update({
        "RUSFOKUS_ROOT": str(ROOT), "RUSFOKUS_HOME": str(home), "RUSFOKUS_BOOK_DIR": str(book_dir),
        "RUSFOKUS_PORT": str(port), "RUSFOKUS_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    })
    env.update(extra_env or {})
    home.mkdir(parents=True, exist_ok=True)
    log = home / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", "rusfokus.cli", "serve"], env=env, cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"rusfokus serve exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/rusfokus/status", timeout=2) as r:
                if r.status == 200:
                    return Server(url, port, home, env, log, proc)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"rusfokus serve did not answer in {timeout}s:\n{log.read_text()[-3000:]}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(20)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def server(built_book, tmp_path_factory):
    """`rusfokus serve` on a free port with its own data folder."""
    srv = start_server(built_book, tmp_path_factory.mktemp("server-home"))
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make system-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


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
        """async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}, iframes: true})"""
    )
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n.get("target") for n in v["nodes"]][:5]} for v in bad]


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


@pytest.fixture
def axe_check():
    return run_axe
