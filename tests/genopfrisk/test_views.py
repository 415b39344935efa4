"""What managers and learners see of the loop: the dashboard section (minimum group size 5, names escaped)
and Min side's block of due rounds."""

from __future__ import annotations

import datetime as dt

from rusfokus.apps.dashboard_loop import loop_html
from rusfokus.genopfrisk import loop
from rusfokus.genopfrisk.loop import PersonLoop, RoundView
from rusfokus.genopfrisk.minside import practice_html

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

STATES = (loop.IN_LOOP, loop.DUE, loop.DROPPED, loop.DONE)


def people(institution: str, n: int, start: int, state=None) -> list[PersonLoop]:
    return [
        PersonLoop(
            start + i,
            f"Fiktiv {start + i}",
            institution,
            "Dagtilbud",
            "opsporing",
            state or STATES[i % 4],
            dt.date(2027, 2, 10),
        )
        for i in range(n)
    ]


def test_groups_of_one_to_six_no_group_under_five_is_shown():
    overview = []
    for n in range(1, 7):
        overview += people(f"Institution {n}", n, n * 100)
    rows, hidden = loop.group_rows(overview)
    # 5 and 6 stand alone; 1-4 (10 people) are merged into Øvrige
    assert [(r.institution, r.people) for r in rows] == [("Institution 5", 5), ("Institution 6", 6), ("Øvrige", 10)]
    assert hidden == 0 and all(r.people >= 5 for r in rows)
    assert rows[1].counts == {loop.DROPPED: 1, loop.DUE: 2, loop.IN_LOOP: 2, loop.DONE: 1}
    page = loop_html(overview)
    for n in range(1, 5):
        assert f"Institution {n}</th>" not in page
    assert "lagt sammen i Øvrige" in page
    # one group under 5 beside a big one: the big one gives its people to Øvrige until it holds 5
    rows, _ = loop.group_rows(people("A", 3, 1) + people("B", 6, 10))
    assert [(r.institution, r.people) for r in rows] == [("Øvrige", 9)]
    # fewer than 5 in all: nothing is counted
    for n in range(1, 5):
        rows, hidden = loop.group_rows(people("Lille", n, 1))
        assert rows == [] and hidden == n
        assert "Færre end 5 personer i alt" in loop_html(people("Lille", n, 1))


def test_a_person_counts_once_in_her_least_advanced_state():
    a = people("Børnehuset", 5, 1, state=loop.DONE)
    a.append(PersonLoop(1, "Fiktiv 1", "Børnehuset", "Dagtilbud", "bekymringssamtale", loop.DROPPED, None))
    (row,), hidden = loop.group_rows(a)
    assert row.people == 5 and row.counts[loop.DROPPED] == 1 and row.counts[loop.DONE] == 4 and hidden == 0


def test_names_are_escaped_and_only_due_or_dropped_are_named():
    overview = people("Skolen", 5, 1, state=loop.DONE)
    overview.append(PersonLoop(9, "<script>alert(1)</script>", "Skolen", "Skole", "opsporing", loop.DUE, None))
    overview.append(PersonLoop(10, "Fiktiv Færdig", "Skolen", "Skole", "opsporing", loop.DONE, None))
    page = loop_html(overview)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Fiktiv Færdig" not in page
    assert "Ingen er i genopfriskningen endnu" in loop_html([])


def test_min_side_block():
    assert practice_html([]) == ""
    r = RoundView(7, 2, 3, "opsporing", "Opsporing <b>", dt.date(2027, 4, 10), loop.OPEN, None)
    block = practice_html([r])
    assert 'href="/genopfrisk/runde/7"' in block and "runde 2 af 3" in block
    assert "Opsporing &lt;b&gt;" in block and "10. april 2027" in block


def test_min_side_shows_her_due_round(settings):
    from rusfokus.apps.min_side import learner_overview, render
    from rusfokus.db import session_scope
    from rusfokus.genopfrisk.minside import practice_rounds
    from rusfokus.progress.hooks import record_result

    from helpers.mail import add_person

    email = "mia.fiktiv@eksempel-kommune.example"
    passed = dt.datetime(2027, 1, 10, 9)
    with session_scope(settings.db_url) as s:
        add_person(s, "Mia Fiktiv", email)
        record_result(s, email, "opsporing", 9, 10, True, passed, 24, secret=TEST_SECRET)
        loop.run(s, settings, passed + dt.timedelta(days=40))
    for today, due in ((passed.date() + dt.timedelta(days=20), False), (passed.date() + dt.timedelta(days=40), True)):
        with session_scope(settings.db_url) as s:
            overview = learner_overview(s, email, today)
            overview["genopfrisk"] = practice_rounds(s, email, today)
        page = render(overview)
        assert ("Korte runder til dig" in page) is due
        assert ('href="/genopfrisk/runde/' in page) is due
