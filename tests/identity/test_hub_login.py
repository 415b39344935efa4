"""rusfokus as a JupyterHub service (issue 19): a real JupyterHub 5.4 on loopback (dummy authenticator,
configurable-http-proxy), rusfokus registered as an external OAuth service, people logging in at the Hub with
an HTTP client that follows the redirects, and what `rusfokus serve` then knows about them."""

from __future__ import annotations

from functools import partial

import pytest
import requests

from rusfokus import identity

from helpers.hub import hub_login, hub_service, start_hub

pytestmark = pytest.mark.slow

DOMAIN = "hub-kommune.example"
GROUPS = {
    "rusfokus-admin": ["ida"],
    "rusfokus-kursist": ["karl", "ukendt", f"lise@{DOMAIN}"],
    "rusfokus-noegleperson": ["nina"],
    "andre": ["eva"],
}
ROSTER = (
    "Navn;E-mail;Arbejdssted;Afdeling;Forvaltning;Stilling;Nøgleperson\n"
    f"Karl Hubsen;karl@{DOMAIN};Hubskolen;Skoler;Børn og Unge;Lærer;Nej\n"
    f"Lise Hubsen;lise@{DOMAIN};Hubskolen;Skoler;Børn og Unge;Lærer;Nej\n"
    f"Nina Hubsen;nina@{DOMAIN};Hubskolen;Skoler;Børn og Unge;Lærer;Nej\n"
    f"Eva Hubsen;eva@{DOMAIN};Hubskolen;Skoler;Børn og Unge;Lærer;Nej\n"
)


@pytest.fixture(scope="module")
def hub_setup(tmp_path_factory):
    """One Hub and one rusfokus for the module."""
    start = partial(start_hub, groups=GROUPS)
    with hub_service(tmp_path_factory.mktemp("hub"), ROSTER, start, {"RUSFOKUS_HUB_EMAIL_DOMAIN": DOMAIN}) as both:
        yield both


def login(hub_setup, user: str, next_path: str = "/hub/whoami") -> tuple[requests.Session, requests.Response]:
    hub, srv = hub_setup
    browser = requests.Session()
    last = hub_login(browser, f"{srv.url}/hub/login?next={next_path}", user)
    return browser, last


def whoami(srv, browser: requests.Session) -> dict:
    r = browser.get(f"{srv.url}/hub/whoami", timeout=10)
    assert r.status_code == 200
    return r.json()


def test_learner_logs_in_through_the_hub_and_is_the_person_on_the_staff_list(hub_setup):
    hub, srv = hub_setup
    browser, last = login(hub_setup, "karl")
    # Hub login → Hub OAuth (no confirm page) → rusfokus's callback → next
    assert last.status_code == 200 and last.url == f"{srv.url}/hub/whoami", (last.url, last.text[:300])
    assert last.json() == {"role": "kursist", "who": f"karl@{DOMAIN}", "hub": True}
    # the learner cookie is rusfokus's own signed one: every feature handler and app reads it unchanged
    token = browser.cookies.get(identity.LEARNER_COOKIE, domain="127.0.0.1")
    assert identity.verify("learner", token, secret=srv.secret()) == f"karl@{DOMAIN}"
    assert browser.cookies.get(identity.ADMIN_COOKIE) is None
    # a feature page sees her without knowing about the Hub (the refresher overview; a stranger is not let in)
    page = browser.get(f"{srv.url}/genopfrisk/", timeout=10)
    stranger = requests.get(f"{srv.url}/genopfrisk/", timeout=10)
    assert page.status_code == 200 and stranger.status_code != 200, (page.status_code, stranger.status_code)
    # no single-user server was spawned for the learner
    user = requests.get(
        f"{hub.api_url}/users/karl", headers={"Authorization": f"token {hub.service_token}"}, timeout=10
    )
    assert user.status_code == 200 and user.json()["servers"] == {}, user.text


def test_a_hub_user_name_that_is_an_email_matches_without_the_domain(hub_setup):
    _, srv = hub_setup
    _, last = login(hub_setup, f"lise@{DOMAIN}")
    assert last.json()["who"] == f"lise@{DOMAIN}" and last.json()["role"] == "kursist"


def test_admin_group_gets_an_admin_session(hub_setup):
    _, srv = hub_setup
    browser, last = login(hub_setup, "ida")
    assert last.status_code == 200 and last.json() == {"role": "admin", "who": "hub:ida", "hub": True}
    admin_cookie = browser.cookies.get(identity.ADMIN_COOKIE)
    # the admin views accept the session: the report downloads, a stranger is sent to /login
    report = browser.get(f"{srv.url}/admin/rapport.xlsx", timeout=30)
    assert report.status_code == 200 and "spreadsheetml" in report.headers["Content-Type"]
    stranger = requests.get(f"{srv.url}/admin/rapport.xlsx", allow_redirects=False, timeout=10)
    assert stranger.status_code in (302, 403)
    assert identity.verify("admin", admin_cookie, secret=srv.secret()) == "hub:ida"
    # the logout ends that session server-side
    assert browser.get(f"{srv.url}/logout", timeout=10).status_code == 200
    browser.cookies.set(identity.ADMIN_COOKIE, admin_cookie, domain="127.0.0.1", path="/")
    assert whoami(srv, browser)["role"] == ""


def test_noegleperson_group_makes_the_person_a_noegleperson(hub_setup):
    _, srv = hub_setup
    _, last = login(hub_setup, "nina")
    assert last.json() == {"role": "noegleperson", "who": f"nina@{DOMAIN}", "hub": True}


def test_user_of_another_group_gets_no_identity_and_a_danish_page(hub_setup):
    _, srv = hub_setup
    browser, last = login(hub_setup, "eva")
    assert last.status_code == 403 and last.url.startswith(f"{srv.url}/hub/oauth_callback")
    assert "ikke med i en gruppe" in last.text
    assert identity.LEARNER_COOKIE not in browser.cookies and identity.ADMIN_COOKIE not in browser.cookies
    assert whoami(srv, browser)["role"] == ""


def test_learner_group_but_not_on_the_staff_list_gets_no_identity(hub_setup):
    _, srv = hub_setup
    browser, last = login(hub_setup, "ukendt")
    assert last.status_code == 403 and "listen over medarbejdere" in last.text
    assert whoami(srv, browser)["role"] == ""


def test_user_in_no_group_is_stopped_by_the_hub(hub_setup):
    hub, srv = hub_setup
    browser, last = login(hub_setup, "fremmed")  # the dummy authenticator lets anyone log in at the Hub
    assert last.status_code == 403 and last.url.startswith(hub.url)
    assert whoami(srv, browser)["role"] == ""


def test_forged_or_absent_code_and_state_give_no_identity(hub_setup):
    _, srv = hub_setup
    browser = requests.Session()
    # no state cookie at all
    r = browser.get(f"{srv.url}/hub/oauth_callback?code=forged&state=forged", timeout=10)
    assert r.status_code == 403 and "Prøv igen" in r.text
    # a real state from /hub/login, but a code the Hub never issued
    start = browser.get(f"{srv.url}/hub/login", allow_redirects=False, timeout=10)
    assert start.status_code == 302
    state = requests.utils.urlparse(start.headers["Location"]).query.split("state=")[1].split("&")[0]
    r = browser.get(f"{srv.url}/hub/oauth_callback?code=forged&state={state}", timeout=30)
    assert r.status_code == 403
    # a state of another browser
    other = requests.Session()
    other.get(f"{srv.url}/hub/login", allow_redirects=False, timeout=10)
    r = other.get(f"{srv.url}/hub/oauth_callback?code=x&state={state}", timeout=10)
    assert r.status_code == 403
    for s in (browser, other):
        assert identity.LEARNER_COOKIE not in s.cookies and identity.ADMIN_COOKIE not in s.cookies
        assert whoami(srv, s)["role"] == ""


def test_personal_links_still_work_next_to_the_hub(hub_setup):
    _, srv = hub_setup
    browser = requests.Session()
    r = browser.get(f"{srv.url}/adgang/{srv.learner_token(f'eva@{DOMAIN}')}", allow_redirects=False, timeout=10)
    assert r.status_code == 302
    assert whoami(srv, browser) == {"role": "kursist", "who": f"eva@{DOMAIN}", "hub": True}
