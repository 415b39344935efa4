"""Grading queue hardening (issue 12, items 1 and 2) with real nbgrader and real grading
kernels: one pending hand-in per learner and exercise, learners take turns, a killed
grading kernel is retried on a fresh one, and repeated failures end visibly."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psutil
import pytest

from rusfokus.exercises.grading import PENDING_MESSAGE, AlreadyPending, Grader, GradingFailed
from rusfokus.exercises.schema import answer_sheet, load_exercise
from rusfokus.exercises.store import failed_attempts, history, pending_attempts, save_attempt
from rusfokus.settings import Settings

from helpers.course import built_course

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

# slow: real nbgrader grading kernels, killed and retried
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
YML = ROOT / "modules" / "01-opsporing" / "data" / "opgave.yml"
EX = load_exercise(YML)
FLOOD = "flood@eksempel-kommune.example"
OTHER = "naeste@eksempel-kommune.example"


@pytest.fixture
def course(tmp_path):
    return built_course(tmp_path / "course", "opsporing")  # built once per run, a copy for each test


@pytest.fixture
def graded(monkeypatch):
    """Learners in the order the progress hook heard of their grades."""
    import rusfokus.progress.hooks as hooks

    order = []
    monkeypatch.setattr(hooks, "on_graded", lambda email, *a, **k: order.append(email))
    return order


def test_a_flood_of_clicks_queues_one_hand_in_and_the_rest_hear_it_is_being_graded(course, graded):
    g = Grader(course, retries=0, retry_seconds=0, content_dir=TEST_CONTENT)
    try:
        accepted, refused = [], []
        lock = threading.Lock()

        def click():
            try:
                _, fut = g.submit(FLOOD, "opsporing", answer_sheet(EX, True))
                with lock:
                    accepted.append(fut)
            except AlreadyPending as exc:
                with lock:
                    refused.append(str(exc))

        threads = [threading.Thread(target=click) for _ in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(accepted) == 1 and len(refused) == 99
        assert set(refused) == {PENDING_MESSAGE} and PENDING_MESSAGE.startswith("Din aflevering bliver rettet")
        _, other = g.submit(OTHER, "opsporing", answer_sheet(EX, False))
        assert other.result(timeout=120)["passed"] is False
        accepted[0].result(timeout=120)
        assert len(history(course, FLOOD, "opsporing")) == 1  # nothing of the 99 was written
        assert sorted(graded) == sorted([FLOOD, OTHER])
    finally:
        g.close()


def test_learners_take_turns_so_one_cannot_starve_another(course, graded):
    """Ten hand-ins of one learner wait on disk (e.g. from before a restart), then one of
    another learner: she is graded second, not eleventh."""
    for _ in range(10):
        save_attempt(course, FLOOD, EX, answer_sheet(EX, True))
    save_attempt(course, OTHER, EX, answer_sheet(EX, True))
    g = Grader(course, retries=0, retry_seconds=0, content_dir=TEST_CONTENT)
    try:
        futures = g.enqueue_pending()
        assert len(futures) == 11
        for f in futures:
            f.result(timeout=300)
        assert len(graded) == 11
        assert graded.index(OTHER) <= 1, graded
        assert not pending_attempts(course)
    finally:
        g.close()


def _grading_kernels() -> list[psutil.Process]:
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            if "ipykernel" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            continue
    return out


def _kill_kernels_while(condition, grader, stop: threading.Event) -> list[int]:
    """Kill every grading kernel while ``condition()`` holds and a hand-in is being graded."""
    killed = []
    while not stop.is_set():
        if grader.current is not None and condition():
            for p in _grading_kernels():
                try:
                    p.kill()
                    killed.append(p.pid)
                except psutil.Error:
                    pass
        time.sleep(0.02)
    return killed


def test_killed_grading_kernel_is_retried_on_a_fresh_kernel(course, graded, caplog):
    caplog.set_level("WARNING", logger="rusfokus.exercises")
    g = Grader(course, retries=3, retry_seconds=0.5, content_dir=TEST_CONTENT)
    g.warm_up()
    g.join()
    assert _grading_kernels(), "the spare grading kernel should be running"
    attempt, fut = g.submit(FLOOD, "opsporing", answer_sheet(EX, True))
    stop = threading.Event()
    killed: list[int] = []
    first_try = lambda: "failures" not in attempt.marker()  # noqa: E731 - kill only during the first try
    killer = threading.Thread(target=lambda: killed.extend(_kill_kernels_while(first_try, g, stop)))
    killer.start()
    try:
        result = fut.result(timeout=300)
    finally:
        stop.set()
        killer.join()
        g.close()
    assert killed, "no grading kernel was killed"
    retries = [r.getMessage() for r in caplog.records if "new try on a fresh kernel" in r.getMessage()]
    assert retries, "the kill did not fail the first grading"
    assert result["passed"] and not attempt.is_pending and attempt.result_file.exists()
    assert graded == [FLOOD]
    assert not failed_attempts(course)


def test_repeated_failures_end_as_failed_with_a_reason_for_the_admin(course, graded, capsys):
    from rusfokus.exercises.cli import cmd_grade

    g = Grader(course, retries=2, retry_seconds=0.2, content_dir=TEST_CONTENT)
    attempt, fut = g.submit(FLOOD, "opsporing", answer_sheet(EX, True))
    stop = threading.Event()
    killed: list[int] = []
    killer = threading.Thread(target=lambda: killed.extend(_kill_kernels_while(lambda: True, g, stop)))
    killer.start()
    try:
        with pytest.raises(GradingFailed):
            fut.result(timeout=300)
    finally:
        stop.set()
        killer.join()
    try:
        assert killed and not graded
        assert not attempt.is_pending and attempt.failed_file.exists()
        [failed] = failed_attempts(course)
        assert failed["failures"] == 3 and failed["email"] == FLOOD and failed["reason"]

        # the admin sees it
        class Args:
            pending, failed, retry_failed, course_dir = False, True, False, str(course)
            settings = Settings.from_env()

        assert cmd_grade(Args()) == 1
        out = capsys.readouterr().out
        assert "1 hand-in(s) marked failed" in out and FLOOD in out and "3 failures" in out
        # the learner sees it (status API row) and may hand in again
        [row] = history(course, FLOOD, "opsporing")
        assert row["failed"] and not row["pending"]
        from rusfokus.apps.opgave import history_html

        assert "kunne ikke rettes" in history_html(
            [{"stamp": row["stamp"], "afventer": False, "fejlet": True, "pct": None, "bestaaet": None}]
        )
        _, again = g.submit(FLOOD, "opsporing", answer_sheet(EX, True))
        assert again.result(timeout=300)["passed"]
    finally:
        g.close()

    # `rusfokus grade --retry-failed` puts the failed one back and grades it
    class Retry:
        pending, failed, retry_failed, course_dir = False, False, True, str(course)
        settings = Settings.from_env()

    assert cmd_grade(Retry()) == 0
    assert not failed_attempts(course) and json.loads(attempt.result_file.read_text())["passed"]
