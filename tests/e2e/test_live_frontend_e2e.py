"""The apps' own front end in Chromium: no JupyterLab boot, Output widgets, a lost connection."""

import json
from urllib.parse import urlparse

import pytest

from helpers.browser import wait_for_widgets
from helpers.server import start_server, stop_server

# A small app that uses an Output widget the two ways apps can: `with out:` in a
# callback (print, display of a widget, an exception) and setting `.outputs`.
TEST_APP = """
import ipywidgets as w
from IPython.display import display

out = w.Output()
skriv = w.Button(description="Skriv")
fejl = w.Button(description="Fejl")
saet = w.Button(description="Sæt")

def on_skriv(_):
    with out:
        print("Hej fra kernen")
        display(w.HTML("<b>Et lille felt</b>"))

def on_fejl(_):
    with out:
        raise ValueError("intern fejl med Traceback")

def on_saet(_):
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"text/html": "<p>Sat direkte</p>", "text/plain": "Sat direkte"}},)

skriv.on_click(on_skriv)
fejl.on_click(on_fejl)
saet.on_click(on_saet)
w.VBox([skriv, fejl, saet, out])
"""


def _notebook(source: str) -> dict:
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": "a1", "metadata": {}, "outputs": [], "source": source}
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "rusfokus": {"title": "Prøve", "pool_size": 1},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _serve_test_apps(built_book, folder):
    """A server with the Output app above and "tom", an app whose cell shows nothing (as a page whose output
    was lost, or whose app failed, comes)."""
    for name, source in (("proeve", TEST_APP), ("tom", "import ipywidgets as w\nsvar = 42")):
        app = folder / "widgets" / name
        app.mkdir(parents=True)
        (app / "index.ipynb").write_text(json.dumps(_notebook(source)), encoding="utf-8")
    return start_server(built_book, folder / "home", {"RUSFOKUS_WIDGETS_DIR": str(folder / "widgets")})


@pytest.fixture(scope="module")
def test_app_server(built_book, tmp_path_factory):
    srv = _serve_test_apps(built_book, tmp_path_factory.mktemp("live-apps"))
    yield srv
    stop_server(srv, wait=False)


@pytest.fixture
def own_test_app_server(built_book, tmp_path):
    """For a test that stops its server."""
    srv = _serve_test_apps(built_book, tmp_path)
    yield srv
    stop_server(srv, wait=False)


def test_app_loads_without_jupyterlab_and_only_from_its_own_origin(browser_page, server):
    page = browser_page
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(server.url + "/voila/render/genstande/index.ipynb")
    wait_for_widgets(page)
    page.wait_for_selector("text=I alt", timeout=30_000)
    own = urlparse(server.url).netloc
    assert all(urlparse(u).netloc == own for u in requests if not u.startswith("data:")), requests
    assert not [u for u in requests if "/voila/static/" in u or "labextensions" in u], requests
    assert len([u for u in requests if "/rusfokus/live/" in u]) == 2  # live.js and live.css
    assert len(sockets) == 1 and (sockets[0].endswith("/channels") or "/channels?" in sockets[0]), sockets


def test_output_widget_shows_kernel_output_and_hides_python_errors(browser_page, test_app_server):
    page = browser_page
    page.goto(test_app_server.url + "/voila/render/proeve/index.ipynb")
    wait_for_widgets(page)
    page.get_by_role("button", name="Skriv").click()
    page.wait_for_selector("text=Hej fra kernen", timeout=20_000)
    page.wait_for_selector("text=Et lille felt", timeout=20_000)
    page.get_by_role("button", name="Fejl").click()
    alert = page.locator(".rf-live-error[role=alert]")
    alert.wait_for(timeout=20_000)
    assert "Der skete en fejl i appen" in alert.inner_text()
    body = page.inner_text("body")
    assert "Traceback" not in body and "ValueError" not in body
    page.get_by_role("button", name="Sæt").click()
    page.wait_for_selector("text=Sat direkte", timeout=20_000)
    assert page.locator("text=Hej fra kernen").count() == 0  # .outputs replaces what was there


def test_lost_connection_gives_a_danish_notice(browser_page, own_test_app_server):
    page = browser_page
    page.goto(own_test_app_server.url + "/voila/render/proeve/index.ipynb")
    wait_for_widgets(page)
    stop_server(own_test_app_server)
    notice = page.locator("#rf-live-notice[role=alert]")
    notice.wait_for(timeout=30_000)
    assert "Genindlæs siden" in notice.inner_text()


def test_a_page_that_came_without_its_app_says_so_in_danish_and_gives_its_kernel_back(browser_page, test_app_server):
    """Not an empty frame with "Værktøjet starter …" for ever (what learners saw when a cell's output was lost)."""
    page = browser_page
    with page.expect_request(lambda r: r.url.endswith("/release") and r.method == "POST", timeout=30_000):
        page.goto(test_app_server.url + "/voila/render/tom/index.ipynb")
    notice = page.locator("#rf-live-notice[role=alert]")
    notice.wait_for(timeout=30_000)
    assert "Appen kunne ikke starte. Genindlæs siden" in notice.inner_text()
    assert not page.locator("body.rf-live-ready").count()
    assert not page.locator(".rf-live-starting").is_visible()
