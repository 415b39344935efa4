"""xAPI statements to the municipality's Learning Record Store (LRS), from the outbox's events.

One event becomes one or two statements (ADL verbs):

- ``passed`` and ``renewed`` (a pass of the refresher): *completed* and *passed* the module;
- ``failed``: *failed* the module (the attempt is finished: ``result.completion`` is true);
- ``attended`` (a temadag): *attended* the module's activity, the temadag named in the context.

Each statement's id is ``uuid5(<the event's uid>, <verb>)``: resending an event (after a timeout,
a stopped worker) sends the same ids, and the LRS keeps one statement per id (xAPI 1.0.3, 2.1.2).
The actor is the learner by ``RUSFOKUS_XAPI_ACTOR``: ``mbox`` (``mailto:`` of her e-mail on the staff
list; what an LMS matches its users on; the default), ``mbox_sha1sum`` (a SHA-1 of that, the address
is not sent) or ``account`` (rusfokus's person number under ``RUSFOKUS_BASE_URL``; no e-mail leaves
rusfokus, but the LRS cannot match her to its own users). Her name is never sent. The object is the
module's activity ``<RUSFOKUS_BASE_URL>/xapi/activities/<module>``; the context names the platform
("rusfokus"), the language and the municipality (``kommune.yml``).

``send(settings, event)`` POSTs the statements with basic auth (``RUSFOKUS_XAPI_KEY`` and the secret,
which is never printed or logged) and the ``X-Experience-API-Version`` header, waiting at most
``RUSFOKUS_XAPI_TIMEOUT`` seconds for each step; any failure raises ``XapiError`` with an English
reason (``.stop_run``: the LRS is down or refuses our credentials, so the rest of this run waits).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from rusfokus.kommune import KommuneError, load_kommune
from rusfokus.outbox import ATTENDED, FAILED_KIND, PASSED, RENEWED, EventData
from rusfokus.progress import module_title

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "completed": (ADL + "completed", "completed"),
    "passed": (ADL + "passed", "passed"),
    "failed": (ADL + "failed", "failed"),
    "attended": (ADL + "attended", "attended"),
}
KIND_VERBS = {
    PASSED: ("completed", "passed"),
    RENEWED: ("completed", "passed"),
    FAILED_KIND: ("failed",),
    ATTENDED: ("attended",),
}
KINDS = frozenset(KIND_VERBS)
ACTOR_MODES = ("mbox", "mbox_sha1sum", "account")
VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.0.3")
MODULE_TYPE = "http://adlnet.gov/expapi/activities/module"
MEETING_TYPE = "http://adlnet.gov/expapi/activities/meeting"


class XapiError(Exception):
    """A statement could not be delivered (English reason). ``stop_run``: wait with the rest of this run."""

    def __init__(self, reason: str, *, stop_run: bool = False):
        super().__init__(reason)
        self.stop_run = stop_run


# --- settings ----------------------------------------------------------------------------------


def enabled(settings) -> bool:
    return bool((settings.xapi_endpoint or "").strip())


def _secret(settings) -> str:
    if settings.xapi_secret_file:
        try:
            text = Path(settings.xapi_secret_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise XapiError(
                f"cannot read RUSFOKUS_XAPI_SECRET_FILE ({settings.xapi_secret_file}): {exc.strerror or exc}",
                stop_run=True,
            ) from None
        return (text.splitlines() or [""])[0].strip()
    return settings.xapi_secret.value


def config_problems(settings) -> list[str]:
    """What is wrong with the xAPI settings (English, for the operator; never the secret). [] when usable."""
    if not enabled(settings):
        return []
    problems = []
    endpoint = settings.xapi_endpoint.strip()
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(
            f"RUSFOKUS_XAPI_ENDPOINT must be the LRS's http(s) address, e.g. https://lrs.kommune.dk/xAPI/ "
            f"(got {_shown(endpoint)!r})"
        )
    elif parts.username or parts.password:
        problems.append(
            "RUSFOKUS_XAPI_ENDPOINT must not contain a user or password: "
            "put them in RUSFOKUS_XAPI_KEY and RUSFOKUS_XAPI_SECRET_FILE"
        )
    elif parts.query or parts.fragment:
        problems.append("RUSFOKUS_XAPI_ENDPOINT must not contain ? or #: give the LRS's base address")
    if not (settings.xapi_key or "").strip():
        problems.append("RUSFOKUS_XAPI_KEY is empty: the LRS's basic-auth key (user name) for rusfokus is needed")
    elif ":" in settings.xapi_key:
        problems.append("RUSFOKUS_XAPI_KEY must not contain ':' (basic auth cannot carry it)")
    try:
        if not _secret(settings):
            problems.append(
                "the LRS secret is empty: set RUSFOKUS_XAPI_SECRET_FILE (a file whose first line is the secret) "
                "or RUSFOKUS_XAPI_SECRET"
            )
    except XapiError as exc:
        problems.append(str(exc))
    if settings.xapi_version not in VERSIONS:
        problems.append(f"RUSFOKUS_XAPI_VERSION must be one of {', '.join(VERSIONS)} (got {settings.xapi_version!r})")
    if settings.xapi_actor not in ACTOR_MODES:
        problems.append(f"RUSFOKUS_XAPI_ACTOR must be one of {', '.join(ACTOR_MODES)} (got {settings.xapi_actor!r})")
    if not settings.xapi_timeout > 0:
        problems.append(f"RUSFOKUS_XAPI_TIMEOUT must be more than 0 seconds (got {settings.xapi_timeout!r})")
    base = urlsplit(settings.base_url or "")
    if base.scheme not in ("http", "https") or not base.hostname:
        problems.append(
            f"RUSFOKUS_BASE_URL must be the server's public http(s) address: xAPI activity ids are made "
            f"from it (got {settings.base_url!r})"
        )
    return problems


def _shown(url: str) -> str:
    """A URL safe to print: without a user or password in it."""
    parts = urlsplit(url)
    if parts.password or parts.username:
        return url.replace(parts.netloc, parts.hostname or "", 1)
    return url


def statements_url(settings) -> str:
    return settings.xapi_endpoint.strip().rstrip("/") + "/statements"


# --- statements --------------------------------------------------------------------------------


def _base(settings) -> str:
    return settings.base_url.rstrip("/")


def activity_id(settings, module: str) -> str:
    return f"{_base(settings)}/xapi/activities/{re.sub(r'[^A-Za-z0-9._~-]', '-', module)}"


def statement_id(event: EventData, verb: str) -> str:
    return str(uuid.uuid5(uuid.UUID(event.uid), verb))


def actor(settings, event: EventData) -> dict:
    if settings.xapi_actor == "account":
        return {"objectType": "Agent", "account": {"homePage": _base(settings), "name": f"person-{event.person_id}"}}
    if not event.email:
        raise XapiError(
            f"person #{event.person_id} has no e-mail address on the staff list (erased?): no xAPI actor; "
            "RUSFOKUS_XAPI_ACTOR=account names people without their e-mail"
        )
    mbox = "mailto:" + event.email
    if settings.xapi_actor == "mbox_sha1sum":
        return {"objectType": "Agent", "mbox_sha1sum": hashlib.sha1(mbox.encode()).hexdigest()}
    return {"objectType": "Agent", "mbox": mbox}


def _kommune(settings) -> str:
    try:
        return load_kommune(settings.kommune_file).navn
    except KommuneError as exc:
        raise XapiError(
            f"kommune.yml cannot be read ({exc}); statements name the municipality", stop_run=True
        ) from None


def _result(event: EventData, verb: str) -> dict | None:
    if event.kind == ATTENDED:
        return {"completion": True}
    result = {"completion": True}
    if event.passed is not None:
        result["success"] = bool(event.passed)
    if event.score is not None:
        score = {"raw": event.score, "min": 0.0}
        if event.max_score:
            score["max"] = event.max_score
            score["raw"] = min(event.score, event.max_score)
            score["scaled"] = round(min(1.0, max(0.0, event.score / event.max_score)), 4)
        result["score"] = score
    return result


def statements(settings, event: EventData, kommune: str | None = None) -> list[dict]:
    """The xAPI statements of one event (deterministic: the same event gives the same statements)."""
    if event.kind not in KIND_VERBS:
        raise XapiError(f"xAPI has no statement for events of kind {event.kind!r}")
    kommune = _kommune(settings) if kommune is None else kommune
    when = event.occurred_at.astimezone().isoformat(timespec="seconds")
    ext = f"{_base(settings)}/xapi/extensions/"
    context = {
        "platform": "rusfokus",
        "language": "da-DK",
        "extensions": {ext + "kommune": kommune, ext + "event": f"{event.kind}:{event.ref}"},
    }
    if event.kind == ATTENDED:
        temadag = event.ref.split(":")[1] if event.ref.startswith("temadag:") else event.ref
        context["contextActivities"] = {
            "parent": [
                {
                    "objectType": "Activity",
                    "id": f"{_base(settings)}/xapi/activities/temadag/{temadag}",
                    "definition": {"type": MEETING_TYPE, "name": {"da-DK": "Temadag"}},
                }
            ]
        }
    out = []
    for verb in KIND_VERBS[event.kind]:
        verb_id, display = VERBS[verb]
        statement = {
            "id": statement_id(event, verb),
            "actor": actor(settings, event),
            "verb": {"id": verb_id, "display": {"en-US": display}},
            "object": {
                "objectType": "Activity",
                "id": activity_id(settings, event.module),
                "definition": {"type": MODULE_TYPE, "name": {"da-DK": module_title(event.module)}},
            },
            "timestamp": when,
            "context": context,
        }
        result = _result(event, verb)
        if result:
            statement["result"] = result
        out.append(statement)
    return out


# --- sending -----------------------------------------------------------------------------------


def _reason(text: str, secret: str) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    if secret:
        text = text.replace(secret, "********")
    return text[:300]


def send(settings, event: EventData) -> str:
    """Deliver the event's statements to the LRS. Returns a note ("" or why nothing new was stored);
    raises ``XapiError`` on any failure (nothing is assumed delivered then)."""
    problems = config_problems(settings)
    if problems:
        raise XapiError("xAPI settings: " + "; ".join(problems), stop_run=True)
    secret = _secret(settings)
    body = json.dumps(statements(settings, event), ensure_ascii=False).encode("utf-8")
    auth = base64.b64encode(f"{settings.xapi_key.strip()}:{secret}".encode()).decode("ascii")
    request = urllib.request.Request(
        statements_url(settings),
        data=body,
        method="POST",
        headers={
            "Authorization": "Basic " + auth,
            "Content-Type": "application/json",
            "X-Experience-API-Version": settings.xapi_version,
            "User-Agent": "rusfokus",
        },
    )
    where = _shown(statements_url(settings))
    try:
        with urllib.request.urlopen(request, timeout=settings.xapi_timeout) as response:
            response.read(65536)
            return ""
    except urllib.error.HTTPError as exc:
        try:
            detail = _reason(exc.read(2000).decode("utf-8", "replace"), secret)
        except (OSError, TimeoutError):
            detail = ""
        code = exc.code
        if code == 409:  # the LRS holds a statement with one of these ids already (xAPI 1.0.3, 2.2)
            return f"the LRS already holds these statement ids (409){': ' + detail if detail else ''}"
        if code in (401, 403):
            raise XapiError(
                f"the LRS at {where} refused rusfokus's credentials ({code}): check RUSFOKUS_XAPI_KEY and the secret",
                stop_run=True,
            ) from None
        raise XapiError(
            f"the LRS at {where} answered {code} {exc.reason}{': ' + detail if detail else ''}",
            stop_run=code >= 500 or code == 429,
        ) from None
    except TimeoutError:
        raise XapiError(
            f"the LRS at {where} did not answer within {settings.xapi_timeout:g} s (RUSFOKUS_XAPI_TIMEOUT)",
            stop_run=True,
        ) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise XapiError(
                f"the LRS at {where} did not answer within {settings.xapi_timeout:g} s (RUSFOKUS_XAPI_TIMEOUT)",
                stop_run=True,
            ) from None
        text = getattr(reason, "strerror", None) or str(reason)
        raise XapiError(f"cannot reach the LRS at {where}: {_reason(text, secret)}", stop_run=True) from None
    except (OSError, ValueError) as exc:  # connection reset mid-answer, a broken URL
        raise XapiError(
            f"talking to the LRS at {where} failed: {type(exc).__name__}: {_reason(str(exc), secret)}", stop_run=True
        ) from None
