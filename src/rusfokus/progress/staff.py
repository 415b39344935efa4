"""Apply a validated staff list to the database, and list staff.

Re-importing updates people (e-mail is the key); people no longer on the list
become fratrådt (their history is kept); people who come back become aktiv.
An e-mail that was erased under GDPR (revoked link) is re-added as a new
person and its revocation is lifted (audit: identity.revocation_lifted).
The whole import is one transaction: nothing is written unless it succeeds.

``preview_import`` tells what an import would do ("X nye, Y ændrede, Z
markeres fratrådt") without writing anything; the dashboard shows it and
imports only when the consultant confirms, and ``rusfokus staff import
--dry-run`` prints it. ``only_add_update=True`` (a partial list, e.g. one
institution's new staff) adds and updates the people on the list and marks
nobody fratrådt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.identity import revocation
from rusfokus.progress.audit import log_action
from rusfokus.progress.models import (
    STATUS_ACTIVE,
    STATUS_LEFT,
    Afdeling,
    Forvaltning,
    Institution,
    Person,
)
from rusfokus.progress.roster import Roster, RosterRow

if TYPE_CHECKING:
    import pandas as pd


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
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.reactivated} re-activated, {self.left} marked fratrådt, {self.skipped} invalid rows skipped"
        )


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


@dataclass
class ImportPreview:
    """What ``import_roster`` would do with a roster, by e-mail (nothing written)."""

    new: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # e-mail -> changed fields (English names)
    reactivated: list[str] = field(default_factory=list)
    leaving: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0
    only_add_update: bool = False

    def summary(self) -> str:
        return (
            f"{len(self.new)} new, {len(self.changed)} changed, {self.unchanged} unchanged, "
            f"{len(self.reactivated)} re-activated, {len(self.leaving)} to be marked fratrådt, "
            f"{self.skipped} invalid rows to skip"
        )

    def summary_da(self) -> str:
        text = f"{len(self.new)} nye, {len(self.changed)} ændrede, {len(self.leaving)} markeres fratrådt"
        extra = []
        if self.reactivated:
            extra.append(f"{len(self.reactivated)} kommer tilbage")
        extra.append(f"{self.unchanged} uændrede")
        return f"{text} ({', '.join(extra)})"


def _row_changes(person: Person, row: RosterRow, org: tuple[str, str, str] | None) -> list[str]:
    changes = [
        attr
        for attr, value in (("name", row.name), ("faggruppe", row.faggruppe), ("noegleperson", row.noegleperson))
        if getattr(person, attr) != value
    ]
    if org != (row.forvaltning, row.afdeling, row.institution):
        changes.append("institution")
    return changes


def preview_import(session: Session, roster: Roster, *, only_add_update: bool = False) -> ImportPreview:
    """What ``import_roster(session, roster, skip_invalid=True, only_add_update=...)`` would do.

    Reads only. Counts match the import's (``ImportResult``): new, changed (updated),
    re-activated, unchanged and marked fratrådt."""
    preview = ImportPreview(skipped=len(roster.problems), only_add_update=only_add_update)
    rows = session.execute(
        select(Person, Forvaltning.name, Afdeling.name, Institution.name)
        .outerjoin(Institution, Person.institution_id == Institution.id)
        .outerjoin(Afdeling, Institution.afdeling_id == Afdeling.id)
        .outerjoin(Forvaltning, Afdeling.forvaltning_id == Forvaltning.id)
        .where(Person.email.is_not(None))
    ).all()
    people = {p.email: (p, (f, a, i) if i is not None else None) for p, f, a, i in rows}
    listed = {row.email for row in roster.rows} | {p.email for p in roster.problems if p.email}
    seen: set[str] = set()
    for row in roster.rows:
        if row.email in seen:  # the roster reader refuses duplicates; be safe anyway
            continue
        seen.add(row.email)
        found = people.get(row.email)
        if found is None:
            preview.new.append(row.email)
            continue
        person, org = found
        changes = _row_changes(person, row, org)
        if person.status != STATUS_ACTIVE:
            preview.reactivated.append(row.email)
        elif changes:
            preview.changed[row.email] = changes
        else:
            preview.unchanged += 1
    if not only_add_update:
        preview.leaving = sorted(
            email for email, (person, _org) in people.items() if email not in listed and person.status == STATUS_ACTIVE
        )
    return preview


def _apply_row(person: Person, row: RosterRow, inst: Institution, now: datetime) -> bool:
    changed = False
    for attr, value in (
        ("name", row.name),
        ("faggruppe", row.faggruppe),
        ("institution_id", inst.id),
        ("noegleperson", row.noegleperson),
    ):
        if getattr(person, attr) != value:
            setattr(person, attr, value)
            changed = True
    if changed:
        person.updated_at = now
    return changed


def import_roster(
    session: Session,
    roster: Roster,
    *,
    skip_invalid: bool = False,
    actor: str = "cli",
    now: datetime | None = None,
    source: str = "",
    only_add_update: bool = False,
    secret: bytes,
) -> ImportResult:
    """Write a parsed roster. Raises ImportRefused (nothing written) when unsafe.

    ``only_add_update``: a partial list; people not on it keep their status. ``secret``: the server's
    (``load_secret(settings.secret_file)``): an erased person who is re-added has her revocation lifted."""
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
            person = Person(
                email=row.email,
                name=row.name,
                faggruppe=row.faggruppe,
                institution_id=inst.id,
                noegleperson=row.noegleperson,
                status=STATUS_ACTIVE,
                created_at=now,
                updated_at=now,
            )
            session.add(person)
            people[row.email] = person
            result.created += 1
            if revocation.is_revoked_in(session, row.email, secret=secret):  # an erased person is re-added on purpose
                session.flush()
                revocation.lift(session, row.email, secret=secret)
                log_action(
                    session, actor, "identity.revocation_lifted", f"person #{person.id}", "re-added by staff import"
                )
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
        if not only_add_update and email not in listed and person.status == STATUS_ACTIVE:
            person.status, person.left_at, person.updated_at = STATUS_LEFT, now, now
            result.left += 1
    session.flush()
    mode = " (only add and update)" if only_add_update else ""
    log_action(session, actor, "staff.import", source, result.summary() + mode, now=now)
    return result


def staff_frame(session: Session, *, include_left: bool = True) -> pd.DataFrame:
    """One row per person (deleted people excluded): name, email, organisation, faggruppe, flag, status."""
    # lazy: loads pandas (~0.5 s); needed only here
    import pandas as pd

    stmt = (
        select(
            Person.name,
            Person.email,
            Institution.name,
            Afdeling.name,
            Forvaltning.name,
            Person.faggruppe,
            Person.noegleperson,
            Person.status,
        )
        .join(Institution, Person.institution_id == Institution.id)
        .join(Afdeling, Institution.afdeling_id == Afdeling.id)
        .join(Forvaltning, Afdeling.forvaltning_id == Forvaltning.id)
        .where(Person.email.is_not(None))
        .order_by(Forvaltning.name, Afdeling.name, Institution.name, Person.name)
    )
    if not include_left:
        stmt = stmt.where(Person.status == STATUS_ACTIVE)
    rows = session.execute(stmt).all()
    frame = pd.DataFrame(
        rows, columns=["name", "email", "institution", "afdeling", "forvaltning", "faggruppe", "noegleperson", "status"]
    )
    frame["noegleperson"] = frame["noegleperson"].map({True: "ja", False: "nej"}).astype(object)
    return frame
