"""The server's e-mail worker: `rusfokus serve` sends the queue (listed in ``server.routes.ROUTE_MODULES``).

No routes. ``startup(settings)`` (called once the tornado loop runs) starts a
``PeriodicCallback`` every ``RUSFOKUS_MAIL_POLL_SECONDS`` that hands
``worker.run_queue`` to one background thread (SMTP is blocking; the loop never
waits for it, and two runs never overlap). ``shutdown(settings)`` stops the
timer and lets the run in hand finish the message it is sending; the rest stay
queued for the next start or `rusfokus mail run`.
"""

from __future__ import annotations

import logging
import threading

from rusfokus.mail import smtp, worker
from rusfokus.web.periodic import PeriodicJob

log = logging.getLogger("rusfokus.mail")


class MailService(PeriodicJob):
    name = "mail"

    def __init__(self, settings):
        super().__init__(settings, settings.mail_poll_seconds)
        self.last_error = ""
        self.runs = 0

    def run(self) -> worker.RunResult:
        result = worker.run_queue(self.settings, stop=self.stop)
        self.runs += 1
        if result.error and result.error != self.last_error:
            log.warning("e-mail: %s (mails stay queued)", result.error)
        elif not result.error and self.last_error:
            log.info("e-mail: the SMTP server answers again")
        self.last_error = result.error
        if result.sent or result.failed or result.uncertain or result.cancelled:
            log.info("e-mail: %s", result.summary())
        return result


_service: MailService | None = None
_lock = threading.Lock()


def routes(settings) -> list[tuple]:
    return []


def startup(settings) -> None:
    global _service
    problem = smtp.config_problem(settings)
    if problem:
        log.info("e-mail worker not started: %s", problem)
        return
    with _lock:
        if _service is None:
            _service = MailService(settings)
            _service.start()
    log.info(
        "e-mail worker started (SMTP %s:%s, %s, every %gs)",
        settings.smtp_host,
        smtp.port_of(settings),
        settings.smtp_tls,
        settings.mail_poll_seconds,
    )


def shutdown(settings=None) -> None:
    global _service
    with _lock:
        service, _service = _service, None
    if service is not None:
        service.close()
