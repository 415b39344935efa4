"""nbgrader course folders for tests: built from the modules' exercise files, in a folder of the test's own."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from rusfokus.exercises.course import build

from helpers.paths import ROOT

CONTENT = ROOT / "modules"


def exercise_file(opgave: str) -> Path:
    """The shipped exercise file of a module (modules/NN-<id>/data/opgave.yml)."""
    found = sorted(CONTENT.glob(f"[0-9][0-9]-{opgave}/data/opgave.yml"))
    assert len(found) == 1, f"no single exercise file for {opgave!r} under {CONTENT}: {found}"
    return found[0]


_BUILT: dict[tuple[str, ...], Path] = {}
"""modules -> a copy of a course folder with just these built, taken right after the build (this test run's)."""


def built_course(course_dir: Path, *opgaver: str) -> Path:
    """An nbgrader course folder with these modules' exercises built (as `rusfokus opgave build` does).

    The first call for a set of modules builds them (nbgrader generates and validates each assignment:
    10-40 s here); a later call in the same test run gets a copy of that freshly built folder, which holds
    no path of its own. A folder that already has files is built into as before."""
    key = tuple(opgaver)
    fresh = not course_dir.exists() or not any(course_dir.iterdir())
    if fresh and key in _BUILT:
        shutil.copytree(_BUILT[key], course_dir, dirs_exist_ok=True)
        return course_dir
    course_dir.mkdir(parents=True, exist_ok=True)
    for opgave in opgaver:
        build(course_dir, opgave, content_dir=CONTENT)
    if fresh and key:
        cache = Path(tempfile.mkdtemp(prefix="rf-test-course-"))
        atexit.register(shutil.rmtree, cache, ignore_errors=True)
        _BUILT[key] = shutil.copytree(course_dir, cache / "course")
    return course_dir
