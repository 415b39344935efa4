"""The one loader for content and configuration YAML: line numbers for every value, one error style.

Content people (and a municipality's IT person) edit YAML; when they make a
mistake the message must point at the place. Every problem is a
:class:`Problem` printed as ``file:line: field: message`` (English, for
operators), e.g.::

    modules/01-opsporing/data/opgave.yml:23: spoergsmaal[1].korrekt: 'e' is not one of the options (a, b, c, d)

``field`` is the path of keys in the file, list items counted from 1.
:func:`load_yaml` returns the data and a :class:`Where` that maps such a path
(``("spoergsmaal", 0, "korrekt")``, list indexes from 0 as in Python) to its
line. A validator reports through ``where.problem(path, message)`` (collect
several, then ``raise ContentError(problems)``) or ``raise where.error(path,
message)`` for one. Aliases are limited (:data:`MAX_NODES`), so an alias bomb
cannot hang a command that loads a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from rusfokus.content.registry import is_module, module_ids


class DataFileError(ValueError):
    """A content/config file is missing, unreadable or invalid. The message names file, line and field."""


@dataclass(frozen=True)
class Problem:
    """One problem in a data file: ``file:line: field: message``."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        if not self.file:  # a message that already names its file (kommune.yml's, as text)
            return self.message
        at = f"{self.file}:{self.line}" if self.line else self.file
        return f"{at}: {self.field}: {self.message}" if self.field else f"{at}: {self.message}"


class ContentError(DataFileError):
    """One or more problems in data files; ``problems`` lists them all, one per line in the message."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):  # a problem that is not in a file (e.g. an unknown exercise id)
            self.problems = []
            super().__init__(problems)
            return
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: str | Path) -> str:
    """A file name as an operator reads it: relative to the current folder when it is inside it."""
    path = Path(path)
    if path.is_absolute():
        try:
            return os.path.relpath(path) if Path.cwd() in path.parents else str(path)
        except (OSError, ValueError):
            return str(path)
    return str(path)


def field_name(path: tuple | list) -> str:
    """``("spoergsmaal", 0, "valg", 2, "id")`` -> ``spoergsmaal[1].valg[3].id`` (list items from 1)."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


@dataclass
class Where:
    """Line numbers of one loaded file, by key path."""

    file: Path
    lines: dict[tuple, int]

    def line(self, path: tuple) -> int | None:
        """The line of ``path``, or of its nearest parent that exists (a missing field: its mapping's line)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def problem(self, path: tuple, message: str) -> Problem:
        return Problem(display_path(self.file), self.line(tuple(path)), field_name(tuple(path)), message)

    def error(self, path: tuple, message: str) -> ContentError:
        return ContentError(self.problem(path, message))


MAX_NODES = 200_000
"""Most values a data file may expand to, aliases (``*name``) counted each time they are used. Our files
have a few thousand; a "billion laughs" alias bomb has 10**9 and would hang every command that loads it."""


class _Budget:
    def __init__(self, limit: int):
        self.left = limit


def _construct(node, path, lines, loader, budget: _Budget, open_nodes: set):
    budget.left -= 1
    if budget.left < 0:
        raise _TooBig(node)
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        if id(node) in open_nodes:  # an alias inside its own anchor: infinitely deep
            raise _Recursive(node)
        open_nodes.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                out = {}
                for key_node, value_node in node.value:
                    key = loader.construct_object(key_node, deep=True)
                    out[key] = _construct(value_node, (*path, key), lines, loader, budget, open_nodes)
                return out
            return [_construct(v, (*path, i), lines, loader, budget, open_nodes) for i, v in enumerate(node.value)]
        finally:
            open_nodes.discard(id(node))
    return loader.construct_object(node, deep=True)


class _TooBig(Exception):
    def __init__(self, node):
        self.line = node.start_mark.line + 1


class _Recursive(_TooBig):
    pass


def _file_error(path, line, message) -> ContentError:
    return ContentError(Problem(display_path(path), line, "", message))


def load_yaml(path: str | Path) -> tuple[object, Where]:
    """Read and parse one YAML file: ``(data, where)``; :class:`ContentError` if it is missing or not YAML."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _file_error(path, None, "file not found") from None
    except IsADirectoryError:
        raise _file_error(path, None, "is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise _file_error(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return load_yaml_text(text, path)


def load_yaml_text(text: str, source: str | Path) -> tuple[object, Where]:
    """Parse YAML text read from ``source`` (named in errors) with the same alias limit as :func:`load_yaml`."""
    path = Path(source)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[tuple, int] = {}
        data = _construct(node, (), lines, loader, _Budget(MAX_NODES), set()) if node is not None else None
    except _Recursive as exc:
        raise _file_error(
            path,
            exc.line,
            "invalid YAML: an alias (*name) refers to the anchor (&name) it is inside of",
        ) from None
    except _TooBig as exc:
        raise _file_error(
            path,
            exc.line,
            f"invalid YAML: the file expands to more than {MAX_NODES} "
            "values through aliases (*name); write the values out instead of "
            "nesting aliases",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise _file_error(path, mark.line + 1 if mark else None, f"invalid YAML: {problem}") from None
    finally:
        loader.dispose()
    return data, Where(path, lines)


def text_field(
    value,
    where: Where,
    path: tuple,
    problems: list[Problem] | None = None,
    *,
    required: bool = True,
    allow_empty: bool = False,
) -> str | None:
    """A Danish text field: stripped; a missing, empty or non-text value is a problem.

    With ``problems`` the problem is appended and None returned; without it a
    :class:`ContentError` is raised.
    """
    message = None
    if value is None:
        if not required or allow_empty:
            return "" if allow_empty else None
        message = "is missing (write a Danish text)"
    elif not isinstance(value, str):
        message = (
            f"must be text, got {type(value).__name__} "
            "(put the text in quotes if it starts with a number, yes/no or a colon)"
        )
    elif not value.strip() and not allow_empty:
        message = "is empty"
    elif any(ord(c) < 32 and c not in "\t\n\r" or ord(c) == 127 for c in value):
        message = "contains a control character"
    if message is None:
        return value.strip()
    if problems is None:
        raise where.error(path, message)
    problems.append(where.problem(path, message))
    return None


def unknown_fields(data: dict, allowed, where: Where, path: tuple, problems: list[Problem] | None = None) -> None:
    """A problem for each key of ``data`` that is not in ``allowed``."""
    for key in sorted((k for k in data if k not in allowed), key=str):
        p = where.problem((*path, key), f"unknown field (allowed: {', '.join(sorted(allowed))})")
        if problems is None:
            raise ContentError(p)
        problems.append(p)


def module_file_head(data, where: Where, keys, module_id: str | None, problems: list[Problem], shape: str):
    """The checks a module's data file starts with: a mapping (else ``ContentError`` saying ``shape``, e.g.
    "modul and items"), no unknown and no missing top-level field, ``modul`` a known module and, when
    ``module_id`` is given, the module whose folder holds the file. Returns ``modul`` as written."""
    if not isinstance(data, dict):
        raise where.error((), f"the file must be a mapping with {shape}")
    unknown_fields(data, keys, where, (), problems)
    for key in sorted(keys):
        if key not in data:
            problems.append(where.problem((), f"missing field '{key}'"))
    modul = data.get("modul")
    if "modul" in data and not is_module(modul):
        problems.append(where.problem(("modul",), f"unknown module {modul!r}; use one of {', '.join(module_ids())}"))
    elif module_id is not None and modul is not None and modul != module_id:
        problems.append(
            where.problem(("modul",), f"is '{modul}' but the file is in the folder of module '{module_id}'")
        )
    return modul
