"""Where things are: the project root and the tools the tests drive."""

from __future__ import annotations

import os
import random
import shutil
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
"""Debian's full chromium: the benchmarks measure a learner's browser with it."""
HEADLESS_CHROMIUM = shutil.which("chromium-headless-shell") or "/usr/bin/chromium-headless-shell"
"""Debian's chromium-headless-shell (the same Chromium build and Blink engine without the browser's UI
layer, what Playwright itself runs for headless tests): the tests' browser. Measured here on book pages
and apps with axe: less than half the CPU of the full chromium in its headless mode (4.2 s against
10.3 s user time for the same 18 pages), which is what the browser tests on two cores wait for."""
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"


_GIVEN: set[int] = set()
_PORT_SPAN = 1500


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now, and never one this process handed out before
    (a test that picks several before starting anything gets different ones).

    Taken below the kernel's ephemeral range: a port from there (``bind(0)``) could be given to some outgoing
    connection (a kernel's, a database client's) in the seconds before the server binds it, and the server
    then failed with "address already in use". Each xdist worker picks at random in a span of its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    low = 20000 + (index * _PORT_SPAN) % max(_PORT_SPAN, _ephemeral_low() - 20000 - _PORT_SPAN)
    for _ in range(200):
        port = random.randrange(low, low + _PORT_SPAN)
        if port in _GIVEN:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _GIVEN.add(port)
        return port
    raise RuntimeError("no free loopback port that this test process has not handed out already")
