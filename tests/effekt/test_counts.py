"""The practice-count API the refresher loop calls (rusfokus.effekt.counts.record_counts)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from rusfokus.db import session_scope
from rusfokus.effekt.counts import MAX_PER_ROUND, counts_for, record_counts
from rusfokus.effekt.errors import EffektInputError
from rusfokus.effekt.models import PracticeCount

AT = dt.datetime(2026, 9, 1, 9, 30)


def n_rows(url):
    with session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(PracticeCount))


def test_a_round_is_stored_once_however_often_it_is_sent(db_url, anna):
    for _ in range(3):
        with session_scope(db_url) as s:
            record_counts(s, anna, samtaler=4, henvisninger=1, at=AT, round_ref="r1")
    assert n_rows(db_url) == 1
    with session_scope(db_url) as s:  # the learner corrects her numbers: the same row
        record_counts(s, anna, samtaler=5, henvisninger="2", at=AT, round_ref="r1")
        record_counts(s, anna, samtaler="0", henvisninger=0, at=AT + dt.timedelta(days=60), round_ref="r2")
    with session_scope(db_url) as s:
        got = [(c.round_ref, c.samtaler, c.henvisninger, c.at) for c in counts_for(s, anna)]
    assert got == [("r1", 5, 2, AT), ("r2", 0, 0, AT + dt.timedelta(days=60))]


def test_aware_time_is_stored_as_local_time(db_url, anna):
    aware = dt.datetime(2026, 9, 1, 8, 30, tzinfo=dt.UTC)
    with session_scope(db_url) as s:
        row = record_counts(s, anna, samtaler=1, henvisninger=0, at=aware, round_ref="r1")
        assert row.at == aware.astimezone().replace(tzinfo=None)


@pytest.mark.parametrize(
    ("kw", "field", "words"),
    [
        ({"samtaler": -1}, "samtaler", "mindre end 0"),
        ({"henvisninger": -3}, "henvisninger", "mindre end 0"),
        ({"samtaler": MAX_PER_ROUND + 1}, "samtaler", "Tjek tallet"),
        ({"henvisninger": 10_000}, "henvisninger", "Tjek tallet"),
        ({"samtaler": "tre"}, "samtaler", "helt tal"),
        ({"samtaler": 2.5}, "samtaler", "helt tal"),
        ({"samtaler": True}, "samtaler", "helt tal"),
        ({"henvisninger": ""}, "henvisninger", "Skriv 0"),
        ({"round_ref": ""}, "round_ref", "reference"),
        ({"round_ref": "x" * 101}, "round_ref", "reference"),
        ({"at": dt.datetime(2099, 1, 1)}, "at", "Datoen"),
        ({"at": "2027-02-01"}, "at", "Tidspunktet"),
    ],
)
def test_bad_input_is_refused_in_danish_and_nothing_is_written(db_url, anna, kw, field, words):
    args = {"samtaler": 3, "henvisninger": 1, "at": AT, "round_ref": "r1", **kw}
    with pytest.raises(EffektInputError) as err:
        with session_scope(db_url) as s:
            record_counts(s, anna, **args)
    assert err.value.field == field and words in err.value.message
    assert n_rows(db_url) == 0


def test_a_refused_correction_keeps_the_first_numbers(db_url, anna):
    with session_scope(db_url) as s:
        record_counts(s, anna, samtaler=4, henvisninger=1, at=AT, round_ref="r1")
    with pytest.raises(EffektInputError):
        with session_scope(db_url) as s:
            record_counts(s, anna, samtaler=4000, henvisninger=1, at=AT, round_ref="r1")
    with session_scope(db_url) as s:
        assert [(c.samtaler, c.henvisninger) for c in counts_for(s, anna)] == [(4, 1)]


def test_unknown_person_is_refused(db_url, anna):
    with pytest.raises(EffektInputError) as err:
        with session_scope(db_url) as s:
            record_counts(s, anna + 99, samtaler=1, henvisninger=0, at=AT, round_ref="r1")
    assert err.value.field == "person_id" and "nøgleperson" in err.value.message
    assert n_rows(db_url) == 0
