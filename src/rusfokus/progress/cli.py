"""`rusfokus staff|report|certificate|person|purge|admin|demo` (operator messages in English)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from rusfokus import cliutil
from rusfokus.cliutil import CommandError
from rusfokus.kommune import load_kommune
from rusfokus.progress.cli_admin import (
    cmd_admin,
    cmd_audit,
    cmd_demo_load,
    cmd_person_delete,
    cmd_person_export,
    cmd_purge,
)


def cmd_staff_import(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.identity.tokens import load_secret
    from rusfokus.progress.roster import RosterError, read_roster
    from rusfokus.progress.staff import ImportRefused, import_roster, preview_import

    try:
        roster = read_roster(args.file)
    except RosterError as exc:
        raise CommandError(str(exc)) from None
    name = Path(args.file).name
    for problem in roster.problems:
        print(problem.format(name), file=sys.stderr)
    if roster.problems and not args.skip_invalid:
        print(
            f"error: {len(roster.problems)} invalid row(s) in {name}; nothing imported. "
            "Fix the rows or use --skip-invalid to import only the valid rows.",
            file=sys.stderr,
        )
        return 1
    only = getattr(args, "only_add_update", False)
    if getattr(args, "dry_run", False):
        with cliutil.session(args) as session:
            preview = preview_import(session, roster, only_add_update=only)
        print(f"{name}: dry run, nothing imported. Would do: {preview.summary()}")
        for label, emails in (
            ("new", preview.new),
            ("changed", list(preview.changed)),
            ("re-activated", preview.reactivated),
            ("marked fratrådt", preview.leaving),
        ):
            for email in emails:
                detail = f" ({', '.join(preview.changed[email])})" if label == "changed" else ""
                print(f"  {label}: {email}{detail}")
        return 0
    with cliutil.session(args) as session:
        try:
            result = import_roster(
                session,
                roster,
                skip_invalid=args.skip_invalid,
                actor=cliutil.actor(),
                source=name,
                only_add_update=only,
                secret=load_secret(args.settings.secret_file),
            )
        except ImportRefused as exc:
            raise CommandError(f"{name}: {exc}") from None
    print(f"{name}: {len(roster.rows)} valid rows imported: {result.summary()}")
    if roster.problems:
        print(
            f"warning: {len(roster.problems)} invalid row(s) listed above were skipped; "
            "those people keep their current status",
            file=sys.stderr,
        )
    return 0


def cmd_staff_list(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.progress.staff import staff_frame

    with cliutil.session(args) as session:
        frame = staff_frame(session, include_left=not args.active)
    return cliutil.print_frame(frame, args.format, "(no staff imported yet)")


def cmd_report(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.effekt.reports import manager_report
    from rusfokus.progress.audit import log_action
    from rusfokus.progress.export import write_csv, write_xlsx
    from rusfokus.progress.reports import TABLE_TITLES

    out = Path(args.out)
    today = date.fromisoformat(args.today) if args.today else date.today()
    with cliutil.session(args) as session:
        filters = {"forvaltning": args.forvaltning, "afdeling": args.afdeling, "faggruppe": args.faggruppe}
        tables = manager_report(session, args.settings, filters, today)  # progress + proof of effect (min group)
        if args.table and args.table not in tables:
            raise CommandError(f"unknown table {args.table!r}; choose one of: {', '.join(TABLE_TITLES)}")
        if out.suffix.lower() == ".xlsx":
            write_xlsx({args.table: tables[args.table]} if args.table else tables, out)
        elif out.suffix.lower() == ".csv":
            if not args.table:
                raise CommandError(
                    f"a .csv holds one table: add --table ({', '.join(TABLE_TITLES)}) "
                    "or give a folder to get one CSV per table"
                )
            write_csv(tables[args.table], out)
        else:
            out.mkdir(parents=True, exist_ok=True)
            for key, frame in tables.items():
                if not args.table or key == args.table:
                    write_csv(frame, out / f"{key}.csv")
        log_action(session, cliutil.actor(), "report.export", str(out.name))
    print(f"report written to {out}")
    return 0


def _kommune_names(kommune_file) -> tuple[str, str]:
    try:
        k = load_kommune(kommune_file)
        return k.navn, k.rusmiddelcenter.navn
    except Exception as exc:  # a broken kommune.yml must not stop certificates
        print(f"warning: kommune.yml not usable ({exc}); printing without municipality name", file=sys.stderr)
        return "Kommunen", ""


def cmd_certificate_issue(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.gdpr import PersonNotFound, get_person
    from rusfokus.progress.audit import log_action
    from rusfokus.progress.certificates import CertificateError, certificate_pdf, ensure_certificate

    settings = args.settings
    kommune, center = _kommune_names(settings.kommune_file)
    with cliutil.session(args) as session:
        try:
            person = get_person(session, args.email)
            cert = ensure_certificate(session, person, args.module, settings.certificate_months)
            pdf = certificate_pdf(session, cert, kommune=kommune, rusmiddelcenter=center, base_url=settings.base_url)
        except (PersonNotFound, CertificateError) as exc:
            raise CommandError(str(exc)) from None
        out = Path(args.out or f"kursusbevis-{args.module}-{cert.code}.pdf")
        out.write_bytes(pdf)
        log_action(session, cliutil.actor(), "certificate.issue", f"person #{person.id}", cert.code)
    print(f"kursusbevis {cert.code} (valid until {cert.expires_on.isoformat()}) written to {out}")
    return 0


def cmd_certificate_verify(args) -> int:
    # lazy: loads SQLAlchemy (~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.progress.certificates import CertificateError, verify

    with cliutil.session(args) as session:
        try:
            result = verify(session, args.code)
        except CertificateError as exc:
            print(f"NOT VALID: {exc}", file=sys.stderr)
            return 1
    print("\n".join(result.lines()))
    return 0 if result.status != "udløbet" else 3


def register(sub) -> None:
    staff = sub.add_parser("staff", help="Import and list the staff list (medarbejderliste).")
    ss = staff.add_subparsers(dest="staff_cmd", metavar="ACTION", required=True)
    p = cliutil.db_option(
        ss.add_parser("import", help="Import a staff list (.csv as Danish Excel writes it, or .xlsx).")
    )
    p.add_argument(
        "file",
        help="CSV or .xlsx with headers such as Navn, E-mail, Arbejdssted, Afdeling, "
        "Forvaltning, Stilling, Nøgleperson.",
    )
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="Import the valid rows and list the invalid ones (exit 0). Without it any invalid row "
        "stops the import (exit 1, nothing written).",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="Show what the import would do (new, changed, re-activated, marked fratrådt, by e-mail) "
        "and write nothing.",
    )
    p.add_argument(
        "--only-add-update",
        action="store_true",
        help="A partial list (e.g. new staff of one institution): add and update the people on it, "
        "mark nobody fratrådt.",
    )
    p.set_defaults(func=cmd_staff_import)
    p = cliutil.db_option(
        ss.add_parser("list", help="List staff (name, email, institution, faggruppe, noegleperson, status).")
    )
    p.add_argument("--format", choices=("table", "csv"), default="table")
    p.add_argument("--active", action="store_true", help="Only active staff (not fratrådt).")
    p.set_defaults(func=cmd_staff_list)

    p = cliutil.db_option(
        sub.add_parser("report", help="Write the progress report (.xlsx, one .csv, or a folder of CSVs).")
    )
    p.add_argument("--out", required=True, help="FILE.xlsx, FILE.csv (with --table) or a folder.")
    p.add_argument(
        "--table",
        help="Only this table (overblik, forvaltning, afdeling, institution, faggruppe, "
        "genopfriskning, noegleperson, maaned).",
    )
    p.add_argument("--forvaltning")
    p.add_argument("--afdeling")
    p.add_argument("--faggruppe")
    p.add_argument("--today", help="Report date YYYY-MM-DD (default today).")
    p.set_defaults(func=cmd_report)

    cert = sub.add_parser("certificate", help="Print and verify kursusbeviser.")
    cs = cert.add_subparsers(dest="cert_cmd", metavar="ACTION", required=True)
    p = cliutil.db_option(cs.add_parser("issue", help="Write a person's kursusbevis for a module as PDF."))
    p.add_argument("email")
    p.add_argument("module", help="Module id, e.g. opsporing.")
    p.add_argument("--out", help="PDF file (default kursusbevis-<module>-<code>.pdf).")
    p.set_defaults(func=cmd_certificate_issue)
    p = cliutil.db_option(
        cs.add_parser("verify", help="Check a verification code (exit 0 valid, 3 expired, 1 unknown).")
    )
    p.add_argument("code")
    p.set_defaults(func=cmd_certificate_verify)

    person = sub.add_parser("person", help="GDPR: export or erase what is held on a person.")
    ps = person.add_subparsers(dest="person_cmd", metavar="ACTION", required=True)
    p = cliutil.db_option(ps.add_parser("export", help="Everything held on the person, as JSON."))
    p.add_argument("email")
    p.add_argument("--out", help="Write to this file instead of standard output.")
    p.set_defaults(func=cmd_person_export)
    p = cliutil.db_option(ps.add_parser("delete", help="Erase the person's personal data (anonymous counts are kept)."))
    p.add_argument("email")
    p.add_argument("--yes", action="store_true", help="Confirm the erasure.")
    p.add_argument("--course-dir", help="nbgrader course folder (default RUSFOKUS_COURSE_DIR or exercises/).")
    p.set_defaults(func=cmd_person_delete)

    p = cliutil.db_option(sub.add_parser("purge", help="Erase people who left longer ago than the retention period."))
    p.add_argument("--months", type=int, help="Retention in months (default RUSFOKUS_RETENTION_MONTHS).")
    p.add_argument("--dry-run", action="store_true", help="Only count who would be erased.")
    p.add_argument("--course-dir", help="nbgrader course folder (default RUSFOKUS_COURSE_DIR or exercises/).")
    p.set_defaults(func=cmd_purge)

    p = cliutil.db_option(sub.add_parser("audit", help="Show the audit log of admin actions (newest first)."))
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--format", choices=("table", "csv"), default="table")
    p.set_defaults(func=cmd_audit)

    admin = sub.add_parser("admin", help="Admin users for the dashboard and downloads.")
    ads = admin.add_subparsers(dest="admin_cmd", metavar="ACTION", required=True)
    for name, text in (("add-user", "Create an admin user."), ("set-password", "Change an admin's password.")):
        p = cliutil.db_option(
            ads.add_parser(name, help=text + " The password is read from the terminal or standard input.")
        )
        p.add_argument("username")
        p.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")
        p.set_defaults(func=cmd_admin)

    demo = sub.add_parser("demo", help="Fictional demo data for Eksempel Kommune.")
    ds = demo.add_subparsers(dest="demo_cmd", metavar="ACTION", required=True)
    p = cliutil.db_option(ds.add_parser("load", help="Load ~200 fictional staff with completions and kursusbeviser."))
    p.add_argument("--staff", type=int, default=200)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--force", action="store_true", help="Load even if the database already holds people.")
    p.add_argument("--if-empty", action="store_true", help="Only load into an empty database (the default; for make).")
    p.add_argument("--write-csv", metavar="FILE", help="Only write the demo staff list as a Danish Excel CSV.")
    p.set_defaults(func=cmd_demo_load)
