"""The outbox: one event per result, in the caller's transaction, idempotent on (kind, ref)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from rusfokus.db import Base, make_engine, session_scope
from rusfokus.migrations import upgrade
from rusfokus.outbox import OutboxError, emit
from rusfokus.outbox.models import OutboxEvent
from rusfokus.progress.hooks import record_result
from rusfokus.progress.models import Completion

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

AT = dt.datetime(2027, 3, 1, 10, 0)


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path}/rf.db"
    upgrade(url)
    return url


def _events(url):
    with session_scope(url) as s:
        return [(e.kind, e.ref, e.module, e.score, e.max_score, e.passed) for e in s.scalars(select(OutboxEvent))]


def test_record_result_emits_one_event_per_result(db):
    with session_scope(db) as s:
        record_result(s, "Anna.Test@Kommune.dk", "m1", 8, 10, True, AT, 24, secret=TEST_SECRET)
    with session_scope(db) as s:  # the grading worker resends the same result: nothing new
        record_result(s, "anna.test@kommune.dk", "m1", 8, 10, True, AT, 24, secret=TEST_SECRET)
        record_result(s, "anna.test@kommune.dk", "m1", 3, 10, False, AT + dt.timedelta(hours=1), 24, secret=TEST_SECRET)
    events = _events(db)
    assert [(k, m, sc, mx, p) for k, _r, m, sc, mx, p in events] == [
        ("passed", "m1", 8.0, 10.0, True),
        ("failed", "m1", 3.0, 10.0, False),
    ]
    with session_scope(db) as s:
        uids = list(s.scalars(select(OutboxEvent.uid)))
    assert len(set(uids)) == 2 and all(len(u) == 36 for u in uids)


def test_event_exists_exactly_when_the_result_does(db):
    with pytest.raises(RuntimeError), session_scope(db) as s:
        record_result(s, "bo@kommune.dk", "m2", 9, 10, True, AT, 24, secret=TEST_SECRET)
        raise RuntimeError("the caller fails after recording")
    assert _events(db) == []
    with session_scope(db) as s:
        assert s.scalar(select(func.count()).select_from(Completion)) == 0


def test_emit_is_idempotent_and_refuses_bad_input(db):
    with session_scope(db) as s:
        pid = record_result(s, "cy@kommune.dk", "m3", 1, 10, False, AT, 24, secret=TEST_SECRET)["person_id"]
        first = emit(s, kind="renewed", person_id=pid, module="m3", occurred_at=AT, ref="renew:1")
        again = emit(s, kind="renewed", person_id=pid, module="m3", occurred_at=AT, ref="renew:1")
        assert first.id == again.id and first.uid == again.uid
        aware = emit(
            s, kind="attended", person_id=pid, module="m3", occurred_at=AT.astimezone(dt.UTC), ref="temadag:1:1:m3"
        )
        assert aware.occurred_at.tzinfo is None
    bad = [
        dict(kind="bestået"),
        dict(ref=""),
        dict(ref="x" * 201),
        dict(module=""),
        dict(person_id=0),
        dict(person_id="1"),
        dict(occurred_at="2027-03-01"),
        dict(score=float("nan")),
        dict(score=-1),
        dict(passed="yes"),
        dict(module="m4", ref="renew:1", kind="renewed"),  # same ref, another result
    ]
    for change in bad:
        args = dict(kind="passed", person_id=pid, module="m3", occurred_at=AT, ref="bad:1") | change
        with pytest.raises(OutboxError), session_scope(db) as s:
            emit(s, **args)
    assert len(_events(db)) == 3


def test_model_matches_migration(db):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from rusfokus.migrations import alembic_config

    with make_engine(db).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diff if "outbox_" in repr(d)] == []
    command.downgrade(alembic_config(db), "0010_effekt")
    assert "outbox_event" not in inspect(make_engine(db)).get_table_names()
    command.upgrade(alembic_config(db), "head")
    assert {"outbox_event", "outbox_delivery"} <= set(inspect(make_engine(db)).get_table_names())


def test_temadag_attendance_emits_one_attended_event_per_module(db):
    from rusfokus.progress.hooks import find_or_create_person
    from rusfokus.temadag import planning, store

    raw = {
        "title": "Børn og alkohol",
        "date": "2027-03-11",
        "start": "09:00",
        "duration_min": "180",
        "place": "Rådhuset",
        "modules": "opsporing,bekymringssamtale",
        "facilitator": "Pia Nøgleperson",
        "institutions": "Vestskolen",
        "counts_toward_module": "ja",
    }
    with session_scope(db) as s:
        row = store.create(s, planning.validate_plan(raw), "admin", AT)
        person = find_or_create_person(s, "dora.test@kommune.dk", AT)
        store.check_in(s, row, person, "liste", AT, 24)
        store.check_in(s, row, person, "liste", AT + dt.timedelta(minutes=5), 24)  # ticked twice: same attendance
        pending = store.check_in_pending(s, row, None, "Eva", "eva@kommune.dk", "kode", AT)
        tid, pid = row.id, person.id
    events = _events(db)
    assert sorted((k, r, m, p) for k, r, m, _s, _mx, p in events) == [
        ("attended", f"temadag:{tid}:{pid}:bekymringssamtale", "bekymringssamtale", True),
        ("attended", f"temadag:{tid}:{pid}:opsporing", "opsporing", True),
    ]
    assert pending.status != "confirmed"  # a code check-in is not attendance until confirmed: no event
