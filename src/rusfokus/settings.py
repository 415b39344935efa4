"""Every configurable value of rusfokus, in one place, with its help text.

Values come from environment variables (the ``env`` of each field) or the
defaults below. Paths default to the project checkout (the folder holding
``_config.yml``) and its ``var/`` folder for runtime data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path


def _find_root(environ=None) -> Path:
    env = (os.environ if environ is None else environ).get("RUSFOKUS_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd(), Path(__file__).resolve()):
        for candidate in (start, *start.parents):
            if (candidate / "_config.yml").is_file() and (candidate / "widgets").is_dir():
                return candidate
    return Path.cwd().resolve()


def flag(raw) -> bool:
    """An on/off setting: 1/true/yes/ja/on or 0/false/no/nej/off."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "ja", "on"):
        return True
    if text in ("0", "false", "no", "nej", "off"):
        return False
    raise ValueError(f"not an on/off value: {raw!r}")


def tls_mode(raw) -> str:
    """How to talk TLS to the SMTP server: starttls, ssl or none."""
    text = str(raw).strip().lower()
    if text not in ("starttls", "ssl", "none"):
        raise ValueError(f"not one of starttls, ssl, none: {raw!r}")
    return text


class Secret:
    """A value that is never shown: ``str()`` and ``repr()`` print ``********``; ``.value`` holds it."""

    __slots__ = ("value",)

    def __init__(self, raw="") -> None:
        self.value = raw.value if isinstance(raw, Secret) else str(raw)

    def __str__(self) -> str:
        return "********" if self.value else ""

    def __repr__(self) -> str:
        return "Secret('********')" if self.value else "Secret('')"

    def __bool__(self) -> bool:
        return bool(self.value)

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("Secret", self.value))


def _opt(env: str, help: str, default=None, kind=str):
    return field(default=default, metadata={"env": env, "help": help, "kind": kind})


@dataclass(frozen=True)
class Settings:
    root: Path = _opt("RUSFOKUS_ROOT", "The project checkout (holds _config.yml, widgets/, exercises/).", kind=Path)
    home: Path = _opt(
        "RUSFOKUS_HOME", "Runtime data folder: secret key, SQLite database, logs. Default <root>/var.", kind=Path
    )
    secret_file: Path = _opt(
        "RUSFOKUS_SECRET_FILE",
        "The secret key that signs personal links, cookies (learner, admin, temadag) and CSRF values; created "
        "(mode 0600) on first use. Every copy of `rusfokus serve` on one database must read the same key: "
        "point them all at one file (or mount it). Default <home>/secret.key.",
        kind=Path,
    )
    db_url: str = _opt(
        "RUSFOKUS_DB",
        "SQLAlchemy URL of the progress database. Default: SQLite file <home>/rusfokus.db. PostgreSQL: postgresql+psycopg://user:pw@host:5432/db",
    )
    host: str = _opt("RUSFOKUS_HOST", "Address `rusfokus serve` listens on.", "127.0.0.1")
    port: int = _opt("RUSFOKUS_PORT", "Port `rusfokus serve` listens on.", 8866, int)
    copy_name: str = _opt(
        "RUSFOKUS_COPY_NAME",
        "Name of this copy of `rusfokus serve` in GET /healthz (e.g. the Kubernetes pod name). "
        "Default <hostname>:<pid>.",
        "",
    )
    base_url: str = _opt(
        "RUSFOKUS_BASE_URL",
        "Public address of the server, used in personal links and QR codes. Default http://<host>:<port>.",
    )
    badges_url: str = _opt(
        "RUSFOKUS_BADGES_URL",
        "Public HTTPS address under which verifiers reach this server's /badges/ (Open Badges 3.0 kursusbeviser: "
        "the issuer did:web:<host>:badges, its keys and the status list). Default: RUSFOKUS_BASE_URL.",
        "",
    )
    book_dir: Path = _opt("RUSFOKUS_BOOK_DIR", "The built book (HTML). Default <root>/_build/html.", kind=Path)
    widgets_dir: Path = _opt(
        "RUSFOKUS_WIDGETS_DIR", "Folder of Voilà apps (one folder per app). Default <root>/widgets.", kind=Path
    )
    course_dir: Path = _opt("RUSFOKUS_COURSE_DIR", "The nbgrader course folder. Default <root>/exercises.", kind=Path)
    content_dir: Path = _opt(
        "RUSFOKUS_CONTENT_DIR",
        "The content root: one folder per module (NN-<id>/) with its pages and data/ "
        "(exercise, temadag questions, dialogue trees, MI data). Default <root>/modules.",
        kind=Path,
    )
    gradebook_db: str = _opt(
        "RUSFOKUS_GRADEBOOK_DB",
        "SQLAlchemy URL of nbgrader's gradebook (scores of the exercises). "
        "Empty: the SQLite file gradebook.db in the course folder.",
        "",
    )
    kommune_file: Path = _opt(
        "RUSFOKUS_KOMMUNE",
        "The municipality's file (name, rusmiddelcenter, offers). Default <root>/kommune.yml.",
        kind=Path,
    )
    pool_size: int = _opt(
        "RUSFOKUS_POOL_SIZE",
        "Preheated Voilà kernels kept ready per app (an app may ask for more in its notebook metadata); "
        "0 turns preheating off for every app.",
        1,
        int,
    )
    cull_idle_seconds: int = _opt(
        "RUSFOKUS_CULL_IDLE",
        "Shut down app kernels idle this many seconds. An open app page warns its learner 2 minutes before "
        '("Fortsæt") and then lets its kernel go; the app comes back with its values at the next click. '
        "A kernel handed to a page less than a minute ago is never culled.",
        900,
        int,
    )
    cull_interval_seconds: int = _opt(
        "RUSFOKUS_CULL_INTERVAL", "How often the server looks for idle app kernels to shut down.", 60, int
    )
    max_kernels: int = _opt(
        "RUSFOKUS_MAX_KERNELS",
        "App kernels alive at most, the preheated ones included (about 25-155 MB each with forked kernels; "
        "see README, 'Memory'). Over it an app page shows 'Der er travlt lige nu' and tries again by itself. "
        "0: no cap. The preheated pools take at most half of it.",
        90,
        int,
    )
    kernels_per_visitor: int = _opt(
        "RUSFOKUS_KERNELS_PER_VISITOR",
        "App kernels one browser (page session) may hold at once; a book page has up to three apps. 0: no cap.",
        4,
        int,
    )
    release_seconds: int = _opt(
        "RUSFOKUS_RELEASE_SECONDS",
        "Shut down an app's kernel this many seconds after its page was closed or left (no connection); "
        "the app restores its values when the learner comes back. 0: only the idle cull.",
        30,
        int,
    )
    fork_kernels: bool = _opt(
        "RUSFOKUS_FORK_KERNELS",
        "Start app kernels by forking one warm template process that has ipykernel, ipywidgets and the apps' "
        "code loaded (on/off): a kernel starts in a fraction of the CPU time and shares that memory with the "
        "others. Off: each kernel is a fresh Python (the way plain Jupyter starts kernels).",
        True,
        flag,
    )
    certificate_months: int = _opt(
        "RUSFOKUS_CERT_MONTHS", "Months a kursusbevis is valid before a refresher is due.", 24, int
    )
    retention_months: int = _opt(
        "RUSFOKUS_RETENTION_MONTHS", "Months after fratrædelse before personal data is purged.", 12, int
    )
    practice_months: str = _opt(
        "RUSFOKUS_PRACTICE_MONTHS",
        "Refresher loop: months after a pass at which a practice round opens (comma list, rising, e.g. 1,3,6).",
        "1,3,6",
    )
    practice_remind_days: int = _opt(
        "RUSFOKUS_PRACTICE_REMIND_DAYS",
        "Days after a practice round opened (and was mailed) before its one reminder, if it is not taken.",
        14,
        int,
    )
    practice_drop_days: int = _opt(
        "RUSFOKUS_PRACTICE_DROP_DAYS",
        "Days after a practice round's reminder before a learner who has not taken it counts as dropped out.",
        14,
        int,
    )
    practice_renew_months: int = _opt(
        "RUSFOKUS_PRACTICE_RENEW_MONTHS",
        "When every practice round of a module is taken, its kursusbevis is valid this many months from the "
        "last round (never shortened). 0: practice does not renew.",
        24,
        int,
    )
    practice_poll_seconds: float = _opt(
        "RUSFOKUS_PRACTICE_POLL_SECONDS",
        "How often `rusfokus serve` opens due practice rounds and queues their e-mails "
        "(`rusfokus genopfrisk run` does the same from cron).",
        3600.0,
        float,
    )
    trusted_proxy: bool = _opt(
        "RUSFOKUS_TRUSTED_PROXY",
        "Set to 1 only when `rusfokus serve` is reachable solely through your own reverse proxy (nginx, HAProxy): "
        "the server then takes the client address from X-Forwarded-For / X-Real-Ip and the scheme from "
        "X-Forwarded-Proto, and marks every cookie Secure when that scheme is https. "
        "Off (0): those headers are ignored.",
        False,
        flag,
    )
    grade_retries: int = _opt(
        "RUSFOKUS_GRADE_RETRIES",
        "Times a hand-in is graded again on a fresh kernel after grading failed (e.g. the grading kernel died) "
        "before it is marked failed for the admin.",
        3,
        int,
    )
    grade_retry_seconds: float = _opt(
        "RUSFOKUS_GRADE_RETRY_SECONDS",
        "Wait before the first automatic new grading of a failed hand-in; doubles with each further failure.",
        5.0,
        float,
    )
    grade_worker: bool = _opt(
        "RUSFOKUS_GRADE_WORKER",
        "Whether this copy grades hand-ins (on/off). With PostgreSQL every copy whose worker is on takes hand-ins "
        "from the shared grading queue, also those another copy received; off: this copy only receives them "
        "(and answers the learner when another copy has graded). SQLite: always on (one server).",
        True,
        flag,
    )
    # Proof of effect (rusfokus.effekt): self-efficacy answers, practice counts, reports to managers
    effekt_min_group: int = _opt(
        "RUSFOKUS_EFFEKT_MIN_GROUP",
        "Smallest group of people whose self-efficacy answers or practice counts a report, the dashboard's "
        "aggregates or a nøgleperson's page may show; smaller groups are merged into 'Øvrige' or left out. "
        "Values under 5 count as 5.",
        5,
        int,
    )
    effekt_individual_reports: bool = _opt(
        "RUSFOKUS_EFFEKT_INDIVIDUAL_REPORTS",
        "1: the .xlsx report (which goes to managers) also lists each person's self-efficacy answers and "
        "practice counts by name. Off (0, the default): only groups of RUSFOKUS_EFFEKT_MIN_GROUP or more. "
        "Showing managers individual results is monitoring of staff, a control measure under Danish "
        "employment GDPR practice: turn it on only when the municipality has decided and documented it "
        "(purpose, legal basis, staff informed in advance). The rusmiddelcenter admin and the learner "
        "herself always see her own answers.",
        False,
        flag,
    )
    effekt_retention_months: int = _opt(
        "RUSFOKUS_EFFEKT_RETENTION_MONTHS",
        "Months a self-efficacy answer or practice count is kept; `rusfokus purge` deletes older ones. "
        "Reason: change is measured from before the first module through the refresher rounds and one "
        "kursusbevis period (24 months) plus a year to compare with, so 36 months; people who leave are "
        "erased sooner (RUSFOKUS_RETENTION_MONTHS).",
        36,
        int,
    )
    effekt_target_pct: float = _opt(
        "RUSFOKUS_EFFEKT_TARGET_PCT",
        "The target line of the dashboard's and the report's chart 'Gennemførelse mod mål': the share (%) of "
        "active staff who have passed at least one module.",
        80.0,
        float,
    )
    # E-mail (rusfokus.mail): personal links, temadag invitations, refresher reminders
    smtp_host: str = _opt(
        "RUSFOKUS_SMTP_HOST",
        "The municipality's SMTP server for e-mail (personal links, temadag invitations, refresher reminders). "
        "Empty: e-mail is off (nothing is queued or sent).",
        "",
    )
    smtp_port: int = _opt(
        "RUSFOKUS_SMTP_PORT",
        "Port of the SMTP server. 0: the usual port of RUSFOKUS_SMTP_TLS (587 starttls, 465 ssl, 25 none).",
        0,
        int,
    )
    smtp_tls: str = _opt(
        "RUSFOKUS_SMTP_TLS",
        "starttls (plain connection upgraded with STARTTLS, required), ssl (TLS from the first byte, usually port 465) "
        "or none (only on a trusted internal network; no password is sent then). "
        "With starttls and ssl the certificate and host name are always checked.",
        "starttls",
        tls_mode,
    )
    smtp_ca_file: Path = _opt(
        "RUSFOKUS_SMTP_CA_FILE",
        "PEM file with the CA certificate(s) that signed the SMTP server's certificate, "
        "when the system does not trust it (e.g. the municipality's internal CA). Empty: the system's CAs.",
        kind=Path,
    )
    smtp_user: str = _opt("RUSFOKUS_SMTP_USER", "User name for SMTP AUTH. Empty: no login.", "")
    smtp_password: Secret = _opt(
        "RUSFOKUS_SMTP_PASSWORD",
        "Password for SMTP AUTH (never shown). "
        "Prefer RUSFOKUS_SMTP_PASSWORD_FILE: an environment variable is visible to other tools of the same user.",
        Secret(""),
        Secret,
    )
    smtp_password_file: Path = _opt(
        "RUSFOKUS_SMTP_PASSWORD_FILE",
        "File whose first line is the SMTP password (keep it mode 0600). "
        "Read each time mail is sent; wins over RUSFOKUS_SMTP_PASSWORD.",
        kind=Path,
    )
    smtp_timeout: float = _opt(
        "RUSFOKUS_SMTP_TIMEOUT", "Seconds to wait for the SMTP server at each step.", 30.0, float
    )
    mail_from: str = _opt(
        "RUSFOKUS_MAIL_FROM",
        "Sender address of every e-mail, e.g. rusfokus@kommune.dk (the SMTP server must accept it as sender). "
        "Required when RUSFOKUS_SMTP_HOST is set.",
        "",
    )
    mail_from_name: str = _opt(
        "RUSFOKUS_MAIL_FROM_NAME", "Sender name staff see. Empty: the rusmiddelcenter's name from kommune.yml.", ""
    )
    mail_poll_seconds: float = _opt(
        "RUSFOKUS_MAIL_POLL_SECONDS",
        "How often `rusfokus serve` sends queued e-mail (the dashboard and `rusfokus mail ...` queue it).",
        15.0,
        float,
    )
    mail_retry_seconds: float = _opt(
        "RUSFOKUS_MAIL_RETRY_SECONDS",
        "Wait before a new try when the SMTP server could not be reached or refused a message for now (4xx); "
        "doubles with each failure up to RUSFOKUS_MAIL_RETRY_MAX_SECONDS.",
        60.0,
        float,
    )
    mail_retry_max_seconds: float = _opt(
        "RUSFOKUS_MAIL_RETRY_MAX_SECONDS", "Longest wait between tries of a queued e-mail.", 3600.0, float
    )
    mail_max_attempts: int = _opt(
        "RUSFOKUS_MAIL_MAX_ATTEMPTS",
        "Times the SMTP server may refuse one message for now (4xx) before it is marked failed. "
        "A server that cannot be reached never uses these up: the mail stays queued until it is back.",
        10,
        int,
    )
    # Integrations (rusfokus.integrations): completion events delivered from the outbox, e.g. xAPI to an LRS
    xapi_endpoint: str = _opt(
        "RUSFOKUS_XAPI_ENDPOINT",
        "The municipality's Learning Record Store (xAPI) endpoint, e.g. https://lrs.kommune.dk/xAPI/ "
        "(statements go to <endpoint>statements). Empty: no xAPI statements are sent.",
        "",
    )
    xapi_key: str = _opt("RUSFOKUS_XAPI_KEY", "The LRS's basic-auth key (user name) for rusfokus.", "")
    xapi_secret: Secret = _opt(
        "RUSFOKUS_XAPI_SECRET",
        "The LRS's basic-auth secret (never shown). Prefer RUSFOKUS_XAPI_SECRET_FILE.",
        Secret(""),
        Secret,
    )
    xapi_secret_file: Path = _opt(
        "RUSFOKUS_XAPI_SECRET_FILE",
        "File whose first line is the LRS secret (keep it mode 0600). Read at each delivery run; "
        "wins over RUSFOKUS_XAPI_SECRET.",
        kind=Path,
    )
    xapi_version: str = _opt(
        "RUSFOKUS_XAPI_VERSION", "The X-Experience-API-Version header sent to the LRS (1.0.0 to 1.0.3).", "1.0.3"
    )
    xapi_actor: str = _opt(
        "RUSFOKUS_XAPI_ACTOR",
        "How statements name the learner: mbox (mailto: of the e-mail on the staff list; what an LMS matches on), "
        "mbox_sha1sum (a SHA-1 of that mailto:, the address itself is not sent) or account "
        "(rusfokus's person number under RUSFOKUS_BASE_URL; no e-mail leaves rusfokus).",
        "mbox",
    )
    xapi_timeout: float = _opt(
        "RUSFOKUS_XAPI_TIMEOUT",
        "Seconds to wait for the LRS (connecting, and each read) before a try fails.",
        10.0,
        float,
    )
    integrations_poll_seconds: float = _opt(
        "RUSFOKUS_INTEGRATIONS_POLL_SECONDS",
        "How often `rusfokus serve` delivers completion events to the integrations "
        "(`rusfokus integrations deliver` does the same once).",
        30.0,
        float,
    )
    integrations_retry_seconds: float = _opt(
        "RUSFOKUS_INTEGRATIONS_RETRY_SECONDS",
        "Wait before a failed delivery is tried again; doubles with each failure up to "
        "RUSFOKUS_INTEGRATIONS_RETRY_MAX_SECONDS. A delivery is never given up.",
        60.0,
        float,
    )
    integrations_retry_max_seconds: float = _opt(
        "RUSFOKUS_INTEGRATIONS_RETRY_MAX_SECONDS", "Longest wait between tries of a failed delivery.", 3600.0, float
    )
    # LTI 1.3 (rusfokus.integrations.lti): an LMS launches a module and gets the score back
    lti_file: Path = _opt(
        "RUSFOKUS_LTI_FILE",
        "YAML file of the LTI 1.3 platforms (LMSs) allowed to launch modules: issuer, client_id, deployment_ids, "
        "auth_login_url, auth_token_url, key_set_url per platform. Read again when it changes. No file: LTI off. "
        "Default <home>/lti.yml.",
        kind=Path,
    )
    lti_key_file: Path = _opt(
        "RUSFOKUS_LTI_KEY_FILE",
        "The LTI tool's private RSA key (PEM, mode 0600; made by `rusfokus lti key create` or at the first launch). "
        "Its public half is served at /lti/jwks.json. Default <home>/lti_tool_key.pem.",
        kind=Path,
    )

    # JupyterHub as the front door (rusfokus.identity.hub): rusfokus is a Hub service, people log in through Hub OAuth
    hub_api_url: str = _opt(
        "RUSFOKUS_HUB_API_URL",
        "The JupyterHub API as rusfokus reaches it (e.g. http://127.0.0.1:8081/hub/api). Set: people log in through "
        "the Hub (/hub/login). Empty: JUPYTERHUB_API_URL when the Hub runs rusfokus as a managed service, else off.",
        "",
    )
    hub_api_token: Secret = _opt(
        "RUSFOKUS_HUB_API_TOKEN",
        "The service's API token (the api_token of rusfokus in the Hub's services). Empty: JUPYTERHUB_API_TOKEN.",
        Secret(),
        Secret,
    )
    hub_url: str = _opt(
        "RUSFOKUS_HUB_URL",
        "The Hub as the browser reaches it (e.g. https://hub.kommune.dk). Empty: JUPYTERHUB_PUBLIC_URL, else the "
        "host of RUSFOKUS_HUB_API_URL.",
        "",
    )
    hub_client_id: str = _opt(
        "RUSFOKUS_HUB_CLIENT_ID",
        "The OAuth client id of the service in the Hub. Empty: JUPYTERHUB_CLIENT_ID, else service-rusfokus.",
        "",
    )
    hub_callback_url: str = _opt(
        "RUSFOKUS_HUB_CALLBACK_URL",
        "Where the Hub sends the browser back (the service's oauth_redirect_uri). Empty: "
        "JUPYTERHUB_OAUTH_CALLBACK_URL, else <RUSFOKUS_BASE_URL>/hub/oauth_callback.",
        "",
    )
    hub_group_admin: str = _opt(
        "RUSFOKUS_HUB_GROUP_ADMIN", "Hub group whose members are rusfokus admins (admin: hub:<user>).", "rusfokus-admin"
    )
    hub_group_noegleperson: str = _opt(
        "RUSFOKUS_HUB_GROUP_NOEGLEPERSON",
        "Hub group of the nøglepersoner: at each Hub login the person's nøgleperson flag on the staff list is set "
        "to the membership. Empty: the staff list alone decides.",
        "rusfokus-noegleperson",
    )
    hub_group_learner: str = _opt(
        "RUSFOKUS_HUB_GROUP_LEARNER",
        "Hub group of the learners (kursister). A Hub user in none of the rusfokus groups gets no identity.",
        "rusfokus-kursist",
    )
    hub_email_domain: str = _opt(
        "RUSFOKUS_HUB_EMAIL_DOMAIN",
        "A Hub user name without @ is matched to the staff list as <name>@<this domain> (e.g. kommune.dk). "
        "Empty: only Hub user names that are e-mail addresses match.",
        "",
    )
    hub_links: bool = _opt(
        "RUSFOKUS_HUB_LINKS",
        "With a Hub: whether personal links (/adgang/...) still work (on/off). Learner cookies already set stay valid.",
        True,
        flag,
    )

    @classmethod
    def from_env(cls, environ=None, **overrides) -> Settings:
        """Read every setting from ``environ`` (default ``os.environ``); ``overrides`` (e.g. command
        line options; the book build gives its folder as ``root``) win. Only the entry points (CLI,
        server, app kernels, book build) call this; everything below them is handed the Settings
        object or the values it needs."""
        environ = os.environ if environ is None else environ
        values = {}
        sources = {}
        for f in fields(cls):
            raw = overrides.get(f.name)
            source = "given"
            if raw is None:
                raw = environ.get(f.metadata["env"])
                source = "environment"
            if raw is None or raw == "":
                continue
            kind = f.metadata["kind"]
            try:
                values[f.name] = kind(raw)
            except ValueError as exc:
                raise ValueError(
                    f"{f.metadata['env']}={raw!r} is not a valid {kind.__name__}: {f.metadata['help']}"
                ) from exc
            sources[f.name] = source
        if "root" not in values:
            sources["root"] = "found (the folder holding _config.yml and widgets/)"
        root = Path(values.get("root") or _find_root(environ)).resolve()
        home = Path(values.get("home") or root / "var").resolve()
        values["root"] = root
        values["home"] = home
        derived = {
            "home": ("root", root / "var"),
            "db_url": ("home", f"sqlite:///{home / 'rusfokus.db'}"),
            "secret_file": ("home", home / "secret.key"),
            "book_dir": ("root", root / "_build" / "html"),
            "widgets_dir": ("root", root / "widgets"),
            "course_dir": ("root", root / "exercises"),
            "content_dir": ("root", root / "modules"),
            "kommune_file": ("root", root / "kommune.yml"),
            "lti_file": ("home", home / "lti.yml"),
            "lti_key_file": ("home", home / "lti_tool_key.pem"),
        }
        for name, (base, default) in derived.items():
            if name not in sources:
                values.setdefault(name, default)
                sources[name] = f"default (from {base})"
        s = cls(**values)
        if not s.base_url:
            object.__setattr__(s, "base_url", f"http://{s.host}:{s.port}")
            sources["base_url"] = "default (from host and port)"
        object.__setattr__(s, "_sources", sources)
        return s

    def source(self, name: str) -> str:
        """Where a setting's value came from: environment, given (command line), found, or default."""
        return getattr(self, "_sources", {}).get(name, "default")

    def rows(self) -> list[tuple[str, str, object, str, str]]:
        """(field, env var, value, source, help) for every setting, for `rusfokus settings`."""
        return [
            (f.name, f.metadata["env"], getattr(self, f.name), self.source(f.name), f.metadata["help"])
            for f in fields(self)
        ]

    @classmethod
    def default(cls, name: str):
        """The default of a setting that has a fixed one (for functions that take the value as an argument)."""
        return cls.__dataclass_fields__[name].default

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home

    @staticmethod
    def describe() -> list[tuple[str, str]]:
        """(env var, help) for every setting, for the README and `rusfokus settings`."""
        return [(f.metadata["env"], f.metadata["help"]) for f in fields(Settings)]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment).

    Not for new code: the entry points (the CLI, `rusfokus serve`, each app's build_app, the book
    build) make their Settings with ``Settings.from_env()`` and pass it, or the values it holds, down.
    tests/test_settings.py lists the modules that still fall back to this."""
    return Settings.from_env()
