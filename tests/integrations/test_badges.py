"""Open Badges 3.0 kursusbeviser: issued, downloaded, verified by a standard verifier, revoked.

Real parts: a SQLite database migrated by Alembic, a real tornado server (identity, progress and
badges routes) on loopback, the real CLI for the keys, real GDPR erasure. The verifying side is
openbadgeslib's own ``OB3Verifier`` and status check, given only the credential and what the
server publishes (JWKS / did:web document, status list): not our code. The public address is
``https://127.0.0.1:<port>`` (as behind a TLS proxy), so the issuer is a did:web; the verifier's
fetches go to the same port over plain HTTP.
"""

from __future__ import annotations

import asyncio
import base64
import json
import stat
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import jwt
import pytest
import tornado.httpserver
import tornado.testing
import tornado.web
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import OKPAlgorithm
from openbadgeslib.ob3 import OB3VerificationError, OB3Verifier, check_credential_status, decode_encoded_list
from openbadgeslib.util import hash_email
from sqlalchemy import select

from rusfokus import identity
from rusfokus.apps.min_side import learner_overview, render
from rusfokus.cli import main
from rusfokus.db import session_scope
from rusfokus.gdpr import delete_person, export_person, get_person
from rusfokus.identity import web as identity_web
from rusfokus.integrations.badges import issue
from rusfokus.integrations.badges import web as badges_web
from rusfokus.integrations.badges.models import BadgeCredential, BadgeKey
from rusfokus.kommune import load_kommune
from rusfokus.progress import web as progress_web
from rusfokus.progress.hooks import record_result
from rusfokus.settings import get_settings

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

KAREN = "karen.holm@eksempel-kommune.example"
JENS = "jens.bro@eksempel-kommune.example"
MODULE = "opsporing"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"


def http(base, path, cookie_email=None):
    headers = (
        {"Cookie": f"{identity.LEARNER_COOKIE}={identity.learner_token(cookie_email, secret=TEST_SECRET)}"}
        if cookie_email
        else {}
    )
    req = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("home")
    sock, port = tornado.testing.bind_unused_port()
    mp.setenv("RUSFOKUS_HOME", str(home))
    (home / "secret.key").write_bytes(TEST_SECRET)  # the server's key: it checks what the tests sign
    mp.setenv("RUSFOKUS_DB", f"sqlite:///{home / 'rusfokus.db'}")
    mp.setenv("RUSFOKUS_BADGES_URL", f"https://127.0.0.1:{port}")
    get_settings.cache_clear()
    settings = get_settings()
    ready, holder = threading.Event(), {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = tornado.web.Application(
            identity_web.routes(settings) + progress_web.routes(settings) + badges_web.routes(settings)
        )
        tornado.httpserver.HTTPServer(app).add_sockets([sock])
        progress_web.startup(settings)  # migrates the database (0012_badges included)
        holder["loop"] = loop
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    assert ready.wait(30)
    now = datetime.now().replace(microsecond=0)
    with session_scope(settings.db_url) as s:
        for email in (KAREN, JENS):
            record_result(
                s, email, MODULE, 9, 10, True, now - timedelta(days=1), settings.certificate_months, secret=TEST_SECRET
            )
    base = f"http://127.0.0.1:{port}"

    def fetch(url: str) -> bytes:
        """What a verifier fetches (DID document, status list), to this server over plain HTTP."""
        assert url.startswith(f"https://127.0.0.1:{port}/"), url
        with urllib.request.urlopen("http://" + url[len("https://") :], timeout=30) as r:
            return r.read()

    yield type("Env", (), {"base": base, "home": home, "settings": settings, "fetch": staticmethod(fetch)})
    holder["loop"].call_soon_threadsafe(holder["loop"].stop)
    mp.undo()
    get_settings.cache_clear()


def check_ob3_required(vc: dict) -> None:
    """The properties OB 3.0 (1EdTech, §B.1 OpenBadgeCredential, §B.1.2 AchievementSubject,
    §B.1.1 Achievement, Profile, Criteria) requires, and VC Data Model 2.0's validFrom."""
    ctx = vc["@context"]
    assert isinstance(ctx, list) and ctx[0] == VC_CONTEXT and ctx[1] == OB_CONTEXT
    assert vc["id"].startswith("urn:uuid:")
    assert "VerifiableCredential" in vc["type"] and "OpenBadgeCredential" in vc["type"]
    assert isinstance(vc["name"], str) and vc["name"]
    issuer = vc["issuer"]
    assert issuer["id"] and "Profile" in issuer["type"] and issuer["name"]
    datetime.fromisoformat(vc["validFrom"].replace("Z", "+00:00"))
    subject = vc["credentialSubject"]
    assert "AchievementSubject" in subject["type"]
    assert subject.get("id") or subject.get("identifier"), "credentialSubject needs id or identifier"
    for ident in subject.get("identifier", []):
        assert ident["type"] == "IdentityObject" and isinstance(ident["hashed"], bool)
        assert ident["identityHash"] and ident["identityType"]
    ach = subject["achievement"]
    assert ach["id"] and "Achievement" in ach["type"] and ach["name"] and ach["description"]
    assert ach["criteria"].get("id") or ach["criteria"].get("narrative")
    status = vc["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert int(status["statusListIndex"]) >= 0 and status["statusListCredential"].startswith("https://")


def key_from_jwks(jwks: dict, token: str) -> bytes:
    """A verifier's step: the public key the token's kid names, from the published JWKS, as PEM."""
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == kid]
    key = OKPAlgorithm.from_jwk(json.dumps(jwk))
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def status_bit(env, vc: dict) -> bool:
    raw = env.fetch(vc["credentialStatus"]["statusListCredential"]).decode()
    payload = json.loads(base64.urlsafe_b64decode(raw.split(".")[1] + "=="))
    bits = decode_encoded_list(payload["credentialSubject"]["encodedList"])
    index = int(vc["credentialStatus"]["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def tamper(token: str, change) -> str:
    head, body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    change(payload)
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{head}.{body}.{sig}"


def test_no_key_yet_is_a_danish_notice(env):
    code, _, body = http(env.base, f"/api/badges/mine/{MODULE}.jwt", KAREN)
    assert code == 503 and "kan ikke hentes lige nu" in body.decode()
    with session_scope(env.settings.db_url) as s:
        assert s.scalar(select(BadgeCredential)) is None  # nothing half-written


def test_key_create_is_0600_and_refused_twice(env, capsys):
    assert main(["badges", "key", "create"]) == 0
    out = capsys.readouterr().out
    assert "did:web:127.0.0.1%3A" in out and ":badges" in out
    (pem,) = (env.home / "badges" / "keys").glob("*.pem")
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert main(["badges", "key", "create"]) == 2
    assert "key rotate" in capsys.readouterr().err


def test_learner_downloads_and_standard_verifier_accepts(env):
    code, headers, _ = http(env.base, f"/api/badges/mine/{MODULE}.jwt")
    assert code == 403  # no signed cookie: nothing
    code, headers, body = http(env.base, f"/api/badges/mine/{MODULE}.jwt", KAREN)
    assert code == 200, body
    assert headers["Content-Type"] == "application/vc+jwt"
    assert f"kursusbevis-{MODULE}.jwt" in headers["Content-Disposition"]
    token = body.decode()
    assert http(env.base, f"/api/badges/mine/{MODULE}.jwt", KAREN)[2].decode() == token  # issued once

    # 1) only the credential and the published JWKS
    jwks = json.loads(http(env.base, "/badges/jwks.json")[2])
    cred = OB3Verifier(pubkey_pem=key_from_jwks(jwks, token)).verify(token)
    vc = cred.raw
    check_ob3_required(vc)
    assert vc["issuer"]["name"] == load_kommune(env.settings.kommune_file).navn  # issuer: the municipality
    with session_scope(env.settings.db_url) as s:
        cert = s.scalar(select(BadgeCredential).where(BadgeCredential.credential_id == vc["id"]))
        assert vc["validFrom"].startswith(cert.valid_from.isoformat())
        assert vc["validUntil"].startswith(cert.valid_until.isoformat())
    assert KAREN not in json.dumps(vc)  # only a salted hash of the e-mail
    (ident,) = vc["credentialSubject"]["identifier"]
    assert ident["identityHash"] == "sha256$" + hash_email(KAREN, ident["salt"]).decode()

    # 2) only the credential and its issuer's DID (did:web -> /badges/did.json), status checked
    verifier = OB3Verifier.for_issuer_did(vc["issuer"]["id"], download=env.fetch)
    verifier.verify(token, check_status=True, download=env.fetch)
    assert status_bit(env, vc) is False

    # tampered: another module name, a later validUntil, a changed signature -> refused
    for change in (
        lambda p: p["credentialSubject"]["achievement"].update(name="Noget andet"),
        lambda p: p.update(validUntil="2099-01-01T00:00:00Z"),
    ):
        with pytest.raises(OB3VerificationError):
            verifier.verify(tamper(token, change))
    head, body_, sig = token.split(".")
    with pytest.raises(OB3VerificationError):
        verifier.verify(f"{head}.{body_}.{sig[:-4]}AAAA")

    # the public check page
    uid = vc["id"].removeprefix("urn:uuid:")
    code, _, page = http(env.base, f"/badges/tjek/{uid}")
    assert code == 200 and "er gyldig" in page.decode() and KAREN not in page.decode()


def test_another_persons_credential_is_refused(env):
    token = http(env.base, f"/api/badges/mine/{MODULE}.jwt", KAREN)[2].decode()
    uid = jwt.decode(token, options={"verify_signature": False})["jti"].removeprefix("urn:uuid:")
    code, _, mine = http(env.base, f"/api/badges/bevis/{uid}.jwt", KAREN)
    assert code == 200 and mine.decode() == token
    code, headers, body = http(env.base, f"/api/badges/bevis/{uid}.jwt", JENS)
    assert code == 404 and "Du kan kun hente dine egne kursusbeviser" in body.decode()
    assert token not in body.decode() and "Content-Disposition" not in headers
    code, _, body = http(env.base, "/api/badges/mine/ukendt-modul.jwt", JENS)
    assert code == 404 and "ikke et kursusbevis" in body.decode()


def test_rotation_keeps_old_credentials_verifiable(env, capsys):
    old = http(env.base, f"/api/badges/mine/{MODULE}.jwt", KAREN)[2].decode()
    assert main(["badges", "key", "rotate"]) == 0
    assert "retired" in capsys.readouterr().out
    new = http(env.base, f"/api/badges/mine/{MODULE}.jwt", JENS)[2].decode()
    assert jwt.get_unverified_header(old)["kid"] != jwt.get_unverified_header(new)["kid"]
    jwks = json.loads(http(env.base, "/badges/jwks.json")[2])
    assert len(jwks["keys"]) == 2
    issuer = jwt.decode(old, options={"verify_signature": False})["iss"]
    verifier = OB3Verifier.for_issuer_did(issuer, download=env.fetch)
    for token in (old, new):
        OB3Verifier(pubkey_pem=key_from_jwks(jwks, token)).verify(token)
        cred = verifier.verify(token, check_status=True, download=env.fetch)
        # the status list (signed with the new key) verified through the DID document
        check_credential_status(cred, download=env.fetch, verify_list=True)
    with session_scope(env.settings.db_url) as s:
        active = s.scalar(select(BadgeKey).where(BadgeKey.retired_at.is_(None)))
        assert jwt.get_unverified_header(new)["kid"].endswith("#" + active.kid)
        assert len(s.scalars(select(BadgeKey)).all()) == 2


def test_gdpr_delete_revokes_and_sets_the_bit(env, capsys):
    token = http(env.base, f"/api/badges/mine/{MODULE}.jwt", KAREN)[2].decode()
    vc = jwt.decode(token, options={"verify_signature": False})
    verifier = OB3Verifier.for_issuer_did(vc["iss"], download=env.fetch)
    verifier.verify(token, check_status=True, download=env.fetch)
    assert status_bit(env, vc) is False
    with session_scope(env.settings.db_url) as s:
        exported = export_person(s, KAREN)
        assert [b["credential_id"] for b in exported["open_badges"]] == [vc["jti"]]
        delete_person(s, KAREN, secret=TEST_SECRET)
    assert status_bit(env, vc) is True
    verifier.verify(token)  # the signature itself stays valid ...
    with pytest.raises(OB3VerificationError, match="revocation"):  # ... but the status says revoked
        verifier.verify(token, check_status=True, download=env.fetch)
    with session_scope(env.settings.db_url) as s:
        row = s.scalar(select(BadgeCredential).where(BadgeCredential.credential_id == vc["jti"]))
        assert row.token is None and row.person_id is None and row.revoked_reason == "gdpr-erased"
    code, _, page = http(env.base, f"/badges/tjek/{vc['jti'].removeprefix('urn:uuid:')}")
    assert code == 200 and "er tilbagekaldt" in page.decode()
    code, _, body = http(env.base, f"/api/badges/mine/{MODULE}.jwt", KAREN)
    assert code == 403 and token not in body.decode()


def test_expiry_sets_the_bit(env):
    token = http(env.base, f"/api/badges/mine/{MODULE}.jwt", JENS)[2].decode()
    vc = jwt.decode(token, options={"verify_signature": False})
    assert status_bit(env, vc) is False
    with session_scope(env.settings.db_url) as s:
        row = s.scalar(select(BadgeCredential).where(BadgeCredential.credential_id == vc["jti"]))
        assert issue.expire(s, today=row.valid_until + timedelta(days=1)) == 1
    assert status_bit(env, vc) is True
    code, _, page = http(env.base, f"/badges/tjek/{vc['jti'].removeprefix('urn:uuid:')}")
    assert "er udløbet" in page.decode()


def test_unknown_check_id_and_min_side_link(env):
    code, _, page = http(env.base, "/badges/tjek/00000000-0000-0000-0000-000000000000")
    assert code == 404 and "Vi kender ikke dette kursusbevis" in page.decode()
    with session_scope(env.settings.db_url) as s:
        html = render(learner_overview(s, JENS))  # Min side, from Jens' real overview
    assert f'href="/api/badges/mine/{MODULE}.jwt"' in html and f"/api/progress/mine/kursusbevis/{MODULE}.pdf" in html


def test_cli_revoke_and_status(env, capsys):
    with session_scope(env.settings.db_url) as s:
        record_result(
            s, "ole.dam@eksempel-kommune.example", MODULE, 8, 10, True, datetime.now(), 24, secret=TEST_SECRET
        )
    token = http(env.base, f"/api/badges/mine/{MODULE}.jwt", "ole.dam@eksempel-kommune.example")[2].decode()
    vc = jwt.decode(token, options={"verify_signature": False})
    assert status_bit(env, vc) is False
    assert main(["badges", "revoke", vc["jti"]]) == 0
    assert f"bit {vc['credentialStatus']['statusListIndex']}" in capsys.readouterr().out
    assert status_bit(env, vc) is True
    assert main(["badges", "revoke", vc["jti"]]) == 0
    assert "already revoked" in capsys.readouterr().out
    assert main(["badges", "revoke", "urn:uuid:00000000-0000-0000-0000-000000000000"]) == 2
    assert main(["badges", "status"]) == 0
    assert "revoked (bit set)" in capsys.readouterr().out


def test_a_key_file_readable_by_others_is_refused(env):
    with session_scope(env.settings.db_url) as s:
        kid = s.scalar(select(BadgeKey).where(BadgeKey.retired_at.is_(None))).kid
    pem = env.home / "badges" / "keys" / f"{kid}.pem"
    pem.chmod(0o644)
    try:
        code, _, body = http(env.base, "/badges/status/revocation")
        assert code == 503 and b"readable" not in body  # the operator reason is logged, not shown
    finally:
        pem.chmod(0o600)
    assert http(env.base, "/badges/status/revocation")[0] == 200


def test_an_expired_kursusbevis_gets_no_new_credential(env):
    email = "lis.krog@eksempel-kommune.example"
    with session_scope(env.settings.db_url) as s:
        record_result(s, email, MODULE, 8, 10, True, datetime.now() - timedelta(days=3 * 365), 24, secret=TEST_SECRET)
    code, headers, body = http(env.base, f"/api/badges/mine/{MODULE}.jwt", email)
    assert code == 404 and "Dit kursusbevis for dette modul er udløbet" in body.decode()
    assert "Content-Disposition" not in headers
    with session_scope(env.settings.db_url) as s:
        person_id = get_person(s, email).id
        assert s.scalar(select(BadgeCredential).where(BadgeCredential.person_id == person_id)) is None
