"""Every import points down (rusfokus.layers) and no modules import each other round a loop.

Reads every module under src/rusfokus with ast, imports inside functions included, so a
dependency cannot hide in a function body. Failures name the file and line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from rusfokus import layers

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "rusfokus"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    file: str  # as shown in messages, e.g. src/rusfokus/progress/staff.py
    line: int
    implicit: bool = False  # importing a.b.c runs the package a.b's __init__

    def where(self) -> str:
        return f"{self.file}:{self.line}"


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: Path = PACKAGE, src: Path = SRC) -> dict[str, Path]:
    return {module_name(p, src): p for p in sorted(package.rglob("*.py")) if "__pycache__" not in p.parts}


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The longest known module that ``name`` is or lies in (``rusfokus.x.Thing`` -> ``rusfokus.x``)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, known: dict[str, Path], src: Path = SRC) -> list[Edge]:
    """Edges to other rusfokus modules, from every import statement in the file (any depth)."""
    is_package = path.name == "__init__.py"
    shown = str(path.relative_to(src.parent))
    edges: list[Edge] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                here = here[: len(here) - node.level + 1]
                base = ".".join(here + ([node.module] if node.module else []))
            # `from pkg import sub` imports the module pkg.sub; `from mod import name` imports mod.
            names = [f"{base}.{alias.name}" for alias in node.names] or [base]
        for name in names:
            target = _resolve(name, known)
            if target is None or target == module:
                continue
            edges.append(Edge(module, target, shown, node.lineno))
    return edges


def implicit_package_edges(edge: Edge) -> list[Edge]:
    """Importing a.b.c runs a/__init__ and a/b/__init__ first (those the importer is not inside)."""
    out = []
    parts = edge.target.split(".")
    for i in range(1, len(parts)):
        package = ".".join(parts[:i])
        if edge.source == package or edge.source.startswith(package + "."):
            continue
        out.append(Edge(edge.source, package, edge.file, edge.line, implicit=True))
    return out


def all_edges(package: Path = PACKAGE, src: Path = SRC) -> tuple[dict[str, Path], list[Edge]]:
    known = modules(package, src)
    edges = [e for m, p in known.items() for e in imports_of(m, p, known, src)]
    return known, edges


def layer_problems(known: dict[str, Path], edges: list[Edge], src: Path = SRC) -> list[str]:
    names = layers.layer_names()
    problems = [
        f"{p.relative_to(src.parent)}: module {m} is in no layer; add it to rusfokus/layers.py"
        for m, p in known.items()
        if layers.layer_of(m) is None
    ]
    for edge in edges:
        for e in [edge, *implicit_package_edges(edge)]:
            low, high = layers.layer_of(e.source), layers.layer_of(e.target)
            if low is None or high is None or high <= low:
                continue
            how = f" (importing {edge.target} runs {e.target}/__init__.py)" if e.implicit else ""
            problems.append(
                f"{e.where()}: {e.source} (layer {names[low]!r}) imports {e.target} (higher layer {names[high]!r}){how}"
            )
    return sorted(set(problems))


def cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:  # recursion depth is bounded by the number of modules (~150)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def cycle_problems(edges: list[Edge]) -> list[str]:
    problems = []
    for group in cycles(edges):
        inside = set(group)
        lines = sorted(
            {
                f"  {e.where()}: {e.source} imports {e.target}"
                for e in edges
                if e.source in inside and e.target in inside
            }
        )
        problems.append(f"import cycle between {', '.join(group)}:\n" + "\n".join(lines))
    return problems


def test_every_import_points_down():
    known, edges = all_edges()
    problems = layer_problems(known, edges)
    assert not problems, "imports that point up (see rusfokus/layers.py):\n" + "\n".join(problems)


def test_no_import_cycles():
    _, edges = all_edges()
    problems = cycle_problems(edges)
    assert not problems, "\n".join(problems)


# --- the checker itself catches what it should, on a small package written here ---------


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "rusfokus" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "rusfokus"


def test_checker_finds_an_upward_import_inside_a_function(tmp_path):
    pkg = _write(
        tmp_path,
        {
            "__init__.py": "",
            "progress/__init__.py": "",
            "progress/staff.py": "def f():\n    from rusfokus.apps.dashboard import build_app\n",
            "apps/__init__.py": "",
            "apps/dashboard.py": "from rusfokus.progress import staff\n",
        },
    )
    known, edges = all_edges(pkg, tmp_path)
    problems = layer_problems(known, edges, tmp_path)
    assert (
        f"{tmp_path.name}/rusfokus/progress/staff.py:2: rusfokus.progress.staff (layer 'progress') imports "
        "rusfokus.apps.dashboard (higher layer 'apps')" in problems
    )
    assert not any("apps/dashboard.py" in p for p in problems)


def test_checker_finds_a_cycle_and_names_both_lines(tmp_path):
    pkg = _write(
        tmp_path,
        {
            "__init__.py": "",
            "temadag/__init__.py": "",
            "temadag/web.py": "from rusfokus.temadag import web_admin\n",
            "temadag/web_admin.py": "import json\n\ndef f():\n    from rusfokus.temadag.web import X\n",
        },
    )
    _, edges = all_edges(pkg, tmp_path)
    assert cycles(edges) == [["rusfokus.temadag.web", "rusfokus.temadag.web_admin"]]


def test_checker_sees_the_package_init_an_import_runs(tmp_path):
    pkg = _write(
        tmp_path,
        {
            "__init__.py": "",
            "progress/__init__.py": "",
            "progress/staff.py": "from rusfokus.identity.tokens import sign\n",
            "identity/__init__.py": "from rusfokus.identity.roles import Role\n",
            "identity/tokens.py": "",
            "identity/roles.py": "",
        },
    )
    known, edges = all_edges(pkg, tmp_path)
    problems = layer_problems(known, edges, tmp_path)
    # rusfokus.identity (its __init__) is in "identity core"; it imports roles ("identity"): both point up
    assert any("rusfokus.identity (layer 'identity core') imports rusfokus.identity.roles" in p for p in problems)
    assert not any("progress.staff" in p for p in problems)


@pytest.mark.parametrize(
    "module,layer",
    [
        ("rusfokus", "base"),
        ("rusfokus.identity", "identity core"),
        ("rusfokus.identity.roles", "identity"),
        ("rusfokus.progress.staff", "progress"),
        ("rusfokus.temadag.web_admin", "interfaces"),
        ("rusfokus.cli", "entry"),
        ("rusfokus.nothing_here", None),
    ],
)
def test_layer_of(module, layer):
    index = layers.layer_of(module)
    assert (None if index is None else layers.layer_names()[index]) == layer


# --- the measured reasons for imports left inside functions still hold ---------------------

HEAVY_FOR_THE_CLI = (
    "pandas",
    "matplotlib",
    "sqlalchemy",
    "alembic",
    "nbformat",
    "nbgrader",
    "voila",
    "jupyter_server",
    "fpdf",
    "openpyxl",
    "smtplib",
    "ipywidgets",
)


def test_rusfokus_command_starts_without_heavy_libraries():
    """`rusfokus --help` (and parsing any command line) loads none of the libraries the CLI modules
    import lazily with a '# lazy: ... keeps `rusfokus` start-up fast' comment."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom rusfokus.cli import build_parser\nbuild_parser().parse_args(['settings'])\n"
        f"print(sorted(m for m in {HEAVY_FOR_THE_CLI!r} if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=SRC.parent)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
