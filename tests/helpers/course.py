"""nbgrader course folders for tests: built from the modules' exercise files, in a folder of the test's own."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from rusfokus.exercises.course import build

from helpers.paths import ROOT
from helpers.xdist import once_per_run

CONTENT = ROOT / "modules"


def exercise_file(opgave: str) -> Path:
    """The shipped exercise file of a module (modules/NN-<id>/data/opgave.yml)."""
    found = sorted(CONTENT.glob(f"[0-9][0-9]-{opgave}/data/opgave.yml"))
    assert len(found) == 1, f"no single exercise file for {opgave!r} under {CONTENT}: {found}"
    return found[0]


SHARED: Path | None = None
"""Where built course folders are kept for the whole run (conftest sets it to a folder every xdist worker
shares, so a set of modules is built once per run, not once per worker); None: a folder of this process."""

_BUILT: dict[tuple[str, ...], Path] = {}
"""modules -> a course folder with just these built, taken right after the build (this test run's)."""


def _cache_root() -> Path:
    global SHARED
    if SHARED is None:
        SHARED = Path(tempfile.mkdtemp(prefix="rf-test-course-"))
        atexit.register(shutil.rmtree, SHARED, ignore_errors=True)
    return SHARED


def built_course(course_dir: Path, *opgaver: str) -> Path:
    """An nbgrader course folder with these modules' exercises built (as `rusfokus opgave build` does).

    The first call for a set of modules in a test run (in any xdist worker) builds them (nbgrader generates
    and validates each assignment: 10-40 s here); every call gets a copy of that freshly built folder,
    which holds no path of its own. A folder that already has files is built into as before."""
    key = tuple(opgaver)
    fresh = not course_dir.exists() or not any(course_dir.iterdir())
    if fresh and key:
        if key not in _BUILT:
            _BUILT[key] = once_per_run(_cache_root() / "-".join(key), _build(key))
        shutil.copytree(_BUILT[key], course_dir, dirs_exist_ok=True)
        return course_dir
    course_dir.mkdir(parents=True, exist_ok=True)
    for opgave in opgaver:
        build(course_dir, opgave, content_dir=CONTENT)
    return course_dir


def _build(opgaver: tuple[str, ...]):
    def make(folder: Path) -> Path:
        course = folder / "course"
        course.mkdir(parents=True)
        for opgave in opgaver:
            build(course, opgave, content_dir=CONTENT)
        return course

    return make
