"""Fixtures of the e-mail tests: a recording SMTP server and the settings pointing at it."""

from __future__ import annotations

import pytest

from rusfokus.settings import get_settings

from helpers.mail import configure, start_smtp


@pytest.fixture
def smtp_server():
    controller, handler = start_smtp()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture(autouse=True)
def _fresh_settings():
    """configure() points get_settings() at the test's environment: forget it afterwards, for the next tests."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def setup(monkeypatch, tmp_path, smtp_server):
    settings = configure(monkeypatch, tmp_path, smtp_server.port)
    yield settings
    get_settings.cache_clear()
