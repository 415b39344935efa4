"""Course content: where it lives, how it is loaded and which modules and faggrupper exist.

All of a module's data lives in its folder under the content root
(``Settings.content_dir``, by default the project's ``modules/``)::

    modules/NN-<id>/data/opgave.yml        the scored exercise (nbgrader assignment <id>)
    modules/NN-<id>/data/temadag.yml       the temadag live questions
    modules/02-bekymringssamtale/data/samtaler/*.yml   dialogue trees (samtalesimulator)
    modules/03-motiverende-samtale/data/{ytringer,coach,forandringscirkel}.yml   MI data

The format of each file is described in ``modules/README.md``. ``loader``
reads YAML with line numbers (errors ``file:line: field: message``);
``registry`` holds the module list and the faggrupper. The server, the app
kernels, the CLI and the tests all find content under the root their entry
point passes down (:func:`content_root` of its Settings); nothing here reads
the environment.
"""

from __future__ import annotations

from pathlib import Path

from rusfokus.content.registry import module
from rusfokus.settings import Settings

EXERCISE_FILE = "opgave.yml"
TEMADAG_FILE = "temadag.yml"
DIALOGUE_MODULE = "bekymringssamtale"
DIALOGUE_FOLDER = "samtaler"
MI_MODULE = "motiverende-samtale"


def content_root(settings: Settings) -> Path:
    """The content root of ``settings``: ``settings.content_dir`` (env ``RUSFOKUS_CONTENT_DIR``, default
    ``<root>/modules``). The entry points (the CLI, the server, each app's build_app, the book build) pass
    their Settings' root down; an app kernel's Settings come from the server's environment."""
    return Path(settings.content_dir)


def data_dir(module_id: str, root: str | Path) -> Path:
    """``<root>/<NN-id>/data`` of a module (``root``: the content root, ``settings.content_dir``)."""
    return Path(root) / module(module_id).folder / "data"


def exercise_file(module_id: str, root: str | Path) -> Path:
    return data_dir(module_id, root) / EXERCISE_FILE


def temadag_file(module_id: str, root: str | Path) -> Path:
    return data_dir(module_id, root) / TEMADAG_FILE


def dialogue_dir(root: str | Path) -> Path:
    return data_dir(DIALOGUE_MODULE, root) / DIALOGUE_FOLDER


def mi_file(name: str, root: str | Path) -> Path:
    """One of module 3's MI data files: ``ytringer.yml``, ``coach.yml`` or ``forandringscirkel.yml``."""
    return data_dir(MI_MODULE, root) / name
