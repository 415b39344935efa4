"""The fast-test guard (tests/conftest.py): an unmarked test cannot build a book or start `rusfokus serve`."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "cmd",
    [
        ["jupyter-book", "build", "."],
        [sys.executable, "-m", "rusfokus.cli", "serve"],
        ["rusfokus", "serve", "--port", "1"],
    ],
)
def test_an_unmarked_test_cannot_build_a_book_or_start_a_server(cmd):
    with pytest.raises(RuntimeError, match="is not marked slow"):
        subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_other_subprocesses_still_run():
    assert subprocess.run([sys.executable, "-c", "print('ok')"], capture_output=True, text=True).stdout == "ok\n"
