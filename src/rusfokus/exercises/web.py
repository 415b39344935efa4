"""HTTP routes of the exercises, mounted by `rusfokus serve` (see server/routes.py).

- ``POST /api/opgave/aflever``  hand in answers; the exercise app's kernel
  forwards the learner's signed token as ``Authorization: Bearer <token>``
  (never a cookie: no cross-site request can submit for someone).
- ``GET /api/opgave/status?opgave=<id>``  the learner's attempts, latest result (with the
  answers she handed in then) and her draft.
- ``POST /api/opgave/kladde``  save the learner's draft answers (``{"opgave", "svar"}``,
  half-finished is fine). Drafts are only restored when the app opens; grading never
  reads them (the hand-in is what counts).

A second hand-in while one of the same exercise is pending gets 409 and
``Din aflevering bliver rettet …``; a hand-in whose grading was given up
after retries gets a Danish message and is listed by `rusfokus grade --failed`.

Responses are JSON; ``fejl`` holds a Danish message for the learner.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from pathlib import Path

from rusfokus import identity
from rusfokus.exercises.course import BuildError, exercise
from rusfokus.exercises.grading import (
    FAILED_MESSAGE,
    AlreadyPending,
    Grader,
    GradingFailed,
    refresh_manual,
)
from rusfokus.exercises.notebook import AnswerError
from rusfokus.exercises.schema import ExerciseError
from rusfokus.exercises.store import Attempt, attempt_answers, history, load_draft, save_draft
from rusfokus.identity.revocation import ensure_not_revoked
from rusfokus.identity.web import Handler

log = logging.getLogger("rusfokus.exercises")
MAX_BODY = 64 * 1024
WAIT_SECONDS = 60.0
NOT_READY = "Opgaven er ikke klar lige nu. Kontakt din nøgleperson."

_graders: dict[Path, Grader] = {}
_graders_lock = threading.Lock()


def grading_options(settings) -> dict:
    """The Grader's settings (retries, back-off, gradebook), from the server's Settings."""
    return {
        "retries": settings.grade_retries,
        "retry_seconds": settings.grade_retry_seconds,
        "gradebook_db": settings.gradebook_db,
        "progress": progress_options(settings),
        "worker": getattr(settings, "grade_worker", True),
        "copy_name": getattr(settings, "copy_name", ""),
        "content_dir": settings.content_dir,
    }


def progress_options(settings) -> dict:
    """What ``progress.hooks.on_graded`` needs after a grading: the progress database, how long a
    kursusbevis is valid and the server's secret (to refuse an erased identity)."""
    return {
        "db_url": settings.db_url,
        "certificate_months": settings.certificate_months,
        "secret": identity.load_secret(settings.secret_file),
    }


def get_grader(course_dir: Path, **options) -> Grader:
    """The process' one grading queue for a course folder (created on first use, with ``options``)."""
    course_dir = Path(course_dir).resolve()
    with _graders_lock:
        if course_dir not in _graders:
            _graders[course_dir] = Grader(course_dir, **options)
        return _graders[course_dir]


def shutdown(settings=None) -> None:
    """Server stop: let each grading queue finish the hand-in in hand and stop its spare kernel."""
    with _graders_lock:
        graders = list(_graders.values())
        _graders.clear()
    for grader in graders:
        grader.close()


def check_not_revoked(email: str, db_url: str | None, secret: bytes) -> str:
    """The learner, or IdentityError (Danish) if the person was erased under GDPR."""
    return ensure_not_revoked(email, db_url, secret=secret)


class _LearnerApi(Handler):
    """JSON only; the learner from the ``Authorization: Bearer`` token (never a cookie: no CSRF possible)."""

    API = True

    def initialize(self, course_dir: Path, db_url: str | None = None, grading: dict | None = None, settings=None):
        self.course_dir = Path(course_dir)
        self.db_url = db_url
        self.rf = settings
        self.grading = grading or {}

    def reply(self, status: int, body: dict) -> None:
        self.reply_json(body, status)

    def bearer_learner(self) -> str | None:
        """The learner of the signed Bearer token (revocation checked), or None after a 403 reply."""
        auth = self.request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.startswith("Bearer ") else None
        try:
            secret = identity.load_secret(self.rf.secret_file)
            email = identity.verify("learner", token, max_age=identity.LEARNER_MAX_AGE, secret=secret)
            return check_not_revoked(email, self.db_url, secret)
        except identity.IdentityError as exc:
            self.reply(403, {"status": "fejl", "fejl": str(exc)})
            return None

    def opgave_and_answers(self, too_big: str, unreadable: str) -> tuple[str, object] | None:
        """``(opgave, svar)`` from the JSON body, or None after replying 413/400 with the Danish text."""
        if len(self.request.body) > MAX_BODY:
            self.reply(413, {"status": "fejl", "fejl": too_big})
            return None
        try:
            body = json.loads(self.request.body.decode("utf-8"))
            opgave, answers = body["opgave"], body["svar"]
            if not isinstance(opgave, str):
                raise TypeError
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            self.reply(400, {"status": "fejl", "fejl": unreadable})
            return None
        return opgave, answers


class SubmitHandler(_LearnerApi):
    async def post(self):
        email = self.bearer_learner()
        if email is None:
            return
        read = self.opgave_and_answers(
            "Din besvarelse er for stor til at blive gemt.",
            "Besvarelsen kunne ikke læses. Genindlæs siden og prøv igen.",
        )
        if read is None:
            return
        opgave, answers = read
        grader = get_grader(self.course_dir, **self.grading)
        try:
            attempt, future = grader.submit(email, opgave, answers)
        except AlreadyPending as exc:  # a second click: not queued again
            return self.reply(
                409, {"status": "afventer", "fejl": str(exc), "stamp": exc.attempt.stamp if exc.attempt else None}
            )
        except AnswerError as exc:
            return self.reply(400, {"status": "fejl", "fejl": str(exc), "spoergsmaal": exc.question})
        except (ExerciseError, BuildError) as exc:
            log.error("hand-in refused for %s: %s", opgave, exc)
            return self.reply(503, {"status": "fejl", "fejl": NOT_READY})
        log.info("hand-in %s/%s %s queued", attempt.student, opgave, attempt.stamp)
        try:
            result = await asyncio.wait_for(asyncio.wrap_future(future), WAIT_SECONDS)
        except GradingFailed:  # given up after retries; the reason is in `rusfokus grade --failed`
            return self.reply(500, {"status": "fejl", "fejl": FAILED_MESSAGE, "stamp": attempt.stamp})
        except Exception as exc:  # timeout, or a retry is waiting: the attempt stays pending on disk
            log.warning("hand-in %s/%s %s not graded yet: %s", attempt.student, opgave, attempt.stamp, exc)
            return self.reply(202, {"status": "afventer", "stamp": attempt.stamp})
        self.reply(200, {"status": "rettet", "stamp": attempt.stamp, "resultat": result})


class DraftHandler(_LearnerApi):
    def post(self):
        email = self.bearer_learner()
        if email is None:
            return
        read = self.opgave_and_answers(
            "Din kladde er for stor til at blive gemt.", "Din kladde kunne ikke læses. Genindlæs siden."
        )
        if read is None:
            return
        opgave, svar = read
        try:
            ex = exercise(opgave, self.rf.content_dir)
        except ExerciseError as exc:
            log.error("draft refused for %s: %s", opgave[:60], exc)
            return self.reply(503, {"status": "fejl", "fejl": NOT_READY})
        try:
            saved = save_draft(self.course_dir, email, ex, svar)
        except AnswerError as exc:
            return self.reply(400, {"status": "fejl", "fejl": str(exc), "spoergsmaal": exc.question})
        self.reply(200, {"status": "gemt", "gemt": saved["gemt"]})


class StatusHandler(_LearnerApi):
    def get(self):
        email = self.bearer_learner()
        if email is None:
            return
        opgave = self.get_query_argument("opgave", "")
        if not opgave.replace("-", "").isalnum() or len(opgave) > 60:
            return self.reply(400, {"status": "fejl", "fejl": "Ukendt opgave."})
        rows = history(self.course_dir, email, opgave)
        latest = next((r["result"] for r in reversed(rows) if r["result"]), None)
        if latest and latest.get("pending_manual") and rows[-1]["result"] is latest:
            latest = refresh_manual(self.course_dir, email, latest, self.grading.get("gradebook_db", ""))
        self.reply(
            200,
            {
                "status": "ok",
                "forsoeg": [
                    {
                        "stamp": r["stamp"],
                        "afventer": r["pending"],
                        "fejlet": r["failed"],
                        "pct": r["result"]["pct"] if r["result"] else None,
                        "bestaaet": r["result"]["passed"] if r["result"] else None,
                    }
                    for r in rows
                ],
                "seneste": latest,
                **self._draft_and_answers(email, opgave, latest),
            },
        )

    def _draft_and_answers(self, email: str, opgave: str, latest: dict | None) -> dict:
        """Her draft, and the answers of the hand-in the latest result grades (for marks in place)."""
        try:
            ex = exercise(opgave, self.rf.content_dir)
        except ExerciseError:
            return {"kladde": None, "afleveret_svar": None}
        answers = None
        if latest and latest.get("stamp"):
            answers = attempt_answers(Attempt(self.course_dir, email, ex.id, latest["stamp"]), ex)
        return {"kladde": load_draft(self.course_dir, email, ex), "afleveret_svar": answers}


def routes(settings) -> list[tuple]:
    db_url = getattr(settings, "db_url", None)
    kw = {
        "settings": settings,
        "course_dir": Path(settings.course_dir),
        "db_url": db_url,
        "grading": grading_options(settings),
    }
    return [
        (r"/api/opgave/aflever", SubmitHandler, kw),
        (r"/api/opgave/status", StatusHandler, kw),
        (r"/api/opgave/kladde", DraftHandler, kw),
    ]


def startup(settings) -> None:
    """Called by `rusfokus serve` once the server runs: warm up and grade what is pending."""
    grader = get_grader(Path(settings.course_dir), **grading_options(settings))
    grader.warm_up()
    queued = grader.enqueue_pending()  # a crash or kill -9 leaves hand-ins pending on disk
    if queued:
        log.info("queued %d pending hand-in(s) for grading", len(queued))
