"""Ended admin sessions: /logout ends one session, a new password ends every older one.

An admin cookie is a signed token with a random session id (``s``) and its
issue time in milliseconds (``ms``), see ``rusfokus.identity.admin_token``. The
signature alone would keep a copied cookie valid for its whole max age; this
table is the server-side list of sessions that ended before that.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import BigInteger, DateTime, Integer, String, inspect, or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Mapped, Session, mapped_column

from rusfokus.db import Base, make_engine, session_scope


class AdminSessionEnd(Base):
    """One ended session (``session`` set) or every session of a user issued up to
    ``before_ms`` (password change)."""

    __tablename__ = "admin_session_end"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    session: Mapped[str | None] = mapped_column(String(64), nullable=True)
    before_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime)


def end_session(session: Session, username: str, session_id: str | None) -> None:
    """/logout: this cookie's session ends (a cookie without a session id ends all older ones)."""
    if session_id:
        session.add(AdminSessionEnd(username=username, session=session_id, at=datetime.now()))
    else:
        end_all_sessions(session, username)


def end_all_sessions(session: Session, username: str, now: float | None = None) -> None:
    """New password: every session of this user issued until now ends."""
    ms = int((now if now is not None else time.time()) * 1000)
    session.add(AdminSessionEnd(username=username, before_ms=ms, at=datetime.now()))


_has_table: set[str] = set()


def _table_exists(url: str) -> bool:
    """False for a database that never got migration 0004: no session can have ended there.
    A missing SQLite file is not created just to look."""
    if url in _has_table:
        return True

    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not Path(path).exists():
            return False
    if inspect(make_engine(url)).has_table(AdminSessionEnd.__tablename__):
        _has_table.add(url)
        return True
    return False


def session_ended(db_url: str, username: str, session_id: str | None, issued_ms: int | None) -> bool:
    """Whether this admin session was ended (logout) or is older than a password change, in the
    database ``db_url`` (``Settings.db_url`` of the caller)."""
    if not _table_exists(db_url):
        return False

    issued = int(issued_ms) if isinstance(issued_ms, (int, float)) else 0  # no time: older than any change
    conditions = [AdminSessionEnd.before_ms >= issued]
    if session_id:
        conditions.append(AdminSessionEnd.session == session_id)
    with session_scope(db_url) as s:
        row = s.scalar(
            select(AdminSessionEnd.id).where(AdminSessionEnd.username == username, or_(*conditions)).limit(1)
        )
    return row is not None
