"""``/effekt/``: the learner's three self-efficacy statements (before her first module, after each module).

A plain tornado page (no kernel): who she is comes from her signed learner cookie only
(``rusfokus.identity.web.Handler.learner()``, revocation checked); a form post carries a signed
token bound to her e-mail. What is asked is decided on the server (``selfefficacy.next_question``);
the form's phase and module are checked against it again on post, so nobody answers 'efter' for a
module she has not passed. A bad answer gets the form back with a Danish message and her choices
kept; nothing is stored then. She also sees her own earlier answers and practice counts here.

Linked from Min side and from the result of a passed hand-in (the exercise app).
"""

from __future__ import annotations

import logging
from pathlib import Path

import tornado.web
from sqlalchemy import select

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.effekt.counts import counts_for
from rusfokus.effekt.errors import EffektInputError
from rusfokus.effekt.models import PHASE_BEFORE, PHASE_DANISH
from rusfokus.effekt.selfefficacy import ITEMS, SCALE, answers_for, next_question, record_self_efficacy
from rusfokus.identity.web import Handler
from rusfokus.migrations import upgrade
from rusfokus.progress import module_title
from rusfokus.progress.models import STATUS_DELETED, Person

HERE = Path(__file__).parent
CSRF_KIND = "effekt-csrf"
CSRF_MAX_AGE = 12 * 3600
NOT_ON_LIST = "Vi kan ikke finde dig i medarbejderlisten. Kontakt din nøgleperson."
EXPIRED_FORM = "Siden var åben for længe. Svar igen, så gemmer vi det."
log = logging.getLogger("rusfokus.effekt")


def question_text(phase: str, module: str) -> str:
    if phase == PHASE_BEFORE:
        return "Før du går i gang med kurset"
    return f"Efter modulet {module_title(module)}"


class EffektHandler(Handler):
    TEMPLATES = str(HERE / "templates")

    def _who(self) -> str:
        try:
            return self.learner()
        except identity.IdentityError as exc:
            raise tornado.web.HTTPError(403, reason=str(exc)) from None

    def _state(self, email: str) -> dict:
        with session_scope(self.rf.db_url) as s:
            person = s.scalar(select(Person).where(Person.email == email))
            if person is None or person.status == STATUS_DELETED:
                raise tornado.web.HTTPError(403, reason=NOT_ON_LIST)
            q = next_question(s, person.id)
            given = [
                {
                    "when": question_text(a.phase, a.module),
                    "phase": PHASE_DANISH[a.phase],
                    "date": f"{a.answered_at:%d-%m-%Y}",
                    "items": list(a.items),
                }
                for a in answers_for(s, person.id)
            ]
            counts = [
                {"date": f"{c.at:%d-%m-%Y}", "samtaler": c.samtaler, "henvisninger": c.henvisninger}
                for c in counts_for(s, person.id)
            ]
            return {"person_id": person.id, "question": q, "given": given, "counts": counts}

    def _show(self, email: str, state: dict, *, error: str = "", chosen: dict | None = None, status: int = 200):
        q = state["question"]
        self.set_status(status)
        self.render_page(
            "effekt.html",
            title="Hvor sikker er du?",
            question=q,
            heading=question_text(q.phase, q.module) if q else "",
            items=ITEMS,
            scale=SCALE,
            given=state["given"],
            counts=state["counts"],
            error=error,
            chosen=chosen or {},
            saved=bool(self.get_query_argument("gemt", "")),
            csrf=identity.sign(CSRF_KIND, email, secret=self.secret),
        )

    async def get(self):
        email = self._who()
        state = await self.in_thread(self._state, email)
        self._show(email, state)

    async def post(self):
        email = self._who()
        try:
            ok = (
                identity.verify(
                    CSRF_KIND, self.get_body_argument("_csrf", ""), max_age=CSRF_MAX_AGE, secret=self.secret
                )
                == email
            )
        except identity.IdentityError:
            ok = False
        state = await self.in_thread(self._state, email)
        chosen = {f"item{i}": self.get_body_argument(f"item{i}", "")[:2] for i in (1, 2, 3)}
        if not ok:
            return self._show(email, state, error=EXPIRED_FORM, chosen=chosen, status=400)
        phase, module = self.get_body_argument("maaling", ""), self.get_body_argument("modul", "")
        try:
            await self.in_thread(self._save, state["person_id"], phase, module, list(chosen.values()))
        except EffektInputError as exc:
            return self._show(email, state, error=exc.message, chosen=chosen, status=400)
        self.redirect("/effekt/?gemt=1")

    def _save(self, person_id: int, phase: str, module: str, answers: list) -> None:
        with session_scope(self.rf.db_url) as s:
            record_self_efficacy(s, person_id, phase=phase[:10], module=module[:100], answers=answers)


def routes(settings) -> list[tuple]:
    upgrade(settings.db_url)
    kw = {"settings": settings, "secret": identity.load_secret(settings.secret_file)}
    return [(r"/effekt/?", EffektHandler, kw)]
