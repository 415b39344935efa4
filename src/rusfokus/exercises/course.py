"""The nbgrader course folder: configuration, building an exercise, student ids.

One home for the nbgrader settings (`configure`), used both by the server's
in-process grading and by ``exercises/nbgrader_config.py`` for the CLI and
formgrader.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
from pathlib import Path

import nbformat

from rusfokus.exercises.notebook import source_notebook
from rusfokus.exercises.schema import exercise, load_all  # noqa: F401  (exercise: the course's callers use it from here)

log = logging.getLogger(__name__)
COURSE_ID = "rusfokus"
EXECUTE_TIMEOUT = 30


class BuildError(Exception):
    """Building or validating an exercise failed (English, for the operator)."""


# nbgrader's Autograde.autograde_preprocessors (nbgrader 0.9.6, converters/autograde.py) with its
# Execute replaced by ours, which runs the notebook in the grading worker's spare kernel when there
# is one (and is nbgrader's Execute otherwise). tests/exercises/test_grading_kernel.py checks that
# this is still nbgrader's own list with that one change.
AUTOGRADE_PREPROCESSORS = [
    "rusfokus.exercises.spare_execute.SpareKernelExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]


def gradebook_url(course_dir: str | Path, gradebook_db: str = "") -> str:
    """The nbgrader gradebook: ``gradebook_db`` (the setting RUSFOKUS_GRADEBOOK_DB) if set,
    else the SQLite file gradebook.db in the course folder."""
    return gradebook_db or f"sqlite:///{Path(course_dir).resolve() / 'gradebook.db'}"


def configure(c, course_dir: str | Path, gradebook_db: str = "") -> None:
    """Apply rusfokus' nbgrader settings to a traitlets Config ``c``."""
    course_dir = Path(course_dir).resolve()
    c.CourseDirectory.root = str(course_dir)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_url = gradebook_url(course_dir, gradebook_db)
    c.Exchange.root = str(course_dir / ".exchange")  # unused; keeps nbgrader from /usr/local
    c.Execute.timeout = EXECUTE_TIMEOUT
    c.Execute.kernel_name = "python3"
    c.Autograde.autograde_preprocessors = list(AUTOGRADE_PREPROCESSORS)
    # feedback must never show the hidden tests (the answer key)
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "nbgrader.preprocessors.ClearHiddenTests",
        "nbgrader.preprocessors.ClearOutput",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    c.ClearSolutions.code_stub = {"python": "# Svaret indsættes af rusfokus\nraise NotImplementedError()"}


def _ensure_bin_on_path() -> None:
    """nbgrader runs `alembic` from PATH when it creates a gradebook."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def make_api(course_dir: str | Path, gradebook_db: str = ""):
    """An in-process ``NbGraderAPI`` for the course folder."""
    # lazy: loads nbgrader (~4 s); needed only here
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    _ensure_bin_on_path()
    (Path(course_dir) / ".exchange").mkdir(parents=True, exist_ok=True)
    c = Config()
    configure(c, course_dir, gradebook_db)
    coursedir = CourseDirectory(config=c)
    return NbGraderAPI(coursedir=coursedir, config=c)


def student_id(email: str) -> str:
    """A file-system safe nbgrader student id for a learner (e-mail or Hub user)."""
    value = email.strip().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", value).strip("-")[:40] or "x"
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}"


def release_path(course_dir: Path, opgave: str) -> Path:
    return Path(course_dir) / "release" / opgave / f"{opgave}.ipynb"


def manifest_path(course_dir: Path, opgave: str) -> Path:
    return Path(course_dir) / ".build" / f"{opgave}.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def build(course_dir: str | Path, opgave: str, gradebook_db: str = "", *, content_dir: str | Path) -> dict:
    """YAML → source notebook → ``generate_assignment`` → release; validate the source.

    Returns a summary dict. Raises ExerciseError (bad data file) or BuildError.
    ``content_dir``: the content root holding ``<module>/data/opgave.yml`` (``settings.content_dir``).
    """
    # lazy: loads nbgrader (~4 s); needed only here
    from nbgrader.validator import Validator

    course_dir = Path(course_dir).resolve()
    ex = exercise(opgave, content_dir)
    src_dir = course_dir / "source" / opgave
    src_dir.mkdir(parents=True, exist_ok=True)
    src = src_dir / f"{opgave}.ipynb"
    nb = source_notebook(ex)
    nbformat.validate(nb)
    _write_atomic(src, nbformat.writes(nb))

    api = make_api(course_dir, gradebook_db)
    result = api.generate_assignment(opgave, force=True, create=True)
    if not result.get("success"):
        raise BuildError(
            f"nbgrader generate_assignment failed for '{opgave}':\n{result.get('error') or result.get('log')}"
        )
    rel = release_path(course_dir, opgave)
    if not rel.is_file():
        raise BuildError(f"nbgrader did not write {rel}")
    leaked = [q.id for q in ex.spoergsmaal if q.auto and _leaks_key(rel.read_text(encoding="utf-8"), q)]
    if leaked:
        raise BuildError(f"release notebook of '{opgave}' contains the answer of question '{leaked[0]}'")

    validator = Validator(config=api.config)
    report = validator.validate(str(src))
    failed = report.get("failed") or report.get("locked") or report.get("type_changed")
    if failed:
        raise BuildError(f"nbgrader validate of {src} failed: {json.dumps(report, default=str)[:2000]}")
    manifest = {"opgave": opgave, "release_sha256": _sha256(rel), "questions": len(ex.spoergsmaal)}
    manifest_path(course_dir, opgave).parent.mkdir(exist_ok=True)
    _write_atomic(manifest_path(course_dir, opgave), json.dumps(manifest, indent=1))
    return {
        "opgave": opgave,
        "source": str(src),
        "release": str(rel),
        "questions": len(ex.spoergsmaal),
        "auto_points": ex.auto_points,
        "manual_points": ex.manual_points,
    }


def _leaks_key(release_text: str, q) -> bool:
    """True if the release notebook still holds the hidden check of a question."""
    return f"sorted({q.var}) ==" in release_text or f"{q.var} ==" in release_text


def build_all(course_dir: str | Path, gradebook_db: str = "", *, content_dir: str | Path) -> list[dict]:
    course_dir = Path(course_dir)
    ids = list(load_all(content_dir))
    if not ids:
        raise BuildError(f"no exercise files (<module>/data/opgave.yml) in {content_dir}")
    return [build(course_dir, i, gradebook_db, content_dir=content_dir) for i in ids]


def load_release(course_dir: Path, opgave: str) -> nbformat.NotebookNode:
    """The release notebook, refused if missing or changed since `rusfokus opgave build`."""
    rel = release_path(course_dir, opgave)
    man = manifest_path(course_dir, opgave)
    if not rel.is_file() or not man.is_file():
        raise BuildError(f"exercise '{opgave}' is not built: run `rusfokus opgave build {opgave}`")
    expected = json.loads(man.read_text(encoding="utf-8")).get("release_sha256")
    if _sha256(rel) != expected:
        raise BuildError(
            f"{rel} was changed after it was built (checksum mismatch): run `rusfokus opgave build {opgave}`"
        )
    return nbformat.read(rel, as_version=4)
