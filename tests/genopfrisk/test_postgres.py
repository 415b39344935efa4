"""The loop on a real PostgreSQL 15: migration 0009 from empty, the mail queue's idempotent inserts, a round
taken all or nothing, a second taking of the same round refused, and the renewal."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os

import pytest
from sqlalchemy import func, select

from rusfokus.db import session_scope
from rusfokus.genopfrisk import loop
from rusfokus.genopfrisk.models import PracticeAnswer, PracticeLoop, PracticeRound
from rusfokus.mail.models import MailMessage
from rusfokus.migrations import upgrade
from rusfokus.progress.certificates import add_months, latest
from rusfokus.progress.hooks import record_result
from rusfokus.progress.models import Person

from helpers.mail import add_person
from helpers.postgres import PG_BIN, as_pg

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

pytestmark = pytest.mark.postgres
_counter = itertools.count()
EMAIL = "pg.fiktiv@eksempel-kommune.example"
PASSED = dt.datetime(2027, 1, 10, 9)


@pytest.fixture
def pg_settings(settings, pg_server):
    name = f"rf_genopfrisk_{os.getpid()}_{next(_counter)}"
    as_pg([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg_server), "-U", "postgres", name])
    url = f"postgresql+psycopg://postgres@127.0.0.1:{pg_server}/{name}"
    upgrade(url)
    return dataclasses.replace(settings, db_url=url)


def _form(content) -> dict:
    form = {"samtaler": "3", "henvisninger": "1"}
    for item in content.items:
        form[f"item-{item.id}"] = item.korrekt
    for n in range(1, len(content.statements) + 1):
        form[f"coach-{n}"] = "Hvad tænker du selv om det?"
    return form


def test_loop_on_postgres(pg_settings):
    s_ = pg_settings
    with session_scope(s_.db_url) as s:
        add_person(s, "Pg Fiktiv", EMAIL)
        record_result(s, EMAIL, "opsporing", 9, 10, True, PASSED, 24, secret=TEST_SECRET)
    for months in (1, 3, 6):
        now = dt.datetime.combine(add_months(PASSED.date(), months), dt.time(9))
        for _ in range(2):  # twice: nothing doubled
            with session_scope(s_.db_url) as s:
                loop.run(s, s_, now)
    with session_scope(s_.db_url) as s:
        assert s.scalar(select(func.count()).select_from(MailMessage)) == 3
        person = s.scalar(select(Person).where(Person.email == EMAIL))
        rounds = list(s.scalars(select(PracticeRound).join(PracticeLoop).order_by(PracticeRound.number)))
        pid, ids = person.id, [r.id for r in rounds]
    now = dt.datetime.combine(add_months(PASSED.date(), 6), dt.time(10))
    # bad input: nothing written
    with pytest.raises(loop.RoundInputError):
        with session_scope(s_.db_url) as s:
            person = s.get(Person, pid)
            content = loop.round_content(s, s_, person, ids[0], now.date())
            loop.take_round(s, s_, person, ids[0], {**_form(content), "samtaler": "-1"}, now)
    for rid in ids:
        with session_scope(s_.db_url) as s:
            person = s.get(Person, pid)
            form = _form(loop.round_content(s, s_, person, rid, now.date()))
        with session_scope(s_.db_url) as s:
            result = loop.take_round(s, s_, s.get(Person, pid), rid, form, now)
            assert all(r.correct for r in result.items)
        with pytest.raises(loop.RoundUnavailable):  # the same round again
            with session_scope(s_.db_url) as s:
                loop.take_round(s, s_, s.get(Person, pid), rid, form, now)
    with session_scope(s_.db_url) as s:
        assert s.scalar(select(func.count()).select_from(PracticeAnswer)) == 9
        assert latest(s, s.get(Person, pid), "opsporing").expires_on == add_months(now.date(), 24)
