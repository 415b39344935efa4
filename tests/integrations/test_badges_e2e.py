"""Min side's "Digitalt kursusbevis" in Chromium through `rusfokus serve` (the demo server).

A learner of the fictional demo staff with a valid kursusbevis opens Min side at 390 px and
1280 px: the Open Badge link sits next to the PDF; following it with her cookie gives her signed
credential, which openbadgeslib's verifier accepts with the key the server publishes. Axe clean.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from jwt import get_unverified_header
from jwt.algorithms import OKPAlgorithm
from openbadgeslib.ob3 import OB3Verifier
from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.progress.models import Certificate, Person

from helpers.browser import run_axe, wait_for_widgets

MIN_SIDE = "/voila/render/min-side/index.ipynb"


def _learner_with_kursusbevis(srv) -> tuple[str, str]:
    with session_scope(f"sqlite:///{srv.home / 'rusfokus.db'}") as s:
        row = s.execute(
            select(Person.email, Certificate.module)
            .join(Certificate, Certificate.person_id == Person.id)
            .where(Certificate.expires_on > date.today(), Person.email.is_not(None))
            .order_by(Certificate.expires_on.desc())
        ).first()
    assert row is not None, "the demo data has no valid kursusbevis"
    return row[0], row[1]


@pytest.mark.browser
def test_min_side_links_the_open_badge_and_it_verifies(browser, demo_server, tmp_path):
    srv = demo_server
    srv.rusfokus("badges", "key", "create", check=False)  # once per server; a second run is refused
    email, module = _learner_with_kursusbevis(srv)
    for width in (390, 1280):
        context = browser.new_context(locale="da-DK", viewport={"width": width, "height": 900})
        try:
            context.add_cookies([srv.cookie("rf_learner", srv.learner_token(email))])
            page = context.new_page()
            page.goto(srv.url + MIN_SIDE, wait_until="commit", timeout=120_000)
            wait_for_widgets(page, timeout=120_000)
            link = page.get_by_role("link", name="Digitalt kursusbevis").first
            link.wait_for(timeout=120_000)
            assert link.is_visible()
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width  # fits the screen
            href = link.get_attribute("href")
            assert href == f"/api/badges/mine/{module}.jwt"
            page.screenshot(path=str(tmp_path / f"min-side-{width}.png"), full_page=True)
            assert run_axe(page) == []
            response = context.request.get(srv.url + href)
            assert response.status == 200 and response.headers["content-type"] == "application/vc+jwt"
            token = response.text()
        finally:
            context.close()
    jwks = json.loads(browser.new_context().request.get(srv.url + "/badges/jwks.json").text())
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == get_unverified_header(token)["kid"]]
    pem = OKPAlgorithm.from_jwk(json.dumps(jwk)).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    credential = OB3Verifier(pubkey_pem=pem).verify(token)
    assert credential.achievement.id.endswith(f"/badges/achievement/{module}")
