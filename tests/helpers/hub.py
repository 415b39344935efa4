"""A real JupyterHub 5.4 on loopback (pip ``jupyterhub`` + npm ``configurable-http-proxy``), with the dummy
authenticator (one shared password), groups, and rusfokus registered as an external OAuth service."""

from __future__ import annotations

import html
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from helpers.paths import ROOT, free_port

CHP = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
PASSWORD = "hub-test-kodeord"


@dataclass
class Hub:
    url: str  # the proxy: what the browser reaches
    api_url: str
    service_token: str
    process: subprocess.Popen
    log: Path


@dataclass
class HubPlan:
    """The Hub's ports and the service token, picked before either side starts (each needs the other's)."""

    port: int
    hub_port: int
    proxy_api: int
    token: str

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}/hub/api"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def plan_hub() -> HubPlan:
    return HubPlan(free_port(), free_port(), free_port(), secrets.token_hex(32))


def start_hub(folder: Path, plan: HubPlan, service_url: str, groups: dict[str, list[str]], timeout: float = 90) -> Hub:
    """Start the Hub; ``service_url`` is rusfokus's own address (its callback is <service_url>/hub/oauth_callback).
    ``groups``: group name → user names. Every user in a group may access the service."""
    folder.mkdir(parents=True, exist_ok=True)
    port, hub_port, proxy_api, token = plan.port, plan.hub_port, plan.proxy_api, plan.token
    config = f"""
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api}"
c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]
c.JupyterHub.db_url = "sqlite:///{folder / "hub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(folder / "hub.pid")!r}
c.ConfigurableHTTPProxy.pid_file = {str(folder / "proxy.pid")!r}
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
c.Authenticator.allow_all = True
c.JupyterHub.cleanup_servers = True
c.JupyterHub.services = [
    {{
        "name": "rusfokus",
        "url": {service_url!r},
        "api_token": {token!r},
        "oauth_client_id": "service-rusfokus",
        "oauth_redirect_uri": {service_url + "/hub/oauth_callback"!r},
        "oauth_no_confirm": True,
    }}
]
c.JupyterHub.load_groups = {{name: {{"users": users}} for name, users in {groups!r}.items()}}
c.JupyterHub.load_roles = [
    {{"name": "rusfokus-adgang", "scopes": ["access:services!service=rusfokus"], "groups": list({list(groups)!r})}},
    {{"name": "rusfokus-tjeneste", "scopes": ["read:users:name", "read:servers"], "services": ["rusfokus"]}},
]
"""
    (folder / "jupyterhub_config.py").write_text(config)
    log = folder / "hub.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "RUSFOKUS_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(folder / "jupyterhub_config.py")],
        cwd=folder,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    hub = Hub(url, plan.api_url, token, proc, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyterhub exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/hub/api", timeout=2) as r:
                if r.status == 200:
                    return hub
        except OSError:
            time.sleep(0.3)
    stop_hub(hub)
    raise RuntimeError(f"jupyterhub did not answer in {timeout}s:\n{log.read_text()[-3000:]}")


def stop_hub(hub: Hub) -> None:
    hub.process.terminate()  # the Hub stops its proxy itself
    try:
        hub.process.wait(20)
    except subprocess.TimeoutExpired:
        hub.process.kill()


def hub_login(session, start_url: str, username: str, password: str = PASSWORD):
    """What a person's browser does: open ``start_url`` (rusfokus's /hub/login?next=...), land on the Hub's
    login form, post the name and password, and follow the redirects (Hub → OAuth → rusfokus). Returns the
    last response."""
    page = session.get(start_url, timeout=30)
    form = re.search(r'<form[^>]*action="([^"]*)"', page.text)
    xsrf = re.search(r'name="_xsrf"[^>]*value="([^"]*)"', page.text)
    if form is None:
        raise AssertionError(f"no login form at {page.url}: {page.status_code} {page.text[:500]}")
    data = {"username": username, "password": password}
    if xsrf:
        data["_xsrf"] = html.unescape(xsrf.group(1))
    return session.post(urljoin(page.url, html.unescape(form.group(1))), data=data, timeout=30)
