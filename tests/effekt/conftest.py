"""Fixtures of the proof-of-effect tests: a migrated SQLite database of their own and fictional staff."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from rusfokus.db import make_engine, session_scope
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


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory):
    """One database migrated to head (Alembic takes about a second); each test gets a copy."""
    path = tmp_path_factory.mktemp("effekt-db") / "template.db"
    upgrade(f"sqlite:///{path}")
    make_engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def db_url(tmp_path, _migrated):
    target = tmp_path / "rusfokus.db"
    with sqlite3.connect(_migrated) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # also what the WAL holds
    return f"sqlite:///{target}"


@pytest.fixture
def anna(db_url):
    with session_scope(db_url) as s:
        return add_person(s, "Anna Aktiv", "anna@eksempel-kommune.example").id


def add_in(session, name, email, forvaltning, inst, faggruppe="Pædagog", noegleperson=False):
    institution = OrgCache(session).institution(forvaltning, "Afdeling", inst)
    p = Person(email=email, name=name, faggruppe=faggruppe, institution_id=institution.id,
               noegleperson=noegleperson, status="aktiv", created_at=NOW, updated_at=NOW)  # fmt: skip
    session.add(p)
    session.flush()
    return p


def trained(session, person, *, before=2, after=4, samtaler=3, henvisninger=1, when=dt.datetime(2026, 6, 1)):
    """A learner's whole path: baseline answers, module 1 passed, answers after it, one practice round."""
    from rusfokus.effekt.counts import record_counts
    from rusfokus.effekt.selfefficacy import record_self_efficacy
    from rusfokus.progress.models import Completion

    record_self_efficacy(session, person.id, phase="foer", module="opsporing", answers=[before] * 3, at=when)
    session.add(Completion(person_id=person.id, module="opsporing", kind="modul", passed=True, score=9,
                           max_score=10, completed_at=when + dt.timedelta(days=7)))  # fmt: skip
    session.flush()
    record_self_efficacy(session, person.id, phase="efter", module="opsporing", answers=[after] * 3,
                         at=when + dt.timedelta(days=7))  # fmt: skip
    record_counts(session, person.id, samtaler=samtaler, henvisninger=henvisninger,
                  at=when + dt.timedelta(days=40), round_ref=f"test:{person.id}:1")  # fmt: skip


def staff_groups(db_url, sizes: dict[str, int]) -> dict[str, list[int]]:
    """Fictional trained staff: ``sizes`` forvaltning -> people (each in its own institution 'Inst <forv>')."""
    out = {}
    with session_scope(db_url) as s:
        for forv, n in sizes.items():
            ids = []
            for i in range(n):
                slug = forv.lower().replace(" ", "-")
                p = add_in(
                    s, f"{forv} Person {i + 1}", f"{slug}.{i + 1}@eksempel-kommune.example", forv, f"Inst {forv}"
                )
                trained(s, p)
                ids.append(p.id)
            out[forv] = ids
    return out
