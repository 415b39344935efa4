"""Municipal single sign-on through the Hub (issue 19): a real OpenID Connect provider on loopback
(tests/helpers/oidc_provider.py, authlib), a real JupyterHub 5.4 whose login is the operator's own
deploy/hub/os2faktor.py (oauthenticator's GenericOAuthenticator, groups claim → Hub groups, the ID token
checked against the provider's JWKS), and a real `rusfokus serve` as the Hub's OAuth service. An HTTP client
that follows redirects and keeps cookies plays the browser: rusfokus → Hub → provider's login form → Hub →
rusfokus."""

from __future__ import annotations

from functools import partial
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from rusfokus import identity

from helpers.hub import hub_service
from helpers.oidc_provider import DOMAIN, USERS, OIDCProvider, login_form, oidc_login, start_oidc_hub

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hub-oidc")]  # one provider, Hub and rusfokus

ROSTER = (
    "Navn;E-mail;Arbejdssted;Afdeling;Forvaltning;Stilling;Nøgleperson\n"
    f"Karla Oidcsen;karla@{DOMAIN};Oidcskolen;Skoler;Børn og Unge;Lærer;Nej\n"
    f"Niels Oidcsen;niels@{DOMAIN};Oidcskolen;Skoler;Børn og Unge;Lærer;Nej\n"
    f"Erik Oidcsen;erik@{DOMAIN};Oidcskolen;Skoler;Børn og Unge;Lærer;Nej\n"
    f"Malte Oidcsen;malte@{DOMAIN};Oidcskolen;Skoler;Børn og Unge;Lærer;Nej\n"
)


@pytest.fixture(scope="module")
def sso(tmp_path_factory):
    """One provider, one Hub and one rusfokus for the module."""
    provider = OIDCProvider().start()
    start = partial(start_oidc_hub, provider=provider)
    try:
        with hub_service(tmp_path_factory.mktemp("sso"), ROSTER, start) as (hub, srv):
            yield provider, hub, srv
    finally:
        provider.stop()


def login(sso, username: str, password: str | None = None, follow: bool = True):
    _, _, srv = sso
    browser = requests.Session()
    last = oidc_login(browser, f"{srv.url}/hub/login?next=/hub/whoami", username, password, follow=follow)
    return browser, last


def whoami(srv, browser: requests.Session) -> dict:
    r = browser.get(f"{srv.url}/hub/whoami", timeout=10)
    assert r.status_code == 200
    return r.json()


def no_identity(srv, browser: requests.Session) -> None:
    assert identity.LEARNER_COOKIE not in browser.cookies and identity.ADMIN_COOKIE not in browser.cookies
    assert whoami(srv, browser)["role"] == ""


def test_learner_logs_in_at_the_provider_and_is_the_person_on_the_staff_list(sso):
    provider, hub, srv = sso
    browser, last = login(sso, "karla")
    # rusfokus → Hub → provider's form → Hub's callback → Hub OAuth (no confirm page) → rusfokus → next
    assert last.status_code == 200 and last.url == f"{srv.url}/hub/whoami", (last.url, last.text[:300])
    assert last.json() == {"role": "kursist", "who": f"karla@{DOMAIN}", "hub": True}
    token = browser.cookies.get(identity.LEARNER_COOKIE, domain="127.0.0.1")
    assert identity.verify("learner", token, secret=srv.secret()) == f"karla@{DOMAIN}"
    # the Hub user is the e-mail claim, its groups the provider's groups claim, no server spawned
    user = requests.get(
        f"{hub.api_url}/users/karla@{DOMAIN}", headers={"Authorization": f"token {hub.service_token}"}, timeout=10
    )
    assert user.status_code == 200, user.text
    assert user.json()["groups"] == ["rusfokus-kursist"] and user.json()["servers"] == {}
    # a feature page sees her; a stranger is not let in
    assert browser.get(f"{srv.url}/genopfrisk/", timeout=10).status_code == 200
    assert requests.get(f"{srv.url}/genopfrisk/", timeout=10).status_code != 200


def test_noegleperson_group_claim_gives_the_noegleperson_role(sso):
    _, _, srv = sso
    _, last = login(sso, "niels")  # "Nej" on the staff list: the provider's group decides
    assert last.json() == {"role": "noegleperson", "who": f"niels@{DOMAIN}", "hub": True}


def test_admin_group_claim_gives_an_admin_session(sso):
    _, _, srv = sso
    browser, last = login(sso, "ida")
    assert last.json() == {"role": "admin", "who": f"hub:ida@{DOMAIN}", "hub": True}
    report = browser.get(f"{srv.url}/admin/rapport.xlsx", timeout=30)
    assert report.status_code == 200 and "spreadsheetml" in report.headers["Content-Type"]


def test_learner_group_but_not_on_the_staff_list_gets_the_danish_refusal(sso):
    _, _, srv = sso
    browser, last = login(sso, "ulla")
    assert last.status_code == 403 and last.url.startswith(f"{srv.url}/hub/oauth_callback")
    assert "listen over medarbejdere" in last.text and 'lang="da"' in last.text
    no_identity(srv, browser)


def test_no_rusfokus_group_is_stopped_at_the_hub(sso):
    _, hub, srv = sso
    browser, last = login(sso, "erik")  # on the staff list, but the provider gives no rusfokus group
    assert last.status_code == 403 and last.url.startswith(hub.url), (last.status_code, last.url)
    no_identity(srv, browser)


def test_wrong_password_at_the_provider_does_not_get_in(sso):
    provider, _, srv = sso
    browser, last = login(sso, "karla", password="karla-kode-forkert")
    assert last.status_code == 401 and last.url.startswith(provider.issuer)
    assert "Forkert brugernavn eller adgangskode" in last.text
    no_identity(srv, browser)


@pytest.mark.parametrize("fault", ["tampered", "foreign-key"])
def test_a_tampered_or_forged_id_token_is_refused_by_the_hub(sso, fault):
    provider, hub, srv = sso
    provider.bad_id_token["malte"] = fault  # tampered: the admin group added to a signed token
    try:
        browser, last = login(sso, "malte")
    finally:
        provider.bad_id_token.pop("malte")
    assert last.status_code == 403 and last.url.startswith(hub.url), (last.status_code, last.url)
    no_identity(srv, browser)
    assert "ID token does not verify" in hub.log.read_text()
    # the same person with a good token gets in, as the learner she is (not as an admin)
    _, last = login(sso, "malte")
    assert last.json() == {"role": "kursist", "who": f"malte@{DOMAIN}", "hub": True}


def test_a_tampered_state_or_a_forged_code_at_the_hub_callback_gives_no_login(sso):
    provider, hub, srv = sso
    browser, answer = login(sso, "karla", follow=False)  # the provider's redirect to the Hub, not followed
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.netloc == urlsplit(hub.url).netloc and back.path == "/hub/oauth_callback"
    query = {k: v[0] for k, v in parse_qs(back.query).items()}

    def callback(**changed):
        return browser.get(urlunsplit(back._replace(query=urlencode({**query, **changed}))), timeout=30)

    tampered = callback(state=query["state"][:-4] + "AAAA")
    assert tampered.status_code in (400, 403), (tampered.status_code, tampered.url)
    forged = callback(code="forged-code")
    assert forged.status_code >= 400 and not forged.url.startswith(srv.url)
    assert "jupyterhub-hub-login" not in browser.cookies
    no_identity(srv, browser)


def test_an_id_token_shown_to_the_hub_or_rusfokus_is_no_login(sso):
    """Only the code flow logs in: a (valid!) ID token handed over as a bearer token opens nothing."""
    provider, hub, srv = sso
    provider.register_client("andet-system", "hemmeligt", ["http://127.0.0.1:9/cb"])
    client = OAuth2Session(
        "andet-system", "hemmeligt", scope="openid email profile", redirect_uri="http://127.0.0.1:9/cb"
    )
    url, _ = client.create_authorization_url(f"{provider.issuer}/authorize")
    browser = requests.Session()
    page = browser.get(url, timeout=10)
    answer = browser.post(
        login_form(page), data={"username": "ida", "password": USERS["ida"].password}, allow_redirects=False
    )
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    id_token = client.fetch_token(f"{provider.issuer}/token", code=code)["id_token"]
    bearer = {"Authorization": f"Bearer {id_token}"}
    assert requests.get(f"{hub.api_url}/user", headers=bearer, timeout=10).status_code == 403
    r = requests.get(f"{srv.url}/hub/whoami", headers=bearer, cookies={"id_token": id_token}, timeout=10)
    assert r.json()["role"] == ""
    assert requests.get(
        f"{srv.url}/admin/rapport.xlsx", headers=bearer, allow_redirects=False, timeout=10
    ).status_code in (302, 403)
