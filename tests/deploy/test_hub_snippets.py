"""The operator's JupyterHub login snippets (deploy/hub/*.py) load as JupyterHub 5.4 loads a config file, name
the authenticator they mean, set what it needs, keep secrets out of the file, and their ID token check
(deploy/hub/id_token_check.py) refuses what it must, against the real test provider's tokens. The snippet
os2faktor.py also logs people in through a real Hub in tests/identity/test_hub_oidc.py."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest
import requests
import yaml
from authlib.integrations.requests_client import OAuth2Session
from jupyterhub.app import JupyterHub
from oauthenticator.azuread import AzureAdOAuthenticator
from oauthenticator.generic import GenericOAuthenticator
from tornado import web

from helpers.oidc_provider import USERS, OIDCProvider, User, login_form
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
        data={"username": username, "password": provider.users[username].password},
        allow_redirects=False,
    )
    code = re.search(r"code=([^&]+)", answer.headers["Location"]).group(1)
    return client.fetch_token(f"{provider.issuer}/token", code=code)


class FakeAuthenticator:  # the two attributes the hook reads from the Hub's authenticator
    client_id = "hub"
    user_auth_state_key = "oauth_user"


def id_token_check():
    sys.path.insert(0, str(HUB))
    try:
        import id_token_check
    finally:
        sys.path.remove(str(HUB))
    return id_token_check


def run_hook(provider, token: dict, issuer: str | None = None, user: dict | None = None, require: str = ""):
    check = id_token_check()
    hook = check.verify_id_token(
        issuer or provider.issuer, f"{provider.issuer}/jwks", require=check.parse_required(require)
    )
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


# --- the Zero to JupyterHub overlays that mount the snippets -----------------------------------------------------
DEPLOY = ROOT / "deploy" / "kubernetes"
OVERLAYS = [("kommune-a", "values-oidc.yaml", "os2faktor.py"), ("kommune-b", "values-entra-id.yaml", "entra-id.py")]
EXTRA_FILE = {"mountPath": str, "data": dict, "stringData": str, "binaryData": str, "mode": (int, float)}
"""hub.extraFiles.<key> as the chart's values.schema.yaml documents it (additionalProperties: false, mountPath
required, one of data / stringData / binaryData); our own record of the keys, not the chart's file."""
OPTIONAL_ENV = {
    "OIDC_LOGIN_SERVICE",
    "OIDC_SCOPE",
    "OIDC_USERNAME_CLAIM",
    "OIDC_GROUPS_CLAIM",
    "OIDC_REQUIRE_CLAIMS",
    "HUB_SNIPPETS_DIR",
}


def helm_merge(base: dict, overlay: dict) -> dict:
    """Helm's merge of -f files: maps merged, lists and scalars replaced, null removes the key."""
    out = dict(base)
    for key, value in overlay.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = helm_merge(out[key], value)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize(("kommune", "overlay", "snippet"), OVERLAYS)
def test_overlay_mounts_the_snippet_and_gives_it_every_setting(clean_env, tmp_path, kommune, overlay, snippet):
    base = yaml.safe_load((DEPLOY / kommune / "values.yaml").read_text(encoding="utf-8"))
    extra = yaml.safe_load((DEPLOY / kommune / overlay).read_text(encoding="utf-8"))
    assert set(extra) == {"hub"} and set(extra["hub"]) <= {"config", "extraFiles", "extraEnv"}
    values = helm_merge(base, extra)["hub"]
    # manage_groups and load_groups together stop JupyterHub 5 ("Group management has been offloaded")
    assert "load_groups" not in values["config"]["JupyterHub"]
    files = values["extraFiles"]
    assert set(files) == {"rusfokus-login", "id-token-check"}
    for spec in files.values():
        assert set(spec) <= set(EXTRA_FILE) and spec["mountPath"].startswith("/usr/local/etc/jupyterhub/")
    assert files["rusfokus-login"]["mountPath"].startswith("/usr/local/etc/jupyterhub/jupyterhub_config.d/")
    env = values["extraEnv"]
    secrets_ = {k: v for k, v in env.items() if isinstance(v, dict)}
    assert all(set(v) == {"valueFrom"} and "secretKeyRef" in v["valueFrom"] for v in secrets_.values())
    assert any(k.endswith("CLIENT_SECRET") for k in secrets_), "the client secret comes from a Secret"
    assert env["HUB_SNIPPETS_DIR"] == str(Path(files["id-token-check"]["mountPath"]).parent)
    # every variable the snippet reads is set (or has a sensible default)
    read = set(re.findall(r'os\.environ(?:\.get)?\(\s*"([A-Z_]+)"', (HUB / snippet).read_text()))
    missing = read - set(env) - OPTIONAL_ENV
    assert not missing, missing
    # as the pod would run it: the file in jupyterhub_config.d, the module in HUB_SNIPPETS_DIR, the env set
    (tmp_path / "rusfokus").mkdir()
    (tmp_path / "rusfokus" / "id_token_check.py").write_text((HUB / "id_token_check.py").read_text())
    (tmp_path / "rusfokus_login.py").write_text((HUB / snippet).read_text())
    for key, value in env.items():
        if isinstance(value, dict):
            value = "from-the-secret"
        elif "<REPLACE" in value:
            value = "tenant-id" if key == "AZURE_TENANT_ID" else "client-id"
        clean_env.setenv(key, value)
    clean_env.setenv("HUB_SNIPPETS_DIR", str(tmp_path / "rusfokus"))
    app = JupyterHub()
    app.load_config_file(str(tmp_path / "rusfokus_login.py"))
    auth = app.authenticator_class(parent=app)
    assert auth.client_secret == "from-the-secret" and auth.manage_groups and callable(auth.post_auth_hook)
    assert not [v for v in (auth.authorize_url, auth.token_url, auth.oauth_callback_url) if "<REPLACE" in v]


def test_id_token_check_requires_the_municipalitys_claims(provider):
    token = token_info(provider, "karla")  # cvr 12345678
    assert run_hook(provider, token, require="cvr=12345678")["name"] == "x"
    with pytest.raises(web.HTTPError):
        run_hook(provider, token, require="cvr=87654321")  # staff of another municipality behind the same bridge
    with pytest.raises(web.HTTPError):
        run_hook(provider, token, require="acr=substantial")  # a claim the token lacks
    with pytest.raises(ValueError, match="not claim=value"):
        id_token_check().parse_required("cvr")


def test_id_token_check_refuses_an_unverified_email(provider):
    provider.users["vera"] = User(
        "vera", "vera-kode-7", "karla@oidc-kommune.example", "Vera", ("rusfokus-kursist",), email_verified=False
    )
    try:
        token = token_info(provider, "vera")
    finally:
        provider.users.pop("vera")
    with pytest.raises(web.HTTPError):
        run_hook(provider, token)
