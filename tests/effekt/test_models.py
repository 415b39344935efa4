"""Migration 0010_effekt creates exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from rusfokus.db import Base, make_engine
from rusfokus.effekt import models  # noqa: F401


def test_model_matches_migration(db_url):
    with make_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diff if "effekt_" in repr(d)]
    assert mine == []
    tables = set(make_engine(db_url).dialect.get_table_names(make_engine(db_url).connect()))
    assert {"effekt_self_efficacy", "effekt_practice_count"} <= tables
