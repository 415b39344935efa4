"""One grading queue: a single worker thread grades attempts in order, in-process.

nbgrader cannot grade two submissions of one learner at once (the gradebook
and the submitted/ folder are shared), so everything goes through one queue.
An attempt is on disk and pending before it is queued; only a finished,
successful autograde removes the pending marker.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

from . import warmkernel
from .course import exercise, make_api
from .schema import Exercise
from .store import Attempt, pending_attempts, place_for_nbgrader, save_attempt, write_atomic

log = logging.getLogger("rusfokus.exercises")


class GradingError(Exception):
    """nbgrader could not grade an attempt (English); the attempt stays pending."""


def read_result(api, ex: Exercise, attempt: Attempt) -> dict:
    """Score, pass/fail and per-question status from the gradebook + explanations from YAML."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(api.coursedir.db_url) as gb:
        try:
            nb = gb.find_submission_notebook(ex.id, ex.id, attempt.student)
        except MissingEntry:
            raise GradingError(f"no gradebook entry for {attempt.student}/{ex.id} after autograde") from None
        grades = {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in nb.grades}
    questions = []
    auto_score = 0.0
    pending_manual = False
    for n, q in enumerate(ex.spoergsmaal, 1):
        key = q.grade_id if q.auto else q.answer_id
        if key not in grades:
            raise GradingError(f"gradebook has no grade '{key}' for {attempt.student}/{ex.id}")
        score, max_score, needs_manual = grades[key]
        row = {"id": q.id, "nr": n, "type": q.type, "max": q.point, "forklaring": q.forklaring}
        if q.auto:
            # a test cell that cannot run (tampered or missing answer) counts as wrong
            got = 0.0 if needs_manual else float(score or 0)
            auto_score += got
            row.update(score=got, status="rigtigt" if got >= q.point else "forkert")
        elif needs_manual:
            pending_manual = True
            row.update(score=None, status="afventer")
        else:
            row.update(score=float(score or 0), status="bedømt")
        questions.append(row)
    max_auto = ex.auto_points
    pct = round(100.0 * auto_score / max_auto, 1) if max_auto else 0.0
    return {
        "opgave": ex.id, "titel": ex.titel, "stamp": attempt.stamp,
        "graded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "score": auto_score, "max_score": max_auto, "pct": pct,
        "bestaa_pct": ex.bestaa_pct, "passed": pct >= ex.bestaa_pct,
        "pending_manual": pending_manual, "questions": questions,
    }


def _notify_progress(email: str, result: dict) -> None:
    try:
        from rusfokus.progress.hooks import on_graded
    except ModuleNotFoundError:
        log.warning("rusfokus.progress.hooks is missing: progress not updated for %s", result["opgave"])
        return
    try:
        on_graded(email, result["opgave"], result["score"], result["max_score"], result["passed"],
                  datetime.fromisoformat(result["graded_at"]))
    except Exception:  # progress must never undo a grade
        log.exception("progress hook failed for %s/%s", email, result["opgave"])


def grade_attempt(api, attempt: Attempt) -> dict:
    """Autograde one attempt; write its result and clear its pending marker."""
    from nbgrader.api import Gradebook

    t0 = time.perf_counter()
    ex = exercise(attempt.course_dir, attempt.opgave)

    with Gradebook(api.coursedir.db_url) as gb:
        gb.update_or_create_student(attempt.student, email=attempt.email)
    place_for_nbgrader(attempt)
    t1 = time.perf_counter()
    outcome = api.autograde(attempt.opgave, attempt.student, force=True, create=True)
    t2 = time.perf_counter()
    if not outcome.get("success"):
        raise GradingError(f"autograde failed for {attempt.student}/{attempt.opgave} {attempt.stamp}: "
                           f"{(outcome.get('error') or outcome.get('log') or '')[-1500:]}")
    result = read_result(api, ex, attempt)
    write_atomic(attempt.result_file, json.dumps(result, ensure_ascii=False, indent=1))
    attempt.pending_file.unlink(missing_ok=True)
    t3 = time.perf_counter()
    _notify_progress(attempt.email, result)
    log.info("graded %s/%s %s: %.2f s (autograde %.2f s, progress %.2f s)", attempt.student, attempt.opgave,
             attempt.stamp, time.perf_counter() - t0, t2 - t1, time.perf_counter() - t3)
    return result


_STOP = object()


class Grader:
    """The server's one grading queue (a single worker thread)."""

    def __init__(self, course_dir: str | Path):
        self.course_dir = Path(course_dir).resolve()
        self._stopping = False
        self._queue: queue.Queue = queue.Queue()
        self._queued: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._api = None
        self._thread = threading.Thread(target=self._run, name="rusfokus-grader", daemon=True)
        self._thread.start()

    def warm_up(self) -> None:
        """Import nbgrader and open the API before the first learner clicks."""
        self._queue.put(None)

    def submit(self, email: str, opgave: str, answers) -> tuple[Attempt, Future]:
        """Validate and save (raises AnswerError/BuildError/ExerciseError), then queue."""
        ex = exercise(self.course_dir, opgave)
        attempt = save_attempt(self.course_dir, email, ex, answers)
        return attempt, self._enqueue(attempt)

    def enqueue_pending(self) -> list[Future]:
        """Queue every attempt still pending on disk (server start, `grade --pending`)."""
        return [self._enqueue(a) for a in pending_attempts(self.course_dir)]

    def _enqueue(self, attempt: Attempt) -> Future:
        fut: Future = Future()
        key = (attempt.student, attempt.opgave, attempt.stamp)
        with self._lock:
            if key in self._queued:
                fut.set_result(None)  # already queued; its result will be on disk
                return fut
            self._queued.add(key)
        self._queue.put((attempt, fut))
        return fut

    def close(self, timeout: float = 15) -> None:
        """Stop after the hand-in being graded now; queued ones stay pending on disk
        (graded at the next start). Shuts the spare grading kernel down."""
        self._stopping = True
        self._queue.put(_STOP)
        self._thread.join(timeout)
        warmkernel.remove_connection_dir()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                try:
                    warmkernel.shutdown()
                except Exception:
                    log.warning("spare grading kernel did not shut down cleanly", exc_info=True)
                self._queue.task_done()
                return
            if self._stopping and item is not None:
                attempt, fut = item
                fut.set_exception(GradingError("the server is stopping; the hand-in stays pending"))
                with self._lock:
                    self._queued.discard((attempt.student, attempt.opgave, attempt.stamp))
                self._queue.task_done()
                continue
            try:
                if self._api is None:
                    self._api = make_api(self.course_dir)
                    warmkernel.install()
                if item is None:
                    if not self._stopping:
                        warmkernel.refill(self.course_dir)
                    continue
                attempt, fut = item
                try:
                    if not attempt.is_pending:
                        fut.set_result(json.loads(attempt.result_file.read_text(encoding="utf-8")))
                    else:
                        fut.set_result(grade_attempt(self._api, attempt))
                except Exception as exc:
                    log.exception("grading failed; attempt stays pending: %s", attempt.notebook)
                    fut.set_exception(exc)
                finally:
                    with self._lock:
                        self._queued.discard((attempt.student, attempt.opgave, attempt.stamp))
                if not self._stopping:
                    warmkernel.refill(self.course_dir)  # after the learner has her result
            except Exception:
                log.exception("grading worker error")
            finally:
                self._queue.task_done()

    def join(self) -> None:
        self._queue.join()


def grade_pending(course_dir: str | Path) -> tuple[int, int]:
    """Grade everything pending, in this process. Returns (graded, failed)."""
    course_dir = Path(course_dir).resolve()
    api = None
    graded = failed = 0
    for attempt in pending_attempts(course_dir):
        api = api or make_api(course_dir)
        try:
            grade_attempt(api, attempt)
            graded += 1
        except Exception as exc:
            log.error("could not grade %s: %s", attempt.notebook, exc)
            failed += 1
    return graded, failed


def refresh_manual(course_dir: str | Path, email: str, result: dict) -> dict:
    """Update 'afventer' reflections of a result with a nøgleperson's grade from formgrader.

    Only when the gradebook still holds this very attempt (same timestamp).
    """
    from nbgrader.api import Gradebook, MissingEntry

    from .course import gradebook_url, student_id
    from .store import stamp_to_nbgrader

    sid = student_id(email)
    try:
        with Gradebook(gradebook_url(course_dir)) as gb:
            sub = gb.find_submission(result["opgave"], sid)
            if sub.timestamp is None or stamp_to_nbgrader(result["stamp"])[:19] != str(sub.timestamp)[:19]:
                return result
            nb = gb.find_submission_notebook(result["opgave"], result["opgave"], sid)
            grades = {g.name: (g.score, g.needs_manual_grade) for g in nb.grades}
    except MissingEntry:
        return result
    out = dict(result, questions=[dict(q) for q in result["questions"]])
    waiting = False
    for q in out["questions"]:
        if q["status"] != "afventer":
            continue
        score, needs = grades.get("svar_" + q["id"].replace("-", "_"), (None, True))
        if needs:
            waiting = True
        else:
            q.update(score=float(score or 0), status="bedømt")
    out["pending_manual"] = waiting
    return out
