"""A small LTI 1.3 platform (an LMS's side) on loopback, built from the specs, for the tool's tests.

It has what a platform has, with real keys: its RSA key pair and JWKS (``/jwks``), the OIDC
authorisation endpoint (``/auth``: checks the client id, the redirect URI and the login hint, and
answers with the auto-submitting form that posts a signed ``id_token`` and the ``state`` to the
tool), the OAuth 2 token endpoint for services (``/token``: client-credentials grant with a JWT
client assertion, verified against the tool's public JWKS fetched from the tool), and an AGS line
item (``/lineitems/<id>/scores``) that keeps the scores posted with a valid access token.

``launch_as(user, module, http)`` does what a person's browser does when she clicks the module in
the LMS: the tool's login initiation, the redirect to ``/auth``, the form post to the tool's launch URL.
The platform can be told to misbehave for the bad-input tests (``tamper``, a foreign key, an expired
token, another client id).
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"


def _key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = json.loads(jwk.JWK.from_pem(pem).export_public())
    public.update({"alg": "RS256", "use": "sig"})
    return pem, public


@dataclass
class User:
    sub: str
    email: str | None
    name: str = "Testbruger"


@dataclass
class Platform:
    tool_url: str
    client_id: str = "rusfokus-test-client"
    deployment_id: str = "dep-1"
    users: dict[str, User] = field(default_factory=dict)
    scores: list[dict] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    misbehave: dict = field(default_factory=dict)
    # filled by start()
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def __post_init__(self):
        self.pem, self.public = _key()
        self.kid = self.public["kid"] = "platform-key-1"

    # --- what the tool's operator writes in lti.yml ---
    def registration(self, **override) -> dict:
        reg = {
            "name": "Test-LMS",
            "issuer": self.url,
            "client_id": self.client_id,
            "deployment_ids": [self.deployment_id],
            "auth_login_url": f"{self.url}/auth",
            "auth_token_url": f"{self.url}/token",
            "key_set_url": f"{self.url}/jwks",
        }
        reg.update(override)
        return reg

    def lineitem(self, module: str) -> str:
        return f"{self.url}/lineitems/{module}"

    # --- the id_token a launch carries ---
    def id_token(self, user: User, nonce: str, module: str, **extra) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": self.client_id,
            "sub": user.sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": user.name,
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": self.deployment_id,
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": f"{self.tool_url}/lti/launch?modul={module}",
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": f"rl-{module}", "title": module},
            "https://purl.imsglobal.org/spec/lti/claim/roles": [
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
            ],
            "https://purl.imsglobal.org/spec/lti/claim/custom": {"modul": module},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": [SCORE, LINEITEM],
                "lineitem": self.lineitem(module),
                "lineitems": f"{self.url}/lineitems",
            },
        }
        if user.email is not None:
            claims["email"] = user.email
        claims.update(extra)
        key, kid = self.pem, self.kid
        if self.misbehave.get("foreign_key"):
            key, _ = _key()
        if self.misbehave.get("expired"):
            claims["iat"], claims["exp"] = now - 600, now - 300
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
        if self.misbehave.get("tamper"):  # change the payload, keep the signature
            head, body, sig = token.split(".")
            data = json.loads(jwt.utils.base64url_decode(body))
            data["email"] = self.misbehave["tamper"]
            body = jwt.utils.base64url_encode(json.dumps(data).encode()).decode()
            token = f"{head}.{body}.{sig}"
        return token

    # --- the browser's part of a launch ---
    def launch_as(self, user_sub: str, module: str, http, fetch_dest: str = "iframe"):
        """Login initiation → /auth → the form post to the tool. Returns the tool's response to the post."""
        r = http.get(
            f"{self.tool_url}/lti/login",
            params={
                "iss": self.url,
                "login_hint": user_sub,
                "target_link_uri": f"{self.tool_url}/lti/launch?modul={module}",
                "client_id": self.client_id,
                "lti_deployment_id": self.deployment_id,
                "lti_message_hint": module,
            },
            allow_redirects=False,
            timeout=30,
        )
        if r.status_code != 302:
            return r
        r = http.get(r.headers["Location"], allow_redirects=False, timeout=30)
        form = self.read_form(r.text)
        self.last_form = form
        return self.post_form(form, http, fetch_dest)

    def post_form(self, form: dict, http, fetch_dest: str = "iframe"):
        return http.post(
            form["action"],
            data={k: v for k, v in form.items() if k != "action"},
            headers={"Sec-Fetch-Dest": fetch_dest},
            allow_redirects=False,
            timeout=30,
        )

    @staticmethod
    def read_form(page: str) -> dict:
        action = re.search(r'<form[^>]*action="([^"]+)"', page)
        assert action, page[:500]
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        return {"action": html.unescape(action.group(1)), **{k: html.unescape(v) for k, v in fields.items()}}

    # --- server ---
    def start(self) -> Platform:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code: int, body: str, ctype: str = "application/json"):
                data = body.encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                parts = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/jwks":
                    return self._send(200, json.dumps({"keys": [platform.public]}))
                if parts.path == "/auth":
                    return self._auth(q)
                if parts.path == "/course":  # the LMS's course page: the module in an iframe, as Moodle embeds it
                    login = (
                        f"{platform.tool_url}/lti/login?iss={platform.url}&login_hint={q.get('user', '')}"
                        f"&target_link_uri={platform.tool_url}/lti/launch%3Fmodul%3D{q.get('modul', '')}"
                        f"&client_id={platform.client_id}&lti_deployment_id={platform.deployment_id}"
                        f"&lti_message_hint={q.get('modul', '')}"
                    )
                    page = (
                        '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>Test-LMS</title>'
                        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
                        f'<body><h1>Test-LMS</h1><iframe id="tool" title="Kursus" src="{html.escape(login)}" '
                        'style="width:100%;height:420px;border:0"></iframe></body></html>'
                    )
                    return self._send(200, page, "text/html; charset=utf-8")
                self._send(404, "{}")

            def _auth(self, q: dict):
                problems = []
                if q.get("client_id") != platform.client_id:
                    problems.append("unknown client_id")
                if q.get("redirect_uri") != f"{platform.tool_url}/lti/launch":
                    problems.append("redirect_uri not registered")
                if q.get("response_type") != "id_token" or q.get("scope") != "openid":
                    problems.append("not an OIDC id_token request")
                if q.get("response_mode") != "form_post" or q.get("prompt") != "none":
                    problems.append("wrong response_mode/prompt")
                user = platform.users.get(q.get("login_hint", ""))
                if user is None:
                    problems.append("unknown login_hint")
                if problems or not q.get("nonce") or not q.get("state"):
                    return self._send(400, json.dumps({"error": "invalid_request", "problems": problems}))
                module = q.get("lti_message_hint", "opsporing")
                token = platform.id_token(user, q["nonce"], module)
                page = (
                    f'<form method="post" action="{html.escape(q["redirect_uri"])}">'
                    f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
                    f'<input type="hidden" name="state" value="{html.escape(q["state"])}">'
                    "</form><script>document.forms[0].submit()</script>"
                )
                self._send(200, page, "text/html; charset=utf-8")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                parts = urlsplit(self.path)
                if parts.path == "/token":
                    return self._token({k: v[0] for k, v in parse_qs(body).items()})
                m = re.fullmatch(r"/lineitems/([a-z0-9-]+)/scores", parts.path)
                if m:
                    return self._score(m.group(1), body)
                self._send(404, "{}")

            def _token(self, form: dict):
                if form.get("grant_type") != "client_credentials" or form.get("client_assertion_type") != (
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                ):
                    return self._send(400, json.dumps({"error": "unsupported_grant_type"}))
                try:  # the tool's public key set, fetched from the tool as a platform does
                    import urllib.request

                    with urllib.request.urlopen(f"{platform.tool_url}/lti/jwks.json", timeout=10) as r:
                        keys = json.loads(r.read())["keys"]
                    header = jwt.get_unverified_header(form["client_assertion"])
                    key = next(k for k in keys if k["kid"] == header["kid"])
                    claims = jwt.decode(
                        form["client_assertion"],
                        jwt.PyJWK(key).key,
                        algorithms=["RS256"],
                        audience=f"{platform.url}/token",
                    )
                    assert claims["iss"] == claims["sub"] == platform.client_id
                except Exception as exc:  # noqa: BLE001 - any failure is an invalid client
                    return self._send(401, json.dumps({"error": "invalid_client", "why": str(exc)}))
                token = secrets.token_urlsafe(16)
                platform.tokens.add(token)
                self._send(200, json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": 3600}))

            def _score(self, module: str, body: str):
                if platform.misbehave.get("ags_down"):
                    return self._send(503, json.dumps({"error": "down"}))
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or auth[7:] not in platform.tokens:
                    return self._send(401, json.dumps({"error": "invalid_token"}))
                if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                    return self._send(415, "{}")
                score = json.loads(body)
                score["lineitem"] = module
                platform.scores.append(score)
                self._send(204, "")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()


def new_user(email: str | None) -> User:
    return User(sub=f"lms-{uuid.uuid4().hex[:12]}", email=email)
