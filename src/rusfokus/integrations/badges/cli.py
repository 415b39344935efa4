"""`rusfokus badges key create|show|rotate`, `rusfokus badges revoke ID`, `rusfokus badges status`
(Open Badges 3.0 kursusbeviser; operator messages in English)."""

from __future__ import annotations

import json

from rusfokus import cliutil
from rusfokus.cliutil import CommandError


def _run(args, fn):
    # lazy: loads SQLAlchemy (~0.3 s) and openbadgeslib/cryptography; keeps `rusfokus` start-up fast
    from rusfokus.integrations.badges.issue import BadgeError
    from rusfokus.integrations.badges.keys import BadgeKeyError

    try:
        with cliutil.session(args) as s:
            return fn(s, args.settings)
    except (BadgeKeyError, BadgeError) as exc:
        raise CommandError(str(exc)) from None


def _show(session, settings) -> None:
    from rusfokus.integrations.badges import keys  # lazy: see _run

    rows = keys.describe(session, settings.home)
    print(f"issuer:      {keys.issuer_id(settings)}")
    print(f"published:   {keys.public_url(settings)}/badges/did.json and /badges/jwks.json")
    if not rows:
        print("no signing key yet: run `rusfokus badges key create`")
    for r in rows:
        print(
            f"- {r['kid']} {r['algorithm']} {r['state']} created {r['created']}"
            + (f" retired {r['retired']}" if r["retired"] else "")
        )
        print(f"  private key: {r['private_key']}")


def cmd_key_create(args) -> int:
    from rusfokus.integrations.badges import keys  # lazy: see _run

    def run(s, settings):
        key = keys.create_key(s, settings.home)
        print(f"created signing key {key.kid} (Ed25519, EdDSA)")
        _show(s, settings)

    _run(args, run)
    return 0


def cmd_key_rotate(args) -> int:
    from rusfokus.integrations.badges import keys  # lazy: see _run

    def run(s, settings):
        new, old = keys.rotate_key(s, settings.home)
        print(f"new signing key {new.kid}" + (f"; {old.kid} retired (still published for verifying)" if old else ""))
        _show(s, settings)

    _run(args, run)
    return 0


def cmd_key_show(args) -> int:
    def run(s, settings):
        if args.jwks:
            from rusfokus.integrations.badges import keys  # lazy: see _run

            print(json.dumps(keys.jwks(s, keys.issuer_id(settings)), indent=2))
        else:
            _show(s, settings)

    _run(args, run)
    return 0


def cmd_revoke(args) -> int:
    from rusfokus.integrations.badges import issue  # lazy: see _run
    from rusfokus.integrations.badges.models import REASON_OPERATOR
    from rusfokus.progress.audit import log_action

    def run(s, settings):
        row = issue.find(s, args.credential_id)
        if row is None:
            raise CommandError(f"no Open Badge credential {args.credential_id!r}")
        if not issue.revoke(s, row, REASON_OPERATOR):
            print(f"{row.credential_id} was already revoked ({row.revoked_reason})")
            return
        log_action(s, cliutil.actor(), "badge.revoke", f"person #{row.person_id}", row.credential_id)
        print(f"revoked {row.credential_id}: bit {row.status_index} of the status list is set")

    _run(args, run)
    return 0


def cmd_status(args) -> int:
    from sqlalchemy import func, select  # lazy: see _run

    from rusfokus.integrations.badges import issue
    from rusfokus.integrations.badges.models import BadgeCredential

    def run(s, settings):
        expired = issue.expire(s)
        total = s.scalar(select(func.count()).select_from(BadgeCredential))
        revoked = len(issue.revoked_indexes(s))
        print(f"status list: {issue.status_list_url(settings)}")
        print(f"credentials: {total} issued, {revoked} revoked (bit set), {expired} newly expired now")

    _run(args, run)
    return 0


def register(sub) -> None:
    badges = sub.add_parser("badges", help="Open Badges 3.0 kursusbeviser: signing keys, revocation, status list.")
    bs = badges.add_subparsers(dest="badges_cmd", metavar="ACTION", required=True)
    key = bs.add_parser("key", help="The signing key (Ed25519; private key a 0600 file in RUSFOKUS_HOME/badges/keys).")
    ks = key.add_subparsers(dest="key_cmd", metavar="ACTION", required=True)
    p = cliutil.db_option(ks.add_parser("create", help="Create the first signing key (refused if one exists)."))
    p.set_defaults(func=cmd_key_create)
    p = cliutil.db_option(ks.add_parser("show", help="The issuer id and every key (active first)."))
    p.add_argument("--jwks", action="store_true", help="Print the published JSON Web Key Set instead.")
    p.set_defaults(func=cmd_key_show)
    p = cliutil.db_option(
        ks.add_parser("rotate", help="New signing key; the old one is retired but stays published for verifying.")
    )
    p.set_defaults(func=cmd_key_rotate)
    p = cliutil.db_option(bs.add_parser("revoke", help="Revoke one credential (sets its status list bit)."))
    p.add_argument("credential_id", help="The credential id (urn:uuid:... or the uuid).")
    p.set_defaults(func=cmd_revoke)
    p = cliutil.db_option(bs.add_parser("status", help="Apply expiry to the status list and count credentials."))
    p.set_defaults(func=cmd_status)
