"""`rusfokus mail links|invite|reminders|status|run|retry` (operator messages in English)."""

from __future__ import annotations

import dataclasses
import logging
import sys

from rusfokus import cliutil
from rusfokus.cliutil import CommandError


def _settings(args):
    """The settings, with --db applied and the database migrated (a clear error if it cannot be opened)."""
    settings = args.settings
    url = cliutil.db_url(args)
    return dataclasses.replace(settings, db_url=url) if url != settings.db_url else settings


def _queue(args, fn) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.db import session_scope
    from rusfokus.mail.queue import MailError

    settings = _settings(args)
    try:
        with session_scope(settings.db_url) as session:
            result = fn(session, settings)
    except MailError as exc:
        raise CommandError(str(exc)) from None
    print(result.summary())
    if result.queued:
        print("they are sent by `rusfokus serve` within RUSFOKUS_MAIL_POLL_SECONDS, or now with `rusfokus mail run`")
    return 0


def cmd_links(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.mail.queue import queue_links

    return _queue(
        args,
        lambda s, settings: queue_links(
            s,
            settings,
            cliutil.actor(),
            institution=args.institution,
            email=args.email,
            everyone=args.all,
            again=args.again,
        ),
    )


def cmd_invite(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.mail.queue import queue_invitations

    return _queue(args, lambda s, settings: queue_invitations(s, settings, args.temadag_id, cliutil.actor()))


def cmd_reminders(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.mail.queue import queue_reminders

    if args.days is not None and args.days < 0:
        raise CommandError("--days must be 0 or more")
    return _queue(args, lambda s, settings: queue_reminders(s, settings, cliutil.actor(), days=args.days))


def cmd_run(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.mail.worker import run_queue

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings(args)
    result = run_queue(settings, force=not args.due_only)
    print(result.summary())
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)
        return 1
    return 1 if (result.failed or result.uncertain) else 0


def cmd_status(args) -> int:
    # lazy: loads smtplib and ssl (~0.4 s) and SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from sqlalchemy import select

    from rusfokus.db import session_scope
    from rusfokus.mail.models import FAILED, KINDS, QUEUED, STATUSES, UNCERTAIN, MailMessage
    from rusfokus.mail.queue import status_counts
    from rusfokus.mail.smtp import config_problem, port_of
    from rusfokus.progress.models import Person

    settings = _settings(args)
    problem = config_problem(settings)
    if problem:
        print(f"e-mail: NOT READY: {problem}")
    else:
        login = f", login {settings.smtp_user}" if settings.smtp_user else ""
        print(
            f"e-mail: SMTP {settings.smtp_host}:{port_of(settings)} ({settings.smtp_tls}{login}), "
            f"from {settings.mail_from}"
        )
    with session_scope(settings.db_url) as s:
        counts = status_counts(s)
        if not counts:
            print("the queue is empty: nothing was ever queued")
            return 0
        print(f"{'':12}" + "".join(f"{st:>11}" for st in STATUSES))
        for kind in KINDS:
            print(f"{kind:12}" + "".join(f"{counts.get((kind, st), 0):>11}" for st in STATUSES))
        shown = (FAILED, UNCERTAIN, QUEUED) if not args.all else STATUSES
        rows = s.execute(
            select(MailMessage, Person.email)
            .join(Person, Person.id == MailMessage.person_id)
            .where(MailMessage.status.in_(shown))
            .order_by(MailMessage.id)
            .limit(args.limit)
        ).all()
        listed = [(m, e) for m, e in rows if args.all or m.status != QUEUED or m.last_error]
        if listed:
            print("\nid  kind  person  status  tries  next try / sent  last error")
        for m, email in listed:
            when = m.sent_at or m.next_attempt_at
            print(
                f"#{m.id}  {m.kind}  person #{m.person_id} <{email or '-'}>  {m.status}  {m.attempts}  "
                f"{f'{when:%Y-%m-%d %H:%M}' if when else '-'}" + (f"  {m.last_error}" if m.last_error else "")
            )
        if any(st == UNCERTAIN for _k, st in counts):
            print(
                "\nuncertain: the worker stopped while the SMTP server may have accepted the mail. It is never "
                "sent again by itself. Check the SMTP server's log for its Message-ID; to send it again: "
                "`rusfokus mail retry --uncertain ID`"
            )
    return 0


def cmd_retry(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.db import session_scope
    from rusfokus.mail.queue import retry

    if not (args.failed or args.uncertain):
        raise CommandError(
            "say which: --failed (refused by the SMTP server) and/or --uncertain (may have been "
            "delivered already: only after you checked)"
        )
    settings = _settings(args)
    with session_scope(settings.db_url) as s:
        done = retry(s, args.ids, failed=args.failed, uncertain=args.uncertain, actor=cliutil.actor())
    print(f"put {len(done)} message(s) back in the queue" + (f": {', '.join(f'#{i}' for i in done)}" if done else ""))
    return 0 if done or not args.ids else 1


def register(sub) -> None:
    mail = sub.add_parser(
        "mail",
        help="E-mail personal links, temadag invitations and refresher reminders "
        "(queued; sent by `rusfokus serve` or `rusfokus mail run`).",
    )
    ms = mail.add_subparsers(dest="mail_cmd", metavar="ACTION", required=True)

    p = cliutil.db_option(
        ms.add_parser("links", help="Queue e-mails with personal links (never to fratrådte or revoked people).")
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--institution", metavar="NAME", help="The active staff of this institution (arbejdssted).")
    who.add_argument("--email", metavar="ADDRESS", help="One person.")
    who.add_argument("--all", action="store_true", help="All active staff.")
    p.add_argument(
        "--again",
        action="store_true",
        help="Also people whose link was mailed before (a new mail each, but not to someone mailed in the "
        "last 5 minutes; without --again they are left out).",
    )
    p.set_defaults(func=cmd_links)

    p = cliutil.db_option(
        ms.add_parser(
            "invite",
            help="Queue invitations to a temadag for the active staff of its institutions "
            "(once per person; run it again after adding institutions).",
        )
    )
    p.add_argument("temadag_id", type=int, help="The temadag's id (`rusfokus temadag list`).")
    p.set_defaults(func=cmd_invite)

    p = cliutil.db_option(
        ms.add_parser(
            "reminders",
            help="Queue refresher reminders: kursusbeviser that expire soon or have "
            "expired (once per person, module and expiry date; safe to run from cron).",
        )
    )
    p.add_argument(
        "--days",
        type=int,
        default=None,
        help="Remind when the kursusbevis expires within this many days (default 60, as 'udløber snart').",
    )
    p.set_defaults(func=cmd_reminders)

    p = cliutil.db_option(
        ms.add_parser("status", help="The queue: counts per kind and status; failed, uncertain and waiting mails.")
    )
    p.add_argument("--all", action="store_true", help="List every message, also sent ones.")
    p.add_argument("--limit", type=int, default=200, help="List at most this many messages (default 200).")
    p.set_defaults(func=cmd_status)

    p = cliutil.db_option(
        ms.add_parser(
            "run", help="Send the queue now (for cron; exit 1 if the server could not be reached or a mail failed)."
        )
    )
    p.add_argument(
        "--due-only",
        action="store_true",
        help="Respect the back-off of mails that failed for now (default: try every queued mail now).",
    )
    p.set_defaults(func=cmd_run)

    p = cliutil.db_option(ms.add_parser("retry", help="Put failed or uncertain mails back in the queue."))
    p.add_argument("ids", nargs="*", type=int, help="Message ids (`rusfokus mail status`); none: all of the kind.")
    p.add_argument("--failed", action="store_true", help="Mails the SMTP server refused.")
    p.add_argument(
        "--uncertain",
        action="store_true",
        help="Mails that may have been delivered already (only after you checked the SMTP server's log).",
    )
    p.set_defaults(func=cmd_retry)
