"""The refresher loop on Min side (``rusfokus.apps.min_side``): her rounds she can take now, with a link."""

from __future__ import annotations

import datetime as dt
import html
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.dansk import dato
from rusfokus.genopfrisk.loop import RoundView, learner_rounds
from rusfokus.progress.models import STATUS_ACTIVE, Person
from rusfokus.progress.roster import normalise_email
from rusfokus.settings import Settings

_STATE = SimpleNamespace(practice_drop_days=Settings.default("practice_drop_days"))
"""Only whether a round can be taken matters here, which no setting changes."""


def practice_rounds(session: Session, email: str, today: dt.date) -> list[RoundView]:
    """Her rounds she can take now (open, or not taken in time), oldest first."""
    person = session.scalar(select(Person).where(Person.email == normalise_email(email)))
    if person is None or person.status != STATUS_ACTIVE:
        return []
    return [r for r in learner_rounds(session, person, today, _STATE) if r.can_take]


def practice_html(rounds: list[RoundView]) -> str:
    """Min side's block: nothing when no round is due."""
    if not rounds:
        return ""
    items = "".join(
        f"<li><strong>{html.escape(r.title)}</strong>: runde {r.number} af {r.of}, klar siden {dato(r.due_on)}. "
        f'<a class="rf-knap" href="/genopfrisk/runde/{r.id}" target="_top">Tag runde {r.number}</a></li>'
        for r in rounds
    )
    return (
        '<h2>Korte runder til dig</h2><p role="status">Du har en kort runde klar. Den tager fem minutter. '
        "Når du har taget alle runderne, bliver dit kursusbevis forlænget.</p>"
        f'<ul>{items}</ul><p><a href="/genopfrisk/" target="_top">Se alle dine runder</a></p>'
    )
