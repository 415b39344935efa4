"""One base for the small tornado pages (temadag, the nøgleperson's pages): security headers,
templates that always autoescape, and the features' own CSRF checks instead of tornado's."""

from __future__ import annotations

import tornado.template
import tornado.web

CSP_PAGES = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
             "connect-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'")


class PageHandler(tornado.web.RequestHandler):
    """Subclasses set ``TEMPLATES`` (their template folder) and may narrow ``CSP``."""

    CSP = CSP_PAGES
    TEMPLATES: str = ""

    def set_default_headers(self):
        self.set_header("Content-Security-Policy", self.CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header("Cache-Control", "no-store")

    def check_xsrf_cookie(self):
        """The features check CSRF themselves (a signed token bound to who is signed in, or a JSON header)."""

    def get_template_path(self):
        return self.TEMPLATES

    def create_template_loader(self, template_path):
        # Always autoescape, whatever the hosting application's settings say.
        return tornado.template.Loader(template_path, autoescape="xhtml_escape")
