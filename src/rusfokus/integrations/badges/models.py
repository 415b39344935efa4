"""Tables of the Open Badges 3.0 kursusbeviser (migration ``0012_badges``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rusfokus.db import Base

REASON_EXPIRED, REASON_ERASED, REASON_OPERATOR = "expired", "gdpr-erased", "operator"


class BadgeKey(Base):
    """A signing key's public half and dates. The private key is ``<home>/badges/keys/<kid>.pem``
    (mode 0600), never in the database. A retired key signs nothing new but stays published so
    that credentials it signed keep verifying."""

    __tablename__ = "badge_key"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[str] = mapped_column(Text)  # JSON, public parameters only
    created_at: Mapped[datetime] = mapped_column(DateTime)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class BadgeCredential(Base):
    """One issued OpenBadgeCredential: its id, its bit in the revocation status list, and whether
    that bit is set. ``token`` (the signed VC-JWT, which carries only a salted hash of the
    e-mail) and the links to the person are cleared when the person is erased; the row and its
    set bit stay so the credential keeps failing verification."""

    __tablename__ = "badge_credential"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(64), unique=True)  # urn:uuid:...
    status_index: Mapped[int] = mapped_column(Integer, unique=True)
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    certificate_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    module: Mapped[str] = mapped_column(String(100))
    kid: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    token: Mapped[str | None] = mapped_column(Text, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_reason: Mapped[str] = mapped_column(String(40), default="")
