"""E-mail: personal links, temadag invitations and refresher reminders through the municipality's SMTP server.

- ``queue``: put messages in the database queue (idempotent per logical message);
  ``queue_personal_link(session, person, actor, settings=settings)`` is the dashboard's hook.
- ``worker``: ``run_queue(settings)`` sends what is due, never twice (see its docstring).
- ``web``: the server's start-up/shutdown hooks that run the worker.
- ``texts``: the Danish messages; ``smtp``: the connection; ``cli``: `rusfokus mail ...`.
"""

from __future__ import annotations

_FROM_QUEUE = ("LinkRequest", "MailError", "MailOff", "NotMailable", "person_mail_log", "queue_personal_link")


def __getattr__(name: str):
    """The queue's names, imported on first use: importing ``rusfokus.mail.smtp`` (the dashboard's
    first view asks whether e-mail is set up) or ``rusfokus.mail.cli`` (every `rusfokus` command)
    must not load the queue, SQLAlchemy and the features it mails for."""
    if name in _FROM_QUEUE:
        from rusfokus.mail import queue

        return getattr(queue, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def mail_problem(settings) -> str | None:
    """Why e-mail cannot be sent with ``settings`` (English, names the setting), or None when it is set up.
    The dashboard can hide or disable its "Send link på mail" button when this is not None."""
    # lazy: loads smtplib and ssl (~0.4 s); keeps `rusfokus` start-up fast (every command imports this package)
    from rusfokus.mail.smtp import config_problem

    return config_problem(settings)


__all__ = [
    "LinkRequest",
    "MailError",
    "MailOff",
    "NotMailable",
    "mail_problem",
    "person_mail_log",
    "queue_personal_link",
]
