"""Participant pages: check-in, live answering on the phone, evaluation."""

from __future__ import annotations

import json
from collections import defaultdict, deque

import tornado.ioloop
import tornado.web
from sqlalchemy.exc import IntegrityError

from rusfokus import identity
from rusfokus.temadag import codes, evaluation, store
from rusfokus.temadag.live import LiveError
from rusfokus.temadag.web import (
    PARTICIPANT_COOKIE,
    PARTICIPANT_MAX_AGE,
    BaseHandler,
    participant_of,
)

MAX_BAD_CODES = 20
"""Wrong codes allowed per address per code window before check-in pauses (guessing)."""

_bad_codes: dict[str, deque] = defaultdict(deque)


def _too_many_bad(ip: str, now: float) -> bool:
    q = _bad_codes[ip]
    while q and q[0] < now - codes.WINDOW_SECONDS:
        q.popleft()
    if not q:
        del _bad_codes[ip]
        return False
    return len(q) >= MAX_BAD_CODES


class CheckinHandler(BaseHandler):
    """``/temadag/ind``: the page the QR code opens (code prefilled) or where the code is typed."""

    def learner_email(self) -> str | None:
        try:
            return identity.learner_from_cookie_header(self.cookie_header(), secret=self.hub.secret)
        except identity.IdentityError:
            return None

    def show(self, error: str = "", status: int = 200, **values):
        self.set_status(status)
        self.render_page("ind.html", title="Tjek ind", error=error, learner=self.learner_email(),
                         kode=values.get("kode", self.get_query_argument("kode", "")),
                         navn=values.get("navn", ""), email=values.get("email", ""))

    def get(self):
        self.show()

    async def post(self):
        kode = self.get_body_argument("kode", "")[:40]
        navn = self.get_body_argument("navn", "")[:200]
        email = self.get_body_argument("email", "")[:320]
        use_link = self.get_body_argument("som", "") == "link"
        values = {"kode": kode, "navn": navn, "email": email}
        now = self.hub.clock()
        ip = self.request.remote_ip or ""
        if _too_many_bad(ip, now):
            return self.show("Der er tastet forkert kode for mange gange. Vent 5 minutter.", 429, **values)
        learner = self.learner_email() if use_link else None
        # database work in a thread: a rush of check-ins must not stall live answers
        outcome = await tornado.ioloop.IOLoop.current().run_in_executor(
            None, self._check_in, kode, navn, email, use_link, learner, now)
        if isinstance(outcome, tuple) and outcome[0] == "fejl":
            if outcome[2]:
                _bad_codes[ip].append(now)
            return self.show(outcome[1], 400, **values)
        temadag_id, token = outcome
        self.set_cookie(PARTICIPANT_COOKIE, token, httponly=True, samesite="Lax", path="/",
                        max_age=PARTICIPANT_MAX_AGE, secure=self.request.protocol == "https")
        self.redirect(f"/temadag/{temadag_id}/deltag")

    def _check_in(self, *args):
        """Runs in a worker thread; returns (temadag_id, cookie token) or ("fejl", message, bad_code)."""
        try:
            return self._check_in_once(*args)
        except IntegrityError:  # the same person checked in twice at the same moment (double tap)
            return self._check_in_once(*args)

    def _check_in_once(self, kode, navn, email, use_link, learner, now):
        with self.db() as session:
            check = codes.check_code(self.hub.secret, store.ids_on(session, self.hub.now().date()), kode, now)
            if check.status != "ok":
                return ("fejl", codes.CODE_MESSAGES[check.status], True)
            row = store.get(session, check.temadag_id)
            try:
                if use_link:
                    if learner is None:
                        raise store.CheckinError("Dit personlige link er udløbet. Skriv navn og e-mail i stedet.")
                    person = store.match_person(session, row, "", learner, self.hub.now())
                else:
                    person = store.match_person(session, row, navn, email, self.hub.now())
            except store.CheckinError as exc:
                return ("fejl", str(exc), False)
            participant = store.check_in(session, row, person, "link" if use_link else "kode",
                                         self.hub.now(), self.hub.settings.certificate_months)
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
        self.participant_or_redirect(tid)
        with self.db() as session:
            row = store.get(session, tid)
            if row is None:
                raise tornado.web.HTTPError(404, reason="Temadagen findes ikke.")
            title = row.title
        self.render_page("deltag.html", title=title, temadag_id=tid)


class LiveStateHandler(ParticipantMixin, BaseHandler):
    """Long-poll: returns when the question or phase changed after ``since``."""

    async def get(self, temadag_id):
        tid = int(temadag_id)
        pid = self.participant_or_redirect(tid)
        live = self._live(tid)
        try:
            since = int(self.get_query_argument("since", "-1"))
        except ValueError:
            since = -1
        await self.hub.wait(tid, lambda: live.version != since)
        if self.request.connection.stream.closed():
            return
        self.write_json(live.participant_view(str(pid)))

    def _live(self, tid):
        if tid in self.hub.sessions:
            return self.hub.sessions[tid]
        with self.db() as session:
            row = store.get(session, tid)
            if row is None:
                raise tornado.web.HTTPError(404, reason="Temadagen findes ikke.")
            return self.hub.live(row)


class AnswerHandler(ParticipantMixin, BaseHandler):
    def post(self, temadag_id):
        self.check_json_request()
        tid = int(temadag_id)
        pid = self.participant_or_redirect(tid)
        live = self.hub.sessions.get(tid)
        try:
            body = json.loads(self.request.body or b"{}")
            if live is None:
                raise LiveError("Der er ikke åbent for svar lige nu. Vent på næste spørgsmål.")
            answered = live.answer(str(pid), str(body.get("question", "")), body.get("option"))
        except (ValueError, AttributeError) as exc:
            message = str(exc) if isinstance(exc, LiveError) else "Svaret kunne ikke læses. Prøv igen."
            return self.write_json({"fejl": message}, 400)
        self.hub.notify(tid)
        self.write_json({"ok": True, "answered": answered})


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
        self.render_page("evaluering.html", title=f"Evaluering: {title}", temadag_title=title, done=done,
                         error=error, values=values or {}, questions=evaluation.QUESTIONS,
                         scale=evaluation.SCALE, free_label=evaluation.FREE_TEXT_LABEL,
                         csrf=self.csrf_token(f"deltager:{tid}:{pid}"), temadag_id=tid)

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
