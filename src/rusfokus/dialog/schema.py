"""Schema check for dialogue trees (samtalesimulator cases) written in YAML.

A case file is edited by a nøgleperson, not a programmer, so every problem is
reported as a :class:`DialogError` naming the file, the line and the field
(``noder.<node>.<field>``), printed in the loader's one style
``file:line: field: message``. All problems in a file are collected, not only
the first one.

The format is documented for authors in
``modules/02-bekymringssamtale/data/samtaler/README.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from rusfokus.content import dialogue_dir
from rusfokus.content.loader import (
    ContentError,
    Problem,
    Where,
    display_path,
    load_yaml,
    load_yaml_text,
)
from rusfokus.content.registry import faggruppe_keys

RATINGS = ("god", "delvis", "uheldig")
FAGGRUPPER = faggruppe_keys()
"""The faggruppe keys a case may name: the faggruppe registry's."""
NODE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
CASE_KEYS = {"id", "titel", "faggruppe", "rolle", "intro", "start", "noder"}
NODE_KEYS = {"tekst", "valg", "slut", "sikkerhed"}
CHOICE_KEYS = {"tekst", "feedback", "vurdering", "laering", "gaa_til"}


@dataclass(frozen=True)
class DialogError:
    """One problem in a case file: where it is and what is wrong (English, for operators)."""

    file: str
    node: str | None
    field: str | None
    message: str
    line: int | None = None

    @property
    def path(self) -> str:
        """The field as a path in the file: ``noder.<node>.<field>`` (list items from 1)."""
        parts = [f"noder.{self.node}"] if self.node else []
        if self.field:
            parts.append(self.field)
        return ".".join(parts)

    def problem(self) -> Problem:
        return Problem(self.file, self.line, self.path, self.message)

    def __str__(self) -> str:
        return str(self.problem())


class DialogFileError(ContentError):
    """A case file has one or more problems; ``errors`` lists them all (``problems`` too, as loader Problems)."""

    def __init__(self, errors: list[DialogError]):
        self.errors = errors
        super().__init__([e.problem() for e in errors])


@dataclass(frozen=True)
class Choice:
    tekst: str
    feedback: str
    vurdering: str
    laering: str
    gaa_til: str


@dataclass(frozen=True)
class Node:
    id: str
    tekst: str
    valg: tuple[Choice, ...]
    slut: bool
    sikkerhed: str = ""
    """A safety note the learner must not miss (withdrawal risk, a child at risk): shown
    prominently with the node and repeated in the summary. Empty when the node has none."""


@dataclass(frozen=True)
class Case:
    id: str
    titel: str
    faggruppe: str
    rolle: str
    intro: str
    start: str
    noder: dict[str, Node]
    source: str

    def decision_points(self) -> list[str]:
        """Ids of the nodes where the learner chooses (all non-end nodes)."""
        return [n.id for n in self.noder.values() if not n.slut]

    def safety_nodes(self) -> list[str]:
        """Ids of the nodes that carry a safety note (``sikkerhed``)."""
        return [n.id for n in self.noder.values() if n.sikkerhed]


def _text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _check_choice(src: str, node_id: str, i: int, raw: object, errors: list[DialogError]) -> None:
    field = f"valg[{i + 1}]"
    if not isinstance(raw, dict):
        errors.append(
            DialogError(
                src,
                node_id,
                field,
                "must be a mapping with tekst, feedback, vurdering, laering, gaa_til",
            )
        )
        return
    for key in sorted(set(raw) - CHOICE_KEYS):
        errors.append(
            DialogError(
                src,
                node_id,
                f"{field}.{key}",
                f"unknown field (allowed: {', '.join(sorted(CHOICE_KEYS))})",
            )
        )
    for key in ("tekst", "feedback", "laering", "gaa_til"):
        if not _text(raw.get(key)):
            errors.append(DialogError(src, node_id, f"{field}.{key}", "missing or empty text"))
    if raw.get("vurdering") not in RATINGS:
        errors.append(
            DialogError(
                src,
                node_id,
                f"{field}.vurdering",
                f"must be one of {', '.join(RATINGS)}, got {raw.get('vurdering')!r}",
            )
        )


def _check_node(src: str, node_id: object, raw: object, errors: list[DialogError]) -> None:
    if not isinstance(node_id, str) or not NODE_ID.match(node_id):
        errors.append(DialogError(src, str(node_id), None, "node id must be lower-case letters, digits, '-' or '_'"))
    nid = str(node_id)
    if not isinstance(raw, dict):
        errors.append(DialogError(src, nid, None, "node must be a mapping with tekst and valg (or slut: true)"))
        return
    for key in sorted(set(raw) - NODE_KEYS):
        errors.append(DialogError(src, nid, key, f"unknown field (allowed: {', '.join(sorted(NODE_KEYS))})"))
    if not _text(raw.get("tekst")):
        errors.append(DialogError(src, nid, "tekst", "missing or empty text"))
    if "sikkerhed" in raw and not _text(raw["sikkerhed"]):
        errors.append(DialogError(src, nid, "sikkerhed", "must be a non-empty text (or leave the field out)"))
    slut = raw.get("slut", False)
    if not isinstance(slut, bool):
        errors.append(DialogError(src, nid, "slut", "must be true or false"))
        return
    valg = raw.get("valg")
    if slut:
        if valg:
            errors.append(DialogError(src, nid, "valg", "an end node (slut: true) must not have choices"))
        return
    if valg is None or valg == []:
        errors.append(DialogError(src, nid, "valg", "dead end: node has no choices and is not marked slut: true"))
        return
    if not isinstance(valg, list):
        errors.append(DialogError(src, nid, "valg", "must be a list of choices"))
        return
    if len(valg) < 2:
        errors.append(DialogError(src, nid, "valg", "a decision needs at least 2 choices"))
    for i, choice in enumerate(valg):
        _check_choice(src, nid, i, choice, errors)


def _graph_errors(src: str, start: str, nodes: dict, errors: list[DialogError]) -> None:
    edges: dict[str, list[str]] = {}
    for nid, raw in nodes.items():
        targets = []
        valg = raw.get("valg")
        for i, choice in enumerate(valg if isinstance(valg, list) else []):
            if not isinstance(choice, dict) or not _text(choice.get("gaa_til")):
                continue
            target = choice["gaa_til"]
            if target not in nodes:
                errors.append(DialogError(src, nid, f"valg[{i + 1}].gaa_til", f"unknown target node '{target}'"))
            else:
                targets.append(target)
        edges[nid] = targets
    if start not in nodes:
        errors.append(DialogError(src, None, "start", f"unknown start node '{start}'"))
        return
    # Reachable from start.
    seen, todo = {start}, [start]
    while todo:
        for t in edges[todo.pop()]:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    for nid in nodes:
        if nid not in seen:
            errors.append(DialogError(src, nid, None, "unreachable: no path from the start node leads here"))
    # Nodes from which an end can be reached (reverse search from end nodes).
    ends = {nid for nid, raw in nodes.items() if raw.get("slut") is True}
    if not ends:
        errors.append(DialogError(src, None, "noder", "no end node (slut: true)"))
    reverse: dict[str, list[str]] = {nid: [] for nid in nodes}
    for nid, targets in edges.items():
        for t in targets:
            reverse[t].append(nid)
    can_end, todo = set(ends), list(ends)
    while todo:
        for p in reverse[todo.pop()]:
            if p not in can_end:
                can_end.add(p)
                todo.append(p)
    for nid in nodes:
        if nid in seen and nid not in can_end and edges[nid]:
            errors.append(
                DialogError(
                    src,
                    nid,
                    "valg",
                    "cycle without an end: no choice from here ever leads to an end node",
                )
            )


def validate(data: object, source: str) -> list[DialogError]:
    """Return every problem in a parsed case (an empty list means the case is valid)."""
    errors: list[DialogError] = []
    if not isinstance(data, dict):
        return [DialogError(source, None, None, "the file must be a YAML mapping (id, titel, ..., noder)")]
    for key in sorted(set(data) - CASE_KEYS):
        errors.append(DialogError(source, None, key, f"unknown field (allowed: {', '.join(sorted(CASE_KEYS))})"))
    for key in ("id", "titel", "faggruppe", "rolle", "intro", "start"):
        if not _text(data.get(key)):
            errors.append(DialogError(source, None, key, "missing or empty text"))
    if _text(data.get("faggruppe")) and data["faggruppe"] not in FAGGRUPPER:
        errors.append(
            DialogError(
                source,
                None,
                "faggruppe",
                f"must be one of {', '.join(FAGGRUPPER)}, got {data['faggruppe']!r}",
            )
        )
    if _text(data.get("id")) and not NODE_ID.match(data["id"]):
        errors.append(DialogError(source, None, "id", "must be lower-case letters, digits, '-' or '_'"))
    nodes = data.get("noder")
    if not isinstance(nodes, dict) or not nodes:
        errors.append(DialogError(source, None, "noder", "missing: a mapping of node id to node"))
        return errors
    for nid, raw in nodes.items():
        _check_node(source, nid, raw, errors)
    if all(isinstance(raw, dict) for raw in nodes.values()) and _text(data.get("start")):
        _graph_errors(source, data["start"], nodes, errors)
    return errors


def build_case(data: dict, source: str) -> Case:
    """Turn a validated mapping into a :class:`Case` (call :func:`validate` first)."""
    noder = {}
    for nid, raw in data["noder"].items():
        valg = tuple(
            Choice(
                c["tekst"].strip(),
                c["feedback"].strip(),
                c["vurdering"],
                c["laering"].strip(),
                c["gaa_til"],
            )
            for c in raw.get("valg") or []
        )
        noder[nid] = Node(
            nid,
            raw["tekst"].strip(),
            valg,
            bool(raw.get("slut", False)),
            (raw.get("sikkerhed") or "").strip(),
        )
    return Case(
        id=data["id"],
        titel=data["titel"].strip(),
        faggruppe=data["faggruppe"].strip(),
        rolle=data["rolle"].strip(),
        intro=data["intro"].strip(),
        start=data["start"],
        noder=noder,
        source=source,
    )


def parse_case(text: str, source: str) -> Case:
    """Parse YAML text into a :class:`Case`; raise :class:`DialogFileError` listing all problems."""
    try:
        data, _ = load_yaml_text(text, source)
    except ContentError as exc:
        raise DialogFileError([DialogError(p.file, None, None, p.message, p.line) for p in exc.problems]) from None
    errors = validate(data, source)
    if errors:
        raise DialogFileError(errors)
    return build_case(data, source)


def _yaml_path(error: DialogError) -> tuple:
    """The key path in the YAML document that an error points at (for its line number)."""
    path: tuple = ("noder", error.node) if error.node else ()
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", error.field or ""):
        path += (int(part[1:-1]) - 1,) if part.startswith("[") else (part,)
    return path


def load_case(path: str | Path) -> Case:
    """Load one case file; raise :class:`DialogFileError` listing every problem with its line."""
    path = Path(path)
    try:
        data, where = load_yaml(path)
    except ContentError as exc:
        raise DialogFileError([DialogError(p.file, None, None, p.message, p.line) for p in exc.problems]) from None
    name = display_path(path)
    errors = validate(data, name)
    if errors:
        raise DialogFileError([replace(e, line=_line(where, e)) for e in errors])
    return build_case(data, path.name)


def _line(where: Where, error: DialogError) -> int | None:
    return where.line(_yaml_path(error))


def load_cases(folder: str | Path) -> tuple[list[Case], list[DialogError]]:
    """Load every ``*.yml`` in ``folder``: the valid cases (sorted by titel) and all problems.

    One broken file does not hide the others; duplicate ids are an error.
    """
    cases: list[Case] = []
    errors: list[DialogError] = []
    ids: dict[str, str] = {}
    for path in sorted(Path(folder).glob("*.yml")):
        try:
            case = load_case(path)
        except DialogFileError as exc:
            errors.extend(exc.errors)
            continue
        if case.id in ids:
            errors.append(
                DialogError(
                    display_path(path),
                    None,
                    "id",
                    f"id '{case.id}' is already used by {ids[case.id]}",
                )
            )
            continue
        ids[case.id] = path.name
        cases.append(case)
    return sorted(cases, key=lambda c: c.titel), errors


def check(root: str | Path) -> tuple[list[str], list[Problem]]:
    """Validate every dialogue tree of the content root ``root``: (OK lines, problems)."""
    folder = dialogue_dir(root)
    if not folder.is_dir() or not any(folder.glob("*.yml")):
        return [], [Problem(display_path(folder), None, "", "no dialogue trees (*.yml) in this folder")]
    cases, errors = load_cases(folder)
    ok = [
        f"{display_path(folder / c.source)}: dialogue '{c.titel}' ({c.faggruppe}), "
        f"{len(c.decision_points())} decision points"
        for c in cases
    ]
    return ok, [e.problem() for e in errors]
