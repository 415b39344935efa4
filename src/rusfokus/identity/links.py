"""Personal links: ``personal_link(email, base_url)``, the person's e-mail signed by the server
(it logs the person in), and the printable sheet (PDF): per institution, four cut-out cards per
A4 page, each with the person's name, institution, the link as text and as a QR code.

A personal link logs the person in, so the sheet is made only by an admin (dashboard or
CLI), each sheet is audit-logged (institution and count, never names), and the page says
"giv det ikke videre". ``links_pdf(entries, ...)`` is pure (entries in, PDF bytes out);
``entries_for(session, base_url, institution)`` reads the active staff from the database.
"""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.identity.revocation import is_revoked_in
from rusfokus.identity.tokens import learner_token
from rusfokus.progress.audit import log_action
from rusfokus.progress.certificates import _fit, _font_path
from rusfokus.progress.models import STATUS_ACTIVE, Institution, Person

CARDS_PER_PAGE = 4
CARD_HEIGHT = 68.0  # mm; 4 cards + margins fit A4 (297 mm)
TOP = 14.0


def personal_link(email: str, base_url: str, *, secret: bytes) -> str:
    """The person's link to the course: ``<base_url>/adgang/<signed e-mail>`` (it logs her in), signed with
    the server's ``secret`` (``load_secret(settings.secret_file)``)."""
    return f"{base_url.rstrip('/')}/adgang/{learner_token(email, secret=secret)}"


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
    return sorted(
        set(
            session.scalars(
                select(Institution.name)
                .join(Person, Person.institution_id == Institution.id)
                .where(Person.status == STATUS_ACTIVE, Person.email.is_not(None))
            )
        )
    )


def entries_for(session: Session, base_url: str, institution: str | None = None, *, secret: bytes) -> list[LinkEntry]:
    """Active staff (optionally of one institution, by name) with a new personal link each (signed with the
    server's ``secret``), by institution then name. Revoked people are left out (their links do not work)."""
    stmt = (
        select(Person.name, Person.email, Institution.name)
        .join(Institution, Person.institution_id == Institution.id)
        .where(Person.status == STATUS_ACTIVE, Person.email.is_not(None))
        .order_by(Institution.name, Person.name, Person.email)
    )
    if institution:
        stmt = stmt.where(Institution.name == institution)
    rows = session.execute(stmt).all()
    return [
        LinkEntry(name or "", email, inst, personal_link(email, base_url, secret=secret))
        for name, email, inst in rows
        if not is_revoked_in(session, email, secret=secret)
    ]


def _qr_image(link: str):
    qr = qrcode.QRCode(border=1, box_size=4, error_correction=qrcode.constants.ERROR_CORRECT_L)
    qr.add_data(link)
    return qr.make_image().get_image()


def links_pdf(entries: list[LinkEntry], *, kommune: str = "", title: str = "Personlige links til kurset") -> bytes:
    """The sheet: a new page for each institution, ``CARDS_PER_PAGE`` cards per page with cut lines."""
    # lazy: loads fpdf2 (~0.4 s); needed only here
    from fpdf import FPDF

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
        pdf.multi_cell(
            width,
            4.5,
            "Dit personlige link til kurset. Scan QR-koden med telefonens kamera, eller skriv linket i browseren:",
            align="L",
            new_x="LEFT",
            new_y="NEXT",
        )
        pdf.set_x(x)
        pdf.set_font("DejaVu", "", 7)
        pdf.multi_cell(width, 3.4, entry.link, align="L", new_x="LEFT", new_y="NEXT")  # wraps anywhere: a long token
        pdf.set_xy(x, y + CARD_HEIGHT - 10)
        pdf.set_font("DejaVu", "B", 8)
        pdf.cell(width, 4, "Linket logger dig ind. Giv det ikke videre.")
        slot += 1
    return bytes(pdf.output())


def make_sheet(
    session: Session, base_url: str, *, institution: str | None, actor: str, secret: bytes, kommune: str = ""
) -> tuple[bytes, int]:
    """The PDF for one institution (or all) and how many people it holds; audit-logged (links.pdf).
    ``secret``: the server's, signs the links."""
    entries = entries_for(session, base_url, institution, secret=secret)
    if not entries:
        raise LinksError(
            f"no active staff with a working link at {institution!r}"
            if institution
            else "no active staff with a working link"
        )
    pdf = links_pdf(entries, kommune=kommune)
    log_action(
        session, actor, "links.pdf", institution or "alle institutioner", f"{len(entries)} personal links printed"
    )
    return pdf, len(entries)
