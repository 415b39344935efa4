"""``rusfokus lti key create|show`` and ``rusfokus lti check`` (operator messages in English): the LTI
1.3 tool's key and its platform registrations (``RUSFOKUS_LTI_FILE``)."""

from __future__ import annotations

import json

from rusfokus.cliutil import CommandError


def cmd_key(args) -> int:
    from rusfokus.integrations.lti import keys

    settings = args.settings
    try:
        if args.key_cmd == "create":
            path = keys.create(settings.lti_key_file, replace=args.replace)
            print(f"wrote {path} (RSA 2048, mode 0600)")
        print(json.dumps(keys.jwks(settings.lti_key_file), indent=2))
    except keys.KeyError_ as exc:
        raise CommandError(str(exc)) from None
    except FileNotFoundError:
        raise CommandError(f"{settings.lti_key_file} does not exist: run `rusfokus lti key create`") from None
    print(f"the LMS's 'public keyset URL' for rusfokus: {settings.base_url.rstrip('/')}/lti/jwks.json")
    return 0


def cmd_check(args) -> int:
    from rusfokus.integrations.lti import platforms

    settings = args.settings
    try:
        regs = platforms.load(settings.lti_file)
    except platforms.PlatformError as exc:
        raise CommandError(str(exc)) from None
    if not regs:
        print(f"LTI is off: {settings.lti_file} does not exist (see README 'LTI 1.3: launch from the LMS')")
        return 0
    base = settings.base_url.rstrip("/")
    for p in regs:
        print(f"{p.name}: issuer {p.issuer}, client_id {p.client_id}, deployments {', '.join(p.deployment_ids)}")
    print("register rusfokus in the LMS with:")
    print(f"  tool URL / target link URI: {base}/lti/launch?modul=<module id>")
    print(f"  initiate login URL:         {base}/lti/login")
    print(f"  redirection URI:            {base}/lti/launch")
    print(f"  public keyset URL:          {base}/lti/jwks.json")
    return 0


def register(sub) -> None:
    lti = sub.add_parser("lti", help="LTI 1.3: the tool key and the LMS platforms allowed to launch modules.")
    ls = lti.add_subparsers(dest="lti_cmd", metavar="COMMAND", required=True)
    key = ls.add_parser("key", help="The tool's RSA key (signs its requests for AGS tokens).")
    ks = key.add_subparsers(dest="key_cmd", metavar="ACTION", required=True)
    create = ks.add_parser("create", help="Make the key (refuses to overwrite without --replace) and print its JWKS.")
    create.add_argument("--replace", action="store_true", help="Replace an existing key.")
    create.set_defaults(func=cmd_key)
    show = ks.add_parser("show", help="Print the public JWKS.")
    show.set_defaults(func=cmd_key)
    check = ls.add_parser("check", help="Read RUSFOKUS_LTI_FILE and print the URLs to register in the LMS.")
    check.set_defaults(func=cmd_check)
