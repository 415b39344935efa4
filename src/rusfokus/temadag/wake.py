"""Wake-ups between copies: one LISTEN connection per copy on PostgreSQL (issue 19.3).

A change to a temadag's live state sends ``NOTIFY rusfokus_temadag, '<id>:<version>:<answers_version>'``
in its transaction (``rusfokus.temadag.store``). :class:`Listener` holds one autocommit psycopg 3
connection that LISTENs on that channel in a daemon thread and hands each payload to the copy's IOLoop,
where ``rusfokus.temadag.web.Hub`` wakes the long-polls it concerns. If the connection is lost (the
database restarts) it reconnects with back-off; ``alive`` is false meanwhile, and the hub's short local
poll of the counters carries the wake-ups alone. On SQLite (one server) there is no listener: the copy's
own writes wake its long-polls directly, and the poll covers any other writer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.engine import make_url

from rusfokus.temadag.store import NOTIFY_CHANNEL

log = logging.getLogger("rusfokus.temadag")

CHECK_SECONDS = 5.0
"""How long the listener waits for a notification before it checks that its connection still answers."""


def listens(db_url: str) -> bool:
    """Whether this database can wake the other copies (PostgreSQL)."""
    return make_url(db_url).get_backend_name() == "postgresql"


def conninfo(db_url: str) -> dict:
    """psycopg 3 connection arguments of a SQLAlchemy PostgreSQL URL (any driver)."""
    url = make_url(db_url)
    kw = {"host": url.host, "port": url.port, "user": url.username, "password": url.password, "dbname": url.database}
    kw = {k: v for k, v in kw.items() if v is not None}
    for key, value in url.query.items():
        kw[key] = value if isinstance(value, str) else value[-1]
    # a dead network path must not leave the listener waiting for ever
    kw.setdefault("keepalives", 1)
    kw.setdefault("keepalives_idle", 10)
    kw.setdefault("keepalives_interval", 5)
    kw.setdefault("keepalives_count", 3)
    kw.setdefault("connect_timeout", 5)
    return kw


class Listener:
    """LISTEN on NOTIFY_CHANNEL in a thread; ``on_payload(text)`` and ``on_connected()`` are called through
    ``call_soon`` (the IOLoop's thread-safe ``add_callback``)."""

    def __init__(
        self, db_url: str, call_soon: Callable, on_payload: Callable[[str], None], on_connected: Callable[[], None]
    ):
        self.args = conninfo(db_url)
        self.call_soon = call_soon
        self.on_payload = on_payload
        self.on_connected = on_connected
        self.alive = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="temadag-listen", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        import psycopg  # only on PostgreSQL

        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(autocommit=True, **self.args) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.alive, delay = True, 0.5
                    self.call_soon(self.on_connected)  # catch up on what was missed while away
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=CHECK_SECONDS):
                            self.call_soon(self.on_payload, note.payload)
                        conn.execute("SELECT 1")
            except Exception as exc:  # the database went away: poll meanwhile, then reconnect
                if self.alive or delay == 0.5:
                    log.warning("temadag listener lost its database connection (%s); retrying", exc)
            self.alive = False
            self._stop.wait(delay)
            delay = min(delay * 2, 10.0)
