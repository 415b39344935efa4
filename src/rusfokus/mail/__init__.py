"""E-mail: personal links, temadag invitations and refresher reminders through the municipality's SMTP server.

- ``queue``: put messages in the database queue (idempotent per logical message);
  ``queue_personal_link(session, person, actor)`` is the dashboard's hook.
- ``worker``: ``run_queue(settings)`` sends what is due, never twice (see its docstring).
- ``web``: the server's start-up/shutdown hooks that run the worker.
- ``texts``: the Danish messages; ``smtp``: the connection; ``cli``: `rusfokus mail ...`.
"""

from __future__ import annotations

from .queue import LinkRequest, MailError, MailOff, NotMailable, queue_personal_link

__all__ = ["LinkRequest", "MailError", "MailOff", "NotMailable", "queue_personal_link"]
