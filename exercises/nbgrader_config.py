"""nbgrader configuration for the rusfokus course (CLI and formgrader).

The settings live in ``rusfokus.exercises.course.configure`` so the server's
in-process grading and the nbgrader command line use the same values.
Run nbgrader from this folder, e.g. ``cd exercises && nbgrader formgrader``.
"""

from pathlib import Path

from rusfokus.exercises.course import configure

c = get_config()  # noqa: F821  (provided by nbgrader)
configure(c, Path(__file__).resolve().parent)
