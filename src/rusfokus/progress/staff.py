"""Apply a validated staff list to the database, and list staff.

Re-importing updates people (e-mail is the key); people no longer on the list
become fratrådt (their history is kept); people who come back become aktiv.
An e-mail that was erased under GDPR (revoked link) is re-added as a new
person and its revocation is lifted (audit: identity.revocation_lifted).
The whole import is one transaction: nothing is written unless it succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import revocation
from .audit import log_action
from .models import STATUS_ACTIVE, STATUS_LEFT, Afdeling, Forvaltning, Institution, Person
from .roster import Roster, RosterRow


class ImportRefused(Exception):
    """The import would do something unsafe; nothing was written (English message)."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    reactivated: int = 0
    left: int = 0
    skipped: int = 0
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.reactivated} re-activated, {self.left} marked fratrådt, {self.skipped} invalid rows skipped")


class OrgCache:
    """Find or create forvaltning → afdeling → institution rows, one query per new name."""

    def __init__(self, session: Session):
        self.s = session
        self.forv = {f.name: f for f in session.scalars(select(Forvaltning))}
        self.afd = {(a.forvaltning_id, a.name): a for a in session.scalars(select(Afdeling))}
        self.inst = {(i.afdeling_id, i.name): i for i in session.scalars(select(Institution))}

    def institution(self, forvaltning: str, afdeling: str, institution: str) -> Institution:
        f = self.forv.get(forvaltning)
        if f is None:
            f = self.forv[forvaltning] = Forvaltning(name=forvaltning)
            self.s.add(f)
            self.s.flush()
        a = self.afd.get((f.id, afdeling))
        if a is None:
            a = self.afd[(f.id, afdeling)] = Afdeling(forvaltning_id=f.id, name=afdeling)
            self.s.add(a)
            self.s.flush()
        i = self.inst.get((a.id, institution))
        if i is None:
            i = self.inst[(a.id, institution)] = Institution(afdeling_id=a.id, name=institution)
            self.s.add(i)
            self.s.flush()
        return i


def _apply_row(person: Person, row: RosterRow, inst: Institution, now: datetime) -> bool:
    changed = False
    for attr, value in (("name", row.name), ("faggruppe", row.faggruppe),
                        ("institution_id", inst.id), ("noegleperson", row.noegleperson)):
        if getattr(person, attr) != value:
            setattr(person, attr, value)
            changed = True
    if changed:
        person.updated_at = now
    return changed


def import_roster(session: Session, roster: Roster, *, skip_invalid: bool = False,
                  actor: str = "cli", now: datetime | None = None, source: str = "") -> ImportResult:
    """Write a parsed roster. Raises ImportRefused (nothing written) when unsafe."""
    now = now or datetime.now()
    if roster.problems and not skip_invalid:
        raise ImportRefused(f"{len(roster.problems)} invalid row(s); nothing imported")
    if not roster.rows:
        raise ImportRefused("no valid staff rows in the file; refusing to mark everyone as fratrådt")
    result = ImportResult(skipped=len(roster.problems))
    org = OrgCache(session)
    people = {p.email: p for p in session.scalars(select(Person).where(Person.email.is_not(None)))}
    listed = {row.email for row in roster.rows} | {p.email for p in roster.problems if p.email}
    for row in roster.rows:
        inst = org.institution(row.forvaltning, row.afdeling, row.institution)
        person = people.get(row.email)
        if person is None:
            person = Person(email=row.email, name=row.name, faggruppe=row.faggruppe,
                            institution_id=inst.id, noegleperson=row.noegleperson,
                            status=STATUS_ACTIVE, created_at=now, updated_at=now)
            session.add(person)
            people[row.email] = person
            result.created += 1
            if revocation.is_revoked_in(session, row.email):  # an erased person is re-added on purpose
                session.flush()
                revocation.lift(session, row.email, actor=actor, target=f"person #{person.id}")
            continue
        changed = _apply_row(person, row, inst, now)
        if person.status != STATUS_ACTIVE:
            person.status, person.left_at, person.updated_at = STATUS_ACTIVE, None, now
            result.reactivated += 1
        elif changed:
            result.updated += 1
        else:
            result.unchanged += 1
    for email, person in people.items():
        if email not in listed and person.status == STATUS_ACTIVE:
            person.status, person.left_at, person.updated_at = STATUS_LEFT, now, now
            result.left += 1
    session.flush()
    log_action(session, actor, "staff.import", source, result.summary(), now=now)
    return result


def staff_frame(session: Session, *, include_left: bool = True) -> pd.DataFrame:
    """One row per person (deleted people excluded): name, email, organisation, faggruppe, flag, status."""
    stmt = (
        select(Person.name, Person.email, Institution.name, Afdeling.name, Forvaltning.name,
               Person.faggruppe, Person.noegleperson, Person.status)
        .join(Institution, Person.institution_id == Institution.id)
        .join(Afdeling, Institution.afdeling_id == Afdeling.id)
        .join(Forvaltning, Afdeling.forvaltning_id == Forvaltning.id)
        .where(Person.email.is_not(None))
        .order_by(Forvaltning.name, Afdeling.name, Institution.name, Person.name)
    )
    if not include_left:
        stmt = stmt.where(Person.status == STATUS_ACTIVE)
    rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["name", "email", "institution", "afdeling", "forvaltning",
                                        "faggruppe", "noegleperson", "status"])
    frame["noegleperson"] = frame["noegleperson"].map({True: "ja", False: "nej"}).astype(object)
    return frame
