"""A two-page book with the project's real configuration and Sphinx extension.

For tests of the build itself (a warning fails it, a broken kommune.yml stops it, a rebuild picks up
an edit): building this takes seconds, building the real book minutes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers.paths import ROOT

INDEX = "# Kontakt\n\nRing til {{ rusmiddelcenter_navn }}.\n\n```{kommune} kontakt\n```\n"
SECOND = "# Ordliste\n\nEt ord og dets forklaring.\n"


def mini_book(tmp_path: Path, index: str = INDEX, second: str = SECOND) -> Path:
    """A project folder with index.md and side.md (in the toc) beside the real _config.yml and kommune.yml."""
    proj = tmp_path / "mini"
    proj.mkdir()
    for name in ("_config.yml", "kommune.yml", "kommune-logo.svg"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, proj / name)
    (proj / "src" / "rusfokus").mkdir(parents=True)
    for sub in ("static", "book_root"):
        shutil.copytree(ROOT / "src" / "rusfokus" / sub, proj / "src" / "rusfokus" / sub)
    (proj / "assets").symlink_to(ROOT / "assets")
    (proj / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: side\n", encoding="utf-8")
    (proj / "index.md").write_text(index, encoding="utf-8")
    (proj / "side.md").write_text(second, encoding="utf-8")
    return proj
