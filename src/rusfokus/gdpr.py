"""GDPR: export everything held on a person, erase a person, purge after the retention period.

Erasing keeps anonymous counts: the person row stays without name and e-mail
(status ``slettet``), so completions still count in monthly totals and per
institution/faggruppe; kursusbeviser (which carry the name) are deleted.
The e-mail is recorded as revoked (a keyed hash only, see ``revocation``), so
the person's signed link stops working. Their exercise answers live in the
nbgrader course folder; ``forget_exercises`` removes them after the database
transaction has committed (the callers in cli_admin do this).
The audit log names people by id only, so it holds no personal data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from rusfokus.identity.revocation import revoke
from rusfokus.progress import journey
from rusfokus.progress.audit import log_action
from rusfokus.progress.certificates import add_months, status_of
from rusfokus.progress.models import (
    STATUS_DELETED,
    STATUS_LEFT,
    Afdeling,
    AuditEntry,
    Certificate,
    Completion,
    Forvaltning,
    Institution,
    Person,
)
from rusfokus.progress.roster import normalise_email
from rusfokus.temadag.models import Temadag, TemadagParticipant


class PersonNotFound(LookupError):
    pass


def get_person(session: Session, email: str) -> Person:
    person = session.scalar(select(Person).where(Person.email == normalise_email(email)))
    if person is None:
        raise PersonNotFound(f"no person with e-mail {normalise_email(email)!r}")
    return person


def _iso(value):
    return value.isoformat() if value is not None else None


def export_person(session: Session, email: str, actor: str = "cli", *, course_dir: Path | None = None,
                  gradebook_db: str = "") -> dict:
    """Everything held on the person, as JSON-ready data (also the audit entries about them)."""
    person = get_person(session, email)
    org = session.execute(
        select(Institution.name, Afdeling.name, Forvaltning.name)
        .join(Afdeling, Institution.afdeling_id == Afdeling.id)
        .join(Forvaltning, Afdeling.forvaltning_id == Forvaltning.id)
        .where(Institution.id == person.institution_id)
    ).first()
    completions = session.scalars(select(Completion).where(Completion.person_id == person.id)
                                  .order_by(Completion.completed_at)).all()
    certs = session.scalars(select(Certificate).where(Certificate.person_id == person.id)
                            .order_by(Certificate.issued_on)).all()
    target = f"person #{person.id}"
    temadage = []
    try:
        from rusfokus.temadag.models import Temadag, TemadagParticipant
    except ImportError:
        pass
    else:
        for part, day in session.execute(select(TemadagParticipant, Temadag)
                                         .join(Temadag, TemadagParticipant.temadag_id == Temadag.id)
                                         .where(TemadagParticipant.person_id == person.id)).all():
            temadage.append({"temadag": day.title, "date": _iso(day.date), "name_given": part.name,
                             "email_given": part.email, "checked_in_at": _iso(part.checked_in_at),
                             "method": part.method, "evaluated": part.evaluated})
    audit = session.scalars(select(AuditEntry).where(AuditEntry.target == target).order_by(AuditEntry.at)).all()
    data = {
        "exported_at": datetime.now().isoformat(timespec="seconds"),
        "person": {"name": person.name, "email": person.email, "faggruppe": person.faggruppe,
                   "noegleperson": person.noegleperson, "status": person.status,
                   "created_at": _iso(person.created_at), "updated_at": _iso(person.updated_at),
                   "left_at": _iso(person.left_at)},
        "organisation": dict(zip(("institution", "afdeling", "forvaltning"), org, strict=True)) if org else None,
        "completions": [{"module": c.module, "kind": c.kind, "score": c.score, "max_score": c.max_score,
                         "passed": c.passed, "completed_at": _iso(c.completed_at)} for c in completions],
        "certificates": [{"module": c.module, "issued_on": _iso(c.issued_on), "expires_on": _iso(c.expires_on),
                          "status": status_of(c.expires_on), "code": c.code} for c in certs],
        "temadage": temadage,
        "pages_read": [{"page": r.page, "first_seen_at": _iso(r.first_seen_at), "last_seen_at": _iso(r.last_seen_at),
                        "read_at": _iso(r.read_at)}
                       for r in session.scalars(select(journey.PageRead).where(journey.PageRead.person_id == person.id)
                                                .order_by(journey.PageRead.first_seen_at))],
        "audit_log": [{"at": _iso(a.at), "actor": a.actor, "action": a.action, "detail": a.detail}
                      for a in audit],
        "exercise_data": (exercise_data_location(person.email, course_dir, gradebook_db)
                          if course_dir is not None else None),
        "note": "No citizen data is stored in rusfokus. Exercise answers and grades are kept in the nbgrader "
                "course folder (see exercise_data); `rusfokus person delete` erases them too.",
    }
    log_action(session, actor, "person.export", target)
    return data


def exercise_data_location(email: str, course_dir: Path, gradebook_db: str = "") -> dict:
    """Where the person's exercise answers and grades are kept (nbgrader course folder)."""
    # lazy: rusfokus.exercises.course loads nbformat (~1 s), needed only here
    from rusfokus.exercises.course import student_id

    course = Path(course_dir)
    sid = student_id(email)
    return {"course_dir": str(course), "student_id": sid,
            "folders": [str(course / part / sid) for part in ("attempts", "submitted", "autograded", "feedback")
                        if (course / part / sid).exists()],
            "gradebook": ("the database in RUSFOKUS_GRADEBOOK_DB" if gradebook_db
                          else str(course / "gradebook.db")) + f", rows of student {sid}"}


def forget_exercises(emails: list[str], course_dir: Path, gradebook_db: str = "") -> tuple[list[dict], list[str]]:
    """Erase the exercise data of erased people. Returns (done, problems); never raises for one person."""
    # lazy: rusfokus.exercises.store loads nbformat (~1 s), needed only here
    from rusfokus.exercises.store import forget_learner

    course = Path(course_dir)
    done, problems = [], []
    for email in emails:
        try:
            done.append(forget_learner(course, email, gradebook_db))
        except Exception as exc:  # reported to the operator with the command to retry
            problems.append(f"{email}: {type(exc).__name__}: {exc}")
    return done, problems


def erase(session: Session, person: Person, actor: str, action: str) -> None:
    if person.email:
        revoke(session, person.email)
    session.execute(delete(Certificate).where(Certificate.person_id == person.id))
    journey.forget(session, person.id)  # the pages she read
    try:
        from rusfokus.temadag.models import TemadagParticipant
    except ImportError:
        pass
    else:  # attendance stays counted, without name or e-mail
        session.execute(update(TemadagParticipant).where(TemadagParticipant.person_id == person.id)
                        .values(name="(slettet)", email=""))
    person.name = None
    person.email = None
    person.noegleperson = False
    person.status = STATUS_DELETED
    person.updated_at = datetime.now()
    log_action(session, actor, action, f"person #{person.id}")


def delete_person(session: Session, email: str, actor: str = "cli") -> int:
    person = get_person(session, email)
    erase(session, person, actor, "person.delete")
    return person.id


def due_for_purge(session: Session, retention_months: int, now: datetime | None = None) -> list[Person]:
    """People who left more than ``retention_months`` months ago."""
    now = now or datetime.now()
    cutoff = add_months(now.date(), -retention_months)
    return list(session.scalars(select(Person).where(
        Person.status == STATUS_LEFT, Person.left_at.is_not(None),
        Person.left_at < datetime.combine(cutoff, datetime.min.time()))).all())


UNMATCHED_CHECK_IN_DAYS = 30
"""Days after a temadag that a check-in nobody matched to the staff list (a name and e-mail the
facilitator neither confirmed nor rejected) is kept; then ``purge`` deletes it."""


def unmatched_check_ins_due(session: Session, now: datetime | None = None):
    """Check-ins with no person behind them, from temadage more than UNMATCHED_CHECK_IN_DAYS ago."""
    cutoff = (now or datetime.now()).date() - timedelta(days=UNMATCHED_CHECK_IN_DAYS)
    return list(session.scalars(
        select(TemadagParticipant).join(Temadag, TemadagParticipant.temadag_id == Temadag.id)
        .where(TemadagParticipant.person_id.is_(None), Temadag.date < cutoff)).all())


def purge(session: Session, retention_months: int, *, actor: str = "cli", now: datetime | None = None,
          dry_run: bool = False) -> list[int]:
    """Erase people who left more than ``retention_months`` months ago, and delete check-ins
    nobody matched to a person once their temadag is UNMATCHED_CHECK_IN_DAYS old. Returns the
    ids of the people erased."""
    old = due_for_purge(session, retention_months, now)
    unmatched = unmatched_check_ins_due(session, now)
    if not dry_run:
        for person in old:
            erase(session, person, actor, "purge")
        for part in unmatched:
            session.delete(part)
        log_action(session, actor, "purge.run", "", f"retention {retention_months} months; {len(old)} erased; "
                   f"{len(unmatched)} unmatched temadag check-ins deleted")
    return [p.id for p in old]
