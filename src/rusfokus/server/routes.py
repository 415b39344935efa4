"""Registry of extra HTTP routes mounted by `rusfokus serve`.

Each module listed has ``routes(settings) -> list[(pattern, handler, kwargs)]``.
Prefixes are reserved per feature (see DEVELOPERS.md) so patterns never clash.
"""

from __future__ import annotations

import importlib

ROUTE_MODULES = [
    "rusfokus.server.core_routes",
    "rusfokus.server.health",
    "rusfokus.web.routes",
    "rusfokus.identity.web",
    "rusfokus.identity.web_hub",  # JupyterHub OAuth login (issue 19)
    "rusfokus.exercises.web",
    "rusfokus.progress.web",
    "rusfokus.temadag.web_routes",
    "rusfokus.mail.web",
    "rusfokus.integrations.web",
    "rusfokus.roles.web",
    "rusfokus.genopfrisk.web",
    "rusfokus.effekt.web",
    "rusfokus.integrations.badges.web",
    "rusfokus.integrations.scorm.web",
    "rusfokus.integrations.lti.web",
]


def collect_routes(settings) -> list[tuple]:
    routes: list[tuple] = []
    for modname in ROUTE_MODULES:
        for route in importlib.import_module(modname).routes(settings):
            routes.append(route if len(route) == 3 else (*route, {}))
    return routes
