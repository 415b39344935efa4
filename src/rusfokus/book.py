"""Build the Jupyter Book safely: into a staging folder, swapped in only on success.

`make run` must never serve a half-built book: a failed build (a warning, a
page that fails to execute, a broken kommune.yml) leaves the last good
``_build/html`` untouched and exits non-zero with the reason.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from rusfokus.kommune import KommuneError, load_kommune
from rusfokus.settings import Settings
from rusfokus.sphinxext import STATIC_DIR


class BookBuildError(Exception):
    pass


def book_environment(settings: Settings) -> dict[str, str]:
    """The settings the book's pages use, for the Sphinx build's environment: its extension reads the
    municipality, the app pages it executes (kernels of their own) read both, as under `rusfokus serve`."""
    return {"RUSFOKUS_KOMMUNE": str(settings.kommune_file), "RUSFOKUS_CONTENT_DIR": str(settings.content_dir)}


def _jupyter_book() -> str:
    exe = Path(sys.executable).with_name("jupyter-book")
    return str(exe) if exe.exists() else "jupyter-book"


def build_book(
    root: Path,
    out_dir: Path | None = None,
    staging: Path | None = None,
    quiet: bool = False,
    settings: Settings | None = None,
) -> Path:
    """Build ``root`` with warnings as errors; return the HTML folder.

    ``settings``: the same settings the server uses (the municipality's file, RUSFOKUS_KOMMUNE);
    read from the environment once, here, when not given (root: the book's folder). The Sphinx
    build (a subprocess) gets them through its environment."""
    root = Path(root).resolve()
    settings = settings or Settings.from_env(root=root)
    out_dir = Path(out_dir or settings.book_dir).resolve()  # where the server looks for it
    staging = Path(staging or out_dir.parent / "staging").resolve()
    if not (root / "assets" / "ipywidgets" / "embed-amd.js").is_file():
        raise BookBuildError(
            f"{root / 'assets' / 'ipywidgets'} is missing the widget JavaScript. Run `make assets` (npm ci) first."
        )

    try:
        load_kommune(settings.kommune_file)
    except KommuneError as exc:
        raise BookBuildError(f"{exc}\nFix {settings.kommune_file}, then build again.") from None
    cmd = [_jupyter_book(), "build", str(root), "--path-output", str(staging), "-W", "-n", "--keep-going"]
    env = {**os.environ, **book_environment(settings)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        problems = [ln for ln in output.splitlines() if "WARNING" in ln or "ERROR" in ln or "Error" in ln]
        detail = "\n".join(problems[-30:]) or output[-4000:]
        raise BookBuildError(
            f"The book did not build (warnings count as errors); the last good build is kept.\n{detail}"
        )
    if not quiet:
        print(output.strip().splitlines()[-1] if output.strip() else "built")
    built = staging / "_build" / "html"
    # Sphinx skips copying static files when no page is out of date; our own
    # JS/CSS and the widget JS may still have changed, so copy them every time.

    shutil.copytree(STATIC_DIR, built / "_static", dirs_exist_ok=True)
    # assets/live is the apps' front end, served by `rusfokus serve` itself
    shutil.copytree(root / "assets", built / "_static", dirs_exist_ok=True, ignore=shutil.ignore_patterns("live"))
    tmp = out_dir.with_name(out_dir.name + ".new")
    old = out_dir.with_name(out_dir.name + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    shutil.copytree(built, tmp)
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="rusfokus-book", description="Build the book into _build/html (warnings are errors)."
    )
    parser.add_argument("--root", default=".", help="Project folder holding _config.yml.")
    parser.add_argument(
        "--out", default=None, help="Output HTML folder (default RUSFOKUS_BOOK_DIR or <root>/_build/html)."
    )
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    try:
        settings = Settings.from_env(root=root)  # the same settings as `rusfokus serve`, read once
    except ValueError as exc:  # a setting of the wrong kind (named with its env var)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        out = build_book(root, Path(args.out) if args.out else None, settings=settings)
    except BookBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"book built: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
