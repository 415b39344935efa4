"""Where a learner meets the self-efficacy statements: a line on Min side (prominent while a question is
due) and a link under the result of a passed hand-in. Both lead to ``/effekt/`` (``rusfokus.effekt.web``),
a plain page, so asking costs no kernel."""

from __future__ import annotations

import html

from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.effekt.counts import counts_for
from rusfokus.effekt.selfefficacy import answers_for, next_question
from rusfokus.progress import module_title
from rusfokus.progress.models import STATUS_DELETED, Person
from rusfokus.progress.roster import normalise_email

PATH = "effekt/"


def effekt_due(session: Session, email: str) -> dict:
    """``{"due": bool, "text": ...}`` for Min side (``due`` False: she has answered all that is due)."""
    person = session.scalar(select(Person).where(Person.email == normalise_email(email)))
    if person is None or person.status == STATUS_DELETED:
        return {"due": False, "text": ""}
    q = next_question(session, person.id)
    if q is None:
        return {"due": False, "text": ""}
    text = "før du går i gang med kurset" if q.phase == "foer" else f"efter modulet {module_title(q.module)}"
    return {"due": True, "text": text}


def _url(base: str) -> str:
    return (base if base.endswith("/") else base + "/") + PATH


def effekt_html(due: dict | None, base: str = "/") -> str:
    """Min side's line: a button while a question is due, else a quiet link to her own answers."""
    if due and due.get("due"):
        return (
            '<p role="status"><strong>Hvor sikker er du?</strong> Svar på tre korte udsagn '
            f"{html.escape(due['text'])}. Det tager et minut. "
            f'<a class="rf-knap" href="{html.escape(_url(base))}" target="_top">Svar nu</a></p>'
        )
    return f'<p><a href="{html.escape(_url(base))}" target="_top">Se dine svar om, hvor sikker du er</a></p>'


def after_pass_html(base: str = "/") -> str:
    """Under the result of a passed hand-in (the exercise app)."""
    return (
        f'<p><a class="rf-knap-link" href="{html.escape(_url(base))}" target="_top">'
        "Hvor sikker er du nu? Svar på tre korte udsagn</a></p>"
    )


def person_effekt_html(session: Session, person_id: int) -> str:
    """The dashboard's person page (admin only): her self-efficacy answers and practice counts."""
    answers, counts = answers_for(session, person_id), counts_for(session, person_id)
    if not answers and not counts:
        return "<h3>Selvvurdering og praksis</h3><p>Ingen svar endnu.</p>"
    items = "".join(
        f"<li>{'Før første modul' if a.phase == 'foer' else 'Efter ' + html.escape(module_title(a.module))} "
        f"({a.answered_at:%d-%m-%Y}): {' · '.join(f'{n}. {v}' for n, v in enumerate(a.items, start=1))}</li>"
        for a in answers
    ) + "".join(
        f"<li>Praksis ({c.at:%d-%m-%Y}): {c.samtaler} korte samtaler, {c.henvisninger} henvisninger</li>"
        for c in counts
    )
    return f'<h3>Selvvurdering og praksis</h3><p class="rf-note">Kun for rusmiddelcentret.</p><ul>{items}</ul>'
