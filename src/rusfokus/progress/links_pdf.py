"""Personal links as a printable sheet (PDF): per institution, four cut-out cards per A4 page,
each with the person's name, institution, the link as text and as a QR code.

A personal link logs the person in, so the sheet is made only by an admin (dashboard or
CLI), each sheet is audit-logged (institution and count, never names), and the page says
"giv det ikke videre". ``links_pdf(entries, ...)`` is pure (entries in, PDF bytes out);
``entries_for(session, base_url, institution)`` reads the active staff from the database.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass

import ipywidgets as widgets
from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.progress.models import STATUS_ACTIVE, Institution, Person

CARDS_PER_PAGE = 4
CARD_HEIGHT = 68.0  # mm; 4 cards + margins fit A4 (297 mm)
TOP = 14.0


class LinksError(ValueError):
    """English message for the operator; the dashboard shows its own Danish text."""


@dataclass
class LinkEntry:
    name: str
    email: str
    institution: str
    link: str


def institutions(session: Session) -> list[str]:
    """Names of institutions that have active staff with an e-mail, sorted."""
    return sorted(set(session.scalars(
        select(Institution.name).join(Person, Person.institution_id == Institution.id)
        .where(Person.status == STATUS_ACTIVE, Person.email.is_not(None)))))


def entries_for(session: Session, base_url: str, institution: str | None = None) -> list[LinkEntry]:
    """Active staff (optionally of one institution, by name) with a new personal link each, by institution
    then name. Revoked people are left out (their links do not work)."""
    from rusfokus.apps.dashboard_person import personal_link
    from rusfokus.identity.revocation import is_revoked_in

    stmt = (select(Person.name, Person.email, Institution.name)
            .join(Institution, Person.institution_id == Institution.id)
            .where(Person.status == STATUS_ACTIVE, Person.email.is_not(None))
            .order_by(Institution.name, Person.name, Person.email))
    if institution:
        stmt = stmt.where(Institution.name == institution)
    rows = session.execute(stmt).all()
    return [LinkEntry(name or "", email, inst, personal_link(email, base_url))
            for name, email, inst in rows if not is_revoked_in(session, email)]


def _qr_image(link: str):
    import qrcode

    qr = qrcode.QRCode(border=1, box_size=4, error_correction=qrcode.constants.ERROR_CORRECT_L)
    qr.add_data(link)
    return qr.make_image().get_image()


def links_pdf(entries: list[LinkEntry], *, kommune: str = "", title: str = "Personlige links til kurset") -> bytes:
    """The sheet: a new page for each institution, ``CARDS_PER_PAGE`` cards per page with cut lines."""
    from fpdf import FPDF

    from rusfokus.progress.certificates import _fit, _font_path

    if not entries:
        raise LinksError("no people to make links for")
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_author(kommune or "rusfokus")
    pdf.set_lang("da")
    pdf.add_font("DejaVu", "", str(_font_path()))
    pdf.add_font("DejaVu", "B", str(_font_path(bold=True)))
    pdf.set_auto_page_break(False)
    slot, current = CARDS_PER_PAGE, None
    for entry in entries:
        if entry.institution != current or slot == CARDS_PER_PAGE:
            current, slot = entry.institution, 0
            pdf.add_page()
            pdf.set_font("DejaVu", "B", 10)
            pdf.set_xy(10, 6)
            _, head = _fit(pdf, f"{title} – {entry.institution}", 150, 6, "B", range(10, 6, -1), line_factor=0.6)
            pdf.cell(150, 6, head)
            pdf.set_font("DejaVu", "", 8)
            pdf.cell(40, 6, f"Side {pdf.page_no()}", align="R")
        y = TOP + slot * CARD_HEIGHT
        if slot:
            pdf.set_draw_color(150, 150, 150)
            pdf.set_dash_pattern(dash=2, gap=2)
            pdf.line(5, y, 205, y)
            pdf.set_dash_pattern()
        pdf.image(_qr_image(entry.link), x=12, y=y + 6, w=46, h=46, alt_text=f"QR-kode til {entry.name}s link")
        x, width = 64, 136
        pdf.set_xy(x, y + 6)
        size, name = _fit(pdf, entry.name, width, 14, "B", range(16, 9, -1))
        pdf.multi_cell(width, size * 0.5, name, align="L", new_x="LEFT", new_y="NEXT")
        pdf.set_x(x)
        _, inst = _fit(pdf, entry.institution, width, 6, "", range(11, 7, -1), line_factor=0.55)
        pdf.multi_cell(width, 6, inst, align="L", new_x="LEFT", new_y="NEXT")
        pdf.ln(2)
        pdf.set_x(x)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(width, 4.5, "Dit personlige link til kurset. Scan QR-koden med telefonens kamera, "
                       "eller skriv linket i browseren:", align="L", new_x="LEFT", new_y="NEXT")
        pdf.set_x(x)
        pdf.set_font("DejaVu", "", 7)
        pdf.multi_cell(width, 3.4, entry.link, align="L", new_x="LEFT", new_y="NEXT")  # wraps anywhere: a long token
        pdf.set_xy(x, y + CARD_HEIGHT - 10)
        pdf.set_font("DejaVu", "B", 8)
        pdf.cell(width, 4, "Linket logger dig ind. Giv det ikke videre.")
        slot += 1
    return bytes(pdf.output())


def make_sheet(session: Session, base_url: str, *, institution: str | None, actor: str,
               kommune: str = "") -> tuple[bytes, int]:
    """The PDF for one institution (or all) and how many people it holds; audit-logged (links.pdf)."""
    from rusfokus.progress.audit import log_action

    entries = entries_for(session, base_url, institution)
    if not entries:
        raise LinksError(f"no active staff with a working link at {institution!r}" if institution
                         else "no active staff with a working link")
    pdf = links_pdf(entries, kommune=kommune)
    log_action(session, actor, "links.pdf", institution or "alle institutioner",
               f"{len(entries)} personal links printed")
    return pdf, len(entries)


def _filename(institution: str | None) -> str:
    import re

    slug = re.sub(r"[^a-z0-9æøå]+", "-", (institution or "alle").lower()).strip("-")[:60] or "institution"
    return f"personlige-links-{slug}.pdf"


class LinksSheet(widgets.VBox):
    """Dashboard section: choose an institution, make the PDF, download it."""

    def __init__(self, db_url: str, actor: str, base_url: str):
        self.db_url, self.actor, self.base_url = db_url, actor, base_url
        self.institution = widgets.Dropdown(options=[("Vælg institution", "")], description="Institution")
        self.institution.style.description_width = "7rem"
        self.button = widgets.Button(description="Lav PDF med links", tooltip="Lav en PDF med personlige links")
        self.result = widgets.HTML()
        self.button.on_click(self.make)
        intro = widgets.HTML(
            "<h2>Personlige links til udskrift</h2><p class=\"rf-note\">En side med fire kort pr. side: "
            "navn, institution, linket og en QR-kode. Linket logger personen ind, så del kortene ud personligt. "
            "Det bliver gemt i loggen, at du har lavet arket.</p>")
        super().__init__([intro, widgets.HBox([self.institution, self.button],
                                              layout=widgets.Layout(flex_flow="row wrap")), self.result])
        self.refresh()

    def refresh(self) -> None:
        from rusfokus.db import session_scope

        try:
            with session_scope(self.db_url) as s:
                names = institutions(s)
        except Exception:  # no tables yet: the list fills on the next refresh
            names = []
        self.institution.options = [("Vælg institution", "")] + [(n, n) for n in names]

    def make(self, _button=None) -> None:
        from rusfokus.db import session_scope

        choice = self.institution.value
        if not choice:
            self.result.value = '<p role="alert">Vælg først en institution.</p>'
            return
        try:
            with session_scope(self.db_url) as s:
                pdf, n = make_sheet(s, self.base_url, institution=choice, actor=self.actor)
        except LinksError:
            self.result.value = ('<p role="alert">Der er ingen aktive medarbejdere med et virkende link på '
                                 f"{html.escape(choice)}.</p>")
            return
        data = base64.b64encode(pdf).decode("ascii")
        self.result.value = (f'<p role="status"><a class="rf-knap" download="{html.escape(_filename(choice))}" '
                             f'href="data:application/pdf;base64,{data}">Hent PDF med {n} links '
                             f"({html.escape(choice)})</a></p>")
