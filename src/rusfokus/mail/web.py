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
from concurrent.futures import ThreadPoolExecutor

import tornado.ioloop

from rusfokus.mail import smtp, worker

log = logging.getLogger("rusfokus.mail")


class MailService:
    def __init__(self, settings):
        self.settings = settings
        self.stop = threading.Event()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rusfokus-mail")
        self.future = None
        self.timer = None
        self.last_error = ""
        self.runs = 0

    def _run(self) -> worker.RunResult:
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

    def tick(self) -> None:
        if self.stop.is_set() or (self.future is not None and not self.future.done()):
            return
        self.future = self.executor.submit(self._guarded)

    def _guarded(self) -> None:
        try:
            self._run()
        except Exception:
            log.exception("e-mail worker run failed; trying again at the next poll")

    def start(self) -> None:
        self.timer = tornado.ioloop.PeriodicCallback(self.tick, max(1.0, self.settings.mail_poll_seconds) * 1000)
        self.timer.start()
        self.tick()  # at once: mail queued while the server was down goes out now

    def close(self, timeout: float | None = None) -> None:
        self.stop.set()
        if self.timer is not None:
            self.timer.stop()
        self.executor.shutdown(wait=True, cancel_futures=True)


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
