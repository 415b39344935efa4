"""Delivering the outbox's completion events to the integrations: at least once, never lost.

A *subscriber* is a name, the event kinds it wants, a ``deliver(settings, event) -> note`` function
(raises on failure) and a ``problems(settings) -> [English]`` check; ``SUBSCRIBERS`` is the registry
(``register`` adds one). A subscriber whose settings are empty is off; one whose settings are wrong is
shown with the problem and delivers nothing until it is fixed.

``run_deliveries(settings)`` (the server every ``RUSFOKUS_INTEGRATIONS_POLL_SECONDS``, and
`rusfokus integrations deliver`):

1. a delivery row (``outbox_delivery``) is added for each event and each subscriber that is on and
   wants its kind (``INSERT ... ON CONFLICT DO NOTHING``: one row per event and subscriber, also
   with two workers at once); a subscriber switched on later gets the events from before too;
2. each due row (``pending``, or ``failed`` whose ``next_attempt_at`` has come) is *claimed* by an
   UPDATE naming the state it expects and a random claim token, committed before anything is sent
   (two workers, also on PostgreSQL: the second UPDATE finds nothing and skips the row);
3. the subscriber is called with no database transaction open (a slow receiver holds no lock);
4. the outcome is written by an UPDATE naming the token: ``delivered``, or ``failed`` with the reason,
   ``attempts`` and ``next_attempt_at`` (``RUSFOKUS_INTEGRATIONS_RETRY_SECONDS``, doubling, at most
   ``RUSFOKUS_INTEGRATIONS_RETRY_MAX_SECONDS``). A failed row is tried again when due, for ever.

When a receiver is down, hangs (its timeout) or refuses our credentials, the rest of its rows wait for
the next run (one timeout per run, not one per row). A worker that stops while it holds a row (kill -9,
power cut) leaves it ``claimed``; such a row is *stale* when its process on this host is gone, or after
``stale_after`` for another host, and goes back to ``failed`` ("worker stopped"), due at once: it is
sent again. That is at least once; the receiver keeps one copy because the ids are derived from the
event (the xAPI statement id is ``uuid5(event uid, verb)``).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rusfokus import claims
from rusfokus.db import session_scope
from rusfokus.integrations import xapi
from rusfokus.integrations.badges import subscriber as badges_subscriber
from rusfokus.integrations.lti import tool as lti_tool
from rusfokus.outbox import CLAIMED, DELIVERED, FAILED, PENDING, EventData, snapshot
from rusfokus.outbox.models import OutboxDelivery, OutboxEvent
from rusfokus.progress.audit import log_action

log = logging.getLogger("rusfokus.integrations")
ACTOR = "integrations"
BATCH = 200


DeliveryError = xapi.XapiError
"""What a subscriber's ``deliver`` raises for an expected failure: its text is the reason shown (English,
no secrets); ``stop_run=True`` when the receiver is down or refuses us, so its other rows wait for the
next run. Any other exception counts as failed too (logged with its traceback)."""


@dataclass(frozen=True)
class Subscriber:
    name: str
    kinds: frozenset[str]
    deliver: Callable[[object, EventData], str]
    enabled: Callable[[object], bool]
    problems: Callable[[object], list[str]]
    title: str = ""


SUBSCRIBERS: dict[str, Subscriber] = {}


def register(subscriber: Subscriber) -> None:
    if len(subscriber.name) > 40 or not subscriber.name:
        raise ValueError("a subscriber's name is 1-40 characters")
    SUBSCRIBERS[subscriber.name] = subscriber


register(
    Subscriber(
        name="xapi",
        kinds=xapi.KINDS,
        deliver=xapi.send,
        enabled=xapi.enabled,
        problems=xapi.config_problems,
        title="xAPI (Learning Record Store)",
    )
)
register(
    Subscriber(
        name="lti-ags",
        kinds=lti_tool.KINDS,
        deliver=lti_tool.deliver,
        enabled=lti_tool.enabled,
        problems=lti_tool.config_problems,
        title="LTI 1.3 grade book (Assignment and Grade Services)",
    )
)
register(
    Subscriber(
        name="open-badges",
        kinds=badges_subscriber.KINDS,
        deliver=badges_subscriber.deliver,
        enabled=badges_subscriber.enabled,
        problems=badges_subscriber.config_problems,
        title="Open Badges 3.0 kursusbeviser (issued when a module is passed or renewed)",
    )
)


def owner() -> str:
    return claims.owner()


def stale_after(settings) -> dt.timedelta:
    """How long a worker on another host may hold a delivery before it counts as stopped."""
    return dt.timedelta(seconds=max(300.0, 4 * settings.xapi_timeout + 60))


def is_stale(row: OutboxDelivery, settings, now: dt.datetime) -> bool:
    return claims.is_stale(row.claimed_by, row.claimed_at, now, stale_after(settings))


def backoff(settings, attempts: int) -> dt.timedelta:
    return claims.backoff(settings.integrations_retry_seconds, settings.integrations_retry_max_seconds, attempts)


@dataclass
class RunResult:
    delivered: int = 0
    failed: int = 0
    added: int = 0
    requeued_stale: int = 0
    waiting: dict[str, str] = field(default_factory=dict)  # subscriber -> why its rows wait (English)

    def summary(self) -> str:
        text = f"{self.delivered} delivered, {self.failed} failed (tried again later), {self.added} new"
        if self.requeued_stale:
            text += f", {self.requeued_stale} taken back from a stopped worker"
        for name, why in sorted(self.waiting.items()):
            text += f"; {name}: {why}"
        return text


def active(settings) -> list[Subscriber]:
    """Subscribers that are on and whose settings are usable."""
    return [s for s in SUBSCRIBERS.values() if s.enabled(settings) and not s.problems(settings)]


def _insert(session: Session):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"unsupported database {name}")  # pragma: no cover - only SQLite and PostgreSQL


def add_deliveries(settings, now: dt.datetime, subscribers: list[Subscriber] | None = None) -> int:
    """One delivery row per event and active subscriber wanting its kind. Returns how many were added."""
    added = 0
    for sub in active(settings) if subscribers is None else subscribers:
        with session_scope(settings.db_url) as s:
            have = select(OutboxDelivery.id).where(
                OutboxDelivery.event_id == OutboxEvent.id, OutboxDelivery.subscriber == sub.name
            )
            ids = list(
                s.scalars(
                    select(OutboxEvent.id)
                    .where(OutboxEvent.kind.in_(sorted(sub.kinds)), ~have.exists())
                    .order_by(OutboxEvent.id)
                )
            )
            for event_id in ids:
                stmt = (
                    _insert(s)(OutboxDelivery)
                    .values(
                        event_id=event_id,
                        subscriber=sub.name,
                        status=PENDING,
                        attempts=0,
                        last_error="",
                        claimed_by="",
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["event_id", "subscriber"])
                )
                added += s.execute(stmt).rowcount
    return added


def sweep_stale(settings, now: dt.datetime) -> int:
    """Deliveries held by a stopped worker → ``failed`` ("worker stopped"), due at once."""
    n = 0
    with session_scope(settings.db_url) as s:
        for row in s.scalars(select(OutboxDelivery).where(OutboxDelivery.status == CLAIMED)).all():
            if not is_stale(row, settings, now):
                continue
            done = s.execute(
                update(OutboxDelivery)
                .where(
                    OutboxDelivery.id == row.id,
                    OutboxDelivery.status == CLAIMED,
                    OutboxDelivery.claim_token == row.claim_token,
                )
                .values(
                    status=FAILED,
                    claim_token=None,
                    next_attempt_at=now,
                    last_error=f"worker {row.claimed_by} stopped while delivering; delivered again "
                    "(the receiver keeps one copy)",
                )
            ).rowcount
            if done:
                n += done
                log.warning("delivery #%d (%s): worker %s stopped; tried again", row.id, row.subscriber, row.claimed_by)
    return n


def _due(settings, now: dt.datetime, names: list[str], limit: int) -> list[int]:
    if not names:
        return []
    with session_scope(settings.db_url) as s:
        return list(
            s.scalars(
                select(OutboxDelivery.id)
                .where(
                    OutboxDelivery.subscriber.in_(names),
                    OutboxDelivery.status.in_((PENDING, FAILED)),
                    or_(OutboxDelivery.next_attempt_at.is_(None), OutboxDelivery.next_attempt_at <= now),
                )
                .order_by(OutboxDelivery.id)
                .limit(limit)
            )
        )


def _claim(settings, delivery_id: int, token: str, now: dt.datetime) -> tuple[str, EventData] | None:
    """Claim one due delivery (one worker wins) and read its event; None if another worker has it."""
    with session_scope(settings.db_url) as s:
        won = s.execute(
            update(OutboxDelivery)
            .where(
                OutboxDelivery.id == delivery_id,
                OutboxDelivery.status.in_((PENDING, FAILED)),
                or_(OutboxDelivery.next_attempt_at.is_(None), OutboxDelivery.next_attempt_at <= now),
            )
            .values(
                status=CLAIMED,
                claim_token=token,
                claimed_by=owner(),
                claimed_at=now,
                attempts=OutboxDelivery.attempts + 1,
            )
        ).rowcount
    if won != 1:
        return None
    with session_scope(settings.db_url) as s:
        row = s.get(OutboxDelivery, delivery_id)
        event = s.get(OutboxEvent, row.event_id) if row is not None else None
        if row is None or event is None:  # erased in between (GDPR): nothing to deliver
            return None
        return row.subscriber, snapshot(s, event)


def _finish(settings, delivery_id: int, token: str, now: dt.datetime, error: str | None, note: str = "") -> bool:
    with session_scope(settings.db_url) as s:
        row = s.get(OutboxDelivery, delivery_id)
        if row is None or row.claim_token != token or row.status != CLAIMED:
            return False  # taken back as stale, or erased: the other outcome stands
        values = {"claim_token": None}
        if error is None:
            values |= {"status": DELIVERED, "delivered_at": now, "last_error": note[:500], "next_attempt_at": None}
        else:
            values |= {
                "status": FAILED,
                "last_error": error[:500],
                "next_attempt_at": now + backoff(settings, row.attempts),
            }
        done = s.execute(
            update(OutboxDelivery)
            .where(
                OutboxDelivery.id == delivery_id,
                OutboxDelivery.claim_token == token,
                OutboxDelivery.status == CLAIMED,
            )
            .values(**values)
        ).rowcount
        if done and error is not None and (row.attempts in (1, 5, 10) or row.attempts % 50 == 0):  # not every try
            log_action(
                s,
                ACTOR,
                "integrations.failed",
                f"event #{row.event_id}",
                f"{row.subscriber} delivery #{row.id}, attempt {row.attempts}: {error[:200]}",
                now=now,
            )
        return bool(done)


def deliver_one(settings, delivery_id: int, now_fn=dt.datetime.now) -> tuple[str, str | None, bool] | None:
    """Claim, deliver and record one delivery. Returns (subscriber, error or None, whether the rest of the
    subscriber's rows should wait), or None if another worker has it."""
    token = secrets.token_hex(16)
    claimed = _claim(settings, delivery_id, token, now_fn())
    if claimed is None:
        return None
    name, event = claimed
    sub = SUBSCRIBERS.get(name)
    error, note, stop = None, "", False
    if sub is None:
        error, stop = f"no subscriber named {name!r} in this rusfokus (removed?)", True
    else:
        try:
            note = sub.deliver(settings, event) or ""
        except Exception as exc:  # a receiver's refusal, or a subscriber's bug: the row is tried again later
            if not isinstance(exc, DeliveryError):
                log.exception("delivery #%d (%s) failed", delivery_id, name)
            error, stop = str(exc) or type(exc).__name__, bool(getattr(exc, "stop_run", False))
    _finish(settings, delivery_id, token, now_fn(), error, note)
    if error:
        log.warning("delivery #%d (%s) failed: %s", delivery_id, name, error)
    return name, error, stop


def run_deliveries(
    settings, *, stop: threading.Event | None = None, now_fn=dt.datetime.now, limit: int = BATCH
) -> RunResult:
    """One delivery run (see the module's docstring)."""
    result = RunResult()
    now = now_fn()
    result.requeued_stale = sweep_stale(settings, now)
    subs = active(settings)
    for sub in SUBSCRIBERS.values():
        if sub.enabled(settings) and sub.problems(settings):
            result.waiting[sub.name] = "settings: " + "; ".join(sub.problems(settings))
    result.added = add_deliveries(settings, now, subs)
    names = [s.name for s in subs]
    for delivery_id in _due(settings, now, names, limit):
        if stop is not None and stop.is_set():
            break
        with session_scope(settings.db_url) as s:
            sub_name = s.scalar(select(OutboxDelivery.subscriber).where(OutboxDelivery.id == delivery_id))
        if sub_name in result.waiting:
            continue
        outcome = deliver_one(settings, delivery_id, now_fn)
        if outcome is None:
            continue
        name, error, stop_run = outcome
        if error is None:
            result.delivered += 1
        else:
            result.failed += 1
            if stop_run:
                result.waiting[name] = error + " (the rest wait for the next run)"
    return result


# --- what the status page and `rusfokus integrations status` show ---------------------------------


def status_counts(session: Session) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(OutboxDelivery.subscriber, OutboxDelivery.status, func.count()).group_by(
            OutboxDelivery.subscriber, OutboxDelivery.status
        )
    ).all()
    return {(sub, st): n for sub, st, n in rows}


def undelivered_events(session: Session) -> int:
    """Events no delivery row exists for yet (no subscriber on, or not run since)."""
    have = select(OutboxDelivery.id).where(OutboxDelivery.event_id == OutboxEvent.id)
    return session.scalar(select(func.count()).select_from(OutboxEvent).where(~have.exists())) or 0


def listing(session: Session, *, statuses: tuple[str, ...] | None = None, limit: int = 200) -> list[dict]:
    """Deliveries, newest first, with their event (no e-mail or name: person by id)."""
    stmt = select(OutboxDelivery, OutboxEvent).join(OutboxEvent, OutboxEvent.id == OutboxDelivery.event_id)
    if statuses:
        stmt = stmt.where(OutboxDelivery.status.in_(statuses))
    rows = session.execute(stmt.order_by(OutboxDelivery.id.desc()).limit(limit)).all()
    return [
        {
            "id": d.id,
            "subscriber": d.subscriber,
            "status": d.status,
            "attempts": d.attempts,
            "next_attempt_at": d.next_attempt_at,
            "delivered_at": d.delivered_at,
            "last_error": d.last_error,
            "event_id": e.id,
            "kind": e.kind,
            "module": e.module,
            "person_id": e.person_id,
            "occurred_at": e.occurred_at,
        }
        for d, e in rows
    ]


def subscriber_states(settings) -> list[dict]:
    """Each registered subscriber: on/off and its settings problems (English)."""
    return [
        {
            "name": s.name,
            "title": s.title or s.name,
            "on": s.enabled(settings),
            "problems": s.problems(settings) if s.enabled(settings) else [],
            "kinds": sorted(s.kinds),
        }
        for s in SUBSCRIBERS.values()
    ]


def retry_now(session: Session, ids: list[int], actor: str, now: dt.datetime | None = None) -> list[int]:
    """Make failed deliveries due at once (all failed ones when ``ids`` is empty)."""
    now = now or dt.datetime.now()
    stmt = select(OutboxDelivery).where(OutboxDelivery.status == FAILED)
    if ids:
        stmt = stmt.where(OutboxDelivery.id.in_(ids))
    done = []
    for row in session.scalars(stmt.order_by(OutboxDelivery.id)):
        row.next_attempt_at = now
        done.append(row.id)
    if done:
        log_action(session, actor, "integrations.retry", "", f"{len(done)} failed deliveries due now", now=now)
    return done
