"""Small inline SVG charts for the dashboard's "Effekt" section (no matplotlib, no script).

Each chart is a ``<figure>`` with ``role="img"``, a ``<title>`` and a ``<desc>`` that says in words
what it shows; the table beside it (always rendered with it) carries every number, so the chart is
never the only way to read them. Colours are presentation attributes, not inline styles (the pages'
CSP has no 'unsafe-inline'), and keep at least 3:1 contrast against white.
"""

from __future__ import annotations

import html
import itertools

COLOURS = ("#1E466E", "#B35900", "#1B6E2F", "#6A1B9A")
W, H = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 36, 56
_ids = itertools.count(1)
DASH = ' stroke-dasharray="6 4"'


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _frame(title: str, desc: str, body: str, legend: list[tuple[str, str, bool]]) -> str:
    n = next(_ids)
    keys = "".join(
        f'<g transform="translate({LEFT + i * 190},{H - 14})">'
        f'<line x1="0" y1="-4" x2="22" y2="-4" stroke="{colour}" stroke-width="4"'
        f"{DASH if dashed else ''}/>"
        f'<text x="28" y="0" font-size="13" fill="#222">{_e(name)}</text></g>'
        for i, (name, colour, dashed) in enumerate(legend)
    )
    return (
        f'<figure class="rf-graf"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" '
        f'width="{W}" height="{H}" role="img" aria-labelledby="rf-graf-{n}-t rf-graf-{n}-d" '
        'preserveAspectRatio="xMinYMin meet">'
        f'<title id="rf-graf-{n}-t">{_e(title)}</title><desc id="rf-graf-{n}-d">{_e(desc)}</desc>'
        f'<text x="{LEFT}" y="20" font-size="15" font-weight="bold" fill="#222">{_e(title)}</text>'
        f"{body}{keys}</svg></figure>"
    )


def _axes(y_max: float, unit: str) -> str:
    out = []
    for i in range(5):
        value = y_max * i / 4
        y = TOP + (H - TOP - BOTTOM) * (1 - i / 4)
        label = f"{value:.0f}{unit}" if y_max >= 4 else f"{value:.1f}{unit}"
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#ccc" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="#333">{label}</text>'
        )
    return "".join(out)


def _y(value: float, y_max: float) -> float:
    return TOP + (H - TOP - BOTTOM) * (1 - min(max(value, 0), y_max) / y_max)


def _x_labels(labels: list[str], xs: list[float]) -> str:
    step = max(1, len(labels) // 8)  # at most about 8 labels under the axis
    return "".join(
        f'<text x="{x:.1f}" y="{H - BOTTOM + 18}" font-size="12" text-anchor="middle" fill="#333">{_e(label)}</text>'
        for i, (label, x) in enumerate(zip(labels, xs, strict=True))
        if i % step == 0 or i == len(labels) - 1
    )


def line_chart(
    title: str, desc: str, labels: list[str], series: list[tuple[str, list[float], bool]], y_max: float, unit: str = ""
) -> str:
    """Lines over ``labels`` (months); a series marked True is drawn dashed (a target line)."""
    if not labels:
        return ""
    span = W - LEFT - RIGHT
    xs = [LEFT + span * (i + 0.5) / len(labels) for i in range(len(labels))]
    body = [_axes(y_max, unit)]
    legend = []
    for (name, values, dashed), colour in zip(series, COLOURS, strict=False):
        points = " ".join(f"{x:.1f},{_y(v, y_max):.1f}" for x, v in zip(xs, values, strict=True))
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="3"{dash}/>')
        if not dashed:
            body += [
                f'<circle cx="{x:.1f}" cy="{_y(v, y_max):.1f}" r="3.5" fill="{colour}"/>'
                for x, v in zip(xs, values, strict=True)
            ]
        legend.append((name, colour, dashed))
    body.append(_x_labels(labels, xs))
    return _frame(title, desc, "".join(body), legend)


def bar_chart(
    title: str, desc: str, labels: list[str], series: list[tuple[str, list[float]]], y_max: float, unit: str = ""
) -> str:
    """Grouped bars: one group per label, one bar per series, the value written above each bar."""
    if not labels:
        return ""
    span = W - LEFT - RIGHT
    slot = span / len(labels)
    width = min(48.0, slot * 0.8 / max(len(series), 1))
    body = [_axes(y_max, unit)]
    xs = []
    for i, _label in enumerate(labels):
        centre = LEFT + slot * (i + 0.5)
        xs.append(centre)
        for j, ((_name, values), colour) in enumerate(zip(series, COLOURS, strict=False)):
            x = centre - width * len(series) / 2 + j * width
            y = _y(values[i], y_max)
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width - 2:.1f}" height="{H - BOTTOM - y:.1f}" fill="{colour}"/>'
                f'<text x="{x + (width - 2) / 2:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle" '
                f'fill="#222">{_e(_num(values[i]))}</text>'
            )
    body.append(_x_labels(labels, xs))
    return _frame(
        title, desc, "".join(body), [(name, colour, False) for (name, _v), colour in zip(series, COLOURS, strict=False)]
    )


def _num(value: float) -> str:
    """One decimal, Danish decimal comma (as the table beside the chart)."""
    return f"{value:.1f}".replace(".", ",")
