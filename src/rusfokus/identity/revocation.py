"""Revoked learner identities: a GDPR-erased person's signed link stops working.

A personal link (``/adgang/<token>``) and the learner cookie are signed
e-mail addresses; they cannot be recalled once handed out. So when a person
is erased (``rusfokus person delete`` or ``purge``), we remember that their
identity is revoked, without keeping the e-mail: the table holds only
HMAC-SHA256(server secret, lower-cased e-mail) and the time. Without the
server's secret key the hash cannot be checked against a list of addresses.
If the secret key is replaced, every old link stops working anyway.

Every place that accepts a learner identity calls ``ensure_not_revoked``
(or ``is_revoked``). Re-importing the e-mail with ``rusfokus staff import``
lifts the revocation: the person is then on the staff list again.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import DateTime, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from rusfokus.db import Base, session_scope
from rusfokus.identity.tokens import IdentityError, normalise_email
from rusfokus.migrations import upgrade

REVOKED_MESSAGE = (
    "Dit personlige link virker ikke længere. Det er lukket, eller dine oplysninger er slettet. "
    "Kontakt din nøgleperson, hvis du skal bruge kurset igen."
)


class RevokedIdentity(Base):
    __tablename__ = "revoked_identity"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(DateTime)


def identity_digest(email: str, secret: bytes) -> str:
    """HMAC-SHA256 of the normalised e-mail with the server's ``secret`` (``load_secret(settings.secret_file)``)."""
    message = b"revoked-identity:" + normalise_email(email).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def revoke(session: Session, email: str, *, secret: bytes, now: datetime | None = None) -> None:
    """Record that ``email``'s signed links are no longer valid (idempotent; part of the caller's transaction)."""
    digest = identity_digest(email, secret)
    if session.get(RevokedIdentity, digest) is None:
        session.add(RevokedIdentity(digest=digest, revoked_at=now or datetime.now()))
        session.flush()


def lift(session: Session, email: str, *, secret: bytes) -> bool:
    """Lift a revocation (the person was re-added). True if one was lifted; the caller writes
    the audit entry (``identity.revocation_lifted``, by person id only)."""
    digest = identity_digest(email, secret)
    gone = session.execute(delete(RevokedIdentity).where(RevokedIdentity.digest == digest)).rowcount
    return bool(gone)


def is_revoked_in(session: Session, email: str, *, secret: bytes) -> bool:
    digest = identity_digest(email, secret)
    return session.scalar(select(RevokedIdentity.digest).where(RevokedIdentity.digest == digest)) is not None


def is_revoked(email: str, db_url: str, *, secret: bytes) -> bool:
    """True if the learner ``email`` was erased and must not be accepted (opens its own session on
    ``db_url``, the caller's ``Settings.db_url``)."""
    upgrade(db_url)
    with session_scope(db_url) as session:
        return is_revoked_in(session, email, secret=secret)


def ensure_not_revoked(email: str, db_url: str, *, secret: bytes) -> str:
    """Return ``email``, or raise ``identity.IdentityError`` with the Danish message if it was revoked."""
    if is_revoked(email, db_url, secret=secret):
        raise IdentityError(REVOKED_MESSAGE)
    return email
