"""SCORM routes (``server.routes.ROUTE_MODULES``; prefixes ``/scorm/`` and ``/api/scorm/``).

- ``GET /scorm/start?p=<package token>&sid=<LMS student id>``: the window the SCO opens. A forged or
  changed package token, or a student id not on the staff list: the Danish error page (403), nothing
  recorded. No learner cookie, or another person's: a Danish page asking for her own personal link
  (no token). Otherwise the page hands a signed launch token to the SCO (postMessage to the
  package's LMS origin only) and goes on to the module.
- ``POST /scorm/link``: mail her personal link (only to the staff list's address for the student id; the
  same answer whatever the id); offered on the page that asks for the personal link, when mail is set up.
- ``GET /api/scorm/status?t=<launch token>``: the person's result for the module as JSON, readable by
  the package's LMS origin only (CORS, also its preflight with Private Network Access); 403 for a bad or
  expired token or another origin.
- ``/scorm/static/``: the start page's script (the page's CSP allows no inline script).
"""

from __future__ import annotations

import logging
from pathlib import Path

from rusfokus import identity
from rusfokus.content.registry import module as registry_module
from rusfokus.db import session_scope
from rusfokus.identity.web import Handler
from rusfokus.integrations.scorm.launch import (
    LaunchError,
    launch_token,
    person_for_student,
    read_launch,
    read_package,
    status_for,
)
from rusfokus.mail.queue import MailError, queue_personal_link
from rusfokus.mail.smtp import config_problem
from rusfokus.web.base import StaticHandler

log = logging.getLogger(__name__)
HERE = Path(__file__).parent


class _Base(Handler):
    TEMPLATES = HERE / "templates"


class StartHandler(_Base):
    def _page(self, kind: str, title: str, status: int = 200, **kw) -> None:
        self.set_status(status)
        kw.setdefault("mail_link", False)
        self.render_page("scorm.html", kind=kind, title=title, message=kw.pop("message", ""), **kw)

    def mail_on(self) -> bool:
        return not config_problem(self.rf)

    def get(self):
        self.set_header("Referrer-Policy", "no-referrer")  # the launch must not leak onwards
        try:
            pkg = read_package(self.get_argument("p", None), secret=self.secret)
        except LaunchError as exc:
            log.info("scorm: launch with a forged or changed package refused (%s)", self.request.remote_ip)
            return self._page("fejl", "Kurset kan ikke åbne", 403, message=str(exc))
        # who is at the keyboard first (her own signed cookie), so nobody without a personal link
        # learns from the answers who is on the staff list
        try:
            me = identity.normalise_email(self.learner())
        except identity.IdentityError:
            return self._page(
                "log-ind",
                "Vis først, hvem du er",
                message="Vi ved endnu ikke, hvem du er i rusfokus.",
                mail_link=self.mail_on(),
                package=self.get_argument("p"),
                student_id=self.get_argument("sid", ""),
            )
        student_id = self.get_argument("sid", "")
        try:
            with session_scope(self.db_url) as session:
                person = person_for_student(session, student_id, pkg.rule, secret=self.secret)
                person_id, email = person.id, person.email
                token = launch_token(person, pkg, student_id, secret=self.secret)
        except LaunchError as exc:
            log.info("scorm: launch for a student id not on the staff list refused")
            return self._page("fejl", "Kurset kan ikke åbne", 403, message=str(exc))
        if me != email:
            log.info("scorm: launch for person #%s from another person's browser refused", person_id)
            return self._page(
                "log-ind",
                "Du er logget ind som en anden",
                403,
                message="Du er logget ind i rusfokus som en anden person end den, dit LMS siger, du er.",
            )
        mod = registry_module(pkg.module)
        log.info("scorm: launch of %s (package %s) for person #%s", pkg.module, pkg.id, person_id)
        self._page(
            "klar",
            mod.caption,
            token=token,
            lms_origin=pkg.origin,
            next_url=f"/modules/{mod.folder}/index.html",
            module_title=mod.caption,
        )


class LinkHandler(StartHandler):
    """``POST /scorm/link`` (package token, student id): mail the personal link to the address the staff list
    has for that student id, so a learner without the cookie (a new browser) can show who she is. The link
    goes to the person's own address only, so asking for a colleague's gives nobody access; the answer is
    the same whether or not the id is on the list, and the mail queue sends at most one link per five
    minutes and person."""

    def post(self):
        try:
            pkg = read_package(self.get_body_argument("p", None), secret=self.secret)
        except LaunchError as exc:
            return self._page("fejl", "Kurset kan ikke åbne", 403, message=str(exc))
        if not self.mail_on():
            return self._page("fejl", "Vi kan ikke sende mail", 503, message="Der er ikke sat mail op på serveren.")
        student_id = self.get_body_argument("sid", "")
        try:
            with session_scope(self.db_url) as session:
                person = person_for_student(session, student_id, pkg.rule, secret=self.secret)
                queue_personal_link(session, person, f"scorm:{pkg.id}", again=True, settings=self.rf)
                log.info("scorm: personal link asked for person #%s", person.id)
        except (LaunchError, MailError):
            log.info("scorm: personal link asked for a student id that gets no mail")
        self._page(
            "mail",
            "Tjek din mail",
            message="Står du på listen, sender vi dit personlige link til din mail nu.",
        )


class StatusHandler(_Base):
    API = True

    def _refuse(self, message: str) -> None:
        origin = self.request.headers.get("Origin")
        if origin:  # an error carries no data: the SCO may read it, to ask for a new launch
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Vary", "Origin")
        self.reply_json({"status": "fejl", "fejl": message}, 403)

    def get(self):
        try:
            claims = read_launch(self.get_argument("t", None), secret=self.secret)
        except LaunchError as exc:
            return self._refuse(str(exc))
        origin = self.request.headers.get("Origin")
        if origin is not None and origin != claims["o"]:
            return self._refuse("Forbindelsen hører til et andet LMS.")
        try:
            with session_scope(self.db_url) as session:
                data = status_for(session, claims, secret=self.secret)
        except LaunchError as exc:
            return self._refuse(str(exc))
        self.set_header("Access-Control-Allow-Origin", claims["o"])
        self.set_header("Vary", "Origin")
        self.reply_json({"status": "ok", "module": claims["m"], **data})

    def options(self):
        """A browser's preflight: allowed for the launch token's own LMS origin only. An LMS on the internet
        asking rusfokus on the municipality's network gets Private Network Access's consent header too."""
        origin = self.request.headers.get("Origin")
        try:
            claims = read_launch(self.get_argument("t", None), secret=self.secret)
        except LaunchError:
            claims = None
        if claims is None or origin != claims["o"]:
            self.set_status(403)
            return self.finish()
        self.set_header("Access-Control-Allow-Origin", origin)
        self.set_header("Vary", "Origin")
        self.set_header("Access-Control-Allow-Methods", "GET")
        self.set_header("Access-Control-Max-Age", "600")
        if self.request.headers.get("Access-Control-Request-Private-Network") == "true":
            self.set_header("Access-Control-Allow-Private-Network", "true")
        self.set_status(204)
        self.finish()


def routes(settings) -> list[tuple]:
    kw = {"settings": settings}
    return [
        (r"/scorm/start", StartHandler, kw),
        (r"/scorm/link", LinkHandler, kw),
        (r"/api/scorm/status", StatusHandler, kw),
        (r"/scorm/static/(.*)", StaticHandler, {"path": str(HERE / "static"), "settings": settings}),
    ]
