"""The learner's practice rounds: plain server-rendered pages under ``/genopfrisk/`` (no kernel).

- ``GET /genopfrisk/``: her rounds (open, taken, coming).
- ``GET /genopfrisk/runde/<id>``: an open round's form (coach statements, three judgement items, two
  counts); a taken round shows her stored answers with the explanations.
- ``POST /genopfrisk/runde/<id>``: checks everything, stores it in one transaction (or nothing) and
  shows the feedback. What she wrote to the coach is coded in memory and never stored or logged.

Who she is comes only from the signed learner cookie (``Handler.learner``); another learner's round
answers 404, as if it did not exist. Forms carry a signed CSRF value bound to her and the round.

``startup(settings)`` starts the periodic work (``loop.run`` every ``RUSFOKUS_PRACTICE_POLL_SECONDS``,
in a thread): new loops, round mails and reminders; the mail worker (``rusfokus.mail.web``) sends them.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

import tornado.ioloop
import tornado.web
from sqlalchemy import select

from rusfokus import identity
from rusfokus.dansk import dato
from rusfokus.db import session_scope
from rusfokus.genopfrisk import loop
from rusfokus.genopfrisk.models import PracticeAnswer, PracticeRound
from rusfokus.identity.web import Handler
from rusfokus.migrations import upgrade
from rusfokus.progress.journey import find_person
from rusfokus.progress.models import STATUS_ACTIVE
from rusfokus.web.periodic import PeriodicJob

log = logging.getLogger("rusfokus.genopfrisk")
HERE = Path(__file__).parent
CSRF_KIND = "genopfrisk-csrf"
CSRF_MAX_AGE = 6 * 3600
NO_LINK = "Du skal bruge dit personlige link for at se dine runder. Åbn linket fra din mail. Kom så tilbage hertil."
NOT_FOUND = "Vi kan ikke finde dig på listen over ansatte. Kontakt din nøgleperson."
MAX_FORM_FIELDS = 40


class PracticeHandler(Handler):
    TEMPLATES = HERE / "templates"
    API = False
    ERROR_LINKS = (("/genopfrisk/", "Gå til mine runder"), ("/", "Gå til kursets forside"))

    def initialize(self, settings, secret: bytes | None = None, clock=None):
        super().initialize(settings, secret)
        self.clock = clock or dt.datetime.now

    def get_template_namespace(self):
        ns = super().get_template_namespace()
        ns["dato"] = dato
        return ns

    def who(self) -> str:
        """Her e-mail from the signed cookie, or a Danish 403 page."""
        try:
            return self.learner()
        except identity.IdentityError:
            raise tornado.web.HTTPError(403, reason=NO_LINK) from None

    def person(self, session, email: str):
        person = find_person(session, email)
        if person is None or person.status != STATUS_ACTIVE:
            raise tornado.web.HTTPError(403, reason=NOT_FOUND)
        return person

    def csrf(self, email: str, round_id: int) -> str:
        return identity.sign(CSRF_KIND, f"{email}:{round_id}", secret=self.secret)

    def check_csrf(self, email: str, round_id: int) -> None:
        try:
            ok = identity.verify(
                CSRF_KIND, self.get_body_argument("_csrf", ""), max_age=CSRF_MAX_AGE, secret=self.secret
            ) == (f"{email}:{round_id}")
        except identity.IdentityError:
            ok = False
        if not ok:
            raise tornado.web.HTTPError(403, reason="Siden er for gammel. Genindlæs den, og prøv igen.")


class OverviewHandler(PracticeHandler):
    def get(self):
        email = self.who()
        with session_scope(self.db_url) as s:
            person = self.person(s, email)
            rounds = loop.learner_rounds(s, person, self.clock().date(), self.rf)
        self.render_page("oversigt.html", title="Genopfriskning", rounds=rounds)


class RoundHandler(PracticeHandler):
    def _content(self, s, person, round_id: int):
        try:
            return loop.round_content(s, self.rf, person, round_id, self.clock().date())
        except loop.RoundUnavailable as exc:
            raise tornado.web.HTTPError(exc.status, reason=exc.danish) from None

    def _form(self, content, email: str, errors=None, values=None, status: int = 200) -> None:
        self.set_status(status)
        self.render_page(
            "runde.html",
            title=f"Runde {content.round.number}",
            content=content,
            csrf=self.csrf(email, content.round.id),
            errors=errors or {},
            values=values or {},
            max_reply=loop.MAX_REPLY,
        )

    def get(self, round_id: str):
        email = self.who()
        with session_scope(self.db_url) as s:
            person = self.person(s, email)
            content = self._content(s, person, int(round_id))
            if content.round.taken_at is None:
                return self._form(content, email)
            answers = {
                a.item_id: a
                for a in s.scalars(select(PracticeAnswer).where(PracticeAnswer.round_id == content.round.id))
            }
            items = [
                loop.ItemResult(it, answers[it.id].chosen, answers[it.id].correct)
                for it in content.items
                if it.id in answers
            ]
            last = s.scalar(
                select(PracticeRound.number)
                .where(PracticeRound.loop_id == content.loop.id)
                .order_by(PracticeRound.number.desc())
                .limit(1)
            )
            renewed = content.loop.renewed_until if content.round.number == last else None
            self.render_page(
                "resultat.html", title="Din runde", content=content, items=items, coach=[], renewed_until=renewed
            )

    def post(self, round_id: str):
        email = self.who()
        rid = int(round_id)
        self.check_csrf(email, rid)
        args = self.request.body_arguments
        if len(args) > MAX_FORM_FIELDS:
            raise tornado.web.HTTPError(400)
        form = {k: self.get_body_argument(k, "") for k in args if k != "_csrf"}
        try:
            with session_scope(self.db_url) as s:
                person = self.person(s, email)
                result = loop.take_round(s, self.rf, person, rid, form, self.clock())
                page = {
                    "title": "Runden er taget",
                    "content": result.content,
                    "items": result.items,
                    "coach": result.coach,
                    "renewed_until": result.renewed_until,
                }
                # rendered inside the transaction: the items and the person are still attached
                html = self.render_string("resultat.html", **page)
        except loop.RoundUnavailable as exc:
            raise tornado.web.HTTPError(exc.status, reason=exc.danish) from None
        except loop.RoundInputError as exc:
            with session_scope(self.db_url) as s:
                person = self.person(s, email)
                content = self._content(s, person, rid)
                return self._form(content, email, errors=exc.errors, values=form, status=400)
        self.finish(html)


# ---- the periodic work ------------------------------------------------------------------------


class LoopService(PeriodicJob):
    name = "genopfrisk"

    def __init__(self, settings):
        super().__init__(settings, settings.practice_poll_seconds)

    def run(self) -> loop.RunResult:
        with session_scope(self.settings.db_url) as s:
            result = loop.run(s, self.settings, dt.datetime.now())
        if result.enrolled or result.opened or result.reminded:
            log.info("refresher loop: %s", result.summary())
        return result


_service: LoopService | None = None
_lock = threading.Lock()


def startup(settings) -> None:
    global _service
    upgrade(settings.db_url)
    loop.practice_months(settings)  # a bad RUSFOKUS_PRACTICE_MONTHS stops the start, naming the setting
    with _lock:
        if _service is None:
            _service = LoopService(settings)
            _service.start()
    log.info(
        "refresher loop started (rounds at %s months, every %gs)",
        settings.practice_months,
        settings.practice_poll_seconds,
    )


def shutdown(settings=None) -> None:
    global _service
    with _lock:
        service, _service = _service, None
    if service is not None:
        service.close()


def routes(settings, clock=None) -> list[tuple]:
    kw = {"settings": settings, "secret": identity.load_secret(settings.secret_file), "clock": clock}
    return [
        (r"/genopfrisk/?", OverviewHandler, kw),
        (r"/genopfrisk/runde/([0-9]{1,9})", RoundHandler, kw),
    ]


__all__ = ["routes", "shutdown", "startup"]
