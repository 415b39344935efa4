"""rusfokus.identity.hub without a Hub: when Hub login is on, and how a Hub user model maps to the staff list
(a real SQLite database, migrated; the login flow itself is tests/identity/test_hub_login.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.identity.hub import NOT_IN_GROUP, NOT_ON_LIST, hub_config, hub_email, links_allowed, map_hub_user
from rusfokus.identity.revocation import revoke
from rusfokus.migrations import upgrade
from rusfokus.progress.models import STATUS_ACTIVE, STATUS_LEFT, AuditEntry, Person
from rusfokus.settings import Settings

DOMAIN = "hubtest.example"


def settings(**env) -> Settings:
    return Settings.from_env({"RUSFOKUS_HOST": "127.0.0.1", "RUSFOKUS_PORT": "8123", **env})


def test_off_without_a_hub_and_for_a_per_user_server():
    assert hub_config(settings(), environ={}) is None
    per_user = {"JUPYTERHUB_API_URL": "http://h/hub/api", "JUPYTERHUB_CLIENT_ID": "jupyterhub-user-karl"}
    assert hub_config(settings(), environ={**per_user, "JUPYTERHUB_USER": "karl"}) is None
    assert links_allowed(settings()) is True


def test_managed_service_reads_the_jupyterhub_variables():
    env = {
        "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api/",
        "JUPYTERHUB_API_TOKEN": "t0ken",
        "JUPYTERHUB_CLIENT_ID": "service-rusfokus",
        "JUPYTERHUB_PUBLIC_URL": "https://hub.kommune.example/",
        "JUPYTERHUB_OAUTH_CALLBACK_URL": "https://rf.kommune.example/hub/oauth_callback",
    }
    cfg = hub_config(settings(), environ=env)
    assert cfg.api_url == "http://127.0.0.1:8081/hub/api" and cfg.api_token == "t0ken"
    assert cfg.authorize_url == "https://hub.kommune.example/hub/api/oauth2/authorize"
    redirect = cfg.login_redirect("abc")
    assert redirect.startswith(cfg.authorize_url + "?client_id=service-rusfokus&redirect_uri=https%3A%2F%2Frf.")
    assert redirect.endswith("&response_type=code&state=abc")


def test_rusfokus_settings_win_and_a_missing_token_is_an_english_error():
    s = settings(
        RUSFOKUS_HUB_API_URL="http://hub:8081/hub/api", RUSFOKUS_HUB_API_TOKEN="mine", RUSFOKUS_HUB_LINKS="off"
    )
    cfg = hub_config(s, environ={"JUPYTERHUB_API_TOKEN": "theirs"})
    assert cfg.api_token == "mine" and cfg.public_url == "http://hub:8081"
    assert cfg.callback_url == "http://127.0.0.1:8123/hub/oauth_callback" and cfg.client_id == "service-rusfokus"
    assert cfg.links is False
    with pytest.raises(ValueError, match="RUSFOKUS_HUB_API_TOKEN"):
        hub_config(settings(RUSFOKUS_HUB_API_URL="http://hub:8081/hub/api"), environ={})


def test_hub_email():
    assert hub_email(" Karl ", DOMAIN) == f"karl@{DOMAIN}"
    assert hub_email("Lise@Other.example", DOMAIN) == "lise@other.example"
    assert hub_email("karl", "") == ""


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'rf.db'}"
    upgrade(url)
    from datetime import datetime

    with session_scope(url) as s:
        now = datetime.now()
        for name, status in (
            ("karl", STATUS_ACTIVE),
            ("nina", STATUS_ACTIVE),
            ("gone", STATUS_LEFT),
            ("erased", STATUS_ACTIVE),
        ):
            s.add(
                Person(
                    email=f"{name}@{DOMAIN}",
                    name=name,
                    status=status,
                    created_at=now,
                    updated_at=now,
                )
            )
    return url


def test_map_hub_user(db, tmp_path):
    secret = b"x" * 32
    cfg = hub_config(
        settings(
            RUSFOKUS_HUB_API_URL="http://hub/hub/api", RUSFOKUS_HUB_API_TOKEN="t", RUSFOKUS_HUB_EMAIL_DOMAIN=DOMAIN
        ),
        environ={},
    )
    admin = map_hub_user({"name": "ida", "groups": ["rusfokus-admin", "rusfokus-kursist"]}, cfg, db, secret)
    assert (admin.kind, admin.admin) == ("admin", "hub:ida")
    karl = map_hub_user({"name": "karl", "groups": ["rusfokus-kursist"]}, cfg, db, secret)
    assert (karl.kind, karl.email) == ("kursist", f"karl@{DOMAIN}")
    assert map_hub_user({"name": "karl", "groups": ["andre"]}, cfg, db, secret).message == NOT_IN_GROUP
    assert map_hub_user({"name": "karl"}, cfg, db, secret).kind == ""
    for name in ("gone", "ukendt"):
        assert map_hub_user({"name": name, "groups": ["rusfokus-kursist"]}, cfg, db, secret).message == NOT_ON_LIST
    with session_scope(db) as s:
        revoke(s, f"erased@{DOMAIN}", secret=secret)
    assert map_hub_user({"name": "erased", "groups": ["rusfokus-kursist"]}, cfg, db, secret).kind == ""
    # the nøgleperson group sets the flag on the staff list, and leaving it removes it (audit-logged)
    assert map_hub_user({"name": "nina", "groups": ["rusfokus-noegleperson"]}, cfg, db, secret).kind == "kursist"
    with session_scope(db) as s:
        assert s.scalar(select(Person.noegleperson).where(Person.email == f"nina@{DOMAIN}")) is True
    map_hub_user({"name": "nina", "groups": ["rusfokus-kursist"]}, cfg, db, secret)
    with session_scope(db) as s:
        assert s.scalar(select(Person.noegleperson).where(Person.email == f"nina@{DOMAIN}")) is False
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.target == f"nina@{DOMAIN}")).all()
    assert actions == ["hub.noegleperson", "hub.noegleperson"]


def _get(settings_obj, secret: bytes, path: str):
    """GET ``path`` from the real /adgang/ handler on a loopback port."""
    import asyncio

    import tornado.httpclient
    import tornado.web

    from rusfokus.identity.web import AdgangHandler

    async def run():
        app = tornado.web.Application(
            [(r"/adgang/([^/]*)", AdgangHandler, {"settings": settings_obj, "secret": secret})]
        )
        server = app.listen(0, "127.0.0.1")
        port = next(iter(server._sockets.values())).getsockname()[1]
        try:
            return await tornado.httpclient.AsyncHTTPClient().fetch(
                f"http://127.0.0.1:{port}{path}", follow_redirects=False, raise_error=False
            )
        finally:
            server.stop()

    return asyncio.run(run())


def test_personal_links_can_be_switched_off_next_to_the_hub(db):
    from rusfokus.identity import learner_token

    secret = b"k" * 32
    base = {"RUSFOKUS_DB": db, "RUSFOKUS_HUB_API_URL": "http://hub/hub/api", "RUSFOKUS_HUB_API_TOKEN": "t"}
    token = learner_token(f"karl@{DOMAIN}", secret=secret)
    on = _get(settings(**base), secret, f"/adgang/{token}")
    assert on.code == 302 and "rf_learner=" in on.headers.get("Set-Cookie", "")
    off = _get(settings(**base, RUSFOKUS_HUB_LINKS="off"), secret, f"/adgang/{token}")
    assert off.code == 403 and "Personlige links er slået fra" in off.body.decode()
    assert "Set-Cookie" not in off.headers
