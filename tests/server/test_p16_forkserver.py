"""App kernels forked from the warm template (issue 16, rusfokus.server.forkserver): a forked kernel
runs an app like a plain one, takes a fraction of the CPU to start, is interrupted, shut down,
released and culled like any kernel, and no process outlives the server (not even a killed one).
Voilà's page templates are compiled once per server (rusfokus.voila_internals.SharedTemplateCode)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import uuid

import nbformat
import psutil
import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning.factory import KernelProvisionerFactory
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from rusfokus.server.app import voila_config
from rusfokus.server.forkserver import PROVISIONER_NAME, ForkProvisioner, ForkServer, forkable
from rusfokus.settings import Settings

from helpers.server import start_server, stop_server, wait_for_preheated


def _gone(pids, timeout=15.0) -> list[int]:
    """The pids of ``pids`` still running (zombies count as gone) after waiting up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        left = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    left.append(pid)
            except psutil.NoSuchProcess:
                pass
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


async def _run(kc, code: str) -> list[str]:
    out = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        if msg["msg_type"] == "error":
            out.append("ERROR " + msg["content"]["ename"])

    await kc.execute_interactive(code, timeout=60, output_hook=hook)
    return out


def test_the_provisioner_is_registered_and_on_by_default(tmp_path):
    factory = KernelProvisionerFactory.instance()
    assert factory._check_availability(PROVISIONER_NAME)
    assert factory.provisioners[PROVISIONER_NAME].load() is ForkProvisioner
    on = voila_config(Settings.from_env({}, root=tmp_path, home=tmp_path / "var"))
    assert on.KernelProvisionerFactory.default_provisioner_name == PROVISIONER_NAME
    off = voila_config(Settings.from_env({"RUSFOKUS_FORK_KERNELS": "0"}, root=tmp_path, home=tmp_path / "var"))
    assert "default_provisioner_name" not in off.KernelProvisionerFactory


def test_only_this_pythons_ipykernel_is_forked():
    assert forkable([sys.executable, "-m", "ipykernel_launcher", "-f", "/x.json"]) == ["-f", "/x.json"]
    assert forkable(["/usr/bin/python3.9", "-m", "ipykernel_launcher", "-f", "/x.json"]) is None
    assert forkable([sys.executable, "-m", "other_kernel", "-f", "/x.json"]) is None
    assert forkable(["R", "--slave"]) is None


def test_the_template_refuses_to_fork_with_a_widget_made_at_import():
    check = "from rusfokus.server.forkserver import template_problems; print(template_problems())"
    clean = subprocess.run(
        [sys.executable, "-c", f"from rusfokus.server.forkserver import preload; preload(); {check}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert clean.stdout.strip() == "[]", clean.stderr
    dirty = subprocess.run(
        [sys.executable, "-c", f"import ipykernel.ipkernel, ipywidgets; ipywidgets.IntSlider(); {check}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "widgets were made at import" in dirty.stdout, dirty.stderr


@pytest.fixture
def fork_default():
    factory = KernelProvisionerFactory.instance()
    before = factory.default_provisioner_name
    factory.default_provisioner_name = PROVISIONER_NAME
    yield ForkServer.instance()
    factory.default_provisioner_name = before
    ForkServer.instance().close()


def test_a_forked_kernel_runs_the_app_is_interrupted_and_shut_down(fork_default):
    async def go():
        km = AsyncKernelManager(kernel_name="python3")
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            assert isinstance(km.provisioner, ForkProvisioner)
            pid = km.provisioner.pid
            template = fork_default.process.pid
            assert psutil.Process(pid).ppid() == template  # forked, not a fresh Python
            assert os.getpgid(pid) == pid  # its own process group, as a plain kernel has
            out = await _run(
                kc,
                "import os, sys\n"
                "from rusfokus.apps.genstande import build_app\n"
                "app = build_app()\n"
                "before = app.result.value\n"
                "app.rows[0].days[0].value = 3\n"
                "print(os.getpid(), 'debugpy' in sys.modules, before != app.result.value)",
            )
            kernel_pid, preloaded, recomputed = "".join(out).split()
            assert int(kernel_pid) == pid and preloaded == "True" and recomputed == "True"
            # interrupt reaches the kernel (its process group), and the kernel goes on
            running = asyncio.ensure_future(_run(kc, "import time\ntime.sleep(30)"))
            await asyncio.sleep(1.0)
            started = time.monotonic()
            await km.interrupt_kernel()
            assert any("KeyboardInterrupt" in line for line in await asyncio.wait_for(running, 20))
            assert time.monotonic() - started < 10
            assert await _run(kc, "print(1 + 1)") == ["2\n"]
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=False)
        assert not await km.is_alive()
        assert _gone([pid]) == []

    asyncio.run(asyncio.wait_for(go(), 180))


_SERVER = textwrap.dedent(
    """
    import asyncio, os, sys
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning.factory import KernelProvisionerFactory
    from rusfokus.server.forkserver import ForkServer
    KernelProvisionerFactory.instance().default_provisioner_name = "rusfokus-fork"

    async def main():
        kms = []
        for _ in range(2):
            km = AsyncKernelManager(kernel_name="python3")
            await km.start_kernel()
            kms.append(km)
        pids = [ForkServer.instance().process.pid, *[km.provisioner.pid for km in kms]]
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write(" ".join(map(str, pids)))
        os.replace(sys.argv[1] + ".tmp", sys.argv[1])
        await asyncio.sleep(600)

    asyncio.run(main())
    """
)


def test_nothing_outlives_a_killed_server(tmp_path):
    """The server is killed (no shutdown at all): the template kills its kernels and goes."""
    script = tmp_path / "server.py"
    script.write_text(_SERVER)
    # The pids come in a file of their own: on a shared stdout the kernels' banners once cut the
    # script's line, and reading for it waited until the test's time limit.
    pid_file = tmp_path / "pids"
    proc = subprocess.Popen([sys.executable, str(script), str(pid_file)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists():
            assert proc.poll() is None, "the server script ended"
            assert time.monotonic() < deadline, "the server script started no kernels within 120 s"
            time.sleep(0.1)
        pids = [int(x) for x in pid_file.read_text().split()]
        assert len(pids) == 3, "the template and two kernels"
        assert all(psutil.pid_exists(pid) for pid in pids)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert _gone(pids) == []
    finally:
        proc.kill()
        proc.wait()


# --- on a real `rusfokus serve` -------------------------------------------------------------------


def _widgets(tmp_path):
    widgets = tmp_path / "widgets"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["rusfokus"] = {"title": "Genstande"}
    nb.cells = [nbformat.v4.new_code_cell("from rusfokus.apps.genstande import build_app\n\napp = build_app()\napp")]
    (widgets / "genstande").mkdir(parents=True)
    nbformat.write(nb, widgets / "genstande" / "index.ipynb")
    book = tmp_path / "book"
    book.mkdir()
    (book / "index.html").write_text('<!DOCTYPE html><html lang="da"><title>Kursus</title><p>Forside</p></html>')
    return widgets, book


def _http(url, method="GET", cookie="", data=None):
    req = urllib.request.Request(url, method=method, headers={"Cookie": cookie}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


async def _widget_comms(srv, kernel_id, cookie) -> int:
    """Connect as the page does and count the app's widgets (comm_info_request)."""
    req = HTTPRequest(f"{srv.url.replace('http', 'ws')}/api/kernels/{kernel_id}/channels", headers={"Cookie": cookie})
    conn = await websocket_connect(req)
    header = {"msg_id": uuid.uuid4().hex, "msg_type": "comm_info_request", "username": "", "session": "s"}
    conn.write_message(
        json.dumps(
            {
                "header": {**header, "date": "", "version": "5.3"},
                "parent_header": {},
                "metadata": {},
                "content": {"target_name": "jupyter.widget"},
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    try:
        while True:
            msg = json.loads(await asyncio.wait_for(conn.read_message(), 30))
            if msg["msg_type"] == "comm_info_reply" and msg["parent_header"].get("msg_id") == header["msg_id"]:
                return len(msg["content"]["comms"])
    finally:
        conn.close()


def _genstande_server(tmp_path, pool_size: int):
    widgets, book = _widgets(tmp_path)
    env = {"RUSFOKUS_WIDGETS_DIR": str(widgets), "RUSFOKUS_COURSE_DIR": str(tmp_path / "course")}
    return start_server(book, tmp_path / "home", {**env, "RUSFOKUS_POOL_SIZE": str(pool_size)})


@pytest.mark.slow
def test_served_apps_run_on_forked_kernels_and_nothing_is_left_after_the_server(tmp_path):
    srv = _genstande_server(tmp_path, pool_size=1)
    try:
        wait_for_preheated(srv, ["genstande"])
        server = psutil.Process(srv.process.pid)
        templates = [p for p in server.children() if "rusfokus.server.forkserver" in " ".join(p.cmdline())]
        assert len(templates) == 1, [p.cmdline() for p in server.children()]
        template = templates[0]
        pooled = template.children()
        assert pooled, "the preheated kernel is forked from the template"
        assert not [p for p in server.children() if "ipykernel_launcher" in " ".join(p.cmdline())]

        page = "rf_page=" + uuid.uuid4().hex
        status, body = _http(srv.url + "/voila/render/genstande/index.ipynb", cookie=page)
        assert status == 200, body[:500]
        kernel_id = json.loads(re.search(r'<script id="rf-live-config"[^>]*>(.*?)</script>', body).group(1))["kernelId"]
        assert asyncio.run(_widget_comms(srv, kernel_id, page)) > 50  # the calculator's widgets
        before = {p.pid for p in template.children()}
        # the page's beacon: gone at once, like a plain kernel
        assert _http(f"{srv.url}/rusfokus/kernel/{kernel_id}/release", "POST", page, b"")[0] in (200, 204)
        assert _http(f"{srv.url}/api/kernels/{kernel_id}", cookie=page)[0] != 200
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len({p.pid for p in template.children()} & before) >= len(before):
            time.sleep(0.2)
        assert len({p.pid for p in template.children()} & before) < len(before), "a forked kernel process ended"

        everything = [server.pid, template.pid, *[p.pid for p in template.children()]]
        log = srv.log.read_text()
        assert "the plain way" not in log
        assert "Kernel pool of genstande/index.ipynb is filled" in log
    finally:
        stop_server(srv)
    assert _gone(everything) == []


@pytest.mark.slow
def test_without_pools_an_app_kernel_is_forked_too(tmp_path):
    """RUSFOKUS_POOL_SIZE=0: the kernel a page starts (no pool) is forked from the template as well. Regression: the
    grader's spare kernel used to start first and fix the process's provisioner to jupyter_client's plain one."""
    srv = _genstande_server(tmp_path, pool_size=0)
    try:
        server = psutil.Process(srv.process.pid)
        # the grader's spare kernel starts a few seconds after the server: the first kernel of the process
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            p.cmdline()[1:3] in (["-m", "ipykernel_launcher"], ["-m", "rusfokus.server.forkserver"])
            for p in server.children(recursive=True)
        ):
            time.sleep(0.2)
        page = "rf_page=" + uuid.uuid4().hex
        status, body = _http(srv.url + "/voila/render/genstande/index.ipynb", cookie=page)
        assert status == 200, body[:500]
        kernel_id = json.loads(re.search(r'<script id="rf-live-config"[^>]*>(.*?)</script>', body).group(1))["kernelId"]
        assert asyncio.run(_widget_comms(srv, kernel_id, page)) > 50
        plain = [p.cmdline() for p in server.children() if "ipykernel_launcher" in " ".join(p.cmdline())]
        assert plain == [], "no kernel started the plain way"
        templates = [p for p in server.children() if "rusfokus.server.forkserver" in " ".join(p.cmdline())]
        assert len(templates) == 1 and templates[0].children(), "the page's kernel is a child of the template"
    finally:
        stop_server(srv)
