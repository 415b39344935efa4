"""The test OpenID Connect provider itself (tests/helpers/oidc_provider.py), driven by authlib's OAuth client as
a relying party would: discovery, the login form, code + PKCE, token, ID token against the JWKS, userinfo. The
single sign-on tests through the Hub (test_hub_oidc.py) rely on it being a real provider, so it is checked
here on its own, without a Hub."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from helpers.oidc_provider import USERS, OIDCProvider

REDIRECT = "http://127.0.0.1:9/callback"  # never reached: the client reads the redirect itself


@pytest.fixture(scope="module")
def provider():
    p = OIDCProvider().start()
    p.register_client("hub", "hub-hemmelighed", [REDIRECT])
    yield p
    p.stop()


def authorize(provider, username: str, password: str, client_secret: str = "hub-hemmelighed"):
    """Log in at the provider's form; returns (client, code or None, the form's answer, the verifier)."""
    meta = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=10).json()
    client = OAuth2Session(
        "hub",
        client_secret,
        scope="openid profile email",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = generate_token(48)
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
    browser = requests.Session()
    form = browser.get(url, timeout=10)
    assert form.status_code == 200 and 'name="password"' in form.text
    action = re.search(r'action="([^"]*)"', form.text).group(1).replace("&amp;", "&")
    answer = browser.post(
        provider.issuer + action, data={"username": username, "password": password}, allow_redirects=False
    )
    if answer.status_code != 302:
        return client, None, answer, verifier
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state]
    return client, query["code"][0], answer, verifier


def test_discovery_names_the_endpoints_and_rs256(provider):
    meta = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == provider.issuer
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    keys = requests.get(meta["jwks_uri"], timeout=10).json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and "d" not in keys[0]  # public part only


def test_code_flow_gives_a_signed_id_token_and_userinfo_with_groups(provider):
    client, code, _, verifier = authorize(provider, "niels", USERS["niels"].password)
    assert code
    token = client.fetch_token(f"{provider.issuer}/token", code=code, code_verifier=verifier)
    signing_key = jwt.PyJWKClient(f"{provider.issuer}/jwks").get_signing_key_from_jwt(token["id_token"])
    claims = jwt.decode(
        token["id_token"], signing_key.key, algorithms=["RS256"], audience="hub", issuer=provider.issuer
    )
    assert claims["email"] == USERS["niels"].email and claims["groups"] == ["rusfokus-noegleperson", "andet"]
    info = requests.get(
        f"{provider.issuer}/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    ).json()
    assert info["sub"] == claims["sub"] and info["email"] == USERS["niels"].email and "groups" in info
    # the code is used once
    with pytest.raises(Exception, match="invalid_grant"):
        client.fetch_token(f"{provider.issuer}/token", code=code, code_verifier=verifier)


def test_wrong_password_gives_no_code(provider):
    _, code, answer, _ = authorize(provider, "karla", "forkert")
    assert code is None and answer.status_code == 401 and "Forkert brugernavn eller adgangskode" in answer.text


def test_wrong_client_secret_or_pkce_verifier_gets_no_token(provider):
    client, code, _, verifier = authorize(provider, "karla", USERS["karla"].password, client_secret="gaet")
    with pytest.raises(Exception, match="invalid_client"):
        client.fetch_token(f"{provider.issuer}/token", code=code, code_verifier=verifier)
    client, code, _, _ = authorize(provider, "karla", USERS["karla"].password)
    with pytest.raises(Exception, match="invalid_grant"):
        client.fetch_token(f"{provider.issuer}/token", code=code, code_verifier=generate_token(48))


def test_userinfo_needs_a_real_token(provider):
    r = requests.get(f"{provider.issuer}/userinfo", headers={"Authorization": "Bearer gaet"}, timeout=10)
    assert r.status_code == 401


@pytest.mark.parametrize("fault", ["tampered", "foreign-key"])
def test_a_bad_id_token_fails_the_signature_check(provider, fault):
    provider.bad_id_token["malte"] = fault
    try:
        client, code, _, verifier = authorize(provider, "malte", USERS["malte"].password)
        token = client.fetch_token(f"{provider.issuer}/token", code=code, code_verifier=verifier)
    finally:
        provider.bad_id_token.pop("malte")
    key = jwt.PyJWKClient(f"{provider.issuer}/jwks").get_signing_key_from_jwt(token["id_token"])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token["id_token"], key.key, algorithms=["RS256"], audience="hub", issuer=provider.issuer)
