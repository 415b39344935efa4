"""`rusfokus genopfrisk run|status`: the refresher loop from cron or by hand (operator messages in English)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from rusfokus import cliutil
from rusfokus.cliutil import CommandError


def _settings(args):
    settings = args.settings
    url = cliutil.db_url(args)
    return dataclasses.replace(settings, db_url=url) if url != settings.db_url else settings


def _now(args) -> dt.datetime:
    if not args.now:
        return dt.datetime.now()
    try:
        now = dt.datetime.fromisoformat(args.now)
    except ValueError:
        raise CommandError(f"--now {args.now!r}: give a date or time like 2027-03-01 or 2027-03-01T09:00") from None
    return now.astimezone().replace(tzinfo=None) if now.tzinfo is not None else now


def cmd_run(args) -> int:
    # lazy: loads SQLAlchemy and the features the loop uses (~0.5 s); keeps `rusfokus` start-up fast
    from rusfokus.db import session_scope
    from rusfokus.genopfrisk import loop

    settings = _settings(args)
    now = _now(args)
    try:
        with session_scope(settings.db_url) as session:
            result = loop.run(session, settings, now)
    except loop.LoopConfigError as exc:
        raise CommandError(str(exc)) from None
    print(result.summary())
    if result.opened or result.reminded:
        print(
            "the mails are sent by `rusfokus serve` within RUSFOKUS_MAIL_POLL_SECONDS, or now with `rusfokus mail run`"
        )
    return 0


def cmd_status(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.db import session_scope
    from rusfokus.genopfrisk import loop

    settings = _settings(args)
    now = _now(args)
    with session_scope(settings.db_url) as session:
        rows = loop.loop_overview(session, settings, now.date())
    if not rows:
        print("nobody is in the refresher loop yet")
        return 0
    for r in rows:
        due = f", round due since {r.due_on.isoformat()}" if r.due_on else ""
        print(f"person #{r.person_id}\t{r.module}\t{r.state}{due}")
    return 0


def register(sub) -> None:
    g = sub.add_parser(
        "genopfrisk",
        help="The refresher loop: practice rounds about 1, 3 and 6 months after a pass (RUSFOKUS_PRACTICE_MONTHS).",
    )
    gs = g.add_subparsers(dest="genopfrisk_cmd", metavar="ACTION", required=True)
    p = cliutil.db_option(
        gs.add_parser(
            "run",
            help="Start loops for new passes, open due rounds and queue their e-mail and one reminder "
            "(what `rusfokus serve` does every RUSFOKUS_PRACTICE_POLL_SECONDS; safe to run from cron).",
        )
    )
    p.add_argument("--now", metavar="WHEN", help="Run as if it were this time (ISO date or time; for tests).")
    p.set_defaults(func=cmd_run)
    p = cliutil.db_option(gs.add_parser("status", help="Everyone in the loop: module and state (by person id)."))
    p.add_argument("--now", metavar="WHEN", help="States as of this time (ISO date or time).")
    p.set_defaults(func=cmd_status)
