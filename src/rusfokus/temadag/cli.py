"""`rusfokus temadag create|list|export|attendance|evaluation|delete` (operator messages in English)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from rusfokus import cliutil
from rusfokus.cliutil import CommandError
from rusfokus.content.registry import module_ids


def cmd_create(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.temadag import planning, store

    raw = {
        "title": args.title,
        "date": args.date,
        "start": args.start,
        "duration_min": args.duration,
        "place": args.place,
        "modules": args.modules,
        "facilitator": args.facilitator,
        "facilitator_email": args.facilitator_email or "",
        "institutions": args.institutions or "",
        "counts_toward_module": args.counts_toward_module,
    }
    try:
        plan = planning.validate_plan(raw)
    except planning.PlanningError as exc:
        raise CommandError(f"temadag not created: {exc}") from None
    with cliutil.session(args) as session:
        row = store.create(session, plan, cliutil.actor(), dt.datetime.now())
        print(f"created temadag #{row.id}: {plan.title} on {plan.date} {plan.start:%H:%M} at {plan.place}")
        print(f"facilitator page: /temadag/admin/{row.id}  (projector: /temadag/admin/{row.id}/skaerm)")
    return 0


def cmd_list(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.temadag import store

    today = dt.date.today()
    with cliutil.session(args) as session:
        plans = store.list_plans(session, args.year)
    if not plans:
        print("no temadage" + (f" in {args.year}" if args.year else ""))
        return 0
    for p in plans:
        print(
            f"#{p.id:<4} {p.date} {p.start:%H:%M} {p.duration_min:>3} min  {p.status(today):<8} "
            f"{p.attended:>3} checked in  {p.title}  [{', '.join(p.modules)}]  {p.place}"
        )
    return 0


def cmd_export(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.temadag import planning, store

    out = Path(args.output)
    kind = out.suffix.lower().lstrip(".")
    if kind not in ("xlsx", "ics"):
        raise CommandError(f"{out}: the file name must end in .xlsx or .ics")
    with cliutil.session(args) as session:
        plans = store.list_plans(session, args.year)
        evaluations = {p.id: store.evaluation_summary(session, p.id) for p in plans if p.evaluations}
    if kind == "xlsx":
        data = planning.export_xlsx(plans, dt.date.today(), evaluations)
    else:
        data = planning.export_ics(plans, args.host, dt.datetime.now(dt.UTC)).encode("utf-8")
    tmp = out.with_name(out.name + ".tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CommandError(f"cannot write {out}: {exc.strerror}") from None
    print(f"wrote {len(plans)} temadag(e) to {out}")
    return 0


def cmd_attendance(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.temadag import store

    with cliutil.session(args) as session:
        rows = store.attendance_rows(session)
    if args.temadag:
        with cliutil.session(args) as session:
            row = store.get(session, args.temadag)
            if row is None:
                raise CommandError(f"no temadag #{args.temadag}")
            title, day = row.title, row.date
        rows = [r for r in rows if r["Temadag"] == title and r["Dato"] == day]
    for r in rows:
        print(f"{r['Dato']}  {r['Temadag']}  {r['Navn']} <{r['E-mail']}>  {r['Institution']}  ({r['Hvordan']})")
    print(f"{len(rows)} attendance record(s)", file=sys.stderr)
    return 0


def cmd_evaluation(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.temadag import store

    with cliutil.session(args) as session:
        if store.get(session, args.temadag) is None:
            raise CommandError(f"no temadag #{args.temadag}")
        summary = store.evaluation_summary(session, args.temadag)
    print(f"{summary['count']} evaluation(s)")
    for q in summary["questions"]:
        print(f"  {q['mean'] if q['mean'] is not None else '-':>4}  {q['distribution']}  {q['statement']}")
    for comment in summary["comments"]:
        print(f"  - {comment}")
    return 0


def cmd_delete(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.temadag import store

    with cliutil.session(args) as session:
        row = store.get(session, args.temadag)
        if row is None:
            raise CommandError(f"no temadag #{args.temadag}")
        title = row.title
        if not store.delete_temadag(session, row):
            raise CommandError(f"temadag #{args.temadag} has checked-in participants; it is kept as history")
    print(f"deleted temadag #{args.temadag}: {title}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("temadag", help="Plan temadage, export the årshjul, see attendance and evaluations.")
    sub = p.add_subparsers(dest="temadag_command", metavar="ACTION")
    sub.required = True

    def add(name, func, help_text):
        q = cliutil.db_option(sub.add_parser(name, help=help_text))
        q.set_defaults(func=func)
        return q

    q = add("create", cmd_create, "Plan a temadag.")
    q.add_argument("--title", required=True)
    q.add_argument("--date", required=True, help="YYYY-MM-DD")
    q.add_argument("--start", default="09:00", help="HH:MM (default 09:00)")
    q.add_argument("--duration", default="180", help="180 (temadag) or 45 (personalemøde) minutes")
    q.add_argument("--place", required=True)
    q.add_argument("--modules", required=True, help=f"comma-separated: {', '.join(module_ids())}")
    q.add_argument("--facilitator", required=True, help="the nøgleperson's name")
    q.add_argument("--facilitator-email")
    q.add_argument("--institutions", help="invited institutions, comma- or semicolon-separated")
    q.add_argument(
        "--counts-toward-module",
        action="store_true",
        help="attendance counts as a completed module (issues a kursusbevis)",
    )

    q = add("list", cmd_list, "List temadage (planned and held).")
    q.add_argument("--year", type=int)

    q = add("export", cmd_export, "Export the årshjul as .xlsx or .ics.")
    q.add_argument("output", help="file to write, ending in .xlsx or .ics")
    q.add_argument("--year", type=int)
    q.add_argument("--host", default="rusfokus", help="host name used in calendar event ids")

    q = add("attendance", cmd_attendance, "List checked-in participants.")
    q.add_argument("--temadag", type=int, help="only this temadag id")

    q = add("evaluation", cmd_evaluation, "Show the evaluation summary of a temadag.")
    q.add_argument("temadag", type=int)

    q = add("delete", cmd_delete, "Cancel (delete) a temadag nobody has checked in to.")
    q.add_argument("temadag", type=int)
