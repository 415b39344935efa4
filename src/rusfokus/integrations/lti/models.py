"""LTI 1.3 tables (migration 0013_lti).

``LtiState``: a state or nonce this tool issued at an OIDC login initiation. Each is used once:
the launch that presents it consumes it (a replayed launch finds it gone), and it expires after
``STATE_SECONDS``. Kept in the database, not in a cookie, because the login and the launch usually
run inside the LMS's iframe, where browsers block third-party cookies.

``LtiLink``: a person launched a module from a platform whose launch offered Assignment and Grade
Services: where the score goes when she completes it (the line item URL and the platform user id).
One row per person, module and platform/deployment; a newer launch updates it. Erased with the person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rusfokus.db import Base

STATE, NONCE, START = "state", "nonce", "start"


class LtiState(Base):
    __tablename__ = "lti_state"

    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    issuer: Mapped[str] = mapped_column(String(500), default="")
    client_id: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class LtiLink(Base):
    __tablename__ = "lti_link"
    __table_args__ = (
        UniqueConstraint("person_id", "module", "issuer", "client_id", "deployment_id", name="uq_lti_link"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    module: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    deployment_id: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(255))
    lineitem: Mapped[str] = mapped_column(Text, default="")
    scopes: Mapped[str] = mapped_column(Text, default="")
    launched_at: Mapped[datetime] = mapped_column(DateTime)
