"""Who a SCORM launch is for, and what the SCO may report back to the LMS.

Three signed values (``rusfokus.identity.tokens``, the server's secret key):

- the **package token** (kind ``scorm-package``), made at export and carried inside the package:
  the package id, the module, the LMS's origin and the student-id rule. It is public (anyone who
  can download the package can read it): it proves only that this server made the package, so a
  changed module, origin or rule is refused.
- the LMS's **student id** is sent in the clear with the package token to ``/scorm/start``. It only
  *names* a person on the staff list (``person_for_student``); it never proves who is at the
  keyboard.
- the **launch token** (kind ``scorm-launch``) is made only after the browser has shown the same
  person's signed learner cookie (her personal link). It is bound to the person, the package, the
  module, the LMS origin and the student id, and is what the SCO polls ``/api/scorm/status`` with.

So a forged or changed launch cannot give anyone another person's identity or results, and a
completion is only ever reported for the person who completed in rusfokus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.content.registry import module as registry_module
from rusfokus.identity.revocation import is_revoked_in
from rusfokus.identity.tokens import InvalidToken, normalise_email, sign, verify_claims
from rusfokus.progress.models import STATUS_ACTIVE, Completion, Person

PACKAGE_KIND = "scorm-package"
LAUNCH_KIND = "scorm-launch"
LAUNCH_MAX_AGE = 30 * 24 * 3600
"""A launch token lives as long as a learner may keep the LMS's window open (generous: it is bound
to one person, who proved herself with her own cookie)."""
RULE_EMAIL = "email"
"""The LMS's student id is the person's e-mail address on the staff list."""
RULE_DOMAIN_PREFIX = "domain:"
"""``domain:kommune.dk``: the student id is the part before @ (the LMS user name); + the domain."""

STATUS_PASSED, STATUS_FAILED, STATUS_INCOMPLETE = "passed", "failed", "incomplete"

_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_USER = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")


class LaunchError(Exception):
    """A launch that is refused. ``str(exc)`` is Danish, for the learner."""


@dataclass(frozen=True)
class Package:
    """What a valid package token says."""

    id: str
    module: str
    origin: str
    rule: str


def normalise_origin(text: str) -> str:
    """``https://moodle.kommune.dk`` from what the operator typed; ValueError (English) if it is not an
    http(s) origin (scheme and host, optional port, no path)."""
    parts = urlsplit(str(text or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an LMS origin (https://host[:port]): {text!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"an LMS origin has no path, query or user: {text!r}")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def normalise_rule(text: str) -> str:
    """``email`` or ``domain:<domain>``; ValueError (English) otherwise."""
    text = str(text or "").strip().lower()
    if text == RULE_EMAIL:
        return text
    if text.startswith(RULE_DOMAIN_PREFIX) and _DOMAIN.match(text[len(RULE_DOMAIN_PREFIX) :]):
        return text
    raise ValueError(f"student id rule must be 'email' or 'domain:<your domain>', not {text!r}")


def package_token(package_id: str, module_id: str, origin: str, rule: str, *, secret: bytes) -> str:
    registry_module(module_id)  # KeyError naming the known modules
    return sign(
        PACKAGE_KIND, package_id, secret=secret, extra={"m": module_id, "o": normalise_origin(origin), "r": rule}
    )


def read_package(token: str | None, *, secret: bytes) -> Package:
    """The package a token names, or LaunchError (Danish) when it is missing, forged or changed."""
    try:
        claims = verify_claims(PACKAGE_KIND, token, secret=secret)
        pkg = Package(claims["v"], str(claims["m"]), normalise_origin(claims["o"]), normalise_rule(claims["r"]))
        registry_module(pkg.module)
    except (InvalidToken, KeyError, ValueError, TypeError):
        raise LaunchError("Linket fra dit LMS er ugyldigt eller ændret. Åbn kurset igen fra dit LMS.") from None
    return pkg


def email_for_student(student_id: str, rule: str) -> str | None:
    """The staff-list e-mail the rule gives for an LMS student id, or None if it gives none."""
    sid = str(student_id or "").strip()
    if not sid or len(sid) > 255:
        return None
    if rule == RULE_EMAIL:
        email = normalise_email(sid)
        return email if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) else None
    if rule.startswith(RULE_DOMAIN_PREFIX):
        domain = rule[len(RULE_DOMAIN_PREFIX) :]
        user, _, given = sid.partition("@")
        if given and given.lower() != domain:
            return None
        return f"{user.lower()}@{domain}" if _USER.match(user) else None
    return None


def person_for_student(session: Session, student_id: str, rule: str, *, secret: bytes) -> Person:
    """The active person on the staff list the LMS's student id maps to, or LaunchError (Danish).
    ``secret``: the server's, to leave out an erased (revoked) identity."""
    email = email_for_student(student_id, rule)
    person = session.scalar(select(Person).where(Person.email == email)) if email else None
    if person is None or person.status != STATUS_ACTIVE or is_revoked_in(session, email, secret=secret):
        raise LaunchError(
            "Vi kan ikke finde dig på kommunens liste over medarbejdere, der skal tage kurset. "
            "Kontakt din nøgleperson eller kursets administrator."
        )
    return person


def launch_token(person: Person, pkg: Package, student_id: str, *, secret: bytes) -> str:
    return sign(
        LAUNCH_KIND,
        str(person.id),
        secret=secret,
        extra={"p": pkg.id, "m": pkg.module, "o": pkg.origin, "s": str(student_id).strip()},
    )


def read_launch(token: str | None, *, secret: bytes) -> dict:
    """The claims of a valid launch token (``v`` person id, ``p``, ``m``, ``o``, ``s``), or LaunchError."""
    try:
        claims = verify_claims(LAUNCH_KIND, token, max_age=LAUNCH_MAX_AGE, secret=secret)
        int(claims["v"])
        for key in ("p", "m", "o", "s"):
            if not isinstance(claims.get(key), str):
                raise KeyError(key)
    except (InvalidToken, KeyError, ValueError):
        raise LaunchError("Forbindelsen til dit LMS er ugyldig eller udløbet. Åbn kurset igen fra dit LMS.") from None
    return claims


def status_for(session: Session, claims: dict, *, secret: bytes) -> dict:
    """What the SCO sets in the LMS for the launch's person and module: ``lesson_status``
    (passed / failed / incomplete) and ``score`` (0-100, or None). The best pass counts; without one
    the latest graded attempt; without any, incomplete. LaunchError if the person is no longer on the
    staff list (left, erased; ``secret``: the server's, to tell an erased identity)."""
    person = session.get(Person, int(claims["v"]))
    if (
        person is None
        or person.status != STATUS_ACTIVE
        or not person.email
        or is_revoked_in(session, person.email, secret=secret)
    ):
        raise LaunchError("Du er ikke længere på listen over medarbejdere, der skal tage kurset.")
    rows = session.scalars(
        select(Completion)
        .where(Completion.person_id == person.id, Completion.module == claims["m"], Completion.kind == "modul")
        .order_by(Completion.completed_at)
    ).all()
    passed = [c for c in rows if c.passed]
    if passed:
        best = max(passed, key=lambda c: _percent(c) or 0)
        return {"lesson_status": STATUS_PASSED, "score": _percent(best), "at": best.completed_at.isoformat()}
    if rows:
        last = rows[-1]
        return {"lesson_status": STATUS_FAILED, "score": _percent(last), "at": last.completed_at.isoformat()}
    return {"lesson_status": STATUS_INCOMPLETE, "score": None, "at": None}


def _percent(c: Completion) -> int | None:
    if c.score is None or not c.max_score:
        return None
    return max(0, min(100, round(100 * c.score / c.max_score)))
