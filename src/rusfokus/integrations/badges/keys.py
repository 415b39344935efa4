"""Signing keys of the Open Badges 3.0 kursusbeviser: create, show, rotate; what is published.

One Ed25519 key signs (EdDSA). Its private half is a PEM file ``<home>/badges/keys/<kid>.pem``
with mode 0600 (written with ``O_EXCL``: an existing file is never overwritten); the public half
and the dates are in ``badge_key``. Rotation creates a new key and retires the old one: a retired
key signs nothing new but stays in the JWKS and the DID document, so that credentials it signed
keep verifying. Every token names its key in the JOSE header (``kid`` = ``<issuer>#<kid>``).
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from openbadgeslib.ob3 import build_did_document, did_web_from_url
from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.integrations.badges.models import BadgeKey

ALGORITHM = "EdDSA"


class BadgeKeyError(ValueError):
    """English operator message (the CLI prints it)."""


def key_dir(home: Path) -> Path:
    return Path(home) / "badges" / "keys"


def public_url(settings) -> str:
    """The public origin verifiers reach (``RUSFOKUS_BADGES_URL``, else ``RUSFOKUS_BASE_URL``)."""
    return (getattr(settings, "badges_url", "") or settings.base_url).rstrip("/")


def issuer_id(settings) -> str:
    """``did:web:<host>:badges`` when the public address is HTTPS (did:web trusts TLS); else, for a
    test or intranet installation on plain HTTP, the URL of the issuer profile."""
    base = public_url(settings)
    if base.startswith("https://"):
        return did_web_from_url(base + "/badges")
    return base + "/badges/issuer"


def _private_path(home: Path, kid: str) -> Path:
    return key_dir(home) / f"{kid}.pem"


def active_key(session: Session) -> BadgeKey | None:
    return session.scalars(
        select(BadgeKey).where(BadgeKey.retired_at.is_(None)).order_by(BadgeKey.created_at.desc())
    ).first()


def all_keys(session: Session) -> list[BadgeKey]:
    """Every key, the active one first (verifiers with no ``kid`` try the first)."""
    keys = list(session.scalars(select(BadgeKey).order_by(BadgeKey.created_at.desc())).all())
    return sorted(keys, key=lambda k: k.retired_at is not None)


def create_key(session: Session, home: Path, now: datetime | None = None) -> BadgeKey:
    """A new Ed25519 key: PEM file (0600) first, then the row. Refuses when a key is active."""
    if active_key(session) is not None:
        raise BadgeKeyError("a signing key already exists; use `rusfokus badges key rotate` to replace it")
    return _new_key(session, home, now or datetime.now())


def rotate_key(session: Session, home: Path, now: datetime | None = None) -> tuple[BadgeKey, BadgeKey | None]:
    """Retire the active key (kept for verifying) and make a new one. Returns (new, old)."""
    now = now or datetime.now()
    old = active_key(session)
    if old is not None:
        old.retired_at = now
    return _new_key(session, home, now), old


def _new_key(session: Session, home: Path, now: datetime) -> BadgeKey:
    kid = f"key-{now:%Y%m%d}-{secrets.token_hex(4)}"
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    folder = key_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    fd = os.open(_private_path(home, kid), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    jwk = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
    row = BadgeKey(kid=kid, algorithm=ALGORITHM, public_jwk=json.dumps(jwk, sort_keys=True), created_at=now)
    session.add(row)
    session.flush()
    return row


def private_pem(home: Path, key: BadgeKey) -> bytes:
    path = _private_path(home, key.kid)
    if not path.is_file():
        raise BadgeKeyError(f"the private key file {path} of key {key.kid} is missing")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise BadgeKeyError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
    return path.read_bytes()


def public_jwk(key: BadgeKey, issuer: str) -> dict:
    jwk = json.loads(key.public_jwk)
    return {**jwk, "kid": f"{issuer}#{key.kid}", "alg": key.algorithm, "use": "sig"}


def jwks(session: Session, issuer: str) -> dict:
    """The JSON Web Key Set published at ``/badges/jwks.json``: every key, active first."""
    return {"keys": [public_jwk(k, issuer) for k in all_keys(session)]}


def did_document(session: Session, issuer: str) -> dict:
    """The DID document published at ``/badges/did.json`` (did:web resolves there)."""
    keys = all_keys(session)
    if not keys:
        raise BadgeKeyError("no signing key yet: run `rusfokus badges key create`")
    return build_did_document(issuer, [(k.kid, json.loads(k.public_jwk)) for k in keys])


def describe(session: Session, home: Path) -> list[dict]:
    out = []
    for k in all_keys(session):
        path = _private_path(home, k.kid)
        out.append(
            {
                "kid": k.kid,
                "algorithm": k.algorithm,
                "created": k.created_at.isoformat(timespec="seconds"),
                "state": "retired" if k.retired_at else "active",
                "retired": k.retired_at.isoformat(timespec="seconds") if k.retired_at else "",
                "private_key": f"{path} ({oct(path.stat().st_mode & 0o777)})" if path.is_file() else f"{path} MISSING",
            }
        )
    return out
