"""Self-efficacy: three statements on a 1-5 scale, before the learner's first module and after each module.

The learner meets them on ``/effekt/`` (``rusfokus.effekt.web``), linked from Min side and from
the result of a passed hand-in. ``next_question(session, person_id)`` says what to ask now:
``("foer", <first module>)`` while she has passed no module and given no baseline, then
``("efter", <module>)`` for each passed module she has not answered for, else ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rusfokus.content.registry import MODULES
from rusfokus.effekt.errors import EffektInputError
from rusfokus.effekt.models import PHASE_AFTER, PHASE_BEFORE, PHASES, SelfEfficacy
from rusfokus.progress.models import STATUS_DELETED, Completion, Person

ITEMS: tuple[str, str, str] = (
    "Jeg ved, hvad jeg skal gøre, når jeg er bekymret for en borgers brug af alkohol eller stoffer.",
    "Jeg kan tage en kort snak om alkohol eller stoffer med en borger, jeg er bekymret for.",
    "Jeg ved, hvor jeg kan sende en borger hen, når hun eller han har brug for hjælp.",
)
"""The three statements (plain Danish, LIX under 40; tests/effekt/test_selfefficacy.py measures it)."""
SCALE: tuple[tuple[int, str], ...] = (
    (1, "Helt uenig"),
    (2, "Lidt uenig"),
    (3, "Hverken enig eller uenig"),
    (4, "Lidt enig"),
    (5, "Helt enig"),
)
MODULE_IDS = tuple(m.id for m in MODULES)


@dataclass(frozen=True)
class Question:
    phase: str
    module: str


def _passed(session: Session, person_id: int) -> list[str]:
    done = set(
        session.scalars(
            select(Completion.module).where(
                Completion.person_id == person_id, Completion.passed.is_(True), Completion.kind == "modul"
            )
        )
    )
    return [m for m in MODULE_IDS if m in done]


def answers_for(session: Session, person_id: int) -> list[SelfEfficacy]:
    """Her answers, oldest first (Min side, the GDPR export)."""
    return list(
        session.scalars(
            select(SelfEfficacy)
            .where(SelfEfficacy.person_id == person_id)
            .order_by(SelfEfficacy.answered_at, SelfEfficacy.id)
        )
    )


def next_question(session: Session, person_id: int) -> Question | None:
    """What to ask her now, or None when she has answered everything that is due."""
    given = {(a.phase, a.module) for a in answers_for(session, person_id)}
    passed = _passed(session, person_id)
    if not passed:
        if any(phase == PHASE_BEFORE for phase, _m in given):
            return None
        return Question(PHASE_BEFORE, MODULE_IDS[0])
    for module in passed:
        if (PHASE_AFTER, module) not in given:
            return Question(PHASE_AFTER, module)
    return None


def check_answers(values) -> tuple[int, int, int]:
    """Three whole numbers 1-5 (form strings accepted), else EffektInputError naming the first bad one."""
    values = list(values) if isinstance(values, (list, tuple)) else []
    if len(values) != len(ITEMS):
        raise EffektInputError("item1", "Svar på alle tre udsagn.")
    out = []
    for i, value in enumerate(values, start=1):
        text = str(value).strip() if value is not None and not isinstance(value, bool) else ""
        if not text:
            raise EffektInputError(f"item{i}", f"Vælg et svar ved udsagn {i}.")
        if text not in {"1", "2", "3", "4", "5"}:
            raise EffektInputError(f"item{i}", f"Udsagn {i}: vælg et tal fra 1 til 5.")
        out.append(int(text))
    return tuple(out)  # type: ignore[return-value]


def may_answer(session: Session, person_id: int, phase: str, module: str) -> bool:
    """Only what is due now (or an answer she gave, to change it): never 'efter' for a module not passed."""
    if phase not in PHASES or module not in MODULE_IDS:
        return False
    existing = session.scalar(
        select(SelfEfficacy.id).where(
            SelfEfficacy.person_id == person_id, SelfEfficacy.phase == phase, SelfEfficacy.module == module
        )
    )
    if existing is not None:
        return True
    return next_question(session, person_id) == Question(phase, module)


def record_self_efficacy(
    session: Session,
    person_id: int,
    *,
    phase: str,
    module: str,
    answers,
    at: datetime | None = None,
) -> SelfEfficacy:
    """Store her three answers for (module, phase); answering again replaces them (one row).

    Raises EffektInputError (Danish) for a missing or bad answer, an unknown phase or module, a
    question that is not due (``efter`` for a module she has not passed), or an unknown person;
    nothing is written then. Does not commit."""
    at = at or datetime.now()
    items = check_answers(answers)
    person = session.get(Person, person_id)
    if person is None or person.status == STATUS_DELETED:
        raise EffektInputError("person_id", "Vi kan ikke finde dig i medarbejderlisten. Kontakt din nøgleperson.")
    if not may_answer(session, person_id, phase, module):
        raise EffektInputError("module", "Spørgsmålene passer ikke til, hvor du er i kurset. Genindlæs siden.")

    def existing() -> SelfEfficacy | None:
        return session.scalar(
            select(SelfEfficacy).where(
                SelfEfficacy.person_id == person_id, SelfEfficacy.phase == phase, SelfEfficacy.module == module
            )
        )

    row = existing()
    if row is None:
        try:
            with session.begin_nested():
                row = SelfEfficacy(
                    person_id=person_id,
                    phase=phase,
                    module=module,
                    item1=items[0],
                    item2=items[1],
                    item3=items[2],
                    answered_at=at,
                )
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            row = existing()
            if row is None:
                raise
    row.item1, row.item2, row.item3, row.answered_at = (*items, at)
    session.flush()
    return row
