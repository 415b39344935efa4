"""HTTP routes of progress tracking, mounted by `rusfokus serve` (see server/routes.py).

- ``GET/POST /login``, ``GET /logout``: admin login → signed admin cookie (``rusfokus.identity``).
- ``GET /admin/`` → the dashboard app; ``/admin/rapport.xlsx``, ``/admin/rapport/<table>.csv``,
  ``/admin/kursusbevis/<code>.pdf``: admin only (else redirect to /login).
- ``GET /api/progress/verify/<code>``: public check of a kursusbevis code (what the PDF points to).
- ``GET /api/progress/mine/kursusbevis/<module>.pdf``: the learner's own kursusbevis (signed learner cookie).
- ``GET /api/progress/mig``, ``POST /api/progress/laest``, ``POST /api/progress/besoegt``: the learner's
  journey (pages read, test status; signed learner cookie, same-origin JSON).
"""

from __future__ import annotations

import asyncio
import html
import secrets
from datetime import date
from urllib.parse import quote

import tornado.web

from rusfokus import identity
from rusfokus.identity.revocation import ensure_not_revoked
from rusfokus.progress import module_title

DASHBOARD = "/voila/render/dashboard/index.ipynb"
MAX_FAILURES, FAILURE_WINDOW = 5, 300.0

PAGE = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – rusfokus</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}}
label{{display:block;margin-top:1rem;font-weight:600}}input{{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box}}
button{{margin-top:1.5rem;font-size:1rem;padding:.6rem 1.4rem;background:#1e466e;color:#fff;border:0;border-radius:4px}}
.fejl{{color:#a00000;font-weight:600}}.ok{{color:#1a5e20;font-weight:600}}</style></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


def _page(title: str, body: str) -> str:
    return PAGE.format(title=html.escape(title), body=body)


def _safe_next(value: str | None) -> str:
    return identity.safe_next_path(value, DASHBOARD)


def _limiter():
    from rusfokus.identity.admins import LoginLimiter

    global _login_limiter
    if _login_limiter is None:
        _login_limiter = LoginLimiter(MAX_FAILURES, FAILURE_WINDOW)
    return _login_limiter


_login_limiter = None


class _Base(tornado.web.RequestHandler):
    def initialize(self, settings):
        self.rf = settings

    def set_default_headers(self):
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header("Content-Security-Policy", "frame-ancestors 'self'")

    def session(self):
        from rusfokus.db import session_scope

        return session_scope(self.rf.db_url)

    async def in_thread(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class LoginHandler(_Base):
    def _form(self, message: str = "", status: int = 200) -> None:
        token = secrets.token_urlsafe(24)
        self.set_cookie("rf_login_csrf", token, httponly=True, samesite="Strict", path="/login")
        nxt = html.escape(_safe_next(self.get_argument("next", None)))
        body = (f'<p class="fejl" role="alert">{html.escape(message)}</p>' if message else "") + (
            f'<form method="post" action="/login"><input type="hidden" name="csrf" value="{token}">'
            f'<input type="hidden" name="next" value="{nxt}">'
            '<label for="brugernavn">Brugernavn</label>'
            '<input id="brugernavn" name="username" autocomplete="username" required>'
            '<label for="adgangskode">Adgangskode</label>'
            '<input id="adgangskode" name="password" type="password" autocomplete="current-password" required>'
            '<button type="submit">Log ind</button></form>'
            "<p>Kun for administratorer (fx konsulenten på rusmiddelcentret).</p>"
            '<p id="noeglepersoner"><strong>Er du kursist eller nøgleperson?</strong> '
            "Så skal du ikke logge ind her. Du har ingen adgangskode. "
            "Åbn kurset via dit personlige link. "
            'Som nøgleperson når du så dine værktøjer på <a href="/noegleperson">For nøglepersoner</a>.</p>')
        self.set_status(status)
        self.finish(_page("Log ind som administrator", body))

    def get(self):
        self._form()

    async def post(self):
        cookie = self.get_cookie("rf_login_csrf")
        if not cookie or not secrets.compare_digest(cookie, self.get_body_argument("csrf", "")):
            return self._form("Siden var for gammel. Prøv igen.", 400)
        username = self.get_body_argument("username", "").strip()
        password = self.get_body_argument("password", "")
        # the attempt is counted before the password is checked (parallel guesses)
        slot = _limiter().reserve(f"ip:{self.request.remote_ip or '?'}", f"user:{username.lower()[:100]}")
        if slot is None:
            return self._form("For mange forkerte forsøg. Vent fem minutter, og prøv igen.", 429)
        ok = False
        try:
            ok = await self.in_thread(self._check, username, password)
        finally:
            (slot.succeeded if ok else slot.failed)()
        if not ok:
            return self._form("Forkert brugernavn eller adgangskode.", 403)
        self.clear_cookie("rf_login_csrf", path="/login")
        self.set_cookie(identity.ADMIN_COOKIE, identity.admin_token(username), httponly=True,
                        samesite="Strict", path="/", secure=self.request.protocol == "https")
        self.redirect(_safe_next(self.get_body_argument("next", None)))

    def _check(self, username: str, password: str) -> bool:
        from rusfokus.identity.admins import authenticate
        from rusfokus.progress.audit import log_action

        with self.session() as s:
            ok = authenticate(s, username, password)
            log_action(s, f"admin:{username}" if ok else f"ip:{self.request.remote_ip}",
                       "login" if ok else "login.failed", "", "" if ok else f"username {username[:100]!r}")
        return ok


class LogoutHandler(_Base):
    async def get(self):
        try:  # end the session server-side: a copy of the cookie stops working too
            claims = identity.admin_claims(self.request.headers.get("Cookie"), db_url=self.rf.db_url)
        except identity.IdentityError:
            claims = None
        if claims is not None:
            await self.in_thread(self._end, claims)
        self.clear_cookie(identity.ADMIN_COOKIE, path="/")
        self.finish(_page("Du er logget ud", '<p class="ok">Du er logget ud.</p><p><a href="/login">Log ind igen</a></p>'))

    def _end(self, claims: dict) -> None:
        from rusfokus.identity.admin_sessions import end_session
        from rusfokus.progress.audit import log_action

        with self.session() as s:
            end_session(s, claims["v"], claims.get("s"))
            log_action(s, f"admin:{claims['v']}", "logout", "", "")


class _Admin(_Base):
    def prepare(self):
        try:
            self.admin = identity.admin_from_cookie_header(self.request.headers.get("Cookie"), db_url=self.rf.db_url)
        except identity.IdentityError:
            if self.request.method == "GET":
                self.redirect("/login?next=" + quote(self.request.uri, safe=""))
            else:
                raise tornado.web.HTTPError(403) from None

    def filters(self) -> dict:
        return {k: self.get_argument(k, "") or None for k in ("forvaltning", "afdeling", "faggruppe")}

    def _tables(self, filters: dict, what: str):
        from rusfokus.progress.audit import log_action
        from rusfokus.progress.reports import full_report, load_data

        with self.session() as s:
            tables = full_report(load_data(s).filtered(**filters), date.today())
            log_action(s, f"admin:{self.admin}", "report.download", "", what)
        return tables


class AdminHome(_Admin):
    def get(self):
        self.redirect(DASHBOARD)


class ReportXlsxHandler(_Admin):
    async def get(self):
        from rusfokus.progress.export import xlsx_bytes

        tables = await self.in_thread(self._tables, self.filters(), "xlsx")
        data = await self.in_thread(xlsx_bytes, tables)
        self.set_header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.set_header("Content-Disposition", f'attachment; filename="rusfokus-rapport-{date.today()}.xlsx"')
        self.finish(data)


class ReportCsvHandler(_Admin):
    async def get(self, table: str):
        from rusfokus.progress.export import csv_text
        from rusfokus.progress.reports import TABLE_TITLES

        if table not in TABLE_TITLES:
            raise tornado.web.HTTPError(404)
        tables = await self.in_thread(self._tables, self.filters(), f"csv {table}")
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="rusfokus-{table}-{date.today()}.csv"')
        self.finish(csv_text(tables[table]).encode("utf-8-sig"))


def _pdf_for(settings, session, cert) -> bytes:
    from rusfokus.kommune import load_kommune
    from rusfokus.progress.certificates import certificate_pdf

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
        from sqlalchemy import select

        from rusfokus.progress.audit import log_action
        from rusfokus.progress.certificates import CertificateError, normalise_code
        from rusfokus.progress.models import Certificate

        with self.session() as s:
            cert = s.scalar(select(Certificate).where(Certificate.code == normalise_code(code)))
            if cert is None:
                return None
            try:
                pdf = _pdf_for(self.rf, s, cert)
            except CertificateError:
                return None
            log_action(s, f"admin:{self.admin}", "certificate.print", f"person #{cert.person_id}", cert.code)
            return pdf


class VerifyHandler(_Base):
    async def get(self, code: str):
        result = await self.in_thread(self._verify, code)
        if isinstance(result, str):
            self.set_status(404)
            body = f'<p class="fejl">{html.escape(result)}</p>'
        else:
            status_class = "ok" if result.status != "udløbet" else "fejl"
            body = (f'<p class="{status_class}">Kursusbeviset er {html.escape(result.status)}.</p><dl>'
                    f"<dt>Navn</dt><dd>{html.escape(result.name)}</dd>"
                    f"<dt>Modul</dt><dd>{html.escape(module_title(result.module))}</dd>"
                    f"<dt>Bestået</dt><dd>{result.issued_on:%d-%m-%Y}</dd>"
                    f"<dt>Gyldigt til</dt><dd>{result.expires_on:%d-%m-%Y}</dd>"
                    f"<dt>Kode</dt><dd>{html.escape(result.code)}</dd></dl>")
        self.finish(_page("Tjek af kursusbevis", body))

    def _verify(self, code: str):
        from rusfokus.progress.certificates import CertificateError, verify

        with self.session() as s:
            try:
                return verify(s, code)
            except CertificateError:
                return "Koden passer ikke med et kursusbevis. Tjek, at du har skrevet den rigtigt."


class MyCertificateHandler(_Base):
    async def get(self, module: str):
        try:
            email = identity.learner_from_cookie_header(self.request.headers.get("Cookie"))
            await self.in_thread(ensure_not_revoked, email, self.rf.db_url)
        except identity.IdentityError as exc:
            self.set_status(403)
            return self.finish(_page("Kursusbevis", f'<p class="fejl">{html.escape(str(exc))}</p>'))
        pdf = await self.in_thread(self._pdf, email, module)
        if pdf is None:
            self.set_status(404)
            return self.finish(_page("Kursusbevis", '<p class="fejl">Du har ikke et kursusbevis for dette modul endnu.</p>'))
        _send_pdf(self, pdf, f"kursusbevis-{module}.pdf")

    def _pdf(self, email: str, module: str):
        from rusfokus.gdpr import PersonNotFound, get_person
        from rusfokus.progress.certificates import CertificateError, ensure_certificate

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


def _json_reply(handler, status: int, data: dict) -> None:
    import json

    handler.set_status(status)
    handler.set_header("Content-Type", "application/json; charset=utf-8")
    handler.finish(json.dumps(data, ensure_ascii=False))


class _Journey(_Base):
    def learner(self) -> str | None:
        """Her e-mail from the signed cookie (not revoked), or None after a 401/403 reply."""
        try:
            email = identity.learner_from_cookie_header(self.request.headers.get("Cookie"))
        except identity.IdentityError as exc:
            _json_reply(self, 401, {"fejl": str(exc)})
            return None
        return email

    async def checked_person(self, email: str):
        try:
            await self.in_thread(ensure_not_revoked, email, self.rf.db_url)
        except identity.IdentityError as exc:
            _json_reply(self, 403, {"fejl": str(exc)})
            return False
        return True

    def page_map(self):
        from rusfokus.progress.journey import PageMapError, load_page_map

        try:
            return load_page_map(self.rf.book_dir)
        except PageMapError as exc:
            import logging

            logging.getLogger(__name__).warning("journey: %s", exc)
            _json_reply(self, 503, {"fejl": "Kurset er ikke bygget endnu. Prøv igen om lidt."})
            return None

    def _state(self, email: str, page_map, pages=None, read: bool = True):
        from rusfokus.progress.journey import find_person, learner_state, record

        with self.session() as s:
            person = find_person(s, email)
            if person is None:  # a valid link, but not on the staff list: nothing stored
                return {"kendt": False}
            if pages is not None:
                record(s, person, pages, page_map, read=read)
            return learner_state(s, person, page_map, course_dir=self.rf.course_dir)


class JourneyStateHandler(_Journey):
    async def get(self):
        email = self.learner()
        if email is None or not await self.checked_person(email):
            return
        page_map = self.page_map()
        if page_map is None:
            return
        _json_reply(self, 200, await self.in_thread(self._state, email, page_map))


class JourneyRecordHandler(_Journey):
    def initialize(self, settings, read: bool):
        super().initialize(settings)
        self.read = read

    def _same_origin(self) -> bool:
        from urllib.parse import urlsplit

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
        import json

        if not self._same_origin():
            return _json_reply(self, 403, {"fejl": "Forespørgslen kom ikke fra kurset."})
        email = self.learner()
        if email is None:
            return
        if not self.request.headers.get("Content-Type", "").startswith("application/json"):
            return _json_reply(self, 415, {"fejl": "Forkert format."})
        if len(self.request.body) > MAX_JOURNEY_BODY:
            return _json_reply(self, 413, {"fejl": "For mange sider på én gang."})
        try:
            body = json.loads(self.request.body)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _json_reply(self, 400, {"fejl": "Forkert format."})
        pages = body.get("pages") if self.read and "pages" in body else [body.get("page")]
        if not isinstance(pages, list) or not pages:
            return _json_reply(self, 400, {"fejl": "Forkert format."})
        if not await self.checked_person(email):
            return
        page_map = self.page_map()
        if page_map is None:
            return
        try:
            state = await self.in_thread(self._state, email, page_map, pages, self.read)
        except ValueError:
            return _json_reply(self, 400, {"fejl": "Siden findes ikke i kurset."})
        _json_reply(self, 200, state)


def startup(settings) -> None:
    from rusfokus.migrations import upgrade

    upgrade(settings.db_url)


def routes(settings):
    kw = {"settings": settings}
    code = r"([A-Za-z0-9-]{4,20})"
    return [
        (r"/login", LoginHandler, kw),
        (r"/logout", LogoutHandler, kw),
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
