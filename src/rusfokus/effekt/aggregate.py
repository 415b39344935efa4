"""The one minimum-group-size rule of every report to managers and of the dashboard's aggregates.

``aggregate(rows, by=..., min_size=5)`` groups person-level rows by a key and makes sure no group
shown holds answers from fewer than ``min_size`` people:

- ``small="merge"`` (groups side by side: forvaltninger, faggrupper): groups under ``min_size``
  are merged into "Øvrige"; if "Øvrige" is still too small, the smallest remaining group joins it
  (again until it is big enough), so no small group can be worked out by subtracting the others
  from a total; if all people together are fewer than ``min_size``, nothing is shown.
- ``small="adjacent"`` (a time series: quarters, in key order): a group under ``min_size`` is joined
  with the next ones until the joined group is big enough ("2026 K1–2026 K2"); a small rest at the
  end joins the group before it. Nothing is left out, so a total elsewhere gives nothing away.
- ``small="hide"``: a group under ``min_size`` is left out (only where no total is shown).

Used by ``rusfokus.effekt.reports`` (dashboard, .xlsx) and ``rusfokus.roles.status`` (the
nøgleperson's page). RUSFOKUS_EFFEKT_MIN_GROUP sets ``min_size`` (never below 5).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

OTHERS = "Øvrige"
MIN_GROUP = 5
"""The floor: the setting may raise the minimum group size, never lower it."""


@dataclass
class Group:
    label: str
    rows: list = field(default_factory=list)
    people: set = field(default_factory=set)

    @property
    def n(self) -> int:
        """People in the group (not rows: one person may answer more than once)."""
        return len(self.people)

    def absorb(self, other: Group) -> None:
        self.rows.extend(other.rows)
        self.people |= other.people


def aggregate(
    rows: Iterable[Mapping],
    *,
    by: str | None,
    min_size: int = MIN_GROUP,
    small: str = "merge",
    person: str = "person_id",
) -> list[Group]:
    """Groups of ``rows`` by ``row[by]`` (``by=None``: one group "I alt"), none under ``min_size`` people.

    Each row is a mapping with at least ``person`` and ``by``. Returns the groups in label order,
    "Øvrige" last. ``min_size`` below MIN_GROUP is raised to MIN_GROUP."""
    if small not in ("merge", "hide", "adjacent"):
        raise ValueError(f"small must be 'merge', 'adjacent' or 'hide', not {small!r}")
    min_size = max(int(min_size), MIN_GROUP)
    groups: dict[Hashable, Group] = {}
    everyone: set = set()
    for row in rows:
        key = "I alt" if by is None else row[by]
        key = "" if key is None else key
        group = groups.setdefault(key, Group(str(key)))
        group.rows.append(row)
        group.people.add(row[person])
        everyone.add(row[person])
    if small == "adjacent":
        return _adjacent([groups[k] for k in sorted(groups, key=str)], min_size)
    if small == "hide":
        return [g for _k, g in sorted(groups.items(), key=lambda kv: str(kv[0])) if g.n >= min_size]
    if len(everyone) < min_size:
        return []
    big = sorted((g for g in groups.values() if g.n >= min_size), key=lambda g: g.label)
    others = Group(OTHERS)
    for g in groups.values():
        if g.n < min_size:
            others.absorb(g)
    while 0 < others.n < min_size and big:
        smallest = min(big, key=lambda g: (g.n, g.label))
        big.remove(smallest)
        others.absorb(smallest)
    return big + ([others] if others.n else [])


def _adjacent(ordered: list[Group], min_size: int) -> list[Group]:
    out: list[tuple[list[str], Group]] = []
    labels: list[str] = []
    current = Group("")
    for g in ordered:
        labels.append(g.label)
        current.absorb(g)
        if current.n >= min_size:
            out.append((labels, current))
            labels, current = [], Group("")
    if current.n:
        if not out:
            return []
        out[-1][0].extend(labels)
        out[-1][1].absorb(current)
    for names, g in out:
        g.label = names[0] if len(names) == 1 else f"{names[0]}–{names[-1]}"
    return [g for _names, g in out]
