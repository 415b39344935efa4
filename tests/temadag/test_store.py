"""Temadag database layer on a real (temporary) SQLite database migrated to head."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.migrations import upgrade
from rusfokus.progress.models import STATUS_ACTIVE, Certificate, Completion, Person
from rusfokus.progress.reports import load_data
from rusfokus.progress.staff import OrgCache
from rusfokus.temadag import evaluation, planning, store

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

NOW = dt.datetime(2027, 3, 11, 9, 5)


def add_person(session, name, email, inst="Børnehuset Solsikken"):
    institution = OrgCache(session).institution("Børn og Unge", "Dagtilbud", inst)
    p = Person(
        email=email,
        name=name,
        faggruppe="Pædagog",
        institution_id=institution.id,
        noegleperson=False,
        status=STATUS_ACTIVE,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(p)
    session.flush()
    return p


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'rusfokus.db'}"
    upgrade(url)
    with session_scope(url) as s:
        add_person(s, "Mette Hansen", "mette.hansen@eksempel.dk")
        add_person(s, "Ali Demir", "ali.demir@eksempel.dk")
        add_person(s, "Ali Demir", "ali.demir2@eksempel.dk", inst="Vestskolen")
        add_person(s, "Jens Berg", "jens.berg@eksempel.dk", inst="Jobcentret")
    return url


def make(session, **kw):
    raw = {
        "title": "Børn og alkohol",
        "date": "2027-03-11",
        "start": "09:00",
        "duration_min": "180",
        "place": "Rådhuset",
        "modules": "opsporing,bekymringssamtale",
        "facilitator": "Pia Nøgleperson",
        "institutions": "Børnehuset Solsikken, Vestskolen",
        "counts_toward_module": "ja",
        **kw,
    }
    return store.create(session, planning.validate_plan(raw), "admin", NOW)


def test_create_list_and_day_lookup(db):
    with session_scope(db) as s:
        row = make(s)
        make(s, date="2027-09-01", counts_toward_module="nej")
    with session_scope(db) as s:
        plans = store.list_plans(s, 2027)
        assert [p.date.month for p in plans] == [3, 9]
        assert plans[0].institutions == ("Børnehuset Solsikken", "Vestskolen")
        assert store.ids_on(s, dt.date(2027, 3, 11)) == [row.id]
        assert store.list_plans(s, 2028) == []
        assert [p.name for p in store.roster(s, store.get(s, row.id))] == ["Ali Demir", "Ali Demir", "Mette Hansen"]


def test_match_by_email_name_and_refusals(db):
    with session_scope(db) as s:
        row = make(s)
        assert (
            store.match_person(s, row, "", " Mette.Hansen@Eksempel.dk ", secret=TEST_SECRET)[0].name == "Mette Hansen"
        )
        assert (
            store.match_person(s, row, "mette  hansen", "", secret=TEST_SECRET)[0].email == "mette.hansen@eksempel.dk"
        )
        with pytest.raises(store.CheckinError, match="flere med det navn"):
            store.match_person(s, row, "Ali Demir", "", secret=TEST_SECRET)
        with pytest.raises(store.CheckinError, match="kan ikke finde"):
            store.match_person(s, row, "Jens Berg", "", secret=TEST_SECRET)  # not at an invited institution
        with pytest.raises(store.CheckinError, match="gyldig"):
            store.match_person(s, row, "", "ikke-en-mail", secret=TEST_SECRET)
        with pytest.raises(store.CheckinError, match="navn eller"):
            store.match_person(s, row, " ", "", secret=TEST_SECRET)
        people = s.scalars(select(Person)).all()
        # an e-mail not on the staff list is never turned into a person (issue 12, item 6)
        assert store.match_person(s, row, "Gæst Gæstesen", "gaest@andet.dk", secret=TEST_SECRET) == (
            None,
            "gaest@andet.dk",
            "Gæst Gæstesen",
        )
        assert s.scalars(select(Person)).all() == people


def test_check_in_records_attendance_in_progress_and_is_idempotent(db):
    with session_scope(db) as s:
        row = make(s)
        person = store.match_person(s, row, "", "mette.hansen@eksempel.dk", secret=TEST_SECRET)[0]
        p1 = store.check_in_pending(s, row, person, "", person.email, "kode", NOW)
        assert s.scalars(select(Completion)).all() == [] and s.scalars(select(Certificate)).all() == []
        assert store.attendance_rows(s) == [] and store.list_plans(s)[0].attended == 0
        p2 = store.check_in(s, row, person, "liste", NOW + dt.timedelta(minutes=5), 24)
        assert p1.id == p2.id and p2.status == "bekraeftet"
        assert store.check_in(s, row, person, "liste", NOW + dt.timedelta(minutes=6), 24).id == p1.id
        done = s.scalars(select(Completion).where(Completion.person_id == person.id)).all()
        assert sorted((c.module, c.kind, c.passed) for c in done) == [
            ("bekymringssamtale", "temadag", True),
            ("opsporing", "temadag", True),
        ]
        certs = s.scalars(select(Certificate).where(Certificate.person_id == person.id)).all()
        assert sorted(c.module for c in certs) == ["bekymringssamtale", "opsporing"]
        assert certs[0].expires_on == dt.date(2029, 3, 11)
        rows = store.attendance_rows(s)
        assert [(r["Navn"], r["Institution"], r["Hvordan"]) for r in rows] == [
            ("Mette Hansen", "Børnehuset Solsikken", "Kode/QR")
        ]
        data = load_data(s)
        assert set(data.certs[data.certs["person_id"] == person.id]["module"]) == {"opsporing", "bekymringssamtale"}


def test_attendance_not_counting_toward_module_and_uncheck(db):
    with session_scope(db) as s:
        row = make(s, counts_toward_module="nej")
        person = store.match_person(s, row, "", "ali.demir@eksempel.dk", secret=TEST_SECRET)[0]
        p = store.check_in(s, row, person, "liste", NOW, 24)
        assert all(not c.passed for c in s.scalars(select(Completion)).all())
        assert s.scalars(select(Certificate)).all() == []
        assert store.uncheck(s, row, p.id) is True
        assert s.scalars(select(Completion)).all() == [] and store.participants(s, row.id) == []
        assert store.uncheck(s, row, 999) is False


def test_evaluation_once_per_participant_and_anonymous(db):
    form = {key: "5" for key, _ in evaluation.QUESTIONS}
    with session_scope(db) as s:
        row = make(s)
        person = store.match_person(s, row, "", "mette.hansen@eksempel.dk", secret=TEST_SECRET)[0]
        p = store.check_in(s, row, person, "link", NOW, 24)
        store.add_evaluation(s, p, evaluation.parse_form({**form, "fritekst": "Godt"}), NOW.date())
        with pytest.raises(store.CheckinError, match="allerede"):
            store.add_evaluation(s, p, evaluation.parse_form(form), NOW.date())
        summary = store.evaluation_summary(s, row.id)
        assert summary["count"] == 1 and summary["comments"] == ["Godt"]
        assert summary["questions"][0]["mean"] == 5.0
        assert store.list_plans(s)[0].evaluations == 1 and store.list_plans(s)[0].attended == 1


def test_delete_only_without_participants(db):
    with session_scope(db) as s:
        row = make(s)
        other = make(s, date="2027-09-01")
        person = store.match_person(s, row, "", "mette.hansen@eksempel.dk", secret=TEST_SECRET)[0]
        store.check_in_pending(s, row, person, "", person.email, "kode", NOW)
        assert store.delete_temadag(s, row) is False
        assert store.delete_temadag(s, other) is True
        assert [p.id for p in store.list_plans(s)] == [row.id]
