"""HTTP routes of the temadag kit: plain tornado handlers, small server-rendered pages.

Mounted by ``rusfokus serve`` through ``rusfokus.server.routes.ROUTE_MODULES``.
Pages live under ``/temadag/``, JSON under ``/api/temadag/``. Facilitator
pages need the signed admin cookie; participants are identified by a signed
``rf_temadag`` cookie set at check-in. Live updates use long-polling
(``?since=<version>``), so 60 phones cost 60 idle connections, no kernels.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import tornado.escape
import tornado.ioloop
import tornado.web
from sqlalchemy.orm import object_session
from tornado.ioloop import PeriodicCallback
from tornado.locks import Condition

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.identity.roles import Role, current_role
from rusfokus.identity.web import Handler
from rusfokus.temadag import codes, store, wake
from rusfokus.temadag.live import LiveSession
from rusfokus.temadag.questions import questions_for

HERE = Path(__file__).parent
log = logging.getLogger("rusfokus.temadag")
PARTICIPANT_COOKIE = "rf_temadag"
PARTICIPANT_MAX_AGE = 16 * 3600
LONG_POLL_SECONDS = 25.0
POLL_SECONDS = 1.0
"""How often a copy reads the counters of the rooms its long-polls wait for when it cannot hear NOTIFY."""
LISTENING_POLL_SECONDS = 5.0
"""The same while its LISTEN connection is up: only a safety net then."""


class SharedBadCodes:
    """``codes.BadCodeLimiter``'s rule (per guesser, and a ceiling per address, per code window) counted in the
    database, so that N copies behind a balancer allow no more wrong codes than one."""

    def __init__(
        self, db_url: str, per_guesser: int = codes.MAX_BAD_PER_GUESSER, per_address: int = codes.MAX_BAD_PER_ADDRESS
    ):
        self.db_url, self.per_guesser, self.per_address = db_url, per_guesser, per_address

    @staticmethod
    def _keys(guesser: str | None, address: str) -> tuple[str, str]:
        return (f"g:{guesser}" if guesser else f"anon:{address}"), address

    def blocked(self, guesser: str | None, address: str, now: float) -> bool:
        mine, addr = self._keys(guesser, address)
        with session_scope(self.db_url) as session:
            store.clear_bad_codes(session, codes.window_of(now))  # no address is kept longer than it limits
            by_guesser, by_address = store.bad_codes(session, codes.window_of(now), mine, addr)
        return by_guesser >= self.per_guesser or by_address >= self.per_address

    def add(self, guesser: str | None, address: str, now: float) -> None:
        mine, addr = self._keys(guesser, address)
        with session_scope(self.db_url) as session:
            store.add_bad_code(session, codes.window_of(now), mine, addr)


class Hub:
    """Per-copy state: settings, secret, clock, and a cache of the live rooms with their wake-up conditions.

    The live state itself is in the database (``store.load_live`` / ``act_live`` / ``answer_live``), shared
    by every copy. ``sessions`` holds the last state this copy read of each room; ``known`` the newest
    counters (version, answers_version) it has heard of: from its own writes, from NOTIFY (another copy's
    writes, PostgreSQL) or from the short poll of the counters while long-polls wait. A room is read again
    only when a counter heard of is newer than its cached state, so 60 phones woken by one "next" cost one read.
    """

    def __init__(self, settings, clock=time.time):
        self.settings = settings
        self.db_url = settings.db_url
        self.secret = identity.load_secret(settings.secret_file)
        self.clock = clock
        self.sessions: dict[int, LiveSession] = {}
        self.known: dict[int, tuple[int, int]] = {}
        self.changed: dict[int, Condition] = {}
        self.waiting: dict[int, int] = {}
        self.bad_codes = SharedBadCodes(self.db_url)
        self._questions: dict[tuple[str, ...], list] = {}
        self.listener: wake.Listener | None = None
        self._poller: PeriodicCallback | None = None
        self._polling = False
        self._last_poll = 0.0

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock())

    def questions(self, row) -> list:
        """The live questions of the temadag's modules (read once per copy from the content files)."""
        modules = store.modules_of(row)
        if modules not in self._questions:
            self._questions[modules] = questions_for(list(modules), self.settings.content_dir)
        return self._questions[modules]

    # --- reading ----------------------------------------------------------------------------------------
    def _fresh(self, temadag_id: int) -> LiveSession | None:
        live = self.sessions.get(temadag_id)
        if live is None:
            return None
        v, av = self.known.get(temadag_id, (live.version, live.answers_version))
        return live if live.version >= v and live.answers_version >= av else None

    def live_by_id(self, temadag_id: int) -> LiveSession:
        """The room as stored; read from the database when this copy has heard of a newer state."""
        live = self._fresh(temadag_id)
        if live is not None:
            return live
        with session_scope(self.db_url) as session:
            row = store.get(session, temadag_id)
            if row is None:
                raise tornado.web.HTTPError(404, reason="Temadagen findes ikke.")
            live = store.load_live(session, row.id, self.questions(row), self.now())
        self.remember(temadag_id, live)
        return live

    def reload(self, temadag_id: int) -> None:
        """Read the room again now (its modules were changed on this copy: questions and counters reset)."""
        self.sessions.pop(temadag_id, None)
        try:
            self.live_by_id(temadag_id)
        except tornado.web.HTTPError:
            pass

    def remember(self, temadag_id: int, live: LiveSession) -> None:
        self.sessions[temadag_id] = live
        self.heard(temadag_id, live.version, live.answers_version)

    # --- writing (each in one transaction; NOTIFY tells the other copies) --------------------------------
    def act(self, row, action: str) -> LiveSession:
        """The facilitator's step; LiveError (Danish) leaves the room as it was."""
        session = object_session(row)
        live = store.act_live(session, row.id, self.questions(row), action, self.now())
        return live

    def answer(self, temadag_id: int, participant_id: int, question_id: str, option) -> tuple | None:
        """Runs in a worker thread: (answers to the question, version, answers_version) or None (check-in gone)."""
        with session_scope(self.db_url) as session:
            row = store.get(session, temadag_id)
            if row is None:
                raise tornado.web.HTTPError(404, reason="Temadagen findes ikke.")
            return store.answer_live(
                session, temadag_id, self.questions(row), participant_id, question_id, option, self.now()
            )

    def forget(self, temadag_id: int, participant_id: int) -> None:
        """A check-in was removed or rejected: its live answers went with it (foreign key); projectors reload."""
        with session_scope(self.db_url) as session:
            counters = store.touch_live(session, temadag_id, self.now())
        if counters is not None:
            self.heard(temadag_id, *counters)

    # --- waking ---------------------------------------------------------------------------------------------
    def heard(self, temadag_id: int, version: int, answers_version: int) -> None:
        """A state with these counters exists (own write, NOTIFY or poll): wake the long-polls if it is news."""
        old = self.known.get(temadag_id, (-1, -1))
        new = (max(old[0], version), max(old[1], answers_version))
        if new != old:
            self.known[temadag_id] = new
            self.notify(temadag_id)

    def notify(self, temadag_id: int) -> None:
        cond = self.changed.get(temadag_id)
        if cond is not None:
            cond.notify_all()

    def counters(self, temadag_id: int) -> tuple[int, int]:
        """The newest (version, answers_version) heard of."""
        if temadag_id not in self.known:
            self.live_by_id(temadag_id)
        return self.known[temadag_id]

    async def wait(self, temadag_id: int, done, timeout: float = LONG_POLL_SECONDS) -> None:
        """Wait until ``done()`` is true or the timeout passes (long-poll)."""
        self.start_waking()
        deadline = time.monotonic() + timeout
        cond = self.changed.setdefault(temadag_id, Condition())
        self.waiting[temadag_id] = self.waiting.get(temadag_id, 0) + 1
        try:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                await cond.wait(timeout=dt.timedelta(seconds=left))
        finally:
            self.waiting[temadag_id] -= 1
            if not self.waiting[temadag_id]:
                del self.waiting[temadag_id]

    def start_waking(self) -> None:
        """On the first long-poll: the LISTEN connection (PostgreSQL) and the poll of the counters."""
        if self._poller is not None:
            return
        loop = tornado.ioloop.IOLoop.current()
        if wake.listens(self.db_url):
            self.listener = wake.Listener(self.db_url, loop.add_callback, self._on_payload, self._poll_now).start()
        self._poller = PeriodicCallback(self._poll, POLL_SECONDS * 1000)
        self._poller.start()

    def close(self) -> None:
        if self._poller is not None:
            self._poller.stop()
        if self.listener is not None:
            self.listener.stop()

    def _on_payload(self, payload: str) -> None:
        try:
            tid, version, answers_version = (int(x) for x in payload.split(":"))
        except ValueError:
            return
        self.heard(tid, version, answers_version)

    def _poll_now(self) -> None:
        self._last_poll = 0.0
        tornado.ioloop.IOLoop.current().add_callback(self._poll)

    async def _poll(self) -> None:
        """The counters of the rooms someone waits for, read in a worker thread: every POLL_SECONDS while
        NOTIFY cannot be heard (SQLite, or the listener is reconnecting), else every LISTENING_POLL_SECONDS."""
        if not self.waiting or self._polling:
            return
        listening = self.listener is not None and self.listener.alive
        if listening and time.monotonic() - self._last_poll < LISTENING_POLL_SECONDS:
            return
        self._polling, self._last_poll = True, time.monotonic()
        try:
            found = await tornado.ioloop.IOLoop.current().run_in_executor(None, self._read_counters, list(self.waiting))
        except Exception as exc:  # the database is away: the long-polls time out and come back
            log.warning("temadag poll failed: %s", exc)
            return
        finally:
            self._polling = False
        for tid, (version, answers_version) in found.items():
            self.heard(tid, version, answers_version)

    def _read_counters(self, temadag_ids: list[int]) -> dict[int, tuple[int, int]]:
        with session_scope(self.db_url) as session:
            return store.live_counters(session, temadag_ids)


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
