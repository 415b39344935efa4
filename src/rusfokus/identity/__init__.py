"""Signed identities: personal learner links, the learner cookie, admin login.

A value the browser could set (a query parameter, a header, a plain cookie)
is never an identity. Only a value signed with the server's secret key
(HMAC-SHA256) is trusted, or the JupyterHub user when running under a Hub.

Tokens look like ``<payload>.<signature>``, both URL-safe base64. The payload
holds the kind (``learner``, ``admin``, ``checkin`` ...), the value and the
issue time, so a token of one kind is never accepted as another.

The package holds every part of who someone is:

- ``tokens``: the server secret, signing and verifying, the learner and admin cookies
  (re-exported here, so ``from rusfokus import identity; identity.sign(...)`` works);
- ``revocation``: revoked identities (an erased person's links stop working);
- ``admin_sessions``: admin sessions ended by /logout or a new password;
- ``roles``: admin, nøgleperson, kursist (``roles.current_role``);
- ``admins``: admin users, passwords, the login rate limit;
- ``links``: personal links (``personal_link``) and the printable sheet
  (``make_sheet``; the dashboard section is ``rusfokus.apps.links_sheet``);
- ``web``: the login, logout and /adgang handlers.

This ``__init__`` imports only ``tokens`` (the "identity core" layer in
``rusfokus.layers``), so progress can use signing and revocation without loading
roles, which read the staff list.
"""

from __future__ import annotations

from rusfokus.identity.tokens import (
    ADMIN_COOKIE,
    ADMIN_MAX_AGE,
    LEARNER_COOKIE,
    LEARNER_MAX_AGE,
    IdentityError,
    InvalidToken,
    admin_claims,
    admin_from_cookie_header,
    admin_token,
    cookie_value,
    current_admin,
    current_learner,
    is_admin,
    learner_from_cookie_header,
    learner_token,
    load_secret,
    normalise_email,
    safe_next_path,
    sign,
    verify,
    verify_claims,
)

__all__ = [
    "ADMIN_COOKIE",
    "ADMIN_MAX_AGE",
    "LEARNER_COOKIE",
    "LEARNER_MAX_AGE",
    "admin_claims",
    "admin_from_cookie_header",
    "admin_token",
    "cookie_value",
    "current_admin",
    "current_learner",
    "IdentityError",
    "InvalidToken",
    "is_admin",
    "learner_from_cookie_header",
    "learner_token",
    "load_secret",
    "normalise_email",
    "safe_next_path",
    "sign",
    "verify",
    "verify_claims",
]
