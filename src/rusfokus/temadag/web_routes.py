"""The temadag routes for `rusfokus serve` (``rusfokus.server.routes.ROUTE_MODULES``): the shared
handler base (``web``), the participant pages (``web_participant``) and the facilitator pages
(``web_admin``) on one ``Hub``. Apart from ``web`` so that the page modules import the base
and nothing imports back."""

from __future__ import annotations

from rusfokus.migrations import upgrade
from rusfokus.temadag import web_admin, web_participant
from rusfokus.temadag.web import HERE, Hub
from rusfokus.web.base import StaticHandler


def routes(settings, hub: Hub | None = None) -> list[tuple]:
    upgrade(settings.db_url)
    hub = hub or Hub(settings)
    kw = {"hub": hub}
    return [
        (r"/temadag/static/(.*)", StaticHandler, {"path": str(HERE / "static")}),
        *[(pattern, handler, kw) for pattern, handler in web_participant.ROUTES + web_admin.ROUTES],
    ]
