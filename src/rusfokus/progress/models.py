"""Tables of the progress database (SQLAlchemy 2 declarative, on ``rusfokus.db.Base``).

Organisation is forvaltning → afdeling → institution. A person belongs to one
institution. Completions record a passed module exercise; certificates
(kursusbeviser) carry the issue date, expiry and a verification code.
No citizen data is ever stored here: only staff and their training.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rusfokus.db import Base

STATUS_ACTIVE = "aktiv"
STATUS_LEFT = "fratrådt"
STATUS_DELETED = "slettet"


class Forvaltning(Base):
    __tablename__ = "forvaltning"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Afdeling(Base):
    __tablename__ = "afdeling"
    __table_args__ = (UniqueConstraint("forvaltning_id", "name", name="uq_afdeling_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    forvaltning_id: Mapped[int] = mapped_column(ForeignKey("forvaltning.id"))
    name: Mapped[str] = mapped_column(String(200))
    forvaltning: Mapped[Forvaltning] = relationship()


class Institution(Base):
    __tablename__ = "institution"
    __table_args__ = (UniqueConstraint("afdeling_id", "name", name="uq_institution_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    afdeling_id: Mapped[int] = mapped_column(ForeignKey("afdeling.id"))
    name: Mapped[str] = mapped_column(String(200))
    afdeling: Mapped[Afdeling] = relationship()


class Person(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Lower-cased, trimmed. NULL once the person is deleted (GDPR); counts stay.
    email: Mapped[str | None] = mapped_column(String(320), unique=True, nullable=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    faggruppe: Mapped[str] = mapped_column(String(200), default="")
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"), nullable=True)
    noegleperson: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=STATUS_ACTIVE, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    left_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    institution: Mapped[Institution | None] = relationship()


class Completion(Base):
    """A passed (or attempted) module exercise. ``kind`` leaves room for temadag attendance."""

    __tablename__ = "completion"
    __table_args__ = (Index("ix_completion_person_module", "person_id", "module"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    module: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="modul")
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    passed: Mapped[bool] = mapped_column(Boolean, default=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Certificate(Base):
    """A kursusbevis. The newest one per person and module is the one that counts."""

    __tablename__ = "certificate"
    __table_args__ = (Index("ix_certificate_person_module", "person_id", "module"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    module: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)


class AuditEntry(Base):
    """One admin action. ``target`` names people by id, never by e-mail or name."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class AdminUser(Base):
    __tablename__ = "admin_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime)
