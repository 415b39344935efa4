"""What every part of the `rusfokus` command shares (operator messages are English).

The top-level ``rusfokus.cli`` and each feature's ``cli.py`` import from here, never
from each other: ``CommandError`` (a clear error, exit code 2), the ``--db`` option,
opening the database with a clear error, the audit actor and printing a table.
"""

from __future__ import annotations

import getpass
import sys


class CommandError(Exception):
    """A clear operator error: printed without a traceback, exit code 2."""


def actor() -> str:
    """How the audit log names the operator: ``cli:<login name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def db_option(parser):
    """Add ``--db URL`` to a subcommand's parser; returns the parser."""
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="Database URL (default RUSFOKUS_DB, else the SQLite file in RUSFOKUS_HOME).",
    )
    return parser


def db_url(args) -> str:
    """The database of this command (``--db`` or the setting), migrated to the newest revision;
    CommandError naming the database (never its password) if it cannot be opened."""
    # lazy: SQLAlchemy and Alembic (~0.3 s + ~0.9 s) load only for commands that open the database
    from sqlalchemy.exc import ArgumentError, OperationalError

    from rusfokus.migrations import upgrade

    url = args.db or args.settings.db_url
    if url.startswith("sqlite:///") and not args.db:
        args.settings.ensure_home()
    try:
        upgrade(url)
    except (ArgumentError, OperationalError, ModuleNotFoundError) as exc:
        shown = url.split("@")[-1] if "@" in url else url  # never print a password
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise CommandError(f"cannot open the database ({shown}): {reason}") from None
    return url


def session(args):
    """``with session(args) as s:`` a database session of this command (see ``db_url``)."""
    from rusfokus.db import session_scope  # lazy: SQLAlchemy (~0.3 s), see db_url

    return session_scope(db_url(args))


def print_frame(frame, fmt: str, empty: str) -> int:
    """A table (pandas DataFrame) on stdout: CSV for scripts, aligned text (or ``empty``) for people."""
    if fmt == "csv":
        from rusfokus.safe_export import safe_frame  # lazy: loads pandas (~0.5 s)

        sys.stdout.write(safe_frame(frame).to_csv(index=False, lineterminator="\n"))
    else:
        print(frame.to_string(index=False) if len(frame) else empty)
    return 0
