"""Load YAML data files so that errors can name the file, line and field.

Content people edit YAML; when they make a mistake the message must point at
the place. ``load_yaml`` returns the data and a ``Where`` that maps a path of
keys/indexes (``("tilbud", 2, "telefon")``) to its line number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


class DataFileError(ValueError):
    """A content/config file is missing, unreadable or invalid. The message names file and line."""


@dataclass
class Where:
    file: Path
    lines: dict[tuple, int]

    def line(self, path: tuple) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def error(self, path: tuple, message: str) -> DataFileError:
        line = self.line(tuple(path))
        field = ".".join(str(p) for p in path) or "(top)"
        at = f"{self.file}, line {line}" if line else f"{self.file}"
        return DataFileError(f"{at}: {field}: {message}")


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


def load_yaml(path: str | Path) -> tuple[object, Where]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
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
        raise DataFileError(f"{path}, line {exc.line}: invalid YAML: an alias (*name) refers to the anchor "
                            "(&name) it is inside of") from None
    except _TooBig as exc:
        raise DataFileError(f"{path}, line {exc.line}: invalid YAML: the file expands to more than {MAX_NODES} "
                            "values through aliases (*name); write the values out instead of nesting "
                            "aliases") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError(f"{path}{where}: invalid YAML: {problem}") from None
    finally:
        loader.dispose()
    return data, Where(path, lines)
