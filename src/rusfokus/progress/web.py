"""HTTP routes of progress tracking, mounted by `rusfokus serve` (see server/routes.py).

(``/login`` and ``/logout`` are ``rusfokus.identity.web``.)
- ``GET /admin/`` → the dashboard app; ``/admin/rapport.xlsx``, ``/admin/rapport/<table>.csv``,
  ``/admin/kursusbevis/<code>.pdf``: admin only (else redirect to /login).
- ``GET /api/progress/verify/<code>``: public check of a kursusbevis code (what the PDF points to).
- ``GET /api/progress/mine/kursusbevis/<module>.pdf``: the learner's own kursusbevis (signed learner cookie).
- ``GET /api/progress/mig``, ``POST /api/progress/laest``, ``POST /api/progress/besoegt``: the learner's
  journey (pages read, test status; signed learner cookie, same-origin JSON).
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlsplit

import tornado.web
from sqlalchemy import select

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.effekt.reports import manager_report
from rusfokus.exercises.store import pending_modules
from rusfokus.gdpr import PersonNotFound, get_person
from rusfokus.identity.web import AFTER_LOGIN, Handler
from rusfokus.kommune import load_kommune
from rusfokus.migrations import upgrade
from rusfokus.progress import module_title
from rusfokus.progress.audit import log_action
from rusfokus.progress.certificates import (
    CertificateError,
    certificate_pdf,
    ensure_certificate,
    normalise_code,
    verify,
)
from rusfokus.progress.export import csv_text, xlsx_bytes
from rusfokus.progress.journey import (
    PageMapError,
    find_person,
    learner_state,
    load_page_map,
    record,
)
from rusfokus.progress.models import Certificate
from rusfokus.progress.reports import TABLE_TITLES

log = logging.getLogger(__name__)

DASHBOARD = AFTER_LOGIN


class _Base(Handler):
    """Settings as ``self.rf``; who is asking from ``rusfokus.identity.web.Handler``."""

    TEMPLATES = Path(__file__).parent / "templates"

    def session(self):
        return session_scope(self.rf.db_url)


class _Admin(_Base):
    def prepare(self):
        self.admin_name = self.admin()
        if self.admin_name is None:
            if self.request.method == "GET":
                self.redirect("/login?next=" + quote(self.request.uri, safe=""))
            else:
                raise tornado.web.HTTPError(403) from None

    def filters(self) -> dict:
        return {k: self.get_argument(k, "") or None for k in ("forvaltning", "afdeling", "faggruppe")}

    def _tables(self, filters: dict, what: str):
        with self.session() as s:
            tables = manager_report(s, self.rf, filters, date.today())  # progress + proof of effect (min group)
            log_action(s, f"admin:{self.admin_name}", "report.download", "", what)
        return tables


class AdminHome(_Admin):
    def get(self):
        self.redirect(DASHBOARD)


class ReportXlsxHandler(_Admin):
    async def get(self):
        tables = await self.in_thread(self._tables, self.filters(), "xlsx")
        data = await self.in_thread(xlsx_bytes, tables)
        self.set_header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.set_header("Content-Disposition", f'attachment; filename="rusfokus-rapport-{date.today()}.xlsx"')
        self.finish(data)


class ReportCsvHandler(_Admin):
    async def get(self, table: str):
        if table not in TABLE_TITLES:
            raise tornado.web.HTTPError(404)
        tables = await self.in_thread(self._tables, self.filters(), f"csv {table}")
        if table not in tables:  # effekt_individuelle without RUSFOKUS_EFFEKT_INDIVIDUAL_REPORTS
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="rusfokus-{table}-{date.today()}.csv"')
        self.finish(csv_text(tables[table]).encode("utf-8-sig"))


def _pdf_for(settings, session, cert) -> bytes:
    try:
        k = load_kommune(settings.kommune_file)
        names = (k.navn, k.rusmiddelcenter.navn)
    except Exception:
        names = ("Kommunen", "")
    return certificate_pdf(session, cert, kommune=names[0], rusmiddelcenter=names[1], base_url=settings.base_url)


def _send_pdf(handler, pdf: bytes, name: str) -> None:
    handler.set_header("Content-Type", "application/pdf")
    handler.set_header("Content-Disposition", f'inline; filename="{name}"')
    handler.finish(pdf)


class AdminCertificateHandler(_Admin):
    async def get(self, code: str):
        pdf = await self.in_thread(self._pdf, code)
        if pdf is None:
            raise tornado.web.HTTPError(404)
        _send_pdf(self, pdf, f"kursusbevis-{code}.pdf")

    def _pdf(self, code: str):

        with self.session() as s:
            cert = s.scalar(select(Certificate).where(Certificate.code == normalise_code(code)))
            if cert is None:
                return None
            try:
                pdf = _pdf_for(self.rf, s, cert)
            except CertificateError:
                return None
            log_action(s, f"admin:{self.admin_name}", "certificate.print", f"person #{cert.person_id}", cert.code)
            return pdf


class VerifyHandler(_Base):
    API = False  # a page (the kursusbevis' QR code points here)

    async def get(self, code: str):
        result = await self.in_thread(self._verify, code)
        if isinstance(result, str):
            self.set_status(404)
            return self.render_page("fejl.html", title="Tjek af kursusbevis", message=result, links=())
        self.render_page(
            "kursusbevis.html", title="Tjek af kursusbevis", cert=result, module=module_title(result.module)
        )

    def _verify(self, code: str):
        with self.session() as s:
            try:
                return verify(s, code)
            except CertificateError:
                return "Koden passer ikke med et kursusbevis. Tjek, at du har skrevet den rigtigt."


class MyCertificateHandler(_Base):
    API = False  # opened in the browser

    async def get(self, module: str):
        try:
            email = await self.in_thread(self.learner)
        except identity.IdentityError as exc:
            self.set_status(403)
            return self.render_page("fejl.html", title="Kursusbevis", message=str(exc), links=())
        pdf = await self.in_thread(self._pdf, email, module)
        if pdf is None:
            self.set_status(404)
            return self.render_page(
                "fejl.html",
                title="Kursusbevis",
                message="Du har ikke et kursusbevis for dette modul endnu.",
                links=(("/", "Gå til kursets forside"),),
            )
        _send_pdf(self, pdf, f"kursusbevis-{module}.pdf")

    def _pdf(self, email: str, module: str):
        with self.session() as s:
            try:
                person = get_person(s, email)
                cert = ensure_certificate(s, person, module, self.rf.certificate_months)
                return _pdf_for(self.rf, s, cert)
            except (PersonNotFound, CertificateError):
                return None


# ---- the learner's journey (rusfokus.progress.journey) ------------------------------------
# GET /api/progress/mig: her pages read, last page, faggruppe tab and test status.
# POST /api/progress/laest {"page"} or {"pages": [...]}: pages read; POST /api/progress/besoegt
# {"page"}: a page opened. Identity only from the signed learner cookie (never the body);
# POSTs need JSON, the header X-Rusfokus: 1 (a cross-site form cannot send it) and, when the
# browser names them, an Origin of this host and Sec-Fetch-Site same-origin.

MAX_JOURNEY_BODY = 16 * 1024


class _Journey(_Base):
    API = True

    def learner_or_reply(self) -> str | None:
        """Her e-mail from the signed cookie, or None after a 401 reply (revocation: ``checked_person``)."""
        try:
            return identity.learner_from_cookie_header(self.cookie_header(), secret=self.secret)
        except identity.IdentityError as exc:
            self.reply_json({"fejl": str(exc)}, 401)
            return None

    async def checked_person(self, email: str):
        try:
            await self.in_thread(self.learner)
        except identity.IdentityError as exc:
            self.reply_json({"fejl": str(exc)}, 403)
            return False
        return True

    def page_map(self):
        try:
            return load_page_map(self.rf.book_dir)
        except PageMapError as exc:
            log.warning("journey: %s", exc)
            self.reply_json({"fejl": "Kurset er ikke bygget endnu. Prøv igen om lidt."}, 503)
            return None

    def _state(self, email: str, page_map, pages=None, read: bool = True):
        with self.session() as s:
            person = find_person(s, email)
            if person is None:  # a valid link, but not on the staff list: nothing stored
                return {"kendt": False}
            if pages is not None:
                record(s, person, pages, page_map, read=read)
            waiting = pending_modules(self.rf.course_dir, person.email or "", [m["id"] for m in page_map.modules])
            return learner_state(s, person, page_map, waiting=waiting)


class JourneyStateHandler(_Journey):
    async def get(self):
        email = self.learner_or_reply()
        if email is None or not await self.checked_person(email):
            return
        page_map = self.page_map()
        if page_map is None:
            return
        self.reply_json(await self.in_thread(self._state, email, page_map))


class JourneyRecordHandler(_Journey):
    def initialize(self, settings, read: bool):
        super().initialize(settings)
        self.read = read

    def _same_origin(self) -> bool:
        headers = self.request.headers
        if headers.get("X-Rusfokus") != "1":
            return False
        site = headers.get("Sec-Fetch-Site")
        if site is not None and site != "same-origin":
            return False
        origin = headers.get("Origin")
        if origin is not None and (origin == "null" or urlsplit(origin).netloc != self.request.host):
            return False
        return True

    async def post(self):
        if not self._same_origin():
            return self.reply_json({"fejl": "Forespørgslen kom ikke fra kurset."}, 403)
        email = self.learner_or_reply()
        if email is None:
            return
        if not self.request.headers.get("Content-Type", "").startswith("application/json"):
            return self.reply_json({"fejl": "Forkert format."}, 415)
        if len(self.request.body) > MAX_JOURNEY_BODY:
            return self.reply_json({"fejl": "For mange sider på én gang."}, 413)
        try:
            body = json.loads(self.request.body)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self.reply_json({"fejl": "Forkert format."}, 400)
        pages = body.get("pages") if self.read and "pages" in body else [body.get("page")]
        if not isinstance(pages, list) or not pages:
            return self.reply_json({"fejl": "Forkert format."}, 400)
        if not await self.checked_person(email):
            return
        page_map = self.page_map()
        if page_map is None:
            return
        try:
            state = await self.in_thread(self._state, email, page_map, pages, self.read)
        except ValueError:
            return self.reply_json({"fejl": "Siden findes ikke i kurset."}, 400)
        self.reply_json(state)


def startup(settings) -> None:
    upgrade(settings.db_url)


def routes(settings):
    kw = {"settings": settings}
    code = r"([A-Za-z0-9-]{4,20})"
    return [
        (r"/admin/?", AdminHome, kw),
        (r"/admin/rapport\.xlsx", ReportXlsxHandler, kw),
        (r"/admin/rapport/([a-z]+)\.csv", ReportCsvHandler, kw),
        (rf"/admin/kursusbevis/{code}\.pdf", AdminCertificateHandler, kw),
        (rf"/api/progress/verify/{code}", VerifyHandler, kw),
        (r"/api/progress/mine/kursusbevis/([a-z0-9-]+)\.pdf", MyCertificateHandler, kw),
        (r"/api/progress/mig", JourneyStateHandler, kw),
        (r"/api/progress/laest", JourneyRecordHandler, {**kw, "read": True}),
        (r"/api/progress/besoegt", JourneyRecordHandler, {**kw, "read": False}),
    ]
