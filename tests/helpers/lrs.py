"""A real Learning Record Store on loopback for the xAPI tests: Ralph (PyPI ralph-malph 5, FS backend),
in its own venv (`make lrs`: .venv-ralph), plus a small proxy in front of it that can answer 500 or
hang like a broken LRS, and a reader that queries the statements back."""

from __future__ import annotations

import base64
import http.server
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from helpers.paths import ROOT, free_port

RALPH_BIN = ROOT / ".venv-ralph" / "bin"
KEY, SECRET = "rusfokus-test", "lrs-hemmelighed-42"
# Ralph's API (uvicorn, as `ralph runserver` starts it, without its file-watching reloader). One change:
# Ralph 5.1's FS backend writes each POST with operation "create", which refuses once its one file
# (fs_lrs.jsonl) exists, so only the first POST of a run would be stored; here it appends. Everything
# the tests rely on (basic auth, statement ids, the duplicate check, 409, GET) is Ralph's own code.
SERVE = """
import sys
import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend
FSLRSBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host=sys.argv[1], port=int(sys.argv[2]), log_level="info")
"""


class Ralph:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/xAPI/"
        self.proc: subprocess.Popen | None = None
        self.log = folder / "ralph.log"

    def env(self) -> dict:
        return {
            **os.environ,
            "RALPH_APP_DIR": str(self.folder / "app"),
            "RALPH_AUTH_FILE": str(self.folder / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.folder / "data"),
        }

    def start(self) -> Ralph:
        if not (RALPH_BIN / "uvicorn").exists():
            raise RuntimeError("Ralph (the test LRS) is not installed: run `make lrs` (creates .venv-ralph)")
        subprocess.run(
            [
                str(RALPH_BIN / "ralph"),
                "auth",
                "-u",
                KEY,
                "-p",
                SECRET,
                "-s",
                "all",
                "-M",
                "mailto:lrs@kommune.dk",
                "-w",
            ],
            env=self.env(),
            check=True,
            capture_output=True,
            timeout=60,
        )
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(RALPH_BIN / "python"), "-c", SERVE, "127.0.0.1", str(self.port)],
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Ralph stopped: {self.log.read_text()[-2000:]}")
            try:
                self.statements()
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.3)
        raise RuntimeError(f"Ralph did not answer within 60 s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def _get(self, query: str = "") -> dict:
        request = urllib.request.Request(
            self.url + "statements" + query,
            headers={
                "Authorization": "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode(),
                "X-Experience-API-Version": "1.0.3",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def statements(self) -> list[dict]:
        """Every statement the LRS holds (queried back through its xAPI GET), oldest first."""
        found, query = [], "?limit=500&ascending=true"
        while True:
            page = self._get(query)
            found += page.get("statements", [])
            more = page.get("more")
            if not more:
                return found
            query = "?" + more.split("?", 1)[1]


class FaultyProxy:
    """An HTTP proxy on loopback in front of the LRS. ``mode``: "pass" (forward), "500" (answer 500),
    "hang" (accept and never answer until released), "down" (socket closed: nothing listens)."""

    def __init__(self, target_port: int):
        self.mode = "pass"
        self.target_port = target_port
        self.requests = 0
        self.release = threading.Event()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self._relay("POST")

            def do_GET(self):
                self._relay("GET")

            def _relay(self, method):
                proxy.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.mode == "500":
                    data = b'{"detail": "database is on fire"}'
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if proxy.mode == "hang":
                    proxy.release.wait(30)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                request = urllib.request.Request(
                    f"http://127.0.0.1:{proxy.target_port}{self.path}",
                    data=body or None,
                    method=method,
                    headers=headers,
                )
                try:
                    with urllib.request.urlopen(request, timeout=20) as response:
                        code, data, ctype = response.status, response.read(), response.headers.get("Content-Type", "")
                except urllib.error.HTTPError as exc:
                    code, data, ctype = exc.code, exc.read(), exc.headers.get("Content-Type", "")
                self.send_response(code)
                if ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/xAPI/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class RecordingLRS:
    """A receiver that accepts every xAPI POST and records the statement ids (for claim races); a context manager.
    ``endpoint`` is what RUSFOKUS_XAPI_ENDPOINT is set to."""

    def __init__(self):
        self.hits: list[str] = []
        lock = threading.Lock()
        hits = self.hits

        class Receiver(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    hits.extend(st["id"] for st in body)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/xAPI/"

    def __enter__(self) -> RecordingLRS:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def race(run, workers: int, timeout: float = 60) -> list:
    """``run()`` in ``workers`` threads at once; their results."""
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(run())) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results
