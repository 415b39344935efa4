"""The spare grading kernel comes in through nbgrader's configurable autograde preprocessor list.

Real nbgrader: the course's config names ``SpareKernelExecute`` in
``Autograde.autograde_preprocessors``; nbgrader's own ``Execute`` is left as it is.
With a spare kernel waiting, autograde starts no kernel of its own and uses up the
spare; without one it starts its own as usual.
"""

import pytest
from jupyter_client.manager import AsyncKernelManager
from nbconvert.preprocessors import ExecutePreprocessor
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from traitlets.config import Config
from traitlets.utils.importstring import import_item

from rusfokus.exercises import warmkernel
from rusfokus.exercises.course import (
    AUTOGRADE_PREPROCESSORS,
    configure,
    gradebook_url,
    make_api,
)
from rusfokus.exercises.schema import answer_sheet, load_exercise
from rusfokus.exercises.spare_execute import SpareKernelExecute
from rusfokus.exercises.store import place_for_nbgrader, save_attempt

from helpers.course import built_course
from helpers.paths import ROOT

# slow: real nbgrader grading kernels
pytestmark = pytest.mark.slow

YML = ROOT / "modules" / "01-opsporing" / "data" / "opgave.yml"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    # the exercise comes from the content root (modules/); built once per run, a copy of its own
    return built_course(tmp_path_factory.mktemp("course"), "opsporing")


def test_config_puts_the_spare_kernel_execute_in_nbgraders_own_list():
    c = Config()
    configure(c, "/tmp/kursus")
    configured = [import_item(name) for name in c.Autograde.autograde_preprocessors]
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    assert configured == [SpareKernelExecute if p is Execute else p for p in default]
    assert issubclass(SpareKernelExecute, Execute)
    assert c.Autograde.autograde_preprocessors == AUTOGRADE_PREPROCESSORS


def test_gradebook_url_comes_from_the_argument_never_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RUSFOKUS_GRADEBOOK_DB", "sqlite:////nowhere/else.db")
    assert gradebook_url(tmp_path) == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"
    assert gradebook_url(tmp_path, "postgresql+psycopg://gb@db/gradebook") == "postgresql+psycopg://gb@db/gradebook"
    c = Config()
    configure(c, tmp_path, "sqlite:////srv/gradebook.db")
    assert c.CourseDirectory.db_url == "sqlite:////srv/gradebook.db"


def _count_kernel_starts(monkeypatch) -> list:
    started = []
    original = AsyncKernelManager.start_kernel

    async def counting(self, *args, **kwargs):
        started.append(self)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(AsyncKernelManager, "start_kernel", counting)
    return started


def _autograde(course, email: str) -> dict:
    ex = load_exercise(YML)
    attempt = save_attempt(course, email, ex, answer_sheet(ex, True, "Jeg taler med min nøgleperson."))
    place_for_nbgrader(attempt)
    return make_api(course).autograde("opsporing", attempt.student, force=True, create=True)


def test_autograde_uses_the_spare_kernel_and_nbgraders_execute_stays_unpatched(course, monkeypatch):
    unpatched = Execute.preprocess
    warmkernel.refill(course)  # this thread's spare, as the grading worker keeps one
    spare = warmkernel._local.km
    assert spare is not None
    started = _count_kernel_starts(monkeypatch)
    try:
        outcome = _autograde(course, "med.reserve@eksempel-kommune.example")
    finally:
        warmkernel.shutdown()
    assert outcome["success"], outcome.get("error") or outcome.get("log")
    assert started == []  # no kernel start while grading: it ran in the spare
    assert warmkernel._local.km is None  # used up: the next hand-in gets a fresh one
    assert not spare.has_kernel  # and shut down after its one notebook
    assert Execute.preprocess is unpatched is ExecutePreprocessor.preprocess


def test_without_a_spare_autograde_starts_its_own_kernel(course, monkeypatch):
    assert getattr(warmkernel._local, "km", None) is None
    started = _count_kernel_starts(monkeypatch)
    outcome = _autograde(course, "uden.reserve@eksempel-kommune.example")
    assert outcome["success"], outcome.get("error") or outcome.get("log")
    assert len(started) == 1
