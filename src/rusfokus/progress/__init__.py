"""Progress tracking: staff, organisation, completions, certificates, reports, GDPR.

Pure logic lives in plain functions over a SQLAlchemy session or pandas
DataFrames (``roster``, ``staff``, ``reports``, ``certificates``, ``gdpr``);
``cli``, ``web``, ``dashboard`` and ``minside`` only wire them to users.
"""

# Module ids (also nbgrader opgave ids) with the Danish title shown to users: the same as the
# book's "Modul N: <title>" headings (tests/test_small_things.py checks it). The one home of these titles.
MODULE_TITLES: dict[str, str] = {
    "opsporing": "Opsporing",
    "bekymringssamtale": "Bekymringssamtalen",
    "motiverende-samtale": "Motiverende samtale",
    "dobbeltdiagnose": "Dobbeltdiagnose",
}


def module_title(module_id: str) -> str:
    """The Danish title of a module id; unknown ids are shown as they are."""
    return MODULE_TITLES.get(module_id, module_id)
