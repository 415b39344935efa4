"""Temadag kit: planning, check-in, live mode and evaluation for nøglepersoner.

Pure logic lives in :mod:`codes`, :mod:`live`, :mod:`evaluation`,
:mod:`planning` and :mod:`questions`; database tables in :mod:`models`,
database operations in :mod:`store`, HTTP handlers in :mod:`web` and the
``rusfokus temadag`` command in :mod:`cli`.
"""
