"""The dashboard's refresher-loop section (issue 17): per institution and faggruppe, who is in the loop, who
has a round due and who has dropped out; then, for the admin, the people with a round due or dropped out.

Counts follow the one minimum-group-size rule (``rusfokus.effekt.aggregate``, at least 5, or
RUSFOKUS_EFFEKT_MIN_GROUP): smaller groups are merged into "Øvrige", and nothing is counted when all
are fewer. The named list is for the rusmiddelcenter admin only (the dashboard is an admin app).
Every value is escaped.
"""

from __future__ import annotations

import html
from datetime import date
from types import SimpleNamespace

import ipywidgets as widgets

from rusfokus.db import session_scope
from rusfokus.genopfrisk import loop
from rusfokus.progress import module_title
from rusfokus.settings import Settings

HEADERS = ("Institution", "Faggruppe", "Personer", "I forløbet", "Har en runde klar", "Faldet fra", "Gennemført")


def _scroll(caption: str, head: str, body: str) -> str:
    label = html.escape(caption)
    return (
        f'<div class="rf-scroll" role="region" aria-label="{label}" tabindex="0">'
        f'<table class="rf-table"><caption>{label}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def loop_html(overview: list[loop.PersonLoop], min_group: int = loop.MIN_GROUP) -> str:
    rows, hidden = loop.group_rows(overview, min_group)
    e = html.escape
    out = ["<h2>Genopfriskning efter kurset</h2>"]
    if not overview:
        out.append(
            "<p>Ingen er i genopfriskningen endnu. Den starter en måned efter, at en medarbejder har bestået.</p>"
        )
        return "".join(out)
    body = "".join(
        f"<tr><th scope='row'>{e(r.institution)}</th><td>{e(r.faggruppe)}</td><td>{r.people}</td>"
        + "".join(f"<td>{r.counts[s]}</td>" for s in (loop.IN_LOOP, loop.DUE, loop.DROPPED, loop.DONE))
        + "</tr>"
        for r in rows
    )
    head = "".join(f"<th scope='col'>{h}</th>" for h in HEADERS)
    out.append(
        _scroll(f"Genopfriskning pr. institution og faggruppe (grupper med mindst {min_group} personer)", head, body)
    )
    if hidden:
        out.append(f"<p class='rf-note'>Færre end {min_group} personer i alt: tallene vises ikke.</p>")
    elif any(r.institution == loop.OTHERS for r in rows):
        out.append(f"<p class='rf-note'>Grupper under {min_group} personer er lagt sammen i {loop.OTHERS}.</p>")
    follow = [p for p in overview if p.state in (loop.DUE, loop.DROPPED)]
    if follow:
        items = "".join(
            f"<tr><th scope='row'>{e(p.name)}</th><td>{e(p.institution)}</td><td>{e(p.faggruppe)}</td>"
            f"<td>{e(module_title(p.module))}</td><td>{e(loop.LOOP_DANISH[p.state])}</td>"
            f"<td>{p.due_on.strftime('%d-%m-%Y') if p.due_on else ''}</td></tr>"
            for p in sorted(follow, key=lambda p: (p.state != loop.DROPPED, p.institution, p.name))
        )
        head = "".join(
            f"<th scope='col'>{h}</th>"
            for h in ("Navn", "Institution", "Faggruppe", "Modul", "Status", "Runden åbnede")
        )
        out.append(_scroll("Har en runde klar eller er faldet fra (kun for administratoren)", head, items))
    return "".join(out)


def loop_section(db_url: str, settings=None, today: date | None = None) -> widgets.HTML:
    """The section as a widget (read once when the dashboard opens); ``settings``: the kernel's (None: defaults)."""
    if settings is None:
        settings = SimpleNamespace(practice_drop_days=Settings.default("practice_drop_days"))
    with session_scope(db_url) as s:
        overview = loop.loop_overview(s, settings, today or date.today())
    return widgets.HTML(loop_html(overview, max(loop.MIN_GROUP, getattr(settings, "effekt_min_group", 0))))
