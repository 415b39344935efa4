"""`rusfokus opgave check|build`, `rusfokus grade --pending|--failed|--retry-failed`,
`rusfokus links` (English for operators)."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

from rusfokus.cliutil import CommandError
from rusfokus.content.loader import ContentError
from rusfokus.exercises.schema import check, load_exercise
from rusfokus.identity.tokens import load_secret
from rusfokus.progress.roster import RosterError, read_roster
from rusfokus.safe_export import SafeCsvWriter


def _course_dir(args) -> Path:
    return Path(args.course_dir) if getattr(args, "course_dir", None) else args.settings.course_dir


def cmd_check(args) -> int:
    """`rusfokus opgave check [FILE ...]`: the exercise part of `rusfokus check` (every module's
    data/opgave.yml when no file is named). Prints every problem; 1 if there are any."""
    if not args.files:
        ok, problems = check(args.settings.content_dir)
        for line in ok:
            print(f"OK {line}")
        for p in problems:
            print(f"ERROR {p}")
        return 1 if problems else 0
    rc = 0
    for f in args.files:
        try:
            ex = load_exercise(f)
        except ContentError as exc:
            for line in str(exc).splitlines():
                print(f"ERROR {line}")
            rc = 1
            continue
        print(
            f"{f}: ok ({len(ex.spoergsmaal)} questions, {ex.auto_points} auto points, "
            f"{ex.manual_points} manual points, pass at {ex.bestaa_pct:g} %)"
        )
    return rc


def cmd_build(args) -> int:
    # lazy: loads nbformat (~1 s); keeps `rusfokus` start-up fast
    from rusfokus.exercises.course import BuildError, build, build_all

    course = _course_dir(args)
    if not args.all and not args.opgaver:
        raise CommandError("name an exercise (e.g. `rusfokus opgave build opsporing`) or use --all")
    try:
        gradebook = args.settings.gradebook_db
        content = args.settings.content_dir
        results = (
            build_all(course, gradebook, content_dir=content)
            if args.all
            else [build(course, o, gradebook, content_dir=content) for o in args.opgaver]
        )
    except BuildError as exc:
        raise CommandError(str(exc)) from None
    for r in results:
        print(
            f"{r['opgave']}: built {r['source']} and {r['release']}; nbgrader validate passed "
            f"({r['questions']} questions)"
        )
    return 0


def cmd_grade(args) -> int:
    # lazy: loads nbformat (~1 s); keeps `rusfokus` start-up fast
    from rusfokus.exercises.grading import grade_pending
    from rusfokus.exercises.store import failed_attempts, retry_failed

    if not (args.pending or args.failed or args.retry_failed):
        raise CommandError(
            "use `rusfokus grade --pending` (grades every hand-in still waiting), "
            "`--failed` (lists hand-ins whose grading was given up) or `--retry-failed`"
        )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    course = _course_dir(args)
    rc = 0
    if args.retry_failed:
        print(f"put {retry_failed(course)} failed hand-in(s) back in line")
        from rusfokus.exercises import queue

        if queue.is_shared(args.settings.db_url):  # and in the shared grading queue (PostgreSQL)
            print(f"put {queue.retry_failed(args.settings.db_url)} failed job(s) of the shared queue back in line")
    if args.pending or args.retry_failed:
        # lazy: loads nbformat (~1 s) and SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
        from rusfokus.exercises.web import progress_options

        graded, failed = grade_pending(
            course,
            args.settings.grade_retries,
            args.settings.gradebook_db,
            progress_options(args.settings),
            content_dir=args.settings.content_dir,
        )
        print(f"graded {graded} pending hand-in(s); {failed} failed")
        rc = 1 if failed else 0
    given_up = failed_attempts(course)
    if given_up:
        print(
            f"{len(given_up)} hand-in(s) marked failed (grading given up; the learner is told to hand in again; "
            "`rusfokus grade --retry-failed` tries them again):"
        )
        for d in given_up:
            reason = " ".join(str(d.get("reason", "")).split())[-300:]
            print(f"  {d.get('email')} {d.get('opgave')} {d.get('stamp')}: {d.get('failures', '?')} failures; {reason}")
        rc = 1
    elif args.failed:
        print("no hand-in is marked failed")
    return rc


def cmd_forget(args) -> int:
    # lazy: loads nbformat (~1 s); keeps `rusfokus` start-up fast
    from rusfokus.exercises.store import forget_learner

    out = forget_learner(_course_dir(args), args.email.strip().lower(), args.settings.gradebook_db)
    what = ", ".join(out["folders"]) or "no folders"
    print(
        f"{args.email}: removed {what}; gradebook rows {'removed' if out['gradebook'] else 'not found'} "
        f"(student id {out['student']})"
    )
    return 0


def demo_learners(n: int = 200, seed: int = 2026) -> list[tuple[str, str]]:
    """The fictional demo staff of Eksempel Kommune (the same people `rusfokus demo` loads)."""
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.progress.demo import generate_staff

    return [(r.name, r.email) for r in generate_staff(n, seed)]


def write_links(people: list[tuple[str, str]], base_url: str, out: Path, *, secret: bytes) -> int:
    """CSV (Danish Excel: UTF-8 with BOM, ';') of Navn, E-mail, Link (signed with the server's ``secret``).
    Written atomically."""
    # lazy: loads nbformat (~1 s); keeps `rusfokus` start-up fast
    from rusfokus.exercises.store import write_atomic
    from rusfokus.identity.links import personal_link

    buf = io.StringIO()
    w = SafeCsvWriter(buf, delimiter=";", lineterminator="\r\n")  # names never become formulas
    w.writerow(["Navn", "E-mail", "Personligt link"])
    for name, email in people:
        w.writerow([name, email, personal_link(email, base_url, secret=secret)])
    write_atomic(Path(out), "\ufeff" + buf.getvalue())
    return len(people)


def cmd_links(args) -> int:
    base = args.base_url or args.settings.base_url
    if args.pdf:
        return _links_pdf(args, base)
    if not args.out:
        raise CommandError("give --out FILE.csv (or --pdf FILE.pdf)")
    if args.staff:
        raise CommandError("--staff writes a PDF: use --pdf FILE.pdf")
    if args.demo:
        people = demo_learners(args.demo_staff)
    else:
        try:
            roster = read_roster(args.roster)
        except RosterError as exc:
            raise CommandError(str(exc)) from None
        for p in roster.problems:
            print(f"skipped {p.format(Path(args.roster).name)}", file=sys.stderr)
        people = [(r.name, r.email) for r in roster.rows]
        if not people:
            raise CommandError(f"{args.roster}: no valid rows, no links written")
    n = write_links(people, base, Path(args.out), secret=load_secret(args.settings.secret_file))
    print(f"wrote {n} personal links to {args.out} (base {base}). Keep the file safe: each link logs a person in.")
    return 0


def _links_pdf(args, base: str) -> int:
    """`rusfokus links --staff --pdf FILE [--institution NAME]`: the printable sheet (identity.links)."""
    # lazy: loads nbformat (~1 s); keeps `rusfokus` start-up fast
    from rusfokus.db import session_scope
    from rusfokus.exercises.store import write_atomic
    from rusfokus.identity.links import LinksError, make_sheet
    from rusfokus.migrations import upgrade

    if not args.staff:
        raise CommandError("--pdf takes the people from the staff database: use --staff")
    url = args.settings.db_url
    upgrade(url)
    try:
        with session_scope(url) as session:
            pdf, n = make_sheet(
                session, base, institution=args.institution, actor="cli", secret=load_secret(args.settings.secret_file)
            )
    except LinksError as exc:
        raise CommandError(str(exc)) from None
    write_atomic(Path(args.pdf), pdf)
    print(f"wrote {n} personal links to {args.pdf} (base {base}). Keep the file safe: each link logs a person in.")
    return 0


def register(sub) -> None:
    op = sub.add_parser("opgave", help="Check and build the exercises (YAML → nbgrader course).")
    ops = op.add_subparsers(dest="opgave_cmd", metavar="ACTION", required=True)
    p = ops.add_parser("check", help="Validate exercise data files without building.")
    p.add_argument("files", nargs="*", help="modules/NN-<id>/data/opgave.yml (default: every module's)")
    p.set_defaults(func=cmd_check)
    p = ops.add_parser("build", help="Build source + release notebooks and run nbgrader validate.")
    p.add_argument("opgaver", nargs="*", help="Exercise ids, e.g. opsporing.")
    p.add_argument("--all", action="store_true", help="Every module's exercise (modules/NN-<id>/data/opgave.yml).")
    p.add_argument("--course-dir", help="nbgrader course folder (default RUSFOKUS_COURSE_DIR or exercises/).")
    p.set_defaults(func=cmd_build)

    p = ops.add_parser("forget", help="Erase a learner's answers, results and gradebook rows (GDPR).")
    p.add_argument("email")
    p.add_argument("--course-dir", help="nbgrader course folder (default RUSFOKUS_COURSE_DIR or exercises/).")
    p.set_defaults(func=cmd_forget)

    p = sub.add_parser("grade", help="Grade hand-ins that are still pending (also done at server start).")
    p.add_argument("--pending", action="store_true", help="Grade every pending hand-in.")
    p.add_argument("--failed", action="store_true", help="List hand-ins whose grading was given up, with the reason.")
    p.add_argument("--retry-failed", action="store_true", help="Put failed hand-ins back in line and grade them now.")
    p.add_argument("--course-dir", help="nbgrader course folder (default RUSFOKUS_COURSE_DIR or exercises/).")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("links", help="Write a CSV of personal, signed links (name, e-mail, link).")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--roster", help="Staff list (.csv or .xlsx) with Navn and E-mail columns.")
    g.add_argument("--demo", action="store_true", help="The fictional demo learners of Eksempel Kommune.")
    g.add_argument("--staff", action="store_true", help="The active staff in the database (with --pdf).")
    p.add_argument("--demo-staff", type=int, default=200, help="How many demo learners (default 200).")
    p.add_argument("--out", help="CSV file to write.")
    p.add_argument(
        "--pdf",
        help="Write a printable PDF instead (with --staff): per institution, four cards a page "
        "with name, institution, link and QR code.",
    )
    p.add_argument("--institution", help="With --pdf: only this institution (its exact name).")
    p.add_argument("--base-url", help="Public address of the server (default RUSFOKUS_BASE_URL).")
    p.set_defaults(func=cmd_links)
