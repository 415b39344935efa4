"""A fresh grading kernel started ahead of time, so a hand-in does not wait for kernel start-up.

nbgrader starts a new kernel for every notebook it grades (about half of the
grading time). The grading worker keeps one spare kernel started in advance;
nbgrader's autograde runs the notebook through ``SpareKernelExecute``
(``rusfokus.exercises.spare_execute``, put in nbgrader's configurable
``Autograde.autograde_preprocessors`` by ``course.configure``), which takes the
spare for exactly one notebook, then shuts it down; the worker starts the next
spare after the result has been delivered. Every hand-in still runs in a kernel
nobody used before. Without a spare (CLI, `grade --pending`, or if starting one
failed) nbgrader behaves as usual.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

from jupyter_core.utils import run_sync

log = logging.getLogger("rusfokus.exercises")
_local = threading.local()  # the spare belongs to the thread (and event loop) that started it
_dir_lock = threading.Lock()
_connection_dir: str | None = None


def connection_dir() -> str:
    """A private (0700) folder for the grading kernels' connection file and IPC sockets.

    Short on purpose: a socket path must stay under ~100 characters, which a
    deep Jupyter runtime folder can exceed."""
    global _connection_dir
    with _dir_lock:
        if _connection_dir is None or not os.path.isdir(_connection_dir):
            _connection_dir = tempfile.mkdtemp(prefix="rf-grading-")
        return _connection_dir


def _run_sync(coro_fn):
    return run_sync(coro_fn)


@atexit.register
def _remove_at_exit() -> None:
    """This process' folder goes with it (a spare kernel left running exits with its parent)."""
    if _connection_dir is not None:
        shutil.rmtree(_connection_dir, ignore_errors=True)


def remove_connection_dir() -> None:
    """Remove the folder when no grading kernel uses it any more (server stop)."""
    global _connection_dir
    with _dir_lock:
        if _connection_dir is not None:
            try:
                os.rmdir(_connection_dir)
            except OSError:
                return  # another grader's spare still lives there
            _connection_dir = None


def refill(cwd: Path) -> None:
    """Start a spare kernel for this thread if there is none (call from the grading worker)."""
    if getattr(_local, "km", None) is not None:
        return
    # lazy: loads jupyter_client (~0.4 s); needed only here
    from jupyter_client.manager import AsyncKernelManager

    # like the app kernels: private socket files, not TCP ports
    connection_file = os.path.join(connection_dir(), f"k-{uuid.uuid4().hex[:12]}.json")
    km = AsyncKernelManager(kernel_name="python3", transport="ipc", connection_file=connection_file)
    try:
        _run_sync(km.start_kernel)(
            extra_arguments=["--HistoryManager.hist_file=:memory:", "--InteractiveShell.xmode=Minimal"], cwd=str(cwd)
        )
    except Exception:
        log.exception("could not start a spare grading kernel; nbgrader will start its own")
        try:
            _run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            km.cleanup_resources()
        return
    _local.km = km


def take():
    """This thread's spare kernel, if it is alive (it is then no longer the spare); else None."""
    km = getattr(_local, "km", None)
    _local.km = None
    if km is not None and not _run_sync(km.is_alive)():
        return None
    return km


def shutdown() -> None:
    km = take()
    if km is not None:
        _run_sync(km.shutdown_kernel)(now=True)
