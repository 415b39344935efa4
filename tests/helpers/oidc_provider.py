"""A small, real OpenID Connect provider on loopback for the single sign-on tests (issue 19).

Built on authlib's OAuth 2.0 / OIDC server (authorization code grant, PKCE, the OpenID Connect code extension,
the UserInfo endpoint) in a Flask app served by werkzeug in a thread. What a municipal identity provider
(Microsoft Entra ID, OS2faktor, a Keycloak broker) offers a JupyterHub, and nothing of the Hub's side mocked:

- ``/.well-known/openid-configuration`` (discovery), ``/authorize`` (a login form: user name and password),
  ``/token`` (client_secret_basic or client_secret_post), ``/userinfo`` (bearer token), ``/jwks``;
- ID tokens signed RS256 with the key published at ``/jwks`` (``kid`` in the header), with ``email``,
  ``preferred_username``, ``name`` and a ``groups`` claim (the Entra ID "roles"/OS2faktor group claims' stand-in);
- fictional users (``USERS``), one registered client (the Hub).

For the fault tests a user can be given a bad ID token: ``provider.bad_id_token[name] = "tampered"`` (payload
changed after signing: the admin group added, the signature kept) or ``"foreign-key"`` (signed by a key that
is not in the JWKS), as a broken or impersonated provider would send.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, Response, jsonify, request
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from helpers.hub import CHP, Hub, HubPlan, stop_hub
from helpers.paths import ROOT, free_port

SCOPES = ("openid", "profile", "email", "groups")
CODE_TTL = 120


@dataclass(frozen=True)
class User:
    username: str
    password: str
    email: str
    name: str
    groups: tuple[str, ...] = ()
    cvr: str = "12345678"  # the (fictional) municipality's CVR number, as a KOMBIT bridge would pass it on
    email_verified: bool = True

    @property
    def sub(self) -> str:  # a stable subject, not the e-mail (as Entra ID's and OS2faktor's are)
        return "sub-" + base64.urlsafe_b64encode(self.username.encode()).decode().rstrip("=")


DOMAIN = "oidc-kommune.example"
USERS = {
    u.username: u
    for u in (
        User("karla", "karla-kode-1", f"karla@{DOMAIN}", "Karla Oidcsen", ("rusfokus-kursist",)),
        User("niels", "niels-kode-2", f"niels@{DOMAIN}", "Niels Oidcsen", ("rusfokus-noegleperson", "andet")),
        User("ida", "ida-kode-3", f"ida@{DOMAIN}", "Ida Oidcsen", ("rusfokus-admin",)),
        User("ulla", "ulla-kode-4", f"ulla@{DOMAIN}", "Ulla Ukendt", ("rusfokus-kursist",)),  # not on the list
        User("erik", "erik-kode-5", f"erik@{DOMAIN}", "Erik Oidcsen", ("andet",)),  # no rusfokus group
        User("malte", "malte-kode-6", f"malte@{DOMAIN}", "Malte Oidcsen", ("rusfokus-kursist",)),  # bad tokens
    )
}


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    client_metadata: dict = field(default_factory=dict)

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(str(client_secret), self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post") if endpoint == "token" else True

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class AuthCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: User
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    issued: float = field(default_factory=time.time)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return int(self.issued)

    def get_acr(self):
        return None

    def get_amr(self):
        return ["pwd"]


@dataclass
class Token(TokenMixin):
    access_token: str
    scope: str
    client: Client
    user: User
    expires_in: int
    issued: float = field(default_factory=time.time)

    def check_client(self, client):
        return client.client_id == self.client.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return time.time() > self.issued + self.expires_in

    def is_revoked(self):
        return False

    def get_user(self):
        return self.user

    def get_client(self):
        return self.client


def user_claims(user: User, scope: str) -> UserInfo:
    scopes = set((scope or "").split())
    info = UserInfo(sub=user.sub)
    if "profile" in scopes:
        info.update(name=user.name, preferred_username=user.email, cvr=user.cvr)
    if "email" in scopes:
        info.update(email=user.email, email_verified=user.email_verified)
    if "groups" in scopes or "profile" in scopes:
        info["groups"] = list(user.groups)
    return info


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def tamper(id_token: str) -> str:
    """The same token with the admin group added to its payload and the original signature kept."""
    head, payload, sig = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["groups"] = [*claims.get("groups", []), "rusfokus-admin"]
    return ".".join((head, _b64(json.dumps(claims).encode()), sig))


LOGIN_FORM = """<!doctype html><html lang="da"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Log ind – Test-IdP</title></head>
<body><main><h1>Log ind hos kommunen (test)</h1>{error}
<form method="post" action="{action}">
<label>Brugernavn <input name="username" autocomplete="username" value="{username}"></label>
<label>Adgangskode <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Log ind</button></form></main></body></html>"""


class OIDCProvider:
    """``start()`` serves on 127.0.0.1:<free port>; ``register_client`` adds the Hub as a client."""

    def __init__(self, users: dict[str, User] | None = None):
        self.users = dict(users or USERS)
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "rusfokus-test-1", "use": "sig", "alg": "RS256"})
        self.foreign_key = RSAKey.generate_key(2048, parameters={"kid": "rusfokus-test-1", "alg": "RS256"})
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, AuthCode] = {}
        self.tokens: dict[str, Token] = {}
        self.bad_id_token: dict[str, str] = {}
        self.failed_logins: list[str] = []
        self.lock = threading.Lock()
        self.app = self._make_app()
        self._server = None
        self._thread = None

    # --- the provider's parts ---------------------------------------------------------------------
    def discovery(self) -> dict:
        i = self.issuer
        return {
            "issuer": i,
            "authorization_endpoint": f"{i}/authorize",
            "token_endpoint": f"{i}/token",
            "userinfo_endpoint": f"{i}/userinfo",
            "jwks_uri": f"{i}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(SCOPES),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "name", "email", "preferred_username", "groups"],
        }

    def register_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> Client:
        client = Client(client_id, client_secret, list(redirect_uris))
        self.clients[client_id] = client
        return client

    def _make_app(self) -> Flask:
        provider = self
        app = Flask("rusfokus-test-oidc")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 3600}

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, req):
                data = req.payload.data
                with provider.lock:
                    provider.codes[code] = AuthCode(
                        code,
                        req.client.client_id,
                        req.payload.redirect_uri,
                        req.scope,
                        req.user,
                        data.get("nonce"),
                        data.get("code_challenge"),
                        data.get("code_challenge_method"),
                    )

            def query_authorization_code(self, code, client):
                item = provider.codes.get(code)
                if item and item.client_id == client.client_id and time.time() < item.issued + CODE_TTL:
                    return item
                return None

            def delete_authorization_code(self, authorization_code):  # a code is used once
                with provider.lock:
                    provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class IdToken(OpenIDCode):
            def resolve_client_private_key(self, client):
                return provider.key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_client_claims(self, client):
                return {"iss": provider.issuer, "aud": [client.get_client_id()]}

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": provider.key.kid, "typ": "JWT"}

            def exists_nonce(self, nonce, req):
                return False

            def generate_user_info(self, user, scope):
                return user_claims(user, scope)

            def encode_id_token(self, token, req):
                fault = provider.bad_id_token.get(req.user.username)
                if fault == "foreign-key":
                    self.resolve_client_private_key = lambda client: provider.foreign_key
                    try:
                        return super().encode_id_token(token, req)
                    finally:
                        del self.resolve_client_private_key
                id_token = super().encode_id_token(token, req)
                return tamper(id_token) if fault == "tampered" else id_token

        class TokenValidator(BearerTokenValidator):
            def authenticate_token(self, token_string):
                return provider.tokens.get(token_string)

        class UserInfoEp(UserInfoEndpoint):
            def get_issuer(self):
                return provider.issuer

            def generate_user_info(self, user, scope):
                return user_claims(user, scope)

        def save_token(token, req):
            with provider.lock:
                provider.tokens[token["access_token"]] = Token(
                    token["access_token"], token.get("scope", ""), req.client, req.user, int(token["expires_in"])
                )

        server = AuthorizationServer(app, query_client=self.clients.get, save_token=save_token)
        server.register_grant(CodeGrant, [IdToken(require_nonce=False), CodeChallenge(required=False)])
        protector = ResourceProtector()
        protector.register_token_validator(TokenValidator())
        server.register_endpoint(UserInfoEp(resource_protector=protector))

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(provider.discovery())

        @app.get("/jwks")
        def jwks():
            return jsonify({"keys": [provider.key.as_dict(private=False)]})

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            try:
                grant = server.get_consent_grant(end_user=None)  # a bad client or redirect_uri: an error, no form
            except Exception as exc:  # noqa: BLE001 - authlib's OAuth2Error: shown, never redirected
                return Response(f"Ugyldig anmodning: {html.escape(str(exc))}", status=400)
            action = html.escape("/authorize?" + request.query_string.decode())
            if request.method == "GET":
                return LOGIN_FORM.format(error="", action=action, username="")
            username = request.form.get("username", "")
            user = provider.users.get(username)
            if user is None or not secrets.compare_digest(request.form.get("password", ""), user.password):
                provider.failed_logins.append(username)
                error = '<p role="alert">Forkert brugernavn eller adgangskode.</p>'
                page = LOGIN_FORM.format(error=error, action=action, username=html.escape(username))
                return Response(page, status=401)
            return server.create_authorization_response(grant_user=user, grant=grant)

        @app.post("/token")
        def issue_token():
            return server.create_token_response()

        @app.route("/userinfo", methods=["GET", "POST"])
        def userinfo():
            return server.create_endpoint_response("userinfo")

        return app

    # --- running --------------------------------------------------------------------------------------
    def start(self) -> OIDCProvider:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="oidc-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._thread.join(10)


# --- a JupyterHub that logs people in at this provider ------------------------------------------------------
HUB_CLIENT_ID = "jupyterhub-test"
SNIPPET = ROOT / "deploy" / "hub" / "os2faktor.py"  # the operator's own configuration, loaded as it is
SERVICE_SCOPES = ["read:users:name", "read:users:groups", "read:servers"]  # rusfokus reads name, groups, servers


def start_oidc_hub(folder: Path, plan: HubPlan, service_url: str, provider: OIDCProvider, timeout: float = 90) -> Hub:
    """A real JupyterHub 5.4 whose login is ``deploy/hub/os2faktor.py`` (GenericOAuthenticator) pointed at
    ``provider`` through the environment variables an operator sets; rusfokus registered as in the README."""
    folder.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(24)
    callback = f"{plan.url}/hub/oauth_callback"
    provider.register_client(HUB_CLIENT_ID, secret, [callback])
    groups = ["rusfokus-kursist", "rusfokus-noegleperson", "rusfokus-admin"]
    config = f"""
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {plan.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {plan.hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{plan.proxy_api}"
c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]
c.JupyterHub.db_url = "sqlite:///{folder / "hub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(folder / "hub.pid")!r}
c.ConfigurableHTTPProxy.pid_file = {str(folder / "proxy.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.services = [
    {{
        "name": "rusfokus",
        "url": {service_url!r},
        "api_token": {plan.token!r},
        "oauth_client_id": "service-rusfokus",
        "oauth_redirect_uri": {service_url + "/hub/oauth_callback"!r},
        "oauth_no_confirm": True,
    }}
]
c.JupyterHub.load_roles = [
    {{"name": "rusfokus-adgang", "scopes": ["access:services!service=rusfokus"], "groups": {groups!r}}},
    {{"name": "rusfokus-tjeneste", "scopes": {SERVICE_SCOPES!r}, "services": ["rusfokus"]}},
]
load_subconfig({str(SNIPPET)!r})
"""
    (folder / "jupyterhub_config.py").write_text(config)
    meta = provider.discovery()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "RUSFOKUS_", "OIDC_", "OAUTH"))}
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",  # the tests read the Hub's log
            "OIDC_ISSUER": provider.issuer,
            "OIDC_CLIENT_ID": HUB_CLIENT_ID,
            "OIDC_CLIENT_SECRET": secret,
            "OAUTH_CALLBACK_URL": callback,
            "OIDC_AUTHORIZE_URL": meta["authorization_endpoint"],
            "OIDC_TOKEN_URL": meta["token_endpoint"],
            "OIDC_USERINFO_URL": meta["userinfo_endpoint"],
            "OIDC_JWKS_URL": meta["jwks_uri"],
        }
    )
    log = folder / "hub.log"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(folder / "jupyterhub_config.py")],
        cwd=folder,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    hub = Hub(plan.url, plan.api_url, plan.token, proc, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyterhub exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(plan.url + "/hub/api", timeout=2) as r:
                if r.status == 200:
                    return hub
        except OSError:
            time.sleep(0.3)
    stop_hub(hub)
    raise RuntimeError(f"jupyterhub did not answer in {timeout}s:\n{log.read_text()[-3000:]}")


def login_form(page) -> str:
    """The absolute action URL of the provider's login form on ``page`` (a response)."""
    form = re.search(r'<form[^>]*action="([^"]*)"', page.text)
    if form is None or 'name="password"' not in page.text:
        raise AssertionError(f"no provider login form at {page.url}: {page.status_code} {page.text[:500]}")
    return urljoin(page.url, html.unescape(form.group(1)))


def oidc_login(session, start_url: str, username: str, password: str | None = None, follow: bool = True):
    """What a person's browser does: open ``start_url`` (rusfokus's /hub/login?next=...), get sent through the
    Hub to the provider's login form, post the name and password, and (``follow``) follow the redirects back
    (provider → Hub's callback → Hub OAuth → rusfokus). Returns the last response."""
    page = session.get(start_url, timeout=30)
    action = login_form(page)
    password = USERS[username].password if password is None else password
    return session.post(action, data={"username": username, "password": password}, allow_redirects=follow, timeout=30)
