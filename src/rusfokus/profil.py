"""The municipality's look (``profil:`` in ``kommune.yml``): colours and logo, validated.

Every page, app and the book take their colours from here (``rusfokus.web.theme`` turns them
into CSS custom properties), so a municipality re-brands by editing ``kommune.yml`` alone.
Text must stay readable: every colour pair a page uses for text is checked against the WCAG
contrast minimum of 4.5:1 (success criterion 1.4.3), and a file that breaks it is refused with
an English message for the operator naming file, line and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rusfokus.content.loader import DataFileError, Where

MIN_CONTRAST = 4.5
WHITE = "#ffffff"
MAX_LOGO_BYTES = 200 * 1024
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_FIELDS = {"logo", "logo_tekst", "farver"}


class ProfilError(DataFileError):
    """The ``profil:`` section of kommune.yml is invalid (operator message, English)."""


@dataclass(frozen=True)
class Farver:
    """Colours as ``#rrggbb``. ``primaer``: top bar, buttons and links; ``tekst_paa_primaer``: text on
    the primary colour; ``tekst`` and ``baggrund``: body text and page background."""

    primaer: str = "#0b4f6c"
    tekst_paa_primaer: str = WHITE
    tekst: str = "#1a1a1a"
    baggrund: str = "#fafafa"


COLOUR_FIELDS = ("primaer", "tekst_paa_primaer", "tekst", "baggrund")

# (foreground, background, where a page uses the pair): each needs MIN_CONTRAST.
# "#ffffff" stands for the white cards, tables and outline buttons on every page.
CONTRAST_PAIRS = (
    ("tekst", "baggrund", "body text on the page background"),
    ("tekst", WHITE, "body text on white cards and tables"),
    ("primaer", "baggrund", "links on the page background"),
    ("primaer", WHITE, "links and outline buttons on white cards"),
    ("tekst_paa_primaer", "primaer", "the top bar and primary buttons"),
)


@dataclass(frozen=True)
class Profil:
    farver: Farver = Farver()
    logo: Path | None = None  # an .svg or .png file (resolved next to kommune.yml)
    logo_tekst: str = ""  # what the logo says (its alternative text)


DEFAULT_PROFIL = Profil()


def normalise_hex(value: str) -> str:
    value = value.strip().lower()
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb``."""
    colour = normalise_hex(colour)
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def contrast_problems(farver: Farver) -> list[tuple[str, str]]:
    """``(field, message)`` for every text colour pair under MIN_CONTRAST (empty: all readable)."""
    problems = []
    for fg, bg, use in CONTRAST_PAIRS:
        fg_colour = getattr(farver, fg)
        bg_colour = bg if bg.startswith("#") else getattr(farver, bg)
        ratio = contrast_ratio(fg_colour, bg_colour)
        if ratio < MIN_CONTRAST:
            other = bg if bg.startswith("#") else f"{bg} {bg_colour}"
            problems.append(
                (
                    fg,
                    f"{fg_colour} on {other} ({use}) has a contrast of {ratio:.2f}:1; "
                    f"text needs at least {MIN_CONTRAST}:1 (WCAG 1.4.3). "
                    f"Choose a darker or lighter colour.",
                )
            )
    return problems


def parse_profil(data: object, where: Where, base_dir: Path) -> Profil:
    """The ``profil:`` mapping (or None: the default look). ``base_dir``: the folder of kommune.yml."""
    if data is None:
        return DEFAULT_PROFIL
    path = ("profil",)
    if not isinstance(data, dict):
        raise ProfilError(str(where.error(path, "must be a mapping with logo, logo_tekst, farver")))
    for key in data:
        if key not in _FIELDS:
            raise ProfilError(str(where.error((*path, key), f"unknown field; expected one of {sorted(_FIELDS)}")))
    farver = _farver(data.get("farver"), where, (*path, "farver"))
    logo = None
    logo_tekst = data.get("logo_tekst") or ""
    if not isinstance(logo_tekst, str):
        raise ProfilError(str(where.error((*path, "logo_tekst"), "must be a text")))
    logo_tekst = " ".join(logo_tekst.split())
    raw_logo = data.get("logo")
    if raw_logo is not None:
        logo = _logo(raw_logo, where, (*path, "logo"), base_dir)
        if not logo_tekst:
            raise ProfilError(
                str(
                    where.error(
                        (*path, "logo_tekst"),
                        "is required with a logo: what the logo says, read aloud to blind users "
                        "(e.g. the municipality's name)",
                    )
                )
            )
    return Profil(farver=farver, logo=logo, logo_tekst=logo_tekst)


def _farver(data: object, where: Where, path: tuple) -> Farver:
    if data is None:
        return Farver()
    if not isinstance(data, dict):
        raise ProfilError(str(where.error(path, f"must be a mapping with {', '.join(COLOUR_FIELDS)}")))
    values = {}
    for key, raw in data.items():
        if key not in COLOUR_FIELDS:
            raise ProfilError(str(where.error((*path, key), f"unknown colour; expected one of {list(COLOUR_FIELDS)}")))
        if not isinstance(raw, str) or not _HEX.match(raw.strip()):
            raise ProfilError(
                str(
                    where.error(
                        (*path, key),
                        f'{raw!r} is not a colour; write it as "#rrggbb" in quotes (e.g. "#0b4f6c")',
                    )
                )
            )
        values[key] = normalise_hex(raw)
    farver = Farver(**values)
    problems = contrast_problems(farver)
    if problems:
        field, message = problems[0]
        raise ProfilError(str(where.error((*path, field) if field in data else path, message)))
    return farver


def _logo(raw: object, where: Where, path: tuple, base_dir: Path) -> Path:
    if not isinstance(raw, str) or not raw.strip():
        raise ProfilError(str(where.error(path, "must be a file name (an .svg or .png next to kommune.yml)")))
    file = (Path(base_dir) / raw.strip()).resolve()
    if file.suffix.lower() not in LOGO_TYPES:
        raise ProfilError(str(where.error(path, f"{raw!r} must be an .svg or .png file")))
    if not file.is_file():
        raise ProfilError(str(where.error(path, f"file not found: {file}")))
    size = file.stat().st_size
    if size > MAX_LOGO_BYTES:
        raise ProfilError(
            str(
                where.error(
                    path,
                    f"{file.name} is {size // 1024} kB; a logo may be at most {MAX_LOGO_BYTES // 1024} kB",
                )
            )
        )
    head = file.read_bytes()[:512]
    if file.suffix.lower() == ".png" and not head.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ProfilError(str(where.error(path, f"{file.name} is not a PNG image")))
    if file.suffix.lower() == ".svg" and b"<svg" not in file.read_bytes()[:4096]:
        raise ProfilError(str(where.error(path, f"{file.name} is not an SVG image")))
    return file
