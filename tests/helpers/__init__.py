"""Helpers for the tests: plain functions and classes, imported as ``from helpers.x import y``.

``tests`` is on pytest's ``pythonpath`` (pyproject), so ``helpers`` is importable from every test
file. Fixtures stay in conftest.py files as thin wrappers around these helpers; tests never import
from conftest or from another test file.
"""
