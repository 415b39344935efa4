"""`--dist loadgroup` that groups (pytest-xdist 3.8 with pytest 9.2 does not).

xdist's own loadgroup puts the group into the test's node id (`item._nodeid += "@group"` in the worker), but
pytest 9 keeps the id in `item._id`, so the suffix never reaches the controller and loadgroup acts as `load`:
each worker that runs one test of a file sets up the file's module fixtures (a server, a Hub, QualWeb) again.

Here each worker writes, when its tests are collected, the work unit of every test to a file in the run's
shared folder (`unit_of`); the controller's scheduler (LoadScope's, keyed by that file) sends a unit to one
worker as a whole, in collection order (which conftest arranges: browser tests last), never reordered by size.
A unit is the test's `xdist_group` mark if it has one, else its file, split into browser and other tests (a
worker runs its browser tests last: playwright's loop must not meet tornado's test loops in one process).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

FOLDER = "xdist-units"


def unit_of(item: pytest.Item) -> str:
    """The work unit of a test: all tests of one unit run in one worker, one after another."""
    names = sorted(
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    )
    if names:
        return "group:" + "_".join(names)
    kind = "browser" if item.get_closest_marker("browser") else "other"
    return f"{item.nodeid.split('::', 1)[0]}:{kind}"


def units_folder(config: pytest.Config) -> Path:
    """The same folder in the controller and in its workers (a worker's base temp is a child of the
    controller's), fresh for each run."""
    base = config._tmp_path_factory.getbasetemp()
    if hasattr(config, "workerinput"):  # not the environment: a pytest run inside a worker inherits it
        base = base.parent
    return base / FOLDER


def write_units(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker: record each collected test's unit for the controller (call after every mark is set)."""
    worker = getattr(config, "workerinput", {}).get("workerid")
    if not worker or config.getvalue("loadgroup") is not True:
        return
    folder = units_folder(config)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{worker}.json"
    tmp.write_text(json.dumps({item.nodeid: unit_of(item) for item in items}), encoding="utf-8")
    tmp.replace(folder / f"{worker}.json")


class UnitScheduling(LoadScopeScheduling):
    """LoadScope keyed by the units the workers wrote, in collection order."""

    def __init__(self, config: pytest.Config, log=None) -> None:
        super().__init__(config, log)
        self.units: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self.units is None:
            self.units = {}
            for path in sorted(units_folder(self.config).glob("gw*.json")):
                self.units.update(json.loads(path.read_text(encoding="utf-8")))
        unit = self.units.get(nodeid)
        if unit is None:  # not written (a worker of an older plugin): xdist's own rule, else the file
            at = nodeid.rfind("@")
            unit = nodeid[at + 1 :] if at > nodeid.rfind("]") else nodeid.split("::", 1)[0]
        return unit

    def schedule(self) -> None:
        reorder = self.config.option.loadscopereorder
        self.config.option.loadscopereorder = False  # keep collection order: browser tests last
        try:
            super().schedule()
        finally:
            self.config.option.loadscopereorder = reorder
