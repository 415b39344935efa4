"""Dashboard app for the admin (Voilà, widgets/dashboard): filters, tables, plots, downloads.

``Dashboard`` only wires widgets to the pure functions in ``reports`` and
``views``; tests set ``.value`` on the filters and read the HTML widgets.
"""

from __future__ import annotations

import html
from datetime import date

import ipywidgets as widgets

from . import MODULE_TITLES, module_title
from .reports import DIMENSIONS, ReportData, full_report
from .views import (
    STYLE,
    bar_chart_html,
    completion_matrix,
    download_links,
    html_table,
    monthly_chart_html,
)

ALL = "Alle"
# Shown on screen; the Excel/CSV download has every column (also e-mail, afdeling, forvaltning).
REFRESHER_COLUMNS = ["Navn", "Institution", "Faggruppe", "Modul", "Udløber", "Dage til udløb", "Status"]


def _options(values) -> list[tuple[str, str]]:
    return [(ALL, "")] + [(str(v), str(v)) for v in sorted(set(values))]


def render_sections(data: ReportData, by: str, today: date) -> dict[str, str]:
    """The dashboard's HTML sections for the (already filtered) data."""
    tables = full_report(data, today)
    label = DIMENSIONS[by]
    completion = tables[by]
    return {
        "overblik": "<h2>Overblik</h2>" + html_table(tables["overblik"], "Nøgletal"),
        "gennemfoert": (f"<h2>Gennemført pr. {label.lower()}</h2>"
                        '<p class="rf-note">Tallene viser, hvor mange aktive medarbejdere der har et gyldigt '
                        "kursusbevis, ud af alle aktive medarbejdere.</p>"
                        + bar_chart_html(completion, label, f"Gyldigt kursusbevis pr. {label.lower()}")
                        + html_table(completion_matrix(completion, label), f"Gyldige kursusbeviser pr. {label.lower()}")
                        + html_table(completion, f"Detaljer pr. {label.lower()} og modul")),
        "genopfriskning": ("<h2>Genopfriskning</h2>"
                           '<p class="rf-note">Kursusbeviser, der er udløbet eller udløber inden for 60 dage.</p>'
                           + html_table(tables["genopfriskning"][REFRESHER_COLUMNS], "Medarbejdere, der skal genopfriske",
                                        empty="Ingen kursusbeviser udløber inden for 60 dage.")),
        "noegleperson": ("<h2>Institutioner uden aktuel nøgleperson</h2>"
                         + html_table(tables["noegleperson"], "Institutioner, der mangler en nøgleperson",
                                      empty="Alle institutioner har en nøgleperson med gyldigt kursusbevis.")),
        "maaned": ("<h2>Gennemført pr. måned</h2>" + monthly_chart_html(tables["maaned"])
                   + html_table(tables["maaned"].iloc[::-1], "Beståede opgaver pr. måned (nyeste først)",
                                max_rows=36, empty="Ingen beståede opgaver endnu.")),
        "temadag": ("<h2>Temadage</h2>" + html_table(tables["temadag"], "Deltagelse i temadage pr. forvaltning",
                                                     empty="Ingen registreret deltagelse i temadage endnu.")),
    }


class Dashboard(widgets.VBox):
    def __init__(self, data: ReportData, *, admin: str = "", today: date | None = None, db_url: str | None = None):
        self.data, self.today, self.db_url = data, today or date.today(), db_url
        staff = data.active
        self.forvaltning = widgets.Dropdown(options=_options(staff["forvaltning"]), description="Forvaltning")
        self.afdeling = widgets.Dropdown(options=_options(staff["afdeling"]), description="Afdeling")
        self.faggruppe = widgets.Dropdown(options=_options(staff["faggruppe"]), description="Faggruppe")
        self.by = widgets.Dropdown(options=[(v, k) for k, v in DIMENSIONS.items()], value="forvaltning",
                                   description="Vis pr.")
        for w in (self.forvaltning, self.afdeling, self.faggruppe, self.by):
            w.style.description_width = "7rem"
        self.sections = {key: widgets.HTML() for key in
                         ("overblik", "gennemfoert", "genopfriskning", "noegleperson", "maaned", "temadag")}
        self.downloads = widgets.HTML()
        self.cert_email = widgets.Text(description="E-mail", placeholder="navn@kommune.dk")
        self.cert_module = widgets.Dropdown(options=[(t, m) for m, t in MODULE_TITLES.items()], description="Modul")
        self.cert_button = widgets.Button(description="Find kursusbevis", tooltip="Find kursusbevis")
        self.cert_result = widgets.HTML()
        self.cert_button.on_click(self._find_certificate)
        header = widgets.HTML(
            STYLE + "<h1>Uddannelse i tidlig opsporing – overblik</h1>"
            f'<p class="rf-note">Logget ind som {html.escape(admin)}. '
            '<a href="/temadag/admin" target="_top">Temadage og årshjul</a> · '
            '<a href="/" target="_top">Kurset</a> · <a href="/logout" target="_top">Log ud</a></p>')
        filters = widgets.HTML("<h2>Filtre</h2>")
        certificate = widgets.VBox([widgets.HTML("<h2>Udskriv kursusbevis</h2>"), self.cert_email, self.cert_module,
                                    self.cert_button, self.cert_result])
        extra = [certificate]
        if db_url:
            from .upload import RosterUpload

            self.upload = RosterUpload(db_url, f"admin:{admin}", on_done=self.reload)
            extra.append(self.upload)
        super().__init__([header, filters, widgets.HBox([self.forvaltning, self.afdeling]),
                          widgets.HBox([self.faggruppe, self.by]), self.downloads,
                          *self.sections.values(), *extra])
        self.forvaltning.observe(self._forvaltning_changed, names="value")
        for w in (self.afdeling, self.faggruppe, self.by):
            w.observe(lambda _change: self.update(), names="value")
        self.update()

    def reload(self) -> None:
        """Read the database again (after an import) and refresh filters and tables."""
        from rusfokus.db import session_scope

        from .reports import load_data

        with session_scope(self.db_url) as s:
            self.data = load_data(s)
        staff = self.data.active
        for widget, column in ((self.forvaltning, "forvaltning"), (self.faggruppe, "faggruppe")):
            current = widget.value
            widget.options = _options(staff[column])
            widget.value = current if current in set(staff[column]) else ""
        self._forvaltning_changed(None)

    def filters(self) -> dict:
        return {"forvaltning": self.forvaltning.value or None, "afdeling": self.afdeling.value or None,
                "faggruppe": self.faggruppe.value or None}

    def _forvaltning_changed(self, _change) -> None:
        staff = self.data.active
        if self.forvaltning.value:
            staff = staff[staff["forvaltning"] == self.forvaltning.value]
        current = self.afdeling.value
        self.afdeling.options = _options(staff["afdeling"])
        self.afdeling.value = current if current in set(staff["afdeling"]) else ""
        self.update()

    def update(self) -> None:
        filters = self.filters()
        rendered = render_sections(self.data.filtered(**filters), self.by.value, self.today)
        for key, widget in self.sections.items():
            widget.value = rendered[key]
        self.downloads.value = "<h2>Hent data</h2>" + download_links(filters)

    def _find_certificate(self, _button=None) -> None:
        from rusfokus.db import session_scope

        from .certificates import CertificateError, ensure_certificate
        from .gdpr import PersonNotFound, get_person

        if not self.db_url:
            return
        from rusfokus.settings import get_settings

        try:
            with session_scope(self.db_url) as s:
                person = get_person(s, self.cert_email.value)
                cert = ensure_certificate(s, person, self.cert_module.value, get_settings().certificate_months)
                code, expires = cert.code, cert.expires_on
        except PersonNotFound:
            self.cert_result.value = '<p class="rf-udloebet" role="alert">Der er ingen medarbejder med den e-mail.</p>'
            return
        except CertificateError:
            self.cert_result.value = ('<p class="rf-udloebet" role="alert">Medarbejderen har ikke bestået '
                                      f"{html.escape(module_title(self.cert_module.value))} endnu.</p>")
            return
        self.cert_result.value = (f'<p><a class="rf-knap" href="/admin/kursusbevis/{html.escape(code)}.pdf" '
                                  f'target="_blank">Åbn kursusbevis {html.escape(code)} (PDF)</a> '
                                  f"Gyldigt til {expires:%d-%m-%Y}.</p>")


def build_app():
    """Entry point of widgets/dashboard/index.ipynb (admin only; the server checks too)."""
    from rusfokus import identity

    try:
        from voila.utils import wait_for_request

        wait_for_request()
    except Exception:
        pass
    try:
        admin = identity.current_admin()
    except identity.IdentityError:
        return widgets.HTML(STYLE + '<h1>Overblik</h1><p role="alert">Du skal logge ind som administrator. '
                            '<a href="/login?next=/voila/render/dashboard/index.ipynb">Log ind</a></p>')
    from rusfokus.db import session_scope
    from rusfokus.migrations import upgrade
    from rusfokus.settings import get_settings

    from .reports import load_data

    url = get_settings().db_url
    upgrade(url)
    with session_scope(url) as s:
        data = load_data(s)
    return Dashboard(data, admin=admin, db_url=url)
