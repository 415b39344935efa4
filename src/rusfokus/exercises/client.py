"""Kernel side: hand answers to the server's grading queue over HTTP.

The exercise app runs in a Voilà kernel on the server machine. It learns the
learner from the signed cookie (``identity.current_learner``), then signs a
short-lived token for the server, which verifies it again (``secret``: the
server's, from the Settings the app's build_app reads).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

from rusfokus import identity
from rusfokus.settings import Settings

DEFAULT_PORT = Settings.default("port")
TIMEOUT = 90
DRAFT_TIMEOUT = 10  # a draft is saved while she works: never hold the app for long


def server_url(port: int = DEFAULT_PORT) -> str:
    """Base URL of the server that runs this kernel (Voilà puts its address in the kernel's environment;
    ``port``: the server's setting RUSFOKUS_PORT, if Voilà did not)."""
    ip = os.environ.get("VOILA_APP_IP") or "127.0.0.1"
    if ip in ("0.0.0.0", "::", ""):
        ip = "127.0.0.1"
    if ":" in ip and not ip.startswith("["):
        ip = f"[{ip}]"
    port = os.environ.get("VOILA_APP_PORT") or port
    base = os.environ.get("VOILA_BASE_URL") or "/"
    return f"http://{ip}:{port}{base if base.endswith('/') else base + '/'}"


def _call(
    method: str,
    path: str,
    email: str,
    body: dict | None = None,
    base: str | None = None,
    timeout: float = TIMEOUT,
    *,
    secret: bytes,
) -> tuple[int, dict]:
    token = identity.learner_token(email, secret=secret)
    data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
    req = urllib.request.Request(
        (base or server_url()) + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read().decode("utf-8"))
        except ValueError:
            return exc.code, {"status": "fejl", "fejl": "Serveren svarede ikke som ventet. Prøv igen om lidt."}
    except (urllib.error.URLError, TimeoutError, OSError):
        return 0, {"status": "fejl", "fejl": "Der er ingen forbindelse til serveren. Prøv igen om lidt."}


def submit(email: str, opgave: str, answers: dict, base: str | None = None, *, secret: bytes) -> tuple[int, dict]:
    return _call("POST", "api/opgave/aflever", email, {"opgave": opgave, "svar": answers}, base, secret=secret)


def status(email: str, opgave: str, base: str | None = None, *, secret: bytes) -> tuple[int, dict]:
    return _call("GET", f"api/opgave/status?opgave={opgave}", email, None, base, secret=secret)


def save_draft(email: str, opgave: str, answers: dict, base: str | None = None, *, secret: bytes) -> tuple[int, dict]:
    """Save half-finished answers; restored when the app opens, never graded."""
    body = {"opgave": opgave, "svar": answers}
    return _call("POST", "api/opgave/kladde", email, body, base, DRAFT_TIMEOUT, secret=secret)
