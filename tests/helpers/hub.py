"""A real JupyterHub 5.4 on loopback (pip ``jupyterhub`` + npm ``configurable-http-proxy``), with the dummy
authenticator (one shared password), groups, and rusfokus registered as an external OAuth service: the config
`rusfokus cluster` writes (``rusfokus.cluster.hub_config``), so the tests' Hub is the one `make cluster` runs."""

from __future__ import annotations

import html
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from rusfokus.cluster import dummy_login, hub_config

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
    login = dummy_login(groups, PASSWORD)
    config = hub_config(folder, port, hub_port, proxy_api, str(CHP), token, service_url, login, list(groups))
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


def small_site(data: Path) -> tuple[Path, Path]:
    """A one-page book and one small app (audit-c) in ``data``: (book folder, widgets folder) for a server that is
    about logins, not content."""
    book, widgets = data / "book", data / "widgets"
    book.mkdir(parents=True)
    (book / "index.html").write_text("<!doctype html><title>bog</title><h1>Bogen</h1>")
    shutil.copytree(ROOT / "widgets" / "audit-c", widgets / "audit-c")  # one small app, not preheated
    return book, widgets


@contextmanager
def hub_service(data: Path, roster: str, start_the_hub, extra_env: dict | None = None):
    """rusfokus as the Hub's service (``small_site``, the staff list ``roster`` imported) and the Hub started by
    ``start_the_hub(folder, plan, service_url)`` (``start_hub`` or ``oidc_provider.start_oidc_hub``); yields
    (hub, server), both stopped afterwards. The ports are picked first: the Hub needs the service's URL and token,
    rusfokus the Hub's API URL and the same token."""
    from helpers.server import start_server, stop_server

    book, widgets = small_site(data)
    plan = plan_hub()
    env = {
        "RUSFOKUS_WIDGETS_DIR": str(widgets),
        "RUSFOKUS_POOL_SIZE": "0",
        "RUSFOKUS_HUB_API_URL": plan.api_url,
        "RUSFOKUS_HUB_URL": plan.url,
        "RUSFOKUS_HUB_API_TOKEN": plan.token,
        **(extra_env or {}),
    }
    srv = start_server(book, data / "home", env)
    try:
        (data / "hr.csv").write_text(roster, encoding="utf-8")
        srv.rusfokus("staff", "import", str(data / "hr.csv"))
        hub = start_the_hub(data / "jupyterhub", plan, srv.url)
        try:
            yield hub, srv
        finally:
            stop_hub(hub)
    finally:
        stop_server(srv, wait=False)
