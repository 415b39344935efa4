"""Participant pages: check-in, live answering on the phone, evaluation."""

from __future__ import annotations

import json
import re
import secrets

import tornado.ioloop
import tornado.web
from sqlalchemy.exc import IntegrityError

from rusfokus import identity
from rusfokus.temadag import codes, evaluation, store
from rusfokus.temadag.live import LiveError
from rusfokus.temadag.models import STATUS_PENDING
from rusfokus.temadag.web import (
    PARTICIPANT_COOKIE,
    PARTICIPANT_MAX_AGE,
    BaseHandler,
    participant_of,
)

GUESSER_COOKIE = "rf_temadag_gaet"
"""A random id per browser: wrong codes are counted per guesser, not per shared address."""
_GUESSER_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

PENDING_NOTE = "Din deltagelse tæller, når facilitator har bekræftet den."


class CheckinHandler(BaseHandler):
    """``/temadag/ind``: the page the QR code opens (code prefilled) or where the code is typed."""

    def learner_email(self) -> str | None:
        try:
            # revocation is checked at check-in (_check_in), which says why in Danish
            return identity.learner_from_cookie_header(self.cookie_header(), secret=self.hub.secret)
        except identity.IdentityError:
            return None

    def guesser(self) -> str | None:
        value = identity.cookie_value(self.cookie_header(), GUESSER_COOKIE) or ""
        return value if _GUESSER_RE.match(value) else None

    def ensure_guesser(self) -> None:
        if self.guesser() is None:
            self.set_cookie(
                GUESSER_COOKIE,
                secrets.token_urlsafe(18),
                httponly=True,
                samesite="Lax",
                path="/temadag/",
                max_age=PARTICIPANT_MAX_AGE,
                secure=self.request.protocol == "https",
            )

    def show(self, error: str = "", status: int = 200, deltag: str = "", **values):
        self.set_status(status)
        self.ensure_guesser()
        self.render_page(
            "ind.html",
            title="Tjek ind",
            error=error,
            learner=self.learner_email(),
            deltag=deltag,
            kode=values.get("kode", self.get_query_argument("kode", "")),
            navn=values.get("navn", ""),
            email=values.get("email", ""),
        )

    def get(self):
        self.show()

    async def post(self):
        kode = self.get_body_argument("kode", "")[:40]
        navn = self.get_body_argument("navn", "")[:200]
        email = self.get_body_argument("email", "")[:320]
        use_link = self.get_body_argument("som", "") == "link"
        values = {"kode": kode, "navn": navn, "email": email}
        now = self.hub.clock()
        address, guesser = self.request.remote_ip or "", self.guesser()
        if self.hub.bad_codes.blocked(guesser, address, now):
            return self.show("Der er tastet forkert kode for mange gange. Vent 5 minutter.", 429, **values)
        learner = self.learner_email() if use_link else None
        already = identity.cookie_value(self.cookie_header(), PARTICIPANT_COOKIE)
        # database work in a thread: a rush of check-ins must not stall live answers
        outcome = await tornado.ioloop.IOLoop.current().run_in_executor(
            None, self._check_in, kode, navn, email, use_link, learner, already, now
        )
        if outcome[0] == "fejl":
            _, message, bad_code, deltag = outcome
            if bad_code:
                self.hub.bad_codes.add(guesser, address, now)
            return self.show(message, 409 if deltag else 400, deltag=deltag, **values)
        temadag_id, token = outcome
        self.set_cookie(
            PARTICIPANT_COOKIE,
            token,
            httponly=True,
            samesite="Lax",
            path="/",
            max_age=PARTICIPANT_MAX_AGE,
            secure=self.request.protocol == "https",
        )
        self.redirect(f"/temadag/{temadag_id}/deltag")

    def _check_in(self, *args):
        """Runs in a worker thread; returns (temadag_id, cookie token) or ("fejl", message, bad_code, link)."""
        try:
            return self._check_in_once(*args)
        except IntegrityError:  # the same person checked in twice at the same moment (double tap)
            return self._check_in_once(*args)

    def _phone_taken(self, session, token: str | None):
        """The check-in this phone already holds today (a valid participant cookie), or None."""
        try:
            value = identity.verify(
                "temadag-deltager", token or "", max_age=PARTICIPANT_MAX_AGE, secret=self.hub.secret
            )
            tid, pid = (int(x) for x in value.split(":"))
        except (identity.IdentityError, ValueError):
            return None
        participant = session.get(store.TemadagParticipant, pid)
        row = store.get(session, tid)
        if participant is None or row is None or participant.temadag_id != tid or row.date != self.hub.now().date():
            return None
        return participant

    def _check_in_once(self, kode, navn, email, use_link, learner, already, now):
        with self.db() as session:
            taken = self._phone_taken(session, already)
            if taken is not None:
                return (
                    "fejl",
                    "Denne telefon er allerede tjekket ind på temadagen. "
                    "Én telefon kan kun tjekke én person ind. "
                    "Har du ikke din egen telefon, så bed facilitator om at krydse dig af.",
                    False,
                    f"/temadag/{taken.temadag_id}/deltag",
                )
            check = codes.check_code(self.hub.secret, store.ids_on(session, self.hub.now().date()), kode, now)
            if check.status != "ok":
                return ("fejl", codes.CODE_MESSAGES[check.status], True, "")
            row = store.get(session, check.temadag_id)
            try:
                if use_link:
                    if learner is None:
                        raise store.CheckinError("Dit personlige link er udløbet. Skriv navn og e-mail i stedet.")
                    person, mail, _ = store.match_person(session, row, "", learner, secret=self.hub.secret)
                    if person is not None:  # a signed identity of active staff: attendance right away
                        participant = store.check_in(
                            session, row, person, "link", self.hub.now(), self.hub.settings.certificate_months
                        )
                    else:
                        participant = store.check_in_pending(session, row, None, "", mail, "link", self.hub.now())
                else:
                    person, mail, name = store.match_person(session, row, navn, email, secret=self.hub.secret)
                    participant = store.check_in_pending(session, row, person, name, mail, "kode", self.hub.now())
            except store.CheckinError as exc:
                return ("fejl", str(exc), False, "")
            token = identity.sign("temadag-deltager", f"{row.id}:{participant.id}", secret=self.hub.secret)
            return (row.id, token)


class ParticipantMixin:
    def participant_or_redirect(self, temadag_id: int) -> int:
        pid = participant_of(self, temadag_id)
        if pid is None:
            if self.request.path.startswith("/api/"):
                raise tornado.web.HTTPError(401, reason="Tjek ind først. Skan QR-koden på skærmen.")
            self.redirect("/temadag/ind")
            raise tornado.web.Finish()
        return pid


class LivePageHandler(ParticipantMixin, BaseHandler):
    def get(self, temadag_id):
        tid = int(temadag_id)
        pid = self.participant_or_redirect(tid)
        with self.db() as session:
            row = store.get(session, tid)
            if row is None:
                raise tornado.web.HTTPError(404, reason="Temadagen findes ikke.")
            participant = session.get(store.TemadagParticipant, pid)
            if participant is None or participant.temadag_id != tid:  # removed or rejected by the facilitator
                self.clear_cookie(PARTICIPANT_COOKIE, path="/")
                return self.redirect("/temadag/ind")
            title, pending = row.title, participant.status == STATUS_PENDING
        self.render_page("deltag.html", title=title, temadag_id=tid, note=PENDING_NOTE if pending else "")


class LiveStateHandler(ParticipantMixin, BaseHandler):
    """Long-poll: returns when the question or phase changed after ``since``."""

    async def get(self, temadag_id):
        tid = int(temadag_id)
        pid = self.participant_or_redirect(tid)
        self.hub.live_by_id(tid)  # 404 for a temadag that does not exist
        try:
            since = int(self.get_query_argument("since", "-1"))
        except ValueError:
            since = -1
        await self.hub.wait(tid, lambda: self.hub.counters(tid)[0] != since)
        if self.request.connection.stream.closed():
            return
        self.reply_json(self.hub.live_by_id(tid).participant_view(str(pid)))


class AnswerHandler(ParticipantMixin, BaseHandler):
    async def post(self, temadag_id):
        self.check_json_request()
        tid = int(temadag_id)
        pid = self.participant_or_redirect(tid)
        try:
            body = json.loads(self.request.body or b"{}")
            question, option = str(body.get("question", "")), body.get("option")
        except (ValueError, AttributeError):
            return self.reply_json({"fejl": "Svaret kunne ikke læses. Prøv igen."}, 400)
        # checked and stored in one transaction against the state every copy shares, in a thread:
        # 60 phones answering must not stall the loop
        try:
            stored = await tornado.ioloop.IOLoop.current().run_in_executor(
                None, self.hub.answer, tid, pid, question, option
            )
        except LiveError as exc:
            return self.reply_json({"fejl": str(exc)}, 400)
        if stored is None:
            raise tornado.web.HTTPError(401, reason="Din tjek-ind er fjernet. Tjek ind igen.")
        answered, version, answers_version = stored
        self.hub.heard(tid, version, answers_version)
        self.reply_json({"ok": True, "answered": answered})


class EvaluationHandler(ParticipantMixin, BaseHandler):
    def _page(self, tid, error="", status=200, values=None):
        pid = self.participant_or_redirect(tid)
        with self.db() as session:
            row = store.get(session, tid)
            participant = session.get(store.TemadagParticipant, pid)
            if row is None or participant is None:
                raise tornado.web.HTTPError(404, reason="Vi kan ikke finde din tjek-ind. Tjek ind igen.")
            done, title = participant.evaluated, row.title
        self.set_status(status)
        self.render_page(
            "evaluering.html",
            title=f"Evaluering: {title}",
            temadag_title=title,
            done=done,
            error=error,
            values=values or {},
            questions=evaluation.QUESTIONS,
            scale=evaluation.SCALE,
            free_label=evaluation.FREE_TEXT_LABEL,
            csrf=self.csrf_token(f"deltager:{tid}:{pid}"),
            temadag_id=tid,
        )

    def get(self, temadag_id):
        self._page(int(temadag_id))

    def post(self, temadag_id):
        tid = int(temadag_id)
        pid = self.participant_or_redirect(tid)
        self.check_csrf(f"deltager:{tid}:{pid}")
        form = {k: self.get_body_argument(k, "") for k, _ in evaluation.QUESTIONS}
        form["fritekst"] = self.get_body_argument("fritekst", "")
        try:
            answer = evaluation.parse_form(form)
            with self.db() as session:
                participant = session.get(store.TemadagParticipant, pid)
                if participant is None or participant.temadag_id != tid:
                    raise store.CheckinError("Vi kan ikke finde din tjek-ind. Tjek ind igen.")
                store.add_evaluation(session, participant, answer, self.hub.now().date())
        except (evaluation.EvaluationError, store.CheckinError) as exc:
            return self._page(tid, str(exc), 400, form)
        self.render_page("tak.html", title="Tak for din evaluering")


ROUTES = [
    (r"/temadag/ind", CheckinHandler),
    (r"/temadag/(\d+)/deltag", LivePageHandler),
    (r"/temadag/(\d+)/evaluering", EvaluationHandler),
    (r"/api/temadag/(\d+)/deltager", LiveStateHandler),
    (r"/api/temadag/(\d+)/svar", AnswerHandler),
]
