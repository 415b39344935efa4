"""Putting e-mails in the queue: personal links, temadag invitations, refresher reminders.

Every function works inside the caller's session (one transaction) and only
writes ``mail_message`` rows: the worker (``rusfokus.mail.worker``) sends them.
A second request for the same logical message finds its idempotency key and
adds nothing (``INSERT ... ON CONFLICT DO NOTHING``, so also two processes at
the same moment). Nobody who has left (fratrådt), was erased or whose personal
link is revoked is queued; the worker checks the same again just before sending.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rusfokus import identity
from rusfokus.identity.revocation import is_revoked_in
from rusfokus.mail.models import (
    CANCELLED,
    FAILED,
    KIND_INVITATION,
    KIND_LINK,
    KIND_REMINDER,
    PENDING,
    SENT,
    UNCERTAIN,
    MailMessage,
)
from rusfokus.mail.smtp import config_problem
from rusfokus.mail.texts import KIND_PRACTICE, KIND_PRACTICE_REMINDER, AddressError, address
from rusfokus.progress.audit import log_action
from rusfokus.progress.certificates import SOON_DAYS
from rusfokus.progress.models import (
    STATUS_ACTIVE,
    STATUS_DELETED,
    STATUS_LEFT,
    Certificate,
    Institution,
    Person,
)
from rusfokus.progress.roster import normalise_email
from rusfokus.temadag import store

RESEND_GUARD = dt.timedelta(minutes=5)
"""A new link mail for a person whose last one went out less than this ago is taken as a double click."""


class MailError(Exception):
    """Why mail cannot be queued: ``str()`` English (CLI), ``.danish`` for the dashboard."""

    def __init__(self, english: str, danish: str):
        super().__init__(english)
        self.danish = danish


class MailOff(MailError):
    pass


class NotMailable(MailError):
    pass


REFUSALS = {
    "left": ("the person has left (fratrådt)", "Personen er fratrådt. Der sendes ikke mail til fratrådte."),
    "deleted": ("the person's data was erased", "Personens oplysninger er slettet."),
    "inactive": ("the person is not active", "Personen er ikke aktiv."),
    "no_email": ("the person has no e-mail address", "Personen har ingen e-mailadresse."),
    "revoked": (
        "the person's personal link is revoked",
        "Personens personlige link er spærret. Der sendes ikke mail med det.",
    ),
    "bad_email": ("the e-mail address cannot be used", "E-mailadressen kan ikke bruges."),
}


def refusal(session: Session, person: Person | None, *, secret: bytes) -> str | None:
    """Why ``person`` must not be mailed (a key of REFUSALS), or None. ``secret``: the server's key
    (``load_secret(settings.secret_file)``)."""
    if person is None:
        return "deleted"
    if person.status == STATUS_LEFT:
        return "left"
    if person.status == STATUS_DELETED:
        return "deleted"
    if person.status != STATUS_ACTIVE:
        return "inactive"
    if not person.email:
        return "no_email"

    if is_revoked_in(session, person.email, secret=secret):
        return "revoked"
    try:
        address(person.email)
    except AddressError:
        return "bad_email"
    return None


def ensure_enabled(settings) -> None:
    problem = config_problem(settings)
    if problem:
        raise MailOff(
            problem, "E-mail er ikke sat op på serveren. Print linket i stedet, eller bed driften sætte e-mail op."
        )


def _secret(settings) -> bytes:
    return identity.load_secret(settings.secret_file)


def _message_id(settings) -> str:
    domain = str(getattr(settings, "mail_from", "") or "").rpartition("@")[2].strip() or "rusfokus.invalid"
    domain = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "rusfokus.invalid"
    return f"<rusfokus.{secrets.token_hex(16)}@{domain}>"


def _insert(session: Session, values: dict) -> bool:
    """Insert one queue row unless its key exists; True if this call added it."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        insert = postgresql.insert
    elif name == "sqlite":
        insert = sqlite.insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database {name}")
    stmt = insert(MailMessage).values(**values).on_conflict_do_nothing(index_elements=["key"])
    return session.execute(stmt).rowcount == 1


def enqueue(
    session: Session,
    settings,
    *,
    key: str,
    kind: str,
    person: Person,
    actor: str,
    now: dt.datetime | None = None,
    temadag_id: int | None = None,
    module: str = "",
    expires_on: dt.date | None = None,
) -> tuple[MailMessage, bool]:
    """The queue row of ``key`` and whether this call created it."""
    now = now or dt.datetime.now()
    created = _insert(
        session,
        {
            "key": key,
            "kind": kind,
            "person_id": person.id,
            "temadag_id": temadag_id,
            "module": module,
            "expires_on": expires_on,
            "status": "queued",
            "attempts": 0,
            "refusals": 0,
            "next_attempt_at": None,
            "claim_token": None,
            "claimed_by": "",
            "claimed_at": None,
            "sent_at": None,
            "last_error": "",
            "message_id": _message_id(settings),
            "created_at": now,
            "created_by": (actor or "ukendt")[:200],
        },
    )
    row = session.scalars(select(MailMessage).where(MailMessage.key == key)).one()
    return row, created


@dataclass
class BatchResult:
    """What a queue request did: new message ids, people already mailed/queued, people skipped and why."""

    queued: list[int] = field(default_factory=list)
    already: list[tuple[int, str]] = field(default_factory=list)  # (person id, status of the existing message)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (person id, REFUSALS key)

    def summary(self) -> str:
        parts = [f"{len(self.queued)} queued", f"{len(self.already)} already queued or sent"]
        if self.skipped:
            reasons: dict[str, int] = {}
            for _pid, reason in self.skipped:
                reasons[reason] = reasons.get(reason, 0) + 1
            parts.append(
                f"{len(self.skipped)} not mailed ("
                + ", ".join(f"{n} {REFUSALS[r][0]}" for r, n in sorted(reasons.items()))
                + ")"
            )
        return ", ".join(parts)


@dataclass(frozen=True)
class LinkRequest:
    """The answer to one "send the personal link" request (for the dashboard's person page)."""

    message_id: int
    created: bool
    status: str
    danish: str


def _link_messages(session: Session, person: Person) -> list[MailMessage]:
    return list(
        session.scalars(
            select(MailMessage)
            .where(MailMessage.kind == KIND_LINK, MailMessage.person_id == person.id)
            .order_by(MailMessage.id)
        )
    )


def _request_link(
    session: Session, settings, person: Person, actor: str, *, again: bool, now: dt.datetime
) -> tuple[MailMessage, bool]:
    earlier = _link_messages(session, person)
    pending = [m for m in earlier if m.status in PENDING]
    if pending:
        return pending[-1], False
    done = [m for m in earlier if m.status in (SENT, UNCERTAIN)]
    if done and not again:
        return done[-1], False
    last_sent = max((m.sent_at for m in done if m.sent_at), default=None)
    if again and last_sent and now - last_sent < RESEND_GUARD:
        return next(m for m in reversed(done) if m.sent_at == last_sent), False
    return enqueue(
        session,
        settings,
        key=f"link:{person.id}:{len(earlier) + 1}",
        kind=KIND_LINK,
        person=person,
        actor=actor,
        now=now,
    )


def queue_personal_link(
    session: Session, person: Person, actor: str, *, settings, again: bool = True, now: dt.datetime | None = None
) -> LinkRequest:
    """Queue an e-mail with ``person``'s personal link (the dashboard's "Send link på mail" button).

    ``again=True`` (the default) sends a new mail even if one was sent before, except when one
    is still on its way or went out less than five minutes ago (a double click): then nothing new
    is queued and ``created`` is False. Raises ``MailOff`` when e-mail is not set up and
    ``NotMailable`` for someone who left, was erased or whose link is revoked; both carry
    ``.danish``. Audited (by person id, never the link). The caller commits the session.
    """
    ensure_enabled(settings)
    now = now or dt.datetime.now()
    reason = refusal(session, person, secret=_secret(settings))
    if reason:
        english, danish = REFUSALS[reason]
        raise NotMailable(f"person #{getattr(person, 'id', '?')}: {english}; no mail queued", danish)
    row, created = _request_link(session, settings, person, actor, again=again, now=now)
    if created:
        log_action(session, actor, "mail.queue", f"person #{person.id}", f"personal link, message #{row.id}", now=now)
        danish = "Linket er sat i kø og bliver sendt på mail om lidt."
    elif row.status in PENDING:
        danish = "Der er allerede en mail med linket på vej."
    elif row.status == UNCERTAIN:
        danish = "Den sidste mail med linket er måske ikke sendt. Se rusfokus mail status."
    else:
        danish = f"Linket blev sendt på mail kl. {row.sent_at:%H.%M}. Vent lidt, før du sender det igen."
    return LinkRequest(row.id, created, row.status, danish)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").strip()).casefold()


def queue_links(
    session: Session,
    settings,
    actor: str,
    *,
    institution: str | None = None,
    email: str | None = None,
    everyone: bool = False,
    again: bool = False,
    now: dt.datetime | None = None,
) -> BatchResult:
    """Queue personal-link mails for the active staff of one institution, one e-mail address or everyone.

    Without ``again`` a person whose link was mailed before is left out (``already``)."""
    ensure_enabled(settings)
    now = now or dt.datetime.now()
    if sum(bool(x) for x in (institution, email, everyone)) != 1:
        raise MailError(
            "choose exactly one of --institution NAME, --email ADDRESS or --all",
            "Vælg én institution, én e-mail eller alle.",
        )
    stmt = select(Person).where(Person.email.is_not(None))
    if email:
        people = list(session.scalars(stmt.where(Person.email == normalise_email(email))))
        if not people:
            raise MailError(f"no person with the e-mail {email!r} in the staff list", "Personen findes ikke.")
    elif institution:
        ids = [i.id for i in session.scalars(select(Institution)) if _norm(i.name) == _norm(institution)]
        if not ids:
            raise MailError(f"no institution named {institution!r} in the staff list", "Institutionen findes ikke.")
        people = list(session.scalars(stmt.where(Person.institution_id.in_(ids)).order_by(Person.id)))
    else:
        people = list(session.scalars(stmt.order_by(Person.id)))
    result = BatchResult()
    for person in people:
        if email is None and person.status != STATUS_ACTIVE:
            continue  # a list of an institution's staff means its active staff
        reason = refusal(session, person, secret=_secret(settings))
        if reason:
            result.skipped.append((person.id, reason))
            continue
        row, created = _request_link(session, settings, person, actor, again=again, now=now)
        (result.queued.append(row.id) if created else result.already.append((person.id, row.status)))
    what = f"institution {institution}" if institution else (f"person #{people[0].id}" if email else "all staff")
    log_action(session, actor, "mail.queue", what, f"personal links: {result.summary()}", now=now)
    return result


def queue_invitations(
    session: Session, settings, temadag_id: int, actor: str, now: dt.datetime | None = None
) -> BatchResult:
    """Queue an invitation for each active person of the temadag's invited institutions (once per person)."""
    ensure_enabled(settings)
    now = now or dt.datetime.now()
    row = store.get(session, temadag_id)
    if row is None:
        raise MailError(
            f"no temadag with id {temadag_id} (`rusfokus temadag list` shows them)", "Temadagen findes ikke."
        )
    if row.date < now.date():
        raise MailError(
            f"temadag {temadag_id} was held on {row.date.isoformat()}; no invitations for a past day",
            "Temadagen er afholdt.",
        )
    if not store.institutions_of(row):
        raise MailError(
            f"temadag {temadag_id} invites no institutions; add them first",
            "Temadagen har ingen inviterede institutioner.",
        )
    result = BatchResult()
    for person in store.roster(session, row):
        reason = refusal(session, person, secret=_secret(settings))
        if reason:
            result.skipped.append((person.id, reason))
            continue
        msg, created = enqueue(
            session,
            settings,
            key=f"invite:{row.id}:{person.id}",
            kind=KIND_INVITATION,
            person=person,
            actor=actor,
            now=now,
            temadag_id=row.id,
        )
        (result.queued.append(msg.id) if created else result.already.append((person.id, msg.status)))
    log_action(session, actor, "mail.queue", f"temadag #{row.id}", f"invitations: {result.summary()}", now=now)
    return result


def due_certificates(session: Session, today: dt.date, days: int) -> list[tuple[Person, str, dt.date]]:
    """(person, module, expires_on) of active people whose newest kursusbevis per module expires
    within ``days`` days or has expired."""
    newest = (
        select(Certificate.person_id, Certificate.module, func.max(Certificate.expires_on).label("exp"))
        .group_by(Certificate.person_id, Certificate.module)
        .subquery()
    )
    rows = session.execute(
        select(Person, newest.c.module, newest.c.exp)
        .join(newest, newest.c.person_id == Person.id)
        .where(Person.status == STATUS_ACTIVE, newest.c.exp <= today + dt.timedelta(days=days))
        .order_by(newest.c.exp, Person.id)
    ).all()
    return [(p, m, e) for p, m, e in rows]


def queue_reminders(
    session: Session, settings, actor: str, *, days: int | None = None, now: dt.datetime | None = None
) -> BatchResult:
    """Queue one refresher reminder per person, module and expiry date (a renewed kursusbevis
    gets its own reminder when it in turn runs out)."""
    ensure_enabled(settings)
    now = now or dt.datetime.now()
    days = SOON_DAYS if days is None else days
    result = BatchResult()
    for person, module, expires_on in due_certificates(session, now.date(), days):
        reason = refusal(session, person, secret=_secret(settings))
        if reason:
            result.skipped.append((person.id, reason))
            continue
        msg, created = enqueue(
            session,
            settings,
            key=f"reminder:{person.id}:{module}:{expires_on.isoformat()}",
            kind=KIND_REMINDER,
            person=person,
            actor=actor,
            now=now,
            module=module,
            expires_on=expires_on,
        )
        (result.queued.append(msg.id) if created else result.already.append((person.id, msg.status)))
    log_action(session, actor, "mail.queue", "refreshers", f"reminders: {result.summary()}", now=now)
    return result


def retry(
    session: Session, ids: list[int], *, failed: bool, uncertain: bool, actor: str, now: dt.datetime | None = None
) -> list[int]:
    """Put failed (and, only when asked, uncertain) messages back in the queue. Returns their ids.

    An ``uncertain`` message may already have reached the person: it goes again only by this
    explicit request (``rusfokus mail retry --uncertain``)."""
    now = now or dt.datetime.now()
    allowed = ([FAILED] if failed else []) + ([UNCERTAIN] if uncertain else [])
    stmt = select(MailMessage).where(MailMessage.status.in_(allowed))
    if ids:
        stmt = stmt.where(MailMessage.id.in_(ids))
    done = []
    for row in session.scalars(stmt.order_by(MailMessage.id)):
        was = row.status
        row.status, row.refusals, row.next_attempt_at, row.claim_token = "queued", 0, None, None
        done.append(row.id)
        log_action(
            session,
            actor,
            "mail.retry",
            f"person #{row.person_id}",
            f"{row.kind} message #{row.id} ({was} → queued)",
            now=now,
        )
    return done


KIND_DANISH = {
    KIND_LINK: "Personligt link",
    KIND_INVITATION: "Invitation til temadag",
    KIND_REMINDER: "Påmindelse om kursusbevis",
    KIND_PRACTICE: "Genopfriskning klar",
    KIND_PRACTICE_REMINDER: "Påmindelse om genopfriskning",
}
STATUS_DANISH = {
    "queued": "I kø",
    "claimed": "Sendes nu",
    "sending": "Sendes nu",
    "sent": "Sendt",
    "failed": "Fejlet",
    "uncertain": "Måske sendt",
    "cancelled": "Ikke sendt",
}


def person_mail_log(session: Session, person_id: int, limit: int = 50) -> list[dict]:
    """The mails to one person, newest first, with Danish labels (for the dashboard's person page):
    ``{"id", "kind", "art", "status", "tilstand", "queued_at", "sent_at", "last_error"}``."""
    rows = session.scalars(
        select(MailMessage).where(MailMessage.person_id == person_id).order_by(MailMessage.id.desc()).limit(limit)
    )
    return [
        {
            "id": m.id,
            "kind": m.kind,
            "art": KIND_DANISH.get(m.kind, m.kind),
            "status": m.status,
            "tilstand": STATUS_DANISH.get(m.status, m.status),
            "queued_at": m.created_at,
            "sent_at": m.sent_at,
            "last_error": m.last_error,
        }
        for m in rows
    ]


def status_counts(session: Session) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(MailMessage.kind, MailMessage.status, func.count()).group_by(MailMessage.kind, MailMessage.status)
    ).all()
    return {(k, s): n for k, s, n in rows}


__all__ = [
    "CANCELLED",
    "BatchResult",
    "LinkRequest",
    "MailError",
    "MailOff",
    "NotMailable",
    "enqueue",
    "queue_invitations",
    "queue_links",
    "queue_personal_link",
    "queue_reminders",
    "refusal",
    "retry",
    "status_counts",
]
