"""The operator's JupyterHub login snippets (deploy/hub/*.py) load as JupyterHub 5.4 loads a config file, name
the authenticator they mean, set what it needs, keep secrets out of the file, and their ID token check
(deploy/hub/id_token_check.py) refuses what it must, against the real test provider's tokens. The snippet
os2faktor.py also logs people in through a real Hub in tests/identity/test_hub_oidc.py."""

from __future__ import annotations

import asyncio
import re
import sys

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from jupyterhub.app import JupyterHub
from oauthenticator.azuread import AzureAdOAuthenticator
from oauthenticator.generic import GenericOAuthenticator
from tornado import web

from helpers.oidc_provider import USERS, OIDCProvider, login_form
from helpers.paths import ROOT

HUB = ROOT / "deploy" / "hub"
GROUPS = {"rusfokus-kursist", "rusfokus-noegleperson", "rusfokus-admin"}  # settings.py's RUSFOKUS_HUB_GROUP_* defaults
ENV_PREFIXES = ("OIDC_", "AZURE_", "OAUTH_CALLBACK_URL")


@pytest.fixture
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)
    return monkeypatch


def load(name: str):
    """The snippet as the Hub loads jupyterhub_config.py, and the authenticator the Hub would make of it."""
    app = JupyterHub()
    app.load_config_file(str(HUB / name))
    return app, app.authenticator_class(parent=app)


@pytest.mark.parametrize(
    ("name", "cls", "groups_key"),
    [
        ("os2faktor.py", GenericOAuthenticator, "oauth_user.groups"),
        ("entra-id.py", AzureAdOAuthenticator, "user.roles"),
    ],
)
def test_snippet_loads_with_its_authenticator_and_the_keys_it_needs(clean_env, name, cls, groups_key):
    # without the provider's address the Hub does not start, and says which setting is missing
    with pytest.raises(ValueError, match="not set to the provider's https address"):
        load(name)
    for key in ("OIDC_ISSUER", "AZURE_TENANT_ID"):
        clean_env.setenv(key, "https://idp.kommune.dk" if key == "OIDC_ISSUER" else "tenant-id")
    clean_env.setenv("OIDC_JWKS_URL", "https://idp.kommune.dk/jwks")
    _, auth = load(name)
    assert type(auth) is cls
    assert auth.manage_groups is True and auth.auth_state_groups_key == groups_key
    assert auth.allowed_groups == GROUPS and auth.admin_groups == set()
    assert auth.auto_login is True and callable(auth.post_auth_hook)
    assert "openid" in auth.scope and auth.username_claim in ("email", "preferred_username")
    for key in ("client_id", "authorize_url", "token_url", "oauth_callback_url"):
        assert getattr(auth, key), key
    assert auth.client_secret == ""  # only from the environment
    # what is not set in the environment is an obvious placeholder, never a guess
    assert "<REPLACE" in auth.client_id and "<REPLACE" in auth.oauth_callback_url


def test_entra_snippet_uses_the_tenants_v2_endpoints(clean_env):
    clean_env.setenv("AZURE_TENANT_ID", "00000000-1111-2222-3333-444444444444")
    clean_env.setenv("AZURE_CLIENT_ID", "app-id")
    clean_env.setenv("AZURE_CLIENT_SECRET", "from-a-secret")
    _, auth = load("entra-id.py")
    base = "https://login.microsoftonline.com/00000000-1111-2222-3333-444444444444"
    assert auth.authorize_url == f"{base}/oauth2/v2.0/authorize" and auth.token_url == f"{base}/oauth2/v2.0/token"
    assert auth.client_id == "app-id" and auth.client_secret == "from-a-secret"


def test_os2faktor_snippet_takes_every_endpoint_from_the_environment(clean_env):
    for key, value in {
        "OIDC_ISSUER": "https://idp.kommune.example",
        "OIDC_CLIENT_ID": "hub",
        "OIDC_CLIENT_SECRET": "from-a-secret",
        "OIDC_AUTHORIZE_URL": "https://idp.kommune.example/a",
        "OIDC_TOKEN_URL": "https://idp.kommune.example/t",
        "OIDC_USERINFO_URL": "https://idp.kommune.example/u",
        "OIDC_JWKS_URL": "https://idp.kommune.example/k",
        "OIDC_GROUPS_CLAIM": "roles",
        "OAUTH_CALLBACK_URL": "https://hub.kommune.example/hub/oauth_callback",
    }.items():
        clean_env.setenv(key, value)
    _, auth = load("os2faktor.py")
    assert (auth.authorize_url, auth.token_url, auth.userdata_url) == (
        "https://idp.kommune.example/a",
        "https://idp.kommune.example/t",
        "https://idp.kommune.example/u",
    )
    assert auth.auth_state_groups_key == "oauth_user.roles" and auth.client_secret == "from-a-secret"


def test_no_secret_or_real_address_in_the_snippets():
    for path in HUB.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"client_secret\s*=\s*['\"][^'\"]", text), path
        hosts = set(re.findall(r"https://([a-z0-9.-]+)", text))
        assert hosts <= {"login.microsoftonline.com", "idp.kommune.dk", "hub.kommune.dk"}, (path, hosts)


# --- the ID token check against the real test provider --------------------------------------------------------
@pytest.fixture(scope="module")
def provider():
    p = OIDCProvider().start()
    p.register_client("hub", "hub-hemmelighed", ["http://127.0.0.1:9/cb"])
    yield p
    p.stop()


def token_info(provider, username: str) -> dict:
    client = OAuth2Session("hub", "hub-hemmelighed", scope="openid email profile", redirect_uri="http://127.0.0.1:9/cb")
    url, _ = client.create_authorization_url(f"{provider.issuer}/authorize")
    browser = requests.Session()
    answer = browser.post(
        login_form(browser.get(url, timeout=10)),
        data={"username": username, "password": USERS[username].password},
        allow_redirects=False,
    )
    code = re.search(r"code=([^&]+)", answer.headers["Location"]).group(1)
    return client.fetch_token(f"{provider.issuer}/token", code=code)


class FakeAuthenticator:  # the two attributes the hook reads from the Hub's authenticator
    client_id = "hub"
    user_auth_state_key = "oauth_user"


def run_hook(provider, token: dict, issuer: str | None = None, user: dict | None = None):
    sys.path.insert(0, str(HUB))
    try:
        from id_token_check import verify_id_token
    finally:
        sys.path.remove(str(HUB))
    hook = verify_id_token(issuer or provider.issuer, f"{provider.issuer}/jwks")
    auth = {"name": "x", "auth_state": {"id_token": token.get("id_token"), "oauth_user": user or {}}}
    return asyncio.run(hook(FakeAuthenticator(), None, auth))


def test_id_token_check_lets_a_good_token_through(provider):
    token = token_info(provider, "karla")
    sub = USERS["karla"].sub
    assert run_hook(provider, token, user={"sub": sub})["name"] == "x"


@pytest.mark.parametrize("fault", ["tampered", "foreign-key"])
def test_id_token_check_refuses_a_bad_signature(provider, fault):
    provider.bad_id_token["malte"] = fault
    try:
        token = token_info(provider, "malte")
    finally:
        provider.bad_id_token.pop("malte")
    with pytest.raises(web.HTTPError) as err:
        run_hook(provider, token)
    assert err.value.status_code == 403


def test_id_token_check_refuses_another_issuer_another_subject_or_no_token(provider):
    token = token_info(provider, "karla")
    for kwargs in ({"issuer": "https://idp.other.example"}, {"user": {"sub": USERS["ida"].sub}}):
        with pytest.raises(web.HTTPError):
            run_hook(provider, token, **kwargs)
    with pytest.raises(web.HTTPError):
        run_hook(provider, {"access_token": token["access_token"]})
