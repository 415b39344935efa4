"""Rotating check-in codes.

A temadag shows a 6-character code (and a QR code holding the same code in a
URL) on the projector. The code is an HMAC of the temadag id and the current
time window, so it cannot be guessed from earlier codes, and it stops working
shortly after the window ends: a photo sent to someone at home is useless
after a few minutes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import qrcode
import qrcode.image.svg

WINDOW_SECONDS = 300
"""Length of one code window (5 minutes)."""

GRACE_SECONDS = 60
"""A code is still accepted this long after its window ended (slow typists)."""

EXPIRED_LOOKBACK_WINDOWS = 36
"""How far back (in windows, here 3 hours) an old code is recognised as
"expired" rather than "wrong"; only changes the message shown."""

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I: easy to read on a projector and type on a phone."""

CODE_LENGTH = 6


@dataclass(frozen=True)
class CheckinCode:
    code: str
    window: int
    valid_from: float
    shown_until: float
    accepted_until: float


@dataclass(frozen=True)
class CodeCheck:
    status: str  # "ok", "expired" or "invalid"
    temadag_id: int | None = None


def window_of(now: float) -> int:
    return int(now // WINDOW_SECONDS)


def short_code(key: bytes, temadag_id: int, window: int) -> str:
    """The 6-character code of one temadag in one window."""
    if not key:
        raise ValueError("check-in codes need a non-empty secret key")
    msg = f"temadag-checkin:{int(temadag_id)}:{int(window)}".encode()
    digest = hmac.new(key, msg, hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, rest = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[rest])
    return "".join(chars)


def current_code(key: bytes, temadag_id: int, now: float) -> CheckinCode:
    window = window_of(now)
    start = window * WINDOW_SECONDS
    return CheckinCode(
        code=short_code(key, temadag_id, window),
        window=window,
        valid_from=start,
        shown_until=start + WINDOW_SECONDS,
        accepted_until=start + WINDOW_SECONDS + GRACE_SECONDS,
    )


def normalise(code: str) -> str:
    """Upper-case and drop spaces and dashes."""
    cleaned = "".join(ch for ch in str(code or "").upper() if ch not in " -\t")
    return cleaned


def check_code(key: bytes, temadag_ids, code: str, now: float) -> CodeCheck:
    """Which of ``temadag_ids`` does ``code`` belong to right now?

    Returns ``ok`` with the temadag id for a current code (or one from the
    previous window within the grace period), ``expired`` for a code that was
    valid earlier today, and ``invalid`` otherwise.
    """
    wanted = normalise(code)
    if len(wanted) != CODE_LENGTH or any(ch not in ALPHABET for ch in wanted):
        return CodeCheck("invalid")
    window = window_of(now)
    in_grace = now - window * WINDOW_SECONDS < GRACE_SECONDS
    ids = [int(i) for i in temadag_ids]
    for temadag_id in ids:
        if hmac.compare_digest(short_code(key, temadag_id, window), wanted):
            return CodeCheck("ok", temadag_id)
        if in_grace and hmac.compare_digest(short_code(key, temadag_id, window - 1), wanted):
            return CodeCheck("ok", temadag_id)
    for temadag_id in ids:
        for back in range(1, EXPIRED_LOOKBACK_WINDOWS + 1):
            if hmac.compare_digest(short_code(key, temadag_id, window - back), wanted):
                return CodeCheck("expired", temadag_id)
    return CodeCheck("invalid")


def qr_svg(url: str) -> str:
    """An SVG QR code for ``url`` (inline, no external files)."""
    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = img.to_string(encoding="unicode")
    return svg


CODE_MESSAGES = {
    "invalid": "Koden passer ikke. Tjek at du har skrevet de 6 tegn fra skærmen.",
    "expired": (
        "Koden er udløbet. Koden skifter hvert 5. minut. Skan QR-koden igen eller skriv den nye kode fra skærmen."
    ),
}


MAX_BAD_PER_GUESSER = 20
"""Wrong codes one guesser (a browser, by its ``rf_temadag_gaet`` cookie) may type per code window."""

MAX_BAD_PER_ADDRESS = 600
"""Ceiling per client address and code window over all its guessers: against bulk guessing with fresh
cookies. Generous, because a whole room on shared Wi-Fi (or behind a proxy) is one address: 60 people
with a few typos each stay far below it. 600 guesses of 32**6 codes is a 1 in 1.8 million chance."""


class BadCodeLimiter:
    """Counts wrong codes per guesser and per address in the current code window.

    A guesser who types too many wrong codes is paused until the next window;
    other browsers on the same address are not (``guesser`` is the browser's
    own cookie). A request without that cookie counts as one anonymous guesser
    per address. Memory is bounded: counts of earlier windows are dropped.
    """

    def __init__(self, per_guesser: int = MAX_BAD_PER_GUESSER, per_address: int = MAX_BAD_PER_ADDRESS):
        self.per_guesser, self.per_address = per_guesser, per_address
        self.window: int | None = None
        self.counts: dict[tuple[str, str], int] = {}

    def _roll(self, now: float) -> None:
        window = window_of(now)
        if window != self.window:
            self.window, self.counts = window, {}

    @staticmethod
    def _keys(guesser: str | None, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return (("g", guesser) if guesser else ("anon", address)), ("addr", address)

    def blocked(self, guesser: str | None, address: str, now: float) -> bool:
        self._roll(now)
        mine, addr = self._keys(guesser, address)
        return self.counts.get(mine, 0) >= self.per_guesser or self.counts.get(addr, 0) >= self.per_address

    def add(self, guesser: str | None, address: str, now: float) -> None:
        self._roll(now)
        for key in self._keys(guesser, address):
            self.counts[key] = self.counts.get(key, 0) + 1
