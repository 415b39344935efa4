"""The module registry and the faggruppe registry: the one home of both lists.

Everything that needs the course's modules (book order, exercise ids, temadag
modules, progress titles, reports, certificates) or the staff groups
(faggrupper: case tabs, dialogue trees, MI data, the roster's tab) reads them
here. Adding a module means one line in ``MODULES`` plus its folder
``modules/NN-<id>/`` with ``data/opgave.yml`` and ``data/temadag.yml``;
``tests/content/test_registry.py`` checks that folders, ``_toc.yml`` and this
table agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Module:
    """One module of the course."""

    id: str
    """Module id, also the nbgrader assignment (opgave) id and the temadag module id."""
    folder: str
    """Folder under the content root (``modules/``): ``NN-<id>``."""
    title: str
    """Danish title, the same as the book's "Modul N: <title>" part caption."""
    order: int
    """Position in the book and in every list (1, 2, ...)."""

    @property
    def caption(self) -> str:
        """The book's part caption in ``_toc.yml``."""
        return f"Modul {self.order}: {self.title}"


MODULES: tuple[Module, ...] = (
    Module("opsporing", "01-opsporing", "Opsporing", 1),
    Module("bekymringssamtale", "02-bekymringssamtale", "Bekymringssamtalen", 2),
    Module("motiverende-samtale", "03-motiverende-samtale", "Motiverende samtale", 3),
    Module("dobbeltdiagnose", "04-dobbeltdiagnose", "Dobbeltdiagnose", 4),
    Module("unge-og-rusmidler", "05-unge-og-rusmidler", "Unge og rusmidler", 5),
)


@dataclass(frozen=True)
class Faggruppe:
    """A staff group: the key used in data files and the case pages' tabs (``:sync: <key>``)."""

    key: str
    label: str
    """Danish label, the same as the case pages' tab title."""


FAGGRUPPER: tuple[Faggruppe, ...] = (
    Faggruppe("dagtilbud", "Dagtilbud"),
    Faggruppe("skole", "Skole"),
    Faggruppe("sundhedspleje", "Sundhedspleje"),
    Faggruppe("jobcenter", "Jobcenter og sygedagpenge"),
    Faggruppe("familieafdeling", "Familieafdeling"),
    Faggruppe("socialpsykiatri", "Socialpsykiatri og bostøtte"),
    Faggruppe("ungeindsats", "Ungeindsats og SSP"),
)

_BY_ID = {m.id: m for m in MODULES}
_FAG_BY_KEY = {f.key: f for f in FAGGRUPPER}


def modules() -> tuple[Module, ...]:
    """Every module in book order."""
    return MODULES


def module(module_id: str) -> Module:
    """The module with this id; ``KeyError`` naming the known ids when there is none."""
    try:
        return _BY_ID[module_id]
    except KeyError:
        raise KeyError(f"unknown module {module_id!r} (known: {', '.join(_BY_ID)})") from None


def module_ids() -> tuple[str, ...]:
    """Module ids in book order."""
    return tuple(_BY_ID)


def is_module(module_id: object) -> bool:
    return isinstance(module_id, str) and module_id in _BY_ID


def module_titles() -> dict[str, str]:
    """Module id -> Danish title, in book order (a new dict each call)."""
    return {m.id: m.title for m in MODULES}


def module_title(module_id: str) -> str:
    """The Danish title of a module id; an unknown id (old data) is shown as it is."""
    m = _BY_ID.get(module_id)
    return m.title if m else module_id


def faggrupper() -> tuple[Faggruppe, ...]:
    return FAGGRUPPER


def faggruppe_keys() -> tuple[str, ...]:
    return tuple(_FAG_BY_KEY)


def faggruppe_labels() -> dict[str, str]:
    """Faggruppe key -> Danish label, in registry order (a new dict each call)."""
    return {f.key: f.label for f in FAGGRUPPER}


def faggruppe_label(key: str) -> str:
    f = _FAG_BY_KEY.get(key)
    return f.label if f else key
