"""The nøgleperson kit's local material, made from kommune.yml.

Three documents: the local procedure (one A4 page), the consent form for
sharing information with the rusmiddelcenter, and the pocket card. Each is
one ``Document`` built from the municipality's data; the book shows it as
HTML (``{kommune} procedure`` etc. in ``sphinxext``) and the build writes the
same document as a PDF (``write_pdfs``), so the page and the PDF always say
the same thing.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from rusfokus.kommune import Kommune

PDF_FOLDER = "book/noeglepersoner/materiale"  # in the built HTML folder
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)


@dataclass(frozen=True)
class Block:
    """One piece of a document.

    kind: ``h`` heading, ``p`` paragraph, ``li`` bullet, ``step`` numbered step
    (``title`` + ``lines``), ``field`` a line to fill in, ``check`` a tick box.
    """

    kind: str
    text: str = ""
    title: str = ""
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    slug: str
    title: str
    blocks: tuple[Block, ...]
    layout: str = "a4"  # "a4" one page, or "kort": four cut-out cards on one A4 page

    @property
    def pdf_name(self) -> str:
        return f"{self.slug}.pdf"

    def text(self) -> str:
        """All the document's words, in order (tests and search)."""
        parts = [self.title]
        for b in self.blocks:
            parts += [b.title, b.text, *b.lines]
        return "\n".join(p for p in parts if p)


def _nb(phone: str) -> str:
    """A phone number that never breaks over two lines (no-break spaces)."""
    return phone.replace(" ", "\u00a0")


def procedure(k: Kommune) -> Document:
    rc, bf, fp = k.rusmiddelcenter, k.boernefamilie, k.fagpersoner
    steps = (
        Block(
            "step",
            title="1. Bekymring",
            lines=(
                "Skriv ned, hvad du selv har set og hørt, med dato.",
                "Ét tegn er ikke et bevis, men flere tegn over tid er en grund til at handle.",
                "Vil en påvirket forælder køre bil med et barn, så ring til politiet på 112.",
            ),
        ),
        Block(
            "step",
            title="2. Leder og nøgleperson",
            lines=(
                "Tal med din leder eller nøglepersonen samme dag.",
                (
                    f"Du kan få sparring hos {fp.raadgivning_navn} "
                    f"på {_nb(fp.raadgivning_telefon)} ({fp.raadgivning_tider})."
                ),
                "Du behøver ikke at sige borgerens navn for at få sparring.",
            ),
        ),
        Block("field", text="Min leder:"),
        Block("field", text="Vores nøgleperson:"),
        Block(
            "step",
            title="3. Samtale",
            lines=(
                "Sig, hvad du har set, og at du er bekymret.",
                "Spørg, hvordan borgeren selv ser det, og fortæl, hvor der er hjælp.",
                (
                    "Drikker borgeren hver dag og ryster om morgenen, så sig: "
                    "stop ikke brat, men tal med lægen eller rusmiddelcentret i dag."
                ),
                "Er du bange for vold eller overgreb, så tal med din leder og familieafdelingen først.",
            ),
        ),
        Block(
            "step",
            title="4. Underretning",
            lines=(
                "Har du grund til at tro, at et barn kan have brug for særlig støtte, skal du underrette.",
                "Pligten er din egen, også hvis din leder er uenig (Barnets Lov § 133).",
                f"Underret til {bf.navn} på {_nb(bf.telefon)} eller på {fp.underretning_web}.",
                f"Uden for åbningstid: {bf.uden_for_aabningstid}",
            ),
        ),
        Block(
            "step",
            title="5. Rusmiddelcentret",
            lines=(
                f"Fortæl borgeren om {rc.navn}, {rc.adresse}, telefon {_nb(rc.telefon)}.",
                f"Åbent: {'; '.join(rc.aabningstider)}.",
                "Alkoholbehandling er gratis og kan være anonym.",
                "Vil borgeren have hjælp til at få kontakt, så brug samtykkeerklæringen.",
            ),
        ),
    )
    return Document(
        "procedure",
        f"Når du er bekymret: sådan gør vi i {k.navn}",
        (
            Block(
                "p", text="Brug siden, når du er bekymret for alkohol eller stoffer hos en borger eller en forælder."
            ),
            Block("p", text="Ring 112, hvis nogen er i akut fare."),
            *steps,
        ),
    )


def samtykke(k: Kommune) -> Document:
    rc = k.rusmiddelcenter
    return Document(
        "samtykke",
        f"Samtykke til at dele oplysninger med {rc.navn}",
        (
            Block("p", text="Med denne blanket giver du lov til, at vi taler med rusmiddelcentret om dig."),
            Block("p", text="Du bestemmer selv, om du vil skrive under."),
            Block("p", text="Du kan sige nej, og du får den samme hjælp fra os som før."),
            Block("h", text="Hvem giver samtykke"),
            Block("field", text="Dit navn:"),
            Block("field", text="Din fødselsdato:"),
            Block("h", text="Hvem må dele oplysningerne"),
            Block("field", text="Medarbejder og arbejdssted:"),
            Block("h", text="Hvem må få oplysningerne"),
            Block("p", text=f"{rc.navn}, {rc.adresse}, telefon {_nb(rc.telefon)}, {k.navn}."),
            Block("h", text="Hvad må vi dele"),
            Block("check", text="At du gerne vil kontaktes af rusmiddelcentret."),
            Block("check", text="Dit navn og dit telefonnummer."),
            Block("check", text="Det, du har fortalt os om dit brug af alkohol eller stoffer."),
            Block("check", text="Andet:"),
            Block("h", text="Hvorfor"),
            Block("p", text="Så rusmiddelcentret kan kontakte dig og tilbyde dig hjælp."),
            Block("h", text="Hvor længe"),
            Block("field", text="Samtykket gælder til og med (dato):"),
            Block("h", text="Du kan trække samtykket tilbage"),
            Block("p", text="Du kan når som helst sige, at vi ikke må dele mere."),
            Block("p", text="Sig det til den medarbejder, der har skrevet under, eller ring til rusmiddelcentret."),
            Block(
                "p",
                text=(
                    "Har du børn, gælder pligten til at underrette stadig, "
                    "hvis et barn kan have brug for støtte (Barnets Lov § 133)."
                ),
            ),
            Block("field", text="Dato og din underskrift:"),
            Block("field", text="Dato og medarbejderens underskrift:"),
        ),
    )


def lommekort(k: Kommune) -> Document:
    rc, bf, fp = k.rusmiddelcenter, k.boernefamilie, k.fagpersoner
    return Document(
        "lommekort",
        f"Lommekort: alkohol og bekymring, {k.navn}",
        (
            Block("h", text="Sundhedsstyrelsens råd til raske voksne"),
            Block("li", text="Højst 10 genstande om ugen og højst 4 på samme dag."),
            Block("li", text="Gravide: ingen alkohol. Ammende: vær forsigtig. Rådet om 10 og 4 gælder ikke her."),
            Block("h", text="AUDIT-C: tre spørgsmål til voksne"),
            Block("li", text="1. Hvor tit drikker du alkohol?"),
            Block("li", text="2. Hvor mange genstande drikker du på en typisk dag, hvor du drikker?"),
            Block("li", text="3. Hvor tit drikker du 6 genstande eller flere ved samme lejlighed?"),
            Block("h", text="Barnets Lov § 133"),
            Block(
                "p",
                text="Har du grund til at tro, at et barn kan have brug for særlig støtte, skal du selv underrette.",
            ),
            Block("h", text="Numre"),
            Block("li", text=f"{rc.navn}: {_nb(rc.telefon)}"),
            Block("li", text=f"{fp.raadgivning_navn}: {_nb(fp.raadgivning_telefon)}"),
            Block("li", text=f"{bf.navn}: {_nb(bf.telefon)}"),
            Block("li", text="Akut fare: 112"),
        ),
        layout="kort",
    )


DOCUMENTS = {"procedure": procedure, "samtykke": samtykke, "lommekort": lommekort}


def document(kind: str, k: Kommune) -> Document:
    if k.fagpersoner is None:
        raise ValueError("kommune.yml has no 'fagpersoner' section; the nøgleperson material needs it")
    return DOCUMENTS[kind](k)


def pdf_href(docname: str, doc: Document) -> str:
    """Link from a page (Sphinx docname) to the document's PDF in the built book."""
    return posixpath.relpath(f"{PDF_FOLDER}/{doc.pdf_name}", posixpath.dirname(docname) or ".")


# ---------------------------------------------------------------- PDF


def _font(bold: bool) -> str:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    # lazy: loads matplotlib (~0.4-0.7 s); needed only here
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name)


def _write_blocks(pdf, doc: Document, x: float, width: float, scale: float) -> None:
    """Write the blocks from the current y, in a column at x with the given width."""
    line = 5.2 * scale
    size = 10.5 * scale
    pdf.set_font("DejaVu", "B", 15 * scale)
    pdf.set_x(x)
    pdf.multi_cell(width, 7 * scale, doc.title, new_x="LEFT", new_y="NEXT", align="L")
    pdf.ln(2 * scale)
    for b in doc.blocks:
        pdf.set_x(x)
        if b.kind == "h":
            pdf.ln(1.2 * scale)
            pdf.set_font("DejaVu", "B", size + 0.5 * scale)
            pdf.multi_cell(width, line, b.text, new_x="LEFT", new_y="NEXT", align="L")
        elif b.kind == "step":
            pdf.ln(1.2 * scale)
            pdf.set_font("DejaVu", "B", size + 1 * scale)
            pdf.multi_cell(width, line + 0.6, b.title, new_x="LEFT", new_y="NEXT", align="L")
            pdf.set_font("DejaVu", "", size)
            for text in b.lines:
                pdf.set_x(x + 3)
                pdf.multi_cell(width - 3, line, f"• {text}", new_x="LEFT", new_y="NEXT", align="L")
        elif b.kind == "field":
            pdf.set_font("DejaVu", "", size)
            pdf.ln(1.5 * scale)
            label_w = pdf.get_string_width(b.text) + 2
            pdf.cell(label_w, line + 1, b.text)
            y = pdf.get_y() + line + 0.5
            pdf.line(x + label_w, y, x + width, y)
            pdf.ln(line + 1.5)
        elif b.kind == "check":
            pdf.set_font("DejaVu", "", size)
            pdf.rect(x + 1, pdf.get_y() + 0.8, 3.6 * scale, 3.6 * scale)
            pdf.set_x(x + 7)
            pdf.multi_cell(width - 7, line, b.text, new_x="LEFT", new_y="NEXT", align="L")
        elif b.kind == "li":
            pdf.set_font("DejaVu", "", size)
            text = b.text if b.text[:2].rstrip(".").isdigit() else f"• {b.text}"
            pdf.multi_cell(width, line, text, new_x="LEFT", new_y="NEXT", align="L")
        else:
            pdf.set_font("DejaVu", "", size)
            pdf.multi_cell(width, line, b.text, new_x="LEFT", new_y="NEXT", align="L")


def render_pdf(doc: Document, kommune_navn: str) -> bytes:
    """The document as a PDF: one A4 page, or four cards on one A4 page with cut lines."""
    # lazy: loads fpdf2 (~0.4 s); needed only here
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(doc.title)
    pdf.set_author(kommune_navn)
    pdf.set_lang("da")
    pdf.add_font("DejaVu", "", _font(False))
    pdf.add_font("DejaVu", "B", _font(True))
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 14, 15)
    pdf.add_page()
    if doc.layout == "kort":
        pdf.set_draw_color(120, 120, 120)
        pdf.set_dash_pattern(dash=2, gap=2)
        pdf.line(105, 0, 105, 297)
        pdf.line(0, 148.5, 210, 148.5)
        pdf.set_dash_pattern()
        pdf.set_draw_color(0, 0, 0)
        for col in (0, 1):
            for row in (0, 1):
                pdf.set_xy(col * 105 + 7, row * 148.5 + 7)
                _write_blocks(pdf, doc, col * 105 + 7, 91, 0.95)
                if pdf.get_y() > row * 148.5 + 145:
                    raise ValueError(f"{doc.pdf_name}: the card text does not fit; shorten kommune.yml values")
    else:
        _write_blocks(pdf, doc, 15, 180, 1.1)
    if pdf.page_no() != 1 or pdf.get_y() > 287:
        raise ValueError(f"{doc.pdf_name}: the text does not fit on one page; shorten kommune.yml values")
    return bytes(pdf.output())


def write_pdfs(k: Kommune, outdir: str | Path) -> list[Path]:
    """Write every document's PDF into the built book; return their paths."""
    folder = Path(outdir) / PDF_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in DOCUMENTS:
        doc = document(kind, k)
        path = folder / doc.pdf_name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(render_pdf(doc, k.navn))
        tmp.replace(path)
        written.append(path)
    return written
