"""The Voilà apps in widgets/: one folder per app with an index.ipynb.

An app's notebook metadata may hold ``"rusfokus": {"title": "...",
"access": "admin", "pool_size": 2}``: its Danish page title, whether only a
logged-in admin may open it (``"admin"``) or only a learner with her personal link
or an admin (``"learner"``: others get a Danish notice and no kernel), and how many
preheated kernels to keep.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

APP_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class AppInfo:
    name: str
    title: str
    admin: bool
    pool_size: int | None
    learner: bool = False  # needs a signed learner cookie (or an admin session)


@lru_cache(maxsize=256)
def _read(path: Path, mtime: float) -> AppInfo:
    meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("rusfokus", {})
    pool = meta.get("pool_size")
    return AppInfo(
        name=path.parent.name,
        title=str(meta.get("title") or path.parent.name),
        admin=meta.get("access") == "admin",
        pool_size=int(pool) if pool is not None else None,
        learner=meta.get("access") == "learner",
    )


def app_info(widgets_dir: Path, name: str) -> AppInfo | None:
    if not APP_NAME.match(name):
        return None
    path = Path(widgets_dir) / name / "index.ipynb"
    try:
        return _read(path, path.stat().st_mtime)
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None


def list_apps(widgets_dir: Path) -> list[AppInfo]:
    out = []
    for folder in sorted(Path(widgets_dir).iterdir()) if Path(widgets_dir).is_dir() else []:
        info = app_info(widgets_dir, folder.name)
        if info is not None:
            out.append(info)
    return out
