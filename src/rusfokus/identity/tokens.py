"""Signed identities: personal learner links, the learner cookie, admin login.

A value the browser could set (a query parameter, a header, a plain cookie)
is never an identity. Only a value signed with the server's secret key
(HMAC-SHA256) is trusted, or the JupyterHub user when running under a Hub.

Tokens look like ``<payload>.<signature>``, both URL-safe base64. The payload
holds the kind (``learner``, ``admin``, ``checkin`` ...), the value and the
issue time, so a token of one kind is never accepted as another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger("rusfokus.identity")

LEARNER_COOKIE = "rf_learner"
ADMIN_COOKIE = "rf_admin"
LEARNER_MAX_AGE = 365 * 24 * 3600
ADMIN_MAX_AGE = 12 * 3600


class IdentityError(Exception):
    """No valid identity. ``str(exc)`` is a Danish message for the learner."""


class InvalidToken(IdentityError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_secret(path: str | Path) -> bytes:
    """The server's secret key in the file ``path`` (the caller's ``Settings.secret_file``); created
    (mode 0600) on first use."""
    path = Path(path)
    try:
        key = path.read_bytes().strip()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    try:
        os.link(tmp, path)  # fails if another process created it first
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes().strip()


def sign(kind: str, value: str, *, secret: bytes, now: float | None = None, extra: dict | None = None) -> str:
    """Sign ``value`` as ``kind`` with ``secret`` (``load_secret(settings.secret_file)``); ``extra`` adds
    claims (short keys other than k, v, t)."""
    claims = dict(extra or {})
    claims.update({"k": kind, "v": value, "t": int(now if now is not None else time.time())})
    payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    mac = hmac.new(secret, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(
    kind: str, token: str | None, *, secret: bytes, max_age: float | None = None, now: float | None = None
) -> str:
    """Return the signed value, or raise InvalidToken (Danish message)."""
    return verify_claims(kind, token, max_age=max_age, secret=secret, now=now)["v"]


def verify_claims(
    kind: str, token: str | None, *, secret: bytes, max_age: float | None = None, now: float | None = None
) -> dict:
    """All signed claims of a valid token (``v`` the value, ``t`` the issue time ...)."""
    if not token or not isinstance(token, str) or token.count(".") != 1 or len(token) > 4096:
        raise InvalidToken("Dit personlige link mangler eller er ugyldigt.")
    body, mac_text = token.split(".")
    try:
        payload = _unb64(body)
        mac = _unb64(mac_text)
    except (ValueError, TypeError):
        raise InvalidToken("Dit personlige link er ugyldigt.") from None
    if not hmac.compare_digest(hmac.new(secret, payload, hashlib.sha256).digest(), mac):
        raise InvalidToken("Dit personlige link er ugyldigt eller ændret.")
    try:
        data = json.loads(payload)
    except ValueError:
        raise InvalidToken("Dit personlige link er ugyldigt.") from None
    if data.get("k") != kind or not isinstance(data.get("v"), str):
        raise InvalidToken("Linket hører ikke til her.")
    if max_age is not None:
        age = (now if now is not None else time.time()) - data.get("t", 0)
        if age > max_age or age < -300:
            raise InvalidToken("Linket er udløbet. Bed om et nyt.")
    return data


def normalise_email(text: str) -> str:
    """The one form of an e-mail address as an identity (the staff list, links, revocation)."""
    return str(text or "").strip().strip("<>").strip().lower()


def learner_token(email: str, **kw) -> str:
    return sign("learner", email.strip().lower(), **kw)


def admin_token(username: str, **kw) -> str:
    """A new admin session: the token carries a random session id and its issue time in
    milliseconds, so /logout (that session) and a password change (every older session)
    can end it server-side (``rusfokus.identity.admin_sessions``)."""
    now = kw.get("now")
    ms = int((now if now is not None else time.time()) * 1000)
    return sign("admin", username, extra={"s": secrets.token_urlsafe(12), "ms": ms}, **kw)


def cookie_value(cookie_header: str | None, name: str) -> str | None:
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def learner_from_cookie_header(cookie_header: str | None, **kw) -> str:
    token = cookie_value(cookie_header, LEARNER_COOKIE)
    if token is None:
        raise IdentityError(
            "Vi ved ikke, hvem du er. Åbn kurset via dit personlige link "
            "(du har fået det af din nøgleperson eller på mail)."
        )
    return verify("learner", token, max_age=LEARNER_MAX_AGE, **kw)


def admin_claims(cookie_header: str | None, *, db_url: str, **kw) -> dict:
    """The claims of a valid admin cookie whose session was not ended (logout, new
    password) in the database ``db_url``, or IdentityError."""
    token = cookie_value(cookie_header, ADMIN_COOKIE)
    if token is None:
        raise IdentityError("Du skal logge ind som administrator.")
    claims = verify_claims("admin", token, max_age=ADMIN_MAX_AGE, **kw)
    # lazy: admin_sessions loads SQLAlchemy (~0.3 s); signing links (CLI, book build) needs no database
    from rusfokus.identity.admin_sessions import session_ended

    try:
        ended = session_ended(db_url, claims["v"], claims.get("s"), claims.get("ms"))
    except Exception:  # cannot tell: refuse (fail closed)
        log.exception("admin session check failed")
        ended = True
    if ended:
        raise IdentityError("Du er logget ud. Log ind igen.")
    return claims


def admin_from_cookie_header(cookie_header: str | None, *, db_url: str, **kw) -> str:
    return admin_claims(cookie_header, db_url=db_url, **kw)["v"]


_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next_path(value: str | None, default: str) -> str:
    """``value`` if it is a path on this site, else ``default``.

    Browsers drop tabs and newlines and read ``\\`` as ``/``, so ``/%09/evil``
    or ``/\\evil`` would become ``//evil`` (another host). Accept only a path
    that starts with one ``/``, has no control characters or backslashes (also
    not percent-encoded), and no scheme or host."""
    if not value or not isinstance(value, str) or len(value) > 2000:
        return default
    decoded = value
    for _ in range(3):  # nested percent-encoding
        decoded = unquote(decoded)
    if " " in value:  # tornado turns control characters of arguments into spaces
        return default
    for text in (value, decoded):
        if _CONTROL.search(text) or not text.startswith("/") or text.startswith("//"):
            return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def current_learner(settings) -> str:
    """The learner (e-mail or Hub user name) of the current Voilà kernel.

    Call after ``rusfokus.voila_request.wait_for_request()``. Under JupyterHub the Hub's
    user is the identity; otherwise the signed learner cookie, which the
    server hands to the kernel as ``HTTP_COOKIE``, checked with the secret of
    ``settings`` (the kernel's Settings, its build_app's). Raises IdentityError
    with a Danish message.
    """
    hub_user = os.environ.get("JUPYTERHUB_USER")
    if hub_user:
        return hub_user
    return learner_from_cookie_header(os.environ.get("HTTP_COOKIE"), secret=load_secret(settings.secret_file))


def current_admin(settings) -> str:
    """The logged-in admin of the current Voilà kernel, or IdentityError. ``settings``: the
    kernel's Settings (its build_app's): the database that knows ended sessions, the secret."""
    return admin_from_cookie_header(
        os.environ.get("HTTP_COOKIE"), db_url=settings.db_url, secret=load_secret(settings.secret_file)
    )


def is_admin(settings) -> bool:
    try:
        current_admin(settings)
    except IdentityError:
        return False
    return True
