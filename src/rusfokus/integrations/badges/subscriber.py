"""Open Badges 3.0 as an outbox subscriber (``open-badges``): a pass or a renewal issues the credential.

The learner's download (``/api/badges/``) still issues on demand, but with this subscriber on (it is on
once the issuer has a key: `rusfokus badges key create`) the credential of each new or renewed
kursusbevis is signed and stored when the event is delivered, so it exists, with its status list
entry, before anyone asks for it. A renewal is a new kursusbevis with a later expiry, so it gets its
own credential. Issuing is idempotent (``issue.issue_for`` returns the stored credential of a
kursusbevis), so a delivery that is repeated issues nothing twice. A subscriber switched on later
gets the events from before too (``rusfokus.integrations.dispatch``): creating the key issues the
credentials of every kursusbevis still valid.
"""

from __future__ import annotations

from datetime import date

from rusfokus.db import session_scope
from rusfokus.integrations.badges import issue
from rusfokus.integrations.badges.keys import active_key
from rusfokus.kommune import load_kommune
from rusfokus.progress.certificates import latest
from rusfokus.progress.models import Person

KINDS = frozenset({"passed", "renewed"})


def enabled(settings) -> bool:
    """On when the issuer has a signing key."""
    with session_scope(settings.db_url) as s:
        return active_key(s) is not None


def config_problems(settings) -> list[str]:
    try:
        load_kommune(settings.kommune_file)
    except Exception as exc:  # the issuer's name comes from kommune.yml
        return [f"{settings.kommune_file}: {str(exc)[:300]}"]
    return []


def deliver(settings, event) -> str:
    kommune_navn = load_kommune(settings.kommune_file).navn
    with session_scope(settings.db_url) as s:
        person = s.get(Person, event.person_id)
        if person is None or not person.email:
            return "person erased: no credential issued"
        cert = latest(s, person, event.module)
        if cert is None:
            return "no kursusbevis for this module: nothing to issue"
        if cert.expires_on < date.today():
            return f"kursusbevis {cert.code} expired on {cert.expires_on}: nothing issued"
        row = issue.issue_for(s, settings, person, cert, kommune_navn)
        return f"credential {row.credential_id} for kursusbevis {cert.code}, valid until {row.valid_until}"
