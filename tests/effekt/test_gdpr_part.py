"""Proof of effect in GDPR: export lists her answers and counts, erasure deletes them (nobody else's),
and purge deletes everyone's older than the retention setting."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from rusfokus.db import session_scope
from rusfokus.effekt.counts import record_counts
from rusfokus.effekt.models import PracticeCount, SelfEfficacy
from rusfokus.effekt.selfefficacy import ITEMS, record_self_efficacy
from rusfokus.gdpr import delete_person, export_person, purge

from .conftest import add_person

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

ANNA, BO = "anna@eksempel-kommune.example", "bo@eksempel-kommune.example"


def rows(url, person_id=None):
    with session_scope(url) as s:
        out = []
        for model in (SelfEfficacy, PracticeCount):
            q = select(func.count()).select_from(model)
            if person_id is not None:
                q = q.where(model.person_id == person_id)
            out.append(s.scalar(q))
        return tuple(out)


def test_export_then_erase_only_hers(db_url):
    with session_scope(db_url) as s:
        anna, bo = add_person(s, "Anna Aktiv", ANNA).id, add_person(s, "Bo Berg", BO).id
        for pid in (anna, bo):
            record_self_efficacy(s, pid, phase="foer", module="opsporing", answers=[2, 3, 4],
                                 at=dt.datetime(2026, 5, 1))  # fmt: skip
            record_counts(s, pid, samtaler=3, henvisninger=1, at=dt.datetime(2026, 9, 1), round_ref="r1")
    with session_scope(db_url) as s:
        data = export_person(s, ANNA)
    assert data["self_efficacy"] == [
        {"module": "opsporing", "phase": "foer", "answered_at": "2026-05-01T00:00:00",
         "answers": {ITEMS[0]: 2, ITEMS[1]: 3, ITEMS[2]: 4}}
    ]  # fmt: skip
    assert data["practice_counts"] == [{"round": "r1", "at": "2026-09-01T00:00:00", "samtaler": 3, "henvisninger": 1}]
    assert list(data).index("self_efficacy") < list(data).index("note")
    with session_scope(db_url) as s:
        delete_person(s, ANNA, "cli:test", secret=TEST_SECRET)
    assert rows(db_url, anna) == (0, 0) and rows(db_url, bo) == (1, 1)


def test_purge_deletes_answers_older_than_the_retention(db_url):
    now = dt.datetime(2029, 6, 1)
    with session_scope(db_url) as s:
        anna = add_person(s, "Anna Aktiv", ANNA).id
        record_self_efficacy(s, anna, phase="foer", module="opsporing", answers=[2, 2, 2], at=dt.datetime(2026, 5, 1))
        record_counts(s, anna, samtaler=1, henvisninger=0, at=dt.datetime(2026, 5, 2), round_ref="gammel")
        record_counts(s, anna, samtaler=2, henvisninger=1, at=dt.datetime(2026, 11, 1), round_ref="ny")
    with session_scope(db_url) as s:
        purge(s, 12, now=now, dry_run=True, effekt_retention_months=36, secret=TEST_SECRET)
    assert rows(db_url) == (1, 2)  # a dry run deletes nothing
    with session_scope(db_url) as s:
        purge(s, 12, now=now, effekt_retention_months=36, secret=TEST_SECRET)  # cut-off 2026-06-01
    assert rows(db_url) == (0, 1)
    with session_scope(db_url) as s:
        assert s.scalar(select(PracticeCount.round_ref)) == "ny"
