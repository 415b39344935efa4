"""Issue, revoke and expire Open Badges 3.0 kursusbeviser; the signed revocation status list.

The credential (``OpenBadgeCredential``, OB 3.0 context, VC Data Model 2.0) is built and signed by
``openbadgeslib.ob3`` as a VC-JWT with the active Ed25519 key; the only addition here is the JOSE
``kid`` header naming the key (OB 3.0 §8.2.3 allows ``kid`` beside ``jwk``), so a verifier picks
the right key from the JWKS or the DID document after a rotation.

- issuer: the municipality from ``kommune.yml`` (``issuer_id`` in ``keys.py``);
- credentialSubject: an ``AchievementSubject`` whose ``identifier`` is a salted SHA-256 hash of the
  learner's e-mail (no name or e-mail in clear), and whose achievement is the module;
- validFrom / validUntil: the kursusbevis' issued_on / expires_on (end of that day, UTC);
- credentialStatus: a ``BitstringStatusListEntry`` (purpose revocation) at a random free index of
  the one list served at ``/badges/status/revocation``.

A set bit means revoked: by an operator, by a GDPR erasure, or because the kursusbevis expired
(``expire`` sets the bit of every credential past its validUntil; the status list route runs it).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import jwt
from openbadgeslib.ob3 import (
    Achievement,
    IdentityObject,
    Issuer,
    OB3Signer,
    OpenBadgeCredential,
    build_status_list_credential,
    status_entry,
)
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rusfokus.integrations.badges.keys import (
    ALGORITHM,
    BadgeKeyError,
    active_key,
    issuer_id,
    private_pem,
    public_url,
)
from rusfokus.integrations.badges.models import REASON_EXPIRED, BadgeCredential, BadgeKey
from rusfokus.progress import module_title
from rusfokus.progress.models import Certificate, Person

LIST_SIZE = 131072  # bits: the Bitstring Status List minimum (16 KiB), a large anonymity set
LIST_PURPOSE = "revocation"
LIST_VALID_HOURS = 24  # a served list is valid this long: a replayed old copy cannot un-revoke
VALID, REVOKED, EXPIRED = "gyldig", "tilbagekaldt", "udløbet"


class BadgeError(ValueError):
    """English operator message."""


class _KidSigner(OB3Signer):
    """openbadgeslib's signer, with the key's ``kid`` in the JOSE header beside its ``jwk``."""

    def __init__(self, pem: bytes, kid: str):
        super().__init__(privkey_pem=pem, algorithm=ALGORITHM)
        self.kid = kid

    def sign_payload(self, payload: dict) -> str:
        headers = {"jwk": self._public_jwk(), "kid": self.kid}
        return jwt.encode(payload, self._load_privkey(), algorithm=self.algorithm, headers=headers)


def status_list_url(settings) -> str:
    return f"{public_url(settings)}/badges/status/{LIST_PURPOSE}"


def achievement_id(settings, module: str) -> str:
    return f"{public_url(settings)}/badges/achievement/{module}"


def _signer(session: Session, settings) -> tuple[_KidSigner, BadgeKey]:
    key = active_key(session)
    if key is None:
        raise BadgeKeyError("no signing key yet: run `rusfokus badges key create`")
    return _KidSigner(private_pem(settings.home, key), f"{issuer_id(settings)}#{key.kid}"), key


def _free_index(session: Session) -> int:
    for _ in range(100):
        index = secrets.randbelow(LIST_SIZE)
        if session.scalar(select(BadgeCredential.id).where(BadgeCredential.status_index == index)) is None:
            return index
    raise BadgeError("the status list is nearly full; add a second list")


def _utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=UTC)


def build_credential(
    settings, *, kommune_navn: str, email: str, module: str, valid_from: date, valid_until: date, index: int
) -> OpenBadgeCredential:
    title = module_title(module)
    base = public_url(settings)
    return OpenBadgeCredential(
        id=f"urn:uuid:{uuid.uuid4()}",
        name=f"Kursusbevis: {title}",
        issuer=Issuer(id=issuer_id(settings), name=kommune_navn, url=base),
        recipient_id=None,
        identifiers=[IdentityObject.create(email, salt=secrets.token_hex(8))],
        achievement=Achievement(
            id=achievement_id(settings, module),
            name=title,
            description=(
                f"Kursusbevis for modulet '{title}' i kurset om tidlig opsporing af alkohol- og "
                f"stofproblemer for kommunens frontpersonale ({kommune_navn})."
            ),
            criteria_narrative=f"Har bestået testen 'Test din viden' i modulet '{title}'.",
            achievement_type="CertificateOfCompletion",
        ),
        issuance_date=_utc(valid_from, time(0, 0)),
        expiration_date=_utc(valid_until, time(23, 59, 59)),
        credential_status=[status_entry(status_list_url(settings), LIST_PURPOSE, index)],
    )


def issue_for(
    session: Session, settings, person: Person, cert: Certificate, kommune_navn: str, now: datetime | None = None
) -> BadgeCredential:
    """The credential of this kursusbevis: the stored one, else a new one (signed and stored)."""
    now = now or datetime.now()
    if cert.expires_on < now.date():
        raise BadgeError(f"kursusbevis {cert.code} expired on {cert.expires_on}; no credential is issued for it")
    row = session.scalar(
        select(BadgeCredential).where(
            BadgeCredential.certificate_id == cert.id,
            BadgeCredential.revoked_at.is_(None),
            BadgeCredential.token.is_not(None),
        )
    )
    if row is not None:
        return row
    if not person.email:
        raise BadgeError(f"person #{person.id} has no e-mail (erased); no credential is issued")
    signer, key = _signer(session, settings)
    index = _free_index(session)
    credential = build_credential(
        settings,
        kommune_navn=kommune_navn,
        email=person.email,
        module=cert.module,
        valid_from=cert.issued_on,
        valid_until=cert.expires_on,
        index=index,
    )
    row = BadgeCredential(
        credential_id=credential.id,
        status_index=index,
        person_id=person.id,
        certificate_id=cert.id,
        module=cert.module,
        kid=key.kid,
        issued_at=now,
        valid_from=cert.issued_on,
        valid_until=cert.expires_on,
        token=signer.sign(credential),
        revoked_reason="",
    )
    session.add(row)
    session.flush()
    return row


def find(session: Session, credential_id: str) -> BadgeCredential | None:
    value = credential_id if credential_id.startswith("urn:uuid:") else f"urn:uuid:{credential_id}"
    return session.scalar(select(BadgeCredential).where(BadgeCredential.credential_id == value))


def revoke(session: Session, row: BadgeCredential, reason: str, now: datetime | None = None) -> bool:
    """Set the credential's bit. False if it was already set."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = now or datetime.now()
    row.revoked_reason = reason[:40]
    session.flush()
    return True


def expire(session: Session, today: date | None = None, now: datetime | None = None) -> int:
    """Set the bit of every credential whose kursusbevis has expired. Returns how many."""
    today = today or date.today()
    result = session.execute(
        update(BadgeCredential)
        .where(BadgeCredential.revoked_at.is_(None), BadgeCredential.valid_until < today)
        .values(revoked_at=now or datetime.now(), revoked_reason=REASON_EXPIRED)
    )
    return result.rowcount or 0


def revoked_indexes(session: Session) -> list[int]:
    return list(session.scalars(select(BadgeCredential.status_index).where(BadgeCredential.revoked_at.is_not(None))))


def status_list_jwt(session: Session, settings, now: datetime | None = None) -> str:
    """The signed BitstringStatusListCredential (VC-JWT), fresh: expiry is applied first, and the
    list is valid for ``LIST_VALID_HOURS`` hours."""
    now = now or datetime.now(UTC)
    expire(session, now.date())
    signer, _ = _signer(session, settings)
    url = status_list_url(settings)
    vc = build_status_list_credential(
        issuer_id(settings),
        url,
        LIST_PURPOSE,
        revoked_indexes(session),
        size_bits=LIST_SIZE,
        issued=now - timedelta(minutes=5),
        valid_until=now + timedelta(hours=LIST_VALID_HOURS),
    )
    payload = {**vc, "iss": vc["issuer"], "jti": vc["id"], "nbf": int((now - timedelta(minutes=5)).timestamp())}
    return signer.sign_payload(payload)


@dataclass
class PublicStatus:
    credential_id: str
    module: str
    valid_from: date
    valid_until: date
    state: str  # VALID, REVOKED, EXPIRED (Danish words, shown on the public page)


def public_status(session: Session, credential_id: str, today: date | None = None) -> PublicStatus | None:
    today = today or date.today()
    row = find(session, credential_id)
    if row is None:
        return None
    if row.revoked_at is not None:
        state = EXPIRED if row.revoked_reason == REASON_EXPIRED else REVOKED
    elif row.valid_until < today:
        state = EXPIRED
    else:
        state = VALID
    return PublicStatus(row.credential_id, row.module, row.valid_from, row.valid_until, state)
