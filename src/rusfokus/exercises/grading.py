"""One grading queue: a single worker thread grades attempts, in-process.

nbgrader cannot grade two submissions of one learner at once (the gradebook
and the submitted/ folder are shared), so everything goes through one queue:
learners take turns, each with at most one hand-in per exercise in line.
An attempt is on disk and pending before it is queued; only a finished,
successful autograde removes the pending marker, or giving up after repeated
failures, which leaves a failed marker with the reason.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from collections import Counter, OrderedDict, deque
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

from rusfokus.exercises import warmkernel
from rusfokus.exercises.course import exercise, gradebook_url, make_api, student_id
from rusfokus.exercises.schema import Exercise
from rusfokus.exercises.store import (
    Attempt,
    mark_failed,
    pending_attempts,
    pending_for,
    place_for_nbgrader,
    record_failure,
    save_attempt,
    stamp_to_nbgrader,
    write_atomic,
)
from rusfokus.progress import hooks
from rusfokus.settings import Settings

log = logging.getLogger("rusfokus.exercises")


class GradingError(Exception):
    """nbgrader could not grade an attempt (English); the attempt stays pending."""


def read_result(api, ex: Exercise, attempt: Attempt) -> dict:
    """Score, pass/fail and per-question status from the gradebook + explanations from YAML."""
    # lazy: loads nbgrader (~4 s); needed only here
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
        "opgave": ex.id,
        "titel": ex.titel,
        "stamp": attempt.stamp,
        "graded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "score": auto_score,
        "max_score": max_auto,
        "pct": pct,
        "bestaa_pct": ex.bestaa_pct,
        "passed": pct >= ex.bestaa_pct,
        "pending_manual": pending_manual,
        "questions": questions,
    }


def _notify_progress(email: str, result: dict, progress: dict) -> None:
    """Tell progress (``progress``: its ``db_url`` and ``certificate_months``) about a graded attempt."""
    try:
        hooks.on_graded(
            email,
            result["opgave"],
            result["score"],
            result["max_score"],
            result["passed"],
            datetime.fromisoformat(result["graded_at"]),
            **progress,
        )
    except Exception:  # progress must never undo a grade
        log.exception("progress hook failed for %s/%s", email, result["opgave"])


def grade_attempt(api, attempt: Attempt, progress: dict | None = None) -> dict:
    """Autograde one attempt; write its result and clear its pending marker; tell progress
    (``progress``: ``db_url`` and ``certificate_months`` for ``progress.hooks.on_graded``)."""
    # lazy: loads nbgrader (~4 s); needed only here
    from nbgrader.api import Gradebook

    t0 = time.perf_counter()
    ex = exercise(attempt.opgave)

    with Gradebook(api.coursedir.db_url) as gb:
        gb.update_or_create_student(attempt.student, email=attempt.email)
    place_for_nbgrader(attempt)
    t1 = time.perf_counter()
    outcome = api.autograde(attempt.opgave, attempt.student, force=True, create=True)
    t2 = time.perf_counter()
    if not outcome.get("success"):
        raise GradingError(
            f"autograde failed for {attempt.student}/{attempt.opgave} {attempt.stamp}: "
            f"{(outcome.get('error') or outcome.get('log') or '')[-1500:]}"
        )
    result = read_result(api, ex, attempt)
    write_atomic(attempt.result_file, json.dumps(result, ensure_ascii=False, indent=1))
    attempt.pending_file.unlink(missing_ok=True)
    t3 = time.perf_counter()
    _notify_progress(attempt.email, result, progress or {})
    log.info(
        "graded %s/%s %s: %.2f s (autograde %.2f s, progress %.2f s)",
        attempt.student,
        attempt.opgave,
        attempt.stamp,
        time.perf_counter() - t0,
        t2 - t1,
        time.perf_counter() - t3,
    )
    return result


PENDING_MESSAGE = "Din aflevering bliver rettet … Vent på resultatet, før du afleverer igen."
FAILED_MESSAGE = "Din aflevering kunne ikke rettes. Aflever igen om lidt. Sker det igen, så kontakt din nøgleperson."


class AlreadyPending(Exception):
    """This learner's hand-in of this exercise is still being graded; ``str()`` is Danish."""

    def __init__(self, attempt: Attempt | None = None):
        super().__init__(PENDING_MESSAGE)
        self.attempt = attempt


class GradingFailed(GradingError):
    """Grading failed too many times; the hand-in is marked failed with the reason."""


DEFAULT_RETRIES = Settings.default("grade_retries")
DEFAULT_RETRY_SECONDS = Settings.default("grade_retry_seconds")


class Grader:
    """The server's one grading queue (a single worker thread).

    Fair: at most one pending hand-in per learner and exercise, and learners take
    turns (round robin), so one learner's many hand-ins never keep the others
    waiting. Robust: a failed grading (e.g. the grading kernel died) is retried
    on a fresh kernel after ``retry_seconds``, doubling each time; after
    ``retries`` new tries it is marked failed with its reason (never silently).
    """

    def __init__(
        self,
        course_dir: str | Path,
        *,
        retries: int = DEFAULT_RETRIES,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        gradebook_db: str = "",
        progress: dict | None = None,
    ):
        self.course_dir = Path(course_dir).resolve()
        self.gradebook_db = gradebook_db
        self.progress = progress or {}  # db_url, certificate_months for progress.hooks.on_graded
        self.retries, self.retry_seconds = max(0, int(retries)), max(0.0, float(retry_seconds))
        self._stopping = False
        self._cond = threading.Condition()
        self._turns: OrderedDict[str, deque] = OrderedDict()  # learner -> her queued (attempt, future)
        self._delayed: list = []  # heap of (due, seq, attempt, future): retries waiting for their time
        self._seq = itertools.count()
        self._futures: dict[tuple[str, str, str], Future] = {}  # queued, waiting to retry or being graded
        self._busy: Counter = Counter()  # (learner, opgave) with a hand-in in line
        self._warm = False
        self.current: Attempt | None = None  # being graded now
        self._api = None
        self._thread = threading.Thread(target=self._run, name="rusfokus-grader", daemon=True)
        self._thread.start()

    def warm_up(self) -> None:
        """Import nbgrader and open the API before the first learner clicks."""
        with self._cond:
            self._warm = True
            self._cond.notify_all()

    def submit(self, email: str, opgave: str, answers) -> tuple[Attempt, Future]:
        """Validate and save (raises AnswerError/BuildError/ExerciseError), then queue.
        Raises AlreadyPending while this learner's last hand-in of the exercise waits."""
        ex = exercise(opgave)
        key = (student_id(email), ex.id)
        with self._cond:
            if self._busy[key] or pending_for(self.course_dir, email, ex.id):
                waiting = pending_for(self.course_dir, email, ex.id)
                raise AlreadyPending(waiting[-1] if waiting else None)
            self._busy[key] += 1  # reserved while the answers are written
        try:
            attempt = save_attempt(self.course_dir, email, ex, answers)
        except BaseException:
            with self._cond:
                self._release(key)
            raise
        return attempt, self._enqueue(attempt, reserved=True)

    def enqueue_pending(self) -> list[Future]:
        """Queue every attempt still pending on disk (server start, `grade --pending`)."""
        return [self._enqueue(a) for a in pending_attempts(self.course_dir)]

    def waiting(self) -> int:
        """Hand-ins queued, waiting to be retried or being graded."""
        with self._cond:
            return len(self._futures)

    def _release(self, key) -> None:
        self._busy[key] -= 1
        if self._busy[key] <= 0:
            del self._busy[key]

    def _enqueue(self, attempt: Attempt, reserved: bool = False) -> Future:
        key = (attempt.student, attempt.opgave, attempt.stamp)
        with self._cond:
            if key in self._futures:
                if reserved:
                    self._release(key[:2])
                return self._futures[key]
            fut: Future = Future()
            self._futures[key] = fut
            if not reserved:
                self._busy[key[:2]] += 1
            self._turns.setdefault(attempt.student, deque()).append((attempt, fut))
            self._cond.notify_all()
            return fut

    def _done(self, attempt: Attempt) -> None:
        with self._cond:
            if self._futures.pop((attempt.student, attempt.opgave, attempt.stamp), None) is not None:
                self._release((attempt.student, attempt.opgave))
            self._cond.notify_all()

    def close(self, timeout: float = 15) -> None:
        """Stop after the hand-in being graded now; queued ones stay pending on disk
        (graded at the next start). Shuts the spare grading kernel down."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)
        warmkernel.remove_connection_dir()

    def _next(self):
        """Wait for work: 'warm', a queued (attempt, future) in round-robin order, or 'stop'."""
        with self._cond:
            while True:
                if self._stopping:
                    return "stop"
                now = time.monotonic()
                while self._delayed and self._delayed[0][0] <= now:
                    _, _, attempt, fut = heapq.heappop(self._delayed)
                    self._turns.setdefault(attempt.student, deque()).append((attempt, fut))
                if self._warm:
                    self._warm = False
                    return "warm"
                if self._turns:
                    learner, line = next(iter(self._turns.items()))
                    item = line.popleft()
                    if line:
                        self._turns.move_to_end(learner)  # her next one after everyone else's
                    else:
                        del self._turns[learner]
                    self.current = item[0]
                    return item
                self._cond.wait(self._delayed[0][0] - now if self._delayed else None)

    def _stop(self) -> None:
        with self._cond:
            left = [item for line in self._turns.values() for item in line]
            left += [(a, f) for _, _, a, f in self._delayed]
            self._turns.clear()
            self._delayed.clear()
        for attempt, fut in left:
            self._done(attempt)
            fut.set_exception(GradingError("the server is stopping; the hand-in stays pending"))
        try:
            warmkernel.shutdown()
        except Exception:
            log.warning("spare grading kernel did not shut down cleanly", exc_info=True)

    def _run(self) -> None:
        while True:
            item = self._next()
            if item == "stop":
                return self._stop()
            try:
                if self._api is None:
                    self._api = make_api(self.course_dir, self.gradebook_db)
            except Exception as exc:
                log.exception("grading worker cannot start nbgrader")
                if item != "warm":
                    self._failed(item[0], item[1], f"nbgrader did not start: {exc}")
                    with self._cond:
                        self.current = None
                        self._cond.notify_all()
                continue
            if item == "warm":
                if not self._stopping:
                    warmkernel.refill(self.course_dir)
                continue
            attempt, fut = item
            try:
                if not attempt.is_pending:
                    result = json.loads(attempt.result_file.read_text(encoding="utf-8"))
                else:
                    result = grade_attempt(self._api, attempt, self.progress)
                self._done(attempt)  # before the learner hears: her next click is welcome
                fut.set_result(result)
            except Exception as exc:
                log.exception("grading failed: %s", attempt.notebook)
                self._failed(attempt, fut, f"{type(exc).__name__}: {exc}")
            finally:
                with self._cond:
                    self.current = None
                    self._cond.notify_all()
            if not self._stopping:
                warmkernel.refill(self.course_dir)  # after the learner has her result

    def _failed(self, attempt: Attempt, fut: Future, reason: str) -> None:
        """Retry on a fresh kernel after a back-off, or give up with the reason on disk."""
        try:
            warmkernel.shutdown()  # never reuse a spare that may be broken
        except Exception:
            pass
        try:
            failures = record_failure(attempt, reason) if attempt.is_pending else self.retries + 1
        except OSError:
            failures = self.retries + 1
        if failures > self.retries or self._stopping:
            if not self._stopping:
                mark_failed(attempt, reason)
                log.error(
                    "gave up grading %s/%s %s after %d failures (see `rusfokus grade --failed`): %s",
                    attempt.student,
                    attempt.opgave,
                    attempt.stamp,
                    failures,
                    reason[-300:],
                )
            self._done(attempt)
            fut.set_exception(GradingFailed(reason))
            return
        delay = self.retry_seconds * 2 ** (failures - 1)
        log.warning(
            "grading %s/%s %s failed (%d of %d); new try on a fresh kernel in %.1f s",
            attempt.student,
            attempt.opgave,
            attempt.stamp,
            failures,
            self.retries + 1,
            delay,
        )
        with self._cond:
            heapq.heappush(self._delayed, (time.monotonic() + delay, next(self._seq), attempt, fut))
            self._cond.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until nothing is queued, waiting to be retried or being graded."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._turns or self._delayed or self._warm or self.current is not None or self._futures:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is not None else 1.0)
            return True


def grade_pending(
    course_dir: str | Path, retries: int = DEFAULT_RETRIES, gradebook_db: str = "", progress: dict | None = None
) -> tuple[int, int]:
    """Grade everything pending, in this process. Returns (graded, failed).

    A failure counts like one in the server's queue: after ``retries`` new tries
    (the setting RUSFOKUS_GRADE_RETRIES) the hand-in is marked failed with its reason."""
    course_dir = Path(course_dir).resolve()
    api = None
    graded = failed = 0
    for attempt in pending_attempts(course_dir):
        try:
            api = api or make_api(course_dir, gradebook_db)
            grade_attempt(api, attempt, progress)
            graded += 1
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.error("could not grade %s: %s", attempt.notebook, reason[-500:])
            failed += 1
            if record_failure(attempt, reason) > retries:
                mark_failed(attempt, reason)
    return graded, failed


def refresh_manual(course_dir: str | Path, email: str, result: dict, gradebook_db: str = "") -> dict:
    """Update 'afventer' reflections of a result with a nøgleperson's grade from formgrader.

    Only when the gradebook still holds this very attempt (same timestamp).
    """
    # lazy: loads nbgrader (~4 s); needed only here
    from nbgrader.api import Gradebook, MissingEntry

    sid = student_id(email)
    try:
        with Gradebook(gradebook_url(course_dir, gradebook_db)) as gb:
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
