"""Admin users: scrypt password hashes (stdlib), constant-time checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .audit import log_action
from .models import AdminUser

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
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                             n=int(n), r=int(r), p=int(p))
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
    log_action(session, actor, "admin.set-password", username)


def authenticate(session: Session, username: str, password: str) -> bool:
    user = session.scalar(select(AdminUser).where(AdminUser.username == username))
    if user is None:
        hash_password(password)  # same work either way: no timing hint about user names
        return False
    return check_password(password, user.password_hash)
