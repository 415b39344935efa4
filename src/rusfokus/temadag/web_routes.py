"""The temadag routes for `rusfokus serve` (``rusfokus.server.routes.ROUTE_MODULES``): the shared
handler base (``web``), the participant pages (``web_participant``) and the facilitator pages
(``web_admin``) on one ``Hub``. Apart from ``web`` so that the page modules import the base
and nothing imports back."""

from __future__ import annotations

from rusfokus.migrations import upgrade
from rusfokus.temadag import web_admin, web_participant
from rusfokus.temadag.web import HERE, Hub
from rusfokus.web.base import StaticHandler

_served: list[Hub] = []
"""The hub `rusfokus serve` made (its ``startup`` hook starts the wake-ups: LISTEN on PostgreSQL)."""


def routes(settings, hub: Hub | None = None) -> list[tuple]:
    upgrade(settings.db_url)
    if hub is None:
        hub = Hub(settings)
        _served.append(hub)
    kw = {"hub": hub}
    return [
        (r"/temadag/static/(.*)", StaticHandler, {"path": str(HERE / "static")}),
        *[(pattern, handler, kw) for pattern, handler in web_participant.ROUTES + web_admin.ROUTES],
    ]


def startup(settings) -> None:
    """On the server's IOLoop: listen for the other copies' changes from the start, not from the first long-poll
    (a NOTIFY sent before the LISTEN would otherwise wait for the poll)."""
    for hub in _served:
        hub.start_waking()


def shutdown(settings) -> None:
    for hub in _served:
        hub.close()
