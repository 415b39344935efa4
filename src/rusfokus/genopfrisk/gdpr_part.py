"""The refresher loop's part of GDPR export and erasure (``rusfokus.gdpr`` calls it).

Held on her: her loops (module, pass date, renewal), each round (when due, mailed, reminded, taken)
and her answers to the judgement items (item id, chosen option, right or not). What she wrote to the
MI coach was never stored. Her practice counts belong to ``rusfokus.effekt`` (its own part); the mails
to ``rusfokus.mail``. Erasing deletes all of it (runs before progress, which keeps the person row).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rusfokus.genopfrisk.models import PracticeAnswer, PracticeLoop, PracticeRound
from rusfokus.progress.models import Person


def _iso(value):
    return value.isoformat() if value is not None else None


def export(session: Session, person: Person) -> dict:
    """``genopfrisk``: each loop with its rounds and answers."""
    out = []
    for loop in session.scalars(select(PracticeLoop).where(PracticeLoop.person_id == person.id).order_by("id")):
        rounds = []
        for r in session.scalars(select(PracticeRound).where(PracticeRound.loop_id == loop.id).order_by("number")):
            answers = session.scalars(select(PracticeAnswer).where(PracticeAnswer.round_id == r.id).order_by("id"))
            rounds.append(
                {
                    "number": r.number,
                    "due_on": _iso(r.due_on),
                    "mailed_at": _iso(r.opened_at),
                    "reminded_at": _iso(r.reminded_at),
                    "taken_at": _iso(r.taken_at),
                    "answers": [
                        {"item": a.item_id, "chosen": a.chosen, "correct": a.correct, "at": _iso(a.answered_at)}
                        for a in answers
                    ],
                }
            )
        out.append(
            {
                "module": loop.module,
                "passed_on": _iso(loop.passed_on),
                "renewed_on": _iso(loop.renewed_on),
                "renewed_until": _iso(loop.renewed_until),
                "rounds": rounds,
            }
        )
    return {"genopfrisk": out}


def erase(session: Session, person: Person) -> None:
    """Delete her loops, rounds and answers."""
    loop_ids = select(PracticeLoop.id).where(PracticeLoop.person_id == person.id)
    round_ids = select(PracticeRound.id).where(PracticeRound.loop_id.in_(loop_ids))
    session.execute(delete(PracticeAnswer).where(PracticeAnswer.round_id.in_(round_ids)))
    session.execute(delete(PracticeRound).where(PracticeRound.loop_id.in_(loop_ids)))
    session.execute(delete(PracticeLoop).where(PracticeLoop.person_id == person.id))
