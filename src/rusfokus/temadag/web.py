"""HTTP routes of the temadag kit: plain tornado handlers, small server-rendered pages.

Mounted by ``rusfokus serve`` through ``rusfokus.server.routes.ROUTE_MODULES``.
Pages live under ``/temadag/``, JSON under ``/api/temadag/``. Facilitator
pages need the signed admin cookie; participants are identified by a signed
``rf_temadag`` cookie set at check-in. Live updates use long-polling
(``?since=<version>``), so 60 phones cost 60 idle connections, no kernels.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import tornado.escape
import tornado.web
from sqlalchemy.orm import object_session
from tornado.locks import Condition

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.identity.roles import Role, current_role
from rusfokus.identity.web import Handler
from rusfokus.temadag import codes, store
from rusfokus.temadag.live import LiveSession
from rusfokus.temadag.questions import questions_for

HERE = Path(__file__).parent
PARTICIPANT_COOKIE = "rf_temadag"
PARTICIPANT_MAX_AGE = 16 * 3600
LONG_POLL_SECONDS = 25.0


class Hub:
    """Process-wide state: settings, secret, clock, live sessions and their wake-up conditions."""

    def __init__(self, settings, clock=time.time):
        self.settings = settings
        self.db_url = settings.db_url
        self.secret = identity.load_secret(settings.secret_file)
        self.clock = clock
        self.sessions: dict[int, LiveSession] = {}
        self.changed: dict[int, Condition] = {}
        self.bad_codes = codes.BadCodeLimiter()

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock())

    def live(self, row) -> LiveSession:
        """The live session of ``row``; loaded from the database (phase, question, answers) after a restart."""
        live = self.sessions.get(row.id)
        if live is None:
            live = LiveSession(questions_for(list(store.modules_of(row)), self.settings.content_dir))
            db = object_session(row)
            if db is not None:
                store.restore_live(db, row.id, live)
            live = self.sessions.setdefault(row.id, live)
            self.changed.setdefault(row.id, Condition())
        return live

    def live_by_id(self, temadag_id: int) -> LiveSession:
        if temadag_id in self.sessions:
            return self.sessions[temadag_id]
        with session_scope(self.db_url) as session:
            row = store.get(session, temadag_id)
            if row is None:
                raise tornado.web.HTTPError(404, reason="Temadagen findes ikke.")
            return self.live(row)

    def save_live(self, temadag_id: int) -> None:
        """Write the facilitator's step (phase, question, counters) to the database."""
        live = self.sessions.get(temadag_id)
        if live is not None:
            with session_scope(self.db_url) as session:
                store.save_live(session, temadag_id, live, self.now())

    def forget(self, temadag_id: int, participant_id: int) -> None:
        """A check-in was removed or rejected: its live answers go too (the rows go by foreign key)."""
        live = self.sessions.get(temadag_id)
        if live is not None:
            live.forget(str(participant_id))
            self.notify(temadag_id)

    def notify(self, temadag_id: int) -> None:
        cond = self.changed.get(temadag_id)
        if cond is not None:
            cond.notify_all()

    async def wait(self, temadag_id: int, done, timeout: float = LONG_POLL_SECONDS) -> None:
        """Wait until ``done()`` is true or the timeout passes (long-poll)."""
        deadline = time.monotonic() + timeout
        cond = self.changed[temadag_id]
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await cond.wait(timeout=dt.timedelta(seconds=left))


class BaseHandler(Handler):
    """The temadag pages and JSON: ``rusfokus.identity.web.Handler`` with the hub's settings, database
    and secret; own CSRF checks (see ``check_csrf`` and the JSON header check)."""

    TEMPLATES = str(HERE / "templates")
    ERROR_LINKS = (("/temadag/ind", "Gå til tjek ind"),)

    def initialize(self, hub: Hub):
        self.hub = hub
        self.rf = hub.settings
        self.db_url = hub.db_url
        self.secret = hub.secret

    def db(self):
        return session_scope(self.hub.db_url)

    def render_page(self, template: str, **kw):
        kw.setdefault("title", "Temadag")
        super().render_page(template, **kw)

    def get_template_namespace(self):
        ns = super().get_template_namespace()
        ns["viewer_role"] = self.viewer_role
        return ns

    def viewer_role(self) -> Role:
        """For pages that show the "For nøglepersoner" entry: the nøgleperson role of a
        signed-in learner (looked up only when the page asks, and only with a learner cookie)."""
        if identity.cookie_value(self.cookie_header(), identity.LEARNER_COOKIE) is None:
            return Role()
        return current_role(self.cookie_header(), db_url=self.hub.db_url, secret=self.hub.secret, admin_first=False)

    # --- CSRF for HTML forms: a signed value bound to who is logged in -------------
    def csrf_token(self, subject: str) -> str:
        return identity.sign("temadag-csrf", subject, secret=self.hub.secret)

    def check_csrf(self, subject: str) -> None:
        try:
            ok = (
                identity.verify(
                    "temadag-csrf",
                    self.get_body_argument("_csrf", ""),
                    max_age=PARTICIPANT_MAX_AGE,
                    secret=self.hub.secret,
                )
                == subject
            )
        except identity.IdentityError:
            ok = False
        if not ok:
            raise tornado.web.HTTPError(403, reason="Formularen er udløbet. Genindlæs siden og prøv igen.")

    def check_json_request(self) -> None:
        """JSON POSTs need a header a cross-site form cannot set."""
        if self.request.headers.get("X-Rusfokus") != "1":
            raise tornado.web.HTTPError(403)


class AdminMixin:
    """Who may run temadage: an admin (every temadag) or a nøgleperson (temadage whose invited
    institutions include her own). Others get the login page or a Danish refusal."""

    def require_admin(self) -> str:
        """Admin only (no nøgleperson)."""
        role = self.role()
        if not role.is_admin:
            self._refuse(role)
        return role.who

    def require_facilitator(self) -> Role:
        role = self.role()
        if not role.may_facilitate:
            self._refuse(role)
        return role

    def _refuse(self, role: Role):
        if role.kind and not self.request.path.startswith("/api/"):  # a signed-in learner: no login loop
            raise tornado.web.HTTPError(403, reason=NOT_FOR_LEARNERS)
        if self.request.path.startswith("/api/"):
            raise tornado.web.HTTPError(401 if not role.kind else 403, reason="Log ind som facilitator.")
        self.redirect("/login?next=" + tornado.escape.url_escape(self.request.uri))
        raise tornado.web.Finish()

    def may_see(self, row) -> bool:
        """Admin: every temadag. Nøgleperson: one of the invited institutions is hers."""
        return may_facilitate(self.role(), store.institutions_of(row))


NOT_FOR_LEARNERS = (
    "Siden er kun for nøglepersoner og rusmiddelcentret. Er du nøgleperson, så åbn kurset via dit personlige link."
)


_same_name = store._norm_name  # the roster's institution matching (trimmed, case-folded)


def may_facilitate(role: Role, institutions) -> bool:
    if role.is_admin:
        return True
    if not role.is_noegleperson:
        return False
    own = {_same_name(n) for n in role.institution_names}
    return any(_same_name(i) in own for i in institutions)


def participant_of(handler: BaseHandler, temadag_id: int) -> int | None:
    """The checked-in participant id for this temadag, from the signed cookie."""
    token = identity.cookie_value(handler.cookie_header(), PARTICIPANT_COOKIE)
    try:
        value = identity.verify("temadag-deltager", token, max_age=PARTICIPANT_MAX_AGE, secret=handler.hub.secret)
        tid, pid = (int(x) for x in value.split(":"))
    except (identity.IdentityError, ValueError):
        return None
    return pid if tid == temadag_id else None
