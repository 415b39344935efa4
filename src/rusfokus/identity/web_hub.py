"""The JupyterHub login routes (issue 19; ``rusfokus.identity.hub`` does the mapping).

- ``GET /hub/login?next=<path>``: start the Hub's OAuth: a signed, short-lived state cookie,
  then the Hub's authorize page (the Hub logs the person in; ``oauth_no_confirm`` skips its
  "authorize" question).
- ``GET /hub/oauth_callback``: check the state, exchange the code with the Hub
  (``HubOAuth.token_for_code``), ask the Hub who it is (``HubOAuth.user_for_token``: name and
  groups), map it (``hub.map_hub_user``) and set rusfokus's own signed admin or learner cookie;
  nothing else is kept, so any copy of rusfokus can finish a login another copy started.
- ``GET /hub/whoami``: JSON of who this browser is in rusfokus (role, own e-mail or admin name,
  whether Hub login is on), for operators checking a set-up. Nothing about anyone else.

Without a Hub configured, ``/hub/login`` and ``/hub/oauth_callback`` answer 404.
"""

from __future__ import annotations

import logging
import secrets

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.identity.hub import LOGIN_FAILED, HubConfig, HubIdentity, hub_config, make_hub_auth, map_hub_user
from rusfokus.identity.web import AFTER_LOGIN, Handler
from rusfokus.progress.audit import log_action

log = logging.getLogger("rusfokus.identity.hub")
STATE_COOKIE = "rf_hub_state"
STATE_MAX_AGE = 600


class HubHandler(Handler):
    cfg: HubConfig | None = None

    def initialize(self, settings, secret: bytes | None = None, hub: HubConfig | None = None, hub_auth=None):
        super().initialize(settings, secret)
        self.cfg = hub
        self.hub_auth = hub_auth

    def _refuse(self, message: str, status: int = 403) -> None:
        self.set_status(status)
        self.render_page("hub_fejl.html", title="Ingen adgang til rusfokus", message=message, hub=self.cfg)


class HubLoginHandler(HubHandler):
    def get(self):
        if self.cfg is None:
            return self.send_error(404)
        state = secrets.token_urlsafe(24)
        next_path = identity.safe_next_path(self.get_argument("next", None), AFTER_LOGIN)
        self.set_cookie(
            STATE_COOKIE,
            identity.sign("hubstate", state, secret=self.secret, extra={"n": next_path}),
            path="/hub/",
            httponly=True,
            samesite="Lax",  # the Hub sends the browser back with a top-level GET
            secure=self.request.protocol == "https",
            max_age=STATE_MAX_AGE,
        )
        self.redirect(self.cfg.login_redirect(state))


class HubCallbackHandler(HubHandler):
    async def get(self):
        if self.cfg is None:
            return self.send_error(404)
        self.set_header("Referrer-Policy", "no-referrer")  # the code must not leak onwards
        try:
            claims = identity.verify_claims(
                "hubstate", self.get_cookie(STATE_COOKIE), max_age=STATE_MAX_AGE, secret=self.secret
            )
        except identity.IdentityError:
            claims = None
        self.clear_cookie(STATE_COOKIE, path="/hub/")
        arg_state = self.get_argument("state", "")
        code = self.get_argument("code", "")
        if claims is None or not arg_state or not secrets.compare_digest(claims["v"], arg_state) or not code:
            return self._refuse(LOGIN_FAILED)
        try:
            token = await self.hub_auth.token_for_code(code, sync=False)
            model = await self.hub_auth.user_for_token(token, use_cache=False, sync=False)
        except Exception as exc:  # a forged or used code, the Hub down: no identity
            log.warning("Hub OAuth callback failed: %s", exc)
            return self._refuse(LOGIN_FAILED)
        if not model:
            return self._refuse(LOGIN_FAILED)
        who: HubIdentity = await self.in_thread(map_hub_user, model, self.cfg, self.db_url, self.secret)
        await self.in_thread(self._audit, who)
        if not who.kind:
            return self._refuse(who.message)
        secure = self.request.protocol == "https"
        if who.kind == "admin":
            self.set_cookie(
                identity.ADMIN_COOKIE,
                identity.admin_token(who.admin, secret=self.secret),
                httponly=True,
                samesite="Strict",
                path="/",
                secure=secure,
            )
        else:
            self.set_cookie(
                identity.LEARNER_COOKIE,
                identity.learner_token(who.email, secret=self.secret),
                path="/",
                httponly=True,
                samesite="Lax",
                secure=secure,
                max_age=identity.LEARNER_MAX_AGE,
            )
        self.redirect(identity.safe_next_path(claims.get("n"), AFTER_LOGIN))

    def _audit(self, who: HubIdentity) -> None:
        with session_scope(self.db_url) as s:
            if who.kind == "admin":
                log_action(s, f"admin:{who.admin}", "login", "", "JupyterHub")
            else:
                log_action(s, f"hub:{who.hub_user[:100]}", "hub.login" if who.kind else "hub.login.refused", "", "")


class HubWhoamiHandler(HubHandler):
    def get(self):
        self.set_header("Cache-Control", "no-store")
        role = self.role()
        self.reply_json({"role": role.kind, "who": role.who, "hub": self.cfg is not None})


def routes(settings) -> list[tuple]:
    cfg = hub_config(settings)
    kw = {"settings": settings, "hub": cfg, "hub_auth": make_hub_auth(cfg) if cfg is not None else None}
    return [
        (r"/hub/login", HubLoginHandler, kw),
        (r"/hub/oauth_callback", HubCallbackHandler, kw),
        (r"/hub/whoami", HubWhoamiHandler, kw),
    ]
