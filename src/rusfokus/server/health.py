"""``GET /healthz``: is this copy of `rusfokus serve` alive, and can it reach its database?

For load balancers, Kubernetes probes (deploy/kubernetes/) and HAProxy checks. No login, no personal data,
no secrets: the copy's name (RUSFOKUS_COPY_NAME, default ``<hostname>:<pid>``), the version, the uptime and
the database state from a real ``SELECT 1`` with a short timeout. 200 when the database answers, 503 with an
English reason when it does not. ``?probe=live`` skips the database (for liveness probes).
Cheap: no kernel, no book, one short-lived connection per call.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import time
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.pool import NullPool

from rusfokus import __version__
from rusfokus.web.base import BaseHandler

DB_TIMEOUT = 2.0
"""Seconds a health check waits for the database (connecting and the query) before it says unavailable."""
STARTED = time.monotonic()


def copy_name(settings) -> str:
    return getattr(settings, "copy_name", "") or f"{socket.gethostname()}:{os.getpid()}"


@lru_cache(maxsize=8)
def _probe_engine(url: str) -> Engine:
    """An engine of its own (no pool: each check opens a real connection) with short timeouts, so a
    database that does not answer cannot hold the check longer than DB_TIMEOUT."""
    timeout = max(1, int(DB_TIMEOUT))
    if url.startswith("sqlite"):
        return create_engine(url, poolclass=NullPool, connect_args={"timeout": timeout})
    args = {"connect_timeout": timeout} if url.startswith("postgresql") else {}
    return create_engine(url, poolclass=NullPool, connect_args=args)


def _select_one(url: str) -> None:
    with _probe_engine(url).connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SET statement_timeout = {int(DB_TIMEOUT * 1000)}"))
        conn.execute(text("SELECT 1")).scalar_one()


def _reason(exc: BaseException, url: str) -> str:
    """One English line saying why, without the URL's password."""
    inner = getattr(exc, "orig", None) or exc
    line = (str(inner).strip().splitlines() or [type(inner).__name__])[0]
    password = make_url(url).password if "://" in url else None
    if password:
        line = line.replace(str(password), "***")
    line = re.sub(r"://[^@/\s]*@", "://***@", line)
    return f"{type(inner).__name__}: {line}"[:300]


async def database_state(url: str) -> dict:
    """{"state": "ok"|"unavailable", "dialect": ..., "ms": ..., "reason": ...}"""
    dialect = url.split(":", 1)[0].split("+", 1)[0] if url else ""
    started = time.monotonic()
    state = {"state": "ok", "dialect": dialect}
    if not url:
        return {**state, "state": "unavailable", "reason": "no database URL set (RUSFOKUS_DB)"}
    try:
        await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, _select_one, url), DB_TIMEOUT + 1)
    except TimeoutError:
        state.update(state="unavailable", reason=f"no answer to SELECT 1 within {DB_TIMEOUT + 1:g} s")
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is "unavailable"
        state.update(state="unavailable", reason=_reason(exc, url))
    state["ms"] = round((time.monotonic() - started) * 1000, 1)
    return state


class HealthHandler(BaseHandler):
    API = True

    def initialize(self, settings):
        self.rf = settings

    async def get(self):
        if self.get_argument("probe", "") == "live":
            # liveness: the process answers; the database is not asked (an outage must not restart every copy)
            db = {"state": "not checked"}
        else:
            db = await database_state(self.rf.db_url)
        ok = db["state"] in ("ok", "not checked")
        self.reply_json(
            {
                "status": "ok" if ok else "unavailable",
                "copy": copy_name(self.rf),
                "version": __version__,
                "uptime_seconds": round(time.monotonic() - STARTED, 1),
                "database": db,
            },
            200 if ok else 503,
        )


def routes(settings):
    return [(r"/healthz", HealthHandler, {"settings": settings})]
