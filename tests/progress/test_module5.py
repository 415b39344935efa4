"""Module 5 (Unge og rusmidler) is known wherever modules are listed: a graded pass (the hook the grading
queue calls) gives a kursusbevis with its title; the reports, the dashboard, Min side and the demo data
list it (the demo history too); the dashboard's chart has a colour for it. Everything reads the module registry."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from rusfokus.apps.dashboard import Dashboard
from rusfokus.apps.min_side import learner_overview, render
from rusfokus.apps.views import MODULE_COLOURS
from rusfokus.content.registry import module, module_ids
from rusfokus.db import session_scope
from rusfokus.migrations import upgrade
from rusfokus.progress import MODULE_TITLES
from rusfokus.progress.certificates import certificate_pdf, verify
from rusfokus.progress.demo import load_demo
from rusfokus.progress.hooks import on_graded, record_result
from rusfokus.progress.models import Certificate, Completion, Person
from rusfokus.progress.reports import completion_table, full_report, load_data, monthly_table

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

M5 = "unge-og-rusmidler"
TITLE = "Unge og rusmidler"
TODAY = date(2026, 6, 1)
EMAIL = "ida.unge@eksempel-kommune.example"


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'rf.db'}"
    upgrade(url)
    with session_scope(url) as s:
        load_demo(s, n=40, seed=5, today=TODAY, secret=TEST_SECRET)
        record_result(s, EMAIL, M5, 13.0, 15.0, True, datetime(2026, 5, 2, 10, 0), 24, secret=TEST_SECRET)
    return url


def test_module_5_is_in_the_registry_and_the_titles():
    assert module(M5).title == TITLE and module(M5).order == 5 and module(M5).folder == "05-unge-og-rusmidler"
    assert list(MODULE_TITLES)[-1] == M5 and MODULE_TITLES[M5] == TITLE
    assert len(MODULE_COLOURS) >= len(module_ids()) and len(set(MODULE_COLOURS)) == len(MODULE_COLOURS)


def test_a_pass_gives_a_kursusbevis_for_module_5(url):
    with session_scope(url) as s:
        person = s.scalar(select(Person).where(Person.email == EMAIL))
        cert = s.scalar(select(Certificate).where(Certificate.module == M5, Certificate.person_id == person.id))
        assert cert is not None and cert.issued_on == date(2026, 5, 2)
        pdf = certificate_pdf(s, cert, kommune="Eksempel Kommune")
        v = verify(s, cert.code, today=TODAY)
    assert b"/Title (Kursusbevis - Unge og rusmidler)" in pdf
    assert v.module == M5 and f"module:    {TITLE} ({M5})" in v.lines()


def test_the_grading_hook_records_module_5(url):
    bo = "bo.unge@eksempel-kommune.example"
    on_graded(bo, M5, 12.0, 15.0, True, datetime(2026, 5, 3, 9, 0), db_url=url, secret=TEST_SECRET)
    with session_scope(url) as s:
        person = s.scalar(select(Person).where(Person.email == bo))
        done = s.scalars(select(Completion).where(Completion.person_id == person.id)).all()
        certs = s.scalars(select(Certificate).where(Certificate.person_id == person.id)).all()
    assert [(c.module, c.passed) for c in done] == [(M5, True)]
    assert [(c.module, c.issued_on) for c in certs] == [(M5, date(2026, 5, 3))]


def test_reports_and_dashboard_show_module_5(url):
    with session_scope(url) as s:
        data = load_data(s)
    assert data.modules == tuple(module_ids())
    assert (data.passes["module"] == M5).sum() > 1  # the demo history has module 5 too
    table = completion_table(data, "forvaltning", TODAY)
    assert TITLE in set(table["Modul"])
    assert TITLE in monthly_table(data).columns
    assert any(TITLE in frame.to_string() for frame in full_report(data, TODAY).values())
    dash = Dashboard(data, admin="konsulent", today=TODAY)
    assert (TITLE, M5) in dash.cert_module.options
    assert TITLE in dash.sections["gennemfoert"].value


def test_min_side_lists_module_5(url):
    with session_scope(url) as s:
        overview = learner_overview(s, EMAIL, TODAY)
    page = render(overview)
    assert TITLE in page and "Bestået 02-05-2026" in page
