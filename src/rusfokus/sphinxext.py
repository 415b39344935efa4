"""Sphinx extension for the rusfokus book.

- ``{app}`` directive: embeds a live Voilà app from the same origin. Without
  the server (static files) the page shows a Danish notice instead.
- ``{kommune}`` directive and substitutions: the municipality's own data from
  kommune.yml, escaped like any other text.
- Our own static JS/CSS (no CDN), and Danish theme strings.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive, directives

from rusfokus.kommune import Kommune, load_kommune
from rusfokus.noeglekit import DOCUMENTS as KIT_DOCUMENTS
from rusfokus.noeglekit import Document, document, pdf_href, write_pdfs
from rusfokus.settings import Settings
from rusfokus.web.theme import BOOK_CSS, book_css

STATIC_DIR = Path(__file__).parent / "static"
_APP_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_QUERY = re.compile(r"^[A-Za-z0-9_.=&-]*$")

# Theme strings sphinx-book-theme / pydata-sphinx-theme leave in English for `da`.
THEME_STRINGS_DA = {
    "Skip to main content": "Gå til hovedindhold",
    "Back to top": "Tilbage til toppen",
    "Search this book...": "Søg i kurset …",
    "On this page": "På denne side",
    "Contents": "Indhold",
    "Color mode": "Farvetema",
    "Toggle navigation": "Vis eller skjul menu",
    "Toggle primary sidebar": "Vis eller skjul menu",
    "Toggle secondary sidebar": "Vis eller skjul indholdsfortegnelse",
    "Print to PDF": "Udskriv som PDF",
    "Fullscreen mode": "Fuld skærm",
    "Light": "Lyst",
    "Dark": "Mørkt",
    "System Settings": "Systemets indstilling",
    "light": "lyst",
    "dark": "mørkt",
    "Home": "Forside",
    "Download this page": "Hent denne side",
    "By rusfokus": "Udgivet af rusfokus",
    "Ved rusfokus": "Udgivet af rusfokus",
    "Previous": "Forrige",
    "Next": "Næste",
    "previous page": "forrige side",
    "next page": "næste side",
    "Site navigation": "Navigation",
    "Section Navigation": "Navigation i afsnittet",
    "Main": "Hoved",
    "Breadcrumb": "Brødkrumme",
    "Search...": "Søg …",
    "Link to this heading": "Link til denne overskrift",
    "Link to this term": "Link til dette begreb",
    "Link to this definition": "Link til denne definition",
    "Link to this table": "Link til denne tabel",
    "Link to this image": "Link til dette billede",
    "Link to this code": "Link til denne kode",
    "Link to this equation": "Link til denne ligning",
    "Announcement": "Brug for hjælp nu",
}


def _kommune(env) -> Kommune:
    cached = getattr(env, "_rusfokus_kommune", None)
    if cached is None:
        cached = load_kommune(env.app.config.rusfokus_kommune_file)
        env._rusfokus_kommune = cached
    return cached


def _forget_kommune(app, env, docnames):
    """The environment is pickled between builds: read kommune.yml afresh on every build,
    so pages re-read after an edit of the file never see the last build's values."""
    env._rusfokus_kommune = None


class AppDirective(Directive):
    """Embed a live app: ```{app} genstande``` with :title:, :height:, :query:."""

    required_arguments = 1
    has_content = False
    option_spec = {
        "title": directives.unchanged_required,
        "height": directives.positive_int,
        "query": directives.unchanged,
    }

    def run(self):
        env = self.state.document.settings.env
        name = self.arguments[0]
        if not _APP_NAME.match(name):
            raise self.error(f"app name {name!r} must be lowercase letters, digits and '-'")
        widgets_dir = Path(env.app.confdir) / "widgets"
        if not (widgets_dir / name / "index.ipynb").is_file():
            raise self.error(f"no app widgets/{name}/index.ipynb")
        query = self.options.get("query", "")
        if not _QUERY.match(query):
            raise self.error(f"query {query!r} may only hold letters, digits, '=', '&', '-', '_' and '.'")
        title = self.options.get("title", name)
        height = self.options.get("height", 600)
        src = f"/voila/render/{name}/index.ipynb" + (f"?{query}" if query else "")
        esc = html.escape
        raw = (
            f'<div class="rf-app" data-app="{esc(name)}" data-src="{esc(src)}" '
            f'data-title="{esc(title)}" data-height="{height}">\n'
            f'<div class="rf-app-offline admonition note" role="note">\n'
            f'<p class="admonition-title">{esc(title)}: interaktivt værktøj</p>\n'
            f"<p>Her skulle værktøjet <strong>{esc(title)}</strong> vises. "
            "Det virker kun, når du åbner kurset fra kursusserveren, og ikke som løse filer. "
            "Spørg din nøgleperson eller IT-afdelingen om adressen på kurset.</p>\n"
            "</div>\n</div>\n"
        )
        return [nodes.raw("", raw, format="html")]


def _para(*parts) -> nodes.paragraph:
    p = nodes.paragraph()
    for part in parts:
        p += part if isinstance(part, nodes.Node) else nodes.Text(part)
    return p


def _kit_nodes(doc: Document, href: str) -> nodes.container:
    """The nøgleperson kit's local material as a printable block, with its PDF link."""
    box = nodes.container(classes=["rf-kit", f"rf-kit-{doc.slug}"])
    link = nodes.container(classes=["rf-kit-download"])
    link += _para("Hent som PDF til print: ", nodes.reference(doc.pdf_name, doc.pdf_name, refuri=href))
    box += link
    box += _para(nodes.strong(text=doc.title))
    box[-1]["classes"].append("rf-kit-title")
    items = None
    for b in doc.blocks:
        if b.kind != "li":
            items = None
        if b.kind == "h":
            box += _para(nodes.strong(text=b.text))
            box[-1]["classes"].append("rf-kit-heading")
        elif b.kind == "li":
            if items is None:
                items = nodes.bullet_list()
                box += items
            items += nodes.list_item("", _para(b.text))
        elif b.kind == "step":
            step = nodes.container(classes=["rf-kit-step"])
            step += _para(nodes.strong(text=b.title))
            lines = nodes.bullet_list()
            for text in b.lines:
                lines += nodes.list_item("", _para(text))
            step += lines
            box += step
        elif b.kind == "field":
            box += _para(b.text, nodes.inline("", "", classes=["rf-kit-blank"]))
            box[-1]["classes"].append("rf-kit-field")
        elif b.kind == "check":
            box += _para(nodes.inline("", "☐ ", classes=["rf-kit-box"]), b.text)
            box[-1]["classes"].append("rf-kit-check")
        else:
            box += _para(b.text)
    return box


def _youth_offers(k: Kommune) -> list[nodes.Node]:
    """The ``ungetilbud`` of kommune.yml as a list; without any, where to call instead (the rusmiddelcenter)."""
    if not k.ungetilbud:
        rc = k.rusmiddelcenter
        return [
            _para(
                f"{k.navn} har ikke skrevet sine tilbud til unge ind i kurset. Ring til ",
                nodes.strong(text=rc.navn),
                " på ",
                nodes.reference(rc.telefon, rc.telefon, refuri=tel_href(rc.telefon)),
                " og spørg, hvor unge kan få hjælp.",
            )
        ]
    items = nodes.bullet_list()
    for o in k.ungetilbud:
        item = nodes.list_item(
            "",
            _para(nodes.strong(text=o.navn), f" (for unge {o.alder})"),
            _para(o.tilbyder),
            _para("Telefon: ", nodes.reference(o.telefon, o.telefon, refuri=tel_href(o.telefon))),
        )
        if o.adresse:
            item += _para(f"Adresse: {o.adresse}")
        if o.web:
            item += _para("Hjemmeside: ", nodes.reference(o.web, o.web, refuri=o.web))
        items += item
    return [items]


def youth_offer(k: Kommune):
    """The offer the pages name by default (``{{ ungetilbud_navn }}``): the first of type behandling, else the
    first offer; None when kommune.yml lists none."""
    offers = [o for o in k.ungetilbud if o.type == "behandling"] or list(k.ungetilbud)
    return offers[0] if offers else None


class KommuneDirective(Directive):
    """```{kommune} tilbud``` | ```{kommune} kontakt``` | ```{kommune} boernefamilie``` |
    ```{kommune} ungetilbud``` (the offers for young people, module 5)

    The nøgleperson kit's local material: ```{kommune} procedure``` |
    ```{kommune} samtykke``` | ```{kommune} lommekort``` (the page text and a
    link to the same document as a PDF, written by the build).
    """

    required_arguments = 1
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        env.note_dependency(str(env.app.config.rusfokus_kommune_file))
        k = _kommune(env)
        what = self.arguments[0]
        box = nodes.container(classes=["rf-kommune", f"rf-kommune-{what}"])
        rc = k.rusmiddelcenter
        if what == "kontakt":
            box += _para(nodes.strong(text=rc.navn), f", {k.navn}")
            box += _para(f"Adresse: {rc.adresse}")
            box += _para("Telefon: ", nodes.reference(rc.telefon, rc.telefon, refuri=tel_href(rc.telefon)))
            doc = self.state.document
            if not getattr(doc, "_rf_kontakt_id", False):  # the help bar links to the first box of a page
                box["ids"].append(CONTACT_ID)
                doc._rf_kontakt_id = True
            box += _para("E-mail: ", nodes.reference(rc.email, rc.email, refuri=f"mailto:{rc.email}"))
            box += _para("Hjemmeside: ", nodes.reference(rc.web, rc.web, refuri=rc.web))
            hours = nodes.bullet_list()
            for line in rc.aabningstider:
                hours += nodes.list_item("", _para(line))
            box += _para("Åbningstider:")
            box += hours
        elif what == "tilbud":
            items = nodes.bullet_list()
            for t in k.tilbud:
                items += nodes.list_item(
                    "", _para(nodes.strong(text=t.navn), f" ({t.type_label})"), _para(t.beskrivelse), _para(t.kontakt)
                )
            box += items
        elif what == "boernefamilie":
            bf = k.boernefamilie
            box += _para(nodes.strong(text=bf.navn), f", telefon {bf.telefon}.")
            box += _para(bf.uden_for_aabningstid)
        elif what == "ungetilbud":
            box += _youth_offers(k)
        elif what in KIT_DOCUMENTS:
            try:
                doc = document(what, k)
            except ValueError as exc:
                raise self.error(str(exc)) from None
            return [_kit_nodes(doc, pdf_href(env.docname, doc))]
        else:
            views = ", ".join(["tilbud", "kontakt", "boernefamilie", "ungetilbud", *KIT_DOCUMENTS])
            raise self.error(f"unknown kommune view {what!r}; use one of {views}")
        return [box]


CONTACT_ID = "rf-kontakt"
CONTACT_PAGE = "book/om-kurset"  # the page whose {kommune} kontakt box the help bar links to
PAGE_MAP_NAME = "rusfokus-sider.json"  # read by rusfokus.progress.journey and rusfokus.js
_MODULE_DOC = re.compile(r"^modules/\d+-([a-z0-9-]+)/([a-z0-9-]+)$")
NOT_COUNTED = {"kilder"}  # a module's source list is not a page to read


def tel_href(number: str) -> str:
    """``tel:`` link of a Danish phone number from kommune.yml ("99 99 99 99" -> tel:+4599999999)."""
    digits = re.sub(r"[^0-9+]", "", number)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+") and len(digits) == 8:
        digits = "+45" + digits
    if not re.fullmatch(r"\+?[0-9]{3,15}", digits):
        raise ValueError(f"kommune.yml: phone number {number!r} cannot be dialled")
    return "tel:" + digits


def help_bar(k: Kommune, contact_href: str | None) -> str:
    """The "Brug for hjælp nu?" line at the top of every page: tap-to-call links."""
    esc = html.escape
    rc = k.rusmiddelcenter
    parts = [
        f'<a class="rf-help-call" href="{esc(tel_href(rc.telefon))}">'
        f'Ring<span class="rf-help-long"> til {esc(rc.navn)}:</span> '
        f'<span class="rf-nowrap">{esc(rc.telefon)}</span></a>',
        '<a class="rf-help-call" href="tel:112">Akut fare: ring <span class="rf-nowrap">112</span></a>',
    ]
    if contact_href:
        parts.append(f'<a class="rf-help-contact" href="{esc(contact_href)}">Kontakt rusmiddelcentret</a>')
    return (
        '<p class="rf-help"><strong class="rf-help-title">Brug for hjælp nu?</strong> '
        + ' <span class="rf-help-sep" aria-hidden="true">·</span> '.join(parts)
        + "</p>"
    )


def _page_context(app, pagename, templatename, context, doctree):
    """Every page: its name for rusfokus.js, and the help bar (the theme's announcement slot,
    above the header, so it shows on phones without opening the menu)."""
    context["metatags"] = context.get("metatags", "") + f'\n<meta name="rf-page" content="{html.escape(pagename)}">'
    k = _kommune(app.env)
    contact = None
    if CONTACT_PAGE in app.env.all_docs:
        contact = ("" if pagename == CONTACT_PAGE else context["pathto"](CONTACT_PAGE)) + "#" + CONTACT_ID
    context["theme_announcement"] = help_bar(k, contact)


def _toc_order(env) -> list[str]:
    order: list[str] = []

    def walk(doc: str) -> None:
        for child in env.toctree_includes.get(doc, []):
            if child not in order:
                order.append(child)
                walk(child)

    walk(env.config.root_doc)
    return order


def page_map(env) -> dict:
    """Every module's pages in reading order (all but its Kilder page), for the learner's journey."""
    modules: dict[str, dict] = {}
    for doc in _toc_order(env):
        m = _MODULE_DOC.match(doc)
        if not m or m.group(2) in NOT_COUNTED:
            continue
        title = env.titles[doc].astext() if doc in env.titles else doc
        module = modules.setdefault(m.group(1), {"id": m.group(1), "title": "", "pages": []})
        if m.group(2) == "index":
            module["title"] = title
        module["pages"].append({"page": doc, "title": title, "url": doc + ".html"})
    for module in modules.values():
        module["title"] = module["title"] or module["id"]
    return {"version": 1, "forside": env.config.root_doc, "modules": list(modules.values())}


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _config_inited(app, config):
    # The book build is an entry point like the server: its settings are read once, here, from the
    # same environment (RUSFOKUS_KOMMUNE, ...), so a page and the app inside it name one municipality.
    # The root is the book being built.
    settings = Settings.from_env(root=Path(app.confdir))
    app.rusfokus_settings = settings
    if not config.rusfokus_kommune_file:
        config.rusfokus_kommune_file = str(settings.kommune_file)
    k = load_kommune(config.rusfokus_kommune_file)
    subs = dict(getattr(config, "myst_substitutions", {}) or {})
    subs.update(
        kommune_navn=_md(k.navn),
        rusmiddelcenter_navn=_md(k.rusmiddelcenter.navn),
        rusmiddelcenter_telefon=_md(k.rusmiddelcenter.telefon),
        rusmiddelcenter_email=_md(k.rusmiddelcenter.email),
        boernefamilie_navn=_md(k.boernefamilie.navn),
        boernefamilie_telefon=_md(k.boernefamilie.telefon),
    )
    offer = youth_offer(k)
    subs.update(  # the rusmiddelcenter when kommune.yml lists no offer for young people
        ungetilbud_navn=_md(offer.navn if offer else k.rusmiddelcenter.navn),
        ungetilbud_telefon=_md(offer.telefon if offer else k.rusmiddelcenter.telefon),
    )
    if k.fagpersoner is not None:
        subs.update(
            raadgivning_navn=_md(k.fagpersoner.raadgivning_navn),
            raadgivning_telefon=_md(k.fagpersoner.raadgivning_telefon),
            raadgivning_tider=_md(k.fagpersoner.raadgivning_tider),
        )
    config.myst_substitutions = subs
    config.html_static_path = [*config.html_static_path, str(STATIC_DIR)]
    # The extension brings its own icon: favicon.svg linked from every page, and
    # favicon.ico at the site root for browsers that ask for /favicon.ico.
    if not config.html_favicon:
        config.html_favicon = str(STATIC_DIR / "favicon.svg")
    config.html_extra_path = [*config.html_extra_path, str(STATIC_DIR.parent / "book_root")]


def _builder_inited(app):
    for path in sorted(STATIC_DIR.iterdir()):
        if path.suffix == ".js":
            app.add_js_file(path.name, loading_method="defer")
        elif path.suffix == ".css":
            app.add_css_file(path.name)
    app.add_css_file(BOOK_CSS)  # kommune.yml's colours, written at build-finished


_ATTR = re.compile(r'(aria-label|title|placeholder|data-bs-title|data-tooltip)="([^"]*)"')
_TEXT = re.compile(r">(\s*)([^<>]+?)(\s*)<")
# The colour-mode button's three icons carry titles ("Lyst", "Mørkt", ...) that
# Font Awesome turns into SVG <title> text inside the button, so its text no
# longer matches its name "Farvetema" (WCAG 2.5.3, QualWeb QW-ACT-R30). The
# button's own tooltip and name say what it does; the icons need no title.
_THEME_ICON_TITLE = re.compile(r'(<i class="theme-switch [^"]*" data-mode="[a-z]+")\s+title="[^"]*"')
_THEBE = re.compile(
    r'<script>const THEBE_JS_URL[^<]*</script>\s*|<script async="async" src="[^"]*sphinx-thebe\.js[^"]*"></script>\s*'
)


def translate_html(text: str) -> str:
    """Replace the theme's English strings in a built page with Danish ones."""

    def attr(m):
        value = html.unescape(m.group(2))
        new = THEME_STRINGS_DA.get(value.strip(), value)
        return f'{m.group(1)}="{html.escape(new, quote=True)}"'

    def text_node(m):
        value = m.group(2)
        new = THEME_STRINGS_DA.get(html.unescape(value).strip())
        return f">{m.group(1)}{html.escape(new) if new is not None else value}{m.group(3)}<"

    text = _ATTR.sub(attr, text)
    text = _TEXT.sub(text_node, text)
    # The search buttons' visible text is "Søg" + a keyboard hint; their accessible
    # name must contain the visible text (WCAG 2.5.3, axe label-content-name-mismatch).
    text = text.replace('aria-label="Søg"', 'aria-label="Søg Ctrl+K"')
    text = _THEME_ICON_TITLE.sub(r"\1", text)
    # sphinx-thebe (always loaded by Jupyter Book 1) points at a CDN; we never use it.
    text = _THEBE.sub("", text)
    return text


def _build_finished(app, exc):
    if exc is not None or app.builder.format != "html":
        return
    # The kit's PDFs are made from kommune.yml on every build, so they always match it.
    kommune = load_kommune(app.config.rusfokus_kommune_file)
    write_pdfs(kommune, app.outdir)
    Path(app.outdir, "_static", BOOK_CSS).write_text(book_css(kommune.profil), encoding="utf-8")
    Path(app.outdir, PAGE_MAP_NAME).write_text(
        json.dumps(page_map(app.env), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    for page in Path(app.outdir).rglob("*.html"):
        original = page.read_text(encoding="utf-8")
        translated = translate_html(original)
        if translated != original:
            page.write_text(translated, encoding="utf-8")


def setup(app):
    app.add_config_value("rusfokus_kommune_file", "", "env")
    app.add_directive("app", AppDirective)
    app.add_directive("kommune", KommuneDirective)
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited)
    app.connect("html-page-context", _page_context)
    app.connect("env-before-read-docs", _forget_kommune)
    app.connect("build-finished", _build_finished)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
