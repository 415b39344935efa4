"""Min side (Voilà, widgets/min-side): the learner's own modules, results and kursusbeviser.

Identity only from ``rusfokus.identity.current_learner(settings)`` (signed cookie or
JupyterHub user): a learner can never see another person's data.
"""

from __future__ import annotations

import html
from datetime import date

import ipywidgets as widgets
from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus import identity
from rusfokus.apps.common import tal
from rusfokus.apps.views import STYLE, learner_table
from rusfokus.db import session_scope
from rusfokus.effekt.minside import effekt_due, effekt_html
from rusfokus.genopfrisk.minside import practice_html, practice_rounds
from rusfokus.identity.revocation import ensure_not_revoked
from rusfokus.migrations import upgrade
from rusfokus.progress import MODULE_TITLES, module_title
from rusfokus.progress.certificates import status_of
from rusfokus.progress.models import (
    STATUS_ACTIVE,
    STATUS_DELETED,
    Certificate,
    Completion,
    Institution,
    Person,
)
from rusfokus.progress.roster import normalise_email
from rusfokus.settings import Settings
from rusfokus.temadag.models import STATUS_CONFIRMED, Temadag, TemadagParticipant
from rusfokus.voila_request import wait_for_request


def learner_overview(session: Session, email: str, today: date | None = None) -> dict | None:
    """The learner's modules (all known modules), best score and current kursusbevis; None if unknown."""
    today = today or date.today()
    person = session.scalar(select(Person).where(Person.email == normalise_email(email)))
    if person is None or person.status == STATUS_DELETED:
        return None
    results = session.scalars(select(Completion).where(Completion.person_id == person.id)).all()
    certs = session.scalars(
        select(Certificate).where(Certificate.person_id == person.id).order_by(Certificate.expires_on)
    ).all()
    newest = {c.module: c for c in certs}
    modules = list(MODULE_TITLES) + sorted({r.module for r in results} - set(MODULE_TITLES))
    rows = []
    for module in modules:
        mine = [r for r in results if r.module == module]
        passed = [r for r in mine if r.passed]
        cert = newest.get(module)
        if passed:
            last = max(passed, key=lambda r: r.completed_at)
            score = (
                f" ({tal(last.score)} af {tal(last.max_score)} point)"
                if last.score is not None and last.max_score
                else ""
            )
            result = f"Bestået {last.completed_at:%d-%m-%Y}{score}"
        elif mine:
            result = "Ikke bestået endnu – prøv igen"
        else:
            result = "Ikke startet"
        rows.append(
            {
                "module": module,
                "result": result,
                "expires_on": cert.expires_on if cert else None,
                "status": status_of(cert.expires_on, today) if cert else "",
                "has_certificate": cert is not None,
            }
        )
    return {
        "name": person.name,
        "rows": rows,
        "noeglepersoner": noeglepersoner(session, person),
        "temadage": temadage(session, person),
        "institution": _institution_name(session, person),
    }


def _institution_name(session: Session, person: Person) -> str | None:
    inst = session.get(Institution, person.institution_id) if person.institution_id is not None else None
    return inst.name if inst is not None else None


def noeglepersoner(session: Session, person: Person) -> list[dict]:
    """The active nøglepersoner at her institution (herself too, marked), by name."""
    if person.institution_id is None:
        return []
    people = session.scalars(
        select(Person)
        .where(
            Person.institution_id == person.institution_id,
            Person.noegleperson.is_(True),
            Person.status == STATUS_ACTIVE,
            Person.email.is_not(None),
        )
        .order_by(Person.name, Person.id)
    ).all()
    return [{"name": p.name or p.email, "email": p.email, "self": p.id == person.id} for p in people]


def temadage(session: Session, person: Person) -> list[dict]:
    """The temadage she took part in (attendance confirmed), newest first."""
    rows = session.execute(
        select(Temadag.title, Temadag.date, Temadag.place)
        .join(TemadagParticipant, TemadagParticipant.temadag_id == Temadag.id)
        .where(TemadagParticipant.person_id == person.id, TemadagParticipant.status == STATUS_CONFIRMED)
        .order_by(Temadag.date.desc(), Temadag.id.desc())
    ).all()
    return [{"title": t, "date": d, "place": place} for t, d, place in rows]


def _people_html(overview: dict) -> str:
    people = overview.get("noeglepersoner") or []
    where = f" på {html.escape(overview['institution'])}" if overview.get("institution") else ""
    if not people:
        return (
            f"<h2>Din nøgleperson</h2><p>Vi har ingen nøgleperson{where} på listen. "
            "Spørg din leder, hvem du kan tale med.</p>"
        )
    items = []
    for p in people:
        name = html.escape(p["name"])
        mail = html.escape(p["email"])
        me = " (det er dig)" if p["self"] else ""
        items.append(f'<li><strong>{name}</strong>{me}: <a href="mailto:{mail}">{mail}</a></li>')
    title = "Din nøgleperson" if len(people) == 1 else "Dine nøglepersoner"
    return (
        f"<h2>{title}</h2><p>Du kan spørge din nøgleperson{where} til råds "
        f'og få hjælp til en svær samtale.</p><ul style="overflow-wrap:anywhere">{"".join(items)}</ul>'
    )


def _temadage_html(overview: dict) -> str:
    days = overview.get("temadage") or []
    if not days:
        return "<h2>Dine temadage</h2><p>Du har ikke været med på en temadag endnu.</p>"
    items = "".join(
        f"<li>{d['date']:%d-%m-%Y}: <strong>{html.escape(d['title'])}</strong>, {html.escape(d['place'])}</li>"
        for d in days
    )
    return f"<h2>Dine temadage</h2><ul>{items}</ul>"


def render(overview: dict | None) -> str:
    if overview is None:
        return (
            STYLE + "<h1>Min side</h1><p>Vi har ingen resultater for dig endnu. "
            "Når du har afleveret en opgave, kan du se den her.</p>"
        )
    links = "".join(
        f'<a class="rf-knap" href="/api/progress/mine/kursusbevis/{html.escape(r["module"])}.pdf" target="_blank">'
        f"Kursusbevis: {html.escape(module_title(r['module']))} (PDF)</a>"
        # Open Badges 3.0: the same kursusbevis as a signed digital credential (rusfokus.integrations.badges)
        + f'<a class="rf-knap" href="/api/badges/mine/{html.escape(r["module"])}.jwt" target="_blank">'
        f"Digitalt kursusbevis: {html.escape(module_title(r['module']))} "
        '(<span lang="en">Open Badge</span>)</a>'
        for r in overview["rows"]
        if r["has_certificate"]
    )
    soon = [module_title(r["module"]) for r in overview["rows"] if r["status"] in ("udløber snart", "udløbet")]
    note = ""
    if soon:
        note = (
            '<p role="status"><strong>Tid til genopfriskning:</strong> '
            + html.escape(", ".join(soon))
            + ". Tag modulet igen, så dit kursusbevis bliver fornyet.</p>"
        )
    return (
        STYLE + f"<h1>Min side</h1><p>Hej {html.escape(overview['name'] or '')}. "
        "Her kan du se dine moduler og hente dine kursusbeviser.</p>"
        + note
        + practice_html(overview.get("genopfrisk") or [])  # the refresher loop's due rounds (issue 17)
        + effekt_html(overview.get("effekt"))  # self-efficacy statements, /effekt/ (issue 17, proof of effect)
        + (
            '<p><a class="rf-knap" href="/noegleperson" target="_top">For nøglepersoner</a> '
            "Temadage, status og refleksioner.</p>"
            if any(p["self"] for p in overview.get("noeglepersoner") or [])
            else ""
        )
        + learner_table(overview["rows"])
        + (
            f"<h2>Dine kursusbeviser</h2><p>{links}</p>"
            if links
            else "<h2>Dine kursusbeviser</h2><p>Du får et kursusbevis, når du har bestået et modul.</p>"
        )
        + _people_html(overview)
        + _temadage_html(overview)
    )


def build_app():
    """Entry point of widgets/min-side/index.ipynb."""
    wait_for_request()  # a preheated kernel: until a page takes it (that page's cookie)

    settings = Settings.from_env()  # the kernel's settings, read once (it inherits the server's environment)
    url = settings.db_url
    try:
        secret = identity.load_secret(settings.secret_file)
        email = ensure_not_revoked(identity.current_learner(settings), url, secret=secret)
    except identity.IdentityError as exc:
        return widgets.HTML(STYLE + f'<h1>Min side</h1><p role="alert">{html.escape(str(exc))}</p>')
    upgrade(url)
    with session_scope(url) as s:
        overview = learner_overview(s, email)
        if overview is not None:
            overview["genopfrisk"] = practice_rounds(s, email, date.today())
            overview["effekt"] = effekt_due(s, email)
    return widgets.HTML(render(overview))
