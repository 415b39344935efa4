"""The module and faggruppe registry (rusfokus.content.registry): one home, and the tree agrees with it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from rusfokus.content import (
    content_root,
    data_dir,
    dialogue_dir,
    exercise_file,
    mi_file,
    temadag_file,
)
from rusfokus.content.registry import (
    FAGGRUPPER,
    MODULES,
    faggruppe_label,
    faggruppe_labels,
    module,
    module_ids,
    module_title,
    module_titles,
)
from rusfokus.progress import MODULE_TITLES
from rusfokus.progress import module_title as progress_module_title
from rusfokus.progress.journey import TAB_LABELS
from rusfokus.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MODULES_DIR = ROOT / "modules"


def test_every_module_folder_is_in_the_registry_and_the_other_way_round():
    folders = sorted(p.name for p in MODULES_DIR.iterdir() if p.is_dir() and re.match(r"^\d\d-", p.name))
    assert folders == sorted(m.folder for m in MODULES)


def test_folder_order_and_id_follow_one_rule():
    assert [m.order for m in MODULES] == list(range(1, len(MODULES) + 1))
    for m in MODULES:
        assert m.folder == f"{m.order:02d}-{m.id}"
        assert module(m.id) is m


def test_toc_module_parts_are_the_registry_in_order():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    parts = [p for p in toc["parts"] if p["caption"].startswith("Modul ")]
    assert [p["caption"] for p in parts] == [m.caption for m in MODULES]
    for part, m in zip(parts, MODULES, strict=True):
        files = [c["file"] for c in part["chapters"]]
        assert files[0] == f"modules/{m.folder}/index"
        assert all(f.startswith(f"modules/{m.folder}/") for f in files), (m.id, files)


def test_module_five_and_the_ungeindsats_faggruppe_are_registered():
    m = module("unge-og-rusmidler")
    assert (m.folder, m.title, m.order) == ("05-unge-og-rusmidler", "Unge og rusmidler", 5)
    assert faggruppe_label("ungeindsats") == "Ungeindsats og SSP"
    assert [f.key for f in FAGGRUPPER] == [
        "dagtilbud",
        "skole",
        "sundhedspleje",
        "jobcenter",
        "familieafdeling",
        "socialpsykiatri",
        "ungeindsats",
    ]


def test_everything_reads_the_one_registry():
    assert MODULE_TITLES == module_titles() and list(MODULE_TITLES) == list(module_ids())
    assert progress_module_title("dobbeltdiagnose") == module_title("dobbeltdiagnose") == "Dobbeltdiagnose"
    assert module_title("gammelt-modul") == "gammelt-modul"  # old data shows its id
    assert TAB_LABELS == faggruppe_labels()


def test_each_module_has_its_data_where_the_content_root_says(tmp_path):
    root = content_root(Settings.from_env(root=str(ROOT)))
    assert root == MODULES_DIR
    for m in MODULES:
        assert exercise_file(m.id, root).is_file() and temadag_file(m.id, root).is_file()
        assert data_dir(m.id, root) == MODULES_DIR / m.folder / "data"
    assert any(dialogue_dir(root).glob("*.yml"))
    assert mi_file("coach.yml", root).is_file()
    other = Settings.from_env(root=str(ROOT), content_dir=str(tmp_path))
    assert content_root(other) == tmp_path
    assert exercise_file("opsporing", content_root(other)) == tmp_path / "01-opsporing" / "data" / "opgave.yml"


def test_module_folders_data_is_not_part_of_the_book():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["only_build_toc_files"] is True
    assert "modules/*/data" in config["exclude_patterns"] and "**/README.md" in config["exclude_patterns"]
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    assert "/data/" not in toc
