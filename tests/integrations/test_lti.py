"""LTI 1.3 (issue 18, deliverable 2): a real platform on loopback (tests/helpers/lti_platform.py: its own
RSA keys, OIDC auth endpoint, token endpoint, AGS line items) launches modules in the session's real
`rusfokus serve`; the score goes back through AGS from the outbox.

Bad input (issue 18): a forged, tampered, replayed or expired launch, a token for another client, a person
who is not on the staff list, a launch without e-mail: each gets the Danish error page, no learner cookie,
nothing recorded."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from html import unescape

import pytest
import requests
import yaml
from sqlalchemy import func, select

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.gdpr import delete_person
from rusfokus.integrations import dispatch
from rusfokus.integrations.lti import platforms
from rusfokus.integrations.lti.models import LtiLink
from rusfokus.outbox.models import OutboxDelivery
from rusfokus.progress.hooks import find_or_create_person, on_graded
from rusfokus.settings import Settings

from helpers.lti_platform import Platform, new_user

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

EMAIL = "lise.ltisen@eksempel-kommune.example"
AT = dt.datetime(2026, 11, 20, 10, 0)


def db_url(srv) -> str:
    return f"sqlite:///{srv.home / 'rusfokus.db'}"


@pytest.fixture(scope="module")
def lms(server):
    platform = Platform(tool_url=server.url).start()
    (server.home / "lti.yml").write_text(yaml.safe_dump({"platforms": [platform.registration()]}), encoding="utf-8")
    with session_scope(db_url(server)) as s:
        find_or_create_person(s, EMAIL, AT)
    platform.users["lise"] = new_user(EMAIL)
    platform.users["ukendt"] = new_user("ukendt.person@eksempel-kommune.example")
    platform.users["uden-mail"] = new_user(None)
    yield platform
    platform.stop()
    (server.home / "lti.yml").unlink(missing_ok=True)


def links(srv, email=EMAIL) -> list[LtiLink]:
    with session_scope(db_url(srv)) as s:
        person = find_or_create_person(s, email, AT)
        rows = s.scalars(select(LtiLink).where(LtiLink.person_id == person.id)).all()
        s.expunge_all()
        return rows


def refused(response, text: str) -> None:
    page = unescape(response.text)
    assert response.status_code in (400, 403), (response.status_code, page[:300])
    assert 'lang="da"' in page and text in page, page[:1000]
    assert identity.LEARNER_COOKIE not in response.cookies
    assert "/lti/start" not in page


def test_launch_in_the_lms_frame_opens_the_module_in_a_new_window(server, lms):
    http = requests.Session()
    r = lms.launch_as("lise", "opsporing", http)
    assert r.status_code == 200, r.text[:500]
    page = unescape(r.text)
    assert "Modul 1: Opsporing" in page and 'target="_blank"' in page
    assert identity.LEARNER_COOKIE not in r.cookies  # a cookie set inside the LMS's frame would be dropped
    # the registered platform may frame the page, nobody else
    csp = r.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {lms.url}" in csp
    ticket = page.split("/lti/start?t=")[1].split('"')[0]
    # the new window: first-party cookie, on to the module
    start = requests.get(f"{server.url}/lti/start", params={"t": ticket}, allow_redirects=False, timeout=30)
    assert start.status_code == 303 and start.headers["Location"] == "/modules/01-opsporing/index.html"
    token = start.cookies[identity.LEARNER_COOKIE]
    assert identity.verify("learner", token, secret=server.secret()) == EMAIL
    # the ticket works once
    again = requests.get(f"{server.url}/lti/start", params={"t": ticket}, allow_redirects=False, timeout=30)
    refused(again, "Knappen er for gammel eller er brugt")
    # where the score goes was kept
    [link] = [row for row in links(server) if row.module == "opsporing"]
    assert link.lineitem == lms.lineitem("opsporing") and link.subject == lms.users["lise"].sub


def test_launch_as_the_whole_window_goes_straight_to_the_module(server, lms):
    r = lms.launch_as("lise", "dobbeltdiagnose", requests.Session(), fetch_dest="document")
    assert r.status_code == 303 and r.headers["Location"] == "/modules/04-dobbeltdiagnose/index.html"
    assert identity.verify("learner", r.cookies[identity.LEARNER_COOKIE], secret=server.secret()) == EMAIL


def test_a_replayed_launch_is_refused(server, lms):
    http = requests.Session()
    assert lms.launch_as("lise", "opsporing", http).status_code == 200
    refused(lms.post_form(lms.last_form, http), "Kurset kan ikke åbne fra dit LMS")  # state and nonce used


@pytest.mark.parametrize(
    "trick",
    [{"foreign_key": True}, {"tamper": "anden.person@eksempel-kommune.example"}, {"expired": True}],
    ids=["signed-with-another-key", "payload-changed", "expired"],
)
def test_forged_tampered_or_expired_tokens_are_refused(server, lms, trick):
    before = len(links(server))
    lms.misbehave = trick
    try:
        refused(lms.launch_as("lise", "bekymringssamtale", requests.Session()), "Kurset kan ikke åbne fra dit LMS")
    finally:
        lms.misbehave = {}
    assert len(links(server)) == before


def test_a_token_for_another_client_or_an_unknown_platform_is_refused(server, lms):
    other = Platform(tool_url=server.url, client_id="en-anden-klient").start()
    try:
        other.users["lise"] = lms.users["lise"]
        # an issuer that is not registered: refused at the login initiation already
        refused(other.launch_as("lise", "opsporing", requests.Session()), "Kurset kan ikke åbne fra dit LMS")
        # the registered issuer, but asking for (and signing tokens to) a client id that is not registered
        lms.client_id = "en-anden-klient"
        try:
            refused(lms.launch_as("lise", "opsporing", requests.Session()), "Kurset kan ikke åbne fra dit LMS")
        finally:
            lms.client_id = "rusfokus-test-client"
    finally:
        other.stop()


def test_only_people_on_the_staff_list_and_only_with_an_email(server, lms):
    refused(lms.launch_as("ukendt", "opsporing", requests.Session()), "medarbejderliste")
    refused(lms.launch_as("uden-mail", "opsporing", requests.Session()), "sendte ikke din e-mailadresse")


def test_a_launch_for_no_module_says_so(server, lms):
    http = requests.Session()
    r = lms.launch_as("lise", "ikke-et-modul", http)
    refused(r, "peger ikke på et modul")


def test_the_tool_publishes_its_key_and_the_cli_prints_what_to_register(server, lms):
    jwks = requests.get(f"{server.url}/lti/jwks.json", timeout=30).json()
    assert jwks["keys"][0]["kty"] == "RSA" and "d" not in jwks["keys"][0]
    out = server.rusfokus("lti", "check").stdout
    assert f"{server.url}/lti/login" in out and f"{server.url}/lti/jwks.json" in out and "Test-LMS" in out


def _settings(srv) -> Settings:
    return Settings.from_env({"RUSFOKUS_HOME": str(srv.home), "RUSFOKUS_BASE_URL": srv.url})


def _wait_for_score(lms, user_sub: str, timeout: float = 60) -> list[dict]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = [s for s in lms.scores if s["userId"] == user_sub]
        if found:
            return found
        time.sleep(0.5)
    return []


def test_the_score_goes_back_to_the_lms_grade_book(server, lms):
    email = "ags.agssen@eksempel-kommune.example"
    with session_scope(db_url(server)) as s:
        find_or_create_person(s, email, AT)
    lms.users["ags"] = user = new_user(email)
    assert lms.launch_as("ags", "unge-og-rusmidler", requests.Session()).status_code == 200
    settings = _settings(server)

    lms.misbehave = {"ags_down": True}
    try:
        on_graded(
            email,
            "unge-og-rusmidler",
            9,
            10,
            True,
            dt.datetime(2026, 11, 21, 9, 30),
            db_url=settings.db_url,
            secret=TEST_SECRET,
        )
        dispatch.run_deliveries(settings)
        with session_scope(settings.db_url) as s:
            row = s.scalar(
                select(OutboxDelivery).where(OutboxDelivery.subscriber == "lti-ags").order_by(OutboxDelivery.id.desc())
            )
            assert row.status in ("failed", "pending", "claimed"), row.status
            if row.status == "failed":
                assert "refused" in row.last_error
        assert _wait_for_score(lms, user.sub, timeout=1) == []
    finally:
        lms.misbehave = {}
    # the platform is back: the next due run sends it (the server's own worker or this one)
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline and not _wait_for_score(lms, user.sub, timeout=2):
        dispatch.run_deliveries(settings, now_fn=lambda: dt.datetime.now() + dt.timedelta(hours=2))
    [score] = _wait_for_score(lms, user.sub)
    assert score["scoreGiven"] == 9 and score["scoreMaximum"] == 10
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    assert score["lineitem"] == "unge-og-rusmidler" and score["timestamp"].startswith("2026-11-21T09:30:00")
    # delivered once: further runs send nothing more
    dispatch.run_deliveries(settings, now_fn=lambda: dt.datetime.now() + dt.timedelta(hours=4))
    assert len([s for s in lms.scores if s["userId"] == user.sub]) == 1


def test_erasing_a_person_forgets_her_lms_links(server, lms):
    email = "slet.ltisen@eksempel-kommune.example"
    with session_scope(db_url(server)) as s:
        find_or_create_person(s, email, AT)
    lms.users["slet"] = new_user(email)
    lms.launch_as("slet", "opsporing", requests.Session())
    assert len(links(server, email)) == 1
    with session_scope(db_url(server)) as s:
        person_id = delete_person(s, email, actor="test", secret=TEST_SECRET)
        assert s.scalar(select(func.count(LtiLink.id)).where(LtiLink.person_id == person_id)) == 0


def test_registrations_file_errors_name_the_field(tmp_path):
    good = Platform(tool_url="http://127.0.0.1:1")
    good.url = "https://lms.eksempel-kommune.example"
    reg = good.registration()
    assert platforms.parse({"platforms": [reg]})[0].client_id == "rusfokus-test-client"
    cases = {
        "platforms: a list": {},
        "platforms[1].issuer: must be https": {"platforms": [{**reg, "issuer": "http://lms.example"}]},
        "platforms[1].deployment_ids": {"platforms": [{**reg, "deployment_ids": []}]},
        "platforms[1]: unknown field(s) secret": {"platforms": [{**reg, "secret": "x"}]},
        "platforms[2]: issuer and client_id registered twice": {"platforms": [reg, reg]},
        "platforms[1].client_id: required": {"platforms": [{**reg, "client_id": ""}]},
    }
    for expected, data in cases.items():
        with pytest.raises(platforms.PlatformError) as err:
            platforms.parse(data)
        assert expected in str(err.value)
    bad = tmp_path / "lti.yml"
    bad.write_text("platforms: [\n", encoding="utf-8")
    with pytest.raises(platforms.PlatformError, match="cannot be read as YAML"):
        platforms.load(bad)
    assert platforms.load(tmp_path / "none.yml") == ()
    settings = dataclasses.replace(Settings.from_env({"RUSFOKUS_HOME": str(tmp_path)}), lti_file=bad)
    from rusfokus.integrations.lti import tool

    assert tool.config_problems(settings) and not tool.enabled(dataclasses.replace(settings, lti_file=tmp_path / "x"))


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_a_learner_in_the_lms_opens_the_module_in_a_new_window(server, lms, browser, axe_check, width):
    """What she sees: the module embedded in the LMS's course page (the platform's iframe), a Danish button
    that opens it in a new window, and the module there with her identity (the learner cookie)."""
    context = browser.new_context(
        locale="da-DK", viewport={"width": width, "height": 844 if width == 390 else 900}, is_mobile=width == 390
    )
    try:
        page = context.new_page()
        page.goto(f"{lms.url}/course?user=lise&modul=motiverende-samtale")
        frame = page.frame_locator("#tool")
        button = frame.get_by_role("link", name="Åbn Modul 3: Motiverende samtale i et nyt vindue")
        button.wait_for(timeout=60_000)
        tool_frame = next(f for f in page.frames if f.url.startswith(server.url))
        assert axe_check(page) == []  # the LMS page with the launch page in its frame
        assert tool_frame.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        with context.expect_page() as popup_info:
            button.click()
        module_page = popup_info.value
        module_page.wait_for_load_state()
        assert module_page.url == f"{server.url}/modules/03-motiverende-samtale/index.html"
        cookie = next(c for c in context.cookies(server.url) if c["name"] == identity.LEARNER_COOKIE)
        assert identity.verify("learner", cookie["value"], secret=server.secret()) == EMAIL and cookie["httpOnly"]
    finally:
        context.close()
