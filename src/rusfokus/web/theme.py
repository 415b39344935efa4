"""The pages' stylesheet and the municipality's logo, served with a content hash.

``kommune.yml``'s ``profil:`` (``rusfokus.profil``) becomes CSS custom properties::

    :root { --rf-primaer: #0b4f6c; --rf-tekst-paa-primaer: #ffffff; --rf-tekst: #1a1a1a; --rf-baggrund: #fafafa; }

Two stylesheets are made from it, each named by the hash of its content:

- ``/rusfokus/stil/sider.<hash>.css``: the colours + ``web/static/sider.css``, the one stylesheet of
  every server-rendered page (``web/templates/page.html``);
- ``/rusfokus/stil/farver.<hash>.css``: the colours alone, for the app pages (Voilà) and the book,
  whose own stylesheets read the same variables.

The logo is served as ``/rusfokus/stil/logo.<hash>.svg`` (or ``.png``). A changed ``kommune.yml``
(or logo file) is noticed on the next page view: new content, new hash, so browsers may keep each
version for a year (``immutable``). If the edited file is invalid, the last good look stays and
the reason is logged (``rusfokus serve`` refuses to start with it).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from rusfokus.kommune import KommuneError, load_kommune
from rusfokus.profil import COLOUR_FIELDS, DEFAULT_PROFIL, LOGO_TYPES, Profil

log = logging.getLogger("rusfokus.web")
STATIC = Path(__file__).parent / "static"
PAGE_CSS = STATIC / "sider.css"
URL_PREFIX = "/rusfokus/stil/"
HASH_LENGTH = 12


def css_variables(profil: Profil) -> str:
    """The ``:root`` block of the municipality's colours (``--rf-<field with - for _>``)."""
    lines = [f"  --rf-{name.replace('_', '-')}: {getattr(profil.farver, name)};" for name in COLOUR_FIELDS]
    return "/* From kommune.yml (profil.farver): the municipality's colours. */\n:root {\n" + "\n".join(lines) + "\n}\n"


BOOK_CSS = "rusfokus-farver.css"
"""The book's copy of the colours (``_static/rusfokus-farver.css``, written by ``rusfokus.sphinxext``)."""


def book_css(profil: Profil) -> str:
    """The colours for the book (Jupyter Book's pydata theme, light mode): the same variables, and
    the theme's primary and link colour set to ``primaer`` (checked against white and ``baggrund``)."""
    return (
        css_variables(profil) + '/* The book\'s theme (light mode) in the same colour */\nhtml[data-theme="light"] {\n'
        "  --pst-color-primary: var(--rf-primaer);\n  --pst-color-link: var(--rf-primaer);\n}\n"
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


@dataclass(frozen=True)
class Asset:
    name: str  # "sider", "farver", "logo"
    data: bytes
    content_type: str
    suffix: str  # "css", "svg", "png"

    @property
    def digest(self) -> str:
        return _digest(self.data)

    @property
    def url(self) -> str:
        return f"{URL_PREFIX}{self.name}.{self.digest}.{self.suffix}"


@dataclass(frozen=True)
class Look:
    """One version of the look: the stylesheets, the logo (or None) and its text."""

    sider: Asset
    farver: Asset
    logo: Asset | None
    logo_tekst: str
    kommune: str

    def asset(self, name: str) -> Asset | None:
        return {"sider": self.sider, "farver": self.farver, "logo": self.logo}.get(name)


def build_look(profil: Profil = DEFAULT_PROFIL, kommune: str = "") -> Look:
    variables = css_variables(profil)
    sider = Asset(
        "sider",
        (variables + "\n" + PAGE_CSS.read_text(encoding="utf-8")).encode("utf-8"),
        "text/css; charset=utf-8",
        "css",
    )
    farver = Asset("farver", variables.encode("utf-8"), "text/css; charset=utf-8", "css")
    logo = None
    if profil.logo is not None:
        suffix = profil.logo.suffix.lower()
        logo = Asset("logo", profil.logo.read_bytes(), LOGO_TYPES[suffix], suffix[1:])
    return Look(sider, farver, logo, profil.logo_tekst, kommune)


class Theme:
    """The current look for one ``kommune.yml``; rebuilt when the file, the logo or sider.css change."""

    def __init__(self, kommune_file: Path | None):
        self.kommune_file = Path(kommune_file) if kommune_file else None
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._look: Look | None = None
        self._logo_file: Path | None = None
        self._failed_stamp: tuple | None = None

    def _stat(self) -> tuple:
        files = [PAGE_CSS, self.kommune_file, self._logo_file]
        stamp = []
        for f in files:
            try:
                st = f.stat() if f is not None else None
            except OSError:
                st = None
            stamp.append((st.st_mtime_ns, st.st_size) if st else None)
        return tuple(stamp)

    def look(self) -> Look:
        stamp = self._stat()
        if self._look is not None and stamp == self._stamp:
            return self._look
        with self._lock:
            if self._look is not None and stamp == self._stamp:
                return self._look
            if self.kommune_file is None:
                self._look, self._stamp = build_look(), stamp
                return self._look
            try:
                kommune = load_kommune(self.kommune_file)
                look = build_look(kommune.profil, kommune.navn)
            except (KommuneError, OSError) as exc:
                if self._look is None:
                    raise
                if stamp != self._failed_stamp:
                    log.warning("%s: %s (the pages keep their last good look)", self.kommune_file, exc)
                    self._failed_stamp = stamp
                return self._look
            self._look, self._logo_file = look, kommune.profil.logo
            self._stamp = self._stat()  # with the logo file now known
            return look


_themes: dict[Path | None, Theme] = {}
_themes_lock = threading.Lock()


def theme_for(kommune_file: Path | str | None) -> Theme:
    """The process' one Theme per kommune.yml (created on first use)."""
    key = Path(kommune_file).resolve() if kommune_file else None
    with _themes_lock:
        if key not in _themes:
            _themes[key] = Theme(key)
        return _themes[key]
