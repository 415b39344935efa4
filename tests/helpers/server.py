"""`rusfokus serve` as an operator runs it, started as a subprocess with its own data folder."""

from __future__ import annotations

import atexit
import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rusfokus.identity import admin_token, learner_token, load_secret

from helpers.paths import ROOT, free_port


@dataclass
class Server:
    url: str
    port: int
    home: Path
    env: dict
    log: Path
    process: subprocess.Popen
    course: Path | None = None  # its nbgrader course folder, when the test made one

    def secret(self) -> bytes:
        return load_secret(self.home / "secret.key")

    def learner_token(self, email: str) -> str:
        return learner_token(email, secret=self.secret())

    def admin_token(self, username: str) -> str:
        return admin_token(username, secret=self.secret())

    def cookie(self, name: str, value: str) -> dict:
        return {"name": name, "value": value, "domain": "127.0.0.1", "path": "/", "httpOnly": True, "sameSite": "Lax"}

    def rusfokus(self, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        """Run the rusfokus CLI against this server's data."""
        return subprocess.run(
            [sys.executable, "-m", "rusfokus.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=check,
            **kw,
        )


TEST_MAX_KERNELS = "40"
"""A test server's kernel cap (``RUSFOKUS_MAX_KERNELS``). Benchmarks measure the product as `make run` starts it
and pass ``defaults="product"``."""
TEST_POOL_SIZE = "0"
"""A test server preheats no kernel (``RUSFOKUS_POOL_SIZE=0``): a test of the pools passes its own size. Measured:
the 20 kernels of the real apps' pools were 6 of a test server's 10 CPU-seconds to start, and ten of the run's
servers open few apps or none."""


def start_server(
    book_dir: Path, home: Path, extra_env: dict | None = None, timeout: float = 90, defaults: str = "test"
) -> Server:
    """``defaults="test"``: a test server (smaller kernel cap, TEST_MAX_KERNELS); ``"product"``: every setting an
    operator does not set has the product's default (what the benchmarks measure)."""
    if defaults not in ("test", "product"):
        raise ValueError(f"defaults must be 'test' or 'product', not {defaults!r}")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUSFOKUS_")}
    env.update(
        {
            "RUSFOKUS_ROOT": str(ROOT),
            "RUSFOKUS_HOME": str(home),
            "RUSFOKUS_BOOK_DIR": str(book_dir),
            "RUSFOKUS_PORT": str(port),
            "RUSFOKUS_HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    if defaults == "test":
        # pools of 20 preheated kernels per app (the calculators') serve a staff meeting, not a test: a test
        # server has room for 40 kernels and preheats none (TEST_POOL_SIZE) unless the test asks, because most
        # tests open no app or a few, and a pool is refilled after each page it serves
        env["RUSFOKUS_MAX_KERNELS"] = TEST_MAX_KERNELS
        env["RUSFOKUS_POOL_SIZE"] = TEST_POOL_SIZE
    env.update(extra_env or {})
    home.mkdir(parents=True, exist_ok=True)
    log = home / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rusfokus.cli", "serve"],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
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


_stopping: list[subprocess.Popen] = []


def stop_server(server: Server, wait: bool = True) -> None:
    """Stop it (SIGTERM: it shuts its kernels down one by one, 5-20 s on this machine). ``wait=False``: return
    at once and let it finish in the background (a fixture's teardown, when nothing after it needs the port
    or the process gone); the test process waits for every such server when it exits."""
    server.process.terminate()
    if not wait:
        _stopping.append(server.process)
        return
    try:
        server.process.wait(20)
    except subprocess.TimeoutExpired:
        server.process.kill()


@atexit.register
def _wait_for_stopping_servers() -> None:
    deadline = time.monotonic() + 20
    for proc in _stopping:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for_log(server: Server, pattern: str, timeout: float = 120) -> re.Match:
    """Wait until the server's log has a line matching ``pattern`` (a regex); return the match."""
    deadline = time.monotonic() + timeout
    while True:
        found = re.search(pattern, server.log.read_text(encoding="utf-8", errors="replace"), re.M)
        if found:
            return found
        if server.process.poll() is not None:
            raise RuntimeError(f"rusfokus serve exited {server.process.returncode}:\n{server.log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no log line matching {pattern!r} in {timeout}s:\n{server.log.read_text()[-3000:]}")
        time.sleep(0.2)


def wait_for_preheated(server: Server, apps: list[str], timeout: float = 180) -> None:
    """Wait until Voilà says each app's pool of preheated kernels is full (its kernels wait for a request)."""
    for app in apps:
        wait_for_log(server, rf"Kernel pool of \S*{re.escape(app)}/index\.ipynb is filled", timeout)
