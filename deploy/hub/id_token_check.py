"""Check the ID token's signature before the Hub lets anyone in: a JupyterHub ``post_auth_hook``.

oauthenticator (17.x) reads the ID token without checking its signature (OpenID Connect Core 3.1.3.7 allows
that when the token comes straight from the provider's token endpoint over TLS). This hook checks it anyway,
against the provider's published keys (JWKS): the signature (RS256), the issuer, the audience (the Hub's
client id), the expiry, and, when the user's data came from the userinfo endpoint, that it is about the same
subject. A token that fails any of these gives a 403 and no Hub login.

Used by entra-id.py and os2faktor.py next to this file. Needs PyJWT with cryptography (both in the JupyterHub
image of the Zero to JupyterHub chart: oauthenticator depends on PyJWT, JupyterHub on cryptography).
"""

from __future__ import annotations

import asyncio
import logging

import jwt
from tornado import web

log = logging.getLogger("jupyterhub.id_token_check")
ALGORITHMS = ["RS256"]
REQUIRED = ["exp", "iat", "iss", "aud", "sub"]


def parse_required(text: str) -> dict[str, str]:
    """``"cvr=12345678,acr=substantial"`` → ``{"cvr": "12345678", "acr": "substantial"}`` (OIDC_REQUIRE_CLAIMS)."""
    out = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"id_token_check: {part!r} is not claim=value")
        out[name.strip()] = value.strip()
    return out


def verify_id_token(issuer: str, jwks_uri: str, leeway: int = 60, require: dict[str, str] | None = None):
    """A ``c.Authenticator.post_auth_hook`` that refuses a login whose ID token does not verify. A placeholder
    or a non-https address stops the Hub at start (ValueError), not at the first login.

    ``require``: claims the signed ID token must carry with these values (a list claim must contain it), e.g.
    the municipality's CVR number when a bridge serves several municipalities. An e-mail the provider marks
    as not verified (``email_verified: false``) is refused: rusfokus matches people by e-mail."""
    require = dict(require or {})
    for what, value in (("issuer", issuer), ("jwks_uri", jwks_uri)):
        if "<REPLACE" in value or not value.startswith(("https://", "http://127.0.0.1:", "http://localhost:")):
            raise ValueError(
                f"id_token_check: {what} is not set to the provider's https address (got {value!r}); "
                "set it in the Hub's environment (see deploy/hub/README.md)"
            )
    keys = jwt.PyJWKClient(jwks_uri, cache_keys=True, lifespan=3600, timeout=10)

    def check(token: str, audience: str) -> dict:
        key = keys.get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": REQUIRED},
        )

    async def hook(authenticator, handler, authentication):
        state = authentication.get("auth_state") or {}
        token = state.get("id_token")
        if not token:
            log.warning("Login of %r refused: no ID token (the scope must include openid)", authentication.get("name"))
            raise web.HTTPError(403, "The identity provider sent no ID token")
        try:
            claims = await asyncio.to_thread(check, token, authenticator.client_id)
        except jwt.PyJWTError as exc:
            log.warning("Login of %r refused: ID token does not verify: %s", authentication.get("name"), exc)
            raise web.HTTPError(403, "The ID token could not be verified") from None
        user = state.get(getattr(authenticator, "user_auth_state_key", "oauth_user")) or {}
        if user.get("sub") not in (None, claims["sub"]):
            log.warning("Login of %r refused: userinfo is about another subject", authentication.get("name"))
            raise web.HTTPError(403, "The ID token and the user data do not match")
        for name, wanted in require.items():
            value = claims.get(name)
            if not (value == wanted or (isinstance(value, list) and wanted in value)):
                log.warning(
                    "Login of %r refused: claim %s is %r, not %r", authentication.get("name"), name, value, wanted
                )
                raise web.HTTPError(403, "Not a user of this Hub's organisation")
        if claims.get("email_verified") is False or user.get("email_verified") is False:
            log.warning("Login of %r refused: the provider says the e-mail is not verified", authentication.get("name"))
            raise web.HTTPError(403, "The e-mail address is not verified")
        return authentication

    return hook
