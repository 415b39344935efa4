"""``/rusfokus/stil/<name>.<hash>.<css|svg|png>``: the pages' stylesheet, the colours alone and the
municipality's logo (``rusfokus.web.theme``), mounted by ``rusfokus serve``."""

from __future__ import annotations

import tornado.web

from rusfokus.web.base import BaseHandler

LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
"""An SVG logo opened on its own runs nothing."""


class ThemeHandler(BaseHandler):
    """The current version under its hash: kept a year (``immutable``). An older hash (a page
    rendered just before kommune.yml changed) gets today's file, not to be kept."""

    def initialize(self, settings):
        self.rf = settings

    def get(self, name: str, digest: str, suffix: str):
        asset = self.theme().look().asset(name)
        if asset is None or asset.suffix != suffix:
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", asset.content_type)
        if asset.digest == digest:
            self.set_header("Cache-Control", "public, max-age=31536000, immutable")
        else:
            self.set_header("Cache-Control", "no-cache")
        if name == "logo":
            self.set_header("Content-Security-Policy", LOGO_CSP)
        self.finish(asset.data)


def routes(settings) -> list[tuple]:
    return [
        (
            r"/rusfokus/stil/([a-z]+)\.([0-9a-f]{12})\.(css|svg|png)",
            ThemeHandler,
            {"settings": settings},
        )
    ]
