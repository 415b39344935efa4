"""Every report of proof of effect keeps the minimum group size (groups of 1-6) and carries its charts:
the dashboard's data function (rusfokus.apps.dashboard.render_sections), the .xlsx report (read back with
openpyxl and as the file's own chart parts), and the report tables themselves."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook

from rusfokus.apps.dashboard import render_sections
from rusfokus.apps.dashboard_effekt import effekt_section
from rusfokus.db import session_scope
from rusfokus.effekt.aggregate import OTHERS
from rusfokus.effekt.reports import effekt_tables, load_effekt, manager_report
from rusfokus.progress.export import xlsx_bytes
from rusfokus.progress.reports import load_data
from rusfokus.settings import Settings

from .conftest import staff_groups

TODAY = dt.date(2026, 12, 1)


def settings(**kw):
    return Settings.from_env({"RUSFOKUS_ROOT": "."}, **kw)


@pytest.mark.parametrize("size", range(1, 7))
def test_tables_show_a_group_only_from_five_people(db_url, size):
    staff_groups(db_url, {"Stor": 6, "Lille": size})
    with session_scope(db_url) as s:
        data, effekt = load_data(s), load_effekt(s)
    tables = effekt_tables(data, effekt, by="forvaltning", today=TODAY)
    for key in ("effekt_selvvurdering", "effekt_praksis_gruppe"):
        frame = tables[key]
        assert (frame["Personer"] >= 5).all()
        labels = set(frame["Forvaltning"])
        assert ("Lille" in labels) == (size >= 5), (key, labels)
        assert "Stor" not in labels or size >= 5  # beside a too-small group, Stor is merged too (no subtraction)
        assert frame.loc[frame["Forvaltning"] == "I alt", "Personer"].item() == 6 + size
        if size < 5:
            assert set(frame["Forvaltning"]) == {OTHERS, "I alt"}
    se = tables["effekt_selvvurdering"].set_index("Forvaltning")
    assert (
        se.loc["I alt", "Før (gns.)"] == 2 and se.loc["I alt", "Efter (gns.)"] == 4 and se.loc["I alt", "Ændring"] == 2
    )
    # filtered down to the small forvaltning alone (as the dashboard's filter does): nothing under five
    only = data.filtered(forvaltning="Lille")
    small = effekt_tables(only, effekt.for_people(only.staff["person_id"]), by="institution", today=TODAY)
    for key, frame in small.items():
        assert frame.empty == (size < 5), key


SIZES = {f"G{n}": n for n in range(1, 7)}  # groups of 1 to 6 people side by side


@pytest.mark.slow  # measured >= 5 s
def test_dashboard_section_has_svg_charts_with_tables_and_keeps_groups_of_1_to_4_out(db_url):
    staff_groups(db_url, SIZES)
    with session_scope(db_url) as s:
        data, effekt = load_data(s), load_effekt(s)
    section = render_sections(data, "forvaltning", TODAY, effekt)["effekt"]
    assert section.count("<svg") == 3 and section.count('role="img"') == 3 and section.count("<desc") == 3
    assert section.count("<table") == 5  # every chart has its table (and two more tables)
    for name, n in SIZES.items():
        assert (f">{name}<" in section) == (n >= 5), name
    assert f">{OTHERS}<" in section
    for name, n in SIZES.items():  # filtered down to one forvaltning, as the dashboard's filter does
        only = data.filtered(forvaltning=name)
        small = effekt_section(only, effekt.for_people(only.staff["person_id"]), "institution", TODAY)
        assert ("<svg" in small) == (n >= 5) and (f"Inst {name}" in small) == (n >= 5), name


def test_dashboard_escapes_names_in_charts_and_tables(db_url):
    staff_groups(db_url, {"<script>alert(1)</script>": 5})
    with session_scope(db_url) as s:
        data, effekt = load_data(s), load_effekt(s)
    section = effekt_section(data, effekt, "forvaltning", TODAY)
    assert "<script>" not in section and "&lt;script&gt;" in section


def _chart_xml(xlsx: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        return {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")}


@pytest.mark.slow  # measured >= 5 s
def test_xlsx_carries_the_tables_and_native_charts_and_keeps_groups_of_1_to_4_out(db_url):
    staff_groups(db_url, SIZES)
    with session_scope(db_url) as s:
        tables = manager_report(s, settings(), {}, TODAY)
    data = xlsx_bytes(tables)
    wb = load_workbook(io.BytesIO(data))
    for sheet in ("Gennemførelse mod mål", "Selvvurdering før og efter", "Praksis pr. kvartal", "Praksis pr. gruppe"):
        assert sheet in wb.sheetnames
    assert "Individuelle svar" not in wb.sheetnames  # off by default
    rows = list(wb["Selvvurdering før og efter"].iter_rows(values_only=True))
    assert rows[0] == ("Forvaltning", "Personer", "Før (gns.)", "Efter (gns.)", "Ændring")
    assert [(r[0], r[1]) for r in rows[1:]] == [("G5", 5), ("G6", 6), (OTHERS, 10), ("I alt", 21)]
    practice = [(r[0], r[1]) for r in wb["Praksis pr. gruppe"].iter_rows(min_row=2, values_only=True)]
    assert practice == [("G5", 5), ("G6", 6), (OTHERS, 10), ("I alt", 21)]
    for sheet in wb.sheetnames:
        text = " ".join(str(c) for r in wb[sheet].iter_rows(values_only=True) for c in r)
        assert not any(f"G{n} Person" in text for n in range(1, 7)) or sheet == "Genopfriskning", sheet
    charts = _chart_xml(data)
    assert len(charts) == 5  # a native chart for each proof-of-effect table
    refs = " ".join(charts.values())
    assert "Gennemførelse mod mål" in refs and "prstDash" in refs  # the dashed target line
    with session_scope(db_url) as s:  # one group alone under five: the whole report has no answers
        for name, n in SIZES.items():
            only = manager_report(s, settings(), {"forvaltning": name}, TODAY)
            assert only["effekt_selvvurdering"].empty == (n < 5) and only["effekt_praksis"].empty == (n < 5)


def test_individual_sheet_only_when_the_municipality_turns_it_on(db_url):
    staff_groups(db_url, {"Stor": 2})
    with session_scope(db_url) as s:
        off = manager_report(s, settings(), {}, TODAY)
        on = manager_report(s, settings(effekt_individual_reports=True), {}, TODAY)
    assert "effekt_individuelle" not in off
    assert all("Stor Person" not in frame.to_string() for frame in off.values() if "Navn" not in frame.columns)
    wb = load_workbook(io.BytesIO(xlsx_bytes(on)))
    names = {r[0] for r in wb["Individuelle svar"].iter_rows(min_row=2, values_only=True)}
    assert names == {"Stor Person 1", "Stor Person 2"}


def test_completion_month_table_has_the_target_line(db_url):
    staff_groups(db_url, {"Stor": 6})
    with session_scope(db_url) as s:
        tables = manager_report(s, settings(effekt_target_pct=75.0), {}, TODAY)
    month = tables["effekt_maaned"].set_index("Måned")
    assert (month["Mål (%)"] == 75.0).all()
    assert month.loc["2026-06", "Beståede moduler"] == 6 and month.loc["2026-06", "Andel (%)"] == 100.0
    assert month.index[-1] == "2026-12" and month.loc["2026-12", "Beståede moduler"] == 0
    assert re.fullmatch(r"\d{4}-\d{2}", month.index[0])


def test_a_small_quarter_is_joined_so_totals_give_nothing_away(db_url):
    from rusfokus.effekt.counts import record_counts

    ids = staff_groups(db_url, {"Stor": 6})["Stor"]  # everyone reported in 2026 K3
    with session_scope(db_url) as s:
        for pid in ids[:2]:  # two report again in K4
            record_counts(s, pid, samtaler=50, henvisninger=5, at=dt.datetime(2026, 11, 1), round_ref="k4")
        data, effekt = load_data(s), load_effekt(s)
    tables = effekt_tables(data, effekt, by="forvaltning", today=TODAY)
    quarters, groups = tables["effekt_praksis"], tables["effekt_praksis_gruppe"]
    assert list(quarters["Kvartal"]) == ["2026 K3–2026 K4"] and (quarters["Personer"] >= 5).all()
    total = groups.loc[groups["Forvaltning"] == "I alt"]
    assert quarters["Samtaler i alt"].sum() == total["Samtaler i alt"].item() == 6 * 3 + 2 * 50


@pytest.mark.slow  # measured >= 5 s
def test_the_dashboard_widget_loads_answers_and_uses_the_group_size_setting(db_url):
    from rusfokus.apps.dashboard import Dashboard

    staff_groups(db_url, {"G5": 5, "G6": 6})
    dash = Dashboard(admin="konsulent", db_url=db_url, today=TODAY, settings=settings(db_url=db_url))
    dash.load()  # as the background thread does after the first paint
    section = dash.sections["effekt"].value
    assert section.count("<svg") == 3 and ">G5<" in section and ">G6<" in section
    strict = Dashboard(
        admin="konsulent", db_url=db_url, today=TODAY, settings=settings(db_url=db_url, effekt_min_group=6)
    )
    strict.load()
    section = strict.sections["effekt"].value
    # G5 is under six, so it joins Øvrige; Øvrige (5) is still under six, so G6 joins it too
    assert ">G5<" not in section and ">G6<" not in section and f">{OTHERS}<" in section
    strict.forvaltning.value = "G5"  # filtered down to five people: under the minimum of six, nothing
    assert "<svg" not in strict.sections["effekt"].value
