"""Keep callback errors visible in Danish without showing Python to the learner.

ipywidgets swallows exceptions raised in ``observe``/``on_click`` callbacks
(they end up in the browser console). :func:`guarded` wraps a callback: an
unexpected error is logged in English for the operator (server log) and a
short Danish message is shown in the app's ``Output``.
"""

from __future__ import annotations

import functools
import logging

import ipywidgets as widgets

from rusfokus.apps.common import error_html

log = logging.getLogger("rusfokus.apps")

DANISH_ERROR = "Der skete en fejl i appen. Prøv igen, eller genindlæs siden. Fejlen er skrevet i serverens log."


def show_error(output: widgets.Output, message: str) -> None:
    """Replace the content of ``output`` with a Danish error message (role=alert)."""
    output.outputs = (
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"text/html": error_html(message), "text/plain": message},
        },
    )


def guarded(output_attr: str = "errors"):
    """Decorate a widget method so unexpected errors become a Danish message in ``self.<output_attr>``."""

    def wrap(method):
        @functools.wraps(method)
        def inner(self, *args, **kwargs):
            output: widgets.Output = getattr(self, output_attr)
            output.outputs = ()
            try:
                return method(self, *args, **kwargs)
            except Exception:
                log.exception("app callback %s.%s failed", type(self).__name__, method.__name__)
                show_error(output, DANISH_ERROR)
                return None

        return inner

    return wrap
