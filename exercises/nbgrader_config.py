"""nbgrader configuration for the rusfokus course (CLI and formgrader).

The settings live in ``rusfokus.exercises.course.configure`` so the server's
in-process grading and the nbgrader command line use the same values (the
gradebook of RUSFOKUS_GRADEBOOK_DB, the spare-kernel Execute in
``Autograde.autograde_preprocessors``). This file is an entry point: it reads
the settings once, like `rusfokus serve`.
Run nbgrader from this folder, e.g. ``cd exercises && nbgrader formgrader``.
"""

from pathlib import Path

from rusfokus.exercises.course import configure
from rusfokus.settings import Settings

c = get_config()  # noqa: F821  (provided by nbgrader)
configure(c, Path(__file__).resolve().parent, Settings.from_env().gradebook_db)
