"""DEVELOPERS.md cannot rot: what it names exists, and the rules it states hold.

- Every repository path in backticks (``src/...``, ``tests/...``, ``modules/...``, ...) exists.
  Placeholders are globs: ``<name>`` is any part of a name, ``NN`` two digits, ``{a,b}`` either;
  ``file.py::test_x`` also needs the test function. Generated folders (``var/``, ``_build/``,
  nbgrader's output) are not checked, nor bare file names (``web.py``) that a row's folder
  qualifies: write the full path where it matters.
- Every dotted name ``rusfokus.a.b`` (and ``helpers.a.b``) in backticks is a module, or a name
  defined or imported at the top level of the module before it.
- The layer list is ``rusfokus.layers.LAYERS`` in order; every package and every app is named.
- Every app follows the naming rule: ``widgets/<app>/index.ipynb`` imports ``build_app`` from
  ``rusfokus.apps.<app with - as _>``.
"""

from __future__ import annotations

import ast
import glob
import json
import re
from pathlib import Path

from rusfokus import layers

from helpers.paths import ROOT

DOC = ROOT / "DEVELOPERS.md"

# First path segments that are folders of the repository, and files at its top.
REPO_FOLDERS = {"src", "tests", "modules", "widgets", "book", "bench", "tools", "exercises", ".ci"}
REPO_FILES = {
    "_config.yml",
    "_toc.yml",
    "kommune.yml",
    "Makefile",
    "pyproject.toml",
    "README.md",
    "DEVELOPERS.md",
    "package.json",
    "package-lock.json",
    ".puppeteerrc.cjs",
}
GENERATED = (
    "exercises/source",
    "exercises/release",
    "exercises/submitted",
    "exercises/autograded",
    "exercises/feedback",
    "exercises/gradebook.db",
)
DOTTED = re.compile(r"^((?:rusfokus|helpers)(?:\.[A-Za-z_]\w*)*)(?:\(.*)?$")


def code_spans(text: str) -> list[tuple[int, str]]:
    """(line number, content) of every inline code span outside fenced blocks."""
    spans, fence = [], None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        opening = re.match(r"^(`{3,})", stripped)
        if opening:
            if fence is None:
                fence = opening.group(1)
            elif stripped.startswith(fence) and stripped.strip("`") == "":
                fence = None
            continue
        if fence is None:
            if line.count("`") % 2:
                spans.append((number, "`"))  # a span crossing lines: reported, never half-checked
            spans += [(number, m.group(1).strip()) for m in re.finditer(r"`([^`]+)`", line)]
    return spans


def looks_like_repo_path(token: str) -> bool:
    if " " in token or token.startswith(("/", "..")):
        return False
    first = token.split("/", 1)[0]
    return ("/" in token and first in REPO_FOLDERS) or token in REPO_FILES


def _braces(pattern: str) -> list[str]:
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    return [p for alt in m.group(1).split(",") for p in _braces(pattern[: m.start()] + alt + pattern[m.end() :])]


def path_problem(token: str, root: Path) -> str | None:
    """Why ``token`` (a repository path, maybe with placeholders or ``::test``) does not exist, or None."""
    path, _, test_name = token.partition("::")
    if path.rstrip("/").startswith(GENERATED):
        return None
    pattern = re.sub(r"<[^>]*>", "*", path.rstrip("/"))
    pattern = pattern.replace("NN", "[0-9][0-9]")
    matches = [m for p in _braces(pattern) for m in glob.glob(str(root / p))]
    if not matches:
        return "no such file or folder"
    if path.endswith("/") and not any(Path(m).is_dir() for m in matches):
        return "not a folder"
    if test_name and not any(
        re.search(rf"^def {re.escape(test_name)}\(", Path(m).read_text(), re.M) for m in matches if m.endswith(".py")
    ):
        return f"no test function {test_name}"
    return None


def _top_level_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
    return names


def dotted_problem(name: str, root: Path) -> str | None:
    """Why ``rusfokus.a.b`` / ``helpers.a.b`` names neither a module nor a top-level name, or None."""
    parts = name.split(".")
    base = root / ("src" if parts[0] == "rusfokus" else "tests")
    module_file, depth = None, 0
    for i in range(1, len(parts) + 1):
        here = base.joinpath(*parts[:i])
        if here.is_dir() and (here / "__init__.py").is_file():
            module_file, depth = here / "__init__.py", i
        elif here.with_suffix(".py").is_file():
            module_file, depth = here.with_suffix(".py"), i
        else:
            break
    if module_file is None:
        return "no such module"
    if depth == len(parts):
        return None
    attribute = parts[depth]
    if attribute in _top_level_names(module_file.read_text(encoding="utf-8")):
        return None
    return f"{'.'.join(parts[:depth])} has no {attribute}"


def doc_problems(text: str, root: Path) -> list[str]:
    problems = []
    for line, token in code_spans(text):
        if token == "`":
            problems.append(f"DEVELOPERS.md:{line}: an odd number of backticks (keep a code span on one line)")
            continue
        if looks_like_repo_path(token):
            why = path_problem(token, root)
        else:
            m = DOTTED.match(token)
            why = dotted_problem(m.group(1), root) if m else None
        if why:
            problems.append(f"DEVELOPERS.md:{line}: `{token}`: {why}")
    return problems


def test_every_path_and_name_in_backticks_exists():
    assert doc_problems(DOC.read_text(encoding="utf-8"), ROOT) == []


def test_the_check_finds_missing_paths_and_names(tmp_path):
    (tmp_path / "src" / "rusfokus" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "rusfokus" / "__init__.py").write_text("")
    (tmp_path / "src" / "rusfokus" / "pkg" / "__init__.py").write_text("from x import there\nA, B = 1, 2\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_one():\n    pass\n")
    (tmp_path / "modules" / "01-x" / "data").mkdir(parents=True)
    doc = "\n".join(
        [
            "`src/rusfokus/pkg/` `modules/NN-<id>/data/` `tests/test_a.py::test_one` `rusfokus.pkg.there`",
            "`rusfokus.pkg.B` `make test` `/admin/` `var/rusfokus.db` `exercises/release/x`",
            "```md",
            "`src/inside/a/fence.py`",
            "```",
            "`src/rusfokus/gone.py` `tests/test_a.py::test_two` `rusfokus.pkg.missing` `rusfokus.nope(x)`",
            "`modules/NN-<id>/pages/` `tests/test_a.py/`",
            "`src/rusfokus/ crossing",
            "lines/`",
        ]
    )
    assert doc_problems(doc, tmp_path) == [
        "DEVELOPERS.md:6: `src/rusfokus/gone.py`: no such file or folder",
        "DEVELOPERS.md:6: `tests/test_a.py::test_two`: no test function test_two",
        "DEVELOPERS.md:6: `rusfokus.pkg.missing`: rusfokus.pkg has no missing",
        "DEVELOPERS.md:6: `rusfokus.nope(x)`: rusfokus has no nope",
        "DEVELOPERS.md:7: `modules/NN-<id>/pages/`: no such file or folder",
        "DEVELOPERS.md:7: `tests/test_a.py/`: not a folder",
        "DEVELOPERS.md:8: an odd number of backticks (keep a code span on one line)",
        "DEVELOPERS.md:9: an odd number of backticks (keep a code span on one line)",
    ]


def test_every_table_row_has_its_table_s_columns():
    """A ``|`` inside a code span still splits a Markdown table cell; every row keeps the header's count."""
    problems, columns = [], None
    for number, line in enumerate(DOC.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("|"):
            columns = None
            continue
        cells = len(re.findall(r"(?<!\\)\|", line))
        if columns is None:
            columns = cells
        elif cells != columns:
            problems.append(f"DEVELOPERS.md:{number}: {cells - 1} cells, the table has {columns - 1}")
    assert problems == []


def test_the_layer_list_is_the_one_in_layers_py():
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\d+\. `([^`]+)`", section, re.M)
    assert listed == layers.layer_names()


def test_every_package_and_every_app_is_named():
    text = DOC.read_text(encoding="utf-8")
    packages = sorted(p.parent.name for p in (ROOT / "src" / "rusfokus").glob("*/__init__.py"))
    apps = sorted(p.parent.name for p in (ROOT / "widgets").glob("*/index.ipynb"))
    assert [p for p in packages if f"`src/rusfokus/{p}/`" not in text] == []
    assert [a for a in apps if f"`widgets/{a}/`" not in text] == []


def test_every_app_follows_the_naming_rule():
    wrong = []
    for notebook in sorted((ROOT / "widgets").glob("*/index.ipynb")):
        app = notebook.parent.name
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        source = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        module_file = ROOT / "src" / "rusfokus" / "apps" / (app.replace("-", "_") + ".py")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", app):
            wrong.append(f"{app}: not kebab-case ASCII")
        elif f"from rusfokus.apps.{module_file.stem} import build_app" not in source:
            wrong.append(f"{app}: the notebook does not import build_app from rusfokus.apps.{module_file.stem}")
        elif not module_file.is_file() or "build_app" not in _top_level_names(module_file.read_text("utf-8")):
            wrong.append(f"{app}: no build_app() in {module_file.relative_to(ROOT)}")
    assert wrong == []
