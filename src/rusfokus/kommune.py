"""The municipality's own data (``kommune.yml``), validated on load.

Errors name the file, line and field so that a municipal IT person can fix
the file without reading code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rusfokus.content.loader import DataFileError, Where, load_yaml
from rusfokus.profil import DEFAULT_PROFIL, Profil, ProfilError, parse_profil
from rusfokus.ungetilbud import Ungetilbud, parse_ungetilbud

OFFER_TYPES = {
    "anonym_raadgivning": "Anonym rådgivning",
    "alkoholbehandling": "Alkoholbehandling",
    "stofbehandling": "Stofbehandling",
    "paaroerende": "Tilbud til pårørende",
    "boern_unge": "Tilbud til børn og unge",
}
_PHONE = re.compile(r"^\+?[0-9 ]{8,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://\S+$")
_FAGPERSONER_FIELDS = {"raadgivning_navn", "raadgivning_telefon", "raadgivning_tider", "underretning_web"}


class KommuneError(DataFileError):
    """kommune.yml is invalid."""


@dataclass(frozen=True)
class Tilbud:
    type: str
    navn: str
    beskrivelse: str
    kontakt: str

    @property
    def type_label(self) -> str:
        return OFFER_TYPES[self.type]


@dataclass(frozen=True)
class Rusmiddelcenter:
    navn: str
    adresse: str
    telefon: str
    email: str
    web: str
    aabningstider: tuple[str, ...]


@dataclass(frozen=True)
class Boernefamilie:
    navn: str
    telefon: str
    uden_for_aabningstid: str


@dataclass(frozen=True)
class Fagpersoner:
    """What staff need for the nøgleperson kit's local material (procedure, pocket card)."""

    raadgivning_navn: str
    raadgivning_telefon: str
    raadgivning_tider: str
    underretning_web: str


@dataclass(frozen=True)
class Kommune:
    navn: str
    rusmiddelcenter: Rusmiddelcenter
    tilbud: tuple[Tilbud, ...]
    boernefamilie: Boernefamilie
    fagpersoner: Fagpersoner | None = None
    profil: Profil = DEFAULT_PROFIL  # colours and logo (rusfokus.profil)
    ungetilbud: tuple[Ungetilbud, ...] = ()  # offers for young people (optional section; rusfokus.ungetilbud)

    def tilbud_af_type(self, type_: str) -> list[Tilbud]:
        return [t for t in self.tilbud if t.type == type_]


def _text(data: dict, key: str, where: Where, path: tuple, pattern=None, what="") -> str:
    if key not in data or data[key] is None:
        raise KommuneError(str(where.error((*path, key), "is required")))
    value = data[key]
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise KommuneError(str(where.error((*path, key), "must be a non-empty text")))
    value = " ".join(value.split())
    if pattern is not None and not pattern.match(value):
        raise KommuneError(str(where.error((*path, key), f"{value!r} is not {what}")))
    return value


def _mapping(data, key, where, path=()) -> dict:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        raise KommuneError(str(where.error((*path, key), "is required and must be a mapping (key: value lines)")))
    return value


def parse_kommune(data: object, where: Where) -> Kommune:
    if not isinstance(data, dict):
        raise KommuneError(
            str(
                where.error(
                    (), "the file must be a mapping with kommune, rusmiddelcenter, tilbud, boernefamilie, fagpersoner"
                )
            )
        )
    known = {"kommune", "rusmiddelcenter", "tilbud", "boernefamilie", "fagpersoner", "profil", "ungetilbud"}
    for key in data:
        if key not in known:
            raise KommuneError(str(where.error((key,), f"unknown field; expected one of {sorted(known)}")))
    navn = _text(data, "kommune", where, ())
    rc = _mapping(data, "rusmiddelcenter", where)
    p = ("rusmiddelcenter",)
    hours = rc.get("aabningstider")
    if not isinstance(hours, list) or not hours or not all(isinstance(h, str) and h.strip() for h in hours):
        raise KommuneError(str(where.error((*p, "aabningstider"), "must be a list of one or more text lines")))
    center = Rusmiddelcenter(
        navn=_text(rc, "navn", where, p),
        adresse=_text(rc, "adresse", where, p),
        telefon=_text(rc, "telefon", where, p, _PHONE, "a phone number (digits and spaces)"),
        email=_text(rc, "email", where, p, _EMAIL, "an e-mail address"),
        web=_text(rc, "web", where, p, _URL, "a web address starting with http:// or https://"),
        aabningstider=tuple(" ".join(h.split()) for h in hours),
    )
    offers_raw = data.get("tilbud")
    if not isinstance(offers_raw, list) or not offers_raw:
        raise KommuneError(str(where.error(("tilbud",), "must be a list of one or more offers")))
    offers = []
    for i, raw in enumerate(offers_raw):
        path = ("tilbud", i)
        if not isinstance(raw, dict):
            raise KommuneError(
                str(where.error(path, "each offer must be a mapping with type, navn, beskrivelse, kontakt"))
            )
        type_ = _text(raw, "type", where, path)
        if type_ not in OFFER_TYPES:
            raise KommuneError(str(where.error((*path, "type"), f"{type_!r} is not one of {sorted(OFFER_TYPES)}")))
        offers.append(
            Tilbud(
                type_,
                _text(raw, "navn", where, path),
                _text(raw, "beskrivelse", where, path),
                _text(raw, "kontakt", where, path),
            )
        )
    missing = {"alkoholbehandling", "stofbehandling"} - {o.type for o in offers}
    if missing:
        raise KommuneError(str(where.error(("tilbud",), f"must include an offer of type {', '.join(sorted(missing))}")))
    bf = _mapping(data, "boernefamilie", where)
    p = ("boernefamilie",)
    family = Boernefamilie(
        navn=_text(bf, "navn", where, p),
        telefon=_text(bf, "telefon", where, p, _PHONE, "a phone number (digits and spaces)"),
        uden_for_aabningstid=_text(bf, "uden_for_aabningstid", where, p),
    )
    fp = _mapping(data, "fagpersoner", where)
    p = ("fagpersoner",)
    for key in fp:
        if key not in _FAGPERSONER_FIELDS:
            raise KommuneError(
                str(where.error((*p, key), f"unknown field; expected one of {sorted(_FAGPERSONER_FIELDS)}"))
            )
    staff = Fagpersoner(
        raadgivning_navn=_text(fp, "raadgivning_navn", where, p),
        raadgivning_telefon=_text(fp, "raadgivning_telefon", where, p, _PHONE, "a phone number (digits and spaces)"),
        raadgivning_tider=_text(fp, "raadgivning_tider", where, p),
        underretning_web=_text(
            fp, "underretning_web", where, p, _URL, "a web address starting with http:// or https://"
        ),
    )
    try:
        youth = parse_ungetilbud(data.get("ungetilbud"), where)
    except DataFileError as exc:
        raise KommuneError(str(exc)) from None
    try:
        profil = parse_profil(data.get("profil"), where, Path(where.file).parent)
    except ProfilError as exc:
        raise KommuneError(str(exc)) from None
    return Kommune(
        navn=navn,
        rusmiddelcenter=center,
        tilbud=tuple(offers),
        boernefamilie=family,
        fagpersoner=staff,
        profil=profil,
        ungetilbud=youth,
    )


def load_kommune(path: str | Path) -> Kommune:
    """Load and validate the municipality's file (the setting RUSFOKUS_KOMMUNE, ``settings.kommune_file``)."""
    try:
        data, where = load_yaml(path)
    except DataFileError as exc:
        raise KommuneError(str(exc)) from None
    return parse_kommune(data, where)
