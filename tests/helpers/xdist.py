"""Work done once per test run, whether pytest runs alone or as several pytest-xdist workers (`make test` runs
`-n`): the first worker that needs a thing makes it under a file lock in a folder the run's workers share,
the others wait for it and reuse it. Without xdist the folder is the run's own base temp."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def worker_id() -> str:
    """ "gw0", "gw1", ... in an xdist worker, "main" otherwise."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder this test run's workers share (each worker's base temp is a child of it under xdist);
    never shared with another run."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if "PYTEST_XDIST_WORKER" in os.environ else base
    folder = shared / "shared"
    folder.mkdir(exist_ok=True)
    return folder


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created) across processes; released when the block ends or the holder
    dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def once_per_run(folder: Path, make: Callable[[Path], Path]) -> Path:
    """``make(folder)`` once in this run (under a lock), returning what it returned; later callers, in any
    worker, get the same path. A failed ``make`` is remembered: the others fail with its message rather than
    repeating the work."""
    done, failed = folder.with_name(folder.name + ".done"), folder.with_name(folder.name + ".failed")
    with locked(folder.with_name(folder.name + ".lock")):
        if done.exists():
            return Path(done.read_text(encoding="utf-8"))
        if failed.exists():
            pytest.fail(f"{folder.name} failed in another worker of this run:\n{failed.read_text(encoding='utf-8')}")
        shutil.rmtree(folder, ignore_errors=True)
        try:
            result = make(folder)
        except BaseException as exc:
            failed.write_text(f"{type(exc).__name__}: {exc}"[-5000:], encoding="utf-8")
            raise
        done.write_text(str(result), encoding="utf-8")
        return Path(result)
