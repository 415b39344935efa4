"""Signed identities: only values signed with the server's key are trusted."""

import os
import stat

import pytest

from rusfokus import identity
from rusfokus.identity import IdentityError, InvalidToken, learner_token, sign, verify

KEY = b"k" * 64


def test_round_trip_and_kind_separation():
    token = learner_token(" Anna.Hansen@Eksempel.example ", secret=KEY)
    assert verify("learner", token, secret=KEY) == "anna.hansen@eksempel.example"
    with pytest.raises(InvalidToken):
        verify("admin", token, secret=KEY)


def test_tampered_or_foreign_tokens_are_refused():
    token = learner_token("a@b.example", secret=KEY)
    body, mac = token.split(".")
    forged = sign("learner", "boss@b.example", secret=b"x" * 64)
    for bad in (forged, body + "." + mac[:-2] + "AA", body[:-1] + "x." + mac, "", None, "a.b.c", "learner=a@b.example"):
        with pytest.raises(InvalidToken):
            verify("learner", bad, secret=KEY)


def test_expiry():
    token = sign("checkin", "temadag-1", secret=KEY, now=1000)
    assert verify("checkin", token, max_age=300, secret=KEY, now=1200) == "temadag-1"
    with pytest.raises(InvalidToken, match="udløbet"):
        verify("checkin", token, max_age=300, secret=KEY, now=1301)


def test_secret_is_created_private_and_stable(tmp_path):
    path = tmp_path / "var" / "secret.key"
    first = identity.load_secret(path)
    assert len(first) >= 32 and identity.load_secret(path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_current_learner_reads_only_signed_cookie(tmp_path, monkeypatch):
    """The app kernels' identity: only a cookie signed with the secret of the kernel's Settings."""
    from rusfokus.settings import Settings

    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    kernel = Settings.from_env({"RUSFOKUS_HOME": str(tmp_path)})  # what an app's build_app reads
    secret = identity.load_secret(kernel.secret_file)
    monkeypatch.setenv("HTTP_COOKIE", "rf_learner=anna@eksempel.example")
    with pytest.raises(IdentityError):
        identity.current_learner(kernel)
    monkeypatch.delenv("HTTP_COOKIE")
    with pytest.raises(IdentityError, match="personlige link"):
        identity.current_learner(kernel)
    other = learner_token("anna@eksempel.example", secret=b"x" * 64)  # signed by another server
    monkeypatch.setenv("HTTP_COOKIE", f"rf_learner={other}")
    with pytest.raises(IdentityError):
        identity.current_learner(kernel)
    token = learner_token("anna@eksempel.example", secret=secret)
    monkeypatch.setenv("HTTP_COOKIE", f"other=1; rf_learner={token}")
    assert identity.current_learner(kernel) == "anna@eksempel.example"
    assert not identity.is_admin(kernel)
    monkeypatch.setenv("HTTP_COOKIE", f"rf_admin={identity.admin_token('konsulent', secret=secret)}")
    assert identity.current_admin(kernel) == "konsulent" and identity.is_admin(kernel)
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    assert identity.current_learner(kernel) == "hubuser"
