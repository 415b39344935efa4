"""What the pins in pyproject.toml are for, checked in the installed environment."""

from __future__ import annotations

import subprocess
import sys


def test_reading_a_notebook_or_starting_the_server_builds_no_rfc3987_parser():
    """jsonschema from 4.24 imports rfc3987-syntax (the format-nongpl extra jupyter-events asks for), which
    compiles a Lark Earley grammar on import: 1.5 s of CPU in every server, CLI command, grading and app
    kernel that imports Voilà. pyproject.toml keeps jsonschema below 4.24; this fails if that pin goes."""
    probe = (
        "import sys, nbformat, jsonschema, rusfokus.server.app, nbgrader.apps\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rfc3987_syntax', 'lark')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"imported on every start: {out.strip()}"
