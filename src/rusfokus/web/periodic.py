"""Background work of `rusfokus serve` that runs every few seconds: the e-mail queue, the outbox's
deliveries, the refresher loop. One worker thread per job, so a slow SMTP server or LRS never blocks the
event loop; never two runs of a job at once (a tick while one runs is skipped); a run that raises is
logged and the next tick tries again; ``close`` stops the timer, tells a running run to stop
(``self.stop``) and waits for it.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import tornado.ioloop

log = logging.getLogger("rusfokus.web")


class PeriodicJob:
    """Subclasses set ``name`` (thread name, log) and implement ``run()``; ``seconds`` is the poll interval."""

    name = "job"

    def __init__(self, settings, seconds: float):
        self.settings = settings
        self.seconds = max(1.0, float(seconds))
        self.stop = threading.Event()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"rusfokus-{self.name}")
        self.future = None
        self.timer: tornado.ioloop.PeriodicCallback | None = None

    def run(self) -> object:
        raise NotImplementedError

    def _guarded(self) -> None:
        try:
            self.run()
        except Exception:
            log.exception("%s run failed; trying again at the next poll", self.name)

    def tick(self) -> None:
        if self.stop.is_set() or (self.future is not None and not self.future.done()):
            return
        self.future = self.executor.submit(self._guarded)

    def start(self) -> None:
        self.timer = tornado.ioloop.PeriodicCallback(self.tick, self.seconds * 1000)
        self.timer.start()
        self.tick()  # at once: work that waited while the server was down goes now

    def close(self) -> None:
        self.stop.set()
        if self.timer is not None:
            self.timer.stop()
        self.executor.shutdown(wait=True, cancel_futures=True)
