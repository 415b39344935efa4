"""The Danish e-mails (plain text, du-form) and the message object around them.

Pure functions: ``link_text``, ``invitation_text`` and ``reminder_text`` return
(subject, body); ``build_message`` wraps them in an ``email.message.EmailMessage``.
Every value that reaches a header (names, titles) goes through ``header_text``,
which turns CR, LF and other control characters into spaces, so no name can
add a header (``Bcc:``) or end the headers early. Addresses are parsed with
``email.headerregistry.Address``; an address that does not parse is refused.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from rusfokus.dansk import dato

WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_SPACES = re.compile(r"\s+")


class AddressError(ValueError):
    """An e-mail address that cannot be used in a message (English, for the operator)."""


def header_text(value, limit: int = 200) -> str:
    """One line of text safe in a header: control and format characters become spaces, runs of
    white space one space, at most ``limit`` characters."""
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in str(value or ""))
    text = _SPACES.sub(" ", text).strip()
    return text[:limit].rstrip()


def address(email: str, name: str = "") -> Address:
    """A parsed recipient/sender; AddressError if ``email`` is not one plain address."""
    email = str(email or "").strip()
    if not email or header_text(email) != email or any(ch in email for ch in ',;<>"()[]\\ '):
        raise AddressError(f"not a usable e-mail address: {header_text(email)[:80]!r}")
    try:
        addr = Address(display_name=header_text(name), addr_spec=email)
    except (ValueError, IndexError, TypeError) as exc:
        raise AddressError(f"not a usable e-mail address: {header_text(email)[:80]!r} ({exc})") from None
    if not addr.username or "." not in addr.domain:
        raise AddressError(f"not a usable e-mail address: {header_text(email)[:80]!r}")
    return addr


def dansk_dato(day: dt.date, weekday: bool = False) -> str:
    text = dato(day)
    return f"{WEEKDAYS[day.weekday()]} den {text}" if weekday else text


def klokken(t: dt.time | dt.datetime) -> str:
    return f"{t.hour}.{t.minute:02d}"


@dataclass(frozen=True)
class Sender:
    """Who the mails are from: the municipality, the rusmiddelcenter and the signature."""

    kommune: str
    rusmiddelcenter: str
    name: str  # sender name (RUSFOKUS_MAIL_FROM_NAME or the rusmiddelcenter)
    reply_to: str = ""  # the rusmiddelcenter's e-mail from kommune.yml


def _greeting(name: str) -> str:
    name = header_text(name, 200)
    return f"Hej {name}" if name else "Hej"


def _link_block(link: str) -> list[str]:
    return [
        "Her er dit personlige link til kurset:",
        link,
        "",
        "Linket er kun til dig.",
        "Det er din adgang til kurset.",
        "Når du åbner det, kan kurset gemme dine resultater under dit navn.",
        "Del det ikke med andre.",
        "Gem denne mail, så du kan finde linket igen.",
    ]


def _signature(sender: Sender) -> list[str]:
    lines = ["", "Venlig hilsen", header_text(sender.name)]
    if sender.kommune and sender.kommune != sender.name:
        lines.append(header_text(sender.kommune))
    lines += ["", "Du får denne mail, fordi du står på kursets liste over ansatte."]
    return lines


def _questions(sender: Sender) -> list[str]:
    who = (
        f"din nøgleperson eller {header_text(sender.rusmiddelcenter)}" if sender.rusmiddelcenter else "din nøgleperson"
    )
    return ["", f"Har du spørgsmål, så kontakt {who}."]


def link_text(name: str, link: str, sender: Sender) -> tuple[str, str]:
    subject = "Dit personlige link til kurset Rusfokus"
    kommune = header_text(sender.kommune) or "kommunen"
    body = [
        _greeting(name),
        "",
        f"Rusfokus er et kort kursus for ansatte i {kommune}.",
        "Det handler om at opdage problemer med alkohol og stoffer tidligt.",
        "Og om at tale med borgeren om det.",
        "",
        *_link_block(link),
        *_questions(sender),
        *_signature(sender),
    ]
    return subject, "\n".join(body) + "\n"


def invitation_text(
    name: str,
    link: str,
    sender: Sender,
    *,
    title: str,
    day: dt.date,
    start: dt.time,
    end: dt.datetime,
    place: str,
    modules: list[str],
    facilitator: str,
    facilitator_email: str = "",
) -> tuple[str, str]:
    title = header_text(title)
    subject = header_text(f"Invitation til temadag: {title}")
    kommune = header_text(sender.kommune) or "kommunen"
    contact = header_text(facilitator)
    if facilitator_email:
        contact = f"{contact} ({header_text(facilitator_email)})"
    body = [
        _greeting(name),
        "",
        f"Du er inviteret til en temadag om alkohol og stoffer i {kommune}.",
        "",
        f"Temadag: {title}",
        f"Dato: {dansk_dato(day, weekday=True)}",
        f"Tid: kl. {klokken(start)} til {klokken(end)}",
        f"Sted: {header_text(place)}",
        f"Emner: {', '.join(header_text(m) for m in modules)}",
        f"Facilitator: {contact}",
        "",
        "Tag din telefon med.",
        "Du tjekker ind med den på dagen.",
        "Du kan sætte temadagen i din kalender med filen i denne mail.",
        "",
        "Du kan godt forberede dig i kurset før temadagen.",
        *_link_block(link),
        "",
        f"Har du spørgsmål om temadagen, så kontakt {contact}.",
        *_signature(sender),
    ]
    return subject, "\n".join(body) + "\n"


def reminder_text(
    name: str, link: str, sender: Sender, *, items: list[tuple[str, dt.date]], today: dt.date
) -> tuple[str, str]:
    """``items``: (module title, expiry date) of each kursusbevis that expires soon or has expired."""
    items = [(header_text(m), d) for m, d in items]

    def when(day: dt.date) -> str:
        return f"udløb den {dansk_dato(day)}" if day < today else f"udløber den {dansk_dato(day)}"

    all_expired = all(d < today for _m, d in items)
    if len(items) == 1:
        ((module, day),) = items
        subject = f"Dit kursusbevis i {module} " + ("er udløbet" if all_expired else "udløber snart")
        lines = [f"Dit kursusbevis i modulet {module} {when(day)}.", "Tag modulet igen, så din viden er frisk."]
    else:
        subject = "Dine kursusbeviser " + ("er udløbet" if all_expired else "udløber snart")
        lines = [
            "Dine kursusbeviser i disse moduler udløber snart eller er udløbet:",
            *[f"- {module}: {when(day)}" for module, day in items],
            "Tag modulerne igen, så din viden er frisk.",
        ]
    body = [
        _greeting(name),
        "",
        *lines,
        "Når du består Test din viden igen, får du et nyt kursusbevis.",
        "",
        *_link_block(link),
        *_questions(sender),
        *_signature(sender),
    ]
    return header_text(subject), "\n".join(body) + "\n"


KIND_PRACTICE, KIND_PRACTICE_REMINDER = "practice", "practice-reminder"
"""The refresher loop's two mails (``mail_message.kind``, queued by ``rusfokus.genopfrisk``): a round opened;
its one reminder. ``module`` holds the module id and ``expires_on`` the round's date."""


def practice_text(
    name: str, link: str, sender: Sender, *, module: str, page: str, reminder: bool = False
) -> tuple[str, str]:
    """A practice round of the refresher loop is open (``reminder``: the one reminder when it is not taken).
    ``module``: the module's title; ``page``: the address of the learner's rounds (``/genopfrisk/``)."""
    module = header_text(module)
    if reminder:
        subject = f"Husk din korte runde i {module}"
        lines = [f"Du har stadig en kort runde i modulet {module}.", "Den er klar til dig."]
    else:
        subject = f"Din korte runde i {module} er klar"
        lines = [f"Nu er der en kort runde i modulet {module}.", "Den holder din viden frisk."]
    body = [
        _greeting(name),
        "",
        *lines,
        "Runden tager fem minutter.",
        "Du øver en samtale og svarer på tre spørgsmål.",
        "Når du har taget alle runderne, bliver dit kursusbevis forlænget.",
        "",
        "Åbn først dit personlige link. Gå så til dine runder:",
        page,
        "",
        *_link_block(link),
        *_questions(sender),
        *_signature(sender),
    ]
    return header_text(subject), "\n".join(body) + "\n"


def build_message(
    *,
    sender_addr: Address,
    to: Address,
    subject: str,
    body: str,
    message_id: str,
    reply_to: str = "",
    now: dt.datetime | None = None,
    attachment: tuple[str, str, str | bytes] | None = None,
) -> EmailMessage:
    """The message, headers set through the email package (never by string concatenation).
    ``attachment``: (filename, MIME type, data)."""
    msg = EmailMessage()
    msg["Subject"] = header_text(subject, 250)
    msg["From"] = sender_addr
    msg["To"] = to
    if reply_to:
        try:
            msg["Reply-To"] = address(reply_to)
        except AddressError:
            pass
    msg["Date"] = format_datetime((now or dt.datetime.now()).astimezone())
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    clean = "".join(ch for ch in body if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf"))
    msg.set_content(clean, charset="utf-8", cte="quoted-printable")
    msg["Content-Language"] = "da"  # after set_content, which clears Content-* headers
    if attachment:
        filename, mime, data = attachment
        maintype, subtype = mime.split("/", 1)
        if isinstance(data, str):  # text: UTF-8, base64 keeps its CRLF line ends intact
            msg.add_attachment(data, subtype=subtype, charset="utf-8", cte="base64", filename=filename)
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg
