"""The shared grading queue's table and claims (rusfokus.exercises.queue), without servers or nbgrader.

SQLite: migration 0014 is valid (up, down, up) and the model matches it. PostgreSQL (real, the session's):
a taken job is invisible to a second copy, a learner's other hand-in waits while one of hers is graded,
a closed connection (a copy that died) gives the job back, and one pending hand-in per learner and exercise.
"""

from __future__ import annotations

import json
from datetime import timedelta

import psycopg
import pytest

from rusfokus.exercises import queue
from rusfokus.migrations import upgrade

from helpers.pg_database import fresh_database

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with


def _job(db_url: str, email: str, opgave: str, stamp: str) -> int:
    return queue.add_job(
        db_url,
        email=email,
        student=email.split("@")[0],
        opgave=opgave,
        stamp=stamp,
        answers={"q1": "a"},
        notebook="{}",
        received_by="test",
    )


@pytest.fixture
def pg_url(pg_server, request):
    return fresh_database(pg_server, "queue_" + request.node.name[5:40].replace("-", "_"))  # one per test


@pytest.mark.postgres
def test_claims_on_postgres_are_exclusive_per_job_and_per_learner(pg_url):
    first = _job(pg_url, "anna@eksempel-kommune.example", "opsporing", "20261202T100000.000000Z")
    second = _job(pg_url, "anna@eksempel-kommune.example", "unge-og-rusmidler", "20261202T100001.000000Z")
    other = _job(pg_url, "bo@eksempel-kommune.example", "opsporing", "20261202T100002.000000Z")
    with pytest.raises(queue.AlreadyQueued):
        _job(pg_url, "anna@eksempel-kommune.example", "opsporing", "20261202T100003.000000Z")

    copy_1 = queue.claim(pg_url)
    assert copy_1 is not None and copy_1.job.id == first
    copy_2 = queue.claim(pg_url)  # anna's other hand-in waits: nbgrader grades one per learner
    assert copy_2 is not None and copy_2.job.id == other
    assert queue.claim(pg_url) is None  # nothing else may be taken now

    copy_2.release()  # as a copy killed mid-grading: its transaction ends, the job is pending again
    copy_3 = queue.claim(pg_url)
    assert copy_3 is not None and copy_3.job.id == other

    copy_1.finish({"opgave": "opsporing", "passed": True}, "kopi-1")
    copy_4 = queue.claim(pg_url)  # anna is free again: her second hand-in
    assert copy_4 is not None and copy_4.job.id == second
    failures, given_up = copy_4.fail("kernel died", retries=1, delay_seconds=60)
    assert (failures, given_up) == (1, False)
    assert queue.claim(pg_url) is None  # waits for its back-off
    copy_3.finish({"opgave": "opsporing", "passed": False}, "kopi-3")
    done = queue.outcomes(pg_url, [first, second, other])
    assert set(done) == {first, other} and done[first].result == {"opgave": "opsporing", "passed": True}
    # an hour later the answers go; the row and its result stay (a late copy settles from it, never regrades)
    assert queue.forget_done(pg_url, timedelta(0)) == 2
    kept = queue.job_for(pg_url, "anna", "opsporing", "20261202T100000.000000Z")
    assert kept.answers == "{}" and kept.notebook is None and json.loads(kept.result)["passed"] is True


@pytest.mark.postgres
def test_a_given_up_job_is_put_back_by_retry_failed(pg_url):
    job_id = _job(pg_url, "dan@eksempel-kommune.example", "opsporing", "20261202T100000.000000Z")
    assert queue.claim(pg_url).fail("nbgrader did not start", retries=0, delay_seconds=0) == (1, True)
    assert queue.outcomes(pg_url, [job_id])[job_id].state == queue.FAILED and queue.claim(pg_url) is None
    assert queue.retry_failed(pg_url) == 1
    again = queue.claim(pg_url)
    assert again is not None and again.job.id == job_id and again.job.failures == 0
    again.release()


@pytest.mark.postgres
def test_a_dead_connection_gives_the_job_back(pg_url):
    job_id = _job(pg_url, "carl@eksempel-kommune.example", "opsporing", "20261202T100000.000000Z")
    taken = queue.claim(pg_url)
    assert taken is not None and taken.job.id == job_id
    pid = taken.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))  # the copy's connection is gone
    again = queue.claim(pg_url)
    assert again is not None and again.job.id == job_id
    again.release()
    taken.release()  # the dead copy's side: quiet


def test_her_queued_hand_ins_are_exported_and_erased_with_her(tmp_path):
    from datetime import datetime

    from sqlalchemy import select

    from rusfokus.db import session_scope
    from rusfokus.gdpr import delete_person, export_person
    from rusfokus.progress.models import Person

    url = f"sqlite:///{tmp_path / 'gdpr.db'}"
    upgrade(url)
    email, other = "dorte.fiktiv@eksempel-kommune.example", "erik.fiktiv@eksempel-kommune.example"
    now = datetime(2026, 12, 1, 9, 0)
    with session_scope(url) as s:
        s.add(Person(email=email, name="Dorte Fiktiv", created_at=now, updated_at=now))
    _job(url, email, "opsporing", "20261202T100000.000000Z")
    _job(url, other, "opsporing", "20261202T100001.000000Z")
    with session_scope(url) as s:
        [row] = export_person(s, email)["grading_queue"]
    assert row["opgave"] == "opsporing" and row["answers"] == {"q1": "a"} and row["state"] == "pending"
    with session_scope(url) as s:
        delete_person(s, email, secret=TEST_SECRET)
    with session_scope(url) as s:
        left = s.scalars(select(queue.GradingJob.email)).all()
        assert left == [other]
