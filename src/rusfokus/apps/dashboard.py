"""Dashboard app for the admin (Voilà, widgets/dashboard): filters, tables, plots, downloads,
person search and page, kursusbevis check, staff import, personal links as a PDF.

``Dashboard`` only wires widgets to the pure functions in ``reports``, ``views``,
``dashboard_person`` and ``links_sheet``; tests set ``.value`` on the filters and read the HTML widgets.

First paint: ``build_app`` checks the admin, then returns at once with the header,
"Henter tal og tabeller …", the person search and the kursusbevis check (plain database
look-ups that work right away). pandas, the report tables and the charts are imported
and computed in a background thread (``Dashboard.start_loading``), which fills in the
tables when they are ready; the kernel keeps answering the page meanwhile. The widgets
are all made up front in the kernel's main thread; the thread only sets values.
``RUSFOKUS_BENCH_DASHBOARD_EAGER=1`` (for ``bench/p10_dashboard.py`` only, not a setting)
computes everything before the first paint, as the dashboard did before, so the
benchmark measures both in the same run.
"""

from __future__ import annotations

import html
import logging
import os
import threading
from datetime import date

import ipywidgets as widgets
from sqlalchemy import select

from rusfokus import identity
from rusfokus.apps.common import stylesheet
from rusfokus.apps.dashboard_loop import loop_section
from rusfokus.apps.dashboard_person import PersonPanel
from rusfokus.apps.links_sheet import LinksSheet
from rusfokus.db import session_scope
from rusfokus.gdpr import PersonNotFound, get_person
from rusfokus.mail import MailError, queue_personal_link
from rusfokus.mail.smtp import config_problem
from rusfokus.migrations import upgrade
from rusfokus.progress import MODULE_TITLES, module_title
from rusfokus.progress.certificates import (
    EXPIRED,
    SOON,
    CertificateError,
    ensure_certificate,
    normalise_code,
    verify,
)
from rusfokus.progress.models import Certificate, Person
from rusfokus.progress.upload import RosterUpload
from rusfokus.settings import Settings
from rusfokus.voila_request import wait_for_request

log = logging.getLogger("rusfokus.dashboard")
ALL = "Alle"
# Shown on screen; the Excel/CSV download has every column (also e-mail, afdeling, forvaltning).
REFRESHER_COLUMNS = ["Navn", "Institution", "Faggruppe", "Modul", "Udløber", "Dage til udløb", "Status"]
SECTION_KEYS = ("overblik", "gennemfoert", "genopfriskning", "noegleperson", "maaned", "temadag", "effekt")
DIMENSION_OPTIONS = [
    ("Forvaltning", "forvaltning"),
    ("Afdeling", "afdeling"),
    ("Institution", "institution"),
    ("Faggruppe", "faggruppe"),
]  # = reports.DIMENSIONS, without importing pandas
LOADING = '<p class="rf-henter" role="status" aria-live="polite">Henter tal og tabeller …</p>'
LOADING_CSS = stylesheet("dashboard")
EAGER_ENV = "RUSFOKUS_BENCH_DASHBOARD_EAGER"
MAX_CODE_CHARS = 40


def _options(values) -> list[tuple[str, str]]:
    return [(ALL, "")] + [(str(v), str(v)) for v in sorted(set(values))]


def render_sections(
    data, by: str, today: date, effekt=None, *, target_pct: float = 80.0, min_size: int = 5
) -> dict[str, str]:
    """The dashboard's HTML sections for the (already filtered) data; ``effekt``: the proof-of-effect
    answers (``rusfokus.effekt.reports.EffektData``), shown only in groups of ``min_size`` or more."""
    # lazy: loads pandas (~0.5 s); needed only here
    from rusfokus.apps.dashboard_effekt import effekt_section

    # lazy: loads pandas (~0.5 s); needed only here
    from rusfokus.apps.views import (
        STYLE,
        bar_chart_html,
        completion_matrix,
        html_table,
        monthly_chart_html,
    )
    from rusfokus.progress.reports import DIMENSIONS, full_report

    tables = full_report(data, today)
    label = DIMENSIONS[by]
    completion = tables[by]
    return {
        "overblik": STYLE + "<h2>Overblik</h2>" + html_table(tables["overblik"], "Nøgletal"),
        "gennemfoert": (
            f"<h2>Gennemført pr. {label.lower()}</h2>"
            '<p class="rf-note">Tallene viser, hvor mange aktive medarbejdere der har et gyldigt '
            "kursusbevis, ud af alle aktive medarbejdere.</p>"
            + bar_chart_html(completion, label, f"Gyldigt kursusbevis pr. {label.lower()}")
            + html_table(completion_matrix(completion, label), f"Gyldige kursusbeviser pr. {label.lower()}")
            + html_table(completion, f"Detaljer pr. {label.lower()} og modul")
        ),
        "genopfriskning": (
            "<h2>Genopfriskning</h2>"
            '<p class="rf-note">Kursusbeviser, der er udløbet eller udløber inden for 60 dage.</p>'
            + html_table(
                tables["genopfriskning"][REFRESHER_COLUMNS],
                "Medarbejdere, der skal genopfriske",
                empty="Ingen kursusbeviser udløber inden for 60 dage.",
            )
        ),
        "noegleperson": (
            "<h2>Institutioner uden aktuel nøgleperson</h2>"
            + html_table(
                tables["noegleperson"],
                "Institutioner, der mangler en nøgleperson",
                empty="Alle institutioner har en nøgleperson med gyldigt kursusbevis.",
            )
        ),
        "maaned": (
            "<h2>Gennemført pr. måned</h2>"
            + monthly_chart_html(tables["maaned"])
            + html_table(
                tables["maaned"].iloc[::-1],
                "Beståede opgaver pr. måned (nyeste først)",
                max_rows=36,
                empty="Ingen beståede opgaver endnu.",
            )
        ),
        "temadag": (
            "<h2>Temadage</h2>"
            + html_table(
                tables["temadag"],
                "Deltagelse i temadage pr. forvaltning",
                empty="Ingen registreret deltagelse i temadage endnu.",
            )
        ),
        "effekt": effekt_section(data, effekt, by, today, target_pct=target_pct, min_size=min_size),
    }


def verification_html(session, code: str, today: date | None = None) -> str:
    """ "Tjek kursusbevis": valid / udløber snart / udløbet / unknown, with name, module and dates (escaped)."""

    text = str(code or "").strip()
    if not text:
        return '<p role="alert">Skriv koden fra kursusbeviset, fx ABCD-EFGH-JKLM.</p>'
    if len(text) > MAX_CODE_CHARS:
        return '<p class="rf-udloebet" role="alert">Ukendt kode. Koden står nederst på kursusbeviset.</p>'
    try:
        v = verify(session, text, today)
    except CertificateError:
        norm = normalise_code(text)
        if session.scalar(select(Certificate.id).where(Certificate.code == norm)) is not None:
            return (
                '<p class="rf-udloebet" role="alert">Kursusbeviset med koden '
                f"{html.escape(norm)} tilhørte en person, hvis oplysninger er slettet.</p>"
            )
        return (
            f'<p class="rf-udloebet" role="alert">Ukendt kode: {html.escape(norm)}. '
            "Der findes ikke et kursusbevis med den kode. Tjek, at koden er skrevet rigtigt.</p>"
        )
    if v.status == EXPIRED:
        verdict, css = "Kursusbeviset er udløbet.", "rf-udloebet"
    elif v.status == SOON:
        verdict, css = "Kursusbeviset er gyldigt, men udløber snart.", "rf-snart"
    else:
        verdict, css = "Kursusbeviset er gyldigt.", "rf-gyldig"
    return (
        f'<div role="status"><p class="{css}"><strong>{verdict}</strong></p><ul>'
        f"<li>Navn: {html.escape(v.name)}</li><li>Modul: {html.escape(module_title(v.module))}</li>"
        f"<li>Udstedt: {v.issued_on:%d-%m-%Y}</li><li>Udløber: {v.expires_on:%d-%m-%Y}</li>"
        f"<li>Kode: {html.escape(v.code)}</li></ul></div>"
    )


class Dashboard(widgets.VBox):
    """The admin's dashboard. ``data`` given: tables at once (tests). ``data=None``: the first view
    shows "Henter …" and ``start_loading()`` (or ``load()``) fills in the tables."""

    def __init__(
        self,
        data=None,
        *,
        admin: str = "",
        today: date | None = None,
        db_url: str | None = None,
        base_url: str | None = None,
        settings: Settings | None = None,
        effekt=None,
        secret: bytes | None = None,
    ):
        """``settings`` (the kernel's, from build_app): e-mail (RUSFOKUS_SMTP_*), the public address and how
        long a kursusbevis is valid; without it e-mail is off and ``base_url`` is the address. ``secret``:
        the server's (signs links, checks revocation), by default read from ``settings.secret_file``; with
        ``db_url`` one of the two is needed."""
        self.data, self.today, self.db_url, self.admin = data, today or date.today(), db_url, admin
        self.effekt = effekt  # rusfokus.effekt.reports.EffektData: self-efficacy and practice counts
        self.settings = settings
        if secret is None and settings is not None:
            secret = identity.load_secret(settings.secret_file)
        if db_url and secret is None:
            raise ValueError("Dashboard with a database needs the server's secret: pass settings or secret")
        self.secret = secret
        self.base_url = base_url or (settings.base_url if settings is not None else None)
        self.forvaltning = widgets.Dropdown(options=_options([]), description="Forvaltning")
        self.afdeling = widgets.Dropdown(options=_options([]), description="Afdeling")
        self.faggruppe = widgets.Dropdown(options=_options([]), description="Faggruppe")
        self.by = widgets.Dropdown(options=DIMENSION_OPTIONS, value="forvaltning", description="Vis pr.")
        for w in (self.forvaltning, self.afdeling, self.faggruppe, self.by):
            w.style.description_width = "7rem"
        self.status = widgets.HTML(LOADING)
        self.sections = {key: widgets.HTML() for key in SECTION_KEYS}
        self.downloads = widgets.HTML()
        self.cert_email = widgets.Text(description="E-mail", placeholder="navn@kommune.dk")
        self.cert_module = widgets.Dropdown(options=[(t, m) for m, t in MODULE_TITLES.items()], description="Modul")
        self.cert_button = widgets.Button(description="Find kursusbevis", tooltip="Find kursusbevis")
        self.cert_result = widgets.HTML()
        self.cert_button.on_click(self._find_certificate)
        self.check_code = widgets.Text(description="Kode", placeholder="ABCD-EFGH-JKLM", continuous_update=False)
        self.check_button = widgets.Button(description="Tjek kursusbevis", tooltip="Tjek en kode fra et kursusbevis")
        self.check_result = widgets.HTML()
        self.check_button.on_click(self._check_certificate)
        self.check_code.observe(lambda _c: self._check_certificate(), names="value")
        header = widgets.HTML(
            LOADING_CSS + '<div class="rf-dash-header"><h1>Uddannelse i tidlig opsporing – overblik</h1>'
            f'<p class="rf-note">Logget ind som {html.escape(admin)}. '
            '<a href="/temadag/admin" target="_top">Temadage og årshjul</a> · '
            '<a href="/integrationer/" target="_top">Integrationer</a> · '
            '<a href="/" target="_top">Kurset</a> · <a href="/logout" target="_top">Log ud</a></p></div>'
        )
        check = widgets.VBox(
            [
                widgets.HTML("<h2>Tjek kursusbevis</h2>"),
                widgets.HBox([self.check_code, self.check_button], layout=widgets.Layout(flex_flow="row wrap")),
                self.check_result,
            ]
        )
        quick = [check]
        if db_url:
            self.person = PersonPanel(db_url, f"admin:{admin}", self._base_url(), today=today, secret=secret)
            quick.insert(0, self.person)

            if settings is not None and config_problem(settings) is None:  # e-mail is set up (RUSFOKUS_SMTP_*)
                self._mail_actor = f"admin:{admin}"
                self.person.add_action(
                    "Send link på mail", self._mail_link, tooltip="Send personens eget link til personens arbejdsmail"
                )
        self.filters_box = widgets.VBox(
            [
                widgets.HTML("<h2>Filtre</h2>"),
                widgets.HBox([self.forvaltning, self.afdeling], layout=widgets.Layout(flex_flow="row wrap")),
                widgets.HBox([self.faggruppe, self.by], layout=widgets.Layout(flex_flow="row wrap")),
                self.downloads,
            ]
        )
        certificate = widgets.VBox(
            [
                widgets.HTML("<h2>Udskriv kursusbevis</h2>"),
                self.cert_email,
                self.cert_module,
                self.cert_button,
                self.cert_result,
            ]
        )
        extra = [certificate]
        if db_url:
            self.links = LinksSheet(db_url, f"admin:{admin}", self._base_url(), secret=secret)
            self.upload = RosterUpload(db_url, f"admin:{admin}", on_done=self.reload, secret=secret)
            extra += [self.links, self.upload]
            extra.insert(0, loop_section(db_url, settings, today))  # the refresher loop (rusfokus.genopfrisk)
        super().__init__([header, self.status, *quick, self.filters_box, *self.sections.values(), *extra])
        self.forvaltning.observe(self._forvaltning_changed, names="value")
        for w in (self.afdeling, self.faggruppe, self.by):
            w.observe(lambda _change: self.update(), names="value")
        if data is not None:
            self._show_data()
        else:
            self._set_loading(True)

    def _setting(self, name: str):
        return getattr(self.settings, name) if self.settings is not None else Settings.default(name)

    def _base_url(self) -> str:
        return self.base_url or ""

    def _set_loading(self, loading: bool) -> None:
        for w in (self.forvaltning, self.afdeling, self.faggruppe, self.by):
            w.disabled = loading

    def start_loading(self) -> threading.Thread:
        """Read the database and compute the tables in a background thread (after the first paint)."""
        thread = threading.Thread(target=self.load, name="rusfokus-dashboard-load", daemon=True)
        thread.start()
        return thread

    def load(self) -> None:
        """Read the database and fill in filters and tables; a failure is shown in Danish and logged."""
        self._set_loading(True)
        try:
            # lazy: loads pandas (~0.5 s); the first view paints without it
            from rusfokus.effekt.reports import load_effekt
            from rusfokus.progress.reports import load_data

            upgrade(self.db_url)
            with session_scope(self.db_url) as s:
                self.data = load_data(s)
                self.effekt = load_effekt(s)
            self._show_data()
        except Exception:
            log.exception("dashboard: loading the report data failed")
            self.status.value = (
                '<p class="rf-udloebet" role="alert">Tallene kunne ikke hentes. '
                "Genindlæs siden. Sker det igen, så kontakt den, der driver kurset.</p>"
            )

    def _show_data(self) -> None:
        staff = self.data.active
        for widget, column in ((self.forvaltning, "forvaltning"), (self.faggruppe, "faggruppe")):
            current = widget.value
            widget.options = _options(staff[column])
            widget.value = current if current in set(staff[column]) else ""
        self._set_loading(False)
        self._forvaltning_changed(None)
        self.status.value = '<p class="rf-note" role="status">Tallene er hentet.</p>'

    def _mail_link(self, person_id: int) -> str:
        """The person page's "Send link på mail": queued once (a double click sends nothing more)."""
        try:
            with session_scope(self.db_url) as s:
                request = queue_personal_link(
                    s, s.get(Person, person_id), actor=self._mail_actor, settings=self.settings
                )
        except MailError as exc:
            return f'<p role="alert">{html.escape(exc.danish)}</p>'
        return f'<p role="status">{html.escape(request.danish)}</p>'

    def reload(self) -> None:
        """Read the database again (after an import) and refresh filters and tables."""
        # lazy: loads pandas (~0.5 s); the first view paints without it
        from rusfokus.effekt.reports import load_effekt
        from rusfokus.progress.reports import load_data

        with session_scope(self.db_url) as s:
            self.data = load_data(s)
            self.effekt = load_effekt(s)
        self._show_data()
        if getattr(self, "links", None) is not None:
            self.links.refresh()

    def filters(self) -> dict:
        return {
            "forvaltning": self.forvaltning.value or None,
            "afdeling": self.afdeling.value or None,
            "faggruppe": self.faggruppe.value or None,
        }

    def _forvaltning_changed(self, _change) -> None:
        if self.data is None:
            return
        staff = self.data.active
        if self.forvaltning.value:
            staff = staff[staff["forvaltning"] == self.forvaltning.value]
        current = self.afdeling.value
        self.afdeling.options = _options(staff["afdeling"])
        self.afdeling.value = current if current in set(staff["afdeling"]) else ""
        self.update()

    def update(self) -> None:
        if self.data is None:
            return
        # lazy: loads pandas (~0.5 s); needed only here
        from rusfokus.apps.views import download_links

        filters = self.filters()
        data = self.data.filtered(**filters)
        effekt = self.effekt.for_people(data.staff["person_id"]) if self.effekt is not None else None
        rendered = render_sections(
            data,
            self.by.value,
            self.today,
            effekt,
            target_pct=self._setting("effekt_target_pct"),
            min_size=self._setting("effekt_min_group"),
        )
        for key, widget in self.sections.items():
            widget.value = rendered[key]
        self.downloads.value = "<h2>Hent data</h2>" + download_links(filters)

    def _check_certificate(self, _button=None) -> None:
        if not self.db_url:
            return

        with session_scope(self.db_url) as s:
            self.check_result.value = verification_html(s, self.check_code.value, self.today)

    def _find_certificate(self, _button=None) -> None:
        if not self.db_url:
            return

        try:
            with session_scope(self.db_url) as s:
                person = get_person(s, self.cert_email.value)
                months = self.settings.certificate_months if self.settings else Settings.default("certificate_months")
                cert = ensure_certificate(s, person, self.cert_module.value, months)
                code, expires = cert.code, cert.expires_on
        except PersonNotFound:
            self.cert_result.value = '<p class="rf-udloebet" role="alert">Der er ingen medarbejder med den e-mail.</p>'
            return
        except CertificateError:
            self.cert_result.value = (
                '<p class="rf-udloebet" role="alert">Medarbejderen har ikke bestået '
                f"{html.escape(module_title(self.cert_module.value))} endnu.</p>"
            )
            return
        self.cert_result.value = (
            f'<p><a class="rf-knap" href="/admin/kursusbevis/{html.escape(code)}.pdf" '
            f'target="_blank">Åbn kursusbevis {html.escape(code)} (PDF)</a> '
            f"Gyldigt til {expires:%d-%m-%Y}.</p>"
        )


def build_app():
    """Entry point of widgets/dashboard/index.ipynb (admin only; the server checks too).

    Returns the first view at once; the tables follow from a background thread."""
    wait_for_request()  # a preheated kernel: until a page takes it (that page's cookie)
    settings = Settings.from_env()  # the kernel's settings, read once (it inherits the server's environment)
    try:
        admin = identity.current_admin(settings)
    except identity.IdentityError:
        return widgets.HTML(
            '<h1>Overblik</h1><p role="alert">Du skal logge ind som administrator. '
            '<a href="/login?next=/voila/render/dashboard/index.ipynb">Log ind</a></p>'
        )

    dash = Dashboard(admin=admin, db_url=settings.db_url, settings=settings)
    if os.environ.get(EAGER_ENV) == "1":  # bench/p10_dashboard.py's baseline: everything before the first paint
        dash.load()
    else:
        dash.start_loading()
    return dash
