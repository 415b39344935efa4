"""Every configurable value has one home (Settings), is documented, and `rusfokus settings` shows its source."""

import os
import subprocess
import sys

from rusfokus.settings import Settings

from helpers.paths import ROOT


def test_every_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [env for env, _help in Settings.describe() if f"`{env}`" not in readme]
    assert not missing, f"README.md does not document {missing}"


def test_sources_name_environment_command_line_and_defaults(tmp_path):
    env = {"RUSFOKUS_HOME": str(tmp_path), "RUSFOKUS_GRADEBOOK_DB": "sqlite:////srv/gradebook.db"}
    s = Settings.from_env(env, port=9001)
    assert (s.home, s.source("home")) == (tmp_path, "environment")
    assert (s.port, s.source("port")) == (9001, "given")
    assert (s.gradebook_db, s.source("gradebook_db")) == ("sqlite:////srv/gradebook.db", "environment")
    assert s.source("db_url") == "default (from home)" and s.db_url == f"sqlite:///{tmp_path / 'rusfokus.db'}"
    assert s.source("pool_size") == "default"
    assert [r[0] for r in s.rows()] == [f for f in Settings.__dataclass_fields__]


def test_from_env_reads_the_mapping_it_is_given_not_the_process(monkeypatch):
    monkeypatch.setenv("RUSFOKUS_PORT", "9999")
    assert Settings.from_env({}).port == Settings.default("port")


def test_rusfokus_settings_prints_every_setting_with_its_source(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUSFOKUS_")}
    env.update(
        RUSFOKUS_HOME=str(tmp_path),
        RUSFOKUS_KOMMUNE=str(ROOT / "kommune.yml"),
        RUSFOKUS_SMTP_PASSWORD="hemmeligt-kodeord",
    )
    out = subprocess.run(
        [sys.executable, "-m", "rusfokus.cli", "settings"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    for env_name, _help in Settings.describe():
        assert f"\n{env_name}=" in "\n" + out, env_name
    assert f"RUSFOKUS_HOME={tmp_path}  [environment]" in out
    assert "RUSFOKUS_PORT=8866  [default]" in out
    assert f"RUSFOKUS_DB=sqlite:///{tmp_path / 'rusfokus.db'}  [default (from home)]" in out
    assert "RUSFOKUS_SMTP_PASSWORD=********  [environment]" in out and "hemmeligt" not in out


# Modules that still fall back to the process-wide get_settings() when a caller passes no value.
# None are left (identity/tokens.py and content/__init__.py were the last: the secret and the content
# root are now passed down from the entry points). Nothing may be added to this list.
STILL_FALLING_BACK: set[str] = set()


def _global_settings_reads(path) -> list[str]:
    import ast

    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Name) and node.id == "get_settings":
            out.append(f"{node.lineno}: get_settings")
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("RUSFOKUS_")
        ):
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
                out.append(f"{node.lineno}: {func}({node.args[0].value!r})")
    return out


def test_no_module_reads_settings_from_the_environment_or_a_global_getter():
    """Only rusfokus.settings reads RUSFOKUS_* variables; functions get Settings or values passed in."""
    src = ROOT / "src" / "rusfokus"
    offenders = {}
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if rel == "settings.py" or rel in STILL_FALLING_BACK:
            continue
        found = _global_settings_reads(path)
        if found:
            offenders[rel] = found
    assert not offenders, "read the value from the Settings the entry point passes in: " + "; ".join(
        f"{k} ({', '.join(v)})" for k, v in offenders.items()
    )


def test_every_listed_exception_still_falls_back():
    """The list only shrinks and says what is true: a module that no longer falls back leaves it, so the
    test above guards it from then on."""
    src = ROOT / "src" / "rusfokus"
    stale = sorted(rel for rel in STILL_FALLING_BACK if not _global_settings_reads(src / rel))
    assert not stale, f"no longer falling back, remove from STILL_FALLING_BACK: {stale}"


def test_only_serves_options_are_settings(monkeypatch):
    """`rusfokus serve --port/--host/--book-dir` set settings; another command's --host (the
    calendar host of `temadag export`) does not."""
    from rusfokus.cli import build_parser, settings_for

    monkeypatch.delenv("RUSFOKUS_HOST", raising=False)
    parser = build_parser()
    served = settings_for(parser.parse_args(["serve", "--port", "9123", "--host", "0.0.0.0"]))
    assert (served.port, served.host, served.source("host")) == (9123, "0.0.0.0", "given")
    export = settings_for(parser.parse_args(["temadag", "export", "aarshjul.ics", "--host", "kalender"]))
    assert export.host == Settings.default("host") and export.source("host") == "default"
