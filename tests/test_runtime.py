"""Starting the child processes that write files beside the caller, and reading what a failed one said."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import geo_screen
from geo_screen.runtime import last_error_line, python_child


def test_a_child_finds_geo_screen_where_this_process_did_and_its_last_error_line_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the repository: the child finds geo_screen through its path alone
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "elsewhere"))
    with tempfile.TemporaryFile() as errors:
        child = python_child("geo_screen.runtime", errors=errors, stdout=subprocess.DEVNULL)
        assert child.wait() == 0 and last_error_line(errors) is None
    script = tmp_path / "fails.py"
    script.write_text("import os, sys\nprint(os.environ['PYTHONPATH'])\nsys.exit('writing x.gpkg: disk full\\n\\n')\n")
    with tempfile.TemporaryFile() as errors:
        child = python_child("fails", errors=errors, stdout=subprocess.PIPE)
        out, _ = child.communicate()
        assert child.returncode == 1
        root = Path(geo_screen.__file__).resolve().parents[1]  # where this process found geo_screen, then the caller's
        assert out.decode().strip().split(os.pathsep) == [str(root), str(tmp_path / "elsewhere")]
        assert last_error_line(errors) == "writing x.gpkg: disk full"
