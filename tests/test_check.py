"""`rusfokus check`: every content file and kommune.yml in one run, every problem listed; exit 0/1/2."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from rusfokus.check import check_all, parts
from rusfokus.cli import main
from rusfokus.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def content(tmp_path, monkeypatch):
    """A copy of the content root (data files only) and of kommune.yml, which the test may break."""
    root = tmp_path / "modules"
    shutil.copytree(ROOT / "modules", root, ignore=shutil.ignore_patterns("*.md", "*.ipynb"))
    for path in ROOT.glob("kommune*"):  # kommune.yml and the files it names (the logo)
        shutil.copy(path, tmp_path / path.name)
    kommune = tmp_path / "kommune.yml"
    monkeypatch.setenv("RUSFOKUS_CONTENT_DIR", str(root))
    monkeypatch.setenv("RUSFOKUS_KOMMUNE", str(kommune))
    monkeypatch.setenv("RUSFOKUS_HOME", str(tmp_path / "home"))
    return root


def _break(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if new.strip() in t)


def test_the_shipped_content_is_valid_and_every_part_runs(content, capsys):
    names = [name for name, _ in parts(Settings.from_env())]
    assert {"modules", "exercises", "temadag", "dialogues", "mi", "kommune"} <= set(names)
    assert main(["check", "--content"]) == 0
    out = capsys.readouterr().out
    assert "ERROR" not in out
    for kind in (
        "opgave.yml",
        "temadag.yml",
        "samtaler/",
        "ytringer.yml",
        "coach.yml",
        "forandringscirkel.yml",
        "kommune.yml",
    ):
        assert kind in out, kind


def test_every_problem_in_every_part_is_listed_and_exit_code_is_1(content, capsys):
    lines = {
        "exercise": _break(content / "02-bekymringssamtale/data/opgave.yml", "bestaa_pct: ", "bestaa_pct: 0 #"),
        "temadag": _break(content / "04-dobbeltdiagnose/data/temadag.yml", "korrekt: [", "korrekt: [zz, "),
        "dialogue": _break(
            content / "02-bekymringssamtale/data/samtaler/jobcenter-sygedagpenge.yml",
            "vurdering: god",
            "vurdering: super",
        ),
        "mi": _break(
            content / "03-motiverende-samtale/data/coach.yml",
            "faggruppe: skole",
            "faggruppe: skolen",
        ),
    }
    kommune = Path(Settings.from_env().kommune_file)
    lines["kommune"] = _break(kommune, 'telefon: "99 99 99 99"', 'telefon: "ring"')
    assert main(["check", "--content"]) == 1
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("ERROR ")]
    for part, line in lines.items():
        assert any(re.match(rf"ERROR \S+:{line}: \S+: ", e) for e in errors), (part, line, errors)
    assert len(errors) == 5 and "5 problem(s)" in out
    ok, problems = check_all(Settings.from_env())
    assert len(problems) == 5 and ok


def test_module_folders_must_match_the_registry(content, capsys):
    (content / "06-noget-nyt").mkdir()
    shutil.rmtree(content / "05-unge-og-rusmidler")
    assert main(["check", "--content"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"ERROR \S*06-noget-nyt: a module folder that is not in the module registry", out)
    assert re.search(r"ERROR \S*05-unge-og-rusmidler: missing: the folder of module 'unge-og-rusmidler'", out)
    assert re.search(
        r"ERROR \S*05-unge-og-rusmidler/data/opgave.yml: missing: every module has a scored exercise",
        out,
    )


def test_usage_errors_exit_2(content, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", "--no-such-option"])
    assert exc.value.code == 2


def test_part_commands_stay_and_use_the_same_checks(content, capsys):
    _break(content / "01-opsporing/data/opgave.yml", "korrekt: c", "korrekt: x")
    assert main(["opgave", "check"]) == 1
    out = capsys.readouterr().out
    assert re.search(
        r"ERROR \S*01-opsporing/data/opgave\.yml:\d+: spoergsmaal\[\d+\]\.korrekt: 'x' is not one of",
        out,
    )
    assert main(["samtaler"]) == 0
