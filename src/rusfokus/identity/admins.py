"""Admin users: scrypt password hashes (stdlib), constant-time checks, and the
login attempt limit (per user name and per client, counting attempts in flight)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections import defaultdict, deque
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.identity.admin_sessions import end_all_sessions
from rusfokus.progress.audit import log_action
from rusfokus.progress.models import AdminUser

_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 10


class AuthError(ValueError):
    pass


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def _validate(username: str, password: str) -> None:
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise AuthError("username must be 1-100 characters without spaces")
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"password must be at least {MIN_PASSWORD} characters")


def add_user(session: Session, username: str, password: str, actor: str = "cli") -> AdminUser:
    _validate(username, password)
    if session.scalar(select(AdminUser).where(AdminUser.username == username)):
        raise AuthError(f"admin user {username!r} already exists (use `rusfokus admin set-password`)")
    user = AdminUser(username=username, password_hash=hash_password(password), created_at=datetime.now())
    session.add(user)
    log_action(session, actor, "admin.add-user", username)
    return user


def set_password(session: Session, username: str, password: str, actor: str = "cli") -> None:
    _validate(username, password)
    user = session.scalar(select(AdminUser).where(AdminUser.username == username))
    if user is None:
        raise AuthError(f"no admin user {username!r}")
    user.password_hash = hash_password(password)

    end_all_sessions(session, username)  # a copied old cookie stops working too
    log_action(session, actor, "admin.set-password", username)


def authenticate(session: Session, username: str, password: str) -> bool:
    user = session.scalar(select(AdminUser).where(AdminUser.username == username))
    if user is None:
        hash_password(password)  # same work either way: no timing hint about user names
        return False
    return check_password(password, user.password_hash)


class LoginLimiter:
    """At most ``limit`` login attempts per key (user name, client address) within
    ``window`` seconds, counting attempts still being checked.

    ``reserve`` takes a slot for every key *before* the password is checked, so
    parallel guesses cannot all pass the count; a failed check keeps its slot
    for the window, a successful one frees it and forgets the keys' failures.
    """

    def __init__(self, limit: int = 5, window: float = 300.0, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque] = defaultdict(deque)
        self._in_flight: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def _used(self, key: str, now: float) -> int:
        fails = self._failures.get(key)
        while fails and fails[0] < now - self.window:
            fails.popleft()
        return (len(fails) if fails else 0) + self._in_flight.get(key, 0)

    def reserve(self, *keys: str) -> Reservation | None:
        """A reservation, or None if any key is at its limit (nothing is taken then)."""
        with self._lock:
            now = self.clock()
            if any(self._used(key, now) >= self.limit for key in keys):
                return None
            for key in keys:
                self._in_flight[key] += 1
            return Reservation(self, keys)

    def _settle(self, keys, failed: bool) -> None:
        with self._lock:
            now = self.clock()
            for key in keys:
                self._in_flight[key] -= 1
                if self._in_flight[key] <= 0:
                    del self._in_flight[key]
                if failed:
                    self._failures[key].append(now)
                else:
                    self._failures.pop(key, None)


class Reservation:
    """One login attempt being checked; settle it exactly once."""

    def __init__(self, limiter: LoginLimiter, keys):
        self._limiter, self._keys, self._open = limiter, keys, True

    def _settle(self, failed: bool) -> None:
        if self._open:
            self._open = False
            self._limiter._settle(self._keys, failed)

    def failed(self) -> None:
        self._settle(True)

    def succeeded(self) -> None:
        self._settle(False)
