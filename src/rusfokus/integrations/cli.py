"""`rusfokus integrations deliver|status|retry` (operator messages in English): the outbox's completion
events and their delivery to the integrations (xAPI to the municipality's LRS)."""

from __future__ import annotations

import dataclasses
import logging

from rusfokus import cliutil
from rusfokus.cliutil import CommandError


def _settings(args):
    settings = args.settings
    url = cliutil.db_url(args)
    return dataclasses.replace(settings, db_url=url) if url != settings.db_url else settings


def _subscriber_lines(settings) -> tuple[list[str], list[str]]:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.integrations import dispatch, xapi

    lines, problems = [], []
    for sub in dispatch.subscriber_states(settings):
        if not sub["on"]:
            lines.append(f"{sub['name']}: off ({sub['title']}; see README 'Integrations')")
        elif sub["problems"]:
            lines.append(f"{sub['name']}: NOT READY: " + "; ".join(sub["problems"]))
            problems += sub["problems"]
        else:
            where = xapi.statements_url(settings) if sub["name"] == "xapi" else ""
            lines.append(f"{sub['name']}: on{' -> ' + where if where else ''} (events: {', '.join(sub['kinds'])})")
    return lines, problems


def cmd_deliver(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.integrations import dispatch

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings(args)
    lines, problems = _subscriber_lines(settings)
    if problems:
        raise CommandError("the integration settings are not usable:\n  " + "\n  ".join(problems))
    if not dispatch.active(settings):
        raise CommandError(
            "no integration is switched on: set RUSFOKUS_XAPI_ENDPOINT, RUSFOKUS_XAPI_KEY and the secret "
            "(README, 'Integrations: xAPI to a Learning Record Store')"
        )
    result = dispatch.run_deliveries(settings)
    print(result.summary())
    return 1 if result.failed else 0


def cmd_status(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.db import session_scope
    from rusfokus.integrations import dispatch
    from rusfokus.outbox.models import STATUSES

    settings = _settings(args)
    lines, _problems = _subscriber_lines(settings)
    print("\n".join(lines))
    with session_scope(settings.db_url) as s:
        counts = dispatch.status_counts(s)
        waiting = dispatch.undelivered_events(s)
        if waiting:
            print(f"{waiting} event(s) have no delivery yet (no integration on, or not delivered since)")
        if not counts:
            print("no deliveries yet")
            return 0
        print(f"\n{'':12}" + "".join(f"{st:>11}" for st in STATUSES))
        for name in sorted({n for n, _ in counts}):
            print(f"{name:12}" + "".join(f"{counts.get((name, st), 0):>11}" for st in STATUSES))
        shown = None if args.all else ("failed", "pending", "claimed")
        listed = dispatch.listing(s, statuses=shown, limit=args.limit)
        if listed:
            print("\nid  to  event  person  status  tries  next try / delivered  reason")
        for r in listed:
            when = r["delivered_at"] or r["next_attempt_at"]
            print(
                f"#{r['id']}  {r['subscriber']}  {r['kind']} {r['module']}  person #{r['person_id']}  {r['status']}  "
                f"{r['attempts']}  {f'{when:%Y-%m-%d %H:%M}' if when else '-'}"
                + (f"  {r['last_error']}" if r["last_error"] else "")
            )
    return 0


def cmd_retry(args) -> int:
    from rusfokus.db import session_scope  # lazy: SQLAlchemy (~0.3 s)
    from rusfokus.integrations.dispatch import retry_now

    settings = _settings(args)
    with session_scope(settings.db_url) as s:
        done = retry_now(s, args.ids, cliutil.actor())
    print(f"{len(done)} failed deliveries are due now; `rusfokus integrations deliver` or the server sends them")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "integrations",
        help="Completion events to other systems (xAPI to the municipality's LRS): deliver, status, retry.",
    )
    ps = p.add_subparsers(dest="integrations_command", required=True)
    q = cliutil.db_option(
        ps.add_parser("deliver", help="Deliver the due events now (the server does it every few seconds).")
    )
    q.set_defaults(func=cmd_deliver)
    q = cliutil.db_option(
        ps.add_parser("status", help="Each integration's settings, and deliveries: pending, delivered, failed.")
    )
    q.add_argument("--all", action="store_true", help="List delivered ones too.")
    q.add_argument("--limit", type=int, default=200, help="List at most this many deliveries (default 200).")
    q.set_defaults(func=cmd_status)
    q = cliutil.db_option(ps.add_parser("retry", help="Make failed deliveries due now (instead of after back-off)."))
    q.add_argument("ids", nargs="*", type=int, help="Delivery ids (`rusfokus integrations status`); none: all failed.")
    q.set_defaults(func=cmd_retry)
