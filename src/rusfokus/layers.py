"""The layer order of the engine: the one place it is written down.

A module may import modules of its own layer or of a lower one, never of a higher
layer, and no two modules may import each other (directly or round a loop).
``tests/test_architecture.py`` reads every module under ``src/rusfokus`` with ``ast``
(imports inside functions too) and fails on either.

Lowest layer first. A module belongs to the layer of the longest name below that
is itself or one of its packages (``rusfokus.identity.tokens`` is "identity core",
``rusfokus.identity.roles`` is "identity"); a name written ``=name`` is that module
only (a package's ``__init__``), not the modules inside it. A new package must be
added here (the test names it). Importing ``a.b.c`` also runs ``a/b/__init__.py``,
so the test holds a package's ``__init__`` to the same rule.

Exception, by file name: a feature package's ``cli.py``, ``cli_*.py``, ``web.py`` and
``web_*.py`` only wire the feature to operators and browsers, so they sit in the
"interfaces" layer, above every feature and GDPR: they may use identity (login,
roles) and ``rusfokus.gdpr``; no logic module may import them.
"""

from __future__ import annotations

LAYERS: list[tuple[str, list[str]]] = [
    # Shared foundations: no knowledge of people, features or the web server.
    (
        "base",
        [
            "=rusfokus",
            "rusfokus.settings",
            "rusfokus.db",
            "rusfokus.migrations",
            "rusfokus.kommune",
            "rusfokus.profil",
            "rusfokus.safe_export",
            "rusfokus.cliutil",
            "rusfokus.web",
            "rusfokus.content",
            "rusfokus.ungetilbud",
            "rusfokus.dansk",
            "rusfokus.claims",
            "rusfokus.layers",
            "rusfokus.voila_internals",
            "rusfokus.voila_request",
        ],
    ),  # Voilà's internals (server), fenced; voila_request: the app kernels' side of the request-info socket
    # Signed values (links, cookies), the server secret, admin session ends and the
    # revoked-identity record (``rusfokus.identity`` itself re-exports the signing API only):
    # below progress, because the staff import lifts a revocation and a graded result of an
    # erased person is refused.
    (
        "identity core",
        [
            "=rusfokus.identity",
            "rusfokus.identity.tokens",
            "rusfokus.identity.revocation",
            "rusfokus.identity.admin_sessions",
        ],
    ),
    # People, organisation, completions, certificates, reports, audit log, journey.
    ("progress", ["rusfokus.progress", "rusfokus.outbox"]),  # outbox: completion events to deliver (issue 18)
    # Who someone is: roles (nøgleperson from the staff list), admin users, personal links.
    ("identity", ["rusfokus.identity"]),
    # Features, lowest first: a later one may use an earlier one, never the reverse.
    ("module logic", ["rusfokus.opsporing", "rusfokus.dialog", "rusfokus.mi", "rusfokus.unge"]),
    ("exercises", ["rusfokus.exercises"]),
    ("temadag", ["rusfokus.temadag"]),
    ("mail", ["rusfokus.mail"]),  # mails personal links and temadag invitations
    ("roles", ["rusfokus.roles"]),  # the nøgleperson's pages: exercises' reflections, temadage
    ("effekt", ["rusfokus.effekt"]),  # proof of effect: self-efficacy, practice counts, group-size rule
    ("genopfrisk", ["rusfokus.genopfrisk"]),  # the refresher loop: practice rounds, reminders, renewal
    ("integrations", ["rusfokus.integrations"]),  # xAPI, SCORM, Open Badges: deliver the outbox's events
    # Across features: GDPR export/erase calls each feature's own part; the book's helpers.
    ("across features", ["rusfokus.gdpr", "rusfokus.noeglekit", "rusfokus.sphinxext", "rusfokus.check"]),
    # Feature cli*.py / web*.py (see above).
    ("interfaces", []),
    # Voilà apps (one build_app() each) and the book build.
    ("apps", ["rusfokus.apps", "rusfokus.book"]),
    # Entry points: the server and the `rusfokus` command.
    ("entry", ["rusfokus.server", "rusfokus.cli", "rusfokus.cluster"]),  # cluster: `make cluster` (issue 19)
]

INTERFACES = "interfaces"
_INTERFACE_NAMES = ("cli", "web")


def layer_names() -> list[str]:
    return [name for name, _ in LAYERS]


def is_interface(module: str) -> bool:
    """A feature's ``cli``/``web`` module, e.g. ``rusfokus.temadag.web_admin`` (not ``rusfokus.cli``)."""
    parts = module.split(".")
    return len(parts) >= 3 and any(parts[-1] == n or parts[-1].startswith(n + "_") for n in _INTERFACE_NAMES)


def layer_of(module: str) -> int | None:
    """The index in ``LAYERS`` of a dotted module name under ``rusfokus``; None if no layer lists it."""
    if is_interface(module):
        return layer_names().index(INTERFACES)
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            exact_only = prefix.startswith("=")
            prefix = prefix.lstrip("=")
            hit = module == prefix or (not exact_only and module.startswith(prefix + "."))
            rank = len(prefix) + (0.5 if exact_only else 0)  # "=a.b" beats "a.b" for the module a.b itself
            if hit and rank > best_len:
                best, best_len = index, rank
    return best
