"""A pool of preheated app kernels started on a busy server still gives pages with their widgets.

Found by CI (0fed326): module 1's calculators preheat pools of 20 kernels. When they all start at once on
a busy machine, a kernel's output reaches the server more than 4 s after the cell's reply (nbclient's
default ``iopub_timeout``); Voilà then kept the rendered page without any output, and every learner who
got one of those kernels saw "Værktøjet starter …" for ever. Here the server and its kernels share one CPU
with three busy processes while a pool of 12 apps of 60 widgets preheats; every one of the 12 pages must carry
its widgets (with nbclient's 4 s, none did).
"""

from __future__ import annotations

import multiprocessing
import os
import urllib.request
import uuid

import nbformat
import pytest

from rusfokus.server.app import IOPUB_TIMEOUT_SECONDS

from helpers.server import start_server, stop_server, wait_for_preheated

pytestmark = pytest.mark.slow

POOL = 12
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CELL = "import ipywidgets as w\nw.VBox([w.IntSlider(description=f'Tal {i}') for i in range(60)])"
"""An app of 60 widgets, about as many as the genstande calculator: each sends its messages on the kernel's IOPub."""


def _spin() -> None:
    while True:
        pass


def _stop(hogs) -> None:
    for hog in hogs:
        if hog.pid is not None and hog.is_alive():
            hog.kill()
            hog.join()


def _widgets(tmp_path):
    widgets = tmp_path / "widgets"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["rusfokus"] = {"title": "Lille", "pool_size": POOL}
    nb.cells = [nbformat.v4.new_code_cell(CELL)]
    (widgets / "lille").mkdir(parents=True)
    nbformat.write(nb, widgets / "lille" / "index.ipynb")
    book = tmp_path / "book"
    book.mkdir()
    (book / "index.html").write_text('<!DOCTYPE html><html lang="da"><title>Kursus</title><p>Forside</p></html>')
    return widgets, book


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux CPU affinity")
def test_every_preheated_page_has_its_widget_when_the_pool_starts_on_a_busy_cpu(tmp_path):
    assert IOPUB_TIMEOUT_SECONDS >= 30
    widgets, book = _widgets(tmp_path)
    before = os.sched_getaffinity(0)
    hogs = [multiprocessing.get_context("fork").Process(target=_spin, daemon=True) for _ in range(3)]
    server = None
    os.sched_setaffinity(0, {min(before)})  # the server, its kernels and the busy processes share one CPU
    try:
        for hog in hogs:
            hog.start()
        server = start_server(
            book,
            tmp_path / "home",
            {
                "RUSFOKUS_WIDGETS_DIR": str(widgets),
                "RUSFOKUS_COURSE_DIR": str(tmp_path / "course"),
                "RUSFOKUS_MAX_KERNELS": str(4 * POOL),
                "RUSFOKUS_POOL_SIZE": "1",  # preheating on (the app asks for its pool of POOL)
            },
            timeout=180,
        )
    finally:
        os.sched_setaffinity(0, before)
    try:
        wait_for_preheated(server, ["lille"], timeout=240)
        # the pages are rendered while the pool preheats: the busy processes have done their part
        _stop(hogs)
        empty = []
        for n in range(POOL):
            page = urllib.request.Request(
                server.url + "/voila/render/lille/index.ipynb", headers={"Cookie": "rf_page=" + uuid.uuid4().hex}
            )
            with urllib.request.urlopen(page, timeout=120) as reply:
                if WIDGET_VIEW not in reply.read().decode("utf-8"):
                    empty.append(n)
        assert not empty, f"pages {empty} of {POOL} came without their widget (the cell's output was lost)"
    finally:
        _stop(hogs)
        if server is not None:
            stop_server(server, wait=False)
