"""Fixtures of the proof-of-effect tests: a migrated SQLite database of their own and fictional staff."""

from __future__ import annotations

import datetime as dt

import pytest

from rusfokus.db import session_scope
from rusfokus.migrations import upgrade
from rusfokus.progress.models import Person
from rusfokus.progress.staff import OrgCache

NOW = dt.datetime(2027, 3, 1, 10, 0)


def add_person(session, name, email, inst="Børnehuset Solsikken", faggruppe="Pædagog", noegleperson=False):
    institution = OrgCache(session).institution("Børn og Unge", "Dagtilbud", inst)
    p = Person(
        email=email,
        name=name,
        faggruppe=faggruppe,
        institution_id=institution.id,
        noegleperson=noegleperson,
        status="aktiv",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(p)
    session.flush()
    return p


@pytest.fixture
def db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'rusfokus.db'}"
    upgrade(url)
    return url


@pytest.fixture
def anna(db_url):
    with session_scope(db_url) as s:
        return add_person(s, "Anna Aktiv", "anna@eksempel-kommune.example").id
