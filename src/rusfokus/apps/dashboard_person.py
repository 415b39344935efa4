"""The consultant's person page in the dashboard: search by name or e-mail, one person's
modules, kursusbeviser, temadage and nøgleperson flag, a new personal link, revoking it.

Pure functions over a SQLAlchemy session (``search_people``, ``person_details``,
``person_html``, ``new_link``, ``revoke_link``, ``reopen_link``) and a widget
(``PersonPanel``) that only wires them. Every name is escaped where shown.

A personal link is the person's e-mail signed by the server (``identity.learner_token``):
it logs the person in. It is shown only in the admin's dashboard (an admin-only app),
and showing one is audit-logged by person id. Links cannot be recalled one by one:
revoking (``revocation.revoke``) stops every link and cookie of that e-mail at once,
and no new link works until the consultant opens the access again
(``revocation.lift``), which makes the old links work again too. A GDPR erase
(``rusfokus person delete``) also revokes; re-importing the e-mail lifts it.

Other features add buttons to the page with ``PersonPanel.add_action`` (e.g. sending
the link by e-mail); the callback gets the shown person's id.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime

import ipywidgets as widgets
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from rusfokus.apps.common import tal
from rusfokus.db import session_scope
from rusfokus.effekt.minside import person_effekt_html
from rusfokus.identity.links import personal_link
from rusfokus.identity.revocation import is_revoked_in, lift, revoke
from rusfokus.progress import module_title
from rusfokus.progress.audit import log_action
from rusfokus.progress.certificates import status_of
from rusfokus.progress.models import (
    STATUS_DELETED,
    Afdeling,
    Certificate,
    Completion,
    Forvaltning,
    Institution,
    Person,
)
from rusfokus.temadag.models import STATUS_CONFIRMED, Temadag, TemadagParticipant

SEARCH_LIMIT = 25
MIN_QUERY = 2


class PersonPageError(ValueError):
    """Danish message for the consultant."""


@dataclass
class PersonHit:
    id: int
    name: str
    email: str
    institution: str
    status: str

    @property
    def label(self) -> str:
        gone = "" if self.status == "aktiv" else f" – {self.status}"
        return f"{self.name} ({self.email}), {self.institution}{gone}"


@dataclass
class PersonDetails:
    id: int
    name: str
    email: str
    institution: str
    afdeling: str
    forvaltning: str
    faggruppe: str
    noegleperson: bool
    status: str
    revoked: bool
    completions: list[tuple[str, datetime, bool, float | None, float | None]] = field(default_factory=list)
    certificates: list[tuple[str, str, date, date, str]] = field(
        default_factory=list
    )  # module, code, issued, expires, status
    temadage: list[tuple[str, date]] = field(default_factory=list)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_people(session: Session, query: str, limit: int = SEARCH_LIMIT) -> list[PersonHit]:
    """People whose name or e-mail contains ``query`` (case-insensitive), active first, then by name.
    Erased people are never found. Raises PersonPageError for a too-short query."""
    text = " ".join(str(query or "").split())
    if len(text) < MIN_QUERY:
        raise PersonPageError(f"Skriv mindst {MIN_QUERY} tegn af navnet eller e-mailen.")
    pattern = f"%{_escape_like(text.lower())}%"
    rows = session.execute(
        select(Person.id, Person.name, Person.email, Institution.name, Person.status)
        .outerjoin(Institution, Person.institution_id == Institution.id)
        .where(
            Person.email.is_not(None),
            Person.status != STATUS_DELETED,
            or_(func.lower(Person.name).like(pattern, escape="\\"), Person.email.like(pattern, escape="\\")),
        )
        .order_by((Person.status != "aktiv"), Person.name, Person.email)
        .limit(limit)
    ).all()
    # SQLite's lower() folds ASCII only: match Æ/Ø/Å in Python too
    if not rows and any(ord(ch) > 127 for ch in text):
        low = text.lower()
        rows = [
            r
            for r in session.execute(
                select(Person.id, Person.name, Person.email, Institution.name, Person.status)
                .outerjoin(Institution, Person.institution_id == Institution.id)
                .where(Person.email.is_not(None), Person.status != STATUS_DELETED)
                .order_by((Person.status != "aktiv"), Person.name, Person.email)
            ).all()
            if low in (r[1] or "").lower() or low in r[2]
        ][:limit]
    return [PersonHit(i, n or "", e, inst or "", st) for i, n, e, inst, st in rows]


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.email is None or person.status == STATUS_DELETED:
        raise PersonPageError("Personen findes ikke længere.")
    return person


def person_details(session: Session, person_id: int, today: date | None = None, *, secret: bytes) -> PersonDetails:
    today = today or date.today()
    person = _person(session, person_id)
    org = session.execute(
        select(Institution.name, Afdeling.name, Forvaltning.name)
        .join(Afdeling, Institution.afdeling_id == Afdeling.id)
        .join(Forvaltning, Afdeling.forvaltning_id == Forvaltning.id)
        .where(Institution.id == person.institution_id)
    ).first() or ("", "", "")
    details = PersonDetails(
        person.id,
        person.name or "",
        person.email,
        org[0],
        org[1],
        org[2],
        person.faggruppe,
        bool(person.noegleperson),
        person.status,
        is_revoked_in(session, person.email, secret=secret),
    )
    details.completions = [
        (c.module, c.completed_at, bool(c.passed), c.score, c.max_score)
        for c in session.scalars(
            select(Completion)
            .where(Completion.person_id == person.id, Completion.kind != "temadag")
            .order_by(Completion.completed_at.desc())
        )
    ]
    newest: dict[str, Certificate] = {}
    for cert in session.scalars(
        select(Certificate).where(Certificate.person_id == person.id).order_by(Certificate.issued_on, Certificate.id)
    ):
        newest[cert.module] = cert
    details.certificates = [
        (c.module, c.code, c.issued_on, c.expires_on, status_of(c.expires_on, today)) for c in newest.values()
    ]
    details.temadage = _temadage(session, person.id)
    return details


def _temadage(session: Session, person_id: int) -> list[tuple[str, date]]:
    return [
        (title, day)
        for title, day in session.execute(
            select(Temadag.title, Temadag.date)
            .join(TemadagParticipant, TemadagParticipant.temadag_id == Temadag.id)
            .where(TemadagParticipant.person_id == person_id, TemadagParticipant.status == STATUS_CONFIRMED)
            .order_by(Temadag.date.desc())
        ).all()
    ]


def _d(day) -> str:
    return f"{day:%d-%m-%Y}" if day else ""


def _points(value: float | None) -> str:
    return "" if value is None else tal(value)


def person_html(d: PersonDetails) -> str:
    """The person page as HTML (every value escaped)."""
    e = html.escape
    status_class = {"gyldig": "rf-gyldig", "udløber snart": "rf-snart", "udløbet": "rf-udloebet"}
    out = [
        f"<h3>{e(d.name)}</h3>",
        '<ul class="rf-person">',
        f"<li><strong>E-mail:</strong> {e(d.email)}</li>",
        f"<li><strong>Arbejdssted:</strong> {e(d.institution)}, {e(d.afdeling)}, {e(d.forvaltning)}</li>",
        f"<li><strong>Faggruppe:</strong> {e(d.faggruppe) or 'Ikke angivet'}</li>",
        f"<li><strong>Nøgleperson:</strong> {'Ja' if d.noegleperson else 'Nej'}</li>",
        f"<li><strong>Status:</strong> {e(d.status)}</li>",
        f"<li><strong>Personligt link:</strong> {'Tilbagekaldt' if d.revoked else 'Virker'}</li>",
        "</ul>",
    ]
    if d.certificates:
        rows = "".join(
            f"<tr><td>{e(module_title(m))}</td><td>{e(code)}</td><td>{_d(issued)}</td><td>{_d(expires)}</td>"
            f'<td class="{status_class.get(st, "")}">{e(st)}</td>'
            f'<td><a href="/admin/kursusbevis/{e(code)}.pdf" target="_blank">PDF</a></td></tr>'
            for m, code, issued, expires, st in d.certificates
        )
        out.append(
            '<table class="rf-table"><caption>Kursusbeviser</caption><thead><tr>'
            '<th scope="col">Modul</th><th scope="col">Kode</th><th scope="col">Udstedt</th>'
            '<th scope="col">Udløber</th><th scope="col">Status</th><th scope="col">Bevis</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        out.append("<p>Ingen kursusbeviser endnu.</p>")
    if d.completions:
        rows = "".join(
            f"<tr><td>{e(module_title(m))}</td><td>{_d(at)}</td><td>{'Bestået' if ok else 'Ikke bestået'}</td>"
            f"<td>{e(_points(score))}{' af ' + e(_points(mx)) if mx is not None else ''}</td></tr>"
            for m, at, ok, score, mx in d.completions
        )
        out.append(
            '<table class="rf-table"><caption>Moduler (afleverede opgaver)</caption><thead><tr>'
            '<th scope="col">Modul</th><th scope="col">Dato</th><th scope="col">Resultat</th>'
            f'<th scope="col">Point</th></tr></thead><tbody>{rows}</tbody></table>'
        )
    else:
        out.append("<p>Ingen afleverede opgaver endnu.</p>")
    if d.temadage:
        items = "".join(f"<li>{e(title)}, {_d(day)}</li>" for title, day in d.temadage)
        out.append(f"<h4>Temadage</h4><ul>{items}</ul>")
    else:
        out.append("<p>Ingen registreret deltagelse i temadage.</p>")
    return "".join(out)


def new_link(session: Session, person_id: int, base_url: str, actor: str, *, secret: bytes) -> str:
    """A new personal link for the person (audit: person.link_shown, by id). Refused while revoked.
    ``secret``: the server's (``load_secret(settings.secret_file)``), here and below."""
    person = _person(session, person_id)
    if is_revoked_in(session, person.email, secret=secret):
        raise PersonPageError("Linket er tilbagekaldt. Åbn adgangen igen, før du laver et nyt link.")
    log_action(session, actor, "person.link_shown", f"person #{person.id}", "new personal link shown in dashboard")
    return personal_link(person.email, base_url, secret=secret)


def revoke_link(session: Session, person_id: int, actor: str, *, secret: bytes) -> None:
    """Every personal link and learner cookie of the person stops working (audit: identity.revoked)."""
    person = _person(session, person_id)
    revoke(session, person.email, secret=secret)
    log_action(session, actor, "identity.revoked", f"person #{person.id}", "personal links revoked in dashboard")


def reopen_link(session: Session, person_id: int, actor: str, *, secret: bytes) -> bool:
    """Lift the revocation: a new link can be made, and old links work again. True if one was lifted."""
    person = _person(session, person_id)
    lifted = lift(session, person.email, secret=secret)
    if lifted:
        log_action(session, actor, "identity.revocation_lifted", f"person #{person.id}", "reopened in dashboard")
    return lifted


REVOKE_NOTE = (
    "Et tilbagekaldt link kan ikke bruges igen. Alle personens links holder op med at virke, "
    "også dem, der er givet før. Der kan ikke laves et nyt link, før du åbner adgangen igen. "
    "Åbner du adgangen igen, virker de gamle links også igen."
)


class PersonPanel(widgets.VBox):
    """Search a person and show the person page (admin dashboard only)."""

    def __init__(self, db_url: str, actor: str, base_url: str, today: date | None = None, *, secret: bytes):
        """``secret``: the server's (``load_secret(settings.secret_file)``): links and revocation."""
        self.db_url, self.actor, self.base_url, self.today = db_url, actor, base_url, today
        self.secret = secret
        self.person_id: int | None = None
        self.query = widgets.Text(
            description="Navn eller e-mail", placeholder="fx Hansen eller hansen@", continuous_update=False
        )
        self.query.style.description_width = "9rem"
        self.search_button = widgets.Button(description="Søg", tooltip="Søg efter en medarbejder")
        self.results = widgets.Dropdown(description="Resultater", options=[], layout=widgets.Layout(display="none"))
        self.results.style.description_width = "9rem"
        self.show_button = widgets.Button(
            description="Vis person", tooltip="Vis den valgte medarbejder", layout=widgets.Layout(display="none")
        )
        self.message = widgets.HTML()
        self.page = widgets.HTML()
        self.link_button = widgets.Button(
            description="Lav nyt personligt link", tooltip="Vis et nyt personligt link til udskrift"
        )
        self.revoke_button = widgets.Button(
            description="Tilbagekald link", button_style="danger", tooltip="Tilbagekald personens links"
        )
        self.reopen_button = widgets.Button(
            description="Åbn adgangen igen", tooltip="Åbn adgangen igen (de gamle links virker igen)"
        )
        self.confirm_revoke = widgets.Button(
            description="Ja, tilbagekald linket",
            button_style="danger",
            tooltip="Ja, tilbagekald personens links",
            layout=widgets.Layout(display="none"),
        )
        self.link_output = widgets.HTML()
        self.actions = widgets.HBox(
            [self.link_button, self.revoke_button, self.confirm_revoke, self.reopen_button],
            layout=widgets.Layout(display="none", flex_flow="row wrap"),
        )
        self.search_button.on_click(self.search)
        self.query.observe(lambda _c: self.search(), names="value")
        self.show_button.on_click(lambda _b: self.show(self.results.value))
        self.link_button.on_click(self._new_link)
        self.revoke_button.on_click(self._ask_revoke)
        self.confirm_revoke.on_click(self._revoke)
        self.reopen_button.on_click(self._reopen)
        super().__init__(
            [
                widgets.HTML("<h2>Find en medarbejder</h2>"),
                widgets.HBox([self.query, self.search_button], layout=widgets.Layout(flex_flow="row wrap")),
                self.results,
                self.show_button,
                self.message,
                self.page,
                self.actions,
                self.link_output,
            ]
        )

    def add_action(self, description: str, callback, tooltip: str = "") -> widgets.Button:
        """Add a button to the person page; ``callback(person_id)`` may return Danish HTML to show."""
        button = widgets.Button(description=description, tooltip=tooltip or description)

        def clicked(_b):
            if self.person_id is not None:
                shown = callback(self.person_id)
                if shown:
                    self.link_output.value = shown

        button.on_click(clicked)
        self.actions.children = (*self.actions.children, button)
        return button

    def _session(self):
        return session_scope(self.db_url)

    def search(self, _button=None) -> None:
        try:
            with self._session() as s:
                hits = search_people(s, self.query.value)
        except PersonPageError as exc:
            self.results.layout.display = self.show_button.layout.display = "none"
            self.message.value = f'<p role="alert">{html.escape(str(exc))}</p>'
            return
        if not hits:
            self.results.options = []
            self.results.layout.display = self.show_button.layout.display = "none"
            self.message.value = f'<p role="status">Ingen medarbejdere matcher »{html.escape(self.query.value)}«.</p>'
            return
        self.results.options = [(h.label, h.id) for h in hits]
        self.results.value = hits[0].id
        self.results.layout.display = self.show_button.layout.display = None
        more = " Vis flere ved at skrive mere af navnet." if len(hits) >= SEARCH_LIMIT else ""
        self.message.value = f'<p role="status">{len(hits)} fundet. Vælg en, og tryk på Vis person.{more}</p>'
        if len(hits) == 1:
            self.show(hits[0].id)

    def show(self, person_id: int | None) -> None:
        self.link_output.value = ""
        if person_id is None:
            return
        try:
            with self._session() as s:
                details = person_details(s, person_id, self.today, secret=self.secret)
        except PersonPageError as exc:
            self.person_id = None
            self.actions.layout.display = "none"
            self.page.value = f'<p role="alert">{html.escape(str(exc))}</p>'
            return
        self.person_id = person_id
        self.confirm_revoke.layout.display = "none"
        self.page.value = person_html(details)
        with self._session() as s:  # proof of effect (issue 17): her answers and counts, for the admin only
            self.page.value += person_effekt_html(s, person_id)
        self.actions.layout.display = None
        self.link_button.disabled = details.revoked
        self.revoke_button.layout.display = "none" if details.revoked else None
        self.reopen_button.layout.display = None if details.revoked else "none"
        if details.revoked:
            self.link_output.value = f'<p class="rf-note">{REVOKE_NOTE}</p>'

    def _new_link(self, _button=None) -> None:
        if self.person_id is None:
            return
        try:
            with self._session() as s:
                link = new_link(s, self.person_id, self.base_url, self.actor, secret=self.secret)
        except PersonPageError as exc:
            self.link_output.value = f'<p role="alert">{html.escape(str(exc))}</p>'
            return
        self.link_output.value = (
            '<p role="status">Nyt personligt link. Det logger personen ind, så giv det kun til personen selv. '
            "Det er gemt i loggen, at du har set et link.</p>"
            f'<p><code class="rf-link" style="word-break:break-all">{html.escape(link)}</code></p>'
        )

    def _ask_revoke(self, _button=None) -> None:
        if self.person_id is None:
            return
        self.confirm_revoke.layout.display = None
        self.link_output.value = f'<p role="alert">Vil du tilbagekalde linket? {REVOKE_NOTE}</p>'

    def _revoke(self, _button=None) -> None:
        if self.person_id is None:
            return
        with self._session() as s:
            revoke_link(s, self.person_id, self.actor, secret=self.secret)
        self.show(self.person_id)
        self.link_output.value = f'<p role="status">Linket er tilbagekaldt. {REVOKE_NOTE}</p>'

    def _reopen(self, _button=None) -> None:
        if self.person_id is None:
            return

        with self._session() as s:
            if reopen_link(s, self.person_id, self.actor, secret=self.secret):
                log_action(
                    s, self.actor, "identity.reopened", f"person #{self.person_id}", "access opened again in dashboard"
                )
        self.show(self.person_id)
        self.link_output.value = (
            '<p role="status">Adgangen er åbnet igen. De gamle links virker igen, og du kan lave et nyt.</p>'
        )
