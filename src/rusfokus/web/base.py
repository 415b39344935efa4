"""The one request base of every rusfokus page and API handler.

``BaseHandler`` gives each response the security headers (CSP, nosniff, referrer policy,
frame options, no-store), answers errors in Danish (the shared error page for a page, a
``{"status": "fejl", "fejl": ...}`` body for JSON), replies JSON with ``reply_json``, renders
templates that always autoescape (the feature's own folder first, then ``web/templates`` with
``page.html``, the one page shell) and gives templates the municipality's look (``theme()``).
Who is asking (learner, admin, role; revocation checked) is added one layer up, in
``rusfokus.identity.web.Handler``: identity sits above this base layer, so every feature handler
subclasses that one, and the server's own handlers subclass this one.

Files are served by ``StaticHandler`` (tornado's StaticFileHandler on this base). Voilà's own
handlers cannot subclass it: ``SecurityHeadersTransform`` gives their responses the headers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import tornado.escape
import tornado.template
import tornado.web

from rusfokus.web.theme import Theme, theme_for

log = logging.getLogger("rusfokus.web")
TEMPLATES = Path(__file__).parent / "templates"

CSP_PAGES = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
)
"""Server-rendered pages and JSON: only this origin's files, no inline script or style."""
CSP_FRAMES = "frame-ancestors 'self'"
"""What every other response carries (the book, Voilà's app pages that need inline script)."""
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
}

SERVER_ERROR = "Der skete en fejl på serveren. Prøv igen om lidt."
DANISH_ERRORS = {
    400: "Forespørgslen kunne ikke læses. Genindlæs siden, og prøv igen.",
    401: "Du skal logge ind for at se siden.",
    403: "Du har ikke adgang til siden.",
    404: "Siden findes ikke. Tjek, at adressen er skrevet rigtigt.",
    405: "Siden kan ikke bruges på den måde.",
    409: "Det kan ikke lade sig gøre lige nu. Genindlæs siden.",
    413: "Det, du sendte, er for stort.",
    415: "Forkert format.",
    429: "For mange forsøg. Vent lidt, og prøv igen.",
    500: SERVER_ERROR,
    503: "Siden er ikke klar lige nu. Prøv igen om lidt.",
}
ERROR_TITLES = {404: "Siden findes ikke", 403: "Ingen adgang", 401: "Ingen adgang"}


def security_headers(handler: tornado.web.RequestHandler, csp: str = CSP_FRAMES) -> None:
    """The headers every response carries, for handlers that cannot subclass BaseHandler."""
    handler.set_header("Content-Security-Policy", csp)
    for name, value in SECURITY_HEADERS.items():
        handler.set_header(name, value)


def danish_error(status_code: int, exc_info=None) -> str:
    """The Danish message for an error: the reason a handler gave (its ``HTTPError(reason=...)`` is
    Danish by rule), else a Danish text for the status. Never tornado's English reason phrase, never
    details of a server error."""
    exc = exc_info[1] if exc_info else None
    if isinstance(exc, tornado.web.HTTPError) and exc.reason and (status_code < 500 or status_code == 503):
        return exc.reason
    if status_code in DANISH_ERRORS:
        return DANISH_ERRORS[status_code]
    return SERVER_ERROR if status_code >= 500 else "Det gik ikke. Prøv igen."


def plain_error_page(message: str) -> str:
    """The last resort when the page shell cannot be rendered."""
    return (
        '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>Fejl</title></head>'
        f"<body><main><h1>Det gik ikke</h1><p>{tornado.escape.xhtml_escape(message)}</p>"
        '<p><a href="/">Gå til kursets forside</a></p></main></body></html>'
    )


def write_danish_error(handler, status_code: int, exc_info=None, kommune_file=None) -> None:
    """The Danish error page (JSON under ``/api/``) for a handler that cannot subclass BaseHandler
    (Voilà's): call it from its ``write_error``."""
    message = danish_error(status_code, exc_info)
    if handler.request.path.startswith("/api/"):
        handler.set_header("Content-Type", "application/json; charset=utf-8")
        return handler.finish(json.dumps({"status": "fejl", "fejl": message}, ensure_ascii=False))
    handler.set_header("Content-Type", "text/html; charset=utf-8")
    try:
        page = render_shared(
            "fejl.html",
            kommune_file,
            title=ERROR_TITLES.get(status_code, "Det gik ikke"),
            message=message,
            links=BaseHandler.ERROR_LINKS,
        )
    except Exception:
        log.exception("error page for %s failed", status_code)
        page = plain_error_page(message)
    handler.finish(page)


def render_shared(template: str, kommune_file=None, **kw) -> bytes:
    """A page from ``web/templates`` (on the one page shell) for a handler that cannot subclass
    BaseHandler (Voilà's), e.g. ``besked.html``, the notice shown instead of an app."""
    return _shared_loader().load(template).generate(theme=theme_for(kommune_file).look, **kw)


def _shared_loader() -> TemplateLoader:
    global _loader
    if _loader is None:
        _loader = TemplateLoader(TEMPLATES)
    return _loader


_loader = None


class TemplateLoader(tornado.template.Loader):
    """Finds a template in the feature's folder first, then in ``web/templates`` (``page.html``,
    ``fejl.html``); always autoescapes, whatever the hosting application's settings say."""

    def __init__(self, *roots: str | Path):
        self.roots = list(dict.fromkeys(Path(r) for r in roots if r))
        super().__init__(str(self.roots[0]), autoescape="xhtml_escape")

    def resolve_path(self, name: str, parent_path: str | None = None) -> str:
        return name  # flat names: "page.html", "deltag.html"

    def _create_template(self, name: str) -> tornado.template.Template:
        for root in self.roots:
            path = root / name
            if path.is_file():
                return tornado.template.Template(path.read_bytes(), name=name, loader=self)
        raise FileNotFoundError(f"template {name!r} not in {', '.join(map(str, self.roots))}")


class BaseHandler(tornado.web.RequestHandler):
    """Subclasses may set ``TEMPLATES`` (their template folder), ``CSP`` (narrow or, for a page
    that needs it, widen the policy), ``API`` (True/False: errors as JSON or as the page; by default
    JSON for paths under ``/api/``) and ``ERROR_LINKS`` (where the error page points). ``self.rf`` is the
    server's Settings when the handler has them (the stylesheet follows its ``kommune_file``)."""

    CSP = CSP_PAGES
    TEMPLATES: str | Path = ""
    API: bool | None = None
    ERROR_LINKS: tuple[tuple[str, str], ...] = (("/", "Gå til kursets forside"),)
    rf = None

    def set_default_headers(self):
        security_headers(self, self.CSP)
        self.set_header("Cache-Control", "no-store")

    def check_xsrf_cookie(self):
        """The features check CSRF themselves (a signed token bound to who is signed in, or a JSON header)."""

    # --- templates -------------------------------------------------------------------
    def get_template_path(self):
        return str(self.TEMPLATES or TEMPLATES)

    def create_template_loader(self, template_path):
        return TemplateLoader(template_path, TEMPLATES)

    def theme(self) -> Theme:
        return theme_for(getattr(self.rf, "kommune_file", None))

    def get_template_namespace(self):
        namespace = super().get_template_namespace()
        namespace["theme"] = self.theme().look
        return namespace

    def render_page(self, template: str, **kw) -> None:
        kw.setdefault("title", "rusfokus")
        self.render(template, **kw)

    # --- JSON ------------------------------------------------------------------------
    @property
    def wants_json(self) -> bool:
        return self.request.path.startswith("/api/") if self.API is None else self.API

    def reply_json(self, data: dict, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(data, ensure_ascii=False, default=str))

    def json_body(self) -> object:
        """The request's JSON body, or None if it is not JSON."""
        try:
            return json.loads(self.request.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    # --- errors ----------------------------------------------------------------------
    def write_error(self, status_code, **kwargs):
        message = danish_error(status_code, kwargs.get("exc_info"))
        self.clear_header("Content-Disposition")
        if self.wants_json:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            return self.finish(json.dumps({"status": "fejl", "fejl": message}, ensure_ascii=False))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        try:
            self.render_error_page(status_code, message)
        # the error page itself failed (e.g. kommune.yml unreadable): plain Danish text
        except Exception:
            log.exception("error page for %s failed", status_code)
            self.finish(plain_error_page(message))

    def render_error_page(self, status_code: int, message: str) -> None:
        self.render_page(
            "fejl.html",
            title=ERROR_TITLES.get(status_code, "Det gik ikke"),
            message=message,
            links=self.ERROR_LINKS,
        )

    # --- work off the event loop -------------------------------------------------------
    async def in_thread(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class StaticHandler(tornado.web.StaticFileHandler, BaseHandler):
    """Files of a folder (``path``), with the security headers and the Danish error page; no
    ``no-store`` (a file asked for with ``?v=<hash>`` is kept a year, others are revalidated)."""

    def initialize(self, path, default_filename=None, settings=None):
        super().initialize(path, default_filename)
        self.rf = settings  # the error page's look follows its kommune.yml

    def set_default_headers(self):
        security_headers(self, self.CSP)

    def set_extra_headers(self, path):
        immutable = bool(self.get_query_argument("v", None))
        self.set_header("Cache-Control", "public, max-age=31536000, immutable" if immutable else "no-cache")

    def get_cache_time(self, path, modified, mime_type):
        return 0  # tornado's own ?v= scheme is not used: set_extra_headers decides

    def write_error(self, status_code, **kwargs):
        self.clear_header("Cache-Control")
        self.set_header("Cache-Control", "no-store")
        BaseHandler.write_error(self, status_code, **kwargs)


class SecurityHeadersTransform(tornado.web.OutputTransform):
    """Every response of the server carries the security headers, also those of Voilà's own handlers
    (kernels, static files): added where the handler has not set them itself."""

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        for name, value in {"Content-Security-Policy": CSP_FRAMES, **SECURITY_HEADERS}.items():
            if name not in headers:
                headers[name] = value
        return status_code, headers, chunk
