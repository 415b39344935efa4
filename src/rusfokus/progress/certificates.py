"""Kursusbeviser: status, issue, verification codes and the PDF.

A certificate is issued when a person passes a module; it expires after
``Settings.certificate_months``. Status: gyldig, udløber snart (within
``SOON_DAYS`` days) or udløbet. The verification code is random (not derived
from the person), printed on the PDF and checked by
``rusfokus certificate verify CODE``.
"""

from __future__ import annotations

import calendar
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import qrcode
from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.dansk import dato
from rusfokus.progress import module_title
from rusfokus.progress.models import STATUS_DELETED, Certificate, Completion, Person

SOON_DAYS = 60
VALID, SOON, EXPIRED = "gyldig", "udløber snart", "udløbet"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)


class CertificateError(ValueError):
    """English operator message (the CLI prints it)."""


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def status_of(expires_on: date, today: date | None = None) -> str:
    today = today or date.today()
    if expires_on < today:
        return EXPIRED
    if (expires_on - today).days <= SOON_DAYS:
        return SOON
    return VALID


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    raw = "".join(ch for ch in str(code).upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 12 else raw


def issue(session: Session, person: Person, module: str, issued_on: date, months: int) -> Certificate:
    cert = Certificate(
        person_id=person.id,
        module=module,
        issued_on=issued_on,
        expires_on=add_months(issued_on, months),
        code=new_code(),
    )
    session.add(cert)
    session.flush()
    return cert


def latest(session: Session, person: Person, module: str) -> Certificate | None:
    return session.scalars(
        select(Certificate)
        .where(Certificate.person_id == person.id, Certificate.module == module)
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
    ).first()


def extend(session: Session, cert: Certificate, until: date) -> bool:
    """Renew a kursusbevis on practice (the refresher loop, ``rusfokus.genopfrisk``): valid until ``until``,
    never shortened. The PDF and the verify page show the new date. Returns whether it changed."""
    if until <= cert.expires_on:
        return False
    cert.expires_on = until
    session.flush()
    return True


def ensure_certificate(session: Session, person: Person, module: str, months: int) -> Certificate:
    """The person's current kursusbevis for a module; issued from the last pass if missing."""
    cert = latest(session, person, module)
    last_pass = session.scalars(
        select(Completion)
        .where(Completion.person_id == person.id, Completion.module == module, Completion.passed.is_(True))
        .order_by(Completion.completed_at.desc())
    ).first()
    if last_pass is None and cert is None:
        raise CertificateError(f"person #{person.id} has not passed module {module!r}; no kursusbevis")
    if cert is None or (last_pass and last_pass.completed_at.date() > cert.issued_on):
        cert = issue(session, person, module, last_pass.completed_at.date(), months)
    return cert


@dataclass
class Verification:
    code: str
    name: str
    module: str
    issued_on: date
    expires_on: date
    status: str

    def lines(self) -> list[str]:
        return [
            f"code:      {self.code}",
            f"name:      {self.name}",
            f"module:    {module_title(self.module)} ({self.module})",
            f"issued:    {self.issued_on.isoformat()}",
            f"expires:   {self.expires_on.isoformat()}",
            f"status:    {self.status}",
        ]


def verify(session: Session, code: str, today: date | None = None) -> Verification:
    norm = normalise_code(code)
    row = session.execute(
        select(Certificate, Person).join(Person, Certificate.person_id == Person.id).where(Certificate.code == norm)
    ).first()
    if row is None:
        raise CertificateError(f"unknown verification code {code!r}: no such kursusbevis")
    cert, person = row
    if person.status == STATUS_DELETED:
        raise CertificateError(f"kursusbevis {norm} belonged to a person whose data was deleted")
    return Verification(
        norm, person.name or "", cert.module, cert.issued_on, cert.expires_on, status_of(cert.expires_on, today)
    )


def _font_path(bold: bool = False) -> Path:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    # lazy: loads matplotlib (~0.4-0.7 s); needed only here
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


NAME_BOX_WIDTH = 160
"""mm: the name (and module) lines stay well inside the frame (12-198 mm)."""
NAME_BOX_HEIGHT = 30
"""mm: the name block's height. A long name gets a smaller font (down to 10 pt), then is shortened with …,
so the page stays one page and nothing runs into the QR code (y 188 mm) or the verification code."""
LINE_FACTOR = 0.5
"""Line height in mm per point of font size (22 pt → 11 mm)."""


def _fit(
    pdf, text: str, width: float, max_height: float, style: str, sizes, line_factor: float = LINE_FACTOR
) -> tuple[int, str]:
    """The largest font size in ``sizes`` at which ``text`` fits ``width`` x ``max_height`` mm (font is set).

    If even the smallest size is too big, the text is cut at a word boundary and ends with "…".
    """
    # lazy: loads fpdf2 (~0.4 s); needed only here
    from fpdf.enums import MethodReturnValue

    def lines(t: str, size: int) -> int:
        pdf.set_font("DejaVu", style, size)
        return len(pdf.multi_cell(width, size * line_factor, t, dry_run=True, output=MethodReturnValue.LINES))

    text = " ".join(str(text).split())
    sizes = list(sizes)
    for size in sizes:
        if lines(text, size) * size * line_factor <= max_height:
            return size, text
    size = sizes[-1]
    words = text.split(" ")
    while len(words) > 1 and lines(" ".join(words) + " …", size) * size * line_factor > max_height:
        words.pop()
    cut = " ".join(words)
    while cut and lines(cut + "…", size) * size * line_factor > max_height:  # one very long "word"
        cut = cut[:-1]
    pdf.set_font("DejaVu", style, size)
    return size, cut.rstrip() + " …"


def render_pdf(
    *,
    name: str,
    module: str,
    issued_on: date,
    expires_on: date,
    code: str,
    kommune: str,
    rusmiddelcenter: str = "",
    verify_url: str = "",
) -> bytes:
    """A one-page A4 kursusbevis (Danish text, DejaVu font so æøå print)."""
    # lazy: loads fpdf2 (~0.4 s); needed only here
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"Kursusbevis - {module_title(module)}")
    pdf.set_author(kommune)
    pdf.set_lang("da")
    pdf.add_font("DejaVu", "", str(_font_path()))
    pdf.add_font("DejaVu", "B", str(_font_path(bold=True)))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_draw_color(30, 70, 110)
    pdf.set_line_width(1.2)
    pdf.rect(12, 12, 186, 273)
    pdf.set_y(40)
    pdf.set_font("DejaVu", "B", 30)
    pdf.cell(0, 16, "Kursusbevis", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 13)
    pdf.cell(0, 8, "Tidlig opsporing af alkohol- og stofproblemer", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(20)
    size, text = _fit(pdf, name, NAME_BOX_WIDTH, NAME_BOX_HEIGHT, "B", range(22, 9, -1))
    pdf.set_x((210 - NAME_BOX_WIDTH) / 2)
    pdf.multi_cell(NAME_BOX_WIDTH, size * LINE_FACTOR, text, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 13)
    pdf.cell(0, 8, "har gennemført og bestået modulet", align="C", new_x="LMARGIN", new_y="NEXT")
    size, text = _fit(pdf, module_title(module), NAME_BOX_WIDTH, 10, "B", range(18, 9, -1))
    pdf.set_x((210 - NAME_BOX_WIDTH) / 2)
    pdf.multi_cell(NAME_BOX_WIDTH, size * LINE_FACTOR, text, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(14)
    pdf.set_font("DejaVu", "", 12)
    for label, value in (
        ("Bestået", dato(issued_on)),
        ("Gyldigt til", dato(expires_on)),
        ("Udstedt af", kommune),
        ("I samarbejde med", rusmiddelcenter),
    ):
        if value:
            pdf.set_x(45)
            pdf.set_font("DejaVu", "B", 12)
            pdf.cell(50, 8, f"{label}:")
            _, text = _fit(pdf, value, 80, 8, "", range(12, 6, -1), line_factor=8 / 12)  # one line each
            pdf.multi_cell(80, 8, text, new_x="LMARGIN", new_y="NEXT")
    if verify_url:
        qr = qrcode.QRCode(border=1, box_size=6)
        qr.add_data(verify_url)
        pdf.image(qr.make_image().get_image(), x=88, y=188, w=34, h=34, alt_text="QR-kode til tjek af beviset")
    pdf.set_y(225)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 7, f"Verifikationskode: {code}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    lines = ["Beviset kan tjekkes hos kommunen med koden."]
    if verify_url:
        lines.append(f"Scan QR-koden, eller gå til {verify_url}")
    for line in lines:
        pdf.set_x(22)
        pdf.multi_cell(166, 5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.cell(0, 5, "Efter udløb anbefales et genopfriskningsforløb.", align="C")
    return bytes(pdf.output())


def certificate_pdf(
    session: Session, cert: Certificate, *, kommune: str, rusmiddelcenter: str = "", base_url: str = ""
) -> bytes:
    person = session.get(Person, cert.person_id)
    if person is None or person.status == STATUS_DELETED:
        raise CertificateError("the person of this kursusbevis has been deleted")
    url = f"{base_url.rstrip('/')}/api/progress/verify/{cert.code}" if base_url else ""
    return render_pdf(
        name=person.name or "",
        module=cert.module,
        issued_on=cert.issued_on,
        expires_on=cert.expires_on,
        code=cert.code,
        kommune=kommune,
        rusmiddelcenter=rusmiddelcenter,
        verify_url=url,
    )
