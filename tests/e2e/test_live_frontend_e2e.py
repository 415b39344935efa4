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


@pytest.fixture
def test_app_server(built_book, tmp_path):
    app = tmp_path / "widgets" / "proeve"
    app.mkdir(parents=True)
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "a1",
                "metadata": {},
                "outputs": [],
                "source": TEST_APP,
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "rusfokus": {"title": "Prøve", "pool_size": 1},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (app / "index.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    srv = start_server(built_book, tmp_path / "home", {"RUSFOKUS_WIDGETS_DIR": str(tmp_path / "widgets")})
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


def test_lost_connection_gives_a_danish_notice(browser_page, test_app_server):
    page = browser_page
    page.goto(test_app_server.url + "/voila/render/proeve/index.ipynb")
    wait_for_widgets(page)
    stop_server(test_app_server)
    notice = page.locator("#rf-live-notice[role=alert]")
    notice.wait_for(timeout=30_000)
    assert "Genindlæs siden" in notice.inner_text()
