"""Practice counts: what a learner reports at a practice round of the refresher loop.

The API for ``rusfokus.genopfrisk`` (the rounds): ``record_counts(session, person_id, samtaler=,
henvisninger=, at=, round_ref=)``. It checks everything before it writes anything, and raises
``EffektInputError`` with a Danish message the page can show as it is. It never commits: the
caller's transaction (``rusfokus.db.session_scope``) does, so a round and its counts are stored
together or not at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rusfokus.effekt.errors import EffektInputError
from rusfokus.effekt.models import PracticeCount
from rusfokus.progress.models import STATUS_DELETED, Person

# A round covers at most about three months. More than this many conversations or referrals in one
# round is a typing error (an extra 0), not practice: the learner is asked to check the number.
MAX_PER_ROUND = 500
ROUND_REF_MAX = 100
EARLIEST = datetime(2020, 1, 1)

LABELS = {
    "samtaler": "Antal korte opsporende samtaler",
    "henvisninger": "Antal henvisninger og underretninger",
}


def _naive(at: datetime) -> datetime:
    """The database stores local time without a zone (like every other table)."""
    if not isinstance(at, datetime):
        raise EffektInputError("at", "Tidspunktet mangler.")
    return at.astimezone().replace(tzinfo=None) if at.tzinfo is not None else at


def check_count(name: str, value) -> int:
    """A whole number from 0 to MAX_PER_ROUND, else EffektInputError (Danish). Accepts '3' from a form."""
    label = LABELS.get(name, name)
    if isinstance(value, bool):
        raise EffektInputError(name, f"{label}: skriv et helt tal.")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise EffektInputError(name, f"{label}: skriv et tal. Skriv 0, hvis du ikke har haft nogen.")
        if not text.lstrip("-").isdigit():
            raise EffektInputError(name, f"{label}: skriv et helt tal, fx 3.")
        value = int(text)
    if not isinstance(value, int):
        raise EffektInputError(name, f"{label}: skriv et helt tal.")
    if value < 0:
        raise EffektInputError(name, f"{label} kan ikke være mindre end 0.")
    if value > MAX_PER_ROUND:
        raise EffektInputError(
            name, f"{label}: {value} er meget. Tjek tallet. Det kan højst være {MAX_PER_ROUND} for en runde."
        )
    return value


def _check_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id) if isinstance(person_id, int) and not isinstance(person_id, bool) else None
    if person is None or person.status == STATUS_DELETED:
        raise EffektInputError("person_id", "Vi kan ikke finde dig i medarbejderlisten. Kontakt din nøgleperson.")
    return person


def _check_at(at: datetime, now: datetime) -> datetime:
    at = _naive(at)
    if at < EARLIEST or at > now + timedelta(days=1):
        raise EffektInputError("at", "Datoen for runden er forkert.")
    return at


def record_counts(
    session: Session,
    person_id: int,
    *,
    samtaler: int,
    henvisninger: int,
    at: datetime,
    round_ref: str,
    now: datetime | None = None,
) -> PracticeCount:
    """Store a practice round's two counts for a person; idempotent per ``(person_id, round_ref)``.

    The same ``round_ref`` again updates that row (the learner corrected her numbers) and never adds a
    second one, so a round is counted once however often it is sent. Raises ``EffektInputError``
    (Danish message, ``.field``) for an unknown or erased person, a count that is not a whole number
    from 0 to ``MAX_PER_ROUND``, an empty or over-long ``round_ref``, or an ``at`` before 2020 or in
    the future; nothing is written then. Does not commit.
    """
    now = now or datetime.now()
    samtaler = check_count("samtaler", samtaler)
    henvisninger = check_count("henvisninger", henvisninger)
    if not isinstance(round_ref, str) or not round_ref.strip() or len(round_ref.strip()) > ROUND_REF_MAX:
        raise EffektInputError("round_ref", "Runden mangler en gyldig reference.")
    round_ref = round_ref.strip()
    at = _check_at(at, now)
    _check_person(session, person_id)

    def existing() -> PracticeCount | None:
        return session.scalar(
            select(PracticeCount).where(PracticeCount.person_id == person_id, PracticeCount.round_ref == round_ref)
        )

    row = existing()
    if row is None:
        try:
            with session.begin_nested():  # a concurrent first recording of the same round: update theirs
                row = PracticeCount(
                    person_id=person_id,
                    round_ref=round_ref,
                    samtaler=samtaler,
                    henvisninger=henvisninger,
                    at=at,
                    recorded_at=now,
                )
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            row = existing()
            if row is None:
                raise
    row.samtaler, row.henvisninger, row.at, row.recorded_at = samtaler, henvisninger, at, now
    session.flush()
    return row


def counts_for(session: Session, person_id: int) -> list[PracticeCount]:
    """A person's practice counts, oldest first (Min side, the GDPR export)."""
    return list(
        session.scalars(
            select(PracticeCount)
            .where(PracticeCount.person_id == person_id)
            .order_by(PracticeCount.at, PracticeCount.id)
        )
    )
