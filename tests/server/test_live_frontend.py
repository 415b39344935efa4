"""The apps' own front end (src/rusfokus/frontend/live.js): what the server sends and checks."""

import json
import re
import shutil
import urllib.request

import pytest

from rusfokus.server.app import LIVE_VERSION, ServeError, live_version, preflight
from rusfokus.settings import Settings

from helpers.paths import ROOT


def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.status, r.headers, r.read()


def test_app_page_loads_the_live_bundle_and_no_jupyterlab(server):
    _, _, raw = get(server.url + "/voila/render/genstande/index.ipynb")
    page = raw.decode("utf-8")
    assert LIVE_VERSION not in page
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert len(scripts) == 1 and re.fullmatch(r"/rusfokus/live/live\.js\?v=[0-9a-f]{16}", scripts[0]), scripts
    assert "voila/static" not in page and "labextensions" not in page and "require.js" not in page
    config = json.loads(
        re.search(r'<script id="rf-live-config" type="application/json"[^>]*>(.*?)</script>', page, re.S).group(1)
    )
    assert config["baseUrl"] == "/" and re.fullmatch(r"[0-9a-f-]{36}", config["kernelId"])
    assert 'data-idle-seconds="900"' in page  # live.js warns before the idle release (RUSFOKUS_CULL_IDLE)
    views = re.findall(r'<script type="application/vnd.jupyter.widget-view\+json">(.*?)</script>', page, re.S)
    assert len(views) == 1 and "model_id" in json.loads(views[0])
    assert "<main" in page and "import " not in page.split("<main", 1)[1]  # no Python in the page


def test_bundle_is_served_with_long_cache_only_when_versioned(server):
    _, _, raw = get(server.url + "/voila/render/genstande/index.ipynb")
    js = re.search(r'src="(/rusfokus/live/live\.js\?v=[0-9a-f]+)"', raw.decode()).group(1)
    status, headers, body = get(server.url + js)
    assert status == 200 and "immutable" in headers["Cache-Control"] and len(body) > 100_000
    assert "javascript" in headers["Content-Type"]
    status, headers, _ = get(server.url + "/rusfokus/live/live.css")
    assert status == 200 and headers["Cache-Control"] == "no-cache"


def test_bundle_version_changes_with_its_content(tmp_path):
    live = tmp_path / "assets" / "live"
    live.mkdir(parents=True)
    (live / "live.js").write_text("console.log(1)")
    (live / "live.css").write_text("body{}")
    settings = Settings.from_env(root=tmp_path, home=tmp_path / "var")
    first = live_version(settings)
    assert first == live_version(settings) and re.fullmatch(r"[0-9a-f]{16}", first)
    (live / "live.css").write_text("body{color:red}")
    assert live_version(settings) != first


def test_missing_front_end_stops_the_server_with_the_fix(tmp_path, built_book):
    shutil.copy(ROOT / "kommune.yml", tmp_path / "kommune.yml")
    shutil.copy(ROOT / "kommune-logo.svg", tmp_path / "kommune-logo.svg")  # kommune.yml's profil.logo
    settings = Settings.from_env(
        root=tmp_path, home=tmp_path / "var", book_dir=built_book, widgets_dir=ROOT / "widgets"
    )
    with pytest.raises(ServeError, match=r"front end is missing .*Run `make assets`"):
        preflight(settings)
