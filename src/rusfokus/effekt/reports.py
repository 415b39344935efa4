"""Proof of effect as report tables (pandas, Danish headers): the dashboard shows them with charts, the
.xlsx report carries them as sheets with native Excel charts.

Every table over answers goes through ``rusfokus.effekt.aggregate.aggregate`` (minimum group size,
RUSFOKUS_EFFEKT_MIN_GROUP, never below 5): no table or chart shows a group of fewer people. The one
exception is ``individual_table``, which the report carries only when the municipality has turned on
RUSFOKUS_EFFEKT_INDIVIDUAL_REPORTS (see README, "Proof of effect").

``load_effekt(session)`` reads the two small frames; the table functions are pure over them and
the staff frame of ``rusfokus.progress.reports.ReportData`` (already filtered by the dashboard).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from rusfokus.effekt.aggregate import MIN_GROUP, aggregate
from rusfokus.effekt.models import PHASE_AFTER, PHASE_BEFORE, PracticeCount, SelfEfficacy
from rusfokus.effekt.selfefficacy import ITEMS
from rusfokus.progress import module_title
from rusfokus.progress.models import STATUS_ACTIVE, Person
from rusfokus.progress.reports import DIMENSIONS, TABLE_TITLES, ReportData, full_report, load_data
from rusfokus.roles.status import institution_data

SE_COLUMNS = ["person_id", "module", "phase", "item1", "item2", "item3", "answered_at"]
PC_COLUMNS = ["person_id", "round_ref", "samtaler", "henvisninger", "at"]
TITLES = {key: title for key, title in TABLE_TITLES.items() if key.startswith("effekt_")}
HIDDEN_NOTE = "Grupper med færre end {n} personer er lagt sammen i Øvrige eller udeladt."


@dataclass(frozen=True)
class EffektData:
    se: pd.DataFrame  # SE_COLUMNS
    pc: pd.DataFrame  # PC_COLUMNS

    def for_people(self, ids) -> EffektData:
        ids = set(ids)
        return EffektData(self.se[self.se["person_id"].isin(ids)], self.pc[self.pc["person_id"].isin(ids)])


def load_effekt(session: Session, institution_id: int | None = None) -> EffektData:
    """Every self-efficacy answer and practice count (of one institution's people, if given)."""
    se_q = select(
        SelfEfficacy.person_id,
        SelfEfficacy.module,
        SelfEfficacy.phase,
        SelfEfficacy.item1,
        SelfEfficacy.item2,
        SelfEfficacy.item3,
        SelfEfficacy.answered_at,
    )
    pc_q = select(
        PracticeCount.person_id,
        PracticeCount.round_ref,
        PracticeCount.samtaler,
        PracticeCount.henvisninger,
        PracticeCount.at,
    )
    if institution_id is not None:
        ids = select(Person.id).where(Person.institution_id == institution_id)
        se_q, pc_q = se_q.where(SelfEfficacy.person_id.in_(ids)), pc_q.where(PracticeCount.person_id.in_(ids))
    se = pd.DataFrame(session.execute(se_q).all(), columns=SE_COLUMNS)
    pc = pd.DataFrame(session.execute(pc_q).all(), columns=PC_COLUMNS)
    se["answered_at"] = pd.to_datetime(se["answered_at"])
    pc["at"] = pd.to_datetime(pc["at"])
    return EffektData(se, pc)


def _active(staff: pd.DataFrame) -> pd.DataFrame:
    return staff[staff["status"] == STATUS_ACTIVE]


def _round(x: float) -> float:
    return round(float(x), 2)


def completion_month_table(
    data: ReportData, target_pct: float, today: date | None = None, min_size: int = MIN_GROUP, months: int = 24
) -> pd.DataFrame:
    """Per month (the last ``months``): passed modules that month, and the share of today's active staff
    who had passed at least one module by the month's end, beside the target share (the target line)."""
    today = today or date.today()
    columns = ["Måned", "Beståede moduler", "Medarbejdere med bestået modul", "Andel (%)", "Mål (%)"]
    active = _active(data.staff)
    if not aggregate(active.to_dict("records"), by=None, min_size=min_size):
        return pd.DataFrame(columns=columns)
    passes = data.passes[data.passes["person_id"].isin(set(active["person_id"]))]
    now = today.year * 12 + today.month - 1
    first_pass = passes.groupby("person_id")["month"].min()
    per_month = passes.groupby("month")["n"].sum()
    start = max(int(first_pass.min()) if len(first_pass) else now, now - months + 1)
    rows = []
    for m in range(start, now + 1):
        done = int((first_pass <= m).sum())
        rows.append(
            (
                f"{m // 12:04d}-{m % 12 + 1:02d}",
                int(per_month.get(m, 0)),
                done,
                round(100 * done / len(active), 1),
                float(target_pct),
            )
        )
    return pd.DataFrame(rows, columns=columns)


def _paired(staff: pd.DataFrame, se: pd.DataFrame) -> pd.DataFrame:
    """One row per active person with a baseline and at least one 'efter': her baseline and her newest
    'efter' (mean of the three items, and each item)."""
    se = se[se["person_id"].isin(set(_active(staff)["person_id"]))]
    if se.empty:
        return pd.DataFrame(
            columns=["person_id", "foer", "efter", "foer1", "foer2", "foer3", "efter1", "efter2", "efter3"]
        )
    se = se.assign(mean=se[["item1", "item2", "item3"]].mean(axis=1))
    before = se[se["phase"] == PHASE_BEFORE].sort_values("answered_at").groupby("person_id").first()
    after = se[se["phase"] == PHASE_AFTER].sort_values("answered_at").groupby("person_id").last()
    both = before.join(after, how="inner", suffixes=("_f", "_e"))
    return pd.DataFrame(
        {
            "person_id": both.index,
            "foer": both["mean_f"].to_numpy(),
            "efter": both["mean_e"].to_numpy(),
            **{f"foer{i}": both[f"item{i}_f"].to_numpy() for i in (1, 2, 3)},
            **{f"efter{i}": both[f"item{i}_e"].to_numpy() for i in (1, 2, 3)},
        }
    )


def selfefficacy_table(staff: pd.DataFrame, effekt: EffektData, by: str, min_size: int = MIN_GROUP) -> pd.DataFrame:
    """Per group of ``by`` (small groups merged into Øvrige) and in all: people who answered before their
    first module and after at least one, their mean before and after (1-5), and the change."""
    label = DIMENSIONS[by]
    columns = [label, "Personer", "Før (gns.)", "Efter (gns.)", "Ændring"]
    paired = _paired(staff, effekt.se).merge(_active(staff)[["person_id", by]], on="person_id")
    records = paired.to_dict("records")
    rows = []
    for group in [*aggregate(records, by=by, min_size=min_size), *aggregate(records, by=None, min_size=min_size)]:
        before = sum(r["foer"] for r in group.rows) / len(group.rows)
        after = sum(r["efter"] for r in group.rows) / len(group.rows)
        rows.append((group.label, group.n, _round(before), _round(after), _round(after - before)))
    return pd.DataFrame(rows, columns=columns)


def items_table(staff: pd.DataFrame, effekt: EffektData, min_size: int = MIN_GROUP) -> pd.DataFrame:
    """Each statement's mean before and after, over everyone who answered both (if they are enough)."""
    columns = ["Udsagn", "Personer", "Før (gns.)", "Efter (gns.)", "Ændring"]
    paired = _paired(staff, effekt.se)
    groups = aggregate(paired.to_dict("records"), by=None, min_size=min_size)
    if not groups:
        return pd.DataFrame(columns=columns)
    rows = []
    for i, text in enumerate(ITEMS, start=1):
        before, after = paired[f"foer{i}"].mean(), paired[f"efter{i}"].mean()
        rows.append((text, groups[0].n, _round(before), _round(after), _round(after - before)))
    return pd.DataFrame(rows, columns=columns)


def _quarter(ts: pd.Timestamp) -> str:
    return f"{ts.year} K{(ts.month - 1) // 3 + 1}"


def practice_quarter_table(staff: pd.DataFrame, effekt: EffektData, min_size: int = MIN_GROUP) -> pd.DataFrame:
    """Per quarter (by the round's date): people who reported, conversations and referrals in all and per
    person. A quarter with answers from fewer than ``min_size`` people is joined with the next (or the one
    before), e.g. "2026 K1–2026 K2"."""
    columns = ["Kvartal", "Personer", "Samtaler i alt", "Henvisninger i alt", "Samtaler pr. person",
               "Henvisninger pr. person"]  # fmt: skip
    pc = effekt.pc[effekt.pc["person_id"].isin(set(_active(staff)["person_id"]))]
    records = pc.assign(kvartal=[_quarter(t) for t in pc["at"]]).to_dict("records")
    rows = []
    for g in aggregate(records, by="kvartal", min_size=min_size, small="adjacent"):
        s, h = sum(r["samtaler"] for r in g.rows), sum(r["henvisninger"] for r in g.rows)
        rows.append((g.label, g.n, s, h, _round(s / g.n), _round(h / g.n)))
    return pd.DataFrame(rows, columns=columns)


def practice_group_table(staff: pd.DataFrame, effekt: EffektData, by: str, min_size: int = MIN_GROUP) -> pd.DataFrame:
    """Per group of ``by`` (small groups merged into Øvrige) and in all: practice counts reported."""
    label = DIMENSIONS[by]
    columns = [label, "Personer", "Samtaler i alt", "Henvisninger i alt", "Samtaler pr. person",
               "Henvisninger pr. person"]  # fmt: skip
    pc = effekt.pc.merge(_active(staff)[["person_id", by]], on="person_id")
    records = pc.to_dict("records")
    rows = []
    for g in [*aggregate(records, by=by, min_size=min_size), *aggregate(records, by=None, min_size=min_size)]:
        s, h = sum(r["samtaler"] for r in g.rows), sum(r["henvisninger"] for r in g.rows)
        rows.append((g.label, g.n, s, h, _round(s / g.n), _round(h / g.n)))
    return pd.DataFrame(rows, columns=columns)


def individual_table(staff: pd.DataFrame, effekt: EffektData) -> pd.DataFrame:
    """Every answer and count with the person's name: only for the admin, or in reports to managers
    when RUSFOKUS_EFFEKT_INDIVIDUAL_REPORTS is on."""
    people = staff.set_index("person_id")
    rows = []
    for r in effekt.se.itertuples():
        if r.person_id in people.index:
            p = people.loc[r.person_id]
            what = "Selvvurdering før" if r.phase == PHASE_BEFORE else "Selvvurdering efter"
            rows.append((p["name"], p["institution"], p["faggruppe"], what, module_title(r.module),
                         r.answered_at.date(), r.item1, r.item2, r.item3, None, None))  # fmt: skip
    for r in effekt.pc.itertuples():
        if r.person_id in people.index:
            p = people.loc[r.person_id]
            rows.append((p["name"], p["institution"], p["faggruppe"], "Praksis", "", r.at.date(), None, None, None,
                         r.samtaler, r.henvisninger))  # fmt: skip
    columns = ["Navn", "Institution", "Faggruppe", "Hvad", "Modul", "Dato", "Udsagn 1", "Udsagn 2", "Udsagn 3",
               "Samtaler", "Henvisninger"]  # fmt: skip
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["Navn", "Dato"], kind="stable").reset_index(drop=True) if len(out) else out


def effekt_tables(
    data: ReportData,
    effekt: EffektData,
    *,
    by: str = "forvaltning",
    target_pct: float = 80.0,
    min_size: int = MIN_GROUP,
    individual: bool = False,
    today: date | None = None,
) -> dict[str, pd.DataFrame]:
    """The proof-of-effect tables keyed like ``TITLES`` (report order); ``individual_table`` only if asked."""
    tables = {
        "effekt_maaned": completion_month_table(data, target_pct, today, min_size),
        "effekt_selvvurdering": selfefficacy_table(data.staff, effekt, by, min_size),
        "effekt_udsagn": items_table(data.staff, effekt, min_size),
        "effekt_praksis": practice_quarter_table(data.staff, effekt, min_size),
        "effekt_praksis_gruppe": practice_group_table(data.staff, effekt, by, min_size),
    }
    if individual:
        tables["effekt_individuelle"] = individual_table(data.staff, effekt)
    return tables


def manager_report(
    session: Session, settings, filters: dict | None = None, today: date | None = None
) -> dict[str, pd.DataFrame]:
    """The whole .xlsx/CSV report (``rusfokus report``, ``/admin/rapport.xlsx``): the progress tables and
    the proof-of-effect tables, with the municipality's group size, target and individual-report setting."""
    today = today or date.today()
    data = load_data(session).filtered(**(filters or {}))
    tables = full_report(data, today)
    effekt = load_effekt(session).for_people(data.staff["person_id"])
    tables.update(
        effekt_tables(
            data,
            effekt,
            target_pct=settings.effekt_target_pct,
            min_size=settings.effekt_min_group,
            individual=settings.effekt_individual_reports,
            today=today,
        )
    )
    return tables


def institution_effekt(session: Session, institution_id: int, min_size: int = MIN_GROUP) -> dict:
    """What a nøgleperson's status page may show of her institution's answers: aggregates of at least
    ``min_size`` people only (else ``None``), never a person's answers or counts."""
    data = institution_data(session, institution_id)
    effekt = load_effekt(session, institution_id)
    se = items_table(data.staff, effekt, min_size)
    pc = practice_group_table(data.staff, effekt, "institution", min_size)
    total = pc[pc["Institution"] == "I alt"] if len(pc) else pc
    return {
        "min_size": max(min_size, MIN_GROUP),
        "selvvurdering": (
            {
                "people": int(se["Personer"].iloc[0]),
                "items": [
                    {"text": r["Udsagn"], "before": r["Før (gns.)"], "after": r["Efter (gns.)"]}
                    for _, r in se.iterrows()
                ],
            }
            if len(se)
            else None
        ),
        "praksis": (
            {
                "people": int(total["Personer"].iloc[0]),
                "samtaler": float(total["Samtaler pr. person"].iloc[0]),
                "henvisninger": float(total["Henvisninger pr. person"].iloc[0]),
            }
            if len(total)
            else None
        ),
    }
