"""LTI 1.3 platform registrations: the file ``RUSFOKUS_LTI_FILE`` (default ``<home>/lti.yml``).

Registering rusfokus in an LMS gives the LMS's side (issuer, client id, deployment ids and its three
URLs); they go in this file, one entry per platform::

    platforms:
      - name: Kommunens Moodle
        issuer: https://moodle.kommune.dk
        client_id: 8ZqT1uJjY3cR2Hs
        deployment_ids: ["1"]
        auth_login_url: https://moodle.kommune.dk/mod/lti/auth.php
        auth_token_url: https://moodle.kommune.dk/mod/lti/token.php
        key_set_url: https://moodle.kommune.dk/mod/lti/certs.php

The file is read again when it changes (no restart). URLs must be https, except on loopback
(127.0.0.1, localhost: a test platform). A wrong file gives English errors naming the field, and
no launch is accepted until it is fixed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

FIELDS = ("name", "issuer", "client_id", "deployment_ids", "auth_login_url", "auth_token_url", "key_set_url")
OPTIONAL = ("auth_audience",)


class PlatformError(ValueError):
    """The registrations file is wrong (English, for the operator)."""


@dataclass(frozen=True)
class Platform:
    name: str
    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str = ""

    def conf(self) -> dict:
        """This registration in PyLTI1p3's ToolConfDict form."""
        out = {
            "default": True,
            "client_id": self.client_id,
            "auth_login_url": self.auth_login_url,
            "auth_token_url": self.auth_token_url,
            "key_set_url": self.key_set_url,
            "key_set": None,
            "deployment_ids": list(self.deployment_ids),
        }
        if self.auth_audience:
            out["auth_audience"] = self.auth_audience
        return out


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url(where: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PlatformError(f"{where}: a URL is required")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PlatformError(f"{where}: not a URL: {value!r}")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise PlatformError(f"{where}: must be https (http only on loopback): {value!r}")
    return value.strip()


def parse(data, source: str = "lti.yml") -> tuple[Platform, ...]:
    """The registrations in a loaded YAML document; PlatformError naming the field when one is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("platforms"), list):
        raise PlatformError(f"{source}: platforms: a list of platform registrations is required")
    found: list[Platform] = []
    seen: set[tuple[str, str]] = set()
    for n, item in enumerate(data["platforms"], start=1):
        where = f"{source}: platforms[{n}]"
        if not isinstance(item, dict):
            raise PlatformError(f"{where}: a mapping with {', '.join(FIELDS)} is required")
        unknown = sorted(set(item) - set(FIELDS) - set(OPTIONAL))
        if unknown:
            raise PlatformError(f"{where}: unknown field(s) {', '.join(unknown)}")
        for key in ("name", "client_id"):
            if not isinstance(item.get(key), (str, int)) or not str(item.get(key)).strip():
                raise PlatformError(f"{where}.{key}: required")
        ids = item.get("deployment_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, (str, int)) and str(i) for i in ids):
            raise PlatformError(f"{where}.deployment_ids: a non-empty list of deployment ids is required")
        platform = Platform(
            name=str(item["name"]).strip(),
            issuer=_url(f"{where}.issuer", item.get("issuer")),
            client_id=str(item["client_id"]).strip(),
            deployment_ids=tuple(str(i) for i in ids),
            auth_login_url=_url(f"{where}.auth_login_url", item.get("auth_login_url")),
            auth_token_url=_url(f"{where}.auth_token_url", item.get("auth_token_url")),
            key_set_url=_url(f"{where}.key_set_url", item.get("key_set_url")),
            auth_audience=_url(f"{where}.auth_audience", item["auth_audience"]) if item.get("auth_audience") else "",
        )
        key = (platform.issuer, platform.client_id)
        if key in seen:
            raise PlatformError(f"{where}: issuer and client_id registered twice")
        seen.add(key)
        found.append(platform)
    return tuple(found)


_cache: dict[Path, tuple[float, tuple[Platform, ...]]] = {}


def load(path: Path) -> tuple[Platform, ...]:
    """The registrations in ``path`` (read again when the file changes); () when there is no file."""
    path = Path(path)
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return ()
    hit = _cache.get(path)
    if hit and hit[0] == mtime:
        return hit[1]
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PlatformError(f"{path}: cannot be read as YAML: {exc}") from None
    platforms = parse(data, str(path))
    _cache[path] = (mtime, platforms)
    return platforms


def tool_conf_data(platforms: tuple[Platform, ...]) -> dict:
    """Issuer -> list of registrations (PyLTI1p3's "many clients per issuer" form)."""
    out: dict[str, list[dict]] = {}
    for p in platforms:
        out.setdefault(p.issuer, []).append(p.conf())
    return out
