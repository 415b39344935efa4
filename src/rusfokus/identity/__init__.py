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
import os
import re
import secrets
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import unquote, urlsplit

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


def load_secret(path: Path | None = None) -> bytes:
    """The server's secret key; created (mode 0600) on first use."""
    if path is None:
        from rusfokus.settings import get_settings

        path = get_settings().secret_file
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


def sign(kind: str, value: str, *, secret: bytes | None = None, now: float | None = None,
         extra: dict | None = None) -> str:
    """Sign ``value`` as ``kind``; ``extra`` adds claims (short keys other than k, v, t)."""
    claims = dict(extra or {})
    claims.update({"k": kind, "v": value, "t": int(now if now is not None else time.time())})
    payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    key = secret if secret is not None else load_secret()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(kind: str, token: str | None, *, max_age: float | None = None,
           secret: bytes | None = None, now: float | None = None) -> str:
    """Return the signed value, or raise InvalidToken (Danish message)."""
    return verify_claims(kind, token, max_age=max_age, secret=secret, now=now)["v"]


def verify_claims(kind: str, token: str | None, *, max_age: float | None = None,
                  secret: bytes | None = None, now: float | None = None) -> dict:
    """All signed claims of a valid token (``v`` the value, ``t`` the issue time ...)."""
    if not token or not isinstance(token, str) or token.count(".") != 1 or len(token) > 4096:
        raise InvalidToken("Dit personlige link mangler eller er ugyldigt.")
    body, mac_text = token.split(".")
    try:
        payload = _unb64(body)
        mac = _unb64(mac_text)
    except (ValueError, TypeError):
        raise InvalidToken("Dit personlige link er ugyldigt.") from None
    key = secret if secret is not None else load_secret()
    if not hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest(), mac):
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


def admin_claims(cookie_header: str | None, *, db_url: str | None = None, **kw) -> dict:
    """The claims of a valid admin cookie whose session was not ended (logout, new
    password), or IdentityError."""
    token = cookie_value(cookie_header, ADMIN_COOKIE)
    if token is None:
        raise IdentityError("Du skal logge ind som administrator.")
    claims = verify_claims("admin", token, max_age=ADMIN_MAX_AGE, **kw)
    from rusfokus.identity.admin_sessions import session_ended

    try:
        ended = session_ended(db_url, claims["v"], claims.get("s"), claims.get("ms"))
    except Exception:  # cannot tell: refuse (fail closed)
        import logging

        logging.getLogger("rusfokus.identity").exception("admin session check failed")
        ended = True
    if ended:
        raise IdentityError("Du er logget ud. Log ind igen.")
    return claims


def admin_from_cookie_header(cookie_header: str | None, **kw) -> str:
    return admin_claims(cookie_header, **kw)["v"]


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


def current_learner() -> str:
    """The learner (e-mail or Hub user name) of the current Voilà kernel.

    Call after ``voila.utils.wait_for_request()``. Under JupyterHub the Hub's
    user is the identity; otherwise the signed learner cookie, which the
    server hands to the kernel as ``HTTP_COOKIE``. Raises IdentityError with
    a Danish message.
    """
    hub_user = os.environ.get("JUPYTERHUB_USER")
    if hub_user:
        return hub_user
    return learner_from_cookie_header(os.environ.get("HTTP_COOKIE"))


def current_admin() -> str:
    """The logged-in admin of the current Voilà kernel, or IdentityError."""
    return admin_from_cookie_header(os.environ.get("HTTP_COOKIE"))


# --- Roles ----------------------------------------------------------------------
# Three roles over the same identity. A *kursist* has a valid personal link (learner
# cookie). A *nøgleperson* is a kursist whose person on the staff list is active and
# flagged ``noegleperson``: no extra password, the flag is read from the database on
# every request, so a revoked, fratrådt or un-flagged person loses the role at once.
# An *admin* has the signed admin cookie (``/login``) and sees everything.

ROLE_NONE, ROLE_LEARNER, ROLE_NOEGLEPERSON, ROLE_ADMIN = "", "kursist", "noegleperson", "admin"


@dataclass(frozen=True)
class Role:
    kind: str = ROLE_NONE
    who: str = ""  # admin user name or the learner's e-mail
    institutions: tuple[tuple[int, str], ...] = ()  # a nøgleperson's own (id, name)
    person_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == ROLE_ADMIN

    @property
    def is_noegleperson(self) -> bool:
        return self.kind == ROLE_NOEGLEPERSON

    @property
    def may_facilitate(self) -> bool:
        """May plan and run temadage (admin: all; nøgleperson: her own institutions')."""
        return self.kind in (ROLE_ADMIN, ROLE_NOEGLEPERSON)

    @property
    def institution_ids(self) -> frozenset[int]:
        return frozenset(i for i, _ in self.institutions)

    @property
    def institution_names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.institutions)

    @property
    def actor(self) -> str:
        """How the audit log and CSRF tokens name this user."""
        return f"{self.kind}:{self.who}" if self.kind else ""


def noegleperson_role(email: str, *, db_url: str | None = None, secret: bytes | None = None) -> Role:
    """The role of a learner ``email`` from the staff list: nøgleperson only while the person
    is active, flagged and not revoked; otherwise kursist (``ROLE_NONE`` if revoked)."""
    from sqlalchemy import select

    from rusfokus.db import session_scope
    from rusfokus.identity.revocation import is_revoked_in
    from rusfokus.migrations import upgrade
    from rusfokus.progress.models import STATUS_ACTIVE, Institution, Person
    from rusfokus.progress.roster import normalise_email

    if db_url is None:
        from rusfokus.settings import get_settings

        db_url = get_settings().db_url
    email = normalise_email(email)
    upgrade(db_url)
    with session_scope(db_url) as session:
        if is_revoked_in(session, email, secret=secret):
            return Role()
        row = session.execute(select(Person.id, Person.status, Person.noegleperson, Institution.id, Institution.name)
                              .join(Institution, Person.institution_id == Institution.id, isouter=True)
                              .where(Person.email == email)).first()
    if row is not None and row[1] == STATUS_ACTIVE and row[2] and row[3] is not None:
        return Role(ROLE_NOEGLEPERSON, email, ((row[3], row[4]),), row[0])
    return Role(ROLE_LEARNER, email, (), row[0] if row is not None else None)


def current_role(cookie_header: str | None, *, db_url: str | None = None, secret: bytes | None = None,
                 admin_first: bool = True) -> Role:
    """Who the browser is: admin (valid admin session), else nøgleperson or kursist (valid
    personal link, looked up on the staff list now), else nobody. Fails closed: if the
    database cannot be read, a learner gets no nøgleperson rights."""
    if admin_first:
        try:
            user = admin_claims(cookie_header, db_url=db_url, secret=secret)["v"]
            return Role(ROLE_ADMIN, user)
        except IdentityError:
            pass
    try:
        email = learner_from_cookie_header(cookie_header, secret=secret)
    except IdentityError:
        return Role()
    try:
        return noegleperson_role(email, db_url=db_url, secret=secret)
    except Exception:
        import logging

        logging.getLogger("rusfokus.identity").exception("role lookup failed")
        return Role(ROLE_LEARNER, email)


def is_admin() -> bool:
    try:
        current_admin()
    except IdentityError:
        return False
    return True
