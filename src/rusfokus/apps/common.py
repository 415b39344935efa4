"""Small helpers shared by the ipywidgets apps: Danish messages, Danish numbers, safe HTML."""

from __future__ import annotations

import html
import math
import numbers
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import ipywidgets as widgets

CSS_DIR = Path(__file__).parent / "css"


def stylesheet(name: str) -> str:
    """``css/<name>.css`` as a ``<style>`` block for a widgets.HTML (an app's CSS lives in a .css file)."""
    return "<style>\n" + (CSS_DIR / f"{name}.css").read_text(encoding="utf-8") + "</style>\n"


APP_CSS = stylesheet("app")
"""The CSS every app gets (``styled_root``): ``css/app.css``."""


_DANISH_SEPARATORS = str.maketrans({",": ".", ".": ","})


def tal(x: float | int | None, decimals: int | None = None, *, empty: str = "-") -> str:
    """A number the Danish way: ``tal(3.7)`` -> "3,7", ``tal(109000)`` -> "109.000".

    ``decimals`` fixes the number of decimals (rounded half up, as people
    round: ``tal(18.75, 1)`` -> "18,8"); without it, whole numbers have none
    and other numbers up to two, trailing zeros dropped. ``None`` and NaN
    give ``empty``.
    """
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return empty
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, Decimal)):
        raise TypeError(f"tal() needs a number, not {type(x).__name__}")
    value = Decimal(str(x))
    if decimals is None:
        value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        text = f"{value:,f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        value = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        text = f"{value:,.{decimals}f}"
    if text.lstrip("-").strip("0,.") == "":
        text = text.lstrip("-")  # no "-0"
    return text.translate(_DANISH_SEPARATORS)


def procent(x: float | int | None, decimals: int = 1, *, empty: str = "-") -> str:
    """A percentage (already times 100) the Danish way: ``procent(18.75)`` -> "18,8 %"."""
    text = tal(x, decimals, empty=empty)
    return text if text == empty else f"{text} %"


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
