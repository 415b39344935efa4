"""`rusfokus check`: validate every content file and kommune.yml in one run.

Each part is a feature's own check (``check(root) -> (ok_lines, problems)``);
this module only runs them all and lists every problem, so an operator sees
the whole list at once. Problems are printed in the loader's one style
``file:line: field: message``. The separate commands (`rusfokus opgave check`,
`rusfokus samtaler`, `rusfokus mi-check`) run the same checks for one part.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from rusfokus.content import content_root, mi_file
from rusfokus.content import genopfrisk as genopfrisk_pool
from rusfokus.content.loader import ContentError, DataFileError, Problem, display_path
from rusfokus.content.registry import modules
from rusfokus.dialog import schema as dialog_schema
from rusfokus.exercises import schema as exercise_schema
from rusfokus.kommune import load_kommune
from rusfokus.mi.coach import COACH_NAME, load_items
from rusfokus.mi.dataset import DATASET_NAME, load_dataset
from rusfokus.mi.forandring import FORANDRING_NAME, load_cirkel
from rusfokus.settings import Settings
from rusfokus.temadag import questions as temadag_questions
from rusfokus.unge import cases as unge_cases

Result = tuple[list[str], list[Problem]]
_FOLDER = re.compile(r"^\d\d-")


def check_registry(root: Path) -> Result:
    """Every module folder in the content root is in the registry, and every registry module has its folder."""
    problems = []
    known = {m.folder for m in modules()}
    for m in modules():
        if not (root / m.folder).is_dir():
            problems.append(
                Problem(
                    display_path(root / m.folder),
                    None,
                    "",
                    f"missing: the folder of module '{m.id}' (rusfokus.content.registry)",
                )
            )
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and _FOLDER.match(p.name)):
            if folder.name not in known:
                problems.append(
                    Problem(
                        display_path(folder),
                        None,
                        "",
                        "a module folder that is not in the module registry "
                        "(add it to MODULES in rusfokus/content/registry.py)",
                    )
                )
    ok = [] if problems else [f"{display_path(root)}: {len(known)} module folders match the registry"]
    return ok, problems


def check_mi(root: Path) -> Result:
    """Module 3's MI data: the coder's dataset, the coach's statements, the forandringscirkel."""
    ok, problems = [], []
    for name, load, what in (
        (DATASET_NAME, load_dataset, "coded responses"),
        (COACH_NAME, load_items, "practice statements"),
        (FORANDRING_NAME, load_cirkel, None),
    ):
        path = mi_file(name, root)
        try:
            data = load(path)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        size = f"{len(data.situations)} situations" if what is None else f"{len(data)} {what}"
        ok.append(f"{display_path(path)}: {size}")
    return ok, problems


def check_kommune(settings: Settings) -> Result:
    try:
        k = load_kommune(settings.kommune_file)
    except ContentError as exc:
        return [], exc.problems
    except DataFileError as exc:  # kommune.py words its one problem in the same style, as text
        return [], [Problem("", None, "", line) for line in str(exc).splitlines()]
    return [
        f"{display_path(settings.kommune_file)}: {k.navn}, {len(k.tilbud)} offers, {len(k.ungetilbud)} youth offers"
    ], []


def parts(settings: Settings) -> list[tuple[str, Callable[[], Result]]]:
    """(name, check) for every part, in the order they are printed."""
    root = content_root(settings)
    return [
        ("modules", lambda: check_registry(root)),
        ("exercises", lambda: exercise_schema.check(root)),
        ("temadag", lambda: temadag_questions.check(root)),
        ("dialogues", lambda: dialog_schema.check(root)),
        ("mi", lambda: check_mi(root)),
        ("signal-eller-stoej", lambda: unge_cases.check(root)),
        ("genopfrisk", lambda: genopfrisk_pool.check(root)),
        ("kommune", lambda: check_kommune(settings)),
    ]


def check_all(settings: Settings) -> Result:
    """Run every part; (OK lines, every problem)."""
    ok: list[str] = []
    problems: list[Problem] = []
    for _name, run in parts(settings):
        lines, found = run()
        ok += lines
        problems += found
    return ok, problems


def report(result: Result, out=print) -> int:
    """Print OK lines and problems; 0 when there are none, 1 otherwise."""
    ok, problems = result
    for line in ok:
        out(f"OK {line}")
    for p in problems:
        out(f"ERROR {p}")
    if problems:
        out(f"{len(problems)} problem(s): fix them and run `rusfokus check` again.")
        return 1
    return 0
