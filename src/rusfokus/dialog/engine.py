"""Pure engine for the samtalesimulator: walk a :class:`Case`, record choices, summarise.

No widgets here; :mod:`rusfokus.apps.samtale` only wires buttons to a
:class:`Session`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rusfokus.dialog.schema import Case, Choice, Node


class SessionError(Exception):
    """Raised for an impossible step (a choice that does not exist, a step after the end)."""


@dataclass(frozen=True)
class Step:
    node_id: str
    choice_index: int
    choice: Choice


@dataclass(frozen=True)
class Summary:
    """End of a run: what went well and what to practise, in the learner's words (Danish)."""

    antal_valg: int
    antal_gode: int
    godt: tuple[str, ...]
    oev: tuple[str, ...]
    slut_tekst: str
    sikkerhed: tuple[str, ...] = ()
    """Safety notes of the nodes the run passed through, in order, without repeats."""

    @property
    def overskrift(self) -> str:
        if self.antal_valg == 0:
            return "Du nåede ikke at vælge noget."
        return f"Du traf {self.antal_gode} gode valg ud af {self.antal_valg}."


def _unique(items: list[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return tuple(seen)


@dataclass
class Session:
    """One learner's run through one case."""

    case: Case
    node_id: str = ""
    history: list[Step] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.node_id:
            self.node_id = self.case.start

    @property
    def node(self) -> Node:
        return self.case.noder[self.node_id]

    @property
    def finished(self) -> bool:
        return self.node.slut

    @property
    def sikkerhed(self) -> str:
        """The current node's safety note ("" if it has none)."""
        return self.node.sikkerhed

    def visited(self) -> list[str]:
        """Ids of the nodes seen so far in this run, in order (the current node last)."""
        return [s.node_id for s in self.history] + [self.node_id]

    @property
    def decision_number(self) -> int:
        """1-based number of the decision the learner is at now."""
        return len(self.history) + 1

    def choose(self, index: int) -> Choice:
        """Take choice ``index`` (0-based) at the current node; return it (with its feedback)."""
        if self.finished:
            raise SessionError("the conversation has ended; start again to choose")
        valg = self.node.valg
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(valg):
            raise SessionError(f"no choice {index!r} at node '{self.node_id}' (it has {len(valg)})")
        choice = valg[index]
        self.history.append(Step(self.node_id, index, choice))
        self.node_id = choice.gaa_til
        return choice

    def restart(self) -> None:
        self.node_id = self.case.start
        self.history.clear()

    def summary(self) -> Summary:
        """What went well (good choices) and what to practise (the others), without repeats.

        A skill the learner both got right and wrong is listed under practise only.
        """
        oev = _unique([s.choice.laering for s in self.history if s.choice.vurdering != "god"])
        godt = _unique(
            [s.choice.laering for s in self.history if s.choice.vurdering == "god" and s.choice.laering not in oev]
        )
        return Summary(
            antal_valg=len(self.history),
            antal_gode=sum(1 for s in self.history if s.choice.vurdering == "god"),
            godt=godt,
            oev=oev,
            slut_tekst=self.node.tekst if self.finished else "",
            sikkerhed=_unique([self.case.noder[n].sikkerhed for n in self.visited() if self.case.noder[n].sikkerhed]),
        )


def all_paths(case: Case, max_visits: int = 2) -> list[list[int]]:
    """Every choice sequence from start to an end, visiting no node more than ``max_visits`` times.

    Used by tests and by authors' checks (how long is the shortest run?).
    """
    paths: list[list[int]] = []

    def walk(node_id: str, path: list[int], visits: dict[str, int]) -> None:
        node = case.noder[node_id]
        if node.slut:
            paths.append(list(path))
            return
        if visits.get(node_id, 0) >= max_visits:
            return
        visits[node_id] = visits.get(node_id, 0) + 1
        for i, choice in enumerate(node.valg):
            path.append(i)
            walk(choice.gaa_til, path, visits)
            path.pop()
        visits[node_id] -= 1

    walk(case.start, [], {})
    return paths
