"""HTML for the dashboard and Min side, as pure functions (every value escaped).

Tables get a caption and ``<th scope>`` so screen readers read them well;
plots are PNGs in an ``<img>`` with a Danish alt text that states the figures.
"""

from __future__ import annotations

import base64
import html
import io
import numbers
from datetime import date
from urllib.parse import urlencode

import pandas as pd

from rusfokus.apps.common import stylesheet, tal
from rusfokus.progress import module_title

STYLE = stylesheet("tabeller")

STATUS_CLASS = {"udløbet": "rf-udloebet", "udløber snart": "rf-snart", "gyldig": "rf-gyldig"}


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, numbers.Integral):
        return tal(int(value))  # 1.250, not 1250
    if isinstance(value, numbers.Real):
        return tal(float(value), 1)  # 18,8
    return html.escape(str(value))


def html_table(frame: pd.DataFrame, caption: str, *, max_rows: int = 200, empty: str = "Ingen rækker.") -> str:
    if frame.empty:
        return f'<p class="rf-note"><strong>{html.escape(caption)}:</strong> {html.escape(empty)}</p>'
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in frame.columns)
    rows = []
    for values in frame.head(max_rows).itertuples(index=False, name=None):
        cells = []
        for column, value in zip(frame.columns, values, strict=True):
            cls = STATUS_CLASS.get(value) if column == "Status" else None
            num = isinstance(value, (int, float)) and not isinstance(value, bool)
            attr = f' class="{cls}"' if cls else (' class="num"' if num else "")
            cells.append(f"<td{attr}>{_cell(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(frame) > max_rows:
        more = f'<p class="rf-note">Viser de første {max_rows} af {len(frame)} rækker. Hent hele listen i Excel.</p>'
    label = html.escape(caption)
    return (
        f'<div class="rf-scroll" role="region" aria-label="{label}" tabindex="0">'
        f'<table class="rf-table"><caption>{label}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def completion_matrix(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """Wide view: one row per unit, one column per module with 'gyldige af ansatte (pct)'."""
    if table.empty:
        return table
    text = (
        table["Gyldigt bevis"].astype(str)
        + " af "
        + table["Ansatte"].astype(str)
        + " ("
        + table["Gyldigt bevis (%)"].map(lambda v: f"{v:.0f}")
        + " %)"
    )
    wide = table.assign(_v=text).pivot(index=label, columns="Modul", values="_v")
    wide = wide[list(dict.fromkeys(table["Modul"]))]
    return wide.reset_index()


# One colour per module in book order (modules 1-5; a sixth module needs a colour here, test_views checks it).
MODULE_COLOURS = ["#1e466e", "#5b8fbf", "#d9822b", "#6a9a3c", "#8e4585"]


def bar_chart_html(table: pd.DataFrame, label: str, title: str) -> str:
    """Horizontal bars: share with a valid kursusbevis per unit (first module in each bar group)."""
    # lazy: loads matplotlib (~0.4-0.7 s); needed only here
    import matplotlib

    matplotlib.use("Agg")
    # lazy: loads matplotlib (~0.4-0.7 s); needed only here
    import matplotlib.pyplot as plt

    if table.empty:
        return ""
    wide = table.pivot(index=label, columns="Modul", values="Gyldigt bevis (%)")
    wide = wide[list(dict.fromkeys(table["Modul"]))].iloc[:25]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(wide) + 1.6), dpi=90)
    wide.plot.barh(ax=ax, width=0.8, color=MODULE_COLOURS[: wide.shape[1]] or None)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Andel med gyldigt kursusbevis (%)")
    ax.set_ylabel("")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    parts = [f"{idx}: " + ", ".join(f"{m} {v:.0f} %" for m, v in row.items()) for idx, row in wide.iterrows()]
    alt = f"{title}. " + "; ".join(parts)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" style="max-width:100%">'


def monthly_chart_html(monthly: pd.DataFrame) -> str:
    # lazy: loads matplotlib (~0.4-0.7 s); needed only here
    import matplotlib

    matplotlib.use("Agg")
    # lazy: loads matplotlib (~0.4-0.7 s); needed only here
    import matplotlib.pyplot as plt

    if monthly.empty:
        return ""
    recent = monthly.tail(24)
    fig, ax = plt.subplots(figsize=(8, 3), dpi=90)
    ax.bar(recent["Måned"], recent["I alt"], color="#1e466e")
    ax.set_ylabel("Beståede opgaver")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    ax.set_title("Beståede opgaver pr. måned (seneste 24 måneder)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    alt = "Beståede opgaver pr. måned: " + ", ".join(
        f"{m}: {n}" for m, n in zip(recent["Måned"], recent["I alt"], strict=True)
    )
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" style="max-width:100%">'


def download_links(filters: dict) -> str:
    query = urlencode({k: v for k, v in filters.items() if v})
    q = f"?{query}" if query else ""
    csv = [
        ("genopfriskning", "Genopfriskning (CSV)"),
        ("noegleperson", "Mangler nøgleperson (CSV)"),
        ("institution", "Gennemført pr. institution (CSV)"),
    ]
    links = [f'<a class="rf-knap" href="/admin/rapport.xlsx{html.escape(q)}" download>Hent rapport (Excel)</a>']
    links += [
        f'<a class="rf-knap" href="/admin/rapport/{key}.csv{html.escape(q)}" download>{html.escape(text)}</a>'
        for key, text in csv
    ]
    return "<p>" + "".join(links) + "</p>"


def learner_table(rows: list[dict]) -> str:
    frame = pd.DataFrame(
        [
            {
                "Modul": module_title(r["module"]),
                "Resultat": r["result"],
                "Kursusbevis gyldigt til": r["expires_on"],
                "Status": r["status"],
            }
            for r in rows
        ]
    )
    return html_table(frame, "Dine moduler")
