"""helpers/xdist_scheduler.py: `--dist loadgroup` keeps a group, and a file's tests, on one worker.

A small project of its own is run with three real xdist workers (pytest-xdist 3.8 with pytest 9.2 splits a group
without the scheduler, measured): each test writes which worker ran it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict

import pytest

from helpers.paths import ROOT

pytestmark = pytest.mark.slow  # four pytest processes

CONFTEST = """
import pytest
from helpers.xdist_scheduler import write_units

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in item.name:
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    write_units(config, items)

@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    from helpers.xdist_scheduler import UnitScheduling
    return UnitScheduling(config, log)
"""

TESTS = """
import os, time, pytest

def record(what):
    with open(os.environ["LOG"], "a") as fh:
        fh.write(f"{os.environ['PYTEST_XDIST_WORKER']} {what}\\n")

@pytest.fixture(scope="module")
def module_thing():
    record("setup-{name}")

@pytest.mark.parametrize("i", range(4))
def test_plain(i, module_thing):
    time.sleep(0.1)
    record("plain-{name}")

@pytest.mark.xdist_group("shared")
@pytest.mark.parametrize("i", range(3))
def test_grouped(i):
    time.sleep(0.1)
    record("shared")

@pytest.mark.parametrize("i", range(2))
def test_browser(i):
    time.sleep(0.1)
    record("browser-{name}")
"""


def run_project(tmp_path, *args: str) -> tuple[str, list[list[str]]]:
    """The small project run with three workers: pytest's output and the (worker, what) lines the tests wrote."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    browser: b\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    for name in "abcd":
        (tmp_path / f"test_{name}.py").write_text(TESTS.replace("{name}", name), encoding="utf-8")
    log = tmp_path / "log.txt"
    log.unlink(missing_ok=True)
    # not this run's xdist variables (when this test itself runs in a worker)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))}
    env.update(LOG=str(log), PYTHONPATH=str(ROOT / "tests"))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "3", "--dist", "loadgroup", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a worker left waiting for work would hang the run
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout, [line.split() for line in log.read_text(encoding="utf-8").splitlines()]


def test_groups_and_files_stay_on_one_worker_and_browser_tests_come_last(tmp_path):
    out, lines = run_project(tmp_path)
    assert "36 passed" in out, out[-2000:]
    workers: dict[str, set[str]] = defaultdict(set)
    order: dict[str, list[str]] = defaultdict(list)
    for worker, what in lines:
        workers[what].add(worker)
        order[worker].append(what)
    assert len(workers["shared"]) == 1, workers["shared"]  # one group across four files: one worker
    for name in "abcd":
        assert len(workers[f"plain-{name}"]) == 1 and len(workers[f"browser-{name}"]) == 1
    setups = [what for _, what in lines if what.startswith("setup-")]
    assert sorted(setups) == [f"setup-{name}" for name in "abcd"], setups  # each module fixture set up once
    assert len({w for ws in workers.values() for w in ws}) >= 2, order  # the work was spread
    for worker, done in order.items():
        kinds = ["browser" if what.startswith("browser") else "other" for what in done if not what.startswith("setup")]
        assert kinds == sorted(kinds, key=lambda kind: kind == "browser"), (worker, done)  # browser tests last
    # one worker runs browser tests only, from the start, beginning with the first browser unit (file a's)
    browser_only = [done for done in order.values() if all(what.startswith("browser") for what in done)]
    assert len(browser_only) == 1 and browser_only[0][0] == "browser-a", order


def test_without_browser_tests_every_worker_takes_any_unit(tmp_path):
    out, lines = run_project(tmp_path, "-m", "not browser")
    assert "28 passed" in out, out[-2000:]
    # no worker kept for browser work (the workers' unit files still name the deselected browser tests)
    assert len({worker for worker, _ in lines}) == 3, lines


def test_a_test_without_a_written_unit_falls_back_to_xdists_group_suffix_else_its_file():
    from helpers.xdist_scheduler import UnitScheduling

    sched = UnitScheduling.__new__(UnitScheduling)
    sched.units = {"tests/test_x.py::test_w": "group:g"}
    assert sched._split_scope("tests/test_x.py::test_w") == "group:g"
    assert sched._split_scope("tests/test_x.py::test_y[1]") == "tests/test_x.py"
    assert sched._split_scope("tests/test_x.py::test_y[a@b]") == "tests/test_x.py"
    assert sched._split_scope("tests/test_x.py::test_y@grp") == "grp"
