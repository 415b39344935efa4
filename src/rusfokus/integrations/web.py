"""The server side of the integrations (listed in ``server.routes.ROUTE_MODULES``).

- ``GET /integrationer/``: admin only (else the login page): each integration's state (on, off, or
  its settings problem) and the deliveries of completion events: how many are pending, delivered
  and failed, and the pending and failed ones with the reason (the newest delivered ones folded).
  People by number only; every value escaped by the template.
- ``startup(settings)``: when an integration is on, a ``PeriodicCallback`` every
  ``RUSFOKUS_INTEGRATIONS_POLL_SECONDS`` hands ``dispatch.run_deliveries`` to one background thread
  (HTTP is blocking; the loop never waits for it, two runs never overlap). ``shutdown`` stops it;
  a delivery in hand finishes or stays claimed and is taken back at the next start.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import quote

import tornado.web

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.identity.web import Handler
from rusfokus.integrations import dispatch, xapi
from rusfokus.migrations import upgrade
from rusfokus.outbox.models import CLAIMED, DELIVERED, FAILED, PENDING
from rusfokus.progress import module_title
from rusfokus.web.periodic import PeriodicJob

log = logging.getLogger("rusfokus.integrations")

KIND_DANISH = {"passed": "Bestået", "failed": "Ikke bestået", "renewed": "Fornyet", "attended": "Deltog i temadag"}
STATUS_DANISH = {PENDING: "Venter", CLAIMED: "Sendes nu", DELIVERED: "Leveret", FAILED: "Fejlet"}


class StatusPage(Handler):
    TEMPLATES = Path(__file__).parent / "templates"

    def prepare(self):
        self.admin_name = self.admin()
        if self.admin_name is None:
            if self.request.method == "GET":
                self.redirect("/login?next=" + quote(self.request.uri, safe=""))
            else:
                raise tornado.web.HTTPError(403)

    def _data(self) -> dict:
        upgrade(self.rf.db_url)
        with session_scope(self.rf.db_url) as s:
            counts = dispatch.status_counts(s)
            open_rows = dispatch.listing(s, statuses=(FAILED, PENDING, CLAIMED), limit=200)
            delivered = dispatch.listing(s, statuses=(DELIVERED,), limit=50)
            waiting = dispatch.undelivered_events(s)
        subs = dispatch.subscriber_states(self.rf)
        for sub in subs:
            sub["where"] = xapi.statements_url(self.rf) if sub["name"] == "xapi" and sub["on"] else ""
        return {"counts": counts, "open_rows": open_rows, "delivered": delivered, "waiting": waiting, "subs": subs}

    async def get(self):
        data = await self.in_thread(self._data)
        names = sorted({n for n, _ in data["counts"]} | {s["name"] for s in data["subs"] if s["on"]})
        self.render_page(
            "integrationer.html",
            title="Integrationer",
            names=names,
            statuses=(PENDING, DELIVERED, FAILED, CLAIMED),
            status_da=STATUS_DANISH,
            kind_da=KIND_DANISH,
            module_title=module_title,
            **data,
        )


def routes(settings) -> list[tuple]:
    return [
        (r"/integrationer/?", StatusPage, {"settings": settings, "secret": identity.load_secret(settings.secret_file)})
    ]


class DeliveryService(PeriodicJob):
    name = "integrations"

    def __init__(self, settings):
        super().__init__(settings, settings.integrations_poll_seconds)
        self.last_waiting: dict[str, str] = {}

    def run(self) -> None:
        result = dispatch.run_deliveries(self.settings, stop=self.stop)
        for name, why in result.waiting.items():
            if self.last_waiting.get(name) != why:
                log.warning("integrations: %s: %s", name, why)
        for name in set(self.last_waiting) - set(result.waiting):
            log.info("integrations: %s answers again", name)
        self.last_waiting = dict(result.waiting)
        if result.delivered or result.failed or result.requeued_stale:
            log.info("integrations: %s", result.summary())


_service: DeliveryService | None = None
_lock = threading.Lock()


def startup(settings) -> None:
    global _service
    states = dispatch.subscriber_states(settings)
    for sub in states:
        if sub["on"] and sub["problems"]:
            log.warning(
                "integrations: %s is on but its settings are not usable: %s", sub["name"], "; ".join(sub["problems"])
            )
    if not any(s["on"] and not s["problems"] for s in states):
        log.info("integrations: delivery worker not started (no integration is on and ready)")
        return
    with _lock:
        if _service is None:
            _service = DeliveryService(settings)
            _service.start()
    log.info("integrations: delivery worker started (every %gs)", settings.integrations_poll_seconds)


def shutdown(settings=None) -> None:
    global _service
    with _lock:
        service, _service = _service, None
    if service is not None:
        service.close()
