"""Build a module's SCORM 1.2 proxy package: ``imsmanifest.xml`` (IMS CP 1.1.2 with the ADL SCORM 1.2
binding), ``metadata.xml`` (IMS LOM 1.2.1, title and description) and one SCO in ``sco/`` (HTML, JS,
CSS; nothing loaded from the network but rusfokus itself).

The SCO holds no content: it finds the LMS's API, opens rusfokus for the learner in a new window and
reports rusfokus's result back to the LMS. Its settings (rusfokus's address, the package token, the
poll interval) are written into ``sco/config.js``.

The zip is written to a temporary file beside the target and renamed into place, so a failed export
never leaves half a zip.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from rusfokus.content.registry import module as registry_module
from rusfokus.integrations.scorm.launch import normalise_origin, normalise_rule, package_token

HERE = Path(__file__).parent
SCO_DIR = HERE / "sco"
SCO_FILES = ("sco/index.html", "sco/rusfokus-sco.js", "sco/rusfokus-sco.css", "sco/config.js")
"""Every file of the SCO resource, the launch page first (all listed in the manifest)."""

NS_CP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
NS_ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
NS_MD = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS_CP} imscp_rootv1p1p2.xsd {NS_MD} imsmd_rootv1p2p1.xsd {NS_ADLCP} adlcp_rootv1p2.xsd"
DEFAULT_POLL_SECONDS = 15  # also in the CLI (rusfokus.integrations.scorm.cli), which loads this module lazily


class ExportError(Exception):
    """The package cannot be written; ``str(exc)`` is English, for the operator."""


@dataclass(frozen=True)
class Built:
    path: Path
    package_id: str
    module: str
    origin: str
    rule: str
    files: tuple[str, ...]


def manifest_xml(package_id: str, title: str, description: str) -> str:
    """The SCORM 1.2 manifest: one organization, one item, one SCO resource listing its files."""
    files = "\n".join(f"      <file href={quoteattr(f)}/>" for f in SCO_FILES)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="{package_id}" version="1.0"
    xmlns="{NS_CP}"
    xmlns:adlcp="{NS_ADLCP}"
    xmlns:xsi="{NS_XSI}"
    xsi:schemaLocation="{SCHEMA_LOCATION}">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
    <adlcp:location>metadata.xml</adlcp:location>
  </metadata>
  <organizations default="ORG-{package_id}">
    <organization identifier="ORG-{package_id}">
      <title>{escape(title)}</title>
      <item identifier="ITEM-{package_id}" identifierref="RES-{package_id}" isvisible="true">
        <title>{escape(title)}</title>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="RES-{package_id}" type="webcontent" adlcp:scormtype="sco" href="{SCO_FILES[0]}">
{files}
    </resource>
  </resources>
</manifest>
"""


def metadata_xml(title: str, description: str) -> str:
    """IMS LOM (imsmd_rootv1p2p1): general title, language, description."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<lom xmlns="{NS_MD}" xmlns:xsi="{NS_XSI}" xsi:schemaLocation="{NS_MD} imsmd_rootv1p2p1.xsd">
  <general>
    <title><langstring xml:lang="da">{escape(title)}</langstring></title>
    <language>da</language>
    <description><langstring xml:lang="da">{escape(description)}</langstring></description>
  </general>
  <metametadata>
    <metadatascheme>ADL SCORM 1.2</metadatascheme>
  </metametadata>
</lom>
"""


def config_js(base_url: str, module_id: str, token: str, poll_seconds: float) -> str:
    config = {
        "rusfokus": base_url.rstrip("/"),
        "module": module_id,
        "package": token,
        "pollSeconds": poll_seconds,
    }
    return "/* Written by `rusfokus export scorm`: do not edit (the package token is signed). */\n" + (
        f"window.RUSFOKUS_SCORM = {json.dumps(config, indent=2)};\n"
    )


def build_package(
    module_id: str,
    out: Path,
    *,
    base_url: str,
    lms_origin: str,
    secret: bytes,
    rule: str = "email",
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    package_id: str | None = None,
) -> Built:
    """Write the package for ``module_id`` to ``out`` (atomically). ExportError (English) on bad input."""
    try:
        mod = registry_module(module_id)
    except KeyError as exc:
        raise ExportError(str(exc.args[0])) from None
    try:
        origin = normalise_origin(lms_origin)
        rule = normalise_rule(rule)
        rusfokus = normalise_origin(base_url)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    if not 2 <= float(poll_seconds) <= 600:
        raise ExportError(f"--poll-seconds must be between 2 and 600, not {poll_seconds}")
    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise ExportError(f"the package must be a .zip file: {out}")
    if out.is_dir():
        raise ExportError(f"{out} is a folder; give a file name ending in .zip")
    if not out.parent.is_dir():
        raise ExportError(f"the folder {out.parent} does not exist")
    package_id = package_id or f"rusfokus-{mod.id}-{secrets.token_hex(6)}"
    token = package_token(package_id, mod.id, origin, rule, secret=secret)
    title = f"rusfokus – {mod.caption}"
    description = (
        f"Modul {mod.order} af kurset rusfokus om opsporing af alkohol- og stofproblemer. "
        "Kurset åbner i et nyt vindue; dit resultat kommer tilbage hertil, når du har bestået testen."
    )
    contents = {
        "imsmanifest.xml": manifest_xml(package_id, title, description),
        "metadata.xml": metadata_xml(title, description),
        "sco/config.js": config_js(rusfokus, mod.id, token, float(poll_seconds)),
    }
    for name in SCO_FILES:
        if name not in contents:
            contents[name] = (HERE / name).read_text(encoding="utf-8")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise ExportError(f"cannot write to {out.parent}: {exc.strerror}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in contents.items():
                zf.writestr(name, text.encode("utf-8"))
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return Built(out, package_id, mod.id, origin, rule, tuple(contents))
