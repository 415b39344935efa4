"""E-mail: personal links, temadag invitations and refresher reminders through the municipality's SMTP server.

- ``queue``: put messages in the database queue (idempotent per logical message);
  ``queue_personal_link(session, person, actor)`` is the dashboard's hook.
- ``worker``: ``run_queue(settings)`` sends what is due, never twice (see its docstring).
- ``web``: the server's start-up/shutdown hooks that run the worker.
- ``texts``: the Danish messages; ``smtp``: the connection; ``cli``: `rusfokus mail ...`.
"""

from __future__ import annotations

from .queue import (
    LinkRequest,
    MailError,
    MailOff,
    NotMailable,
    person_mail_log,
    queue_personal_link,
)


def mail_problem(settings=None) -> str | None:
    """Why e-mail cannot be sent (English, names the setting), or None when it is set up.
    The dashboard can hide or disable its "Send link på mail" button when this is not None."""
    from rusfokus.settings import get_settings

    from .smtp import config_problem

    return config_problem(settings or get_settings())


__all__ = ["LinkRequest", "MailError", "MailOff", "NotMailable", "mail_problem", "person_mail_log",
           "queue_personal_link"]
