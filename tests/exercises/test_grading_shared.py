"""N copies of `rusfokus serve` share one grading queue in PostgreSQL (issue 19.3, its faults).

Real PostgreSQL 15 (the session's), real `rusfokus serve` processes sharing one course folder and one secret,
real nbgrader with its gradebook in PostgreSQL. Copy A only receives hand-ins (RUSFOKUS_GRADE_WORKER=0),
copy B grades. A hand-in through A is graded by B and A answers the learner; progress written by that
grading is read through B; a copy killed with kill -9 while it grades (held deterministically: the test locks
nbgrader's student table, so the grading waits after taking the job) leaves the job to another copy, and
the completion and its outbox event exist exactly once.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import psycopg
import pytest
from sqlalchemy import func, select

from rusfokus.db import session_scope
from rusfokus.exercises import queue
from rusfokus.exercises.course import _ensure_bin_on_path, build, student_id
from rusfokus.exercises.grading import Grader
from rusfokus.exercises.schema import answer_sheet, load_exercise
from rusfokus.exercises.store import save_attempt
from rusfokus.identity import LEARNER_COOKIE, learner_token
from rusfokus.outbox.models import OutboxEvent
from rusfokus.progress.models import Completion, Person

from helpers.course import CONTENT, built_course, exercise_file
from helpers.pg_database import fresh_database
from helpers.postgres import PG_BIN, as_pg
from helpers.server import start_server, stop_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

EX = load_exercise(exercise_file("opsporing"))
SECRET = b"delt-hemmelighed-for-alle-kopier-0123456789abcdef"


@pytest.fixture(scope="module")
def copies(pg_server, tmp_path_factory):
    """Copy A (receives only) and copy B (grades) on one PostgreSQL, one course folder, one secret."""
    # migrated once, before the copies start (each would migrate an empty database at the same time)
    db_url, gb_url = fresh_database(pg_server, "grading_shared"), fresh_database(pg_server, "grading_shared_gb", False)
    from nbgrader.api import Gradebook

    _ensure_bin_on_path()  # nbgrader runs `alembic` from PATH to create its gradebook
    with Gradebook(gb_url):  # nbgrader's schema, so the test can lock its student table
        pass
    tmp = tmp_path_factory.mktemp("grading-shared")
    course = tmp / "course"
    build(course, "opsporing", gb_url, content_dir=CONTENT)  # N copies: the exercise is built into the shared gradebook
    app = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import ipywidgets as w\nw.HTML('ok')")])
    app.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    app.metadata["rusfokus"] = {"title": "Lille"}
    (tmp / "widgets" / "lille").mkdir(parents=True)  # serve wants one app; this one is tiny
    nbformat.write(app, tmp / "widgets" / "lille" / "index.ipynb")
    (tmp / "book").mkdir()
    (tmp / "book" / "index.html").write_text('<!DOCTYPE html><html lang="da"><title>Kursus</title><p>Forside</p>')

    def start(name: str, worker: bool):
        home = tmp / name
        home.mkdir()
        (home / "secret.key").write_bytes(SECRET)  # one secret shared by every copy
        env = {
            "RUSFOKUS_DB": db_url,
            "RUSFOKUS_GRADEBOOK_DB": gb_url,
            "RUSFOKUS_COURSE_DIR": str(course),
            "RUSFOKUS_WIDGETS_DIR": str(tmp / "widgets"),
            "RUSFOKUS_COPY_NAME": name,
            "RUSFOKUS_GRADE_WORKER": "1" if worker else "0",
        }
        srv = start_server(tmp / "book", home, env)
        started.append(srv)
        return srv

    started: list = []
    a, b = start("kopi-a", False), start("kopi-b", True)
    yield {"a": a, "b": b, "start": start, "db": db_url, "gb": gb_url, "course": course}
    for srv in started:
        if srv.process.poll() is None:
            stop_server(srv, wait=False)


def hand_in(srv, email: str, right: bool = True, timeout: float = 120) -> tuple[int, dict]:
    body = json.dumps({"opgave": "opsporing", "svar": answer_sheet(EX, right)}).encode()
    req = urllib.request.Request(
        srv.url + "/api/opgave/aflever",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {learner_token(email, secret=SECRET)}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def get_json(srv, path: str, email: str) -> tuple[int, dict]:
    token = learner_token(email, secret=SECRET)
    req = urllib.request.Request(
        srv.url + path, headers={"Authorization": f"Bearer {token}", "Cookie": f"{LEARNER_COOKIE}={token}"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, json.loads(r.read())


def recorded(db_url: str, email: str) -> tuple[int, int]:
    """(completions, outbox events) of this learner in the shared database."""
    with session_scope(db_url) as s:
        person = s.scalar(select(Person).where(Person.email == email))
        if person is None:
            return 0, 0
        completions = s.scalar(select(func.count()).select_from(Completion).where(Completion.person_id == person.id))
        events = s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.person_id == person.id))
        return completions, events


def the_job(db_url: str, email: str) -> queue.GradingJob:
    with session_scope(db_url) as s:
        [job] = s.scalars(select(queue.GradingJob).where(queue.GradingJob.email == email)).all()
        return job


def wait_until_locked(db_url: str, email: str, timeout: float = 60) -> int:
    """The id of the learner's job once a copy holds its row (it is being graded)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(db_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as probe:
        while time.monotonic() < deadline:
            row = probe.execute("SELECT id FROM grading_job WHERE email = %s", (email,)).fetchone()
            if row is not None:
                try:
                    with probe.transaction():
                        probe.execute("SELECT id FROM grading_job WHERE id = %s FOR UPDATE NOWAIT", row)
                except psycopg.errors.LockNotAvailable:
                    return row[0]
            time.sleep(0.1)
    raise AssertionError(f"no copy took the job of {email} in {timeout} s")


def test_a_hand_in_through_a_is_graded_by_b_and_read_through_b(copies):
    a, b, db = copies["a"], copies["b"], copies["db"]
    email = "karla.fiktiv@eksempel-kommune.example"
    code, body = hand_in(a, email)
    assert code == 200 and body["status"] == "rettet" and body["resultat"]["passed"] is True, body
    job = the_job(db, email)
    assert (job.state, job.received_by, job.graded_by) == ("done", "kopi-a", "kopi-b")
    assert json.loads(job.result)["stamp"] == body["stamp"] and job.notebook is None
    assert recorded(db, email) == (1, 1)

    # progress written by that grading, read through B: her attempts and her test status
    code, status = get_json(b, "/api/opgave/status?opgave=opsporing", email)
    assert status["seneste"]["passed"] is True and [r["afventer"] for r in status["forsoeg"]] == [False]
    pdf = urllib.request.Request(
        b.url + "/api/progress/mine/kursusbevis/opsporing.pdf",
        headers={"Cookie": f"{LEARNER_COOKIE}={learner_token(email, secret=SECRET)}"},
    )
    with urllib.request.urlopen(pdf, timeout=30) as r:  # her kursusbevis, issued when B graded her pass
        assert r.status == 200 and r.read(5) == b"%PDF-"

    # a second hand-in of the same exercise while one waits is refused by the database, through any copy
    with session_scope(db) as s:
        s.add(
            queue.GradingJob(
                email=email,
                student=student_id(email),
                opgave="opsporing",
                stamp="20991231T000000.000000Z",
                notebook=None,
                not_before=job.created_at.replace(year=2099),  # never due: no copy takes it
                created_at=job.created_at,
            )
        )
    try:
        code, body = hand_in(b, email)
        assert code == 409 and body["stamp"] == "20991231T000000.000000Z", body
    finally:
        with session_scope(db) as s:
            s.query(queue.GradingJob).filter(queue.GradingJob.stamp == "20991231T000000.000000Z").delete()


def test_a_copy_killed_mid_grading_leaves_the_hand_in_to_another_copy_exactly_once(copies):
    a, b, db, gb = copies["a"], copies["b"], copies["db"], copies["gb"]
    email = "mads.fiktiv@eksempel-kommune.example"
    sid = student_id(email)
    gradebook = psycopg.connect(gb.replace("postgresql+psycopg", "postgresql"))
    gradebook.execute("LOCK TABLE student IN ACCESS EXCLUSIVE MODE")  # B's nbgrader will wait here
    reply: dict = {}
    learner = threading.Thread(target=lambda: reply.update(zip(("code", "body"), hand_in(a, email), strict=True)))
    learner.start()
    try:
        job_id = wait_until_locked(db, email)  # B (the only worker) took it and waits for the gradebook
        copies["start"]("kopi-c", True)  # another grading copy, up while B holds the job
        time.sleep(4 * 0.5)  # a few of C's polls: it must not take a job B holds
        assert wait_until_locked(db, email, timeout=1) == job_id and the_job(db, email).state == "pending"
        b.process.kill()  # kill -9 mid-grading
        b.process.wait(10)
    finally:
        gradebook.rollback()  # the gradebook answers again
        gradebook.close()
    learner.join(120)
    assert reply.get("code") == 200 and reply["body"]["status"] == "rettet", reply
    job = the_job(db, email)
    assert (job.state, job.received_by, job.graded_by) == ("done", "kopi-a", "kopi-c")
    assert recorded(db, email) == (1, 1)  # one completion, one outbox event
    attempts = sorted(p.name for p in (Path(copies["course"]) / "attempts" / sid / "opsporing").iterdir())
    assert len([n for n in attempts if n.endswith(".result.json")]) == 1
    assert not [n for n in attempts if n.endswith((".pending.json", ".failed.json"))], attempts


def test_grade_pending_puts_a_hand_in_from_before_the_shared_queue_in_it(copies):
    """A hand-in only on disk (handed in before the copies shared a queue): `rusfokus grade --pending` queues it,
    it is graded once (here or by a running copy) and recorded once."""
    a, db, course = copies["a"], copies["db"], copies["course"]
    email = "nina.fiktiv@eksempel-kommune.example"
    attempt = save_attempt(Path(course), email, EX, answer_sheet(EX, False))
    res = a.rusfokus("grade", "--pending", check=False, timeout=300)
    assert res.returncode == 0 and "graded 1 pending hand-in(s); 0 failed" in res.stdout, res.stdout + res.stderr
    job = the_job(db, email)
    assert job.state == "done" and job.stamp == attempt.stamp and json.loads(job.result)["passed"] is False
    assert recorded(db, email) == (1, 1)
    assert attempt.result_file.exists() and not attempt.is_pending


def test_a_postgres_restart_mid_grading_loses_nothing_and_grades_once(copies):
    """PostgreSQL restarts while a copy grades: its transaction is gone, it tries again once the database is
    back, and the learner waiting on copy A gets her result; one completion, one outbox event."""
    a, db, gb = copies["a"], copies["db"], copies["gb"]
    email = "ole.fiktiv@eksempel-kommune.example"
    gradebook = psycopg.connect(gb.replace("postgresql+psycopg", "postgresql"))
    gradebook.execute("LOCK TABLE student IN ACCESS EXCLUSIVE MODE")  # hold the grading after the job is taken
    data = gradebook.execute("SHOW data_directory").fetchone()[0]
    reply: dict = {}
    learner = threading.Thread(target=lambda: reply.update(zip(("code", "body"), hand_in(a, email), strict=True)))
    learner.start()
    wait_until_locked(db, email)
    log = str(Path(data).parent / "log")  # the server's output to its log, not to this pipe
    as_pg([str(PG_BIN / "pg_ctl"), "-D", data, "-l", log, "-m", "fast", "-w", "restart"], timeout=60)  # cuts all
    gradebook.close()
    learner.join(120)
    assert reply.get("code") == 200 and reply["body"]["status"] == "rettet", reply
    job = the_job(db, email)
    assert job.state == "done" and job.received_by == "kopi-a"
    assert recorded(db, email) == (1, 1)


def test_a_result_for_a_request_that_gave_up_settles_quietly_and_frees_the_learner(pg_server, tmp_path, caplog):
    """The learner's request waited its WAIT_SECONDS and answered 202 (asyncio cancels the hand-in's future); another
    copy then grades the job. This copy's result poll settles it: the result file, the learner free to hand in
    again, and no InvalidStateError (before 5be814a it was raised out of the poll and logged as a database outage).
    No server: this copy's Grader (not grading) and the other copy's claim, on PostgreSQL."""
    db_url = fresh_database(pg_server, "grading_gave_up")
    course = built_course(tmp_path / "course", "opsporing")
    email = "gitte.fiktiv@eksempel-kommune.example"
    grader = Grader(
        course,
        progress={"db_url": db_url, "secret": b"test-secret-k1-" * 4},
        worker=False,
        copy_name="kopi-a",
        poll_seconds=0.1,
        content_dir=CONTENT,
    )
    try:
        attempt, fut = grader.submit(email, "opsporing", answer_sheet(EX, True))
        assert fut.cancel()  # what asyncio.wait_for does to the wrapped future when the request answers 202
        taken = queue.claim(db_url)  # the other copy takes the job and grades it
        assert taken is not None and taken.job.stamp == attempt.stamp
        result = {"opgave": "opsporing", "stamp": attempt.stamp, "score": 3.0, "max_score": 3.0, "pct": 100.0}
        taken.finish(result, "kopi-b")
        deadline = time.monotonic() + 20
        while grader.waiting():
            assert time.monotonic() < deadline, "this copy never settled the hand-in"
            time.sleep(0.1)
        time.sleep(0.3)  # one more poll
        assert json.loads(attempt.result_file.read_text())["stamp"] == attempt.stamp and not attempt.is_pending
        problems = [r for r in caplog.records if r.levelno >= 30 and r.name.startswith("rusfokus")]
        assert problems == [], [(r.getMessage(), r.exc_text) for r in problems]
        again, fut2 = grader.submit(email, "opsporing", answer_sheet(EX, False))  # not AlreadyPending
        assert again.stamp != attempt.stamp and not fut2.done()
    finally:
        grader.close()
