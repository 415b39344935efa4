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


def _find_root() -> Path:
    env = os.environ.get("RUSFOKUS_ROOT")
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


def _opt(env: str, help: str, default=None, kind=str):
    return field(default=default, metadata={"env": env, "help": help, "kind": kind})


@dataclass(frozen=True)
class Settings:
    root: Path = _opt("RUSFOKUS_ROOT", "The project checkout (holds _config.yml, widgets/, exercises/).", kind=Path)
    home: Path = _opt("RUSFOKUS_HOME", "Runtime data folder: secret key, SQLite database, logs. Default <root>/var.", kind=Path)
    db_url: str = _opt("RUSFOKUS_DB", "SQLAlchemy URL of the progress database. Default: SQLite file <home>/rusfokus.db. PostgreSQL: postgresql+psycopg://user:pw@host:5432/db")
    host: str = _opt("RUSFOKUS_HOST", "Address `rusfokus serve` listens on.", "127.0.0.1")
    port: int = _opt("RUSFOKUS_PORT", "Port `rusfokus serve` listens on.", 8866, int)
    base_url: str = _opt("RUSFOKUS_BASE_URL", "Public address of the server, used in personal links and QR codes. Default http://<host>:<port>.")
    book_dir: Path = _opt("RUSFOKUS_BOOK_DIR", "The built book (HTML). Default <root>/_build/html.", kind=Path)
    widgets_dir: Path = _opt("RUSFOKUS_WIDGETS_DIR", "Folder of Voilà apps (one folder per app). Default <root>/widgets.", kind=Path)
    course_dir: Path = _opt("RUSFOKUS_COURSE_DIR", "The nbgrader course folder. Default <root>/exercises.", kind=Path)
    kommune_file: Path = _opt("RUSFOKUS_KOMMUNE", "The municipality's file (name, rusmiddelcenter, offers). Default <root>/kommune.yml.", kind=Path)
    pool_size: int = _opt("RUSFOKUS_POOL_SIZE", "Preheated Voilà kernels kept ready per app (an app may ask for more in its notebook metadata).", 1, int)
    cull_idle_seconds: int = _opt("RUSFOKUS_CULL_IDLE", "Shut down app kernels idle this many seconds.", 900, int)
    certificate_months: int = _opt("RUSFOKUS_CERT_MONTHS", "Months a kursusbevis is valid before a refresher is due.", 24, int)
    retention_months: int = _opt("RUSFOKUS_RETENTION_MONTHS", "Months after fratrædelse before personal data is purged.", 12, int)
    trusted_proxy: bool = _opt(
        "RUSFOKUS_TRUSTED_PROXY",
        "Set to 1 only when `rusfokus serve` is reachable solely through your own reverse proxy (nginx, HAProxy): "
        "the server then takes the client address from X-Forwarded-For / X-Real-Ip and the scheme from "
        "X-Forwarded-Proto, and marks every cookie Secure when that scheme is https. Off (0): those headers are ignored.",
        False, flag)
    grade_retries: int = _opt("RUSFOKUS_GRADE_RETRIES", "Times a hand-in is graded again on a fresh kernel after grading failed (e.g. the grading kernel died) before it is marked failed for the admin.", 3, int)
    grade_retry_seconds: float = _opt("RUSFOKUS_GRADE_RETRY_SECONDS", "Wait before the first automatic new grading of a failed hand-in; doubles with each further failure.", 5.0, float)

    @property
    def secret_file(self) -> Path:
        return self.home / "secret.key"

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        values = {}
        for f in fields(cls):
            raw = overrides.get(f.name)
            if raw is None:
                raw = os.environ.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            kind = f.metadata["kind"]
            try:
                values[f.name] = kind(raw)
            except ValueError as exc:
                raise ValueError(f"{f.metadata['env']}={raw!r} is not a valid {kind.__name__}: {f.metadata['help']}") from exc
        root = Path(values.get("root") or _find_root()).resolve()
        home = Path(values.get("home") or root / "var").resolve()
        values["root"] = root
        values["home"] = home
        values.setdefault("db_url", f"sqlite:///{home / 'rusfokus.db'}")
        values.setdefault("book_dir", root / "_build" / "html")
        values.setdefault("widgets_dir", root / "widgets")
        values.setdefault("course_dir", root / "exercises")
        values.setdefault("kommune_file", root / "kommune.yml")
        s = cls(**values)
        if not s.base_url:
            object.__setattr__(s, "base_url", f"http://{s.host}:{s.port}")
        return s

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home

    @staticmethod
    def describe() -> list[tuple[str, str]]:
        """(env var, help) for every setting, for the README and `rusfokus settings`."""
        return [(f.metadata["env"], f.metadata["help"]) for f in fields(Settings)]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings.from_env()
