"""Write report tables as one formatted .xlsx (one sheet per table) or CSV files.

CSV is written the way Danish Excel reads it: UTF-8 with BOM, ``;`` between
fields, decimal comma. The .xlsx uses openpyxl's write-only mode (fast for
large tables): bold header row, frozen header, auto filter, column widths.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from .reports import TABLE_TITLES

HEADER_FILL = "1E466E"


def _cell_value(value):
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "item") and not isinstance(value, (date, datetime)):
        return value.item()  # numpy scalar → Python
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _safe_text(value):
    # Cells starting with = + - @ would be formulas in Excel: keep them text (CSV/formula injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and len(value) > 1:
        return "'" + value
    return value


def write_xlsx(tables: dict[str, pd.DataFrame], target, *, title_suffix: str = "") -> None:
    """Write ``tables`` (id → DataFrame) to ``target`` (path or binary file object)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for key, frame in tables.items():
        ws = wb.create_sheet(title=TABLE_TITLES.get(key, key)[:31])
        ws.freeze_panes = "A2"
        columns = list(frame.columns)
        for i, column in enumerate(columns, start=1):
            sample = frame[column].head(200).astype(str).str.len().max() if len(frame) else 0
            width = min(max(len(str(column)), int(sample or 0)) + 2, 50)
            ws.column_dimensions[get_column_letter(i)].width = width
        if len(columns):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(frame) + 1, 1)}"
        header = []
        for column in columns:
            cell = WriteOnlyCell(ws, value=str(column))
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        ws.append(header)
        date_columns = [i for i, c in enumerate(columns) if frame[c].map(type).eq(date).any()] if len(frame) else []
        for row in frame.itertuples(index=False, name=None):
            values = [_safe_text(_cell_value(v)) for v in row]
            for i in date_columns:
                if isinstance(values[i], date):
                    cell = WriteOnlyCell(ws, value=values[i])
                    cell.number_format = "DD-MM-YYYY"
                    values[i] = cell
            ws.append(values)
    wb.save(target)


def xlsx_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(tables, buffer)
    return buffer.getvalue()


def csv_text(frame: pd.DataFrame) -> str:
    safe = frame.map(_safe_text) if len(frame) else frame
    return safe.to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    Path(path).write_bytes(csv_text(frame).encode("utf-8-sig"))
