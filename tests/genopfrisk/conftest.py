"""Fixtures of the refresher-loop tests: a recording SMTP server on loopback, settings pointing at it,
a clock the test moves, and the loop's pages on a real tornado HTTP server in this process."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest
import tornado.ioloop
import tornado.web

from rusfokus.genopfrisk.web import routes
from rusfokus.settings import get_settings

from helpers.mail import configure, start_smtp
from helpers.paths import free_port


class Clock:
    """The time the pages and the loop see; the test sets ``now``."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class LivePages:
    """``routes(settings, clock)`` served by tornado on 127.0.0.1 in a thread of its own."""

    def __init__(self, settings, clock):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ready = threading.Event()

        def serve():
            asyncio.set_event_loop(asyncio.new_event_loop())
            app = tornado.web.Application(routes(settings, clock=clock))
            self.http = app.listen(self.port, address="127.0.0.1")
            self.loop = tornado.ioloop.IOLoop.current()
            ready.set()
            self.loop.start()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        assert ready.wait(10)

    def stop(self):
        def halt():
            self.http.stop()
            self.loop.stop()

        self.loop.add_callback(halt)
        self.thread.join(10)


@pytest.fixture
def smtp_server():
    controller, handler = start_smtp()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture
def settings(monkeypatch, tmp_path, smtp_server):
    get_settings.cache_clear()
    s = configure(monkeypatch, tmp_path, smtp_server.port, RUSFOKUS_PRACTICE_MONTHS="1,3,6")
    yield s
    get_settings.cache_clear()


@pytest.fixture
def clock():
    return Clock(dt.datetime(2027, 1, 10, 9, 0))


@pytest.fixture
def pages(settings, clock):
    live = LivePages(settings, clock)
    yield live
    live.stop()
