"""Report tables as pandas DataFrames with Danish headers.

``load_data(session)`` reads three small frames (people with organisation,
passed completions, newest certificate per person and module); the table
functions below are pure and work on a ``ReportData`` so they are tested on
a known dataset without a database. ``export.py`` writes them as .xlsx/CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
from sqlalchemy import String, extract, func, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from rusfokus.progress import MODULE_TITLES, module_title
from rusfokus.progress.certificates import SOON_DAYS
from rusfokus.progress.models import (
    STATUS_ACTIVE,
    Afdeling,
    Certificate,
    Completion,
    Forvaltning,
    Institution,
    Person,
)

DIMENSIONS = {
    "forvaltning": "Forvaltning",
    "afdeling": "Afdeling",
    "institution": "Institution",
    "faggruppe": "Faggruppe",
}
STAFF_COLUMNS = [
    "person_id",
    "name",
    "email",
    "institution",
    "afdeling",
    "forvaltning",
    "faggruppe",
    "noegleperson",
    "status",
]


@dataclass(frozen=True)
class ReportData:
    staff: pd.DataFrame  # STAFF_COLUMNS, every person (also fratrådt/slettet, for history counts)
    passes: pd.DataFrame  # person_id, module, month (year*12 + month-1), n (passes that month)
    certs: pd.DataFrame  # person_id, module, expires_on (datetime64; newest per person+module)
    modules: tuple[str, ...]
    attended: pd.DataFrame | None = None  # person_id, module (attended a temadag on it)

    def filtered(self, **criteria: str | None) -> ReportData:
        """Restrict to people where each given dimension equals the value (None/'' = all)."""
        staff = self.staff
        for column, value in criteria.items():
            if value:
                staff = staff[staff[column] == value]
        ids = staff["person_id"]
        attended = self.attended[self.attended["person_id"].isin(ids)] if self.attended is not None else None
        return replace(
            self,
            staff=staff,
            passes=self.passes[self.passes["person_id"].isin(ids)],
            certs=self.certs[self.certs["person_id"].isin(ids)],
            attended=attended,
        )

    @property
    def active(self) -> pd.DataFrame:
        return self.staff[self.staff["status"] == STATUS_ACTIVE]


def _raw(column):
    """Skip SQLAlchemy's per-row date parsing (slow for 100k rows): pandas parses the column at once."""
    return type_coerce(column, String)


def load_data(
    session: Session, modules: tuple[str, ...] | None = None, *, institution_id: int | None = None
) -> ReportData:
    """Everything the reports need; ``institution_id`` reads only that institution's people
    (the nøgleperson's status page), with the same frames and columns."""
    conn = session.connection()
    staff_query = (
        select(
            Person.id,
            Person.name,
            Person.email,
            Institution.name,
            Afdeling.name,
            Forvaltning.name,
            Person.faggruppe,
            Person.noegleperson,
            Person.status,
        )
        .join(Institution, Person.institution_id == Institution.id)
        .join(Afdeling, Institution.afdeling_id == Afdeling.id)
        .join(Forvaltning, Afdeling.forvaltning_id == Forvaltning.id)
    )
    month = extract("year", Completion.completed_at) * 12 + extract("month", Completion.completed_at) - 1
    passes_query = (
        select(Completion.person_id, Completion.module, month.label("month"), func.count().label("n"))
        .where(Completion.passed.is_(True))
        .group_by(Completion.person_id, Completion.module, literal_column("month"))
    )
    attended_query = select(Completion.person_id, Completion.module).distinct().where(Completion.kind == "temadag")
    certs_query = select(
        Certificate.person_id, Certificate.module, _raw(func.max(Certificate.expires_on)).label("expires_on")
    ).group_by(Certificate.person_id, Certificate.module)
    if institution_id is not None:
        ids = select(Person.id).where(Person.institution_id == institution_id)
        staff_query = staff_query.where(Person.institution_id == institution_id)
        passes_query = passes_query.where(Completion.person_id.in_(ids))
        attended_query = attended_query.where(Completion.person_id.in_(ids))
        certs_query = certs_query.where(Certificate.person_id.in_(ids))
    staff = pd.read_sql(staff_query, conn)
    staff.columns = STAFF_COLUMNS
    staff["noegleperson"] = staff["noegleperson"].astype(bool)
    passes = pd.read_sql(passes_query, conn)
    attended = pd.read_sql(attended_query, conn)
    certs = pd.read_sql(certs_query, conn)
    certs["expires_on"] = pd.to_datetime(certs["expires_on"], format="ISO8601").dt.normalize()
    passes["month"] = passes["month"].astype(int)
    if modules is None:
        seen = set(passes["module"].unique()) | set(certs["module"].unique())
        modules = tuple(MODULE_TITLES) + tuple(sorted(seen - set(MODULE_TITLES)))
    return ReportData(staff, passes, certs, tuple(modules), attended)


def _ts(day: date) -> pd.Timestamp:
    return pd.Timestamp(day)


def _by_person(data: ReportData, by: str) -> pd.Series:
    active = data.active
    return pd.Series(active[by].to_numpy(), index=active["person_id"].to_numpy())


def completion_table(data: ReportData, by: str, today: date | None = None) -> pd.DataFrame:
    """Per value of ``by`` and module: active staff, how many passed (ever) and hold a valid kursusbevis."""
    today = today or date.today()
    label = DIMENSIONS[by]
    unit_of = _by_person(data, by)
    headcount = unit_of.value_counts()
    done = data.passes[["person_id", "module"]].drop_duplicates()
    done = done.assign(unit=done["person_id"].map(unit_of)).dropna(subset=["unit"])
    valid = data.certs.loc[data.certs["expires_on"] >= _ts(today), ["person_id", "module"]]
    valid = valid.assign(unit=valid["person_id"].map(unit_of)).dropna(subset=["unit"])
    index = pd.MultiIndex.from_product([sorted(headcount.index), list(data.modules)], names=[by, "module"])
    table = pd.DataFrame(index=index).reset_index()
    table["Ansatte"] = table[by].map(headcount).astype(int)
    table["Gennemført"] = done.groupby(["unit", "module"]).size().reindex(index, fill_value=0).to_numpy()
    table["Gyldigt bevis"] = valid.groupby(["unit", "module"]).size().reindex(index, fill_value=0).to_numpy()
    table["Gennemført (%)"] = (100 * table["Gennemført"] / table["Ansatte"]).round(1)
    table["Gyldigt bevis (%)"] = (100 * table["Gyldigt bevis"] / table["Ansatte"]).round(1)
    table["module"] = table["module"].map(module_title)
    table = table.rename(columns={by: label, "module": "Modul"})
    return table[
        [label, "Modul", "Ansatte", "Gennemført", "Gennemført (%)", "Gyldigt bevis", "Gyldigt bevis (%)"]
    ].reset_index(drop=True)


def refresher_table(data: ReportData, today: date | None = None, soon_days: int = SOON_DAYS) -> pd.DataFrame:
    """Active people whose newest kursusbevis expires within ``soon_days`` days or has expired."""
    today = today or date.today()
    limit = _ts(today) + pd.Timedelta(days=soon_days)
    due = data.certs[data.certs["expires_on"] <= limit].merge(data.active, on="person_id")
    days = (due["expires_on"] - _ts(today)).dt.days.astype(int)
    out = pd.DataFrame(
        {
            "Navn": due["name"],
            "E-mail": due["email"],
            "Institution": due["institution"],
            "Afdeling": due["afdeling"],
            "Forvaltning": due["forvaltning"],
            "Faggruppe": due["faggruppe"],
            "Modul": due["module"].map(module_title),
            "Udløber": due["expires_on"].dt.date,
            "Dage til udløb": days,
            "Status": ["udløbet" if d < 0 else "udløber snart" for d in days],
        }
    )
    return out.sort_values(["Udløber", "Navn"], kind="stable").reset_index(drop=True)


def noegleperson_table(data: ReportData, today: date | None = None) -> pd.DataFrame:
    """Institutions with active staff but no current nøgleperson (active, flagged, valid kursusbevis)."""
    today = today or date.today()
    active = data.active
    org = ["forvaltning", "afdeling", "institution"]
    heads = active.groupby(org).size().rename("Ansatte").reset_index()
    keys = active[active["noegleperson"]]
    valid_ids = set(data.certs.loc[data.certs["expires_on"] >= _ts(today), "person_id"])
    keys = keys.assign(valid=keys["person_id"].isin(valid_ids))
    per_inst = keys.groupby(org).agg(n=("person_id", "size"), valid=("valid", "sum")).reset_index()
    table = heads.merge(per_inst, on=org, how="left").fillna({"n": 0, "valid": 0})
    table = table[table["valid"] == 0].copy()
    table["Årsag"] = ["Ingen nøgleperson" if n == 0 else "Nøgleperson uden gyldigt kursusbevis" for n in table["n"]]
    table = table.rename(columns={"forvaltning": "Forvaltning", "afdeling": "Afdeling", "institution": "Institution"})
    return table[["Forvaltning", "Afdeling", "Institution", "Ansatte", "Årsag"]].reset_index(drop=True)


def monthly_table(data: ReportData) -> pd.DataFrame:
    """Passed module exercises per month (all people, also those who have left or were deleted)."""
    passes = data.passes
    columns = [module_title(m) for m in data.modules]
    if passes.empty:
        return pd.DataFrame(columns=["Måned", *columns, "I alt"])
    table = passes.pivot_table(index="month", columns="module", values="n", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=list(data.modules), fill_value=0).astype(int)
    table.columns = columns
    table["I alt"] = table.sum(axis=1)
    table.index = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in table.index]
    table.index.name = "Måned"
    return table.sort_index().reset_index()


def temadag_table(data: ReportData, by: str = "forvaltning") -> pd.DataFrame:
    """Per value of ``by`` and module: active staff and how many attended a temadag on it."""
    label = DIMENSIONS[by]
    columns = [label, "Modul", "Ansatte", "Deltaget i temadag", "Deltaget (%)"]
    attended = data.attended if data.attended is not None else pd.DataFrame(columns=["person_id", "module"])
    active = data.active[["person_id", by]]
    if attended.empty or active.empty:
        return pd.DataFrame(columns=columns)
    headcount = active.groupby(by).size()
    came = attended[["person_id", "module"]].drop_duplicates().merge(active, on="person_id")
    counts = came.groupby([by, "module"]).size()
    table = counts.rename("Deltaget i temadag").reset_index()
    table["Ansatte"] = table[by].map(headcount).astype(int)
    table["Deltaget (%)"] = (100 * table["Deltaget i temadag"] / table["Ansatte"]).round(1)
    table["module"] = table["module"].map(module_title)
    table = table.rename(columns={by: label, "module": "Modul"})
    return table[columns].sort_values([label, "Modul"]).reset_index(drop=True)


def summary_table(data: ReportData, today: date | None = None) -> pd.DataFrame:
    today = today or date.today()
    active = data.active
    valid = data.certs[(data.certs["expires_on"] >= _ts(today)) & data.certs["person_id"].isin(active["person_id"])]
    rows = [
        ("Aktive medarbejdere", len(active)),
        ("Heraf nøglepersoner", int(active["noegleperson"].sum())),
        ("Medarbejdere med mindst ét gyldigt kursusbevis", valid["person_id"].nunique()),
        ("Gyldige kursusbeviser i alt", len(valid)),
        ("Rapportdato", today.strftime("%d-%m-%Y")),
    ]
    return pd.DataFrame(rows, columns=["Nøgletal", "Værdi"]).astype({"Værdi": object})


TABLE_TITLES = {
    "overblik": "Overblik",
    **{dim: f"Gennemført pr. {label.lower()}" for dim, label in DIMENSIONS.items()},
    "genopfriskning": "Genopfriskning",
    "noegleperson": "Mangler nøgleperson",
    "maaned": "Gennemført pr. måned",
    "temadag": "Temadage",
    **{
        # proof of effect (rusfokus.effekt.reports.effekt_tables; every group >= RUSFOKUS_EFFEKT_MIN_GROUP)
        "effekt_maaned": "Gennemførelse mod mål",
        "effekt_selvvurdering": "Selvvurdering før og efter",
        "effekt_udsagn": "Selvvurdering pr. udsagn",
        "effekt_praksis": "Praksis pr. kvartal",
        "effekt_praksis_gruppe": "Praksis pr. gruppe",
        "effekt_individuelle": "Individuelle svar",  # only with RUSFOKUS_EFFEKT_INDIVIDUAL_REPORTS=1
    },
}


def full_report(data: ReportData, today: date | None = None) -> dict[str, pd.DataFrame]:
    """Every table keyed by its id (see TABLE_TITLES for the Danish titles), in report order."""
    today = today or date.today()
    tables = {"overblik": summary_table(data, today)}
    for dim in DIMENSIONS:
        tables[dim] = completion_table(data, dim, today)
    tables["genopfriskning"] = refresher_table(data, today)
    tables["noegleperson"] = noegleperson_table(data, today)
    tables["maaned"] = monthly_table(data)
    tables["temadag"] = temadag_table(data)
    return tables
