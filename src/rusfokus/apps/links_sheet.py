"""The dashboard's section for the printable sheet of personal links (``rusfokus.identity.links``)."""

from __future__ import annotations

import base64
import html
import re

import ipywidgets as widgets

from rusfokus.db import session_scope
from rusfokus.identity.links import LinksError, institutions, make_sheet


def _filename(institution: str | None) -> str:
    slug = re.sub(r"[^a-z0-9æøå]+", "-", (institution or "alle").lower()).strip("-")[:60] or "institution"
    return f"personlige-links-{slug}.pdf"


class LinksSheet(widgets.VBox):
    """Dashboard section: choose an institution, make the PDF, download it."""

    def __init__(self, db_url: str, actor: str, base_url: str, *, secret: bytes):
        """``secret``: the server's (``load_secret(settings.secret_file)``), signs the links."""
        self.db_url, self.actor, self.base_url, self.secret = db_url, actor, base_url, secret
        self.institution = widgets.Dropdown(options=[("Vælg institution", "")], description="Institution")
        self.institution.style.description_width = "7rem"
        self.button = widgets.Button(description="Lav PDF med links", tooltip="Lav en PDF med personlige links")
        self.result = widgets.HTML()
        self.button.on_click(self.make)
        intro = widgets.HTML(
            '<h2>Personlige links til udskrift</h2><p class="rf-note">En side med fire kort pr. side: '
            "navn, institution, linket og en QR-kode. Linket logger personen ind, så del kortene ud personligt. "
            "Det bliver gemt i loggen, at du har lavet arket.</p>"
        )
        super().__init__(
            [
                intro,
                widgets.HBox([self.institution, self.button], layout=widgets.Layout(flex_flow="row wrap")),
                self.result,
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        try:
            with session_scope(self.db_url) as s:
                names = institutions(s)
        except Exception:  # no tables yet: the list fills on the next refresh
            names = []
        self.institution.options = [("Vælg institution", "")] + [(n, n) for n in names]

    def make(self, _button=None) -> None:
        choice = self.institution.value
        if not choice:
            self.result.value = '<p role="alert">Vælg først en institution.</p>'
            return
        try:
            with session_scope(self.db_url) as s:
                pdf, n = make_sheet(s, self.base_url, institution=choice, actor=self.actor, secret=self.secret)
        except LinksError:
            self.result.value = (
                f'<p role="alert">Der er ingen aktive medarbejdere med et virkende link på {html.escape(choice)}.</p>'
            )
            return
        data = base64.b64encode(pdf).decode("ascii")
        self.result.value = (
            f'<p role="status"><a class="rf-knap" download="{html.escape(_filename(choice))}" '
            f'href="data:application/pdf;base64,{data}">Hent PDF med {n} links '
            f"({html.escape(choice)})</a></p>"
        )
