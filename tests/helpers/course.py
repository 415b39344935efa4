"""nbgrader course folders for tests: built from the modules' exercise files, in a folder of the test's own."""

from __future__ import annotations

from pathlib import Path

from rusfokus.exercises.course import build

from helpers.paths import ROOT

CONTENT = ROOT / "modules"


def exercise_file(opgave: str) -> Path:
    """The shipped exercise file of a module (modules/NN-<id>/data/opgave.yml)."""
    found = sorted(CONTENT.glob(f"[0-9][0-9]-{opgave}/data/opgave.yml"))
    assert len(found) == 1, f"no single exercise file for {opgave!r} under {CONTENT}: {found}"
    return found[0]


def built_course(course_dir: Path, *opgaver: str) -> Path:
    """An nbgrader course folder with these modules' exercises built (as `rusfokus opgave build` does)."""
    course_dir.mkdir(parents=True, exist_ok=True)
    for opgave in opgaver:
        build(course_dir, opgave, content_dir=CONTENT)
    return course_dir
