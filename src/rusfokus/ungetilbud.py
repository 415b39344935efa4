"""The municipality's offers for young people (``ungetilbud:`` in ``kommune.yml``), validated.

The section is optional: a ``kommune.yml`` written before module 5 keeps
working (no offers; module 5's pages and the "Signal eller støj?" app then
point to the rusmiddelcenter instead). When present, every offer needs a name,
a type (behandling, ssp, ungeindsats or andet), a phone number, an address or
a web address, an age range ("15-25") and a short text saying what it offers.
Errors name the file, line and field, in English, for the municipal IT person
who edits the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rusfokus.content.loader import DataFileError, Where

FIELDS = ("type", "navn", "alder", "tilbyder", "telefon", "adresse", "web")
TYPES = {
    "behandling": "Rådgivning og behandling for unge",
    "ssp": "SSP",
    "ungeindsats": "Ungeindsats",
    "andet": "Andet tilbud til unge",
}
_PHONE = re.compile(r"^\+?[0-9 ]{8,15}$")
_URL = re.compile(r"^https?://\S+$")
_AGE = re.compile(r"^(\d{1,2})\s*-\s*(\d{1,2})$")
MIN_AGE, MAX_AGE = 0, 30
MAX_TEXT = 600  # a paragraph on a page, not a brochure


@dataclass(frozen=True)
class Ungetilbud:
    type: str
    """One of :data:`TYPES`: the app "Signal eller støj?" names the offers of the kind a case needs."""
    navn: str
    alder_fra: int
    alder_til: int
    tilbyder: str
    telefon: str
    adresse: str = ""
    web: str = ""

    @property
    def alder(self) -> str:
        """The age range as shown to learners, e.g. "15-25 år"."""
        return f"{self.alder_fra}-{self.alder_til} år"

    def passer_til(self, alder: int) -> bool:
        """Whether a young person of ``alder`` years is inside the offer's age range."""
        return self.alder_fra <= alder <= self.alder_til


def _error(where: Where, path: tuple, message: str) -> DataFileError:
    return where.error(path, message)


def _text(raw: dict, key: str, where: Where, path: tuple, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            raise _error(where, (*path, key), "is required")
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _error(
            where,
            (*path, key),
            "must be a non-empty text (or leave the field out)" if not required else "must be a non-empty text",
        )
    value = " ".join(value.split())
    if len(value) > MAX_TEXT:
        raise _error(where, (*path, key), f"is {len(value)} characters; keep it under {MAX_TEXT}")
    return value


def parse_ungetilbud(data: object, where: Where) -> tuple[Ungetilbud, ...]:
    """Validate the ``ungetilbud`` section (``None`` when the file has none) into offers.

    Raises :class:`rusfokus.content.loader.DataFileError` naming file, line and field.
    """
    if data is None:
        return ()
    if not isinstance(data, list) or not data:
        raise _error(
            where, ("ungetilbud",), "must be a list of one or more offers for young people (or leave the section out)"
        )
    offers = []
    for i, raw in enumerate(data):
        path = ("ungetilbud", i)
        if not isinstance(raw, dict):
            raise _error(where, path, f"each offer must be a mapping with {', '.join(FIELDS)}")
        for key in raw:
            if key not in FIELDS:
                raise _error(where, (*path, key), f"unknown field; expected one of {list(FIELDS)}")
        type_ = _text(raw, "type", where, path)
        if type_ not in TYPES:
            raise _error(where, (*path, "type"), f"{type_!r} is not one of {list(TYPES)}")
        navn = _text(raw, "navn", where, path)
        alder = _text(raw, "alder", where, path)
        m = _AGE.match(alder)
        if not m:
            raise _error(where, (*path, "alder"), f'{alder!r} is not an age range like "15-25"')
        fra, til = int(m.group(1)), int(m.group(2))
        if not MIN_AGE <= fra <= til <= MAX_AGE:
            raise _error(
                where,
                (*path, "alder"),
                f"{alder!r}: the first age must not be above the second, "
                f"and both must be between {MIN_AGE} and {MAX_AGE}",
            )
        telefon = _text(raw, "telefon", where, path)
        if not _PHONE.match(telefon):
            raise _error(where, (*path, "telefon"), f"{telefon!r} is not a phone number (digits and spaces)")
        adresse = _text(raw, "adresse", where, path, required=False)
        web = _text(raw, "web", where, path, required=False)
        if web and not _URL.match(web):
            raise _error(where, (*path, "web"), f"{web!r} is not a web address starting with http:// or https://")
        if not adresse and not web:
            raise _error(where, path, "give an adresse or a web address (or both), so people can find the offer")
        offers.append(
            Ungetilbud(
                type=type_,
                navn=navn,
                alder_fra=fra,
                alder_til=til,
                tilbyder=_text(raw, "tilbyder", where, path),
                telefon=telefon,
                adresse=adresse,
                web=web,
            )
        )
    names = [o.navn.casefold() for o in offers]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise _error(where, ("ungetilbud", i, "navn"), f"{offers[i].navn!r} is listed twice")
    return tuple(offers)


def tilbud_til(offers: tuple[Ungetilbud, ...], alder: int) -> list[Ungetilbud]:
    """The offers whose age range includes ``alder``, in the file's order."""
    return [o for o in offers if o.passer_til(alder)]
