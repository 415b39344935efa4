"""A fresh database on the session's PostgreSQL (``pg_server``'s port), migrated or empty."""

from __future__ import annotations

import psycopg

from rusfokus.migrations import upgrade


def fresh_database(port: int, name: str, migrate: bool = True) -> str:
    """Drop and create database ``name`` (one per test or module: SQLAlchemy engines are cached per URL); its URL,
    migrated to head unless ``migrate`` is false."""
    admin = psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True)
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
    if migrate:
        upgrade(url)
    return url
