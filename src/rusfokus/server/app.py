"""One process, one origin: the built book at ``/``, the Voilà apps of
``widgets/`` at ``/voila/render/<app>/index.ipynb`` with preheated kernels,
and the feature routes (exercises, progress, temadag).

Built on ``voila.app.Voila`` (standalone Voilà is the only mode with kernel
pools, see stack-notes). We drop Voilà's tree listing and contents API, guard
admin apps, keep the request-info socket to kernels only (and forget each
request's info once its kernel has read it), let only the page session that
opened a kernel talk to it or shut it down, and serve pages without CDN
references. Behind a trusted reverse proxy (``RUSFOKUS_TRUSTED_PROXY``) the
client address and scheme come from its X-Forwarded-* headers and cookies
get ``Secure`` on https.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import importlib
import logging
import os
import re
import secrets
import socket
from collections import OrderedDict
from pathlib import Path
from urllib.parse import quote

import tornado.web
from jupyter_client.provisioning import KernelProvisionerFactory
from jupyter_core.utils import ensure_async
from traitlets.config import Config

from rusfokus import identity
from rusfokus.kommune import KommuneError, load_kommune
from rusfokus.progress import upload
from rusfokus.server.apps import app_info, list_apps
from rusfokus.server.forkserver import PROVISIONER_NAME
from rusfokus.server.kernels import KernelBudgetManager, pool_sizes
from rusfokus.server.routes import ROUTE_MODULES, collect_routes
from rusfokus.settings import Secret, Settings
from rusfokus.voila_internals import (
    CONTENTS_API,
    STATIC_PREFIXES,
    KernelHandler,
    KernelRecorder,
    RequestInfoSocketHandler,
    TornadoVoilaHandler,
    TornadoVoilaTreeHandler,
    Voila,
    VoilaKernelWebsocketHandler,
    VoilaShutdownKernelHandler,
    drop_waiter,
    forget_request_info,
    share_template_code,
)
from rusfokus.web.base import (
    CSP_FRAMES,
    SecurityHeadersTransform,
    StaticHandler,
    render_shared,
    security_headers,
    write_danish_error,
)
from rusfokus.web.theme import theme_for

log = logging.getLogger("rusfokus.server")

_CDN_LINK = re.compile(r'<link[^>]+href="https://cdn\.jsdelivr\.net/[^"]*"[^>]*>\s*')
TEMPLATE_DIR = Path(__file__).parent / "templates" / "rusfokus"
LIVE_VERSION = "@RF_LIVE_VERSION@"  # placeholder in the template, replaced by the bundle's hash
FARVER_CSS = "@RF_FARVER_CSS@"  # placeholder in the template: the colours of kommune.yml (rusfokus.web.theme)
IDLE_SECONDS = "@RF_IDLE_SECONDS@"  # placeholder in the template: when an idle app lets its kernel go
LIVE_FILES = ("live.js", "live.css")
IOPUB_TIMEOUT_SECONDS = 60
"""How long Voilà waits, after an app cell's reply, for the cell's output (nbclient's default is 4 s)."""


class ServeError(Exception):
    """The server cannot start; the message says what to fix (operator, English)."""


def preflight(settings: Settings, require_book: bool = True) -> list[str]:
    """Check everything the server needs; raise ServeError naming the fix."""
    lines = []
    try:
        k = load_kommune(settings.kommune_file)
    except KommuneError as exc:
        raise ServeError(f"{exc}\nFix {settings.kommune_file} and run `make book` again.") from None
    lines.append(f"kommune.yml ok: {k.navn}, {k.rusmiddelcenter.navn}")
    if require_book:
        index = Path(settings.book_dir) / "index.html"
        if not index.is_file():
            raise ServeError(f"No built book at {settings.book_dir} (missing index.html). Run `make book` first.")
        lines.append(f"book ok: {settings.book_dir}")
    live = live_dir(settings)
    if not all((live / name).is_file() for name in LIVE_FILES):
        raise ServeError(f"The apps' front end is missing ({live}/live.js, live.css). Run `make assets` first.")
    lines.append(f"app front end ok: {live}")
    apps = list_apps(settings.widgets_dir)
    if not apps:
        raise ServeError(f"No apps found in {settings.widgets_dir} (expected <app>/index.ipynb).")
    lines.append(f"apps ok: {', '.join(a.name for a in apps)}")
    return lines


def live_dir(settings: Settings) -> Path:
    """Where `make assets` puts the apps' front end (src/rusfokus/frontend, bundled by esbuild)."""
    return Path(settings.root) / "assets" / "live"


def live_version(settings: Settings) -> str:
    digest = hashlib.sha256()
    for name in LIVE_FILES:
        digest.update((live_dir(settings) / name).read_bytes())
    return digest.hexdigest()[:16]


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"Port {port} on {host} is already in use. Stop the other program, "
                    f"or choose another port: `make run PORT=8870` / `rusfokus serve --port 8870` / RUSFOKUS_PORT."
                ) from None
            raise ServeError(f"Cannot listen on {host}:{port}: {exc.strerror}") from None


class BookHandler(StaticHandler):
    """The built Jupyter Book, with security headers and the Danish error page (rusfokus.web.base)."""

    CSP = CSP_FRAMES  # the book's pages run the theme's inline scripts

    def set_extra_headers(self, path):
        if path.endswith(".html") or path == "":
            self.set_header("Cache-Control", "no-cache")
            # a book page with several apps: their frames then share one page session
            # instead of racing to set one each
            page_session(self)


PAGE_COOKIE = "rf_page"
_PAGE_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
MAX_OWNED_KERNELS = 20000
KERNEL_OWNERS: OrderedDict[str, str] = OrderedDict()  # kernel id -> page session that opened it


def own_kernel(kernel_id: str, page_session: str) -> None:
    KERNEL_OWNERS[kernel_id] = page_session
    KERNEL_OWNERS.move_to_end(kernel_id)
    while len(KERNEL_OWNERS) > MAX_OWNED_KERNELS:
        KERNEL_OWNERS.popitem(last=False)


def forget_kernel(kernel_id: str) -> None:
    KERNEL_OWNERS.pop(kernel_id, None)
    forget_request_info(kernel_id)


def page_session(handler: tornado.web.RequestHandler) -> str:
    """The browser's page session id (a random HttpOnly cookie), set if missing."""
    current = handler.get_cookie(PAGE_COOKIE) or ""
    if _PAGE_ID.match(current):
        return current
    new = secrets.token_urlsafe(24)
    handler.set_cookie(PAGE_COOKIE, new, path="/", httponly=True, samesite="Lax")
    return new


def require_kernel_owner(handler: tornado.web.RequestHandler, kernel_id: str) -> None:
    """403 unless the request comes from the page session that opened this kernel."""
    owner = KERNEL_OWNERS.get(kernel_id)
    cookie = handler.get_cookie(PAGE_COOKIE) or ""
    if owner is None or not secrets.compare_digest(owner.encode(), cookie.encode()):
        log.warning(
            "refused %s %s for kernel %s: not its page session",
            handler.request.method,
            handler.request.path,
            kernel_id[:8],
        )
        raise tornado.web.HTTPError(403)


class GuardedVoilaHandler(TornadoVoilaHandler):
    """Voilà's render handler, limited to ``<app>/index.ipynb`` of widgets/,
    with admin apps behind the admin login, and pages without CDN links.
    The kernel a page gets belongs to the browser's page session (a random
    HttpOnly cookie): only that session may connect to it or shut it down."""

    _rf_page_session: str | None = None

    _rf_app: str = ""
    _rf_reserved = False  # admitted by the kernel budget, kernel not yet recorded

    @property
    def kernel_manager(self):
        km = self.settings["kernel_manager"]
        if self._rf_page_session is None:
            return km
        return KernelRecorder(km, self._rf_record_kernel, before=getattr(km, "mark_handing_out", None))

    def _rf_record_kernel(self, kernel_id: str) -> None:
        self._rf_kernel_id = kernel_id
        own_kernel(kernel_id, self._rf_page_session)
        km = self.settings["kernel_manager"]
        if isinstance(km, KernelBudgetManager) and self._rf_reserved:
            self._rf_reserved = False
            km.record_handout(kernel_id, self._rf_app, self._rf_page_session, self.request.remote_ip or "")

    def _page_session(self) -> str:
        return page_session(self)

    async def get(self, path=None):
        widgets_dir = self.settings["rusfokus_settings"].widgets_dir
        parts = (path or "").split("/")
        info = app_info(widgets_dir, parts[0]) if len(parts) == 2 and parts[1] == "index.ipynb" else None
        if info is None:
            raise tornado.web.HTTPError(404)
        if info.admin:
            try:
                rf = self.settings["rusfokus_settings"]
                identity.admin_from_cookie_header(
                    self.request.headers.get("Cookie"), db_url=rf.db_url, secret=identity.load_secret(rf.secret_file)
                )
            except identity.IdentityError:
                self.redirect("/login?next=" + quote(self.request.uri, safe=""))
                return
        security_headers(self)
        if info.learner and not self._has_identity():
            self._rf_notice_page(info.title, "log-ind", status=200)  # no kernel for a page that cannot show anything
            return
        page = self._page_session()
        km = self.settings["kernel_manager"]
        refused = km.admit(page) if isinstance(km, KernelBudgetManager) else ""
        if refused:
            count = km.note_refused()
            log.warning(
                "app %s refused (%s cap): %d kernels in use of %d, this page session holds %d (refusal %d)",
                info.name,
                refused,
                km.in_use(),
                km.max_kernels,
                km.held_by(page),
                count,
            )
            self._rf_busy_page(info.title)
            return
        self._rf_app = info.name
        self._rf_reserved = bool(isinstance(km, KernelBudgetManager))
        self._rf_page_session = page  # before the first flush
        self._rf_kernel_id = None
        try:
            return await super().get(path)
        finally:
            if self._rf_reserved:  # the page got no kernel (an error): give its place back
                self._rf_reserved = False
                km.unreserve(page)
            # The whole notebook has run: a kernel that wanted its request info has it.
            # Voilà would keep it (with the visitor's Cookie header) until anyone asked.
            if self._rf_kernel_id:
                forget_request_info(self._rf_kernel_id)

    def _has_identity(self) -> bool:
        """A signed learner cookie (personal link) or an admin session: checked again in the kernel."""
        cookie = self.request.headers.get("Cookie")
        rf = self.settings["rusfokus_settings"]
        secret = identity.load_secret(rf.secret_file)
        try:
            identity.learner_from_cookie_header(cookie, secret=secret)
            return True
        except identity.IdentityError:
            pass
        try:
            identity.admin_from_cookie_header(cookie, db_url=rf.db_url, secret=secret)
            return True
        except identity.IdentityError:
            return False

    def _rf_notice_page(self, title: str, kind: str, status: int) -> None:
        """A Danish notice instead of the app (web/templates/besked.html): "travlt" or "log-ind"."""
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(
            render_shared("besked.html", self.settings["rusfokus_settings"].kommune_file, title=title, kind=kind)
        )

    def _rf_busy_page(self, title: str) -> None:
        """Over a cap: a Danish notice that loads the app again by itself, a little later each time."""
        self.set_header("Retry-After", "5")
        self._rf_notice_page(title, "travlt", status=503)

    def write(self, chunk):
        # App pages come from our template (Danish, titled, no CDN); Voilà's own
        # error pages still link font-awesome from a CDN.
        if isinstance(chunk, str):
            chunk = chunk.replace(LIVE_VERSION, self.settings["rusfokus_live_version"])
            chunk = chunk.replace(IDLE_SECONDS, str(self.settings["rusfokus_settings"].cull_idle_seconds))
            if FARVER_CSS in chunk:
                chunk = chunk.replace(
                    FARVER_CSS, theme_for(self.settings["rusfokus_settings"].kommune_file).look().farver.url
                )
            if "cdn.jsdelivr.net" in chunk:
                chunk = _CDN_LINK.sub("", chunk)
        return super().write(chunk)

    def write_error(self, status_code, **kwargs):
        # the Danish error page of every other route, not Voilà's English one
        write_danish_error(self, status_code, kwargs.get("exc_info"), self.settings["rusfokus_settings"].kommune_file)


class KernelOnlyRequestInfoHandler(RequestInfoSocketHandler):
    """Request info (incl. the signed cookie) goes to kernels only.

    Kernels connect from this machine without an Origin header; a browser
    always sends one, so a browser can never read another request's info.
    """

    def check_origin(self, origin):
        return False

    def open(self, kernel_id):
        if self.request.headers.get("Origin"):
            self.close(code=4003, reason="forbidden")
            return
        if self.request.remote_ip not in ("127.0.0.1", "::1"):
            self.close(code=4003, reason="forbidden")
            return
        super().open(kernel_id)
        # The kernel reads its request once: the visitor's Cookie header must not
        # stay readable by kernel id for anyone who connects later.
        forget_request_info(kernel_id)

    def on_close(self):
        drop_waiter(self)  # never Voilà's on_close: it may drop another kernel's waiter


class OwnKernelHandler(KernelHandler):
    """GET/DELETE /api/kernels/<id>: only from the kernel's own page session."""

    async def prepare(self):
        await ensure_async(super().prepare())
        require_kernel_owner(self, self.path_kwargs.get("kernel_id") or self.path_args[0])

    async def delete(self, kernel_id):
        await super().delete(kernel_id)
        forget_kernel(kernel_id)


class OwnKernelShutdownHandler(VoilaShutdownKernelHandler):
    """POST /voila/api/shutdown/<id>: only from the kernel's own page session."""

    async def post(self, kernel_id):
        require_kernel_owner(self, kernel_id)
        await super().post(kernel_id)
        forget_kernel(kernel_id)


class ReleaseKernelHandler(tornado.web.RequestHandler):
    """POST /rusfokus/kernel/<id>/release: the app page is going (``navigator.sendBeacon`` from live.js
    on ``pagehide``, or the idle release after the warning): its kernel is shut down now. Only from
    the kernel's own page session (its SameSite cookie never comes with another site's POST)."""

    def check_xsrf_cookie(self):
        pass  # a beacon cannot send the XSRF header; the owner check below stands in for it

    async def post(self, kernel_id):
        security_headers(self)
        require_kernel_owner(self, kernel_id)
        km = self.settings["kernel_manager"]
        released = await km.release(kernel_id, "its page let it go") if isinstance(km, KernelBudgetManager) else False
        forget_kernel(kernel_id)
        self.set_status(204 if released else 404)
        self.finish()


class OwnKernelWebsocketHandler(VoilaKernelWebsocketHandler):
    """The kernel's channels (widgets; Voilà lets only comm, kernel-info and shutdown
    messages through): only for the kernel's own page session."""

    async def get(self, kernel_id):
        require_kernel_owner(self, kernel_id)
        return await super().get(kernel_id)

    async def open(self, kernel_id):
        km = self.settings["kernel_manager"]
        if isinstance(km, KernelBudgetManager):
            km.connected(kernel_id)
            self._rf_counted = kernel_id
        return await super().open(kernel_id)

    def on_close(self):
        kernel_id = getattr(self, "_rf_counted", None)
        if kernel_id:
            self._rf_counted = None
            self.settings["kernel_manager"].disconnected(kernel_id)
        return super().on_close()

    @property
    def max_message_size(self) -> int:
        """Tornado's 10 MiB per message for everyone; a signed-in admin (the dashboard's
        staff-list upload travels as one message) gets room for the largest file the
        dashboard accepts, so a too-big file is refused with its real reason."""
        try:
            rf = self.settings["rusfokus_settings"]
            identity.admin_from_cookie_header(
                self.request.headers.get("Cookie"), db_url=rf.db_url, secret=identity.load_secret(rf.secret_file)
            )
        except identity.IdentityError:
            return super().max_message_size
        return upload.WEBSOCKET_MAX_MESSAGE_BYTES


_plain_set_cookie = tornado.web.RequestHandler.set_cookie


def _set_cookie_secure_on_https(self, name, value, *args, **kwargs):
    if self.request.protocol == "https":
        kwargs["secure"] = True
    return _plain_set_cookie(self, name, value, *args, **kwargs)


def secure_cookies_on_https() -> None:
    """Every cookie any handler of this process sets gets ``Secure`` when the request
    came over https (with a trusted proxy: the scheme its X-Forwarded-Proto names)."""
    tornado.web.RequestHandler.set_cookie = _set_cookie_secure_on_https


_HASHED = re.compile(r"[.-][0-9a-f]{8,}\.(?:js|css|woff2?|ttf|eot|svg)$")


def cached_static(handler_cls):
    """Voilà serves its front-end files with ``no-cache``: every app load
    revalidates ~60 files. Files named by content hash (or with ``?v=``) never
    change, so browsers may keep them; the rest for an hour."""

    class Cached(handler_cls):
        def parse_url_path(self, url_path):
            try:
                return super().parse_url_path(url_path)
            except (AssertionError, ValueError, IndexError):  # Voilà asserts on odd paths (../): 404, not 500
                raise tornado.web.HTTPError(404) from None

        def set_headers(self):
            super().set_headers()
            path = self.request.path
            versioned = bool(self.get_query_argument("v", None)) or bool(_HASHED.search(path))
            self.set_header(
                "Cache-Control", "public, max-age=31536000, immutable" if versioned else "public, max-age=3600"
            )

        def write_error(self, status_code, **kwargs):
            self.clear_header("Cache-Control")
            self.set_header("Cache-Control", "no-store")
            write_danish_error(
                self, status_code, kwargs.get("exc_info"), self.settings["rusfokus_settings"].kommune_file
            )

    Cached.__name__ = f"Cached{handler_cls.__name__}"
    return Cached


class LiveStaticHandler(StaticHandler):
    """The apps' front end; the page asks for it with ``?v=<hash>``, so browsers keep it."""

    CSP = CSP_FRAMES


class RusfokusVoila(Voila):
    """Standalone Voilà with our routes, guards and the light app page.

    App pages use our template (templates/rusfokus/index.html.j2): Voilà runs
    the notebook as always, but the page loads one small script that connects
    to the kernel and shows the widgets, instead of a JupyterLab front end."""

    rf_settings: Settings | None = None

    def setup_template_dirs(self):
        super().setup_template_dirs()
        self.template_paths.insert(0, str(TEMPLATE_DIR))

    def init_settings(self):
        share_template_code()  # Jinja compiles Voilà's page templates once, not at every page render
        settings = super().init_settings()
        settings["rusfokus_settings"] = self.rf_settings
        settings["rusfokus_live_version"] = live_version(self.rf_settings)
        return settings

    def init_handlers(self):
        kept = []
        for spec in super().init_handlers():
            pattern, handler = spec[0], spec[1]
            kwargs = spec[2] if len(spec) > 2 else {}
            if handler is TornadoVoilaTreeHandler or CONTENTS_API in pattern:
                continue  # no listing of any folder
            if handler is TornadoVoilaHandler:
                handler = GuardedVoilaHandler
            if handler is RequestInfoSocketHandler:
                handler = KernelOnlyRequestInfoHandler
            if handler is KernelHandler:
                handler = OwnKernelHandler
            if handler is VoilaShutdownKernelHandler:
                handler = OwnKernelShutdownHandler
            if handler is VoilaKernelWebsocketHandler:
                handler = OwnKernelWebsocketHandler
            if any(pattern.startswith(prefix) for prefix in STATIC_PREFIXES) and issubclass(
                handler, tornado.web.StaticFileHandler
            ):
                handler = cached_static(handler)
            kept.append((pattern, handler, kwargs))
        extra = [
            (r"/rusfokus/live/(.*)", LiveStaticHandler, {"path": str(live_dir(self.rf_settings))}),
            (r"/rusfokus/kernel/([0-9a-f-]{36})/release", ReleaseKernelHandler),
        ]
        extra += collect_routes(self.rf_settings)
        book = [
            (
                r"/(.*)",
                BookHandler,
                {
                    "path": str(self.rf_settings.book_dir),
                    "default_filename": "index.html",
                    "settings": self.rf_settings,
                },
            )
        ]
        return extra + kept + book

    def listen(self):
        secure_cookies_on_https()
        self.app.transforms.append(SecurityHeadersTransform)  # Voilà's own handlers too
        if self.rf_settings.trusted_proxy:
            # client address from X-Forwarded-For / X-Real-Ip, scheme from X-Forwarded-Proto
            listen = self.app.listen
            self.app.listen = lambda port, address=None, **kw: listen(port, address, xheaders=True, **kw)
            log.info("trusted proxy: client address and scheme come from X-Forwarded-* headers")
        return super().listen()


def voila_config(settings: Settings) -> Config:
    c = Config()
    c.Voila.ip = settings.host
    c.Voila.port = settings.port
    c.Voila.port_retries = 0
    c.Voila.open_browser = False
    c.Voila.root_dir = str(settings.widgets_dir)
    c.VoilaConfiguration.preheat_kernel = True
    c.VoilaConfiguration.default_pool_size = settings.pool_size
    c.VoilaConfiguration.http_header_envs = ["Cookie"]
    c.VoilaConfiguration.show_tracebacks = False
    # nbclient waits 4 s after a cell's reply for its output; a pool of kernels starting at once on a busy server
    # takes longer, and the page then came without its widgets (CI: 18 of 18 preheated calculators empty).
    c.VoilaExecutor.iopub_timeout = IOPUB_TIMEOUT_SECONDS
    c.VoilaConfiguration.file_allowlist = [r".*\.(png|jpg|jpeg|gif|svg|css)$"]
    c.HTMLExporter.language_code = "da"
    pools = {"default": {"pool_size": settings.pool_size}}
    denylist = []
    sizes = pool_sizes(list_apps(settings.widgets_dir), settings.pool_size, settings.max_kernels)
    for app in list_apps(settings.widgets_dir):
        if app.admin and not app.pool_size:  # an admin app is preheated only when it asks (the dashboard)
            denylist.append(f"{app.name}/index.ipynb")
        elif app.pool_size is not None or app.name in sizes:  # trimmed to the cap (kernels.pool_sizes)
            pools[f"{app.name}/index.ipynb"] = {"pool_size": sizes.get(app.name, 0)}
    c.VoilaKernelManager.kernel_pools_config = pools
    c.VoilaKernelManager.preheat_denylist = denylist
    c.VoilaConfiguration.multi_kernel_manager_class = KernelBudgetManager  # caps, culling rule, release
    c.KernelBudgetManager.max_kernels = settings.max_kernels
    c.KernelBudgetManager.pool_total = pool_total(settings)
    c.KernelBudgetManager.kernels_per_visitor = settings.kernels_per_visitor
    c.KernelBudgetManager.release_seconds = float(settings.release_seconds)
    if settings.fork_kernels:  # kernels forked from a warm template (rusfokus.server.forkserver)
        c.KernelProvisionerFactory.default_provisioner_name = PROVISIONER_NAME
    c.MappingKernelManager.cull_idle_timeout = settings.cull_idle_seconds
    c.MappingKernelManager.cull_interval = settings.cull_interval_seconds
    c.MappingKernelManager.cull_connected = False
    c.KernelManager.transport = "ipc"  # kernels talk over private socket files, not TCP
    return c


def pool_total(settings: Settings) -> int:
    """Preheated kernels all pools keep ready (they count against RUSFOKUS_MAX_KERNELS)."""
    return sum(pool_sizes(list_apps(settings.widgets_dir), settings.pool_size, settings.max_kernels).values())


KERNEL_HIDDEN_ENV = ("RUSFOKUS_SMTP_PASSWORD",)
"""Secrets the server has read into its Settings and the app kernels never need: taken out of the
environment the kernels inherit (the server keeps them in its Settings object)."""


def export_environment(settings: Settings) -> None:
    """Kernels inherit the server's environment and read their Settings from it once (in build_app):
    give them every setting the server runs with (command-line options and defaults included), and
    none of the secrets in KERNEL_HIDDEN_ENV."""
    for name in KERNEL_HIDDEN_ENV:
        os.environ.pop(name, None)
    for _name, env, value, _source, _help in settings.rows():
        if env in KERNEL_HIDDEN_ENV or isinstance(value, Secret) or value is None:
            continue
        os.environ[env] = str(value)


def run_hooks(name: str, settings: Settings) -> None:
    """Call ``startup`` or ``shutdown`` of every route module that has it; one failing hook
    is logged and does not keep the others from running."""
    for modname in ROUTE_MODULES:
        hook = getattr(importlib.import_module(modname), name, None)
        if hook is not None:
            try:
                hook(settings)
            except Exception:
                log.exception("%s of %s failed", name, modname)


FREEZE_AGAIN_SECONDS = 30.0
"""When the server freezes its heap a second time: the grader's warm-up (nbgrader, nbconvert and a spare kernel,
imported in its own thread after the startup hooks) is done by then on this machine."""


def freeze_startup_heap() -> None:
    """Keep what the server built while starting out of the garbage collector's full passes (``gc.freeze``).

    The server's heap after startup is some 400,000 objects (the Jupyter stack, Voilà, SQLAlchemy, nbgrader, the
    routes). Every full pass of the collector walked them all while holding the GIL, which stopped the whole
    process (its long-polls, its temadag answers) for 0.7-1.3 s on the 2-core test machine, about every 30 s while
    hand-ins were graded: P9 measured answer → projector p95 over 2 s with 2 copies (issue 19). With the heap
    frozen a full pass walks the 20,000-90,000 objects made since. Frozen objects are still freed by reference
    counting (a startup object that later ends in a reference cycle is kept). ``gc.collect`` first, so no garbage
    is frozen. Called once the startup hooks ran and again after FREEZE_AGAIN_SECONDS."""
    gc.collect()
    gc.freeze()
    log.info("heap frozen for the garbage collector: %d objects", gc.get_freeze_count())


def serve(settings: Settings, open_browser: bool = False) -> int:
    """Run the server with ``settings`` (made once by the CLI from the environment and its options)."""
    try:
        for line in preflight(settings):
            print(line, flush=True)
        check_port_free(settings.host, settings.port)
    except ServeError as exc:
        print(f"error: {exc}", flush=True)
        return 2
    settings.ensure_home()
    identity.load_secret(settings.secret_file)
    export_environment(settings)
    app = RusfokusVoila(config=voila_config(settings))
    # jupyter_client's provisioner factory is one object per process, configured by the first kernel manager
    # that asks for it. Made here from the server's config, so every kernel is started as configured (forked
    # from the template with RUSFOKUS_FORK_KERNELS): with RUSFOKUS_POOL_SIZE=0 the grader's spare kernel came
    # first, from a manager without this config, and every app kernel then started as a fresh Python.
    KernelProvisionerFactory.instance(parent=app)
    app.rf_settings = settings
    app.initialize([])
    tornado.ioloop.IOLoop.current().add_callback(run_hooks, "startup", settings)
    tornado.ioloop.IOLoop.current().add_callback(freeze_startup_heap)  # after the hooks (the same loop turn)
    tornado.ioloop.IOLoop.current().call_later(FREEZE_AGAIN_SECONDS, freeze_startup_heap)  # the grader's warm-up
    print(f"rusfokus is serving the book and the apps at http://{settings.host}:{settings.port}/", flush=True)
    try:
        app.start()
    finally:
        run_hooks("shutdown", settings)
    return 0
