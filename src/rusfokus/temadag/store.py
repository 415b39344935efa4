"""Database operations for temadage: plans, check-in, attendance, evaluations.

Attendance goes into progress tracking as ``Completion(kind="temadag")`` per
module of the temadag; ``passed`` is true when the temadag is configured to
count toward the module, and then a kursusbevis is issued as for a passed
exercise.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rusfokus.progress import certificates
from rusfokus.progress.hooks import find_or_create_person
from rusfokus.progress.models import STATUS_ACTIVE, Completion, Institution, Person
from rusfokus.progress.roster import normalise_email
from rusfokus.temadag.evaluation import EvaluationAnswer, summarise
from rusfokus.temadag.models import Temadag, TemadagEvaluation, TemadagParticipant
from rusfokus.temadag.planning import TemadagPlan

METHODS = {"kode": "Kode/QR", "link": "Personligt link", "liste": "Krydset af"}


class CheckinError(ValueError):
    """Check-in refused; the message is Danish (shown on the phone)."""


def create(session: Session, plan: TemadagPlan, actor: str, now: dt.datetime) -> Temadag:
    row = Temadag(title=plan.title, date=plan.date, start=plan.start, duration_min=plan.duration_min,
                  place=plan.place, modules=",".join(plan.modules), facilitator=plan.facilitator,
                  facilitator_email=plan.facilitator_email, institutions="\n".join(plan.institutions),
                  counts_toward_module=plan.counts_toward_module, created_at=now, created_by=actor)
    session.add(row)
    session.flush()
    return row


def modules_of(row: Temadag) -> tuple[str, ...]:
    return tuple(m for m in row.modules.split(",") if m)


def institutions_of(row: Temadag) -> tuple[str, ...]:
    return tuple(i for i in row.institutions.splitlines() if i.strip())


def update(session: Session, row: Temadag, plan: TemadagPlan) -> None:
    """Change a planned temadag. Attendance already recorded stays as it was recorded."""
    row.title, row.date, row.start, row.duration_min = plan.title, plan.date, plan.start, plan.duration_min
    row.place, row.modules, row.facilitator = plan.place, ",".join(plan.modules), plan.facilitator
    row.facilitator_email, row.institutions = plan.facilitator_email, "\n".join(plan.institutions)
    row.counts_toward_module = plan.counts_toward_module
    session.flush()


def to_plan(row: Temadag, attended: int = 0, evaluations: int = 0) -> TemadagPlan:
    return TemadagPlan(title=row.title, date=row.date, start=row.start, duration_min=row.duration_min,
                       place=row.place, modules=modules_of(row), facilitator=row.facilitator,
                       facilitator_email=row.facilitator_email, institutions=institutions_of(row),
                       counts_toward_module=row.counts_toward_module, id=row.id,
                       attended=attended, evaluations=evaluations)


def get(session: Session, temadag_id) -> Temadag | None:
    try:
        return session.get(Temadag, int(temadag_id))
    except (TypeError, ValueError):
        return None


def list_plans(session: Session, year: int | None = None) -> list[TemadagPlan]:
    query = select(Temadag).order_by(Temadag.date, Temadag.start)
    if year is not None:
        query = query.where(Temadag.date >= dt.date(year, 1, 1), Temadag.date <= dt.date(year, 12, 31))
    rows = session.scalars(query).all()
    attended = dict(session.execute(select(TemadagParticipant.temadag_id, func.count())
                                    .group_by(TemadagParticipant.temadag_id)).all())
    evals = dict(session.execute(select(TemadagEvaluation.temadag_id, func.count())
                                 .group_by(TemadagEvaluation.temadag_id)).all())
    return [to_plan(r, attended.get(r.id, 0), evals.get(r.id, 0)) for r in rows]


def ids_on(session: Session, day: dt.date) -> list[int]:
    """Temadage held on ``day``: the only ones whose check-in codes are accepted."""
    return list(session.scalars(select(Temadag.id).where(Temadag.date == day)))


def _norm_name(name: str) -> str:
    return re.sub(r"\s+", " ", (name or "").strip()).casefold()


def roster(session: Session, row: Temadag) -> list[Person]:
    """Active staff of the invited institutions (matched by institution name), by name."""
    names = {_norm_name(i) for i in institutions_of(row)}
    if not names:
        return []
    people = session.scalars(select(Person).join(Institution, Person.institution_id == Institution.id)
                             .where(Person.status == STATUS_ACTIVE)).all()
    return sorted((p for p in people if _norm_name(p.institution.name) in names), key=lambda p: _norm_name(p.name))


def match_person(session: Session, row: Temadag, name: str, email: str, now: dt.datetime) -> Person:
    """The staff member checking in. E-mail wins; a name alone must be unique on the invited list."""
    email = normalise_email(email or "")
    name = re.sub(r"\s+", " ", (name or "").strip())
    if email:
        if "@" not in email or " " in email or len(email) > 320:
            raise CheckinError("Skriv en gyldig e-mailadresse, fx navn@kommune.dk.")
        from rusfokus.progress.revocation import REVOKED_MESSAGE, is_revoked_in

        if is_revoked_in(session, email):
            raise CheckinError(REVOKED_MESSAGE)
        person = session.scalar(select(Person).where(Person.email == email))
        if person is not None and person.status != STATUS_ACTIVE:
            raise CheckinError("Vi kan ikke tjekke dig ind med den e-mail. Spørg din nøgleperson.")
        if person is None:
            person = find_or_create_person(session, email, now)
            if name:
                person.name = name[:200]
        return person
    if not name:
        raise CheckinError("Skriv dit navn eller din arbejdsmail.")
    hits = [p for p in roster(session, row) if _norm_name(p.name) == _norm_name(name)]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise CheckinError("Der er flere med det navn. Skriv også din arbejdsmail.")
    raise CheckinError("Vi kan ikke finde dit navn på listen. Skriv din arbejdsmail.")


def check_in(session: Session, row: Temadag, person: Person, method: str, now: dt.datetime,
             cert_months: int) -> TemadagParticipant:
    """Check a person in (idempotent) and record attendance in progress tracking."""
    if method not in METHODS:
        raise ValueError(f"unknown check-in method {method!r}")
    existing = session.scalar(select(TemadagParticipant).where(
        TemadagParticipant.temadag_id == row.id, TemadagParticipant.person_id == person.id))
    if existing is not None:
        return existing
    participant = TemadagParticipant(temadag_id=row.id, person_id=person.id, name=person.name or "",
                                     email=person.email or "", method=method, checked_in_at=now)
    session.add(participant)
    for module in modules_of(row):
        session.add(Completion(person_id=person.id, module=module, kind="temadag", score=None, max_score=None,
                               passed=bool(row.counts_toward_module), completed_at=now))
        if row.counts_toward_module:
            cert = certificates.latest(session, person, module)
            if cert is None or cert.issued_on < now.date():
                certificates.issue(session, person, module, now.date(), cert_months)
    session.flush()
    return participant


def uncheck(session: Session, row: Temadag, participant_id: int) -> bool:
    """Undo a check-in made by mistake (facilitator list). Certificates already issued stay."""
    p = session.get(TemadagParticipant, int(participant_id))
    if p is None or p.temadag_id != row.id:
        return False
    if p.person_id is not None:
        session.execute(delete(Completion).where(
            Completion.person_id == p.person_id, Completion.kind == "temadag",
            Completion.completed_at == p.checked_in_at, Completion.module.in_(modules_of(row))))
    session.delete(p)
    session.flush()
    return True


def delete_temadag(session: Session, row: Temadag) -> bool:
    """Delete a temadag nobody has checked in to (its evaluations go with it). False if refused."""
    if participants(session, row.id):
        return False
    session.execute(delete(TemadagEvaluation).where(TemadagEvaluation.temadag_id == row.id))
    session.delete(row)
    session.flush()
    return True


def participants(session: Session, temadag_id: int) -> list[TemadagParticipant]:
    return list(session.scalars(select(TemadagParticipant).where(TemadagParticipant.temadag_id == temadag_id)
                                .order_by(TemadagParticipant.checked_in_at, TemadagParticipant.id)))


def add_evaluation(session: Session, participant: TemadagParticipant, answer: EvaluationAnswer,
                   today: dt.date) -> None:
    if participant.evaluated:
        raise CheckinError("Du har allerede evalueret temadagen. Tak!")
    participant.evaluated = True
    session.add(TemadagEvaluation(temadag_id=participant.temadag_id, scores=json.dumps(answer.scores),
                                  free_text=answer.free_text, submitted_on=today))
    session.flush()


def evaluation_summary(session: Session, temadag_id: int) -> dict:
    rows = session.scalars(select(TemadagEvaluation).where(TemadagEvaluation.temadag_id == temadag_id)).all()
    return summarise([EvaluationAnswer(json.loads(r.scores), r.free_text) for r in rows])


def attendance_rows(session: Session) -> list[dict]:
    """One row per checked-in participant and temadag (for the rusmiddelcenter's report)."""
    out = []
    for row in session.scalars(select(Temadag).order_by(Temadag.date)).all():
        for p in participants(session, row.id):
            person = session.get(Person, p.person_id) if p.person_id else None
            out.append({"Dato": row.date, "Temadag": row.title, "Moduler": ", ".join(modules_of(row)),
                        "Navn": p.name, "E-mail": p.email,
                        "Institution": person.institution.name if person and person.institution else "",
                        "Tæller for modul": "ja" if row.counts_toward_module else "nej",
                        "Tjekket ind": p.checked_in_at, "Hvordan": METHODS.get(p.method, p.method)})
    return out
