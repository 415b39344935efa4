"""`rusfokus person|purge|audit|admin|demo`: GDPR, audit log, admin users, demo data (English messages)."""

from __future__ import annotations

import getpass
import json
import secrets
import sys
from pathlib import Path

from rusfokus import cliutil
from rusfokus.cliutil import CommandError


def cmd_person_export(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.gdpr import PersonNotFound, export_person

    with cliutil.session(args) as session:
        try:
            data = export_person(
                session,
                args.email,
                actor=cliutil.actor(),
                course_dir=_course(args),
                gradebook_db=args.settings.gradebook_db,
            )
        except PersonNotFound as exc:
            raise CommandError(str(exc)) from None
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"written to {args.out}")
    else:
        print(text)
    return 0


def _course(args) -> Path:
    return Path(getattr(args, "course_dir", None) or args.settings.course_dir)


def _forget_exercises(args, emails: list[str]) -> int:
    """After the database commit: erase exercise data; report (exit 1) what could not be removed."""
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.gdpr import forget_exercises

    done, problems = forget_exercises(emails, _course(args), args.settings.gradebook_db)
    removed = sum(1 for d in done if d["folders"] or d["gradebook"])
    if emails:
        print(f"exercise data: removed for {removed} of {len(emails)} person(s) ({len(done) - removed} had none)")
    for problem in problems:
        print(f"error: exercise data not removed for {problem}", file=sys.stderr)
    if problems:
        print(
            "The database part is done and the link is revoked. Fix the problem and run "
            "`rusfokus opgave forget EMAIL` for the person(s) above.",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_person_delete(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.gdpr import PersonNotFound, delete_person
    from rusfokus.identity.tokens import load_secret
    from rusfokus.progress.roster import normalise_email

    if not args.yes:
        raise CommandError(
            "this erases the person's name, e-mail, kursusbeviser and exercise answers for good; add --yes to confirm"
        )
    email = normalise_email(args.email)
    with cliutil.session(args) as session:
        try:
            pid = delete_person(session, email, actor=cliutil.actor(), secret=load_secret(args.settings.secret_file))
        except PersonNotFound as exc:
            raise CommandError(str(exc)) from None
    print(
        f"person #{pid} erased (name, e-mail, kursusbeviser; personal link revoked); anonymous completion counts kept"
    )
    return _forget_exercises(args, [email])


def cmd_purge(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.gdpr import UNMATCHED_CHECK_IN_DAYS, due_for_purge, purge, unmatched_check_ins_due
    from rusfokus.identity.tokens import load_secret

    months = args.months if args.months is not None else args.settings.retention_months
    with cliutil.session(args) as session:
        emails = [p.email for p in due_for_purge(session, months) if p.email]
        unmatched = len(unmatched_check_ins_due(session))
        effekt_months = args.settings.effekt_retention_months  # proof of effect: answers' own retention
        ids = purge(
            session,
            months,
            actor=cliutil.actor(),
            dry_run=args.dry_run,
            effekt_retention_months=effekt_months,
            secret=load_secret(args.settings.secret_file),
        )
    verb = "would erase" if args.dry_run else "erased"
    print(f"{verb} {len(ids)} person(s) who left more than {months} months ago")
    print(
        f"{'would delete' if args.dry_run else 'deleted'} {unmatched} temadag check-in(s) nobody matched to "
        f"the staff list, from temadage more than {UNMATCHED_CHECK_IN_DAYS} days ago"
    )
    return 0 if args.dry_run else _forget_exercises(args, emails)


def cmd_audit(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.progress.audit import audit_frame

    with cliutil.session(args) as session:
        frame = audit_frame(session, limit=args.limit)
    return cliutil.print_frame(frame, args.format, "(audit log is empty)")


def _read_password(args) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise CommandError("the passwords differ")
    return first


def cmd_admin(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.identity.admins import AuthError, add_user, set_password

    password = _read_password(args)
    with cliutil.session(args) as session:
        try:
            (add_user if args.admin_cmd == "add-user" else set_password)(
                session, args.username, password, actor=cliutil.actor()
            )
        except AuthError as exc:
            raise CommandError(str(exc)) from None
    print(f"admin user {args.username!r} saved")
    return 0


def cmd_demo_load(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.identity.tokens import load_secret
    from rusfokus.progress.demo import demo_csv, load_demo

    if args.write_csv:
        Path(args.write_csv).write_bytes(demo_csv(args.staff, args.seed))
        print(f"demo staff list written to {args.write_csv}")
        return 0
    with cliutil.session(args) as session:
        # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
        from sqlalchemy import func, select

        from rusfokus.progress.models import Person

        existing = session.scalar(select(func.count(Person.id)))
        if existing and not args.force:
            print(f"database already holds {existing} people; demo data not loaded (use --force to add it)")
            return 0
        info = load_demo(
            session,
            n=args.staff,
            seed=args.seed,
            months=args.settings.certificate_months,
            secret=load_secret(args.settings.secret_file),
        )
        password = _demo_admin(session)
    print(
        f"demo data for Eksempel Kommune loaded: {info['staff']} staff ({info['import']}), "
        f"{info['results']} graded results"
    )
    if password:
        print(
            f"dashboard login: user 'konsulent', password '{password}' "
            "(change it: rusfokus admin set-password konsulent)"
        )
    return 0


def _demo_admin(session) -> str | None:
    """A first admin for the demo, with a random password, if there is no admin yet."""
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from sqlalchemy import func, select

    from rusfokus.identity.admins import add_user
    from rusfokus.progress.models import AdminUser

    if session.scalar(select(func.count(AdminUser.id))):
        return None
    password = secrets.token_urlsafe(12)
    add_user(session, "konsulent", password, actor="demo")
    return password
