"""`rusfokus opgave check|build`, `rusfokus links`, `rusfokus grade --pending` as an operator runs them."""

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# slow: each test runs the rusfokus CLI as subprocesses (course builds, grading)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def rusfokus(*args, env_extra=None, tmp_path=None):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("RUSFOKUS_")}
    env.update({"RUSFOKUS_ROOT": str(ROOT), "RUSFOKUS_HOME": str(tmp_path / "home")})
    env.update(env_extra or {})
    return subprocess.run(
        [str(Path(sys.executable).parent / "rusfokus"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_check_good_and_bad_file(tmp_path):
    ok = rusfokus("opgave", "check", "modules/01-opsporing/data/opgave.yml", tmp_path=tmp_path)
    assert ok.returncode == 0 and "13 questions" in ok.stdout
    every = rusfokus("opgave", "check", tmp_path=tmp_path)
    assert every.returncode == 0 and every.stdout.count("OK modules/") == 5, every.stdout
    bad = tmp_path / "opsporing.yml"
    bad.write_text(
        (ROOT / "modules/01-opsporing/data/opgave.yml")
        .read_text(encoding="utf-8")
        .replace("korrekt: c", "korrekt: x", 1),
        encoding="utf-8",
    )
    res = rusfokus("opgave", "check", str(bad), tmp_path=tmp_path)
    assert res.returncode == 1 and "Traceback" not in res.stderr  # 1: content errors
    assert re.search(
        r"ERROR \S*opsporing\.yml:\d+: spoergsmaal\[\d+\]\.korrekt: 'x' is not one of the options", res.stdout
    )


def test_build_refuses_malformed_file_without_touching_release(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    content = tmp_path / "modules"
    shutil.copytree(ROOT / "modules", content, ignore=shutil.ignore_patterns("*.md", "*.ipynb"))
    (content / "01-opsporing" / "data" / "opgave.yml").write_text("id: opsporing\ntitel: [\n", encoding="utf-8")
    res = rusfokus(
        "opgave",
        "build",
        "opsporing",
        "--course-dir",
        str(course),
        tmp_path=tmp_path,
        env_extra={"RUSFOKUS_CONTENT_DIR": str(content)},
    )
    assert res.returncode == 2 and "01-opsporing/data/opgave.yml:3: invalid YAML" in res.stderr, res.stderr
    assert not (course / "release").exists() and not (course / "source").exists()
    res = rusfokus("opgave", "build", "--course-dir", str(course), tmp_path=tmp_path)
    assert res.returncode == 2 and "--all" in res.stderr


def test_links_for_roster_and_demo_verify(tmp_path):
    from rusfokus import identity

    roster = tmp_path / "medarbejdere.csv"
    roster.write_bytes(
        "Navn;E-mail;Arbejdssted\r\nLone Bak;Lone.Bak@Eksempel-Kommune.example;Vestskolen\r\n"
        "Uden Mail;;Vestskolen\r\n".encode("cp1252")
    )
    out = tmp_path / "links.csv"
    res = rusfokus(
        "links",
        "--roster",
        str(roster),
        "--out",
        str(out),
        "--base-url",
        "https://kursus.example.dk",
        tmp_path=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    assert "skipped" in res.stderr and "e-mail is empty" in res.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == ["Navn", "E-mail", "Personligt link"] and len(rows) == 2
    name, email, link = rows[1]
    assert (name, email) == ("Lone Bak", "lone.bak@eksempel-kommune.example")
    assert link.startswith("https://kursus.example.dk/adgang/")
    secret = identity.load_secret(tmp_path / "home" / "secret.key")
    assert identity.verify("learner", link.rsplit("/", 1)[1], secret=secret) == email
    demo = tmp_path / "demo.csv"
    res = rusfokus("links", "--demo", "--demo-staff", "5", "--out", str(demo), tmp_path=tmp_path)
    assert res.returncode == 0 and len(demo.read_text(encoding="utf-8-sig").strip().splitlines()) == 6


def test_grade_pending_with_nothing_pending(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    res = rusfokus("grade", "--pending", "--course-dir", str(course), tmp_path=tmp_path)
    assert res.returncode == 0 and "graded 0 pending" in res.stdout
