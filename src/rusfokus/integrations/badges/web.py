"""HTTP routes of the Open Badges 3.0 kursusbeviser (``server.routes.ROUTE_MODULES``).

Public, for verifiers (JSON, ``Access-Control-Allow-Origin: *``):
- ``GET /badges/did.json``: the issuer's DID document (did:web resolves here), every key;
- ``GET /badges/jwks.json``: the same keys as a JSON Web Key Set;
- ``GET /badges/issuer``: the issuer profile (the municipality);
- ``GET /badges/status/revocation``: the signed Bitstring Status List (VC-JWT), expiry applied;
- ``GET /badges/tjek/<uuid>``: a page showing a credential's status (no name, no e-mail).

The learner's own (signed learner cookie only, never anything else the browser says):
- ``GET /api/badges/mine/<module>.jwt``: her credential for a module (issued on first download);
- ``GET /api/badges/bevis/<uuid>.jwt``: one of her credentials by id; anyone else's answers 404.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import select

from rusfokus import identity
from rusfokus.db import session_scope
from rusfokus.gdpr import PersonNotFound, get_person
from rusfokus.identity.web import Handler
from rusfokus.integrations.badges import issue, keys
from rusfokus.integrations.badges.models import BadgeCredential
from rusfokus.kommune import load_kommune
from rusfokus.progress import module_title
from rusfokus.progress.certificates import CertificateError, ensure_certificate

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/vc+jwt"
NOT_YOURS = "Vi kan ikke finde dette kursusbevis blandt dine. Du kan kun hente dine egne kursusbeviser."
NO_CERTIFICATE = "Du har ikke et kursusbevis for dette modul endnu."
EXPIRED = "Dit kursusbevis for dette modul er udløbet. Tag modulet igen, så får du et nyt."
UNAVAILABLE = "Det digitale kursusbevis kan ikke hentes lige nu. Prøv igen senere, eller hent beviset som PDF."
UNKNOWN = "Vi kender ikke dette kursusbevis. Tjek, at adressen er skrevet rigtigt."


class _Base(Handler):
    TEMPLATES = Path(__file__).parent / "templates"

    def issuer_name(self) -> str:
        return load_kommune(self.rf.kommune_file).navn


class _Public(_Base):
    API = True

    def set_default_headers(self):
        super().set_default_headers()
        self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Cache-Control", "no-cache")


class DidHandler(_Public):
    async def get(self):
        doc = await self.in_thread(self._doc)
        if doc is None:
            return self.reply_json({"status": "fejl", "fejl": "no signing key yet"}, 404)
        self.set_header("Content-Type", "application/did+json")
        self.finish(json.dumps(doc))

    def _doc(self):
        with session_scope(self.db_url) as s:
            try:
                return keys.did_document(s, keys.issuer_id(self.rf))
            except keys.BadgeKeyError:
                return None


class JwksHandler(_Public):
    async def get(self):
        doc = await self.in_thread(self._doc)
        self.set_header("Content-Type", "application/jwk-set+json")
        self.finish(json.dumps(doc))

    def _doc(self):
        with session_scope(self.db_url) as s:
            return keys.jwks(s, keys.issuer_id(self.rf))


class IssuerHandler(_Public):
    def get(self):
        self.reply_json(
            {
                "@context": [
                    "https://www.w3.org/ns/credentials/v2",
                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                ],
                "id": keys.issuer_id(self.rf),
                "type": ["Profile"],
                "name": self.issuer_name(),
                "url": keys.public_url(self.rf),
            }
        )


class StatusListHandler(_Public):
    async def get(self):
        token = await self.in_thread(self._jwt)
        if token is None:
            return self.reply_json({"status": "fejl", "fejl": "signing key unavailable (see the server log)"}, 503)
        self.set_header("Content-Type", MEDIA_TYPE)
        self.finish(token)

    def _jwt(self):
        with session_scope(self.db_url) as s:
            try:
                return issue.status_list_jwt(s, self.rf)
            except keys.BadgeKeyError as exc:
                log.error("status list: %s", exc)
                return None


class CheckHandler(_Base):
    API = False

    async def get(self, credential_id: str):
        status = await self.in_thread(self._status, credential_id)
        if status is None:
            self.set_status(404)
            return self.render_page("fejl.html", title="Tjek af digitalt kursusbevis", message=UNKNOWN, links=())
        self.render_page(
            "badge_tjek.html",
            title="Tjek af digitalt kursusbevis",
            status=status,
            module=module_title(status.module),
            issuer=self.issuer_name(),
        )

    def _status(self, credential_id: str):
        with session_scope(self.db_url) as s:
            return issue.public_status(s, credential_id)


class _Mine(_Base):
    """The learner's own credential, as a file to download."""

    API = False

    def fail(self, status: int, message: str) -> None:
        self.set_status(status)
        self.render_page(
            "fejl.html",
            title="Digitalt kursusbevis",
            message=message,
            links=(("/voila/render/min-side/index.ipynb", "Gå til Min side"),),
        )

    async def send(self, lookup, *args):
        try:
            email = await self.in_thread(self.learner)
        except identity.IdentityError as exc:
            return self.fail(403, str(exc))
        result = await self.in_thread(lookup, email, *args)
        if isinstance(result[0], int):  # (status, Danish message)
            return self.fail(*result)
        token, module = result
        self.set_header("Content-Type", MEDIA_TYPE)
        self.set_header("Content-Disposition", f'attachment; filename="kursusbevis-{module}.jwt"')
        self.finish(token)


class MyBadgeHandler(_Mine):
    async def get(self, module: str):
        await self.send(self._lookup, module)

    def _lookup(self, email: str, module: str):
        try:
            kommune_navn = self.issuer_name()
        except Exception:
            log.exception("kommune.yml unreadable: no Open Badge issued")
            return 503, UNAVAILABLE
        with session_scope(self.db_url) as s:
            try:
                person = get_person(s, email)
                cert = ensure_certificate(s, person, module, self.rf.certificate_months)
            except (PersonNotFound, CertificateError):
                return 404, NO_CERTIFICATE
            try:
                row = issue.issue_for(s, self.rf, person, cert, kommune_navn)
            except issue.BadgeError:
                return 404, EXPIRED
            except keys.BadgeKeyError as exc:
                log.error("Open Badge not issued: %s", exc)
                return 503, UNAVAILABLE
            return row.token, row.module


class MyBadgeByIdHandler(_Mine):
    async def get(self, credential_id: str):
        await self.send(self._lookup, credential_id)

    def _lookup(self, email: str, credential_id: str):
        with session_scope(self.db_url) as s:
            try:
                person = get_person(s, email)
            except PersonNotFound:
                return 404, NOT_YOURS
            row = s.scalar(
                select(BadgeCredential).where(
                    BadgeCredential.credential_id == f"urn:uuid:{credential_id}",
                    BadgeCredential.person_id == person.id,
                )
            )
            if row is None or not row.token:
                return 404, NOT_YOURS
            return row.token, row.module


def routes(settings):
    kw = {"settings": settings}
    uid = r"([A-Za-z0-9-]{1,64})"  # a credential's uuid; anything else is simply not found
    return [
        (r"/badges/did\.json", DidHandler, kw),
        (r"/badges/jwks\.json", JwksHandler, kw),
        (r"/badges/issuer", IssuerHandler, kw),
        (r"/badges/status/revocation", StatusListHandler, kw),
        (rf"/badges/tjek/{uid}", CheckHandler, kw),
        (r"/api/badges/mine/([a-z0-9-]+)\.jwt", MyBadgeHandler, kw),
        (rf"/api/badges/bevis/{uid}\.jwt", MyBadgeByIdHandler, kw),
    ]
