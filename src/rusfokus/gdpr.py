"""GDPR: export everything held on a person, erase a person, purge after the retention period.

This module only orchestrates; each feature knows its own data and exposes a small pair
``export(session, person) -> dict`` and ``erase(session, person)``:

- ``rusfokus.identity.revocation``: the e-mail is recorded as revoked (a keyed hash only),
  so the person's signed links stop working;
- ``rusfokus.temadag.gdpr_part``: check-ins (attendance stays counted, without name or e-mail);
- ``rusfokus.mail.gdpr_part``: the mails queued for her;
- ``rusfokus.outbox.gdpr_part``: her completion events and their deliveries to the integrations
  (xAPI); erasing deletes them, so nothing pending is sent;
- ``rusfokus.progress.gdpr_part``: the person row, organisation, completions, kursusbeviser,
  pages read, audit entries; erasing keeps anonymous counts (the person row stays without name
  and e-mail, status ``slettet``) and deletes kursusbeviser, which carry the name;
- ``rusfokus.integrations.badges.gdpr_part``: Open Badges 3.0 credentials are revoked (status list
  bit set) and their token and links to the person cleared (runs before progress);
- ``rusfokus.integrations.lti.gdpr_part``: the LMSs she launched modules from (LTI 1.3) and her user id there;
- ``rusfokus.genopfrisk.gdpr_part``: the refresher loop: her practice rounds and answers to their items
  (what she wrote to the MI coach is never stored); erasing deletes them;
- ``rusfokus.effekt.gdpr_part``: her self-efficacy answers and practice counts; erasing deletes them,
  and ``purge`` deletes everyone's older than ``effekt_retention_months`` (RUSFOKUS_EFFEKT_RETENTION_MONTHS);
- ``rusfokus.exercises.gdpr_part``: answers and grades live in the nbgrader course folder;
  ``forget_exercises`` removes them after the database transaction has committed (the
  callers in ``progress/cli_admin.py`` do this).

The audit log names people by id only, so it holds no personal data.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.effekt import gdpr_part as effekt_part
from rusfokus.exercises import gdpr_part as exercises_part
from rusfokus.genopfrisk import gdpr_part as genopfrisk_part
from rusfokus.identity.revocation import revoke
from rusfokus.integrations.badges import gdpr_part as badges_part
from rusfokus.integrations.lti import gdpr_part as lti_part
from rusfokus.mail import gdpr_part as mail_part
from rusfokus.outbox import gdpr_part as outbox_part
from rusfokus.progress import gdpr_part as progress_part
from rusfokus.progress.audit import log_action
from rusfokus.progress.certificates import add_months
from rusfokus.progress.models import STATUS_LEFT, Person
from rusfokus.progress.roster import normalise_email
from rusfokus.temadag import gdpr_part as temadag_part
from rusfokus.temadag.gdpr_part import UNMATCHED_CHECK_IN_DAYS, unmatched_check_ins_due

# The parts in the database, in the order of the export; erasing runs them in this order too,
# progress last (the others may still need the person's e-mail).
# badges before progress: its credentials point at kursusbeviser, which progress deletes
DATABASE_PARTS = (temadag_part, mail_part, genopfrisk_part, badges_part, lti_part, outbox_part, progress_part)
# proof of effect (issue 17): answers and counts hang on the person id only, so they may go first
DATABASE_PARTS = (effekt_part, *DATABASE_PARTS)
EXPORT_ORDER = (
    "exported_at",
    "person",
    "organisation",
    "completions",
    "certificates",
    "open_badges",
    "temadage",
    "mails",
    "self_efficacy",
    "practice_counts",
    "integrations",
    "pages_read",
    "audit_log",
    "exercise_data",
    "note",
)

__all__ = [
    "UNMATCHED_CHECK_IN_DAYS",
    "PersonNotFound",
    "delete_person",
    "due_for_purge",
    "erase",
    "export_person",
    "forget_exercises",
    "get_person",
    "purge",
    "unmatched_check_ins_due",
]


class PersonNotFound(LookupError):
    pass


def get_person(session: Session, email: str) -> Person:
    person = session.scalar(select(Person).where(Person.email == normalise_email(email)))
    if person is None:
        raise PersonNotFound(f"no person with e-mail {normalise_email(email)!r}")
    return person


def export_person(
    session: Session, email: str, actor: str = "cli", *, course_dir: Path | None = None, gradebook_db: str = ""
) -> dict:
    """Everything held on the person, as JSON-ready data (also the audit entries about them)."""
    person = get_person(session, email)
    data = {"exported_at": datetime.now().isoformat(timespec="seconds")}
    for part in DATABASE_PARTS:
        data.update(part.export(session, person))
    data.update(exercises_part.export(session, person, course_dir=course_dir, gradebook_db=gradebook_db))
    data["note"] = (
        "No citizen data is stored in rusfokus. Exercise answers and grades are kept in the nbgrader "
        "course folder (see exercise_data); `rusfokus person delete` erases them too."
    )
    log_action(session, actor, "person.export", f"person #{person.id}")
    return {key: data[key] for key in sorted(data, key=lambda k: (EXPORT_ORDER + (k,)).index(k))}


def forget_exercises(emails: list[str], course_dir: Path, gradebook_db: str = "") -> tuple[list[dict], list[str]]:
    """Erase the exercise data of erased people (after the erasure committed). Returns (done, problems)."""
    return exercises_part.forget(emails, course_dir, gradebook_db)


def erase(session: Session, person: Person, actor: str, action: str, *, secret: bytes) -> None:
    """Erase the person (``action``: the audit entry); her signed links are revoked with the server's
    ``secret`` (``load_secret(settings.secret_file)``)."""
    if person.email:
        revoke(session, person.email, secret=secret)
    exercises_part.erase(session, person)  # her hand-ins in the shared grading queue (issue 19.3), by e-mail
    for part in DATABASE_PARTS:
        part.erase(session, person)
    log_action(session, actor, action, f"person #{person.id}")


def delete_person(session: Session, email: str, actor: str = "cli", *, secret: bytes) -> int:
    person = get_person(session, email)
    erase(session, person, actor, "person.delete", secret=secret)
    return person.id


def due_for_purge(session: Session, retention_months: int, now: datetime | None = None) -> list[Person]:
    """People who left more than ``retention_months`` months ago."""
    now = now or datetime.now()
    cutoff = add_months(now.date(), -retention_months)
    return list(
        session.scalars(
            select(Person).where(
                Person.status == STATUS_LEFT,
                Person.left_at.is_not(None),
                Person.left_at < datetime.combine(cutoff, datetime.min.time()),
            )
        ).all()
    )


def purge(
    session: Session,
    retention_months: int,
    *,
    actor: str = "cli",
    now: datetime | None = None,
    dry_run: bool = False,
    effekt_retention_months: int = 36,
    secret: bytes,
) -> list[int]:
    """Erase people who left more than ``retention_months`` months ago, and delete check-ins
    nobody matched to a person once their temadag is UNMATCHED_CHECK_IN_DAYS old. Returns the
    ids of the people erased. Self-efficacy answers and practice counts older than
    ``effekt_retention_months`` (RUSFOKUS_EFFEKT_RETENTION_MONTHS) are deleted too."""
    old = due_for_purge(session, retention_months, now)
    unmatched = unmatched_check_ins_due(session, now)
    expired = effekt_part.purge_expired(session, effekt_retention_months, now, dry_run=dry_run)
    if expired and not dry_run:
        detail = f"{expired} self-efficacy answers/practice counts older than {effekt_retention_months} months"
        log_action(session, actor, "purge.effekt", "", detail)
    if not dry_run:
        for person in old:
            erase(session, person, actor, "purge", secret=secret)
        for part in unmatched:
            session.delete(part)
        log_action(
            session,
            actor,
            "purge.run",
            "",
            f"retention {retention_months} months; {len(old)} erased; "
            f"{len(unmatched)} unmatched temadag check-ins deleted",
        )
    return [p.id for p in old]
