"""The ``rusfokus`` command. Operator messages are English.

Core commands live here; each feature package contributes its own
subcommands through ``<package>.cli.register(subparsers)``, listed in ``FEATURES``
(the registry). What the commands share (``CommandError``, ``--db``, opening the
database) is in ``rusfokus.cliutil``, below the features.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from rusfokus.cliutil import CommandError
from rusfokus.content.loader import DataFileError
from rusfokus.settings import Settings

FEATURES = [
    "rusfokus.exercises.cli",
    "rusfokus.progress.cli",
    "rusfokus.temadag.cli",
    "rusfokus.mi.cli",
    "rusfokus.dialog.cli",
    "rusfokus.mail.cli",
    "rusfokus.integrations.cli",
    "rusfokus.genopfrisk.cli",
    "rusfokus.integrations.badges.cli",
    "rusfokus.integrations.scorm.cli",
    "rusfokus.integrations.lti.cli",
    "rusfokus.cluster",  # `rusfokus cluster` (make cluster): an entry point like serve, not a feature
]


def _cmd_serve(args) -> int:
    # lazy: loads Voilà (~5 s) and jupyter_server (~2 s); keeps `rusfokus` start-up fast
    from rusfokus.server.app import serve

    return serve(args.settings, open_browser=False)


def _cmd_check(args) -> int:
    """Every content file and kommune.yml (all problems listed; exit 1 if any), then, unless
    --content, what the server needs (built book, app front end, apps)."""
    # lazy: rusfokus.check loads every content loader (~0.5 s); keeps `rusfokus` start-up fast
    from rusfokus.check import check_all, report

    rc = report(check_all(args.settings))
    if args.content or rc:
        return rc
    # lazy: loads Voilà (~5 s) and jupyter_server (~2 s); only once the content is fine
    from rusfokus.server.app import ServeError, preflight

    try:
        for line in preflight(args.settings, require_book=not args.no_book):
            if line.startswith("kommune.yml"):
                continue  # the content part above has reported kommune.yml already
            print(f"OK {line.replace(' ok:', ':', 1)}")
    except ServeError as exc:
        print(f"ERROR {exc}")
        return 1
    return 0


def _cmd_settings(args) -> int:
    for _name, env, value, source, help_text in args.settings.rows():
        print(f"{env}={value}  [{source}]\n    {help_text}")
    return 0


def settings_for(args) -> Settings:
    """The one Settings of this command: the environment, with the command's setting options on top
    (a subcommand names them with ``set_defaults(setting_options=(...))``; `serve`: --port, --host,
    --book-dir). Another command's option of the same name (e.g. `temadag ics --host`) is not a setting."""
    names = getattr(args, "setting_options", ())
    given = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    return Settings.from_env(**given)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rusfokus", description="rusfokus: e-learning in early detection of alcohol and drug problems."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("serve", help="Serve the built book and the live apps on one address.")
    p.add_argument("--port", type=int, default=None, help="Port (default RUSFOKUS_PORT or 8866).")
    p.add_argument("--host", default=None, help="Address to listen on (default RUSFOKUS_HOST or 127.0.0.1).")
    p.add_argument("--book-dir", default=None, help="The built book (default _build/html).")
    p.set_defaults(func=_cmd_serve, setting_options=("port", "host", "book_dir"))

    p = sub.add_parser(
        "check",
        help="Validate every content file (exercises, temadag questions, dialogue trees, MI data) "
        "and kommune.yml, listing every problem, then the built book and the apps. "
        "Exit code 0: all ok; 1: problems to fix; 2: wrong use of the command.",
    )
    p.add_argument("--no-book", action="store_true", help="Do not require a built book.")
    p.add_argument("--content", action="store_true", help="Only the content files and kommune.yml (no book, no apps).")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "settings", help="Show every setting, its current value, where the value comes from and what it does."
    )
    p.set_defaults(func=_cmd_settings)

    for modname in FEATURES:
        importlib.import_module(modname).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.settings = settings_for(args)
    except ValueError as exc:  # a setting with a value of the wrong kind, named with its env var
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except (CommandError, DataFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
