"""rusfokus as a JupyterHub service: who a Hub user is here (issue 19).

When rusfokus is configured for a Hub (``hub_config``: the RUSFOKUS_HUB_* settings, or the
JUPYTERHUB_* variables the Hub gives a managed service), people log in through the Hub's
OAuth (``rusfokus.identity.web_hub``: ``/hub/login`` → the Hub → ``/hub/oauth_callback``).
The callback exchanges the code with ``jupyterhub.services.auth.HubOAuth`` and asks the Hub
for the user (name and groups); ``map_hub_user`` turns that into one of rusfokus's own
identities, and the handler sets rusfokus's own signed cookies. Everything downstream
(``Handler.learner()``/``role()``, the Voilà apps' ``current_learner()``) is unchanged:

- the admin group → an admin session (admin name ``hub:<user>``);
- the learner or nøgleperson group → the learner cookie of the person on the staff list whose
  e-mail is the Hub user name (or ``<name>@<RUSFOKUS_HUB_EMAIL_DOMAIN>`` for a name without @);
  with a nøgleperson group set, membership sets the person's nøgleperson flag (the Hub decides);
- anyone else, or someone not active on the staff list: no identity, a Danish page says why.

No per-user server is spawned. A per-user server under the Hub (``JUPYTERHUB_USER`` in the
kernel, ``rusfokus.identity.tokens.current_learner``) is a different set-up and keeps working:
the Hub service mode is off there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.identity.revocation import is_revoked_in
from rusfokus.identity.tokens import normalise_email
from rusfokus.migrations import upgrade
from rusfokus.progress.audit import log_action
from rusfokus.progress.models import STATUS_ACTIVE, Person

ADMIN_PREFIX = "hub:"
"""Admin sessions from the Hub are named ``hub:<user>`` (audit log: ``admin:hub:<user>``), never
the same name as a local admin of ``/login``."""

NOT_IN_GROUP = (
    "Du er logget ind i JupyterHub, men du er ikke med i en gruppe, der giver adgang til rusfokus. "
    "Spørg den, der styrer jeres JupyterHub."
)
NOT_ON_LIST = (
    "Du er logget ind i JupyterHub, men vi kan ikke finde dig på listen over medarbejdere i rusfokus. "
    "Spørg din nøgleperson eller den, der styrer listen."
)
LOGIN_FAILED = "Vi kunne ikke logge dig ind via JupyterHub. Prøv igen."


@dataclass(frozen=True)
class HubConfig:
    api_url: str  # the Hub's API as rusfokus reaches it, e.g. http://hub:8081/hub/api
    api_token: str  # the service's token (the Hub's services[].api_token)
    public_url: str  # the Hub as the browser reaches it, e.g. https://hub.kommune.dk
    client_id: str  # the OAuth client of the service, e.g. service-rusfokus
    callback_url: str  # rusfokus's /hub/oauth_callback as the browser reaches it
    group_admin: str
    group_noegleperson: str
    group_learner: str
    email_domain: str
    links: bool  # personal links still work

    @property
    def authorize_url(self) -> str:
        return self.public_url.rstrip("/") + "/hub/api/oauth2/authorize"

    def login_redirect(self, state: str) -> str:
        """Where ``/hub/login`` sends the browser: the Hub's OAuth authorize page."""
        query = urlencode(
            {"client_id": self.client_id, "redirect_uri": self.callback_url, "response_type": "code", "state": state}
        )
        return f"{self.authorize_url}?{query}"


def hub_config(settings, environ=None) -> HubConfig | None:
    """The Hub set-up, or None when rusfokus does not run as a Hub service.

    On when RUSFOKUS_HUB_API_URL is set, or when the Hub started rusfokus as a managed service
    (JUPYTERHUB_API_URL and JUPYTERHUB_CLIENT_ID set, and no JUPYTERHUB_USER: that is a per-user
    server). Each RUSFOKUS_HUB_* value wins over the JUPYTERHUB_* one."""
    env = os.environ if environ is None else environ
    api_url = getattr(settings, "hub_api_url", "") or ""
    if (
        not api_url
        and env.get("JUPYTERHUB_API_URL")
        and env.get("JUPYTERHUB_CLIENT_ID")
        and not env.get("JUPYTERHUB_USER")
    ):
        api_url = env["JUPYTERHUB_API_URL"]
    if not api_url:
        return None
    token = getattr(settings, "hub_api_token", "")
    token = getattr(token, "value", token) or env.get("JUPYTERHUB_API_TOKEN", "")
    if not token:
        raise ValueError("rusfokus runs as a JupyterHub service but has no API token: set RUSFOKUS_HUB_API_TOKEN")
    public = settings.hub_url or env.get("JUPYTERHUB_PUBLIC_URL", "")
    if not public:  # the API's own host (fine when the browser reaches the Hub there, as on loopback)
        parts = urlsplit(api_url)
        public = f"{parts.scheme}://{parts.netloc}"
    callback = (
        settings.hub_callback_url
        or env.get("JUPYTERHUB_OAUTH_CALLBACK_URL", "")
        or settings.base_url.rstrip("/") + "/hub/oauth_callback"
    )
    return HubConfig(
        api_url=api_url.rstrip("/"),
        api_token=token,
        public_url=public.rstrip("/"),
        client_id=settings.hub_client_id or env.get("JUPYTERHUB_CLIENT_ID", "") or "service-rusfokus",
        callback_url=callback,
        group_admin=settings.hub_group_admin,
        group_noegleperson=settings.hub_group_noegleperson,
        group_learner=settings.hub_group_learner,
        email_domain=settings.hub_email_domain.strip().lstrip("@").lower(),
        links=settings.hub_links,
    )


def links_allowed(settings) -> bool:
    """Whether ``/adgang/<token>`` personal links work: always without a Hub, else RUSFOKUS_HUB_LINKS."""
    cfg = hub_config(settings)
    return cfg is None or cfg.links


LINKS_OFF = "Personlige links er slået fra. Log ind via JupyterHub i stedet."


def make_hub_auth(cfg: HubConfig):
    """JupyterHub's own client for the token exchange and the user lookup."""
    from jupyterhub.services.auth import HubOAuth  # only when a Hub is configured

    return HubOAuth(
        api_url=cfg.api_url,
        api_token=cfg.api_token,
        oauth_client_id=cfg.client_id,
        oauth_redirect_uri=cfg.callback_url,
        oauth_authorization_url=cfg.authorize_url,
        cache_max_age=0,
    )


@dataclass(frozen=True)
class HubIdentity:
    """What a Hub user is in rusfokus: ``kind`` admin, kursist (nøgleperson is a kursist with the
    flag on the staff list) or "" with a Danish ``message``."""

    kind: str
    hub_user: str
    email: str = ""  # the learner's e-mail on the staff list
    admin: str = ""  # the admin session's name
    message: str = ""


def hub_email(name: str, domain: str) -> str:
    """The e-mail a Hub user name stands for: itself if it has @, else name@domain (or "")."""
    name = normalise_email(name)
    if "@" in name:
        return name
    return f"{name}@{domain}" if domain and name else ""


def map_hub_user(model: dict, cfg: HubConfig, db_url: str, secret: bytes) -> HubIdentity:
    """Map the Hub's user model (``name``, ``groups``) to a rusfokus identity; with a nøgleperson group
    configured, set the person's nøgleperson flag to the membership (audit-logged when it changes)."""
    name = str(model.get("name") or "")
    groups = {str(g) for g in (model.get("groups") or [])}
    if not name:
        return HubIdentity("", name, message=LOGIN_FAILED)
    if cfg.group_admin and cfg.group_admin in groups:
        return HubIdentity("admin", name, admin=ADMIN_PREFIX + name)
    learner_groups = {g for g in (cfg.group_learner, cfg.group_noegleperson) if g}
    if not groups & learner_groups:
        return HubIdentity("", name, message=NOT_IN_GROUP)
    email = hub_email(name, cfg.email_domain)
    if not email:
        return HubIdentity("", name, message=NOT_ON_LIST)
    upgrade(db_url)
    with session_scope(db_url) as s:
        person = s.scalar(select(Person).where(Person.email == email))
        if person is None or person.status != STATUS_ACTIVE or is_revoked_in(s, email, secret=secret):
            return HubIdentity("", name, message=NOT_ON_LIST)
        if cfg.group_noegleperson:
            flag = cfg.group_noegleperson in groups
            if bool(person.noegleperson) != flag:
                person.noegleperson = flag
                log_action(s, f"hub:{name}", "hub.noegleperson", email, f"noegleperson={flag} (Hub group)")
    return HubIdentity("kursist", name, email=email)
