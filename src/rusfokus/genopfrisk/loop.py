"""The refresher loop: after a pass, short practice rounds at about 1, 3 and 6 months (issue 17).

- ``run(session, settings, now)`` is the periodic work (the server's timer, `rusfokus genopfrisk run`):
  it starts a loop for every recent pass (``enrol``), and for each round that is due it queues one
  e-mail when the round opens and, if the round is not taken ``practice_remind_days`` later, one
  reminder. Never more: after that the round shows as due on Min side and the dashboard, and
  ``practice_drop_days`` after the reminder the learner counts as dropped out.
- ``round_content`` draws a round's three judgement items (from the module's pool, her faggruppe's
  first, never an item she has had in an earlier round) and its MI coach statements, and keeps
  the draw, so a reload shows the same round.
- ``take_round`` checks everything she sent, then stores her answers and her two counts (through
  ``rusfokus.effekt.counts.record_counts``) in one transaction, or nothing. What she wrote to the
  coach is coded in memory for the feedback and never stored or logged.
- When every round of a loop is taken, the kursusbevis is renewed: valid ``practice_renew_months``
  from the last round (never shortened), and a ``renewed`` event goes to the outbox.

Every function works in the caller's session and never commits.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rusfokus import identity
from rusfokus.content import mi_file
from rusfokus.content.genopfrisk import PracticeItem, load_pool, pool_file
from rusfokus.content.loader import ContentError
from rusfokus.content.registry import faggruppe_keys, faggruppe_label
from rusfokus.dansk import dato
from rusfokus.effekt.aggregate import MIN_GROUP as MIN_SIZE
from rusfokus.effekt.aggregate import OTHERS, aggregate
from rusfokus.effekt.counts import check_count, record_counts
from rusfokus.effekt.errors import EffektInputError
from rusfokus.genopfrisk.models import PracticeAnswer, PracticeLoop, PracticeRound
from rusfokus.mail import queue as mailqueue
from rusfokus.mail.texts import KIND_PRACTICE, KIND_PRACTICE_REMINDER
from rusfokus.mi import coach
from rusfokus.outbox import emit
from rusfokus.progress import certificates, module_title
from rusfokus.progress.audit import log_action
from rusfokus.progress.journey import faggruppe_tab
from rusfokus.progress.models import STATUS_ACTIVE, Completion, Person

KIND_OPEN, KIND_REMIND = KIND_PRACTICE, KIND_PRACTICE_REMINDER
"""The two e-mails of a round (``mail_message.kind``): it has opened; one reminder."""
ROUND_ITEMS = 3
COACH_STATEMENTS = 2
MAX_REPLY = 1000
"""Characters of one reply to the coach (coded in memory, never stored)."""
ACTOR = "genopfrisk"

TAKEN, LATER, OPEN, MISSED = "taken", "later", "open", "missed"
ROUND_DANISH = {TAKEN: "Taget", LATER: "Kommer senere", OPEN: "Klar til dig", MISSED: "Ikke taget endnu"}
IN_LOOP, DUE, DROPPED, DONE = "in_loop", "due", "dropped", "done"
LOOP_DANISH = {IN_LOOP: "I forløbet", DUE: "Har en runde klar", DROPPED: "Faldet fra", DONE: "Gennemført"}


class LoopConfigError(ValueError):
    """A refresher setting that cannot be used (English, names the setting)."""


class RoundInputError(ValueError):
    """Refused answers of a round; ``errors`` maps each form field to a Danish message. Nothing was written."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class RoundUnavailable(LookupError):
    """The round is not hers, not open yet, or already taken (``danish`` says which)."""

    def __init__(self, danish: str, status: int = 404):
        super().__init__(danish)
        self.danish = danish
        self.status = status


# ---- settings -------------------------------------------------------------------------------


def practice_months(settings) -> tuple[int, ...]:
    raw = str(settings.practice_months or "").replace(";", ",")
    try:
        months = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise LoopConfigError(
            f"RUSFOKUS_PRACTICE_MONTHS={raw!r}: give whole months separated by commas, e.g. 1,3,6"
        ) from None
    if not months or any(m < 1 for m in months) or list(months) != sorted(set(months)):
        raise LoopConfigError(f"RUSFOKUS_PRACTICE_MONTHS={raw!r}: give rising whole months from 1, e.g. 1,3,6")
    return months


# ---- enrolment --------------------------------------------------------------------------------


def _today(now: dt.datetime) -> dt.date:
    return now.date()


def enrol(session: Session, settings, now: dt.datetime) -> list[PracticeLoop]:
    """Start a loop for each active person's latest pass of a module that has none yet. A pass whose last
    round lies more than the reminder and drop-out time in the past starts none (an old pass from before the
    loop existed would only be dropped at once). One loop per person and module."""
    months = practice_months(settings)
    today = _today(now)
    grace = dt.timedelta(days=settings.practice_remind_days + settings.practice_drop_days)
    have = set(session.execute(select(PracticeLoop.person_id, PracticeLoop.module)).all())
    latest: dict[tuple[int, str], dt.datetime] = {}
    rows = session.execute(
        select(Completion.person_id, Completion.module, Completion.completed_at)
        .join(Person, Person.id == Completion.person_id)
        .where(Completion.passed.is_(True), Person.status == STATUS_ACTIVE, Completion.completed_at <= now)
    ).all()
    for pid, module, at in rows:
        if (pid, module) in have:
            continue
        if latest.get((pid, module)) is None or at > latest[(pid, module)]:
            latest[(pid, module)] = at
    made = []
    for (pid, module), at in sorted(latest.items()):
        passed_on = at.date()
        if certificates.add_months(passed_on, months[-1]) + grace < today:
            continue
        loop = PracticeLoop(person_id=pid, module=module, passed_on=passed_on, started_at=now)
        session.add(loop)
        session.flush()
        for n, m in enumerate(months, start=1):
            session.add(PracticeRound(loop_id=loop.id, number=n, due_on=certificates.add_months(passed_on, m)))
        made.append(loop)
    session.flush()
    return made


# ---- state ------------------------------------------------------------------------------------


def round_state(rnd: PracticeRound, today: dt.date, settings) -> str:
    if rnd.taken_at is not None:
        return TAKEN
    if rnd.due_on > today:
        return LATER
    if rnd.reminded_at is not None and today > rnd.reminded_at.date() + dt.timedelta(days=settings.practice_drop_days):
        return MISSED
    return OPEN


def loop_state(rounds: list[PracticeRound], today: dt.date, settings) -> str:
    states = [round_state(r, today, settings) for r in rounds]
    if states and all(s == TAKEN for s in states):
        return DONE
    if MISSED in states:
        return DROPPED
    if OPEN in states:
        return DUE
    return IN_LOOP


def rounds_of(session: Session, loop_id: int) -> list[PracticeRound]:
    return list(session.scalars(select(PracticeRound).where(PracticeRound.loop_id == loop_id).order_by("number")))


@dataclass
class RoundView:
    id: int
    number: int
    of: int
    module: str
    title: str
    due_on: dt.date
    state: str
    taken_at: dt.datetime | None

    @property
    def label(self) -> str:
        return ROUND_DANISH[self.state]

    @property
    def can_take(self) -> bool:
        return self.state in (OPEN, MISSED)


def learner_rounds(session: Session, person: Person, today: dt.date, settings) -> list[RoundView]:
    """Every round of her loops, module by module, for Min side and /genopfrisk/."""
    out = []
    loops = session.scalars(select(PracticeLoop).where(PracticeLoop.person_id == person.id).order_by(PracticeLoop.id))
    for loop in loops:
        rounds = rounds_of(session, loop.id)
        for r in rounds:
            out.append(
                RoundView(
                    r.id,
                    r.number,
                    len(rounds),
                    loop.module,
                    module_title(loop.module),
                    r.due_on,
                    round_state(r, today, settings),
                    r.taken_at,
                )
            )
    return out


def due_rounds(session: Session, person: Person, today: dt.date, settings) -> list[RoundView]:
    """Her rounds she can take now (Min side's list)."""
    return [r for r in learner_rounds(session, person, today, settings) if r.can_take]


# ---- the periodic work: open rounds, queue their mails -------------------------------------------


@dataclass
class RunResult:
    enrolled: int = 0
    opened: list[int] = field(default_factory=list)  # round ids opened now (mailed unless in not_mailed)
    reminded: list[int] = field(default_factory=list)  # round ids whose one reminder is due now
    not_mailed: list[tuple[int, str]] = field(default_factory=list)  # (round id, reason)
    mail_off: str = ""

    def summary(self) -> str:
        text = (
            f"{self.enrolled} new loops, {len(self.opened)} rounds opened, {len(self.reminded)} reminders, "
            f"{len(self.not_mailed)} not mailed"
        )
        return text + (f" ({self.mail_off})" if self.mail_off else "")


def _queue_mail(session, settings, person: Person, rnd: PracticeRound, loop: PracticeLoop, kind: str, now, res):
    """Queue one of the round's two mails (idempotent by key); returns whether it is queued."""
    if res.mail_off:
        res.not_mailed.append((rnd.id, "mail off"))
        return False
    why = mailqueue.refusal(session, person, secret=identity.load_secret(settings.secret_file))
    if why:
        res.not_mailed.append((rnd.id, why))
        return False
    mailqueue.enqueue(
        session,
        settings,
        key=f"{kind}:{rnd.id}",
        kind=kind,
        person=person,
        actor=ACTOR,
        now=now,
        module=loop.module,
        expires_on=rnd.due_on,
    )
    return True


def run(session: Session, settings, now: dt.datetime) -> RunResult:
    """Enrol new passes; queue the mail of each round that opened and the one reminder of each round not taken
    ``practice_remind_days`` after it opened. Only the newest due round of a loop is mailed: an older one left
    untaken is not mailed again when the next opens. Safe to run as often as you like."""
    res = RunResult()
    res.enrolled = len(enrol(session, settings, now))
    try:
        mailqueue.ensure_enabled(settings)
    except mailqueue.MailOff as exc:
        res.mail_off = str(exc)
    today = _today(now)
    remind_after = dt.timedelta(days=settings.practice_remind_days)
    rows = session.execute(
        select(PracticeRound, PracticeLoop, Person)
        .join(PracticeLoop, PracticeLoop.id == PracticeRound.loop_id)
        .join(Person, Person.id == PracticeLoop.person_id)
        .where(PracticeRound.due_on <= today, PracticeRound.taken_at.is_(None), Person.status == STATUS_ACTIVE)
        .order_by(PracticeLoop.id, PracticeRound.number.desc())
    ).all()
    seen_loops: set[int] = set()
    for rnd, loop, person in rows:
        newest = loop.id not in seen_loops
        seen_loops.add(loop.id)
        if rnd.opened_at is None:
            rnd.opened_at = now
            res.opened.append(rnd.id)
            if newest:
                _queue_mail(session, settings, person, rnd, loop, KIND_OPEN, now, res)
            else:
                res.not_mailed.append((rnd.id, "a later round is open"))
        elif newest and rnd.reminded_at is None and now >= rnd.opened_at + remind_after:
            rnd.reminded_at = now
            res.reminded.append(rnd.id)
            _queue_mail(session, settings, person, rnd, loop, KIND_REMIND, now, res)
    session.flush()
    if res.enrolled or res.opened or res.reminded:
        log_action(session, ACTOR, "genopfrisk.run", "", res.summary(), now=now)
    return res


# ---- a round's content --------------------------------------------------------------------------


def person_faggruppe(person: Person) -> str | None:
    inst = person.institution
    afdeling = inst.afdeling.name if inst is not None and inst.afdeling is not None else None
    return faggruppe_tab(person.faggruppe, afdeling, inst.name if inst is not None else None)


def _ids(text: str) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def _used(session: Session, person_id: int, module: str, column, except_round: int) -> set[str]:
    rows = session.execute(
        select(column)
        .join(PracticeLoop, PracticeLoop.id == PracticeRound.loop_id)
        .where(PracticeLoop.person_id == person_id, PracticeLoop.module == module, PracticeRound.id != except_round)
    ).all()
    used = {i for (text,) in rows for i in _ids(text)}
    if column is PracticeRound.items:
        used |= set(
            session.scalars(
                select(PracticeAnswer.item_id)
                .join(PracticeRound, PracticeRound.id == PracticeAnswer.round_id)
                .join(PracticeLoop, PracticeLoop.id == PracticeRound.loop_id)
                .where(
                    PracticeLoop.person_id == person_id,
                    PracticeLoop.module == module,
                    PracticeRound.id != except_round,
                )
            )
        )
    return used


def draw_items(pool: list[PracticeItem], faggruppe: str | None, used: set[str], seed: int) -> list[PracticeItem]:
    """Up to ROUND_ITEMS items not in ``used``: those written for her faggruppe first, then those for every
    faggruppe, then the rest; shuffled within each group (``seed``: the same round draws the same)."""
    rng = random.Random(seed)
    fresh = [it for it in pool if it.id not in used]
    own = [it for it in fresh if faggruppe is not None and faggruppe in it.faggrupper]
    everyone = [it for it in fresh if not it.faggrupper]
    rest = [it for it in fresh if it not in own and it not in everyone]
    for group in (own, everyone, rest):
        rng.shuffle(group)
    return (own + everyone + rest)[:ROUND_ITEMS]


def draw_statements(items, faggruppe: str | None, used: set[str], seed: int) -> list:
    key = faggruppe if faggruppe in faggruppe_keys() else None
    ordered = coach.pick_round(list(items), faggruppe=key, size=len(items), seed=seed)
    fresh = [it for it in ordered if it.item_id not in used] or ordered
    return fresh[:COACH_STATEMENTS]


@dataclass
class RoundContent:
    round: PracticeRound
    loop: PracticeLoop
    person: Person
    items: list[PracticeItem]
    statements: list  # rusfokus.mi.coach.PracticeItem

    @property
    def title(self) -> str:
        return module_title(self.loop.module)


_pool_cache: dict[tuple[str, int], list[PracticeItem]] = {}


def _pool(settings, module: str) -> list[PracticeItem]:
    """The module's judgement items (read again only when the file changes); [] when it has no usable pool
    (`rusfokus check --content` names the problem): the round then has only the coach and the counts."""
    try:
        path = pool_file(module, settings.content_dir)
        key = (str(path), path.stat().st_mtime_ns)
        if key not in _pool_cache:
            if len(_pool_cache) > 20:
                _pool_cache.clear()
            _pool_cache[key] = load_pool(module, settings.content_dir)
        return _pool_cache[key]
    except (ContentError, KeyError, OSError):
        return []


def find_round(session: Session, person: Person, round_id: int, today: dt.date, *, for_taking: bool):
    """Her round ``round_id`` (another learner's answers as if it did not exist)."""
    row = session.execute(
        select(PracticeRound, PracticeLoop)
        .join(PracticeLoop, PracticeLoop.id == PracticeRound.loop_id)
        .where(PracticeRound.id == round_id, PracticeLoop.person_id == person.id)
    ).first()
    if row is None:
        raise RoundUnavailable("Runden findes ikke.")
    rnd, loop = row
    if rnd.due_on > today:
        raise RoundUnavailable("Runden er ikke åben endnu. Den åbner den " + dato(rnd.due_on) + ".", 409)
    if for_taking and rnd.taken_at is not None:
        raise RoundUnavailable("Du har allerede taget runden.", 409)
    return rnd, loop


_coach_cache: dict[tuple[str, int], list] = {}


def _coach_items(settings) -> list:
    """Module 3's coach statements, read again only when the file changes (a round page is opened often)."""
    path = mi_file(coach.COACH_NAME, settings.content_dir)
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _coach_cache:
        _coach_cache.clear()
        _coach_cache[key] = list(coach.load_items(path))
    return _coach_cache[key]


def round_content(session: Session, settings, person: Person, round_id: int, today: dt.date) -> RoundContent:
    """The round's items and coach statements, drawn once and kept (ids only)."""
    rnd, loop = find_round(session, person, round_id, today, for_taking=False)
    faggruppe = person_faggruppe(person)
    pool = _pool(settings, loop.module)
    by_id = {it.id: it for it in pool}
    statements_all = _coach_items(settings)
    statement_by_id = {it.item_id: it for it in statements_all}
    if not rnd.items and rnd.taken_at is None:
        used = _used(session, person.id, loop.module, PracticeRound.items, rnd.id)
        rnd.items = ",".join(it.id for it in draw_items(pool, faggruppe, used, seed=rnd.id))
    if not rnd.coach and rnd.taken_at is None:
        used = _used(session, person.id, loop.module, PracticeRound.coach, rnd.id)
        rnd.coach = ",".join(it.item_id for it in draw_statements(statements_all, faggruppe, used, seed=rnd.id))
    session.flush()
    items = [by_id[i] for i in _ids(rnd.items) if i in by_id]
    statements = [statement_by_id[i] for i in _ids(rnd.coach) if i in statement_by_id]
    return RoundContent(rnd, loop, person, items, statements)


# ---- taking a round ---------------------------------------------------------------------------


@dataclass
class ItemResult:
    item: PracticeItem
    chosen: str
    correct: bool


@dataclass
class CoachResult:
    statement: object
    label: str
    good: bool
    praise: str
    example: str
    child_note: tuple[str, ...]


@dataclass
class RoundResult:
    content: RoundContent
    items: list[ItemResult]
    coach: list[CoachResult]
    renewed_until: dt.date | None


def check_form(content: RoundContent, form: dict[str, str]) -> tuple[dict, list[str], int, int]:
    """(chosen option per item id, coach replies, samtaler, henvisninger) or RoundInputError (every problem)."""
    errors: dict[str, str] = {}
    chosen = {}
    for n, item in enumerate(content.items, start=1):
        value = (form.get(f"item-{item.id}") or "").strip()
        if value not in item.option_ids:
            errors[f"item-{item.id}"] = f"Spørgsmål {n}: vælg et svar."
        else:
            chosen[item.id] = value
    replies = []
    for n in range(1, len(content.statements) + 1):
        text = (form.get(f"coach-{n}") or "").strip()
        if not text:
            errors[f"coach-{n}"] = f"Samtale {n}: skriv, hvad du vil svare."
        elif len(text) > MAX_REPLY:
            errors[f"coach-{n}"] = f"Samtale {n}: dit svar er for langt. Skriv højst {MAX_REPLY} tegn."
        replies.append(text)
    counts = []
    for name in ("samtaler", "henvisninger"):
        try:
            counts.append(check_count(name, form.get(name, "")))
        except EffektInputError as exc:
            errors[name] = exc.message
            counts.append(0)
    if errors:
        raise RoundInputError(errors)
    return chosen, replies, counts[0], counts[1]


def coach_feedback(content: RoundContent, replies: list[str]) -> list[CoachResult]:
    """The coach's feedback on her replies: coded in memory, never stored."""
    out = []
    for st, text in zip(content.statements, replies, strict=True):
        fb = coach.feedback(st, text)
        out.append(
            CoachResult(
                st,
                coach.label_da(fb.coding.label),
                coach.is_good(fb.coding.label),
                fb.praise,
                fb.example,
                fb.child_note,
            )
        )
    return out


def take_round(
    session: Session, settings, person: Person, round_id: int, form: dict[str, str], now: dt.datetime
) -> RoundResult:
    """Check every answer, then store the answers, the counts and the round as taken (renewing the
    kursusbevis when it was the loop's last), or raise and write nothing (the caller's transaction)."""
    today = _today(now)
    find_round(session, person, round_id, today, for_taking=True)
    content = round_content(session, settings, person, round_id, today)
    chosen, replies, samtaler, henvisninger = check_form(content, form)
    rnd, loop = content.round, content.loop
    taken = session.execute(
        update(PracticeRound)
        .where(PracticeRound.id == rnd.id, PracticeRound.taken_at.is_(None))
        .values(taken_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise RoundUnavailable("Du har allerede taget runden.", 409)
    session.refresh(rnd)
    results = []
    for item in content.items:
        ok = item.is_correct(chosen[item.id])
        session.add(
            PracticeAnswer(round_id=rnd.id, item_id=item.id, chosen=chosen[item.id], correct=ok, answered_at=now)
        )
        results.append(ItemResult(item, chosen[item.id], ok))
    try:
        record_counts(
            session,
            person.id,
            samtaler=samtaler,
            henvisninger=henvisninger,
            at=now,
            round_ref=f"genopfrisk:{rnd.id}",
            now=now,
        )
    except EffektInputError as exc:
        raise RoundInputError({exc.field: exc.message}) from None
    session.flush()
    renewed = renew_if_done(session, settings, loop, person, now)
    log_action(session, ACTOR, "genopfrisk.round", f"person #{person.id}", f"{loop.module} round {rnd.number}", now=now)
    return RoundResult(content, results, coach_feedback(content, replies), renewed)


def renew_if_done(session: Session, settings, loop: PracticeLoop, person: Person, now: dt.datetime) -> dt.date | None:
    """When every round of the loop is taken: the kursusbevis is valid ``practice_renew_months`` from the last
    round (never shortened); a ``renewed`` outbox event. Returns the new date, or None."""
    rounds = rounds_of(session, loop.id)
    if settings.practice_renew_months <= 0 or not rounds or any(r.taken_at is None for r in rounds):
        return None
    last = max(r.taken_at for r in rounds)
    until = certificates.add_months(last.date(), settings.practice_renew_months)
    cert = certificates.ensure_certificate(session, person, loop.module, settings.certificate_months)
    certificates.extend(session, cert, until)
    loop.renewed_on, loop.renewed_until = last.date(), cert.expires_on
    emit(session, kind="renewed", person_id=person.id, module=loop.module, occurred_at=last, ref=f"renew:{cert.id}")
    log_action(session, ACTOR, "certificate.renew", f"person #{person.id}", f"{loop.module} until {cert.expires_on}")
    session.flush()
    return cert.expires_on


# ---- the dashboard ----------------------------------------------------------------------------

MIN_GROUP = MIN_SIZE
"""Aggregates shown to managers: no group of fewer people (``rusfokus.effekt.aggregate``; the setting
RUSFOKUS_EFFEKT_MIN_GROUP may raise it)."""


@dataclass
class PersonLoop:
    person_id: int
    name: str
    institution: str
    faggruppe: str
    module: str
    state: str
    due_on: dt.date | None  # the open round's date (due/dropped)


def loop_overview(session: Session, settings, today: dt.date) -> list[PersonLoop]:
    """One row per person and module in the loop (active staff only)."""
    out = []
    rows = session.execute(
        select(PracticeLoop, Person)
        .join(Person, Person.id == PracticeLoop.person_id)
        .where(Person.status == STATUS_ACTIVE)
        .order_by(PracticeLoop.id)
    ).all()
    for loop, person in rows:
        rounds = rounds_of(session, loop.id)
        state = loop_state(rounds, today, settings)
        open_rounds = [r for r in rounds if round_state(r, today, settings) in (OPEN, MISSED)]
        out.append(
            PersonLoop(
                person.id,
                person.name or "",
                person.institution.name if person.institution else "",
                faggruppe_label(person_faggruppe(person) or "") or "Ukendt faggruppe",
                loop.module,
                state,
                open_rounds[0].due_on if open_rounds else None,
            )
        )
    return out


@dataclass
class GroupRow:
    institution: str
    faggruppe: str
    people: int
    counts: dict[str, int]


def group_rows(overview: list[PersonLoop], min_group: int = MIN_GROUP) -> tuple[list[GroupRow], int]:
    """Per institution and faggruppe: people in the loop and how many are due, dropped out or done (a person
    counts in the state of her least advanced module: dropped, then due, then in the loop, then done).
    The one minimum-group-size rule (``rusfokus.effekt.aggregate``): groups under ``min_group`` people are merged
    into "Øvrige" (with the smallest others until it holds enough); nothing when all are fewer. The second value
    is how many people are not shown."""
    order = (DROPPED, DUE, IN_LOOP, DONE)
    worst: dict[int, dict] = {}
    for row in overview:
        key = (row.institution or "Ukendt institution", row.faggruppe)
        prev = worst.get(row.person_id)
        if prev is None or order.index(row.state) < order.index(prev["state"]):
            worst[row.person_id] = {"person_id": row.person_id, "group": key, "state": row.state}
    shown = []
    for group in aggregate(worst.values(), by="group", min_size=min_group, small="merge"):
        counts = {s: sum(1 for r in group.rows if r["state"] == s) for s in order}
        inst, fag = (OTHERS, "") if group.label == OTHERS else group.rows[0]["group"]
        shown.append(GroupRow(inst, fag, group.n, counts))
    return shown, len(worst) - sum(g.people for g in shown)
