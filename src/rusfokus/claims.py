"""What every queue worker shares: who holds a claimed row, when a claim is stale, the back-off.

Used by the mail queue (``rusfokus.mail.worker``) and the outbox's deliveries
(``rusfokus.integrations.dispatch``). A worker claims a row by writing ``owner()`` (host:pid) and the
time; a claim is *stale* when its process on this host is gone (``kill -9``, a crash: checked at
once) or, for a worker on another host, after ``stale_after``. A failed try waits ``backoff``,
doubling from ``base`` up to ``maximum``.
"""

from __future__ import annotations

import datetime as dt
import os
import socket


def owner() -> str:
    """This worker: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_gone(pid: int) -> bool:
    """True when process ``pid`` on this host no longer runs (or is a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child its parent has not reaped yet is a zombie: gone too
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def is_stale(claimed_by: str | None, claimed_at: dt.datetime | None, now: dt.datetime, after: dt.timedelta) -> bool:
    """A claim whose worker stopped: its process on this host is gone, or it is older than ``after``."""
    host, _, pid = (claimed_by or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and int(pid) != os.getpid() and process_gone(int(pid)):
        return True
    return claimed_at is None or now - claimed_at > after


def backoff(base: float, maximum: float, attempts: int) -> dt.timedelta:
    """The wait after ``attempts`` failed tries: ``base`` seconds, doubling, at most ``maximum``."""
    seconds = base * (2 ** max(0, min(attempts - 1, 30)))
    return dt.timedelta(seconds=min(seconds, maximum))
