"""The app kernels' budget (issue 16) on a real `rusfokus serve` with real kernels: the culler
never shuts down a kernel just handed to a page, a cap on live kernels and per visitor with the
Danish "Der er travlt" notice that tries again by itself, other learners' apps keep working, and
a kernel whose page is gone is released soon."""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from rusfokus.server.kernels import HANDOUT_GRACE_SECONDS, KernelBudgetManager

from helpers.server import start_server, stop_server, wait_for_log, wait_for_preheated

BUSY = "Der er travlt lige nu, prøver igen …"


def _widgets(tmp_path):
    widgets = tmp_path / "widgets"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["rusfokus"] = {"title": "Lille"}
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as w\nw.IntSlider(description='Tal')")]
    (widgets / "lille").mkdir(parents=True)
    nbformat.write(nb, widgets / "lille" / "index.ipynb")
    for name, meta in (
        ("overblik", {"access": "admin", "title": "Overblik"}),  # like the dashboard
        ("minside", {"access": "learner", "title": "Min side"}),
    ):  # like Min side
        other = nbformat.v4.new_notebook(metadata={"kernelspec": nb.metadata["kernelspec"], "rusfokus": meta})
        other.cells = [nbformat.v4.new_code_cell("import ipywidgets as w\nw.HTML('<p>hej</p>')")]
        (widgets / name).mkdir()
        nbformat.write(other, widgets / name / "index.ipynb")
    book = tmp_path / "book"
    book.mkdir()
    (book / "index.html").write_text('<!DOCTYPE html><html lang="da"><title>Kursus</title><p>Forside</p></html>')
    return widgets, book


def _serve(tmp_path_factory, name, env):
    tmp = tmp_path_factory.mktemp(name)
    widgets, book = _widgets(tmp)
    return start_server(
        book,
        tmp / "home",
        {
            "RUSFOKUS_WIDGETS_DIR": str(widgets),
            "RUSFOKUS_COURSE_DIR": str(tmp / "course"),
            "RUSFOKUS_POOL_SIZE": "1",  # these servers test the pools (a test server preheats none by default)
            **env,
        },
    )


def request(url, method="GET", headers=None, data=None, timeout=60):
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def new_page() -> str:
    """A browser's page session cookie (as a book page sets it)."""
    return "rf_page=" + uuid.uuid4().hex


def open_app(server, page, app="lille", cookie=""):
    """Load the app page like a browser: (status, kernel id or None, body)."""
    status, _, body = request(
        server.url + f"/voila/render/{app}/index.ipynb", headers={"Cookie": f"{page}; {cookie}" if cookie else page}
    )
    found = re.search(r'<script id="rf-live-config" type="application/json"[^>]*>(.*?)</script>', body)
    return status, json.loads(found.group(1))["kernelId"] if found else None, body


def alive(server, kernel_id, page) -> bool:
    return request(f"{server.url}/api/kernels/{kernel_id}", headers={"Cookie": page})[0] == 200


def release(server, kernel_id, page) -> int:
    return request(f"{server.url}/rusfokus/kernel/{kernel_id}/release", "POST", {"Cookie": page}, data=b"")[0]


async def kernel_answers(server, kernel_id, page, close=True):
    """Connect as the page does and ask the kernel for its info: True when it answers."""
    req = HTTPRequest(f"{server.url.replace('http', 'ws')}/api/kernels/{kernel_id}/channels", headers={"Cookie": page})
    conn = await websocket_connect(req)
    msg_id = uuid.uuid4().hex
    conn.write_message(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "kernel_info_request",
                    "username": "",
                    "session": uuid.uuid4().hex,
                    "date": "",
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "content": {},
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    try:
        while True:
            raw = await asyncio.wait_for(conn.read_message(), 30)
            if raw is None:
                return False
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") == msg_id and msg["msg_type"] == "kernel_info_reply":
                return True
    finally:
        if close:
            conn.close()


def run(coro, timeout=90):
    return asyncio.run(asyncio.wait_for(coro, timeout))


# --- the culling rule (regression: a preheated kernel was culled as it was handed out) ----------


@pytest.fixture(scope="module")
def culling(tmp_path_factory):
    # an idle timeout shorter than the time a page needs to connect, culled every second
    srv = _serve(tmp_path_factory, "culling", {"RUSFOKUS_CULL_IDLE": "2", "RUSFOKUS_CULL_INTERVAL": "1"})
    yield srv
    stop_server(srv, wait=False)


@pytest.mark.slow
def test_culler_spares_a_preheated_kernel_as_it_is_handed_out(culling):
    """A preheated kernel has been idle since it ran the notebook. Handed to a page, it has no
    connection until the page's script connects, and Voilà's culler shut it down in that moment
    (the learner waited 21 s for nothing). Now a kernel handed out in the last minute is never culled."""
    wait_for_preheated(culling, ["lille"])
    time.sleep(4)  # the pooled kernel is now idle longer than the cull timeout (pooled kernels are spared)
    page = new_page()
    status, kernel_id, _ = open_app(culling, page)
    assert status == 200 and kernel_id
    time.sleep(5)  # five cull rounds before the page connects (a slow phone, a busy server)
    assert alive(culling, kernel_id, page), "the culler shut down a kernel just handed to a page"
    assert run(kernel_answers(culling, kernel_id, page))
    assert not [line for line in culling.log.read_text().splitlines() if "Culling" in line and kernel_id in line]


def test_culling_rule_spares_handouts_for_a_minute():
    km = KernelBudgetManager()
    km.record_handout("k1", "lille", "page", "127.0.0.1")
    now = km.handouts["k1"].at
    assert km.recently_handed_out("k1", now + HANDOUT_GRACE_SECONDS - 1)
    assert not km.recently_handed_out("k1", now + HANDOUT_GRACE_SECONDS + 1)
    km.mark_handing_out("k2")  # taken from its pool, not yet recorded: spared as well
    assert km.recently_handed_out("k2")
    assert not km.recently_handed_out("k3")
    if km._reaper is not None:
        km._reaper.stop()


# --- the caps -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    # two pooled kernels (lille, minside) + two for pages; a browser may hold two; pages gone are released after 2 s
    srv = _serve(
        tmp_path_factory,
        "capped",
        {"RUSFOKUS_MAX_KERNELS": "4", "RUSFOKUS_KERNELS_PER_VISITOR": "2", "RUSFOKUS_RELEASE_SECONDS": "2"},
    )
    wait_for_preheated(srv, ["lille"])
    yield srv
    stop_server(srv, wait=False)


@pytest.mark.slow
def test_a_flood_of_page_opens_gets_the_danish_retry_and_others_keep_working(capped):
    first_page = new_page()
    status, first, _ = open_app(capped, first_page)
    assert status == 200 and first
    pages = [new_page() for _ in range(12)]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda p: open_app(capped, p), pages))
    served = [(p, kid) for p, (st, kid, _) in zip(pages, results, strict=True) if st == 200 and kid]
    busy = [body for st, kid, body in results if st == 503]
    assert len(served) == 1, [r[0] for r in results]  # the cap: two kernels for pages, the first has one
    assert len(busy) == len(pages) - 1
    for body in busy:
        assert BUSY in body and '<html lang="da">' in body
        assert "location.reload()" in body and "sessionStorage" in body  # tries again by itself, with backoff
        assert "rf-live-config" not in body  # no kernel
    assert capped.process.poll() is None  # the server is up
    assert run(kernel_answers(capped, first, first_page))  # another learner's app still works
    wait_for_log(capped, r"app lille refused \(server cap\)")
    # a learner leaves: her kernel is released at once (the page's beacon), and a waiting page gets one
    page, kernel_id = served[0]
    assert release(capped, kernel_id, page) == 204
    assert not alive(capped, kernel_id, page)
    status, again, _ = open_app(capped, pages[-1])
    assert status == 200 and again
    for p, kid in ((first_page, first), (pages[-1], again)):
        release(capped, kid, p)


@pytest.mark.slow
def test_one_visitor_cannot_take_the_server(capped):
    greedy = new_page()
    got = [open_app(capped, greedy) for _ in range(3)]
    assert [st for st, _, _ in got] == [200, 200, 503]
    assert BUSY in got[2][2]
    other = new_page()
    status, kernel_id, _ = open_app(capped, other)  # the server cap is not reached by one visitor
    assert status == 503  # ... here it is (2 pooled + 2 in use = 4), so free one of the greedy kernels
    assert release(capped, got[0][1], greedy) == 204
    status, kernel_id, _ = open_app(capped, other)
    assert status == 200 and kernel_id
    wait_for_log(capped, r"app lille refused \(visitor cap\)")
    for p, kid in ((greedy, got[1][1]), (other, kernel_id)):
        release(capped, kid, p)


@pytest.mark.slow
def test_only_the_page_session_that_owns_a_kernel_may_release_it(capped):
    page = new_page()
    status, kernel_id, _ = open_app(capped, page)
    assert status == 200
    assert release(capped, kernel_id, new_page()) == 403
    assert release(capped, kernel_id, "") == 403
    assert alive(capped, kernel_id, page)
    assert release(capped, kernel_id, page) == 204


@pytest.mark.slow
def test_a_kernel_whose_page_is_gone_is_released_soon(capped):
    page = new_page()
    status, kernel_id, _ = open_app(capped, page)
    assert status == 200
    assert run(kernel_answers(capped, kernel_id, page))  # the page connected, then the tab was closed
    time.sleep(1)
    deadline = time.monotonic() + 20  # RUSFOKUS_RELEASE_SECONDS=2, checked every 5 s
    while alive(capped, kernel_id, page) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not alive(capped, kernel_id, page)  # not the culler: its idle timeout is the default 15 minutes


@pytest.mark.slow
def test_a_connected_page_keeps_its_kernel(capped):
    page = new_page()
    status, kernel_id, _ = open_app(capped, page)
    assert status == 200

    async def stay():
        req = HTTPRequest(
            f"{capped.url.replace('http', 'ws')}/api/kernels/{kernel_id}/channels", headers={"Cookie": page}
        )
        conn = await websocket_connect(req)
        await asyncio.sleep(9)  # longer than the release time and a reaper round
        conn.close()

    run(stay())
    assert alive(capped, kernel_id, page)
    release(capped, kernel_id, page)


@pytest.mark.slow
def test_dashboard_and_min_side_share_the_budget(capped):
    """The admin app (like the dashboard) and the learner app (like Min side) take their kernels from
    the same budget; without a personal link Min side takes none."""
    a, b = new_page(), new_page()
    held = [(a, open_app(capped, a)[1]), (b, open_app(capped, b)[1])]
    assert all(kid for _, kid in held)  # the two places for pages are taken
    admin = f"rf_admin={capped.admin_token('konsulent')}"
    learner = f"rf_learner={capped.learner_token('kursist@eksempel-kommune.example')}"
    for app, cookie in (("overblik", admin), ("minside", learner)):
        status, kid, body = open_app(capped, new_page(), app, cookie)
        assert status == 503 and BUSY in body and kid is None, app
    status, kid, body = open_app(capped, new_page(), "minside")  # no personal link: a notice, no kernel
    assert status == 200 and kid is None and "personlige link" in body
    freed_page, freed = held.pop()
    assert release(capped, freed, freed_page) == 204
    page = new_page()
    status, kid, _ = open_app(capped, page, "overblik", admin)
    assert status == 200 and kid  # the admin app got the free place ...
    assert open_app(capped, new_page())[0] == 503  # ... and counts: no place left for another app
    for p, k in (*held, (page, kid)):
        release(capped, k, p)


# --- the pools' share of the cap (P8: the calculators of module 1 keep large pools) ---------------


def test_pool_size_0_turns_preheating_off_also_for_the_apps_that_ask_for_a_pool(tmp_path):
    from rusfokus.server.app import pool_total, voila_config
    from rusfokus.settings import Settings

    settings = Settings.from_env({"RUSFOKUS_HOME": str(tmp_path), "RUSFOKUS_POOL_SIZE": "0"})
    pools = voila_config(settings).VoilaKernelManager.kernel_pools_config
    assert pools["genstande/index.ipynb"]["pool_size"] == 0 and pools["audit-c/index.ipynb"]["pool_size"] == 0
    assert {p["pool_size"] for p in pools.values()} == {0}
    assert pool_total(settings) == 0


def test_the_calculators_pools_of_the_real_apps_fit_in_half_the_cap(tmp_path):
    from rusfokus.server.app import pool_total, voila_config
    from rusfokus.server.apps import list_apps
    from rusfokus.server.kernels import pool_sizes
    from rusfokus.settings import Settings

    settings = Settings.from_env({"RUSFOKUS_HOME": str(tmp_path)})  # the defaults
    assert settings.max_kernels == 90  # the default, sized in README "Memory"
    pools = voila_config(settings).VoilaKernelManager.kernel_pools_config
    # a staff meeting opens genstande, then AUDIT-C: both keep most of a meeting ready
    assert pools["genstande/index.ipynb"]["pool_size"] >= 18
    assert pools["audit-c/index.ipynb"]["pool_size"] >= 18
    assert pool_total(settings) <= settings.max_kernels // 2  # the other half is for pages
    assert sum(p["pool_size"] for k, p in pools.items() if k != "default") == pool_total(settings)
    apps = list_apps(settings.widgets_dir)
    # a smaller cap (the Kubernetes copies set 54) trims the large pools, not the small ones
    small = pool_sizes(apps, 1, 54)
    assert sum(small.values()) == 27
    assert 8 <= small["genstande"] <= 10 and 8 <= small["audit-c"] <= 10
    assert all(size == 1 for name, size in small.items() if name not in ("genstande", "audit-c"))
    # no pool below one, however small the cap; no cap: as the apps ask
    assert set(pool_sizes(apps, 1, 4).values()) == {1}
    assert pool_sizes(apps, 1, 0)["genstande"] == 20
    # an admin app without a pool of its own is not preheated; pool_size 0 means no pool
    assert "dashboard" in small  # it asks for one
    assert pools.get("dashboard/index.ipynb", {}).get("pool_size") == 1
