"""Routes of the server itself: status for the book's app embeds, health."""

from __future__ import annotations

import json

import tornado.web

from rusfokus.server.apps import list_apps


class StatusHandler(tornado.web.RequestHandler):
    """What the book's JS asks before it replaces a notice with a live app."""

    def initialize(self, settings):
        self.rf_settings = settings

    def get(self):
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        apps = [a.name for a in list_apps(self.rf_settings.widgets_dir)]
        self.write(json.dumps({"status": "ok", "apps": apps}))


def routes(settings):
    return [(r"/rusfokus/status", StatusHandler, {"settings": settings})]
