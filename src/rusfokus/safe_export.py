"""One formula-safe way to write every spreadsheet file the product emits (.csv and .xlsx).

A spreadsheet program treats a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula, and a leading tab or carriage return can hide such a
start ("CSV/formula injection"): a name or an anonymous comment like
``=HYPERLINK("https://evil.example";"Klik")`` would become a live formula in
the municipality's report. So:

- **CSV**: such a text cell gets a leading apostrophe (``'=…``), the way a
  person would type it in Excel to keep it text (:func:`neutralise`,
  :class:`SafeCsvWriter`, :func:`safe_frame`).
- **.xlsx**: text is written as a string cell, never as a formula
  (:func:`set_text_cell` for openpyxl; XlsxWriter callers use
  ``write_string`` and ``strings_to_formulas=False``). No apostrophe is
  needed there: a string cell is never evaluated.

Numbers, dates and booleans are left alone (a negative number is a number,
not text).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet program read a text cell as a formula (or hide one)."""


def is_risky(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value):
    """A CSV cell value that no spreadsheet program runs as a formula.

    A carriage return inside text becomes a line feed: every CSV writer quotes
    a field with a line feed, but one that ends rows with ``\n`` leaves a lone
    ``\r`` unquoted, and Excel then splits the row there.
    """
    if not isinstance(value, str):
        return value
    if is_risky(value):
        value = "'" + value
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


class SafeCsvWriter:
    """``csv.writer`` whose rows are neutralised cell by cell."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def safe_frame(frame):
    """A copy of a pandas DataFrame with its text cells (and column names) neutralised, for ``to_csv``."""
    # lazy: loads pandas (~0.5 s); needed only here
    from pandas.api.types import is_object_dtype, is_string_dtype

    safe = frame.copy()
    for i in range(safe.shape[1]):
        column = safe.iloc[:, i]
        if is_object_dtype(column.dtype) or is_string_dtype(column.dtype):
            safe.isetitem(i, column.map(neutralise))
    safe.columns = [neutralise(c) for c in safe.columns]
    return safe


def set_text_cell(cell, value) -> None:
    """Put ``value`` in an openpyxl cell; text is a string cell even when it starts with ``=``."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def append_row(ws, values: Iterable) -> None:
    """``ws.append`` for openpyxl that never turns text into a formula."""
    values = list(values)
    ws.append(values)
    row = ws.max_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            ws.cell(row, column).data_type = "s"
