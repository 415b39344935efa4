"""`--dist loadgroup` that groups (pytest-xdist 3.8 with pytest 9.2 does not).

xdist's own loadgroup puts the group into the test's node id (`item._nodeid += "@group"` in the worker), but
pytest 9 keeps the id in `item._id`, so the suffix never reaches the controller and loadgroup acts as `load`:
each worker that runs one test of a file sets up the file's module fixtures (a server, a Hub, QualWeb) again.

Here each worker writes, when its tests are collected, the work unit of every test to a file in the run's
shared folder (`unit_of`); the controller's scheduler (LoadScope's, keyed by that file) sends a unit to one
worker as a whole, in collection order (which conftest arranges: browser tests last), never reordered by size.
A unit is the test's `xdist_group` mark if it has one, else its file, split into browser and other tests (a
worker runs its browser tests last: playwright's loop must not meet tornado's test loops in one process).

One worker (the last) runs browser units only, from the start, the first (longest) one first: the browser units
are about two thirds of `make test`, and one of them (the demo server's group with QualWeb) is the longest unit of
all; when every worker took the other tests first, that unit began only once they were handed out and ended the
run on its own. The browser worker is shut down once no browser unit is left for it (it never runs a non-browser
test after a browser test). Without browser tests in the run (`make test-fast`) every worker takes any unit.
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
    units = {item.nodeid: unit_of(item) for item in items}
    browser = sorted({units[item.nodeid] for item in items if item.get_closest_marker("browser")})
    tmp.write_text(json.dumps({"units": units, "browser": browser}), encoding="utf-8")
    tmp.replace(folder / f"{worker}.json")


class UnitScheduling(LoadScopeScheduling):
    """LoadScope keyed by the units the workers wrote, in collection order."""

    def __init__(self, config: pytest.Config, log=None) -> None:
        super().__init__(config, log)
        self.units: dict[str, str] | None = None
        self.browser_units: set[str] = set()
        self._browser_node = None
        self._browser_node_chosen = False

    def _read_units(self) -> None:
        self.units = {}
        for path in sorted(units_folder(self.config).glob("gw*.json")):
            written = json.loads(path.read_text(encoding="utf-8"))
            self.units.update(written["units"])
            self.browser_units.update(written["browser"])

    def _split_scope(self, nodeid: str) -> str:
        if self.units is None:
            self._read_units()
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

    @property
    def browser_node(self):
        """The worker that runs browser units only (None: one worker, or no browser test in the run). Chosen once,
        when the work is first handed out: `nodes` loses a worker that has finished."""
        if not self._browser_node_chosen and self.collection is not None:
            self._browser_node_chosen = True
            # the units of the tests this run runs (a unit file also names tests `-m` deselects later)
            if len(self.nodes) >= 2 and any(scope in self.browser_units for scope in self.workqueue):
                self._browser_node = self.nodes[-1]
        return self._browser_node

    def _next_scope(self, node) -> str | None:
        if node is not self.browser_node:
            return next(iter(self.workqueue))
        return next((scope for scope in self.workqueue if scope in self.browser_units), None)

    def _assign_work_unit(self, node) -> None:
        """LoadScope's, except that the browser worker is given the first browser unit (or none)."""
        scope = self._next_scope(node)
        if scope is None:
            return
        work_unit = self.workqueue.pop(scope)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        collection = self.registered_collections[node]
        node.send_runtest_some([collection.index(nodeid) for nodeid, done in work_unit.items() if not done])

    def _reschedule(self, node) -> None:
        if (
            node is self.browser_node
            and not node.shutting_down
            and not any(scope in self.browser_units for scope in self.workqueue)
        ):
            if self._pending_of(self.assigned_work.get(node, {})) == 0:
                node.shutdown()  # done: the other tests left are for the other workers
            return
        super()._reschedule(node)

    def mark_test_complete(self, node, item_index: int, duration: float = 0) -> None:
        super().mark_test_complete(node, item_index, duration)
        browser = self.browser_node
        if browser is not None and browser is not node and browser in self.assigned_work:
            self._reschedule(browser)  # an idle browser worker is shut down when no browser unit is left
