"""LTI 1.3 launches validated with PyLTI1p3, and the score sent back through AGS.

Everything here is synchronous (PyLTI1p3 fetches the platform's JWKS and tokens with ``requests``);
the web handlers run it in a thread.

**Login initiation** (``login``): the platform names itself (``iss``, ``client_id``) and the user
(``login_hint``); we answer with the redirect to the platform's auth URL, carrying a new ``state``
and ``nonce`` that are stored in the database (``LtiState``) for ``STATE_SECONDS``.

**Launch** (``launch``): the platform posts a signed ``id_token`` and the ``state``. Checked, in
PyLTI1p3's order: the state was issued by us and is unused (consumed now: a replay finds it gone),
the token's nonce likewise, the issuer and client id are registered, the signature verifies against
the platform's JWKS (fetched from its ``key_set_url``), ``exp``/``iat`` hold, the deployment is
registered, and the message is a valid resource-link launch. Only then is the user mapped to the
roster: her e-mail (the ``email`` claim; the LMS must share it) must belong to an active person on
the staff list and not be erased. The module comes from the custom parameter ``modul`` (or
``?modul=`` in the target link URI). When the launch offers AGS with the score scope, where to send
the score is kept (``LtiLink``).

**Score** (``deliver``, the outbox subscriber ``lti-ags``): a passed or failed module is posted to
each line item the person launched it from (client-credentials token signed with the tool key),
``activityProgress`` Completed, ``gradingProgress`` FullyGraded, timestamp of the result. The
platform keeps one score per user and line item, so a resend replaces it with the same value.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.cookie import CookieService
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.grade import Grade
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request
from pylti1p3.service_connector import ServiceConnector
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfDict
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rusfokus.content.registry import MODULES
from rusfokus.db import session_scope
from rusfokus.identity import load_secret, normalise_email
from rusfokus.identity.revocation import is_revoked_in
from rusfokus.integrations.lti import keys, platforms
from rusfokus.integrations.lti.models import NONCE, START, STATE, LtiLink, LtiState
from rusfokus.progress.audit import log_action
from rusfokus.progress.models import STATUS_ACTIVE, Person

STATE_SECONDS = 300
START_SECONDS = 300
HTTP_TIMEOUT = 10.0
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
TARGET_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
DEPLOYMENT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
RESOURCE_LINK = "LtiResourceLinkRequest"
MESSAGE_TYPE_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/message_type"
KINDS = frozenset({"passed", "failed"})
_MODULE_IDS = {m.id for m in MODULES}


class LaunchRefused(Exception):
    """A launch or login that cannot go on. ``message`` is Danish (for the learner); ``reason`` English (log)."""

    def __init__(self, message: str, reason: str, status: int = 403):
        super().__init__(reason)
        self.message, self.reason, self.status = message, reason, status


REFUSED = (
    "Kurset kan ikke åbne fra dit LMS. Prøv at åbne det igen fra LMS'et. "
    "Virker det stadig ikke, så kontakt rusmiddelcentret."
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- PyLTI1p3 adapters -----------------------------------------------------------------
class ParamsRequest(Request):
    """The request's parameters, copied on the event loop (the thread never touches the handler)."""

    def __init__(self, params: dict[str, str], secure: bool):
        self._params, self._secure = params, secure

    @property
    def session(self):
        return None

    def is_secure(self) -> bool:
        return self._secure

    def get_param(self, key: str) -> str:
        return self._params.get(key, "")


class NoCookies(CookieService):
    """State lives in the database: inside the LMS's iframe the browser may drop our cookies."""

    def get_cookie(self, name):
        return None

    def set_cookie(self, name, value, exp=3600):
        pass


class DbSession(SessionService):
    """States and nonces in ``lti_state``, each usable once, for ``STATE_SECONDS``."""

    def __init__(self, db_url: str, issuer: str = "", client_id: str = ""):
        self.db_url, self.issuer, self.client_id = db_url, issuer, client_id

    def _put(self, kind: str, value: str) -> None:
        with session_scope(self.db_url) as s:
            s.execute(delete(LtiState).where(LtiState.expires_at < _now()))
            s.add(
                LtiState(
                    value=value,
                    kind=kind,
                    issuer=self.issuer,
                    client_id=self.client_id,
                    expires_at=_now() + dt.timedelta(seconds=STATE_SECONDS),
                )
            )

    def consume(self, kind: str, value: str) -> bool:
        if not value or len(value) > 200:
            return False
        with session_scope(self.db_url) as s:
            gone = s.execute(
                delete(LtiState).where(LtiState.value == value, LtiState.kind == kind, LtiState.expires_at >= _now())
            )
            return gone.rowcount == 1

    def save_nonce(self, nonce: str):
        self._put(NONCE, nonce)

    def check_nonce(self, nonce: str) -> bool:
        return self.consume(NONCE, nonce)

    def save_state_params(self, state: str, params):
        self._put(STATE, state)

    def get_state_params(self, state: str):
        return {}

    def save_launch_data(self, key, jwt_body):
        pass  # launches are not restored later

    def set_state_valid(self, state, id_token_hash):
        pass

    def check_state_is_valid(self, state, id_token_hash) -> bool:
        return False


class UrlRedirect(Redirect):
    def __init__(self, location: str):
        self.location = location

    def do_redirect(self):
        return self.location

    def do_js_redirect(self):
        return self.location

    def set_redirect_url(self, location: str):
        self.location = location

    def get_redirect_url(self) -> str:
        return self.location


class Login(OIDCLogin):
    def get_redirect(self, url: str) -> Redirect:
        return UrlRedirect(url)


class Launch(MessageLaunch):
    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    def validate_state(self):
        state = self._get_request_param("state")
        if not state:
            raise LtiException("Missing state param")
        if not self._session_service.consume(STATE, state):
            raise LtiException("State not found (unknown, used before or expired)")
        return self


# --- configuration ---------------------------------------------------------------------
def tool_config(settings) -> ToolConfDict:
    """The registrations of ``RUSFOKUS_LTI_FILE`` with the tool key; LaunchRefused when there are none."""
    try:
        regs = platforms.load(settings.lti_file)
    except platforms.PlatformError as exc:
        raise LaunchRefused(REFUSED, f"LTI registrations are wrong: {exc}", 503) from None
    if not regs:
        raise LaunchRefused(REFUSED, f"no LTI platform is registered ({settings.lti_file})", 404)
    conf = ToolConfDict(platforms.tool_conf_data(regs))
    key_file = keys.ensure(settings.lti_key_file)
    private, public = keys.private_pem(key_file), keys.public_pem(key_file)
    for p in regs:
        conf.set_private_key(p.issuer, private, client_id=p.client_id)
        conf.set_public_key(p.issuer, public, client_id=p.client_id)
    return conf


def _http() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = "rusfokus-lti"
    session.request = _with_timeout(session.request)  # type: ignore[method-assign]
    return session


def _with_timeout(request):
    def call(method, url, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return request(method, url, **kw)

    return call


# --- login and launch --------------------------------------------------------------------
def login(settings, params: dict[str, str], secure: bool) -> str:
    """The platform's auth URL to redirect to (OIDC login initiation)."""
    conf = tool_config(settings)
    launch_url = settings.base_url.rstrip("/") + "/lti/launch"
    target = params.get("target_link_uri", "")
    if target and urlsplit(target).netloc != urlsplit(settings.base_url).netloc:
        raise LaunchRefused(REFUSED, f"target_link_uri {target[:200]!r} is not on this server ({settings.base_url})")
    oidc = Login(ParamsRequest(params, secure), conf, DbSession(settings.db_url, params.get("iss", "")), NoCookies())
    try:
        return oidc.pass_params_to_launch({"issued": True}).get_redirect_object(launch_url).get_redirect_url()
    except Exception as exc:  # PyLTI1p3 raises plain Exception for an issuer or client it does not know
        kind = "" if isinstance(exc, (OIDCException, LtiException)) else f"{exc.__class__.__name__}: "
        raise LaunchRefused(REFUSED, f"LTI login refused: {kind}{str(exc)[:300]}") from None


@dataclass(frozen=True)
class Launched:
    email: str
    person_id: int
    module: str
    issuer: str
    with_score: bool


def _module_of(data: dict) -> str:
    custom = data.get(CUSTOM_CLAIM) or {}
    wanted = str(custom.get("modul", "")) if isinstance(custom, dict) else ""
    if not wanted:
        query = parse_qs(urlsplit(str(data.get(TARGET_CLAIM, ""))).query)
        wanted = (query.get("modul") or [""])[0]
    if wanted not in _MODULE_IDS:
        raise LaunchRefused(
            "Linket i dit LMS peger ikke på et modul i kurset. Sig det til den, der har lagt kurset i LMS'et.",
            f"launch names no known module (modul={wanted[:100]!r})",
            400,
        )
    return wanted


def launch(settings, params: dict[str, str], secure: bool) -> Launched:
    """Validate a launch and map it to the roster; LaunchRefused (Danish message) when it cannot go on."""
    conf = tool_config(settings)
    session_service = DbSession(settings.db_url)
    message = Launch(ParamsRequest(params, secure), conf, session_service, NoCookies(), requests_session=_http())
    try:
        data = message.get_launch_data()
    except Exception as exc:  # also plain Exception for an unknown issuer or client, requests' errors
        kind = "" if isinstance(exc, LtiException) else f"{exc.__class__.__name__}: "
        raise LaunchRefused(REFUSED, f"LTI launch refused: {kind}{str(exc)[:300]}") from None
    if data.get(MESSAGE_TYPE_CLAIM) != RESOURCE_LINK:
        raise LaunchRefused(REFUSED, f"unsupported LTI message type {data.get(MESSAGE_TYPE_CLAIM)!r}", 400)
    module = _module_of(data)
    email = normalise_email(str(data.get("email") or ""))
    if not email or "@" not in email:
        raise LaunchRefused(
            "Dit LMS sendte ikke din e-mailadresse, så kurset ved ikke, hvem du er. "
            "Sig det til den, der styrer LMS'et.",
            "launch without an email claim (the platform must share the launcher's e-mail)",
        )
    issuer, client_id = str(data["iss"]), message.get_client_id()
    ags = data.get(AGS_CLAIM) or {}
    lineitem = str(ags.get("lineitem") or "") if isinstance(ags, dict) else ""
    scopes = [str(s) for s in (ags.get("scope") or [])] if isinstance(ags, dict) else []
    with_score = bool(lineitem) and SCORE_SCOPE in scopes
    with session_scope(settings.db_url) as s:
        person = s.scalar(select(Person).where(Person.email == email))
        secret = load_secret(settings.secret_file)
        if person is None or person.status != STATUS_ACTIVE or is_revoked_in(s, email, secret=secret):
            log_action(s, f"lti:{issuer[:80]}", "lti.launch.refused", module, "not on the staff list")
            raise LaunchRefused(
                "Du står ikke på kommunens medarbejderliste i kurset. Kontakt rusmiddelcentret, så de kan tilføje dig.",
                f"launch for an e-mail that is not an active person on the staff list (issuer {issuer})",
            )
        if with_score:
            _keep_link(
                s, person, module, issuer, client_id, str(data.get(DEPLOYMENT_CLAIM, "")), data, lineitem, scopes
            )
        log_action(s, f"lti:{issuer[:80]}", "lti.launch", module, f"person #{person.id}")
        return Launched(email, person.id, module, issuer, with_score)


def _keep_link(s: Session, person, module, issuer, client_id, deployment, data, lineitem, scopes) -> None:
    link = s.scalar(
        select(LtiLink).where(
            LtiLink.person_id == person.id,
            LtiLink.module == module,
            LtiLink.issuer == issuer,
            LtiLink.client_id == client_id,
            LtiLink.deployment_id == deployment,
        )
    )
    if link is None:
        link = LtiLink(person_id=person.id, module=module, issuer=issuer, client_id=client_id, deployment_id=deployment)
        s.add(link)
    link.subject = str(data.get("sub", ""))[:255]
    link.lineitem = lineitem
    link.scopes = " ".join(scopes)
    link.launched_at = _now()


def start_ticket(settings, email: str, module: str) -> str:
    """A one-time value for ``/lti/start`` (the new window sets the learner cookie first-party).
    The row's ``issuer`` holds the e-mail, ``client_id`` the module."""
    value = secrets.token_urlsafe(24)
    with session_scope(settings.db_url) as s:
        s.add(
            LtiState(
                value=value,
                kind=START,
                issuer=email,
                client_id=module,
                expires_at=_now() + dt.timedelta(seconds=START_SECONDS),
            )
        )
    return value


def use_ticket(settings, value: str) -> tuple[str, str] | None:
    """(e-mail, module) a start ticket was made for, once; None when unknown, used or expired."""
    if not value or len(value) > 200:
        return None
    with session_scope(settings.db_url) as s:
        row = s.scalar(
            select(LtiState).where(LtiState.value == value, LtiState.kind == START, LtiState.expires_at >= _now())
        )
        if row is None:
            return None
        found = (row.issuer, row.client_id)
        s.delete(row)
        return found


# --- the score back (outbox subscriber) -------------------------------------------------------
def enabled(settings) -> bool:
    return Path(settings.lti_file).is_file()


def config_problems(settings) -> list[str]:
    try:
        regs = platforms.load(settings.lti_file)
    except platforms.PlatformError as exc:
        return [str(exc)]
    if not regs:
        return [f"{settings.lti_file}: no platform registered"]
    try:
        keys.private_pem(keys.ensure(settings.lti_key_file))
    except keys.KeyError_ as exc:
        return [str(exc)]
    return []


def deliver(settings, event) -> str:
    """Post the event's score to every line item the person launched the module from."""
    with session_scope(settings.db_url) as s:
        rows = s.scalars(select(LtiLink).where(LtiLink.person_id == event.person_id, LtiLink.module == event.module))
        links = [(r.issuer, r.client_id, r.lineitem, r.scopes.split(), r.subject) for r in rows]
    if not links:
        return "no LTI launch with a grade book for this person and module"
    conf = tool_config(settings)
    stamp = event.occurred_at.replace(microsecond=0)
    stamp = (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).isoformat()
    sent = []
    for issuer, client_id, lineitem, scopes, subject in links:
        registration = conf.find_registration_by_params(issuer, client_id)
        connector = ServiceConnector(registration, requests_session=_http())
        ags = AssignmentsGradesService(connector, {"lineitem": lineitem, "scope": scopes})
        grade = (
            Grade()
            .set_score_given(float(event.score or 0.0))
            .set_score_maximum(float(event.max_score or 1.0))
            .set_activity_progress("Completed")
            .set_grading_progress("FullyGraded")
            .set_timestamp(stamp)
            .set_user_id(subject)
        )
        try:
            ags.put_grade(grade)
        except Exception as exc:  # LtiServiceException carries the platform's answer
            raise RuntimeError(f"AGS score to {lineitem[:200]} refused: {str(exc)[:300]}") from None
        sent.append(lineitem)
    return f"score sent to {len(sent)} line item(s)"
