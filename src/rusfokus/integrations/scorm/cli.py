"""``rusfokus export scorm MODULE --out FILE.zip --lms-origin https://lms.kommune.dk``: a module's SCORM 1.2
package for the municipality's LMS (``rusfokus.integrations.scorm.package``). Errors are English."""

from __future__ import annotations

from rusfokus.cliutil import CommandError
from rusfokus.identity.tokens import load_secret

DEFAULT_POLL_SECONDS = 15


def cmd_export_scorm(args) -> int:
    # lazy: the package builder reads the staff list's models (SQLAlchemy, ~0.3 s); keeps `rusfokus` start-up fast
    from rusfokus.integrations.scorm.package import ExportError, build_package

    settings = args.settings
    try:
        built = build_package(
            args.module,
            args.out,
            base_url=args.base_url or settings.base_url,
            lms_origin=args.lms_origin,
            secret=load_secret(settings.secret_file),
            rule=args.student_id,
            poll_seconds=args.poll_seconds,
        )
    except ExportError as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote {built.path} (SCORM 1.2, module {built.module}, package {built.package_id})")
    print(f"  LMS origin: {built.origin}; student id rule: {built.rule}")
    print(f"  the SCO opens {args.base_url or settings.base_url}/scorm/start for the learner")
    return 0


def register(sub) -> None:
    export = sub.add_parser("export", help="Export course material for other systems (SCORM 1.2).")
    es = export.add_subparsers(dest="export_cmd", metavar="FORMAT", required=True)
    p = es.add_parser(
        "scorm",
        help="A module's SCORM 1.2 package (imsmanifest.xml + one SCO) to import in an LMS such as Moodle. "
        "The SCO opens rusfokus in a new window and reports the test result back to the LMS.",
    )
    p.add_argument("module", metavar="MODULE", help="The module id, e.g. opsporing (see `rusfokus opgave list`).")
    p.add_argument("--out", required=True, metavar="FILE.zip", help="Where to write the package.")
    p.add_argument(
        "--lms-origin",
        required=True,
        metavar="URL",
        help="The address the LMS serves the package from, scheme and host only, e.g. https://moodle.kommune.dk. "
        "Only that origin receives the launch token and may read the learner's result.",
    )
    p.add_argument(
        "--student-id",
        default="email",
        metavar="RULE",
        help="How the LMS's cmi.core.student_id finds the person on the staff list: 'email' (the id is the "
        "e-mail address; default) or 'domain:kommune.dk' (the id is the user name before @kommune.dk).",
    )
    p.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help="rusfokus's public address as learners reach it (default RUSFOKUS_BASE_URL).",
    )
    p.add_argument(
        "--poll-seconds",
        type=float,
        default=DEFAULT_POLL_SECONDS,
        help=f"How often the SCO asks rusfokus for the result (2-600 s, default {DEFAULT_POLL_SECONDS:g}).",
    )
    p.set_defaults(func=cmd_export_scorm)
