"""Talking to the municipality's SMTP server, as configured in ``Settings``.

``config_problem(settings)`` says (in English) what is missing before anything
is sent; ``connect(settings)`` returns a logged-in ``smtplib.SMTP`` (or
``SMTP_SSL``): TLS as ``RUSFOKUS_SMTP_TLS`` says, the certificate and host name
checked against the system's CAs or ``RUSFOKUS_SMTP_CA_FILE``, and a password
only over TLS. Errors are ``SmtpUnavailable`` (nothing was sent: try later).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from pathlib import Path

from rusfokus.mail.texts import AddressError, address

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class SmtpUnavailable(Exception):
    """The server could not be reached, TLS or login failed: no message was handed over."""


def enabled(settings) -> bool:
    return bool(getattr(settings, "smtp_host", ""))


def port_of(settings) -> int:
    return settings.smtp_port or DEFAULT_PORTS[settings.smtp_tls]


def password(settings) -> str:
    """The SMTP password: first line of RUSFOKUS_SMTP_PASSWORD_FILE, else RUSFOKUS_SMTP_PASSWORD."""
    if settings.smtp_password_file:
        try:
            text = Path(settings.smtp_password_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise SmtpUnavailable(
                f"cannot read RUSFOKUS_SMTP_PASSWORD_FILE ({settings.smtp_password_file}): {exc.strerror or exc}"
            ) from None
        return text.splitlines()[0].strip() if text.strip() else ""
    return settings.smtp_password.value


def config_problem(settings) -> str | None:
    """What keeps e-mail from being sent (English, names the setting), or None."""
    if not enabled(settings):
        return "e-mail is off: set RUSFOKUS_SMTP_HOST (and RUSFOKUS_MAIL_FROM) to the municipality's SMTP server"
    if not settings.mail_from:
        return "RUSFOKUS_MAIL_FROM is empty: set the sender address, e.g. rusfokus@kommune.dk"

    try:
        address(settings.mail_from)
    except AddressError as exc:
        return f"RUSFOKUS_MAIL_FROM: {exc}"
    if settings.smtp_user and settings.smtp_tls == "none":
        return (
            "RUSFOKUS_SMTP_USER is set but RUSFOKUS_SMTP_TLS=none: the password would cross the network "
            "in clear; use starttls or ssl"
        )
    if settings.smtp_ca_file and not Path(settings.smtp_ca_file).is_file():
        return f"RUSFOKUS_SMTP_CA_FILE ({settings.smtp_ca_file}) is not a file"
    return None


def tls_context(settings) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx  # CERT_REQUIRED and check_hostname: create_default_context's defaults


def connect(settings) -> smtplib.SMTP:
    """An open, greeted (and logged-in) connection; SmtpUnavailable with the reason otherwise."""
    problem = config_problem(settings)
    if problem:
        raise SmtpUnavailable(problem)
    host, port, timeout = settings.smtp_host, port_of(settings), settings.smtp_timeout
    local = socket.getfqdn() or "localhost"
    smtp = None
    try:
        if settings.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, local_hostname=local, timeout=timeout, context=tls_context(settings))
        else:
            smtp = smtplib.SMTP(host, port, local_hostname=local, timeout=timeout)
        smtp.ehlo()
        if settings.smtp_tls == "starttls":
            if not smtp.has_extn("starttls"):
                raise SmtpUnavailable(
                    f"{host}:{port} does not offer STARTTLS (RUSFOKUS_SMTP_TLS=starttls); nothing is sent without it"
                )
            smtp.starttls(context=tls_context(settings))
            smtp.ehlo()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, password(settings))
        return smtp
    except SmtpUnavailable:
        _close(smtp)
        raise
    except smtplib.SMTPAuthenticationError as exc:
        _close(smtp)
        raise SmtpUnavailable(
            f"{host}:{port} refused the login of RUSFOKUS_SMTP_USER ({exc.smtp_code} {_text(exc.smtp_error)})"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        _close(smtp)
        raise SmtpUnavailable(
            f"{host}:{port}: the server's TLS certificate is not trusted ({exc.verify_message}); "
            "set RUSFOKUS_SMTP_CA_FILE to the CA that signed it"
        ) from None
    except (OSError, smtplib.SMTPException) as exc:
        _close(smtp)
        raise SmtpUnavailable(
            f"cannot reach the SMTP server {host}:{port}: {type(exc).__name__}: {_text(str(exc))}"
        ) from None


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())[:300]


def _close(smtp) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except Exception:
        try:
            smtp.close()
        except Exception:
            pass
