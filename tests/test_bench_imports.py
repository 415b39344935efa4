"""Every `make bench` module imports, and every import in it resolves, without running a benchmark.

The benchmarks are run by hand (`make bench`), never by the test suite, so a moved module or a
helper that left tests/conftest.py breaks them silently. This imports each ``bench/p<N>_*.py`` as
bench/run.py does and checks every import statement in it, also the ones inside functions that
only run during a benchmark (and the Python a benchmark hands to ``python -c``): the module must
import and each imported name must exist.
"""

from __future__ import annotations

import ast
import importlib
import sys

import pytest

from helpers.paths import ROOT

BENCH = ROOT / "bench"
FILES = sorted(BENCH.glob("p[0-9]*_*.py"))


def _imports(source: str) -> list[ast.Import | ast.ImportFrom]:
    """Import statements anywhere in ``source``, and in any module-level string that is Python code."""
    tree = ast.parse(source)
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            try:
                embedded = ast.parse(node.value.value)
            except SyntaxError:  # JavaScript, prose
                continue
            found += [n for n in ast.walk(embedded) if isinstance(n, ast.Import | ast.ImportFrom)]
    return found


def _unresolved(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
        return [name for name in names if not _importable(name)]
    if node.level or node.module == "__future__":
        return []
    if node.module == "conftest":
        return [f"conftest ({', '.join(a.name for a in node.names)}): conftest holds fixtures only; use tests/helpers"]
    if not _importable(node.module):
        return [node.module]
    module = sys.modules[node.module]
    return [
        f"{node.module}.{alias.name}"
        for alias in node.names
        if not hasattr(module, alias.name) and not _importable(f"{node.module}.{alias.name}")
    ]


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


@pytest.fixture
def bench_path(monkeypatch):
    """The project root on the path, as for `python -m bench.run` (which imports bench/__init__.py)."""
    monkeypatch.syspath_prepend(str(ROOT))


def test_run_finds_every_bench_file(bench_path):
    run = importlib.import_module("bench.run")
    found = {module for _bid, module in run.discover()}
    assert FILES, f"no benchmarks under {BENCH}"
    assert found == {f"bench.{path.stem}" for path in FILES}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_bench_module_imports(bench_path, path):
    module = importlib.import_module(f"bench.{path.stem}")
    assert callable(getattr(module, "run", None)), f"{path.name} has no run() for bench/run.py"
    problems = [
        f"line {node.lineno}: {what}"
        for node in _imports(path.read_text(encoding="utf-8"))
        for what in _unresolved(node)
    ]
    assert not problems, f"{path.name} imports what is not there:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_benchmarks_measure_the_product_defaults_not_a_test_server(path):
    """A target such as P8's is "with the default settings": a bench that starts its server through
    helpers.server.start_server passes defaults="product", or it would measure a test server's smaller
    kernel cap (this happened: P8's p95 went from 0.2 s to 62 s)."""
    calls = [
        node
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("start_server")
    ]
    wrong = [
        f"line {call.lineno}"
        for call in calls
        if not any(k.arg == "defaults" and ast.unparse(k.value) == "'product'" for k in call.keywords)
    ]
    assert not wrong, f"{path.name}: start_server without defaults='product' at " + ", ".join(wrong)
