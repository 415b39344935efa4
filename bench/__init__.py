"""`make bench` benchmarks (see bench/run.py).

The benchmarks drive the project the way the tests do, with the same helpers: tests/ goes on
the import path here, once, so every ``bench/p<N>_*.py`` can import ``from helpers.server
import start_server`` at its top, whether it runs through ``python -m bench.run`` or on its
own (``python -m bench.p1_app_load``). Never import from tests/conftest.py (fixtures only).
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = str(Path(__file__).resolve().parents[1] / "tests")
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)
