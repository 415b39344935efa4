"""Server hardening (issue 12, items 11 and 12) and the attacks that held, on a real
`rusfokus serve` with a small app: kernels belong to the page session that opened
them, request info is forgotten after its handout, no code runs over the kernel
websocket in any protocol or channel, trusted proxy off/on, Secure cookies."""

from __future__ import annotations

import asyncio
import json
import os
import re
import urllib.error
import urllib.request
import uuid

import nbformat
import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from helpers.course import exercise_file
from helpers.paths import ROOT
from helpers.server import start_server, stop_server

# every test here starts a small `rusfokus serve` of its own (or uses the session's)
pytestmark = pytest.mark.slow

MARKER_COOKIE = "rf_learner=hemmelig-markoer-7f3a"


def _widgets(tmp_path):
    widgets = tmp_path / "widgets"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["rusfokus"] = {"title": "Lille"}
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as w\nw.IntSlider(description='Tal')")]
    (widgets / "lille").mkdir(parents=True)
    nbformat.write(nb, widgets / "lille" / "index.ipynb")
    admin = nbformat.v4.new_notebook(
        metadata={"kernelspec": nb.metadata["kernelspec"], "rusfokus": {"access": "admin", "title": "Hemmelig"}}
    )
    admin.cells = [nbformat.v4.new_code_cell("import ipywidgets as w\nw.HTML('<p>kun for admin</p>')")]
    (widgets / "hemmelig").mkdir()
    nbformat.write(admin, widgets / "hemmelig" / "index.ipynb")
    book = tmp_path / "book"
    book.mkdir()
    (book / "index.html").write_text('<!DOCTYPE html><html lang="da"><title>Kursus</title><p>Forside</p></html>')
    return widgets, book


def _serve(tmp_path_factory, name, extra=None):
    tmp = tmp_path_factory.mktemp(name)
    widgets, book = _widgets(tmp)
    env = {"RUSFOKUS_WIDGETS_DIR": str(widgets), "RUSFOKUS_COURSE_DIR": str(tmp / "course"), **(extra or {})}
    return start_server(book, tmp / "home", env)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = _serve(tmp_path_factory, "hardening-off")
    yield s
    stop_server(s, wait=False)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    s = _serve(tmp_path_factory, "hardening-proxy", {"RUSFOKUS_TRUSTED_PROXY": "1"})
    yield s
    stop_server(s, wait=False)


def request(url, method="GET", headers=None, data=None, timeout=60):
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def open_app(server, cookie=MARKER_COOKIE, headers=None):
    """Load the app page like a browser; returns (kernel id, the page session cookie)."""
    status, hdrs, body = request(
        server.url + "/voila/render/lille/index.ipynb", headers={"Cookie": cookie, **(headers or {})}
    )
    assert status == 200, body[-500:]
    config = json.loads(
        re.search(r'<script id="rf-live-config" type="application/json"[^>]*>(.*?)</script>', body).group(1)
    )
    page = [c.split(";")[0] for c in hdrs.get_all("Set-Cookie") or [] if c.startswith("rf_page=")]
    return config["kernelId"], page[0] if page else None


def run(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def kernel_alive(server, kernel_id, page_cookie) -> bool:
    status, _, _ = request(f"{server.url}/api/kernels/{kernel_id}", headers={"Cookie": page_cookie})
    return status == 200


# item 12: kernel shutdown and connection only from the kernel's own page session ----------------


def test_strangers_cannot_shut_down_or_connect_to_a_kernel(srv):
    kernel_id, page = open_app(srv)
    assert page and kernel_alive(srv, kernel_id, page)
    stranger = "rf_page=" + "x" * 32
    for cookie in ({}, {"Cookie": stranger}, {"Cookie": MARKER_COOKIE}):
        assert request(f"{srv.url}/api/kernels/{kernel_id}", "DELETE", cookie)[0] == 403
        assert request(f"{srv.url}/voila/api/shutdown/{kernel_id}", "POST", cookie, data=b"")[0] == 403
        assert request(f"{srv.url}/api/kernels/{kernel_id}", "GET", cookie)[0] == 403

        async def connect(headers=cookie):
            req = HTTPRequest(f"{srv.url.replace('http', 'ws')}/api/kernels/{kernel_id}/channels", headers=headers)
            try:
                conn = await websocket_connect(req)
            except Exception as exc:
                return getattr(exc, "code", "refused")
            conn.close()
            return "connected"

        assert run(connect()) == 403
    assert kernel_alive(srv, kernel_id, page)  # nothing a stranger did ended it
    for listing in ("/api/kernels", "/api/sessions", "/api/kernels/", "/voila/api/kernels"):  # no list of kernel ids
        status, _, body = request(srv.url + listing)
        assert status == 404 and kernel_id not in body, listing
    for action in ("restart", "interrupt"):
        status, _, _ = request(
            f"{srv.url}/api/kernels/{kernel_id}/{action}", "POST", {"Cookie": MARKER_COOKIE}, data=b""
        )
        assert status in (403, 404, 405), action
    # the page itself may connect and end its kernel (Voilà's shutdown on leaving the page;
    # Jupyter's XSRF check wants the _xsrf cookie echoed in a header, as a browser page does)

    async def own():
        req = HTTPRequest(f"{srv.url.replace('http', 'ws')}/api/kernels/{kernel_id}/channels", headers={"Cookie": page})
        conn = await websocket_connect(req)
        conn.close()
        return "connected"

    assert run(own()) == "connected"
    xsrf = {"Cookie": f"{page}; _xsrf=0123abcd", "X-XSRFToken": "0123abcd"}
    status, _, _ = request(f"{srv.url}/voila/api/shutdown/{kernel_id}", "POST", xsrf, data=b"")
    assert status in (200, 204), status
    assert not kernel_alive(srv, kernel_id, page)


def test_request_info_is_forgotten_after_the_page(srv):
    """Voilà cached each visitor's request info (with the Cookie header) by kernel id
    until something read it; an app that never asks for it left it there for anyone."""
    kernel_id, _ = open_app(srv)

    async def read_request_info():
        req = HTTPRequest(f"{srv.url.replace('http', 'ws')}/voila/query/{kernel_id}")  # like a kernel: no Origin
        conn = await websocket_connect(req)
        try:
            return await asyncio.wait_for(conn.read_message(), 3)
        except TimeoutError:
            return None
        finally:
            conn.close()

    leaked = run(read_request_info())
    assert leaked is None or "hemmelig-markoer" not in leaked


# held attacks (regression): no code runs over the kernel websocket --------------------------------


def _execute(code: str, msg_id: str) -> dict:
    return {
        "header": {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "",
            "session": "s",
            "date": "2026-12-02T08:00:00Z",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "buffers": [],
    }


def _v1_frame(channel: str, msg: dict) -> bytes:
    """The binary v1.kernel.websocket.jupyter.org framing."""
    parts = [
        channel.encode(),
        json.dumps(msg["header"]).encode(),
        json.dumps(msg["parent_header"]).encode(),
        json.dumps(msg["metadata"]).encode(),
        json.dumps(msg["content"]).encode(),
    ]
    offsets = []
    pos = 8 * (len(parts) + 2)
    for part in parts:
        offsets.append(pos)
        pos += len(part)
    offsets.append(pos)
    head = len(offsets).to_bytes(8, "little") + b"".join(o.to_bytes(8, "little") for o in offsets)
    return head + b"".join(parts)


def test_no_code_runs_over_the_kernel_websocket(srv, tmp_path):
    """Own page session, every protocol and channel: execute_request never runs."""
    kernel_id, page = open_app(srv)
    markers = {}

    async def attack(subprotocols, channel, binary):
        tag = f"{channel}-{'v1' if binary else 'json'}-{uuid.uuid4().hex[:6]}"
        marker = tmp_path / f"ran-{tag}"
        markers[tag] = marker
        msg = _execute(f"open({str(marker)!r}, 'w').write('x')", uuid.uuid4().hex)
        url = f"{srv.url.replace('http', 'ws')}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
        conn = await websocket_connect(HTTPRequest(url, headers={"Cookie": page}), subprotocols=subprotocols)
        if binary:
            await conn.write_message(_v1_frame(channel, msg), binary=True)
        else:
            await conn.write_message(json.dumps({**msg, "channel": channel}))
        replies = []
        try:
            while True:
                got = await asyncio.wait_for(conn.read_message(), 2)
                if got is None:
                    break
                replies.append(got if isinstance(got, str) else got.decode("utf-8", "replace"))
        except TimeoutError:
            pass
        conn.close()
        return replies

    for subprotocols, binary in ((None, False), (["v1.kernel.websocket.jupyter.org"], True)):
        for channel in ("shell", "control"):
            replies = run(attack(subprotocols, channel, binary))
            assert not any("execute_reply" in r or "execute_result" in r for r in replies), replies
    import time

    time.sleep(1)
    assert not [t for t, m in markers.items() if m.exists()]
    assert kernel_alive(srv, kernel_id, page)


# item 11: trusted proxy off (default) and on ----------------------------------------------------

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Real-Ip": "203.0.113.7", "X-Forwarded-Proto": "https"}


def _login_actor(server, headers) -> tuple[list[str], str]:
    """A failed login; returns its Set-Cookie headers and the client address the audit log recorded."""
    from sqlalchemy import select

    from rusfokus.db import session_scope
    from rusfokus.progress.models import AuditEntry

    status, hdrs, body = request(server.url + "/login", headers=headers)
    cookies = hdrs.get_all("Set-Cookie") or []
    csrf = [c.split(";")[0] for c in cookies if c.startswith("rf_login_csrf=")][0]
    token = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
    user = "proxytest-" + uuid.uuid4().hex[:8]
    status, _, _ = request(
        server.url + "/login",
        "POST",
        {**headers, "Cookie": csrf},
        f"csrf={token}&username={user}&password=forkert-forkert".encode(),
    )
    assert status == 403
    with session_scope(f"sqlite:///{server.home / 'rusfokus.db'}") as s:
        actor = s.scalar(
            select(AuditEntry.actor).where(AuditEntry.action == "login.failed", AuditEntry.detail.contains(user))
        )
    return cookies, actor


def _cookies(server, path, headers):
    status, hdrs, _ = request(server.url + path, headers=headers) if path.startswith("/voila") else (None, None, None)
    if hdrs is None:
        req = urllib.request.Request(server.url + path, headers=headers)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        try:
            urllib.request.build_opener(NoRedirect).open(req, timeout=30)
        except urllib.error.HTTPError as e:
            hdrs = e.headers
    return hdrs.get_all("Set-Cookie") or []


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(srv):
    cookies, actor = _login_actor(srv, FORWARDED)
    assert actor == "ip:127.0.0.1"
    token = srv.learner_token("anna@eksempel-kommune.example")
    for c in (
        cookies
        + _cookies(srv, f"/adgang/{token}", FORWARDED)
        + _cookies(srv, "/voila/render/lille/index.ipynb", FORWARDED)
    ):
        assert "secure" not in c.lower(), c


def test_trusted_proxy_gives_client_address_and_secure_cookies(proxied):
    cookies, actor = _login_actor(proxied, FORWARDED)
    assert actor == "ip:203.0.113.7"
    token = proxied.learner_token("anna@eksempel-kommune.example")
    adgang = _cookies(proxied, f"/adgang/{token}", FORWARDED)
    page = _cookies(proxied, "/voila/render/lille/index.ipynb", FORWARDED)
    assert [c for c in adgang if c.startswith("rf_learner=")] and [c for c in page if c.startswith("rf_page=")]
    for c in cookies + adgang + page:
        assert re.search(r";\s*Secure", c), c
    # the proxy said http: no Secure (a Secure cookie would never come back over http)
    plain = _cookies(proxied, f"/adgang/{token}", {**FORWARDED, "X-Forwarded-Proto": "http"})
    assert plain and not any("secure" in c.lower() for c in plain)


# held attacks (regression): traversal, admin guard after logout, answer keys never sent ----------

TRAVERSAL_TARGETS = [
    "var/secret.key",
    "home/secret.key",
    "modules/01-opsporing/data/opgave.yml",
    "kommune.yml",
    "course/source/opsporing/opsporing.ipynb",
    "etc/passwd",
]
TRAVERSAL_PREFIXES = [
    "/",
    "/voila/render/",
    "/voila/static/",
    "/voila/files/",
    "/voila/templates/",
    "/rusfokus/live/",
    "/temadag/static/",
    "/voila/api/themes/",
]
TRAVERSAL_UPS = ["../", "..%2f", "%2e%2e/", "%2e%2e%2f", "..%252f", "..\\", "..%5c", "....//", "%c0%ae%c0%ae/", ".%2e/"]


def test_path_traversal_returns_nothing(srv):
    secret = (srv.home / "secret.key").read_text().strip()
    tried = 0
    for prefix in TRAVERSAL_PREFIXES:
        for up in TRAVERSAL_UPS:
            for target in TRAVERSAL_TARGETS:
                path = prefix + up * 6 + target
                req = urllib.request.Request(srv.url + path)
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        status, body = r.status, r.read().decode("utf-8", "replace")
                except urllib.error.HTTPError as e:
                    status, body = e.code, e.read().decode("utf-8", "replace")
                except urllib.error.URLError:
                    continue
                tried += 1
                assert status in (400, 403, 404), f"{path} -> {status}"
                assert secret not in body and "korrekt:" not in body and "root:" not in body, path
    assert tried >= 400


def test_admin_app_is_closed_again_after_logout(srv):
    """Item 5 on the app server's own guard: the same cookie after /logout opens nothing."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    cookie = {"Cookie": f"rf_admin={srv.admin_token('konsulent')}"}
    status, _, body = request(srv.url + "/voila/render/hemmelig/index.ipynb", headers=cookie)
    assert status == 200 and "Hemmelig" in body
    assert request(srv.url + "/logout", headers=cookie)[0] == 200
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.build_opener(NoRedirect).open(
            urllib.request.Request(srv.url + "/voila/render/hemmelig/index.ipynb", headers=cookie), timeout=30
        )
    assert exc.value.code == 302 and exc.value.headers["Location"].startswith("/login?next=")


async def _widget_states(server, kernel_id, page_cookie) -> str:
    """All widget states of a kernel, asked for the way the page's front end asks."""
    url = f"{server.url.replace('http', 'ws')}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
    conn = await websocket_connect(HTTPRequest(url, headers={"Cookie": page_cookie}))
    comm_id = uuid.uuid4().hex

    def msg(msg_type, content):
        return json.dumps(
            {
                "channel": "shell",
                "header": {
                    "msg_id": uuid.uuid4().hex,
                    "msg_type": msg_type,
                    "username": "",
                    "session": "s",
                    "date": "2026-12-02T08:00:00Z",
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {"version": "1.0.0"},
                "content": content,
                "buffers": [],
            }
        )

    await conn.write_message(
        msg("comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}})
    )
    await conn.write_message(msg("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}}))
    seen = []
    while True:
        try:
            got = await asyncio.wait_for(conn.read_message(), 30)
        except TimeoutError:
            raise AssertionError(f"no widget states; got {seen}") from None
        if got is None:
            raise AssertionError("kernel closed the connection")
        if isinstance(got, bytes):
            from jupyter_server.services.kernels.connection.base import deserialize_binary_message

            data = deserialize_binary_message(got)
        else:
            data = json.loads(got)
        seen.append(data.get("msg_type"))
        if data.get("msg_type") == "comm_msg" and data["content"].get("data", {}).get("method") == "update_states":
            conn.close()
            return json.dumps(data["content"]["data"]["states"], ensure_ascii=False)


def test_answer_keys_are_never_in_the_page_or_the_widget_state(server):
    from rusfokus.exercises.schema import load_exercise

    ex = load_exercise(exercise_file("opsporing"))
    learner = f"rf_learner={server.learner_token('noegle.tjek@eksempel-kommune.example')}"
    status, hdrs, body = request(
        server.url + "/voila/render/opgave/index.ipynb?opgave=opsporing", headers={"Cookie": learner}, timeout=120
    )
    assert status == 200
    kernel_id = json.loads(
        re.search(r'<script id="rf-live-config" type="application/json"[^>]*>(.*?)</script>', body).group(1)
    )["kernelId"]
    page = [c.split(";")[0] for c in hdrs.get_all("Set-Cookie") or [] if c.startswith("rf_page=")][0]
    states = run(_widget_states(server, kernel_id, page), timeout=90)
    assert ex.spoergsmaal[0].tekst in states  # the questions are there ...
    for q in ex.spoergsmaal:  # ... the explanations (the key's reasons) are not
        first = q.forklaring.strip().splitlines()[0]
        assert first not in states and first not in body, q.id
    assert "korrekt" not in states and "korrekt" not in body
    # from the app's folder up and over to the course folder's source notebook (the answer key)
    traversal = os.path.relpath(server.course / "source" / "opsporing" / "opsporing.ipynb", ROOT / "widgets" / "opgave")
    for path in (
        "/voila/files/opgave/index.ipynb",
        "/exercises/source/opsporing/opsporing.ipynb",
        "/voila/render/opgave/../../course/source/opsporing/opsporing.ipynb",
        f"/voila/render/opgave/{traversal}",
    ):
        status, _, text = request(server.url + path)
        assert status in (403, 404) and ex.spoergsmaal[0].forklaring.strip().splitlines()[0] not in text, path


def test_apps_framed_in_one_book_page_share_the_page_session(srv):
    """The book page sets the page session first, so two app frames loading at once
    do not each set their own (the first frame would lose its kernel)."""
    import concurrent.futures

    status, hdrs, _ = request(srv.url + "/")
    cookie = [c.split(";")[0] for c in hdrs.get_all("Set-Cookie") or [] if c.startswith("rf_page=")]
    assert status == 200 and cookie
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        frames = list(pool.map(lambda _: open_app(srv, cookie=f"{MARKER_COOKIE}; {cookie[0]}"), range(2)))
    for kernel_id, new_cookie in frames:
        assert new_cookie is None  # kept the book page's session
        assert kernel_alive(srv, kernel_id, cookie[0])
