"""``rusfokus samtaler``: check the samtalesimulator's case files (operator tool, English)."""

from __future__ import annotations

from pathlib import Path

from rusfokus.cliutil import CommandError
from rusfokus.content import dialogue_dir
from rusfokus.dialog.engine import all_paths
from rusfokus.dialog.schema import DialogFileError, load_case, load_cases


def _cmd_check(args) -> int:
    targets = [Path(p) for p in args.paths]
    if not targets:
        targets = [dialogue_dir(args.settings.content_dir)]
    cases, errors = [], []
    for target in targets:
        if target.is_dir():
            found, problems = load_cases(target)
            if not found and not problems:
                raise CommandError(f"{target}: no *.yml case files in this folder")
            cases += found
            errors += problems
        elif target.is_file():
            try:
                cases.append(load_case(target))
            except DialogFileError as exc:
                errors += exc.errors
        else:
            raise CommandError(f"{target}: no such file or folder")
    for case in cases:
        paths = all_paths(case)
        shortest = min(len(p) for p in paths)
        print(
            f"OK {case.source}: '{case.titel}' ({case.faggruppe}), {len(case.decision_points())} decision points, "
            f"shortest run {shortest} decisions, {len(case.safety_nodes())} safety notes"
        )
    for err in errors:
        print(f"ERROR {err}")
    return 1 if errors else 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "samtaler",
        help="Check samtalesimulator case files (YAML): fields, targets, unreachable nodes, dead ends, "
        "cycles without an end. Exit code 1 if any file has errors.",
    )
    p.add_argument(
        "paths", nargs="*", help="Case files or folders (default: modules/02-bekymringssamtale/data/samtaler)."
    )
    p.set_defaults(func=_cmd_check)
