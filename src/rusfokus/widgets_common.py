"""Small helpers shared by the ipywidgets apps: Danish messages, safe HTML."""

from __future__ import annotations

import html

import ipywidgets as widgets

APP_CSS = """
<style>
.rf-app-root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 16px; color: #1d1d1f; max-width: 60rem; }
.rf-app-root h2 { font-size: 1.3rem; margin: 0.2rem 0 0.6rem; }
.rf-app-root table.rf-table { border-collapse: collapse; margin: 0.5rem 0; }
.rf-app-root table.rf-table th, .rf-app-root table.rf-table td { border: 1px solid #8a8a8a; padding: 0.25rem 0.6rem; text-align: right; }
.rf-app-root table.rf-table th:first-child, .rf-app-root table.rf-table td:first-child { text-align: left; }
.rf-over { color: #a4000f; font-weight: 600; }
.rf-ok { color: #0b6b2b; font-weight: 600; }
.rf-error { color: #a4000f; border-left: 4px solid #a4000f; padding: 0.3rem 0.6rem; background: #fff3f3; }
.rf-note { color: #333; }
.rf-app-root .widget-label, .rf-app-root label { color: #1d1d1f; }
</style>
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def html_block(content: str = "", **kw) -> widgets.HTML:
    return widgets.HTML(value=content, **kw)


def error_html(message: str) -> str:
    return f'<p class="rf-error" role="alert">{esc(message)}</p>'


def styled_root(children, label: str) -> widgets.VBox:
    """The app's outer box, with our CSS and an accessible region label."""
    box = widgets.VBox([widgets.HTML(APP_CSS), *children])
    box.add_class("rf-app-root")
    box.layout.padding = "0.5rem"
    return box
