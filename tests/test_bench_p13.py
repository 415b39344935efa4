"""P13's pure logic (bench/p13_app_memory.py): which book page embeds each app, and the figures it reports."""

from __future__ import annotations

import importlib

import pytest

from helpers.paths import ROOT

MB = 2**20


@pytest.fixture
def p13(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))  # as for `python -m bench.run`
    return importlib.import_module("bench.p13_app_memory")


def test_embedded_apps_takes_the_first_page_in_order_and_its_query(p13, tmp_path):
    opgave = '<div data-app="opgave" data-src="/voila/render/opgave/index.ipynb?opgave={}">'
    pages = {
        "modules/02-b/test-din-viden.html": opgave.format("b"),
        "modules/01-a/test-din-viden.html": opgave.format("a"),
        "modules/01-a/genstande.html": '<div data-app="genstande" data-src="/voila/render/genstande/index.ipynb">',
        "index.html": "<p>no app</p>",
    }
    for path, html in pages.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(html, encoding="utf-8")
    assert p13.embedded_apps(tmp_path) == {
        "genstande": ("/modules/01-a/genstande.html", ""),
        "opgave": ("/modules/01-a/test-din-viden.html", "opgave=a"),
    }


def test_figures_per_app_pss_and_mean_uss_of_the_database_apps_and_the_others(p13):
    ours = {
        "genstande": {"pss": 26 * MB, "uss": 19 * MB},
        "opgave": {"pss": 60 * MB, "uss": 50 * MB},
        "min-side": {"pss": 100 * MB, "uss": 90 * MB},
    }
    plain = {
        "genstande": {"pss": 52 * MB, "uss": 38 * MB},
        "opgave": {"pss": 90 * MB, "uss": 80 * MB},
        "min-side": {"pss": 150 * MB, "uss": 130 * MB},
    }
    figs = {f["id"]: f for f in p13.figures(ours, plain)}
    assert list(figs) == ["P13-genstande", "P13-opgave", "P13-min-side", "P13-db-uss", "P13-calc-uss"]
    assert figs["P13-genstande"] | {"name": ""} == {
        "id": "P13-genstande",
        "name": "",
        "value": 26.0,
        "unit": "MB",
        "baseline": 52.0,
        "ratio": 2.0,
    }
    assert (figs["P13-db-uss"]["value"], figs["P13-db-uss"]["baseline"]) == (70.0, 105.0)
    assert figs["P13-db-uss"]["ratio"] == 1.5
    assert (figs["P13-calc-uss"]["value"], figs["P13-calc-uss"]["baseline"]) == (19.0, 38.0)
