"""Write report tables as one formatted .xlsx (one sheet per table) or CSV files.

CSV is written the way Danish Excel reads it: UTF-8 with BOM, ``;`` between
fields, decimal comma. The .xlsx is written with XlsxWriter in constant-memory mode (openpyxl's
pure-Python XML writer took 4-5 s for a 10k-staff report): bold header row,
frozen header, auto filter, column widths, Danish date format.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import xlsxwriter

from rusfokus.progress.reports import TABLE_TITLES
from rusfokus.safe_export import safe_frame

HEADER_FILL = "1E466E"
# Native Excel charts beside a table (sheet keyed as in reports.TABLE_TITLES): the category column
# (a name, or 0 for the first column), the value columns, which of them is a dashed target line.
CHARTS = {
    "effekt_maaned": {"type": "line", "title": "Andel med mindst ét bestået modul mod målet (%)",
                      "cats": "Måned", "values": ["Andel (%)", "Mål (%)"], "dashed": ["Mål (%)"], "max": 100},
    "effekt_selvvurdering": {"type": "column", "title": "Selvvurdering før og efter (gennemsnit 1-5)",
                             "cats": 0, "values": ["Før (gns.)", "Efter (gns.)"], "max": 5},
    "effekt_udsagn": {"type": "bar", "title": "Selvvurdering pr. udsagn (gennemsnit 1-5)",
                      "cats": "Udsagn", "values": ["Før (gns.)", "Efter (gns.)"], "max": 5},
    "effekt_praksis": {"type": "column", "title": "Samtaler og henvisninger pr. person pr. kvartal",
                       "cats": "Kvartal", "values": ["Samtaler pr. person", "Henvisninger pr. person"]},
    "effekt_praksis_gruppe": {"type": "column", "title": "Samtaler og henvisninger pr. person",
                              "cats": 0, "values": ["Samtaler pr. person", "Henvisninger pr. person"]},
}  # fmt: skip
CHART_COLOURS = ("#1E466E", "#B35900")


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


def write_xlsx(tables: dict[str, pd.DataFrame], target) -> None:
    """Write ``tables`` (id → DataFrame) to ``target`` (path or binary file object)."""
    wb = xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "in_memory": False}
    )
    wb.set_properties({"title": "rusfokus – rapport over uddannelse", "author": "rusfokus"})
    head = wb.add_format(
        {
            "bold": True,
            "font_color": "#FFFFFF",
            "bg_color": "#" + HEADER_FILL,
            "text_wrap": True,
            "valign": "top",
            "border": 1,
        }
    )
    date_fmt = wb.add_format({"num_format": "dd-mm-yyyy"})
    pct_fmt = wb.add_format({"num_format": "0.0"})
    for key, frame in tables.items():
        ws = wb.add_worksheet(TABLE_TITLES.get(key, key)[:31])
        columns = [str(c) for c in frame.columns]
        for i, column in enumerate(columns):
            sample = frame.iloc[:200, i].astype(str).str.len().max() if len(frame) else 0
            fmt = (
                date_fmt
                if len(frame) and isinstance(frame.iloc[0, i], date)
                else (pct_fmt if column.endswith("(%)") else None)
            )
            ws.set_column(i, i, min(max(len(column), int(sample or 0)) + 2, 50), fmt)
            ws.write_string(0, i, column, head)
        ws.freeze_panes(1, 0)
        if columns:
            ws.autofilter(0, 0, max(len(frame), 1), len(columns) - 1)
        for r, row in enumerate(frame.itertuples(index=False, name=None), start=1):
            for c, value in enumerate(row):
                value = _cell_value(value)
                if value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(r, c, value)  # a string cell, never a formula
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                elif isinstance(value, (date, datetime)):
                    ws.write_datetime(
                        r,
                        c,
                        value if isinstance(value, datetime) else datetime(value.year, value.month, value.day),
                        date_fmt,
                    )
                else:
                    ws.write_string(r, c, str(value))
        if key in CHARTS and len(frame):
            _insert_chart(wb, ws, CHARTS[key], list(frame.columns), len(frame))
    wb.close()


def _insert_chart(wb, ws, spec: dict, columns: list, rows: int) -> None:
    """A native chart to the right of the table, over the table's own cells (so it follows the numbers)."""
    chart = wb.add_chart({"type": spec["type"]})
    cats = spec["cats"] if isinstance(spec["cats"], int) else columns.index(spec["cats"])
    for i, name in enumerate(spec["values"]):
        col = columns.index(name)
        colour = CHART_COLOURS[i % len(CHART_COLOURS)]
        series = {
            "name": [ws.name, 0, col],
            "categories": [ws.name, 1, cats, rows, cats],
            "values": [ws.name, 1, col, rows, col],
        }
        if spec["type"] == "line":
            series["line"] = {
                "color": colour,
                "width": 2.25,
                **({"dash_type": "dash"} if name in spec.get("dashed", ()) else {}),
            }
            if name not in spec.get("dashed", ()):
                series["marker"] = {"type": "circle", "size": 5, "fill": {"color": colour}, "border": {"color": colour}}
        else:
            series["fill"] = {"color": colour}
            series["data_labels"] = {"value": True}
        chart.add_series(series)
    chart.set_title({"name": spec["title"]})
    axis = {"min": 0, **({"max": spec["max"]} if "max" in spec else {})}
    (chart.set_x_axis if spec["type"] == "bar" else chart.set_y_axis)(axis)
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 640, "height": 320})
    ws.insert_chart(1, len(columns) + 1, chart)


def xlsx_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(tables, buffer)
    return buffer.getvalue()


def csv_text(frame: pd.DataFrame) -> str:
    """CSV for Danish Excel; text cells starting with = + - @, tab or CR are neutralised (``safe_export``)."""
    return safe_frame(frame).to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    Path(path).write_bytes(csv_text(frame).encode("utf-8-sig"))
