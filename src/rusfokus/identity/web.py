"""Who is asking, for every feature handler; and the identity routes.

``Handler`` is the request base every feature handler subclasses: ``rusfokus.web.base.BaseHandler``
(security headers, Danish error page or JSON error, ``reply_json``, the page shell) plus who is
asking, read from the signed cookies on every request and never from anything else the browser
sends: ``learner()`` (revocation checked), ``admin()`` (session not ended), ``role()``
(admin, nøgleperson, kursist; ``rusfokus.identity.roles.current_role``).

Routes (``server.routes.ROUTE_MODULES``):

- ``GET/POST /login``, ``GET /logout``: admin login → signed admin session cookie; logout ends
  the session server-side.
- ``GET /adgang/<token>``: a personal link. Verify, set the signed HttpOnly learner cookie, go to
  the book.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import tornado.ioloop

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.identity.admin_sessions import end_session
from rusfokus.identity.admins import LoginLimiter, authenticate
from rusfokus.identity.hub import LINKS_OFF, links_allowed
from rusfokus.identity.login_limit import SharedLoginLimiter
from rusfokus.identity.revocation import ensure_not_revoked
from rusfokus.identity.roles import Role, current_role
from rusfokus.progress.audit import log_action
from rusfokus.web.base import BaseHandler
from rusfokus.web.periodic import PeriodicJob

HERE = Path(__file__).parent
AFTER_LOGIN = "/voila/render/dashboard/index.ipynb"
"""Where a login without a (safe) ``next`` goes: the dashboard."""
MAX_FAILURES, FAILURE_WINDOW = 5, 300.0


class Handler(BaseHandler):
    """Subclasses set ``self.rf`` (Settings) in ``initialize``; ``db_url`` and ``secret`` follow from
    it unless the subclass sets them itself (the temadag hub keeps its own)."""

    TEMPLATES = HERE / "templates"
    db_url: str | None = None
    secret: bytes | None = None
    _role: Role | None = None

    def initialize(self, settings, secret: bytes | None = None):
        self.rf = settings
        self.db_url = settings.db_url
        self.secret = secret if secret is not None else identity.load_secret(settings.secret_file)

    def cookie_header(self) -> str:
        return self.request.headers.get("Cookie", "")

    def learner(self) -> str:
        """The learner's e-mail from the signed learner cookie, or IdentityError (Danish) when there is
        none, it is forged or expired, or the person was erased (revoked)."""
        email = identity.learner_from_cookie_header(self.cookie_header(), secret=self.secret)
        return ensure_not_revoked(email, self.db_url, secret=self.secret)

    def admin(self) -> str | None:
        """The signed-in admin's user name (a valid, not ended session), else None."""
        try:
            return identity.admin_from_cookie_header(self.cookie_header(), db_url=self.db_url, secret=self.secret)
        except identity.IdentityError:
            return None

    def role(self) -> Role:
        """Admin, nøgleperson (looked up on the staff list now), kursist or nobody; once per request."""
        if self._role is None:
            self._role = current_role(self.cookie_header(), db_url=self.db_url, secret=self.secret)
        return self._role


def _safe_next(value: str | None) -> str:
    return identity.safe_next_path(value, AFTER_LOGIN)


_login_limiter: LoginLimiter | None = None  # only without a database (tests of the rule); see login_limiter


def login_limiter(db_url: str | None = None) -> LoginLimiter | SharedLoginLimiter:
    """The limit of failed logins (per address and per user name). Counted in the database at ``db_url`` (the
    setting RUSFOKUS_DB), so every copy behind a balancer shares one count (issue 19); without one, in this
    process."""
    global _login_limiter
    if db_url:
        return SharedLoginLimiter(db_url, MAX_FAILURES, FAILURE_WINDOW)
    if _login_limiter is None:
        _login_limiter = LoginLimiter(MAX_FAILURES, FAILURE_WINDOW)
    return _login_limiter


class _PurgeLoginAttempts(PeriodicJob):
    """Every window: the failed-login rows older than it are deleted (``SharedLoginLimiter.purge``)."""

    name = "login-purge"

    def run(self) -> object:
        return login_limiter(self.settings.db_url).purge()

    def start(self) -> None:  # the first run after one window, not at once (the database is migrated by then)
        self.timer = tornado.ioloop.PeriodicCallback(self.tick, self.seconds * 1000)
        self.timer.start()


_purge: _PurgeLoginAttempts | None = None


def startup(settings) -> None:
    global _purge
    if settings.db_url and _purge is None:
        _purge = _PurgeLoginAttempts(settings, FAILURE_WINDOW)
        _purge.start()


def shutdown(settings=None) -> None:
    global _purge
    if _purge is not None:
        _purge.close()
        _purge = None


class LoginHandler(Handler):
    def _form(self, message: str = "", status: int = 200) -> None:
        token = secrets.token_urlsafe(24)
        self.set_cookie("rf_login_csrf", token, httponly=True, samesite="Strict", path="/login")
        self.set_status(status)
        self.render_page(
            "login.html",
            title="Log ind som administrator",
            message=message,
            csrf=token,
            next=_safe_next(self.get_argument("next", None)),
        )

    def get(self):
        self._form()

    async def post(self):
        cookie = self.get_cookie("rf_login_csrf")
        if not cookie or not secrets.compare_digest(cookie, self.get_body_argument("csrf", "")):
            return self._form("Siden var for gammel. Prøv igen.", 400)
        username = self.get_body_argument("username", "").strip()
        password = self.get_body_argument("password", "")
        # the attempt is counted before the password is checked (parallel guesses)
        slot = await self.in_thread(
            login_limiter(self.db_url).reserve, f"ip:{self.request.remote_ip or '?'}", f"user:{username.lower()[:100]}"
        )
        if slot is None:
            return self._form("For mange forkerte forsøg. Vent fem minutter, og prøv igen.", 429)
        ok = False
        try:
            ok = await self.in_thread(self._check, username, password)
        finally:
            await self.in_thread(slot.succeeded if ok else slot.failed)
        if not ok:
            return self._form("Forkert brugernavn eller adgangskode.", 403)
        self.clear_cookie("rf_login_csrf", path="/login")
        self.set_cookie(
            identity.ADMIN_COOKIE,
            identity.admin_token(username, secret=self.secret),
            httponly=True,
            samesite="Strict",
            path="/",
            secure=self.request.protocol == "https",
        )
        self.redirect(_safe_next(self.get_body_argument("next", None)))

    def _check(self, username: str, password: str) -> bool:
        with session_scope(self.db_url) as s:
            ok = authenticate(s, username, password)
            log_action(
                s,
                f"admin:{username}" if ok else f"ip:{self.request.remote_ip}",
                "login" if ok else "login.failed",
                "",
                "" if ok else f"username {username[:100]!r}",
            )
        return ok


class LogoutHandler(Handler):
    async def get(self):
        try:  # end the session server-side: a copy of the cookie stops working too
            claims = identity.admin_claims(self.cookie_header(), db_url=self.db_url, secret=self.secret)
        except identity.IdentityError:
            claims = None
        if claims is not None:
            await self.in_thread(self._end, claims)
        self.clear_cookie(identity.ADMIN_COOKIE, path="/")
        self.render_page("logout.html", title="Du er logget ud")

    def _end(self, claims: dict) -> None:
        with session_scope(self.db_url) as s:
            end_session(s, claims["v"], claims.get("s"))
            log_action(s, f"admin:{claims['v']}", "logout", "", "")


class AdgangHandler(Handler):
    """``/adgang/<token>``: a personal link. Verify, set the signed HttpOnly cookie, go to the book."""

    def get(self, token: str):
        self.set_header("Referrer-Policy", "no-referrer")  # the token must not leak onwards
        if not links_allowed(self.rf):  # a JupyterHub front door with links switched off (issue 19)
            self.set_status(403)
            return self.render_page("adgang_fejl.html", title="Linket virker ikke", message=LINKS_OFF)
        try:
            email = identity.verify("learner", token, max_age=identity.LEARNER_MAX_AGE, secret=self.secret)
            ensure_not_revoked(email, self.db_url, secret=self.secret)
        except identity.IdentityError as exc:
            self.set_status(403)
            return self.render_page("adgang_fejl.html", title="Linket virker ikke", message=str(exc))
        self.set_cookie(
            identity.LEARNER_COOKIE,
            token,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self.request.protocol == "https",
            max_age=identity.LEARNER_MAX_AGE,
        )
        self.redirect("/")


def routes(settings) -> list[tuple]:
    kw = {"settings": settings}
    return [
        (r"/login", LoginHandler, kw),
        (r"/logout", LogoutHandler, kw),
        (r"/adgang/([^/]*)", AdgangHandler, kw),
    ]
