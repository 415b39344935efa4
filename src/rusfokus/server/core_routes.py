"""Routes of the server itself: status for the book's app embeds, health."""

from __future__ import annotations

from rusfokus.server.apps import list_apps
from rusfokus.web.base import BaseHandler


class StatusHandler(BaseHandler):
    """What the book's JS asks before it replaces a notice with a live app."""

    API = True

    def initialize(self, settings):
        self.rf = settings

    def get(self):
        self.reply_json({"status": "ok", "apps": [a.name for a in list_apps(self.rf.widgets_dir)]})


def routes(settings):
    return [(r"/rusfokus/status", StatusHandler, {"settings": settings})]
