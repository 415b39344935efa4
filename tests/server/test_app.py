"""`rusfokus serve`: one origin, no listings, guarded admin apps, clear start-up errors."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from helpers.paths import ROOT, free_port
from helpers.server import start_server, stop_server, wait_for_preheated


def get(url, headers=None, timeout=60):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def test_book_and_status_on_one_origin(server):
    status, headers, body = get(server.url + "/book/index.html")
    assert status == 200 and '<html lang="da"' in body
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, body = get(server.url + "/rusfokus/status")
    assert status == 200 and "genstande" in json.loads(body)["apps"]


def test_app_is_served_danish_without_cdn(server):
    status, headers, body = get(server.url + "/voila/render/genstande/index.ipynb")
    assert status == 200
    assert '<html lang="da"' in body and "cdn.jsdelivr.net" not in body
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/voila/tree",
        "/voila/tree/",
        "/voila/api/contents",
        "/voila/api/contents/opgave",
        "/voila/render/../exercises/source/opsporing/opsporing.ipynb",
        "/voila/render/genstande/other.ipynb",
        "/voila/render/nope/index.ipynb",
        "/modules/01-opsporing/data/opgave.yml",
        "/01-opsporing/data/opgave.yml",
        "/exercises/source/opsporing/opsporing.ipynb",
        "/kommune.yml",
        "/var/secret.key",
        "/../var/secret.key",
        "/voila/files/genstande/index.ipynb",
    ],
)
def test_nothing_is_listed_and_no_source_or_key_is_served(server, path):
    status, _, body = get(server.url + path)
    assert status in (403, 404), f"{path} -> {status}"
    assert "korrekt" not in body


def test_request_info_socket_refuses_browsers(server):
    from tornado.httpclient import HTTPRequest
    from tornado.ioloop import IOLoop
    from tornado.websocket import websocket_connect

    async def try_read():
        req = HTTPRequest(
            server.url.replace("http", "ws") + "/voila/query/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12,
            headers={"Origin": server.url},
        )
        try:
            conn = await websocket_connect(req)
        except Exception:
            return "refused"
        msg = await conn.read_message()
        return "closed" if msg is None else msg

    assert IOLoop.current().run_sync(try_read, timeout=20) in ("refused", "closed")


def test_refused_request_info_sockets_do_not_strand_waiting_kernels(admin_server):
    """Regression: each refused browser socket used to drop one waiting preheated
    kernel from Voilà's list, so that app's next page never finished loading (on the server
    of small apps below: the session's server preheats none)."""
    server = admin_server
    from tornado.httpclient import HTTPRequest
    from tornado.ioloop import IOLoop
    from tornado.websocket import websocket_connect

    apps = ("offentlig", "anden")
    wait_for_preheated(server, apps)  # each app's pool kernel is now waiting for its request

    async def knock(n):
        for _ in range(n):
            req = HTTPRequest(
                server.url.replace("http", "ws") + "/voila/query/" + "1" * 8 + "-1111-1111-1111-" + "1" * 12,
                headers={"Origin": server.url},
            )
            try:
                conn = await websocket_connect(req)
                await conn.read_message()
            except Exception:
                pass

    IOLoop.current().run_sync(lambda: knock(20), timeout=60)
    for app in apps:
        status, _, body = get(server.url + f"/voila/render/{app}/index.ipynb", timeout=30)
        assert status == 200 and "</html>" in body and "rf-live-config" in body, app


@pytest.fixture(scope="module")
def admin_server(built_book, tmp_path_factory):
    widgets = tmp_path_factory.mktemp("widgets")
    for name, meta in (
        ("offentlig", {}),
        ("anden", {}),
        ("hemmelig", {"access": "admin", "title": "Hemmelig"}),
        ("varm", {"access": "admin", "title": "Varm", "pool_size": 1}),
    ):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata["rusfokus"] = meta
        nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as w\nw.HTML('<p>hej</p>')")]
        (widgets / name).mkdir()
        nbformat.write(nb, widgets / name / "index.ipynb")
    srv = start_server(
        built_book,
        tmp_path_factory.mktemp("admin-home"),
        {"RUSFOKUS_WIDGETS_DIR": str(widgets), "RUSFOKUS_POOL_SIZE": "1"},  # its pools are tested
    )
    yield srv
    stop_server(srv, wait=False)


def test_min_side_without_a_personal_link_takes_no_kernel(server):
    """An app that shows nothing without identity (Min side) gives a visitor without her personal
    link a Danish notice and no kernel."""
    status, _, body = get(server.url + "/voila/render/min-side/index.ipynb")
    assert status == 200 and "personlige link" in body and "rf-live-config" not in body
    forged = {"Cookie": "rf_learner=forfalsket.token"}
    status, _, body = get(server.url + "/voila/render/min-side/index.ipynb", forged)
    assert "rf-live-config" not in body


def test_admin_app_needs_a_signed_admin_cookie(admin_server):
    opener = urllib.request.build_opener(NoRedirect)
    url = admin_server.url + "/voila/render/hemmelig/index.ipynb"
    for cookie in (None, "rf_admin=konsulent", f"rf_learner={admin_server.learner_token('a@b.example')}"):
        req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
        with pytest.raises(urllib.error.HTTPError) as exc:
            opener.open(req, timeout=30)
        assert exc.value.code == 302 and exc.value.headers["Location"].startswith("/login?next=")
    status, _, body = get(url, {"Cookie": f"rf_admin={admin_server.admin_token('konsulent')}"})
    assert status == 200 and "<title>Hemmelig – rusfokus</title>" in body
    status, _, _ = get(admin_server.url + "/voila/render/offentlig/index.ipynb")
    assert status == 200


def test_a_preheated_admin_app_is_still_closed_without_the_admin_cookie(admin_server):
    """An admin app may ask for a preheated kernel (the dashboard does, to paint in < 2 s);
    the server's check before the kernel sees the request is the same."""
    opener = urllib.request.build_opener(NoRedirect)
    url = admin_server.url + "/voila/render/varm/index.ipynb"
    for cookie in (None, f"rf_learner={admin_server.learner_token('a@b.example')}"):
        req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
        with pytest.raises(urllib.error.HTTPError) as exc:
            opener.open(req, timeout=30)
        assert exc.value.code == 302 and exc.value.headers["Location"].startswith("/login?next=")
    status, _, body = get(url, {"Cookie": f"rf_admin={admin_server.admin_token('konsulent')}"})
    assert status == 200 and "<title>Varm – rusfokus</title>" in body


def _serve(env_extra, tmp_path, args=()):
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("RUSFOKUS_")}
    env.update({"RUSFOKUS_ROOT": str(ROOT), "RUSFOKUS_HOME": str(tmp_path / "home")})
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "rusfokus.cli", "serve", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_port_in_use_gives_a_clear_message(built_book, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = _serve({"RUSFOKUS_BOOK_DIR": str(built_book), "RUSFOKUS_PORT": str(port)}, tmp_path)
    assert proc.returncode == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in proc.stdout


@pytest.mark.slow  # starts `rusfokus serve` (which refuses to start)
def test_missing_build_and_broken_kommune_stop_the_server(tmp_path):
    proc = _serve({"RUSFOKUS_BOOK_DIR": str(tmp_path / "nothing"), "RUSFOKUS_PORT": str(free_port())}, tmp_path)
    assert proc.returncode == 2 and "No built book" in proc.stdout and "make book" in proc.stdout
    bad = tmp_path / "kommune.yml"
    bad.write_text(
        Path(ROOT / "kommune.yml").read_text(encoding="utf-8").replace("kommune: Eksempel Kommune", "kommune:"),
        encoding="utf-8",
    )
    proc = _serve({"RUSFOKUS_KOMMUNE": str(bad), "RUSFOKUS_PORT": str(free_port())}, tmp_path)
    assert proc.returncode == 2 and "kommune.yml:" in proc.stdout and "kommune: is required" in proc.stdout


def test_app_kernels_do_not_inherit_the_smtp_password(monkeypatch, tmp_path):
    """Kernels get the server's environment; the SMTP password stays in the server's Settings."""
    import dataclasses
    import os

    from rusfokus.server.app import export_environment
    from rusfokus.settings import Secret, Settings

    monkeypatch.setenv("RUSFOKUS_SMTP_PASSWORD", "hemmeligt-kodeord")
    monkeypatch.setenv("RUSFOKUS_HOME", str(tmp_path))
    settings = Settings.from_env()
    for name, _help in Settings.describe():
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test
    export_environment(settings)
    assert "RUSFOKUS_SMTP_PASSWORD" not in os.environ
    assert settings.smtp_password.value == "hemmeligt-kodeord"  # the server still has it
    # a kernel reads the same settings from what it inherits
    assert Settings.from_env() == dataclasses.replace(settings, smtp_password=Secret(""))
