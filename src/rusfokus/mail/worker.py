"""Sending the queue: ``run_queue(settings)`` (used by `rusfokus mail run` and the server's worker).

Never twice. Each message goes through ``queued → claimed → sending → sent``,
each step an UPDATE that names the worker's random claim token and the state it
expects, committed before the next SMTP step:

- ``claimed``: the worker took it (another worker's UPDATE then finds nothing).
  MAIL FROM and RCPT TO are given; nothing can be delivered yet.
- ``sending``: committed just before DATA. Only now can the server accept it.
- ``sent``: committed after the server's 250 reply to DATA, with an audit entry.

If a worker dies (kill -9, power cut) the row stays ``claimed`` or ``sending``.
A row is *stale* when its worker ran on this host and its process is gone, or
(for a worker on another host) after ``stale_after(settings)``. A stale
``claimed`` row goes back to ``queued``: DATA never started, so nothing was
delivered. A stale ``sending`` row becomes ``uncertain`` and is NEVER sent again
by itself: the server may have accepted the message just before the crash
(between its 250 and our UPDATE). The same holds when the connection breaks
during DATA. `rusfokus mail status` lists uncertain mails; an operator who has
checked (e.g. in the SMTP server's log, by the Message-ID) can send one again
with `rusfokus mail retry --uncertain ID`. We choose "at most once": a lost
e-mail is visible and can be sent again, a duplicate with a login link cannot
be taken back.

Refusals: a 4xx reply puts the message back in the queue with back-off
(``RUSFOKUS_MAIL_RETRY_SECONDS``, doubling, at most
``RUSFOKUS_MAIL_RETRY_MAX_SECONDS``) until ``RUSFOKUS_MAIL_MAX_ATTEMPTS``
refusals, then ``failed``; a 5xx reply makes it ``failed`` at once. A server
that cannot be reached (or refuses TLS or the login) costs no attempt: every
due message stays queued with back-off until it is back.

The message text and the personal link are made just before sending and are
never stored or logged.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import logging
import secrets
import smtplib
import threading
from dataclasses import dataclass

from sqlalchemy import or_, select, update

from rusfokus import claims, identity
from rusfokus.db import session_scope
from rusfokus.identity.links import personal_link
from rusfokus.kommune import load_kommune
from rusfokus.mail import smtp as smtpmod
from rusfokus.mail.models import (
    CANCELLED,
    CLAIMED,
    FAILED,
    KIND_INVITATION,
    KIND_LINK,
    KIND_REMINDER,
    QUEUED,
    SENDING,
    SENT,
    UNCERTAIN,
    MailMessage,
)
from rusfokus.mail.queue import REFUSALS, _norm, refusal
from rusfokus.mail.texts import (
    KIND_PRACTICE,
    KIND_PRACTICE_REMINDER,
    AddressError,
    Sender,
    address,
    build_message,
    invitation_text,
    link_text,
    practice_text,
    reminder_text,
)
from rusfokus.migrations import upgrade
from rusfokus.progress import module_title
from rusfokus.progress.audit import log_action
from rusfokus.progress.models import Certificate, Person
from rusfokus.temadag import planning, store

log = logging.getLogger("rusfokus.mail")
ACTOR = "mail"
BATCH = 500
PER_CONNECTION = 20
"""Mails per SMTP connection before a fresh one (Exchange, for one, refuses more than 20 by default)."""


def owner() -> str:
    return claims.owner()


def stale_after(settings) -> dt.timedelta:
    """How long a worker on another host may hold a message before it counts as stopped."""
    return dt.timedelta(seconds=max(300.0, 4 * settings.smtp_timeout + 60))


def is_stale(row: MailMessage, settings, now: dt.datetime) -> bool:
    return claims.is_stale(row.claimed_by, row.claimed_at, now, stale_after(settings))


def backoff(settings, attempts: int) -> dt.timedelta:
    return claims.backoff(settings.mail_retry_seconds, settings.mail_retry_max_seconds, attempts)


@dataclass
class RunResult:
    sent: int = 0
    retry: int = 0  # back in the queue (refused for now, or the server could not be reached)
    failed: int = 0
    cancelled: int = 0
    uncertain: int = 0
    requeued_stale: int = 0
    error: str = ""  # why sending stopped (server unreachable, configuration), English

    def summary(self) -> str:
        text = (
            f"{self.sent} sent, {self.retry} left queued for a new try, {self.failed} failed, "
            f"{self.cancelled} cancelled, {self.uncertain} uncertain"
        )
        if self.requeued_stale:
            text += f", {self.requeued_stale} taken back from a stopped worker"
        return text + (f"; {self.error}" if self.error else "")


def sweep_stale(settings, now: dt.datetime) -> tuple[int, int]:
    """Stale ``claimed`` → ``queued``; stale ``sending`` → ``uncertain`` (audited). Returns the counts."""
    requeued = uncertain = 0
    with session_scope(settings.db_url) as s:
        rows = s.scalars(select(MailMessage).where(MailMessage.status.in_((CLAIMED, SENDING)))).all()
        for row in rows:
            if not is_stale(row, settings, now):
                continue
            if row.status == CLAIMED:
                n = s.execute(
                    update(MailMessage)
                    .where(
                        MailMessage.id == row.id,
                        MailMessage.status == CLAIMED,
                        MailMessage.claim_token == row.claim_token,
                    )
                    .values(status=QUEUED, claim_token=None)
                ).rowcount
                requeued += n
                if n:
                    log.warning("mail #%d: worker %s stopped before sending; queued again", row.id, row.claimed_by)
            else:
                n = s.execute(
                    update(MailMessage)
                    .where(
                        MailMessage.id == row.id,
                        MailMessage.status == SENDING,
                        MailMessage.claim_token == row.claim_token,
                    )
                    .values(
                        status=UNCERTAIN,
                        last_error=f"worker {row.claimed_by} stopped while sending: the server may have it; "
                        "not sent again automatically",
                    )
                ).rowcount
                uncertain += n
                if n:
                    log_action(
                        s,
                        ACTOR,
                        "mail.uncertain",
                        f"person #{row.person_id}",
                        f"{row.kind} message #{row.id}: worker stopped while sending; not sent again automatically",
                        now=now,
                    )
                    log.warning(
                        "mail #%d: worker %s stopped while sending; marked uncertain (never resent automatically)",
                        row.id,
                        row.claimed_by,
                    )
    return requeued, uncertain


def sender_of(settings) -> Sender:
    """Municipality and rusmiddelcenter from kommune.yml (a broken file stops sending: KommuneError)."""
    k = load_kommune(settings.kommune_file)
    center = k.rusmiddelcenter
    return Sender(
        kommune=k.navn,
        rusmiddelcenter=center.navn,
        name=settings.mail_from_name or center.navn,
        reply_to=getattr(center, "email", "") or "",
    )


class _Cancel(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _compose(s, settings, sender: Sender, rows: list[MailMessage], now: dt.datetime):
    """(recipient address, EmailMessage, {row id: reason} of rows left out) of claimed rows of one person
    and kind (several only for reminders: one mail lists every kursusbevis due), or _Cancel for all."""
    row = rows[0]
    secret = identity.load_secret(settings.secret_file)
    person = s.get(Person, row.person_id)
    why = refusal(s, person, secret=secret)
    if why:
        raise _Cancel(REFUSALS[why][0])
    to = address(person.email, person.name or "")
    link = personal_link(person.email, settings.base_url, secret=secret)
    attachment, dropped = None, {}
    if row.kind == KIND_LINK:
        subject, body = link_text(person.name or "", link, sender)
    elif row.kind == KIND_INVITATION:
        tem = store.get(s, row.temadag_id) if row.temadag_id is not None else None
        if tem is None:
            raise _Cancel("the temadag was deleted")
        if tem.date < now.date():
            raise _Cancel("the temadag is over")
        invited = {_norm(i) for i in store.institutions_of(tem)}
        if person.institution is None or _norm(person.institution.name) not in invited:
            raise _Cancel("the person's institution is no longer invited")
        plan = store.to_plan(tem)
        subject, body = invitation_text(
            person.name or "",
            link,
            sender,
            title=plan.title,
            day=plan.date,
            start=plan.start,
            end=plan.end,
            place=plan.place,
            modules=[module_title(m) for m in plan.modules],
            facilitator=plan.facilitator,
            facilitator_email=plan.facilitator_email,
        )
        host = settings.base_url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "rusfokus"
        attachment = ("temadag.ics", "text/calendar", planning.export_ics([plan], host, now.astimezone()))
    elif row.kind == KIND_REMINDER:
        items = []
        for r in rows:
            newest = s.scalar(
                select(Certificate.expires_on)
                .where(Certificate.person_id == person.id, Certificate.module == r.module)
                .order_by(Certificate.expires_on.desc())
                .limit(1)
            )
            if newest is None:
                dropped[r.id] = "the kursusbevis no longer exists"
            elif r.expires_on is not None and newest > r.expires_on:
                dropped[r.id] = "the kursusbevis was renewed"
            else:
                items.append((module_title(r.module), r.expires_on or newest))
        if not items:
            raise _Cancel(next(iter(dropped.values())))
        subject, body = reminder_text(
            person.name or "", link, sender, items=sorted(items, key=lambda i: i[1]), today=now.date()
        )
    elif row.kind in (KIND_PRACTICE, KIND_PRACTICE_REMINDER):  # the refresher loop (rusfokus.genopfrisk)
        page = f"{settings.base_url.rstrip('/')}/genopfrisk/"
        subject, body = practice_text(
            person.name or "",
            link,
            sender,
            module=module_title(row.module),
            page=page,
            reminder=row.kind == KIND_PRACTICE_REMINDER,
        )
    else:
        raise _Cancel(f"unknown kind {row.kind!r}")
    msg = build_message(
        sender_addr=address(settings.mail_from, sender.name),
        to=to,
        subject=subject,
        body=body,
        message_id=row.message_id,
        reply_to=sender.reply_to,
        now=now,
        attachment=attachment,
    )
    return to, msg, dropped


def _detail(row: MailMessage) -> str:
    extra = ""
    if row.kind == KIND_INVITATION:
        extra = f", temadag #{row.temadag_id}"
    elif row.kind == KIND_REMINDER:
        extra = f", {row.module} expires {row.expires_on}"
    return f"{row.kind} message #{row.id}{extra} (queued by {row.created_by})"


class _Sender:
    """One run: claims, sends and records messages over one SMTP connection (reconnecting if it drops).

    The rows of one e-mail share one claim token (one row, or every queued reminder of a person);
    every state change names the token and the state it expects."""

    def __init__(self, settings, sender: Sender, result: RunResult, now_fn):
        self.settings, self.sender, self.result, self.now_fn = settings, sender, result, now_fn
        self.smtp: smtplib.SMTP | None = None
        self.owner = owner()
        self.handed_over = 0  # DATA commands on the current connection

    def close(self):
        smtpmod._close(self.smtp)
        self.smtp = None
        self.handed_over = 0

    def _rows(self, s, token: str, expect: tuple[str, ...] = (CLAIMED, SENDING)) -> list[MailMessage]:
        return list(
            s.scalars(
                select(MailMessage)
                .where(MailMessage.claim_token == token, MailMessage.status.in_(expect))
                .order_by(MailMessage.id)
            )
        )

    def _update(self, token: str, expect: tuple[str, ...], **values) -> bool:
        with session_scope(self.settings.db_url) as s:
            return (
                s.execute(
                    update(MailMessage)
                    .where(MailMessage.claim_token == token, MailMessage.status.in_(expect))
                    .values(**values)
                ).rowcount
                > 0
            )

    def _requeue(self, token: str, error: str, *, refused: bool) -> None:
        """Back to the queue for a later try (after a 4xx refusal: failed once refusals reach the maximum)."""
        now = self.now_fn()
        with session_scope(self.settings.db_url) as s:
            for row in self._rows(s, token):
                row.refusals += 1 if refused else 0
                row.last_error = error[:500]
                row.claim_token = None
                if refused and row.refusals >= self.settings.mail_max_attempts:
                    row.status = FAILED
                    log_action(
                        s,
                        ACTOR,
                        "mail.failed",
                        f"person #{row.person_id}",
                        f"{_detail(row)}: refused {row.refusals} times: {error[:200]}",
                        now=now,
                    )
                    self.result.failed += 1
                else:
                    row.status = QUEUED
                    row.next_attempt_at = now + backoff(self.settings, row.attempts)
                    self.result.retry += 1

    def _fail(
        self, token: str, error: str, *, status: str = FAILED, action: str = "mail.failed", only: set[int] | None = None
    ) -> None:
        now = self.now_fn()
        with session_scope(self.settings.db_url) as s:
            for row in self._rows(s, token):
                if only is not None and row.id not in only:
                    continue
                row.status, row.last_error = status, error[:500]
                log_action(s, ACTOR, action, f"person #{row.person_id}", f"{_detail(row)}: {error[:200]}", now=now)
                if status == CANCELLED:
                    self.result.cancelled += 1
                elif status == UNCERTAIN:
                    self.result.uncertain += 1
                else:
                    self.result.failed += 1

    def _refused(self, token: str, code: int, text: str, step: str) -> None:
        error = f"{step} refused: {code} {smtpmod._text(text)}"
        try:
            if code == 421:  # the server is closing the connection: the next mail gets a fresh one
                raise smtplib.SMTPServerDisconnected(error)
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()
        if 400 <= code < 500:
            self._requeue(token, error, refused=True)
        else:
            self._fail(token, error)

    def _claim(self, mid: int, token: str, now: dt.datetime) -> bool:
        """Claim the row (and, for a reminder, the person's other queued reminders). One worker wins."""
        claim = {
            "status": CLAIMED,
            "claim_token": token,
            "claimed_by": self.owner,
            "claimed_at": now,
            "attempts": MailMessage.attempts + 1,
        }
        with session_scope(self.settings.db_url) as s:
            won = (
                s.execute(
                    update(MailMessage).where(MailMessage.id == mid, MailMessage.status == QUEUED).values(**claim)
                ).rowcount
                == 1
            )
            if won:
                row = s.get(MailMessage, mid)
                if row.kind == KIND_REMINDER:
                    s.execute(
                        update(MailMessage)
                        .where(
                            MailMessage.person_id == row.person_id,
                            MailMessage.kind == KIND_REMINDER,
                            MailMessage.status == QUEUED,
                        )
                        .values(**claim)
                    )
        return won

    def send(self, mid: int) -> None:
        token = secrets.token_hex(16)
        now = self.now_fn()
        if not self._claim(mid, token, now):
            return
        try:
            with session_scope(self.settings.db_url) as s:
                rows = self._rows(s, token, (CLAIMED,))
                to, msg, dropped = _compose(s, self.settings, self.sender, rows, now)
        except _Cancel as exc:
            self._fail(token, exc.reason, status=CANCELLED, action="mail.cancelled")
            return
        except AddressError as exc:
            self._fail(token, str(exc))
            return
        except Exception as exc:  # e.g. the database went away: try again later, nothing was sent
            log.exception("mail #%d: could not prepare the message", mid)
            self._requeue(token, f"could not prepare the message: {type(exc).__name__}", refused=False)
            return
        for rid, reason in dropped.items():
            self._fail(token, reason, status=CANCELLED, action="mail.cancelled", only={rid})
        data = msg.as_bytes(policy=email.policy.SMTP)
        if self.smtp is not None and self.handed_over >= PER_CONNECTION:
            self.close()
        if self.smtp is None:
            try:
                self.smtp = smtpmod.connect(self.settings)
            except smtpmod.SmtpUnavailable as exc:
                self._requeue(token, str(exc), refused=False)
                raise
        try:
            code, text = self.smtp.mail(address(self.settings.mail_from).addr_spec)
            if code != 250:
                return self._refused(token, code, text, "MAIL FROM")
            code, text = self.smtp.rcpt(to.addr_spec)
            if code not in (250, 251):
                return self._refused(token, code, text, "RCPT TO")
        except (OSError, smtplib.SMTPException) as exc:  # nothing handed over yet: safe to try again
            self.close()
            self._requeue(token, f"connection lost before sending: {type(exc).__name__}: {exc}"[:300], refused=False)
            return
        if not self._update(token, (CLAIMED,), status=SENDING, claimed_at=self.now_fn()):
            try:  # another worker took it over (we were too slow): hand nothing over
                self.smtp.rset()
            except (OSError, smtplib.SMTPException):
                self.close()
            return
        self.handed_over += 1
        try:
            self.smtp.data(data)
        except smtplib.SMTPDataError as exc:  # the server answered: not accepted
            return self._refused(token, exc.smtp_code, exc.smtp_error, "DATA")
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            self._fail(
                token,
                f"connection lost during DATA ({type(exc).__name__}): the server may have the "
                "message; not sent again automatically",
                status=UNCERTAIN,
                action="mail.uncertain",
            )
            return
        sent_at = self.now_fn()
        with session_scope(self.settings.db_url) as s:
            for row in self._rows(s, token, (SENDING, UNCERTAIN)):
                row.status, row.sent_at, row.last_error, row.next_attempt_at = SENT, sent_at, "", None
                log_action(s, ACTOR, "mail.sent", f"person #{row.person_id}", _detail(row), now=sent_at)
                self.result.sent += 1
                log.info("mail #%d (%s) sent to person #%d", row.id, row.kind, row.person_id)


def due_ids(settings, now: dt.datetime, *, force: bool, limit: int = BATCH) -> list[int]:
    with session_scope(settings.db_url) as s:
        stmt = select(MailMessage.id).where(MailMessage.status == QUEUED)
        if not force:
            stmt = stmt.where(or_(MailMessage.next_attempt_at.is_(None), MailMessage.next_attempt_at <= now))
        return list(s.scalars(stmt.order_by(MailMessage.id).limit(limit)))


def _defer(settings, ids: list[int], error: str, now: dt.datetime) -> int:
    """The server could not be reached: every due message waits (back-off), none is marked failed."""
    n = 0
    with session_scope(settings.db_url) as s:
        for row in s.scalars(select(MailMessage).where(MailMessage.id.in_(ids), MailMessage.status == QUEUED)):
            row.attempts += 1
            row.next_attempt_at = now + backoff(settings, row.attempts)
            row.last_error = error[:500]
            n += 1
    return n


def run_queue(
    settings, *, force: bool = False, stop: threading.Event | None = None, now_fn=dt.datetime.now, limit: int = BATCH
) -> RunResult:
    """Send what is due (``force``: every queued message, ignoring back-off). Never raises for
    SMTP trouble: the reason is in ``RunResult.error`` and the messages stay queued."""
    upgrade(settings.db_url)
    result = RunResult()
    result.requeued_stale, result.uncertain = sweep_stale(settings, now_fn())
    ids = due_ids(settings, now_fn(), force=force, limit=limit)
    if not ids:
        return result
    problem = smtpmod.config_problem(settings)
    if problem:
        result.error = problem
        return result
    try:
        sender = sender_of(settings)
    except Exception as exc:  # KommuneError names file, line and field
        result.error = f"cannot read the municipality's name from {settings.kommune_file}: {exc}"
        return result
    worker = _Sender(settings, sender, result, now_fn)
    try:
        for i, mid in enumerate(ids):
            if stop is not None and stop.is_set():
                break
            try:
                worker.send(mid)
            except smtpmod.SmtpUnavailable as exc:
                result.error = str(exc)
                result.retry += _defer(settings, ids[i + 1 :], str(exc), now_fn())
                break
    finally:
        worker.close()
    return result
