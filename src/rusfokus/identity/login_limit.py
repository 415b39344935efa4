"""Failed admin logins counted in the database (migration 0016, issue 19), so that N copies behind a balancer allow
no more guesses than one server: ``admins.LoginLimiter``'s rule (at most ``limit`` attempts per key, the user name
and the client address, within ``window`` seconds, attempts still being checked included), shared by every copy.

Each attempt is a row per key (``login_failure``) written *before* the password is checked: in flight while it is
checked, failed afterwards (kept for the window), deleted when the password was right (with the keys' earlier
failures). ``reserve`` writes its rows, commits, and only then counts every row of its keys (its own included): of
any number of parallel attempts on any copies, the one that counts last sees all the others' rows, so no more than
``limit`` can pass; one over the limit takes its rows back. Rows older than the window are deleted by the next
attempt, in flight or not (a copy killed while it checked a password leaves rows that then expire), and by each
server every window (``purge``). No person is named: a key is ``user:<the name typed>`` or ``ip:<address>``, as in
the in-memory limiter.
"""

from __future__ import annotations

import secrets
import time

from sqlalchemy import Boolean, Float, Index, Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from rusfokus.db import Base, session_scope

KEY_LENGTH = 120


class LoginAttempt(Base):
    """One login attempt for one key (migration 0016): in flight (``failed`` false) or failed, at ``at`` (epoch s)."""

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("ix_login_failure_key", "key", "at"),
        Index("ix_login_failure_token", "token"),
        Index("ix_login_failure_at", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    token: Mapped[str] = mapped_column(String(32))
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[float] = mapped_column(Float)


class SharedLoginLimiter:
    """``admins.LoginLimiter`` with its count in the database at ``db_url`` (the setting RUSFOKUS_DB); the same
    ``reserve(*keys)`` → reservation (``failed()`` / ``succeeded()``, once) or None at the limit."""

    def __init__(self, db_url: str, limit: int = 5, window: float = 300.0, clock=time.time):
        self.db_url, self.limit, self.window, self.clock = db_url, limit, window, clock

    def purge(self) -> int:
        """Delete the rows older than the window (no address or typed name is kept longer than it limits); the
        server runs this every window too, so they go even when no login comes after them."""
        with session_scope(self.db_url) as s:
            return s.execute(delete(LoginAttempt).where(LoginAttempt.at < self.clock() - self.window)).rowcount

    def reserve(self, *keys: str) -> SharedReservation | None:
        """A reservation, or None if any key is at its limit (nothing is kept then)."""
        keys = tuple(dict.fromkeys(k[:KEY_LENGTH] for k in keys))
        now, token = self.clock(), secrets.token_hex(16)
        with session_scope(self.db_url) as s:
            s.execute(delete(LoginAttempt).where(LoginAttempt.at < now - self.window))
            s.add_all([LoginAttempt(key=k, token=token, failed=False, at=now) for k in keys])
        # committed: every copy counts this attempt from now on; count after it (this one included)
        with session_scope(self.db_url) as s:
            used = dict(
                s.execute(
                    select(LoginAttempt.key, func.count())
                    .where(LoginAttempt.key.in_(keys), LoginAttempt.at >= now - self.window)
                    .group_by(LoginAttempt.key)
                ).all()
            )
        if any(used.get(k, 0) > self.limit for k in keys):
            with session_scope(self.db_url) as s:
                s.execute(delete(LoginAttempt).where(LoginAttempt.token == token))
            return None
        return SharedReservation(self, token, keys)

    def _settle(self, token: str, keys: tuple[str, ...], failed: bool) -> None:
        with session_scope(self.db_url) as s:
            if failed:  # kept for the window from now
                s.execute(update(LoginAttempt).where(LoginAttempt.token == token).values(failed=True, at=self.clock()))
            else:  # the right password: this attempt and the keys' failures are forgotten
                s.execute(delete(LoginAttempt).where(LoginAttempt.token == token))
                s.execute(delete(LoginAttempt).where(LoginAttempt.key.in_(keys), LoginAttempt.failed.is_(True)))


class SharedReservation:
    """One login attempt being checked; settle it exactly once."""

    def __init__(self, limiter: SharedLoginLimiter, token: str, keys: tuple[str, ...]):
        self._limiter, self._token, self._keys, self._open = limiter, token, keys, True

    def _settle(self, failed: bool) -> None:
        if self._open:
            self._open = False
            self._limiter._settle(self._token, self._keys, failed)

    def failed(self) -> None:
        self._settle(True)

    def succeeded(self) -> None:
        self._settle(False)
