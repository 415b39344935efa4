"""The LTI tool's RSA key pair: signs the client assertion for AGS access tokens.

Kept in ``RUSFOKUS_LTI_KEY_FILE`` (default ``<home>/lti_tool_key.pem``, mode 0600), made by
`rusfokus lti key create` or at the first launch. Its public half is published as a JWKS at
``/lti/jwks.json``: the URL an LMS asks for as the tool's "public keyset URL".
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pylti1p3.registration import Registration


class KeyError_(ValueError):
    """The key file is missing or unreadable (English, for the operator)."""


def create(path: Path, replace: bool = False) -> Path:
    """Write a new 2048-bit RSA key to ``path`` (0600, atomically); refuses to overwrite unless ``replace``."""
    path = Path(path)
    if path.exists() and not replace:
        raise KeyError_(f"{path} exists; use --replace to make a new key (launches signed for the old one stop)")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".lti_key.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def ensure(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        try:
            create(path)
        except KeyError_:
            pass  # another process made it first
    return path


def private_pem(path: Path) -> str:
    try:
        text = Path(path).read_text(encoding="ascii")
        serialization.load_pem_private_key(text.encode("ascii"), password=None)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise KeyError_(f"{path}: not a readable PEM private key ({exc.__class__.__name__})") from None
    return text


def public_pem(path: Path) -> str:
    key = serialization.load_pem_private_key(private_pem(path).encode("ascii"), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def jwks(path: Path) -> dict:
    """The public JWKS (``kid`` = the key's RFC 7638 thumbprint, as PyLTI1p3 puts in its JWT header)."""
    return {"keys": [dict(Registration.get_jwk(public_pem(path)))]}
