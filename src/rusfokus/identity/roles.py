"""Roles over one identity: admin, nøgleperson, kursist (``current_role``).

A *kursist* has a valid personal link (learner cookie). A *nøgleperson* is a kursist
whose person on the staff list is active and flagged ``noegleperson``: no extra
password, the flag is read from the database on every request, so a revoked,
fratrådt or un-flagged person loses the role at once. An *admin* has the signed
admin cookie (``/login``) and sees everything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.identity.revocation import is_revoked_in
from rusfokus.identity.tokens import (
    IdentityError,
    admin_claims,
    learner_from_cookie_header,
    normalise_email,
)
from rusfokus.migrations import upgrade
from rusfokus.progress.models import STATUS_ACTIVE, Institution, Person

ROLE_NONE, ROLE_LEARNER, ROLE_NOEGLEPERSON, ROLE_ADMIN = "", "kursist", "noegleperson", "admin"


@dataclass(frozen=True)
class Role:
    kind: str = ROLE_NONE
    who: str = ""  # admin user name or the learner's e-mail
    institutions: tuple[tuple[int, str], ...] = ()  # a nøgleperson's own (id, name)
    person_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == ROLE_ADMIN

    @property
    def is_noegleperson(self) -> bool:
        return self.kind == ROLE_NOEGLEPERSON

    @property
    def may_facilitate(self) -> bool:
        """May plan and run temadage (admin: all; nøgleperson: her own institutions')."""
        return self.kind in (ROLE_ADMIN, ROLE_NOEGLEPERSON)

    @property
    def institution_ids(self) -> frozenset[int]:
        return frozenset(i for i, _ in self.institutions)

    @property
    def institution_names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.institutions)

    @property
    def actor(self) -> str:
        """How the audit log and CSRF tokens name this user."""
        return f"{self.kind}:{self.who}" if self.kind else ""


def noegleperson_role(email: str, *, db_url: str, secret: bytes) -> Role:
    """The role of a learner ``email`` from the staff list in ``db_url``: nøgleperson only while the
    person is active, flagged and not revoked; otherwise kursist (``ROLE_NONE`` if revoked)."""
    email = normalise_email(email)
    upgrade(db_url)
    with session_scope(db_url) as session:
        if is_revoked_in(session, email, secret=secret):
            return Role()
        row = session.execute(
            select(Person.id, Person.status, Person.noegleperson, Institution.id, Institution.name)
            .join(Institution, Person.institution_id == Institution.id, isouter=True)
            .where(Person.email == email)
        ).first()
    if row is not None and row[1] == STATUS_ACTIVE and row[2] and row[3] is not None:
        return Role(ROLE_NOEGLEPERSON, email, ((row[3], row[4]),), row[0])
    return Role(ROLE_LEARNER, email, (), row[0] if row is not None else None)


def current_role(cookie_header: str | None, *, db_url: str, secret: bytes, admin_first: bool = True) -> Role:
    """Who the browser is: admin (valid admin session), else nøgleperson or kursist (valid
    personal link, looked up on the staff list now), else nobody. Fails closed: if the
    database cannot be read, a learner gets no nøgleperson rights."""
    if admin_first:
        try:
            user = admin_claims(cookie_header, db_url=db_url, secret=secret)["v"]
            return Role(ROLE_ADMIN, user)
        except IdentityError:
            pass
    try:
        email = learner_from_cookie_header(cookie_header, secret=secret)
    except IdentityError:
        return Role()
    try:
        return noegleperson_role(email, db_url=db_url, secret=secret)
    except Exception:
        logging.getLogger("rusfokus.identity").exception("role lookup failed")
        return Role(ROLE_LEARNER, email)
