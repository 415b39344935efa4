"""Database operations for temadage: plans, check-in, attendance, evaluations, live state.

Attendance goes into progress tracking as ``Completion(kind="temadag")`` per
module of the temadag; ``passed`` is true when the temadag is configured to
count toward the module, and then a kursusbevis is issued as for a passed
exercise.

Only confirmed participants are attendance: a check-in by personal link (a
signed identity), a tick on the facilitator's list, or a code check-in the
facilitator has confirmed. A code check-in with an e-mail or a name is
pending until then; an e-mail not on the staff list stays unmatched
(``person_id=None``) until the facilitator matches it to a person or rejects
it. A check-in never creates a person or a certificate by itself.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import delete, func, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rusfokus.identity.revocation import REVOKED_MESSAGE, is_revoked_in
from rusfokus.outbox import emit
from rusfokus.progress import certificates
from rusfokus.progress.models import STATUS_ACTIVE, Completion, Institution, Person
from rusfokus.progress.roster import bad_characters, normalise_email
from rusfokus.temadag.evaluation import EvaluationAnswer, summarise
from rusfokus.temadag.live import LiveError, LiveSession
from rusfokus.temadag.models import (
    STATUS_CONFIRMED,
    STATUS_PENDING,
    Temadag,
    TemadagBadCode,
    TemadagEvaluation,
    TemadagLive,
    TemadagLiveAnswer,
    TemadagParticipant,
)
from rusfokus.temadag.planning import TemadagPlan

METHODS = {"kode": "Kode/QR", "link": "Personligt link", "liste": "Krydset af"}


class CheckinError(ValueError):
    """Check-in refused; the message is Danish (shown on the phone)."""


def create(session: Session, plan: TemadagPlan, actor: str, now: dt.datetime) -> Temadag:
    row = Temadag(
        title=plan.title,
        date=plan.date,
        start=plan.start,
        duration_min=plan.duration_min,
        place=plan.place,
        modules=",".join(plan.modules),
        facilitator=plan.facilitator,
        facilitator_email=plan.facilitator_email,
        institutions="\n".join(plan.institutions),
        counts_toward_module=plan.counts_toward_module,
        created_at=now,
        created_by=actor,
    )
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
    return TemadagPlan(
        title=row.title,
        date=row.date,
        start=row.start,
        duration_min=row.duration_min,
        place=row.place,
        modules=modules_of(row),
        facilitator=row.facilitator,
        facilitator_email=row.facilitator_email,
        institutions=institutions_of(row),
        counts_toward_module=row.counts_toward_module,
        id=row.id,
        attended=attended,
        evaluations=evaluations,
    )


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
    attended = dict(
        session.execute(
            select(TemadagParticipant.temadag_id, func.count())
            .where(TemadagParticipant.status == STATUS_CONFIRMED)
            .group_by(TemadagParticipant.temadag_id)
        ).all()
    )
    evals = dict(
        session.execute(select(TemadagEvaluation.temadag_id, func.count()).group_by(TemadagEvaluation.temadag_id)).all()
    )
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
    people = session.scalars(
        select(Person).join(Institution, Person.institution_id == Institution.id).where(Person.status == STATUS_ACTIVE)
    ).all()
    return sorted((p for p in people if _norm_name(p.institution.name) in names), key=lambda p: _norm_name(p.name))


def match_person(
    session: Session, row: Temadag, name: str, email: str, *, secret: bytes
) -> tuple[Person | None, str, str]:
    """Who is checking in: (person or None, normalised e-mail, cleaned name). Never creates a person.
    ``secret``: the server's, to refuse an erased (revoked) identity.

    E-mail wins; a name alone must be unique on the invited list. An e-mail
    that is not on the staff list gives ``(None, email, name)``: the
    facilitator matches or rejects it.
    """
    email = normalise_email(email or "")
    name = re.sub(r"\s+", " ", (name or "").strip())
    if bad_characters(name) or bad_characters(email):
        raise CheckinError("Der er et tegn i navnet eller e-mailen, som ikke kan bruges. Skriv det igen.")
    if len(name) > 200:
        raise CheckinError("Navnet må højst være 200 tegn.")
    if email:
        if "@" not in email or " " in email or len(email) > 320:
            raise CheckinError("Skriv en gyldig e-mailadresse, fx navn@kommune.dk.")

        if is_revoked_in(session, email, secret=secret):
            raise CheckinError(REVOKED_MESSAGE)
        person = session.scalar(select(Person).where(Person.email == email))
        if person is not None and person.status != STATUS_ACTIVE:
            raise CheckinError("Vi kan ikke tjekke dig ind med den e-mail. Spørg din nøgleperson.")
        return person, email, name
    if not name:
        raise CheckinError("Skriv dit navn eller din arbejdsmail.")
    hits = [p for p in roster(session, row) if _norm_name(p.name) == _norm_name(name)]
    if len(hits) == 1:
        return hits[0], hits[0].email or "", name
    if len(hits) > 1:
        raise CheckinError("Der er flere med det navn. Skriv også din arbejdsmail.")
    raise CheckinError("Vi kan ikke finde dit navn på listen. Skriv din arbejdsmail.")


def _existing(session: Session, row: Temadag, person: Person | None, email: str) -> TemadagParticipant | None:
    query = select(TemadagParticipant).where(TemadagParticipant.temadag_id == row.id)
    if person is not None:
        query = query.where(TemadagParticipant.person_id == person.id)
    else:
        query = query.where(TemadagParticipant.person_id.is_(None), TemadagParticipant.email == email)
    return session.scalars(query.limit(1)).first()


def _record_attendance(
    session: Session, row: Temadag, person: Person, at: dt.datetime, today: dt.date, cert_months: int
) -> None:
    for module in modules_of(row):
        session.add(
            Completion(
                person_id=person.id,
                module=module,
                kind="temadag",
                score=None,
                max_score=None,
                passed=bool(row.counts_toward_module),
                completed_at=at,
            )
        )
        emit(  # the attendance as a completion event for the integrations, in this transaction (issue 18)
            session,
            kind="attended",
            person_id=person.id,
            module=module,
            occurred_at=at,
            ref=f"temadag:{row.id}:{person.id}:{module}",
            passed=bool(row.counts_toward_module),
        )
        if row.counts_toward_module:
            cert = certificates.latest(session, person, module)
            if cert is None or cert.issued_on < today:
                certificates.issue(session, person, module, today, cert_months)


def check_in(
    session: Session, row: Temadag, person: Person, method: str, now: dt.datetime, cert_months: int
) -> TemadagParticipant:
    """Confirmed check-in (personal link or the facilitator's tick): attendance in progress tracking.

    Idempotent; a pending check-in of the same person is confirmed.
    """
    if method not in ("link", "liste"):
        raise ValueError(f"check-in method {method!r} cannot confirm attendance")
    if person.status != STATUS_ACTIVE:
        raise CheckinError("Vi kan ikke tjekke dig ind med den e-mail. Spørg din nøgleperson.")
    existing = _existing(session, row, person, "")
    if existing is not None:
        if existing.status != STATUS_CONFIRMED:
            confirm(session, row, existing, person, now, cert_months)
        return existing
    participant = TemadagParticipant(
        temadag_id=row.id,
        person_id=person.id,
        name=person.name or "",
        email=person.email or "",
        method=method,
        checked_in_at=now,
        status=STATUS_CONFIRMED,
    )
    session.add(participant)
    _record_attendance(session, row, person, now, now.date(), cert_months)
    session.flush()
    return participant


def check_in_pending(
    session: Session, row: Temadag, person: Person | None, name: str, email: str, method: str, now: dt.datetime
) -> TemadagParticipant:
    """A code check-in: takes part in the live questions, but is not attendance until confirmed.

    Idempotent per person (or per unknown e-mail); records nothing in progress tracking.
    """
    if method not in METHODS:
        raise ValueError(f"unknown check-in method {method!r}")
    existing = _existing(session, row, person, email)
    if existing is not None:
        return existing
    participant = TemadagParticipant(
        temadag_id=row.id,
        person_id=person.id if person else None,
        name=(person.name if person else name) or "",
        email=(person.email if person else email) or "",
        method=method,
        checked_in_at=now,
        status=STATUS_PENDING,
    )
    session.add(participant)
    session.flush()
    return participant


def confirm(
    session: Session,
    row: Temadag,
    participant: TemadagParticipant,
    person: Person | None,
    now: dt.datetime,
    cert_months: int,
) -> TemadagParticipant:
    """The facilitator confirms a pending check-in (matching an unknown e-mail to ``person``)."""
    if participant.temadag_id != row.id:
        raise CheckinError("Deltageren hører ikke til denne temadag.")
    if participant.status == STATUS_CONFIRMED:
        return participant
    person = (
        person
        if person is not None
        else (session.get(Person, participant.person_id) if participant.person_id else None)
    )
    if person is None:
        raise CheckinError("Vælg hvem på medarbejderlisten tjek-ind hører til, eller afvis den.")
    if person.status != STATUS_ACTIVE:
        raise CheckinError("Personen er ikke aktiv på medarbejderlisten.")
    other = _existing(session, row, person, "")
    if other is not None and other.id != participant.id:
        raise CheckinError(f"{person.name} er allerede tjekket ind. Afvis den ekstra tjek-ind.")
    participant.person_id, participant.name, participant.email = person.id, person.name or "", person.email or ""
    participant.status = STATUS_CONFIRMED
    _record_attendance(session, row, person, participant.checked_in_at, now.date(), cert_months)
    session.flush()
    return participant


def uncheck(session: Session, row: Temadag, participant_id: int) -> bool:
    """Undo a check-in made by mistake (facilitator list). Certificates already issued stay."""
    p = session.get(TemadagParticipant, int(participant_id))
    if p is None or p.temadag_id != row.id:
        return False
    if p.person_id is not None and p.status == STATUS_CONFIRMED:
        session.execute(
            delete(Completion).where(
                Completion.person_id == p.person_id,
                Completion.kind == "temadag",
                Completion.completed_at == p.checked_in_at,
                Completion.module.in_(modules_of(row)),
            )
        )
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


def participants(session: Session, temadag_id: int, status: str | None = None) -> list[TemadagParticipant]:
    query = select(TemadagParticipant).where(TemadagParticipant.temadag_id == temadag_id)
    if status is not None:
        query = query.where(TemadagParticipant.status == status)
    return list(session.scalars(query.order_by(TemadagParticipant.checked_in_at, TemadagParticipant.id)))


def add_evaluation(session: Session, participant: TemadagParticipant, answer: EvaluationAnswer, today: dt.date) -> None:
    if participant.evaluated:
        raise CheckinError("Du har allerede evalueret temadagen. Tak!")
    participant.evaluated = True
    session.add(
        TemadagEvaluation(
            temadag_id=participant.temadag_id,
            scores=json.dumps(answer.scores),
            free_text=answer.free_text,
            submitted_on=today,
        )
    )
    session.flush()


def evaluation_summary(session: Session, temadag_id: int) -> dict:
    rows = session.scalars(select(TemadagEvaluation).where(TemadagEvaluation.temadag_id == temadag_id)).all()
    return summarise([EvaluationAnswer(json.loads(r.scores), r.free_text) for r in rows])


def attendance_rows(session: Session) -> list[dict]:
    """One row per checked-in participant and temadag (for the rusmiddelcenter's report)."""
    out = []
    for row in session.scalars(select(Temadag).order_by(Temadag.date)).all():
        for p in participants(session, row.id, STATUS_CONFIRMED):
            person = session.get(Person, p.person_id) if p.person_id else None
            out.append(
                {
                    "Dato": row.date,
                    "Temadag": row.title,
                    "Moduler": ", ".join(modules_of(row)),
                    "Navn": p.name,
                    "E-mail": p.email,
                    "Institution": person.institution.name if person and person.institution else "",
                    "Tæller for modul": "ja" if row.counts_toward_module else "nej",
                    "Tjekket ind": p.checked_in_at,
                    "Hvordan": METHODS.get(p.method, p.method),
                }
            )
    return out


# --- live state (migrations 0005, 0015): in the database, shared by every copy -------------
# Every copy of `rusfokus serve` reads and writes the same rows: a phone's answer reaching copy A shows on the
# projector served by copy B, and a restart resumes where the room was. A change locks the temadag's
# ``temadag_live`` row first (an UPDATE: a row lock on PostgreSQL, the write lock on SQLite), so a "next" and an
# answer never cross, and bumps the row's counters. On PostgreSQL it also sends NOTIFY on NOTIFY_CHANNEL with
# "<temadag id>:<version>:<answers_version>", delivered when the transaction commits, so the other copies wake
# their long-polls at once (``rusfokus.temadag.web.Hub``).

NOTIFY_CHANNEL = "rusfokus_temadag"


def _ids(questions) -> list[str]:
    return [q.id for q in questions]


def _notify(session: Session, state: TemadagLive) -> None:
    if session.get_bind().dialect.name == "postgresql":
        payload = f"{state.temadag_id}:{state.version}:{state.answers_version}"
        session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": NOTIFY_CHANNEL, "payload": payload})


def _answers(session: Session, temadag_id: int, live: LiveSession) -> LiveSession:
    # ``option`` is the 0-based position in the question's ``valg`` (as before the valg/korrekt format,
    # whose conversion kept every question's ids and option order): rows from a running temadag stay valid.
    # An answer to an option that is gone (the file was edited during the day) is dropped, not miscounted.
    sizes = {q.id: len(q.options) for q in live.questions}
    rows = session.execute(
        select(TemadagLiveAnswer.question_id, TemadagLiveAnswer.participant_id, TemadagLiveAnswer.option).where(
            TemadagLiveAnswer.temadag_id == temadag_id
        )
    )
    for question_id, participant_id, option in rows:
        if question_id in sizes and 0 <= option < sizes[question_id]:
            live.answers[question_id][str(participant_id)] = option
    return live


def _session_of(state: TemadagLive, questions) -> LiveSession:
    return LiveSession(
        list(questions),
        index=state.position,
        phase=state.phase,
        version=state.version,
        answers_version=state.answers_version,
    )


def _lock(session: Session, temadag_id: int, now: dt.datetime, create: bool) -> TemadagLive | None:
    """The temadag's live row, locked for this transaction (created first when ``create``); None if there is none."""
    for _ in range(2):
        locked = session.execute(
            sql_update(TemadagLive).where(TemadagLive.temadag_id == temadag_id).values(updated_at=now)
        ).rowcount
        if locked:
            state = session.get(TemadagLive, temadag_id, populate_existing=True)
            return state
        if not create:
            return None
        try:
            with session.begin_nested():  # two copies starting the same room at once: one row
                session.add(
                    TemadagLive(
                        temadag_id=temadag_id,
                        question_ids="[]",
                        position=-1,
                        phase="venter",
                        version=0,
                        answers_version=0,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            continue
    raise RuntimeError(f"could not lock the live state of temadag {temadag_id}")


def _reset_if_changed(session: Session, state: TemadagLive, questions) -> bool:
    """The temadag's questions changed (its modules or the question files): the room starts over, counters go on."""
    ids = _ids(questions)
    if json.loads(state.question_ids) == ids:
        return False
    session.execute(delete(TemadagLiveAnswer).where(TemadagLiveAnswer.temadag_id == state.temadag_id))
    state.question_ids = json.dumps(ids)
    state.position, state.phase = -1, "venter"
    state.version += 1
    state.answers_version += 1
    return True


def load_live(session: Session, temadag_id: int, questions, now: dt.datetime) -> LiveSession:
    """The room as stored (phase, question, counters, answers); a fresh session if nothing is stored yet.

    Reads only, unless the stored state belongs to other questions: then it is reset (and the copies told)."""
    state = session.get(TemadagLive, temadag_id)
    if state is None:
        return LiveSession(list(questions))
    if json.loads(state.question_ids) != _ids(questions):
        state = _lock(session, temadag_id, now, create=False)
        if _reset_if_changed(session, state, questions):
            _notify(session, state)
        session.flush()
    return _answers(session, temadag_id, _session_of(state, questions))


def live_counters(session: Session, temadag_ids) -> dict[int, tuple[int, int]]:
    """(version, answers_version) of each temadag that has a stored live state."""
    rows = session.execute(
        select(TemadagLive.temadag_id, TemadagLive.version, TemadagLive.answers_version).where(
            TemadagLive.temadag_id.in_(list(temadag_ids))
        )
    )
    return {tid: (v, av) for tid, v, av in rows}


def act_live(session: Session, temadag_id: int, questions, action: str, now: dt.datetime) -> LiveSession:
    """The facilitator's step (start, naeste, forrige, vis) on the stored state; LiveError leaves it as it was."""
    state = _lock(session, temadag_id, now, create=True)
    _reset_if_changed(session, state, questions)
    live = _answers(session, temadag_id, _session_of(state, questions))
    live.act(action)
    state.position, state.phase = live.index, live.phase
    state.version, state.answers_version = live.version, live.answers_version
    _notify(session, state)
    session.flush()
    return live


def answer_live(
    session: Session, temadag_id: int, questions, participant_id: int, question_id: str, option, now: dt.datetime
) -> tuple[int, int, int] | None:
    """Store (or change) one participant's answer to the open question.

    Returns (answers to that question, version, answers_version), None when the participant's check-in no
    longer exists; LiveError (Danish) when answering that question is not open now. Nothing is written then."""
    state = _lock(session, temadag_id, now, create=False)
    if state is None:
        LiveSession(list(questions)).check_answer(question_id, option)  # raises: nothing is open
    if json.loads(state.question_ids) != _ids(questions):
        raise LiveError("Spørgsmålet er skiftet. Svar på det nye spørgsmål.")
    option = _session_of(state, questions).check_answer(question_id, option)
    participant = session.get(TemadagParticipant, participant_id)
    if participant is None or participant.temadag_id != temadag_id:
        return None
    row = session.scalars(
        select(TemadagLiveAnswer).where(
            TemadagLiveAnswer.temadag_id == temadag_id,
            TemadagLiveAnswer.question_id == question_id,
            TemadagLiveAnswer.participant_id == participant_id,
        )
    ).first()
    if row is None:
        session.add(
            TemadagLiveAnswer(
                temadag_id=temadag_id, question_id=question_id, participant_id=participant_id, option=option
            )
        )
    elif row.option != option:
        row.option = option
    state.answers_version += 1
    _notify(session, state)
    session.flush()
    answered = session.scalar(
        select(func.count())
        .select_from(TemadagLiveAnswer)
        .where(TemadagLiveAnswer.temadag_id == temadag_id, TemadagLiveAnswer.question_id == question_id)
    )
    return answered, state.version, state.answers_version


def touch_live(session: Session, temadag_id: int, now: dt.datetime) -> tuple[int, int] | None:
    """The answers changed outside live mode (a removed check-in took its answers along): the projectors reload."""
    state = _lock(session, temadag_id, now, create=False)
    if state is None:
        return None
    state.answers_version += 1
    _notify(session, state)
    session.flush()
    return state.version, state.answers_version


def restore_live(session: Session, temadag_id: int, live: LiveSession) -> LiveSession:
    """The stored room for ``live``'s questions (a fresh ``live`` when nothing is stored yet)."""
    return load_live(session, temadag_id, live.questions, dt.datetime.now())


def save_live(session: Session, temadag_id: int, live: LiveSession, now: dt.datetime) -> None:
    """Store ``live``'s phase, question and counters as they are (answers are stored one by one)."""
    state = _lock(session, temadag_id, now, create=True)
    state.question_ids = json.dumps(_ids(live.questions))
    state.position, state.phase = live.index, live.phase
    state.version, state.answers_version = live.version, live.answers_version
    _notify(session, state)
    session.flush()


# --- wrong check-in codes (migration 0015): one count for every copy ---------------------------------------
def bad_codes(session: Session, window: int, guesser: str, address: str) -> tuple[int, int]:
    """Wrong codes in ``window`` of this guesser and of this address."""

    def count(column, value) -> int:
        return session.scalar(
            select(func.count())
            .select_from(TemadagBadCode)
            .where(TemadagBadCode.code_window == window, column == value)
        )

    return count(TemadagBadCode.guesser, guesser[:100]), count(TemadagBadCode.address, address[:100])


def clear_bad_codes(session: Session, window: int) -> None:
    """Rows of earlier windows go (they no longer limit anyone): an address is kept minutes, not longer."""
    session.execute(delete(TemadagBadCode).where(TemadagBadCode.code_window < window - 1))


def add_bad_code(session: Session, window: int, guesser: str, address: str) -> None:
    """Count one wrong code."""
    clear_bad_codes(session, window)
    session.add(TemadagBadCode(code_window=window, guesser=guesser[:100], address=address[:100]))
    session.flush()
