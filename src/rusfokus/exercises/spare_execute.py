"""nbgrader's Execute preprocessor, run in the grading worker's spare kernel.

nbgrader builds its autograde pipeline from the configurable list
``Autograde.autograde_preprocessors``; ``rusfokus.exercises.course.configure``
(the course's nbgrader config, also read by ``exercises/nbgrader_config.py``)
puts this class there in place of nbgrader's ``Execute``. nbgrader creates one
instance per notebook it autogrades, in the thread that grades.

In the server's grading worker thread a spare kernel is usually waiting
(``rusfokus.exercises.warmkernel``): this preprocessor takes it, runs exactly
one notebook in it and shuts it down, so every hand-in still runs in a kernel
nobody used before. Anywhere else (the nbgrader command line, formgrader,
`rusfokus grade --pending`, or when no spare could be started) there is no
spare and it is nbgrader's Execute unchanged.

This module imports nbgrader; it is named in the config as a string, so the
server imports it only when it grades the first hand-in.
"""

from __future__ import annotations

import logging

from jupyter_core.utils import run_sync
from nbgrader.preprocessors import Execute

from rusfokus.exercises import warmkernel

log = logging.getLogger("rusfokus.exercises")


class SpareKernelExecute(Execute):
    """nbgrader's Execute, in this thread's spare grading kernel when there is one."""

    def preprocess(self, nb, resources=None, km=None):
        spare = warmkernel.take() if km is None else None
        if spare is None:
            return super().preprocess(nb, resources, km=km)
        try:
            return super().preprocess(nb, resources, km=spare)
        finally:
            if self.kc is not None:
                self.kc.stop_channels()
            try:
                run_sync(spare.shutdown_kernel)(now=True)
            except Exception:
                log.warning("spare grading kernel did not shut down cleanly", exc_info=True)
