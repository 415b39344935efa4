"""`rusfokus cluster`'s stop is bounded (issue 19): a component that does not stop on SIGTERM is killed with its whole
process group and process tree at the deadline, and that is said; one that stops cleanly is left to do so. Real
processes (a small Python program as the component), no cluster: about 3 s."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import psutil

from rusfokus.cluster import spawn, stop_components

# a component that ignores SIGTERM, with a child in its own process group and a grandchild in a session of its own
# (as a copy's kernels are): only the process group plus the tree reaches all three
STUBBORN = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
    subprocess.Popen([sys.executable, "-c", code])
    subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    print("ready", flush=True)
    time.sleep(600)
    """
)
POLITE = "import time\nprint('ready', flush=True)\ntime.sleep(600)\n"  # SIGTERM's default: it ends at once


def _started(comp, children: int, timeout: float = 20) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tree = comp.tree()
        if len(tree) == 1 + children and "ready" in comp.log.read_text():
            return tree
        time.sleep(0.1)
    raise AssertionError(f"{comp.name} did not start its {children} children: {comp.log.read_text()}")


def test_a_component_that_ignores_sigterm_is_killed_with_its_group_and_tree_at_the_deadline(tmp_path):
    stubborn = spawn("copy-a", [sys.executable, "-c", STUBBORN], tmp_path / "a.log", {}, tmp_path)
    polite = spawn("haproxy", [sys.executable, "-c", POLITE], tmp_path / "b.log", {}, tmp_path)
    procs = _started(stubborn, 2) + _started(polite, 0)
    own_session = [p.pid for p in procs[1:3] if os.getpgid(p.pid) != stubborn.process.pid]
    said: list[str] = []
    t0 = time.monotonic()
    killed = stop_components([polite, stubborn], timeout=2, say=said.append)
    took = time.monotonic() - t0
    assert killed == ["copy-a"]
    assert 2 <= took < 10, took
    assert polite.process.returncode == -15 and stubborn.process.returncode == -9
    alive = [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], alive
    assert len(said) == 1 and said[0].startswith("copy-a did not stop within 2 s of SIGTERM: SIGKILL"), said
    # the group (the component and its first child) and the grandchild in a session of its own, named
    assert f"SIGKILL to its process group {stubborn.process.pid} and to " in said[0], said
    assert own_session and all(str(pid) in said[0].split("tree")[1] for pid in own_session), said


def test_a_kernel_left_by_a_copy_that_stopped_is_killed_and_named(tmp_path):
    """A copy that exits on SIGTERM without stopping its kernel (a kernel in a session of its own)."""
    code = textwrap.dedent(
        """
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                          "time.sleep(600)"], start_new_session=True)
        print("ready", flush=True)
        time.sleep(600)
        """
    )
    copy = spawn("copy-b", [sys.executable, "-c", code], tmp_path / "c.log", {}, tmp_path)
    procs = _started(copy, 1)
    said: list[str] = []
    assert stop_components([copy], timeout=5, say=said.append) == []
    assert not [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert len(said) == 1 and said[0].startswith("killed 1 process(es) left behind") and str(procs[1].pid) in said[0]


def test_stop_components_waits_for_nothing_when_all_are_gone(tmp_path):
    comp = spawn("haproxy", [sys.executable, "-c", "pass"], tmp_path / "d.log", {}, tmp_path)
    comp.process.wait(20)
    t0 = time.monotonic()
    assert stop_components([comp], timeout=20, say=print) == []
    assert time.monotonic() - t0 < 3
    assert isinstance(comp.process, subprocess.Popen)
