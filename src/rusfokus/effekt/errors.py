"""The one error of proof of effect's input: its message is Danish, plain, and may be shown to the learner."""

from __future__ import annotations


class EffektInputError(ValueError):
    """Refused input: nothing was written. ``field`` names the input at fault (``samtaler``, ``item2``, ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
