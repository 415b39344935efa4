"""The grading queue: a single worker thread per server grades attempts.

nbgrader cannot grade two submissions of one learner at once (the gradebook
and the submitted/ folder are shared), so everything goes through one queue:
learners take turns, each with at most one hand-in per exercise in line.
An attempt is on disk and pending before it is queued; only a finished,
successful autograde removes the pending marker, or giving up after repeated
failures, which leaves a failed marker with the reason.

Two modes, one grading (``autograde``) and the same files on disk:

- SQLite (the embedded default, one server): the queue is in this process' memory.
- PostgreSQL (any number of copies): the queue is the table ``grading_job``
  (``rusfokus.exercises.queue``); every copy whose worker runs (RUSFOKUS_GRADE_WORKER)
  takes jobs from it, and the copy that received a hand-in hears its result from the row.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from collections import Counter, OrderedDict, deque
from concurrent.futures import Future, InvalidStateError
from datetime import UTC, datetime
from pathlib import Path

from rusfokus import claims
from rusfokus.exercises import queue, warmkernel
from rusfokus.exercises.course import exercise, gradebook_url, make_api, student_id
from rusfokus.exercises.schema import Exercise
from rusfokus.exercises.store import (
    Attempt,
    attempt_answers,
    mark_failed,
    pending_attempts,
    pending_for,
    place_for_nbgrader,
    prepare_attempt,
    record_failure,
    save_attempt,
    stamp_to_nbgrader,
    write_atomic,
    write_attempt,
    write_result,
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
    """Tell progress (``progress``: its ``db_url``, ``certificate_months`` and ``secret``) about a graded attempt."""
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


def _record_progress(session, email: str, result: dict, progress: dict) -> None:
    """Record a graded attempt in the caller's transaction (the shared queue's, holding the job's lock):
    completion, kursusbevis and outbox event then exist exactly when the job is done."""
    graded_at = datetime.fromisoformat(result["graded_at"])
    if graded_at.tzinfo is not None:
        graded_at = graded_at.astimezone().replace(tzinfo=None)
    months = progress.get("certificate_months") or Settings.default("certificate_months")
    hooks.record_result(
        session,
        email,
        result["opgave"],
        result["score"],
        result["max_score"],
        result["passed"],
        graded_at,
        months,
        secret=progress["secret"],
    )


def autograde(api, attempt: Attempt, content_dir: str | Path) -> dict:
    """Run nbgrader's autograde on one attempt (its notebook on disk) and read its result; writes
    nothing of ours (nbgrader writes its gradebook, submitted/ and autograded/). ``content_dir``: the
    content root holding the exercise (``settings.content_dir``)."""
    # lazy: loads nbgrader (~4 s); needed only here
    from nbgrader.api import Gradebook

    ex = exercise(attempt.opgave, content_dir)

    t0 = time.perf_counter()
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
    log.info(
        "graded %s/%s %s: %.2f s (autograde %.2f s)",
        attempt.student,
        attempt.opgave,
        attempt.stamp,
        time.perf_counter() - t0,
        t2 - t1,
    )
    return result


def grade_attempt(api, attempt: Attempt, progress: dict | None = None, *, content_dir: str | Path) -> dict:
    """Autograde one attempt; write its result and clear its pending marker; tell progress
    (``progress``: ``db_url``, ``certificate_months`` and ``secret`` for ``progress.hooks.on_graded``)."""
    result = autograde(api, attempt, content_dir)
    write_atomic(attempt.result_file, json.dumps(result, ensure_ascii=False, indent=1))
    attempt.pending_file.unlink(missing_ok=True)
    _notify_progress(attempt.email, result, progress or {})
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
POLL_SECONDS = 0.5  # shared queue: how often an idle copy looks for jobs and for results of its hand-ins
CLEANUP_SECONDS = 600  # shared queue: how often a worker deletes done jobs older than queue.KEEP_DONE


def _resolve(fut: Future, result: dict | None = None, error: BaseException | None = None) -> None:
    """Give a hand-in's waiting request its result (or ``error``), unless the request already gave up: after
    WAIT_SECONDS it answers 202 and asyncio cancels the future. Setting a cancelled future raises InvalidStateError;
    in the worker that once made a graded hand-in 'failed' and ended the grading thread (SQLite, one server)."""
    if fut.done():
        return
    try:
        if error is None:
            fut.set_result(result)
        else:
            fut.set_exception(error)
    except InvalidStateError:  # cancelled between the check and the set
        pass


def _drop_spare(stopping: bool) -> None:
    """Shut the spare grading kernel down: at a stop (a failure is logged) or after a failed grading (quietly: the
    spare may be what broke)."""
    try:
        warmkernel.shutdown()
    except Exception:
        if stopping:
            log.warning("spare grading kernel did not shut down cleanly", exc_info=True)


def _log_gave_up(attempt: Attempt, failures: int, reason: str) -> None:
    log.error(
        "gave up grading %s/%s %s after %d failures (see `rusfokus grade --failed`): %s",
        attempt.student,
        attempt.opgave,
        attempt.stamp,
        failures,
        reason[-300:],
    )


def _log_retry(attempt: Attempt, failures: int, retries: int, when: str) -> None:
    log.warning(
        "grading %s/%s %s failed (%d of %d); new try on a fresh kernel %s",
        attempt.student,
        attempt.opgave,
        attempt.stamp,
        failures,
        retries + 1,
        when,
    )


class Grader:
    """The server's one grading queue (a single worker thread).

    Fair: at most one pending hand-in per learner and exercise, and learners take
    turns (round robin), so one learner's many hand-ins never keep the others
    waiting. Robust: a failed grading (e.g. the grading kernel died) is retried
    on a fresh kernel after ``retry_seconds``, doubling each time; after
    ``retries`` new tries it is marked failed with its reason (never silently).

    With a PostgreSQL progress database (``progress["db_url"]``) the queue is shared by every copy
    (``rusfokus.exercises.queue``): ``submit`` adds a job row, the worker (when ``worker``) grades
    whatever job is due, from any copy, and a hand-in's future is resolved from its row, whoever graded it.
    """

    def __init__(
        self,
        course_dir: str | Path,
        *,
        retries: int = DEFAULT_RETRIES,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        gradebook_db: str = "",
        progress: dict | None = None,
        worker: bool = True,
        copy_name: str = "",
        poll_seconds: float = POLL_SECONDS,
        content_dir: str | Path,
    ):
        self.course_dir = Path(course_dir).resolve()
        self.content_dir = Path(content_dir)  # the content root: the exercises' data files
        self.gradebook_db = gradebook_db
        self.progress = progress or {}  # db_url, certificate_months, secret for progress.hooks.on_graded
        self.db_url = self.progress.get("db_url") or ""
        self.shared = queue.is_shared(self.db_url)
        self.worker = bool(worker) or not self.shared  # the in-process queue always grades
        self.owner = copy_name or claims.owner()
        self.poll_seconds = poll_seconds
        self._remote: dict[int, tuple[Attempt, Future]] = {}  # shared queue: job id -> this copy's hand-in
        self._poke = False
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
        run = self._run_shared if self.shared else self._run
        self._thread = threading.Thread(target=run, name="rusfokus-grader", daemon=True)
        self._thread.start()

    def warm_up(self) -> None:
        """Import nbgrader and open the API before the first learner clicks."""
        with self._cond:
            self._warm = True
            self._cond.notify_all()

    def submit(self, email: str, opgave: str, answers) -> tuple[Attempt, Future]:
        """Validate and save (raises AnswerError/BuildError/ExerciseError), then queue.
        Raises AlreadyPending while this learner's last hand-in of the exercise waits."""
        ex = exercise(opgave, self.content_dir)
        if self.shared:
            return self._submit_shared(email, ex, answers)
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
        if self.shared:
            return self._enqueue_pending_shared()
        return [self._enqueue(a) for a in pending_attempts(self.course_dir)]

    def waiting(self) -> int:
        """Hand-ins queued, waiting to be retried or being graded (shared queue: this copy's hand-ins)."""
        with self._cond:
            return len(self._futures) + len(self._remote)

    # --- the shared queue (PostgreSQL) -----------------------------------------------------------

    def _submit_shared(self, email: str, ex, answers) -> tuple[Attempt, Future]:
        """Validate, add the job row (answers and notebook: any copy can grade it), then write the files.
        The database refuses a second pending hand-in of the learner and exercise, from any copy."""
        key = (student_id(email), ex.id)
        with self._cond:
            if self._busy[key]:
                mine = [a for a, _ in self._remote.values() if (a.student, a.opgave) == key]
                raise AlreadyPending(mine[-1] if mine else None)
            self._busy[key] += 1  # reserved while the job is written
        try:
            attempt, clean, notebook = prepare_attempt(self.course_dir, email, ex, answers)
            try:
                job_id = queue.add_job(
                    self.db_url,
                    email=email,
                    student=attempt.student,
                    opgave=ex.id,
                    stamp=attempt.stamp,
                    answers=clean,
                    notebook=notebook,
                    received_by=self.owner,
                )
            except queue.AlreadyQueued as exc:
                waiting = Attempt(self.course_dir, email, ex.id, exc.stamp) if exc.stamp else None
                raise AlreadyPending(waiting) from None
            write_attempt(attempt, notebook)
        except BaseException:
            with self._cond:
                self._release(key)
            raise
        fut: Future = Future()
        with self._cond:
            self._remote[job_id] = (attempt, fut)  # stays reserved until its row says done or failed
            self._poke = True
            self._cond.notify_all()
        return attempt, fut

    def _enqueue_pending_shared(self) -> list[Future]:
        """Server start: hand-ins pending on disk without a job (from before the shared queue) are queued;
        markers of jobs another copy finished meanwhile are settled from the row."""
        from rusfokus.migrations import upgrade

        upgrade(self.db_url)
        futures = []
        for attempt in pending_attempts(self.course_dir):
            try:
                job = queue.job_for(self.db_url, attempt.student, attempt.opgave, attempt.stamp)
                if job is not None:
                    if job.state == queue.DONE and job.result:
                        write_result(attempt, json.loads(job.result))
                    elif job.state == queue.FAILED:
                        mark_failed(attempt, job.last_error)
                    continue
                key = (attempt.student, attempt.opgave)
                with self._cond:
                    if self._busy[key]:
                        continue
                    self._busy[key] += 1
                try:
                    job_id = queue.add_job(
                        self.db_url,
                        email=attempt.email,
                        student=attempt.student,
                        opgave=attempt.opgave,
                        stamp=attempt.stamp,
                        answers=attempt_answers(attempt, exercise(attempt.opgave, self.content_dir)),
                        notebook=attempt.notebook.read_text(encoding="utf-8"),
                        received_by=self.owner,
                    )
                except BaseException:
                    with self._cond:
                        self._release(key)
                    raise
                fut: Future = Future()
                with self._cond:
                    self._remote[job_id] = (attempt, fut)
                    self._poke = True
                    self._cond.notify_all()
                futures.append(fut)
            except queue.AlreadyQueued:
                continue  # a newer hand-in of hers waits; this one stays on disk for `grade --pending`
            except Exception:
                log.exception("could not queue pending hand-in %s", attempt.notebook)
        return futures

    def _run_shared(self) -> None:
        from rusfokus.migrations import upgrade

        last_cleanup = time.monotonic()
        migrated = False
        while True:
            with self._cond:
                if self._stopping:
                    break
                warm, self._warm = self._warm and self.worker, False
            try:
                if not migrated:
                    upgrade(self.db_url)
                    migrated = True
                if warm:
                    self._api = self._api or make_api(self.course_dir, self.gradebook_db)
                    warmkernel.refill(self.course_dir)
                self._resolve_remote()
                if self.worker and not self._stopping:
                    if self._grade_one():
                        continue  # look for the next one at once
                    if time.monotonic() - last_cleanup > CLEANUP_SECONDS:
                        last_cleanup = time.monotonic()
                        queue.forget_done(self.db_url)
            except Exception:  # e.g. PostgreSQL restarting: nothing is lost, try again after the pause
                if self._stopping:
                    break
                log.warning("grading queue: could not reach the database or nbgrader; trying again", exc_info=True)
                with self._cond:
                    self._cond.wait(max(self.poll_seconds, 2.0))
                continue
            with self._cond:
                if not self._stopping and not self._poke:
                    self._cond.wait(self.poll_seconds)
                self._poke = False
        with self._cond:
            left = list(self._remote.values())
            self._remote.clear()
            self._busy.clear()
            self._cond.notify_all()
        for _attempt, fut in left:
            _resolve(fut, error=GradingError("the server is stopping; the hand-in stays in the shared queue"))
        _drop_spare(stopping=True)

    def _grade_one(self) -> bool:
        """Take one due job from the shared queue and grade it; False when there was none to take."""
        taken = queue.claim(self.db_url)
        if taken is None:
            return False
        job = taken.job
        attempt = Attempt(self.course_dir, job.email, job.opgave, job.stamp)
        with self._cond:
            self.current = attempt
        log.info("grading job %d (%s/%s %s) on %s", job.id, attempt.student, attempt.opgave, attempt.stamp, self.owner)
        try:
            try:
                self._api = self._api or make_api(self.course_dir, self.gradebook_db)
                if not attempt.notebook.exists():  # received by another copy with a course folder of its own
                    if not job.notebook:
                        raise GradingError(f"job {job.id} has no notebook and {attempt.notebook} is missing")
                    write_atomic(attempt.notebook, job.notebook)
                result = autograde(self._api, attempt, self.content_dir)
            except Exception as exc:
                self._failed_job(taken, attempt, f"{type(exc).__name__}: {exc}")
                return True
            taken.finish(
                result, self.owner, record=lambda session: _record_progress(session, job.email, result, self.progress)
            )
        except BaseException:
            taken.release()  # e.g. the database went away: the job is pending again
            raise
        finally:
            with self._cond:
                self.current = None
                self._cond.notify_all()
        try:
            write_result(attempt, result)
        except OSError:
            log.exception("graded job %d, but could not write %s", job.id, attempt.result_file)
        self._settle(job.id, queue.DONE, result, "")
        if not self._stopping:
            warmkernel.refill(self.course_dir)  # after the learner has her result
        return True

    def _failed_job(self, taken, attempt: Attempt, reason: str) -> None:
        """Count a failed grading in the job (retried by any copy after a back-off), or give up."""
        log.exception("grading failed: job %d %s", taken.job.id, attempt.notebook)
        _drop_spare(stopping=False)  # never reuse a spare that may be broken
        failures, given_up = taken.fail(reason, self.retries, self.retry_seconds)
        if not given_up:
            _log_retry(attempt, failures, self.retries, "by the next free copy")
            return
        _log_gave_up(attempt, failures, reason)
        try:
            mark_failed(attempt, reason)
        except OSError:
            log.exception("could not write %s", attempt.failed_file)
        self._settle(taken.job.id, queue.FAILED, None, reason)

    def _resolve_remote(self) -> None:
        """Settle this copy's hand-ins whose rows another copy (or this one) finished."""
        with self._cond:
            ids = list(self._remote)
        for job_id, outcome in queue.outcomes(self.db_url, ids).items():
            self._settle(job_id, outcome.state, outcome.result, outcome.last_error)

    def _settle(self, job_id: int, state: str, result: dict | None, reason: str) -> None:
        with self._cond:
            item = self._remote.pop(job_id, None)
            if item is not None:
                self._release((item[0].student, item[0].opgave))
            self._cond.notify_all()
        if item is None:
            return
        attempt, fut = item
        if state == queue.DONE and result is not None:
            try:  # this copy's files too (its own course folder in Kubernetes; the same files otherwise)
                write_result(attempt, result)
            except OSError:
                log.exception("could not write %s", attempt.result_file)
            _resolve(fut, result)
            return
        try:
            if attempt.is_pending:
                mark_failed(attempt, reason)
        except OSError:
            log.exception("could not write %s", attempt.failed_file)
        _resolve(fut, error=GradingFailed(reason))

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
            _resolve(fut, error=GradingError("the server is stopping; the hand-in stays pending"))
        _drop_spare(stopping=True)

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
                    result = grade_attempt(self._api, attempt, self.progress, content_dir=self.content_dir)
                self._done(attempt)  # before the learner hears: her next click is welcome
                _resolve(fut, result)
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
        _drop_spare(stopping=False)  # never reuse a spare that may be broken
        try:
            failures = record_failure(attempt, reason) if attempt.is_pending else self.retries + 1
        except OSError:
            failures = self.retries + 1
        if failures > self.retries or self._stopping:
            if not self._stopping:
                mark_failed(attempt, reason)
                _log_gave_up(attempt, failures, reason)
            self._done(attempt)
            _resolve(fut, error=GradingFailed(reason))
            return
        delay = self.retry_seconds * 2 ** (failures - 1)
        _log_retry(attempt, failures, self.retries, f"in {delay:.1f} s")
        with self._cond:
            heapq.heappush(self._delayed, (time.monotonic() + delay, next(self._seq), attempt, fut))
            self._cond.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until nothing is queued, waiting to be retried or being graded."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while (
                self._turns or self._delayed or self._warm or self.current is not None or self._futures or self._remote
            ):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is not None else 1.0)
            return True


def grade_pending(
    course_dir: str | Path,
    retries: int = DEFAULT_RETRIES,
    gradebook_db: str = "",
    progress: dict | None = None,
    *,
    content_dir: str | Path,
) -> tuple[int, int]:
    """Grade everything pending, in this process. Returns (graded, failed).

    A failure counts like one in the server's queue: after ``retries`` new tries
    (the setting RUSFOKUS_GRADE_RETRIES) the hand-in is marked failed with its reason.

    With PostgreSQL (``progress["db_url"]``) this process is one more copy on the shared queue: hand-ins
    pending on disk without a job are queued and graded here (or by a running copy), exactly once."""
    course_dir = Path(course_dir).resolve()
    if queue.is_shared((progress or {}).get("db_url")):
        grader = Grader(
            course_dir,
            retries=retries,
            retry_seconds=1.0,
            gradebook_db=gradebook_db,
            progress=progress,
            content_dir=content_dir,
        )
        graded = failed = 0
        try:
            for fut in grader.enqueue_pending():
                try:
                    fut.result(timeout=600)
                    graded += 1
                except Exception as exc:
                    log.error("could not grade a pending hand-in: %s", str(exc)[-500:])
                    failed += 1
        finally:
            grader.close()
        return graded, failed
    api = None
    graded = failed = 0
    for attempt in pending_attempts(course_dir):
        try:
            api = api or make_api(course_dir, gradebook_db)
            grade_attempt(api, attempt, progress, content_dir=content_dir)
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
