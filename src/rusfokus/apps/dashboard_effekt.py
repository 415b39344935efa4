"""The dashboard's "Effekt" section: completion against the target, self-efficacy before/after, practice.

Pure HTML from the proof-of-effect tables (``rusfokus.effekt.reports``, every group at least
RUSFOKUS_EFFEKT_MIN_GROUP people): each chart is an inline SVG (``rusfokus.effekt.charts``) with a
title and a description, and the table beside it holds every number.
"""

from __future__ import annotations

import html
from datetime import date

from rusfokus.apps.views import html_table
from rusfokus.effekt import charts
from rusfokus.effekt.aggregate import MIN_GROUP
from rusfokus.effekt.reports import HIDDEN_NOTE, TITLES, EffektData, effekt_tables
from rusfokus.progress.reports import DIMENSIONS, ReportData


def _num(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def effekt_section(
    data: ReportData,
    effekt: EffektData | None,
    by: str,
    today: date,
    *,
    target_pct: float = 80.0,
    min_size: int = MIN_GROUP,
) -> str:
    """The section's HTML for the (already filtered) data; ``effekt=None``: the answers are not loaded."""
    min_size = max(min_size, MIN_GROUP)
    if effekt is None:
        return '<h2>Effekt</h2><p class="rf-note">Svarene er ikke hentet.</p>'
    tables = effekt_tables(data, effekt, by=by, target_pct=target_pct, min_size=min_size, today=today)
    label = DIMENSIONS[by].lower()
    note = f'<p class="rf-note">{html.escape(HIDDEN_NOTE.format(n=min_size))}</p>'
    parts = ["<h2>Effekt</h2>", note]

    month = tables["effekt_maaned"]
    parts.append(f"<h3>{TITLES['effekt_maaned']}</h3>")
    if len(month):
        last = month.iloc[-1]
        parts.append(
            charts.line_chart(
                "Andel med mindst ét bestået modul",
                f"Linjediagram pr. måned fra {month.iloc[0]['Måned']} til {last['Måned']}. Andelen er "
                f"{_num(last['Andel (%)'])} % i {last['Måned']}. Målet er {_num(target_pct)} %.",
                list(month["Måned"]),
                [
                    ("Andel (%)", list(month["Andel (%)"]), False),
                    (f"Mål ({_num(target_pct)} %)", list(month["Mål (%)"]), True),
                ],
                100,
                " %",
            )
        )
    parts.append(
        html_table(
            month.iloc[::-1],
            "Gennemførelse pr. måned mod mål (nyeste først)",
            max_rows=24,
            empty=f"Ingen tal: færre end {min_size} aktive medarbejdere.",
        )  # fmt: skip
    )

    se = tables["effekt_selvvurdering"]
    parts.append(f"<h3>{TITLES['effekt_selvvurdering']}</h3>")
    parts.append(
        '<p class="rf-note">Gennemsnit af tre udsagn på en skala fra 1 (helt uenig) til 5 (helt enig): før '
        "første modul og efter det seneste modul. Kun medarbejdere, der har svaret begge gange.</p>"
    )
    if len(se):
        described = "; ".join(
            f"{r.iloc[0]}: før {_num(r.iloc[2], 2)}, efter {_num(r.iloc[3], 2)}" for _, r in se.iterrows()
        )
        parts.append(
            charts.bar_chart(
                f"Selvvurdering før og efter pr. {label}",
                f"Søjlediagram. {described}.",
                [str(v) for v in se.iloc[:, 0]],
                [("Før", list(se["Før (gns.)"])), ("Efter", list(se["Efter (gns.)"]))],
                5,
            )
        )
    parts.append(html_table(se, f"Selvvurdering før og efter pr. {label}",
                            empty=f"Ingen tal: færre end {min_size} har svaret både før og efter."))  # fmt: skip
    parts.append(html_table(tables["effekt_udsagn"], TITLES["effekt_udsagn"],
                            empty=f"Ingen tal: færre end {min_size} har svaret både før og efter."))  # fmt: skip

    pq = tables["effekt_praksis"]
    parts.append(f"<h3>{TITLES['effekt_praksis']}</h3>")
    parts.append(
        '<p class="rf-note">Det, medarbejderne selv har oplyst ved genopfriskningsrunderne: korte opsporende '
        "samtaler og henvisninger eller underretninger siden sidste runde, i gennemsnit pr. person.</p>"
    )
    if len(pq):
        described = "; ".join(
            f"{r['Kvartal']}: {_num(r['Samtaler pr. person'])} samtaler og {_num(r['Henvisninger pr. person'])} "
            "henvisninger pr. person"
            for _, r in pq.iterrows()
        )
        top = max(1.0, float(pq[["Samtaler pr. person", "Henvisninger pr. person"]].max().max()))
        parts.append(
            charts.bar_chart(
                "Samtaler og henvisninger pr. person pr. kvartal",
                f"Søjlediagram. {described}.",
                list(pq["Kvartal"]),
                [("Samtaler", list(pq["Samtaler pr. person"])), ("Henvisninger", list(pq["Henvisninger pr. person"]))],
                top * 1.15,
            )
        )
    parts.append(html_table(pq, "Praksis pr. kvartal",
                            empty=f"Ingen tal: færre end {min_size} har svaret."))  # fmt: skip
    parts.append(html_table(tables["effekt_praksis_gruppe"], f"Praksis pr. {label}",
                            empty=f"Ingen tal: færre end {min_size} har svaret."))  # fmt: skip
    return "".join(parts)
