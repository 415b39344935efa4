"""LTI 1.3 routes (``server.routes.ROUTE_MODULES``; prefix ``/lti/``).

- ``GET/POST /lti/login``: OIDC login initiation from the platform → redirect to its auth URL.
- ``POST /lti/launch``: the platform's signed launch. A valid launch opened as the whole window sets
  the learner cookie and goes to the module; inside the LMS's frame (``Sec-Fetch-Dest: iframe``,
  where third-party cookies are blocked) it shows a button that opens the module in a new window
  through a one-time ``/lti/start`` ticket. A refused launch: the Danish error page, nothing recorded.
- ``GET /lti/start?t=``: the new window: uses the ticket once, sets the learner cookie first-party.
- ``GET /lti/jwks.json``: the tool's public key set (the LMS's "public keyset URL").
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from rusfokus import identity
from rusfokus.content.registry import module as registry_module
from rusfokus.identity.revocation import ensure_not_revoked
from rusfokus.identity.web import Handler
from rusfokus.integrations.lti import keys, platforms, tool
from rusfokus.web.base import CSP_PAGES

log = logging.getLogger("rusfokus.integrations.lti")
HERE = Path(__file__).parent
MAX_PARAM = 20_000  # an id_token is a few kB


class _Base(Handler):
    TEMPLATES = HERE / "templates"

    def params(self) -> dict[str, str]:
        out = {}
        for name in self.request.arguments:
            value = self.get_argument(name, "")
            if len(name) <= 100 and len(value) <= MAX_PARAM:
                out[name] = value
        return out

    def secure(self) -> bool:
        return self.request.protocol == "https"

    def refused(self, exc: tool.LaunchRefused) -> None:
        log.info("lti: %s (%s)", exc.reason, self.request.remote_ip)
        self.set_status(exc.status)
        self.render_page("lti.html", kind="fejl", title="Kurset kan ikke åbne", message=exc.message)

    def allow_platform_frames(self) -> None:
        """The launch page may be shown in a registered platform's frame (CSP frame-ancestors)."""
        try:
            regs = platforms.load(self.rf.lti_file)
        except platforms.PlatformError:
            regs = ()
        origins = sorted(
            {
                f"{u.scheme}://{u.netloc}"
                for p in regs
                for u in (urlsplit(p.issuer), urlsplit(p.auth_login_url))
                if u.scheme and u.netloc
            }
        )
        self.set_header(
            "Content-Security-Policy",
            CSP_PAGES.replace("frame-ancestors 'self'", "frame-ancestors " + " ".join(["'self'", *origins])),
        )

    def set_learner_cookie(self, email: str) -> None:
        self.set_cookie(
            identity.LEARNER_COOKIE,
            identity.learner_token(email, secret=self.secret),
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self.secure(),
            max_age=identity.LEARNER_MAX_AGE,
        )


class LoginHandler(_Base):
    async def get(self):
        try:
            url = await self.in_thread(tool.login, self.rf, self.params(), self.secure())
        except tool.LaunchRefused as exc:
            return self.refused(exc)
        self.redirect(url)

    post = get


class LaunchHandler(_Base):
    async def post(self):
        self.set_header("Referrer-Policy", "no-referrer")
        self.allow_platform_frames()
        try:
            done = await self.in_thread(tool.launch, self.rf, self.params(), self.secure())
        except tool.LaunchRefused as exc:
            return self.refused(exc)
        mod = registry_module(done.module)
        if self.request.headers.get("Sec-Fetch-Dest", "") == "document":
            self.set_learner_cookie(done.email)
            return self.redirect(f"/modules/{mod.folder}/index.html", status=303)
        ticket = await self.in_thread(tool.start_ticket, self.rf, done.email, done.module)
        self.render_page("lti.html", kind="aabn", title=mod.caption, ticket=ticket, module_title=mod.caption)


class StartHandler(_Base):
    async def get(self):
        self.set_header("Referrer-Policy", "no-referrer")
        found = await self.in_thread(tool.use_ticket, self.rf, self.get_argument("t", ""))
        if found is None:
            return self.refused(
                tool.LaunchRefused(
                    "Knappen er for gammel eller er brugt. Åbn kurset fra dit LMS igen.", "start ticket unknown or used"
                )
            )
        email, module = found
        try:
            ensure_not_revoked(email, self.db_url, secret=self.secret)
        except identity.IdentityError as exc:
            return self.refused(tool.LaunchRefused(str(exc), "start for an erased person"))
        self.set_learner_cookie(email)
        self.redirect(f"/modules/{registry_module(module).folder}/index.html", status=303)


class JwksHandler(_Base):
    def get(self):
        self.set_header("Cache-Control", "max-age=300")
        self.reply_json(keys.jwks(keys.ensure(self.rf.lti_key_file)))


def routes(settings) -> list[tuple]:
    kw = {"settings": settings}
    return [
        (r"/lti/login", LoginHandler, kw),
        (r"/lti/launch", LaunchHandler, kw),
        (r"/lti/start", StartHandler, kw),
        (r"/lti/jwks\.json", JwksHandler, kw),
    ]
