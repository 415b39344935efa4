"""One server (SQLite, the in-process queue): a learner whose request stopped waiting (202 after WAIT_SECONDS: asyncio
cancels the hand-in's future) before her hand-in was graded. Her hand-in is graded and kept as graded, and the
grading thread lives on for the next learner. Before the fix, setting the cancelled future raised InvalidStateError:
her graded hand-in was marked failed ('gave up grading') and the worker thread ended, so nothing more was graded
until a restart. Real nbgrader, about 10 s."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rusfokus.exercises.grading import Grader
from rusfokus.exercises.schema import answer_sheet, load_exercise

from helpers.course import built_course, exercise_file

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

pytestmark = pytest.mark.slow

EX = load_exercise(exercise_file("opsporing"))


def test_a_hand_in_whose_request_gave_up_is_graded_and_the_worker_lives_on(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    course = built_course(tmp_path / "course", "opsporing")
    grader = Grader(course, retries=0, retry_seconds=0, content_dir=TEST_CONTENT)
    try:
        first, fut = grader.submit("ea.fiktiv@eksempel-kommune.example", "opsporing", answer_sheet(EX, True))
        assert fut.cancel()  # the request answered 202 and stopped waiting
        assert grader.join(180)
        assert first.result_file.exists() and not first.failed_file.exists() and not first.is_pending
        assert grader._thread.is_alive()
        second, fut2 = grader.submit("bo.fiktiv@eksempel-kommune.example", "opsporing", answer_sheet(EX, False))
        assert fut2.result(180)["stamp"] == second.stamp
        problems = [
            r for r in caplog.records if r.name.startswith("rusfokus") and "progress hook" not in r.getMessage()
        ]
        assert problems == [], [(r.getMessage(), r.exc_text) for r in problems]
    finally:
        grader.close()
