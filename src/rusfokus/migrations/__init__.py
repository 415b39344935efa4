"""Alembic migrations of the rusfokus database (one linear history).

``upgrade(url)`` brings a database to the newest revision; every command that
opens the database calls it first, so a fresh SQLite file or an empty
PostgreSQL database just works. From a shell:
``alembic -c src/rusfokus/migrations/alembic.ini -x url=sqlite:///var/rusfokus.db heads``.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from rusfokus.db import make_engine

HERE = Path(__file__).resolve().parent
# Alembic keeps its running context in module globals (alembic.context/op), so two threads migrating at once
# (the grading worker and a request, or `grade --pending` with its queue) trip over each other (KeyError: 'config').
_UPGRADE_LOCK = threading.Lock()


def alembic_config(url: str):
    # lazy: loads Alembic (~0.9 s); needed only here
    from alembic.config import Config

    cfg = Config(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def heads() -> list[str]:
    # lazy: loads Alembic (~0.9 s); needed only here
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def upgrade(url: str) -> None:
    """Migrate the database at ``url`` to head (once per process and URL; threads wait for each other)."""
    with _UPGRADE_LOCK:
        _upgrade_once(url)


@lru_cache(maxsize=16)
def _upgrade_once(url: str) -> None:
    # lazy: loads Alembic (~0.9 s); needed only here
    from alembic import command

    cfg = alembic_config(url)
    with make_engine(url).begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
