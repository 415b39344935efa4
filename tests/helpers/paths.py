"""Where things are: the project root and the tools the tests drive."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"


_GIVEN: set[int] = set()


def free_port() -> int:
    """A TCP port on loopback that nobody listens on right now, and never one this process handed out before
    (a test that picks several before starting anything gets different ones). The kernel picks it at random
    from the ephemeral range, so parallel workers and other test runs do not pick the same one in turn."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port
    raise RuntimeError("no free loopback port that this test process has not handed out already")
