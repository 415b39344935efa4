"""Samtalesimulator: branching dialogue trees (YAML) for the bekymringssamtale.

- :mod:`.schema`: load and check case files (errors name file, node and field)
- :mod:`.engine`: walk a case and summarise the run (pure)
- :mod:`.widget`: the ipywidgets app on top
"""

from rusfokus.dialog.engine import Session, SessionError, Summary, all_paths
from rusfokus.dialog.schema import (
    Case,
    Choice,
    DialogError,
    DialogFileError,
    Node,
    load_case,
    load_cases,
    parse_case,
    validate,
)

__all__ = [
    "Case",
    "Choice",
    "DialogError",
    "DialogFileError",
    "Node",
    "Session",
    "SessionError",
    "Summary",
    "all_paths",
    "load_case",
    "load_cases",
    "parse_case",
    "validate",
]
