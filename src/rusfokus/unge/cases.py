"""The cases of "Signal eller støj?" (module 5): schema, validation and loading.

A content person writes the cases in
``modules/05-unge-og-rusmidler/data/signal-eller-stoej.yml`` (the format is
described at the top of that file). Every problem is reported with file, line
and field (English, for operators), all problems of the file at once.

A case is a short, fictional situation about a young person, a list of
observations (``iagttagelser``) the learner sorts as ``stoej`` (normal youth
life, not in itself a sign), ``signal`` (a reason to act) or ``handl_i_dag``
(it cannot wait: an ``akut`` kind says why), and the level of action the case
calls for (``niveau``). The level must agree with the observations, so an
author cannot write a case whose answer key contradicts itself: an act-today
observation means ``handl_i_dag``; a case without signals is ``hold_oeje``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rusfokus.content import data_dir
from rusfokus.content.loader import (
    ContentError,
    Problem,
    Where,
    display_path,
    load_yaml,
    text_field,
    unknown_fields,
)

MODULE_ID = "unge-og-rusmidler"
CASES_FILE = "signal-eller-stoej.yml"
"""The cases file's name in the module's ``data/`` folder (``content_dir / <module folder> / data``)."""

SIGNAL, STOEJ, AKUT_SVAR = "signal", "stoej", "handl_i_dag"
SVAR = {STOEJ: "Støj", SIGNAL: "Signal", AKUT_SVAR: "Handl i dag"}
"""How the learner sorts an observation: normal youth life, a reason to act soon, or act today."""

# Levels of action, mildest first.
HOLD_OEJE, TAL_SNART, HANDL_I_DAG = "hold_oeje", "tal_snart", "handl_i_dag"
NIVEAUER = {
    HOLD_OEJE: "Hold øje, og skriv ned, hvad du ser",
    TAL_SNART: "Tal med den unge inden for få dage",
    HANDL_I_DAG: "Handl i dag",
}

# Why an observation cannot wait: the engine turns each into the first steps (rusfokus.unge.trainer).
AKUT = ("overdosis", "selvmord", "abstinenser")
RUSMIDLER = ("alkohol", "stoffer", "begge", "ukendt")
SAMARBEJDE = ("ssp", "ungeindsats")  # partners a case names on top of those its age and level give

MIN_ALDER, MAX_ALDER = 10, 25
MIN_IAGTTAGELSER, MAX_IAGTTAGELSER = 3, 8
MAX_TEXT = 700
CASE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
TOP_KEYS = {"cases"}
CASE_KEYS = {
    "id",
    "titel",
    "alder",
    "rusmiddel",
    "rolle",
    "intro",
    "samarbejde",
    "iagttagelser",
    "niveau",
    "niveau_forklaring",
}
OBS_KEYS = {"tekst", "svar", "akut", "forklaring"}


@dataclass(frozen=True)
class Iagttagelse:
    tekst: str
    svar: str
    """``stoej``, ``signal`` or ``handl_i_dag``: the answer key."""
    forklaring: str
    """Why, shown after the learner has chosen, whatever she chose."""
    akut: str = ""
    """One of :data:`AKUT` when ``svar`` is ``handl_i_dag`` (why it cannot wait); empty otherwise."""


@dataclass(frozen=True)
class Case:
    id: str
    titel: str
    alder: int
    rusmiddel: str
    rolle: str
    intro: str
    iagttagelser: tuple[Iagttagelse, ...]
    niveau: str
    niveau_forklaring: str
    samarbejde: tuple[str, ...] = ()

    @property
    def under_18(self) -> bool:
        return self.alder < 18

    @property
    def akut(self) -> tuple[str, ...]:
        """The kinds of acute danger in the case, in :data:`AKUT` order, without repeats."""
        found = {o.akut for o in self.iagttagelser if o.akut}
        return tuple(a for a in AKUT if a in found)

    @property
    def alkohol(self) -> bool:
        return self.rusmiddel in ("alkohol", "begge")

    @property
    def stoffer(self) -> bool:
        return self.rusmiddel in ("stoffer", "begge")


def _enum(value, allowed, where: Where, path: tuple, problems: list[Problem]) -> str | None:
    if value not in allowed:
        problems.append(where.problem(path, f"must be one of {', '.join(allowed)}, got {value!r}"))
        return None
    return value


def _short(text: str | None, where: Where, path: tuple, problems: list[Problem]) -> str | None:
    if text is not None and len(text) > MAX_TEXT:
        problems.append(where.problem(path, f"is {len(text)} characters; keep it under {MAX_TEXT} (short sentences)"))
        return None
    return text


def _observation(raw, where: Where, path: tuple, problems: list[Problem]) -> Iagttagelse | None:
    if not isinstance(raw, dict):
        problems.append(
            where.problem(path, "must be a mapping with tekst, svar, forklaring (and akut: when svar is handl_i_dag)")
        )
        return None
    unknown_fields(raw, OBS_KEYS, where, path, problems)
    tekst = _short(text_field(raw.get("tekst"), where, (*path, "tekst"), problems), where, (*path, "tekst"), problems)
    forklaring = _short(
        text_field(raw.get("forklaring"), where, (*path, "forklaring"), problems),
        where,
        (*path, "forklaring"),
        problems,
    )
    svar = _enum(raw.get("svar"), tuple(SVAR), where, (*path, "svar"), problems)
    akut = ""
    if "akut" in raw:
        akut = _enum(raw["akut"], AKUT, where, (*path, "akut"), problems) or ""
        if akut and svar in (STOEJ, SIGNAL):
            problems.append(where.problem((*path, "akut"), f"only an observation with svar: {AKUT_SVAR} has akut"))
    elif svar == AKUT_SVAR:
        problems.append(
            where.problem(
                (*path, "akut"), f"svar: {AKUT_SVAR} needs akut: one of {', '.join(AKUT)} (why it cannot wait)"
            )
        )
    if None in (tekst, forklaring, svar):
        return None
    return Iagttagelse(tekst=tekst, svar=svar, forklaring=forklaring, akut=akut)


def _check_level(
    case: dict, obs: list[Iagttagelse], niveau: str, where: Where, path: tuple, problems: list[Problem]
) -> None:
    signals = [o for o in obs if o.svar in (SIGNAL, AKUT_SVAR)]
    acute = [o for o in obs if o.svar == AKUT_SVAR]
    at = (*path, "niveau")
    if not [o for o in obs if o.svar == STOEJ]:
        problems.append(
            where.problem(
                (*path, "iagttagelser"),
                "needs at least one observation with svar: stoej (the learner must tell signals from noise)",
            )
        )
    if acute and niveau != HANDL_I_DAG:
        problems.append(
            where.problem(at, f"an observation is {AKUT_SVAR}, so niveau must be {HANDL_I_DAG}, not {niveau}")
        )
    if niveau == HANDL_I_DAG and not acute:
        problems.append(where.problem(at, f"{HANDL_I_DAG} needs at least one observation with svar: {AKUT_SVAR}"))
    if case.get("alder", 0) >= 18 and case.get("rusmiddel") == "ukendt":
        problems.append(
            where.problem(
                (*path, "rusmiddel"),
                "for a young adult (18+) the rule depends on alcohol or drugs; use alkohol, stoffer or begge",
            )
        )
    if niveau == TAL_SNART and not signals:
        problems.append(where.problem(at, f"{TAL_SNART} needs at least one observation with svar: signal"))
    if niveau == HOLD_OEJE and signals:
        problems.append(
            where.problem(
                at,
                f"{HOLD_OEJE} means nothing here is a signal, but "
                f"{len(signals)} observation(s) have svar: signal; use {TAL_SNART}",
            )
        )
    if any(o.akut == "abstinenser" for o in obs) and case.get("rusmiddel") not in ("alkohol", "begge"):
        problems.append(
            where.problem(
                (*path, "rusmiddel"),
                "akut: abstinenser is about alcohol withdrawal; rusmiddel must be alkohol or begge",
            )
        )


def _case(raw, where: Where, path: tuple, problems: list[Problem]) -> Case | None:
    if not isinstance(raw, dict):
        problems.append(where.problem(path, "each case must be a mapping (id, titel, alder, ...)"))
        return None
    before = len(problems)
    unknown_fields(raw, CASE_KEYS, where, path, problems)
    cid = raw.get("id")
    if not isinstance(cid, str) or not CASE_ID.match(cid):
        problems.append(
            where.problem((*path, "id"), f"must be a short id of lower-case letters, digits and '-', got {cid!r}")
        )
    texts = {
        key: _short(text_field(raw.get(key), where, (*path, key), problems), where, (*path, key), problems)
        for key in ("titel", "rolle", "intro", "niveau_forklaring")
    }
    alder = raw.get("alder")
    if isinstance(alder, bool) or not isinstance(alder, int) or not MIN_ALDER <= alder <= MAX_ALDER:
        problems.append(
            where.problem(
                (*path, "alder"), f"must be a whole number of years from {MIN_ALDER} to {MAX_ALDER}, got {alder!r}"
            )
        )
    rusmiddel = _enum(raw.get("rusmiddel"), RUSMIDLER, where, (*path, "rusmiddel"), problems)
    niveau = _enum(raw.get("niveau"), tuple(NIVEAUER), where, (*path, "niveau"), problems)
    samarbejde = raw.get("samarbejde", [])
    if not isinstance(samarbejde, list):
        problems.append(where.problem((*path, "samarbejde"), f"must be a list of {', '.join(SAMARBEJDE)}"))
        samarbejde = []
    for i, s in enumerate(samarbejde):
        _enum(s, SAMARBEJDE, where, (*path, "samarbejde", i), problems)
    if len(set(map(str, samarbejde))) != len(samarbejde):
        problems.append(where.problem((*path, "samarbejde"), "lists a partner twice"))
    items = raw.get("iagttagelser")
    obs: list[Iagttagelse] = []
    if not isinstance(items, list) or not MIN_IAGTTAGELSER <= len(items) <= MAX_IAGTTAGELSER:
        problems.append(
            where.problem(
                (*path, "iagttagelser"), f"must be a list of {MIN_IAGTTAGELSER} to {MAX_IAGTTAGELSER} observations"
            )
        )
    else:
        for i, item in enumerate(items):
            o = _observation(item, where, (*path, "iagttagelser", i), problems)
            if o is not None:
                obs.append(o)
        seen = [o.tekst.casefold() for o in obs]
        for i, t in enumerate(seen):
            if t in seen[:i]:
                problems.append(
                    where.problem((*path, "iagttagelser", i, "tekst"), "the same observation is listed twice")
                )
    if len(problems) == before and niveau is not None:
        _check_level(raw, obs, niveau, where, path, problems)
    if len(problems) != before:
        return None
    return Case(
        id=cid,
        titel=texts["titel"],
        alder=alder,
        rusmiddel=rusmiddel,
        rolle=texts["rolle"],
        intro=texts["intro"],
        iagttagelser=tuple(obs),
        niveau=niveau,
        niveau_forklaring=texts["niveau_forklaring"],
        samarbejde=tuple(samarbejde),
    )


def parse_cases(data: object, where: Where) -> tuple[Case, ...]:
    """Validate a loaded file into cases; :class:`ContentError` listing every problem."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise where.error((), "the file must be a mapping with 'cases:' (a list of cases)")
    unknown_fields(data, TOP_KEYS, where, (), problems)
    raw_cases = data.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        problems.append(where.problem(("cases",), "must be a list of one or more cases"))
        raise ContentError(problems)
    cases: list[Case] = []
    ids: dict[str, int] = {}
    for i, raw in enumerate(raw_cases):
        case = _case(raw, where, ("cases", i), problems)
        if case is None:
            continue
        if case.id in ids:
            problems.append(
                where.problem(("cases", i, "id"), f"id '{case.id}' is already used by case {ids[case.id] + 1}")
            )
            continue
        ids[case.id] = i
        cases.append(case)
    if problems:
        raise ContentError(problems)
    return tuple(cases)


def load_cases(path: str | Path) -> tuple[Case, ...]:
    """Load and validate the cases file; :class:`ContentError` (file:line: field: message) when it is wrong."""
    data, where = load_yaml(path)
    return parse_cases(data, where)


def cases_file(root: str | Path) -> Path:
    """The cases file of module 5 under the content root ``root`` (the setting RUSFOKUS_CONTENT_DIR)."""
    return data_dir(MODULE_ID, root) / CASES_FILE


def check(root: str | Path) -> tuple[list[str], list[Problem]]:
    """For `rusfokus check`: (OK lines, problems) of the cases file."""
    path = cases_file(root)
    try:
        cases = load_cases(path)
    except ContentError as exc:
        return [], exc.problems
    judged = sum(len(c.iagttagelser) for c in cases)
    return [f"{display_path(path)}: {len(cases)} cases, {judged} observations to sort"], []
