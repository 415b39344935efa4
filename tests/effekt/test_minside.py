"""Where a learner meets the statements: Min side (a button while a question is due) and a passed hand-in."""

from __future__ import annotations

import datetime as dt

from rusfokus.apps.min_side import learner_overview, render
from rusfokus.apps.opgave import result_html
from rusfokus.db import session_scope
from rusfokus.effekt.minside import effekt_due
from rusfokus.effekt.selfefficacy import record_self_efficacy
from rusfokus.exercises.schema import load_exercise
from rusfokus.progress.models import Completion

from helpers.paths import ROOT

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

ANNA = "anna@eksempel-kommune.example"


def min_side(db_url):
    with session_scope(db_url) as s:
        overview = learner_overview(s, ANNA)
        overview["effekt"] = effekt_due(s, ANNA)  # as build_app does
    return render(overview)


def test_min_side_asks_before_the_first_module_then_after_a_pass(db_url, anna):
    page = min_side(db_url)
    assert "Hvor sikker er du?" in page and "før du går i gang med kurset" in page and 'href="/effekt/"' in page
    with session_scope(db_url) as s:
        record_self_efficacy(s, anna, phase="foer", module="opsporing", answers=[2, 3, 2])
    page = min_side(db_url)
    assert "Svar nu" not in page and "Se dine svar" in page
    with session_scope(db_url) as s:
        s.add(Completion(person_id=anna, module="opsporing", kind="modul", passed=True, score=9, max_score=10,
                         completed_at=dt.datetime(2026, 11, 1)))  # fmt: skip
    page = min_side(db_url)
    assert "Svar nu" in page and "efter modulet Opsporing" in page


def test_a_passed_hand_in_links_to_the_statements_a_failed_one_does_not():
    ex = load_exercise(ROOT / "modules" / "01-opsporing" / "data" / "opgave.yml")
    base = {"score": 9, "max_score": 10, "pct": 90, "bestaa_pct": 80, "questions": []}
    assert 'href="/effekt/"' in result_html({**base, "passed": True}, ex)
    assert "/effekt/" not in result_html({**base, "passed": False, "score": 2, "pct": 20}, ex)


def test_the_admin_sees_her_answers_on_the_dashboards_person_page(db_url, anna):
    from rusfokus.apps.dashboard_person import PersonPanel
    from rusfokus.effekt.counts import record_counts

    with session_scope(db_url) as s:
        record_self_efficacy(s, anna, phase="foer", module="opsporing", answers=[2, 3, 4], at=dt.datetime(2026, 5, 1))
        record_counts(s, anna, samtaler=6, henvisninger=2, at=dt.datetime(2026, 9, 1), round_ref="r1")
    panel = PersonPanel(db_url, "admin:test", "https://rusfokus.example", secret=TEST_SECRET)
    panel.show(anna)
    assert "Før første modul (01-05-2026): 1. 2 · 2. 3 · 3. 4" in panel.page.value
    assert "6 korte samtaler, 2 henvisninger" in panel.page.value
