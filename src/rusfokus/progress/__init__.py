"""Progress tracking: staff, organisation, completions, certificates, reports, GDPR.

Pure logic lives in plain functions over a SQLAlchemy session or pandas
DataFrames (``roster``, ``staff``, ``reports``, ``certificates``, ``gdpr``);
``cli``, ``web``, ``dashboard`` and ``minside`` only wire them to users.
"""

from rusfokus.content.registry import module_title, module_titles

MODULE_TITLES: dict[str, str] = module_titles()
"""Module id (also the nbgrader opgave id) -> Danish title, in book order: read from the module
registry (``rusfokus.content.registry``, the one home of the module list)."""

__all__ = ["MODULE_TITLES", "module_title"]
