"""SIGKILL at any point of a run or an export: the folder is the old whole output, the new one, or refused.

A child process writes a 50,000-row run (or exports one) into a folder holding an earlier output and is
killed at a random moment of its writing; then the folder is read, and a second run (export) into it must
leave exactly its own files. The commit's own steps are also interrupted one by one (a kill between two
renames is too short a window for a random moment to hit).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from results_factory import make_result

from geo_screen import results as R
from geo_screen.errors import InputDataError
from geo_screen.outputs import packages, staging
from geo_screen.outputs.packages import checked_export, export_packages
from geo_screen.outputs.run import write_results
from geo_screen.results import read_results

ROWS = 50_000
TESTS = Path(__file__).resolve().parents[1]

_RUN = """
import sys
from results_factory import make_result
from geo_screen.outputs.run import write_results
result = make_result({rows}, seed={seed})
result.manifest = {{"tool": "{tag}"}}
print("ready", len(result.enterprises), len(result.hits), flush=True)
write_results(result, sys.argv[1])
"""

_EXPORT = """
import sys
from geo_screen.outputs.packages import export_packages
from geo_screen.results import load_result
result = load_result(sys.argv[1])
print("ready", flush=True)
export_packages(result, sys.argv[2], by="{by}", formats=("shp",), city=True)
"""


def _child(code: str, *args, kill_after: float | None = None) -> tuple[float, list[int]]:
    """Run ``code`` in a child; SIGKILL it ``kill_after`` seconds after it says ready.

    Returns the seconds it wrote (or ran until killed) and the numbers it said with ``ready``.
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=env, stdout=subprocess.PIPE, text=True)
    said = child.stdout.readline().split()
    assert said[:1] == ["ready"]
    start = time.perf_counter()
    if kill_after is None:
        assert child.wait() == 0
    else:
        try:
            child.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    child.stdout.close()
    return time.perf_counter() - start, [int(n) for n in said[1:]]


def _run_state(out: Path, counts: dict[str, tuple[int, int]]) -> str:
    """Which run the folder holds ('old' / 'new', checked whole), or 'refused' with the fix in the message."""
    try:
        res = read_results(out)
    except InputDataError as err:
        assert "re-run 'geo-screen screen'" in str(err)
        return "refused"
    tag = res.manifest["tool"]
    assert [len(res.enterprises), len(res.hits)] == list(counts[tag])
    assert sorted(res.manifest["files"]) == sorted([R.GPKG_NAME, R.PARQUET_NAME] + [R.XLSX_NAME] * (tag != "small"))
    return tag


@pytest.mark.slow
def test_a_run_killed_at_random_moments_leaves_the_old_run_the_new_one_or_a_refusal(tmp_path):
    out = tmp_path / "out"
    counts = {"small": (12, len(make_result(12, seed=0).hits))}
    took, counts["old"] = _child(_RUN.format(rows=ROWS, seed=1, tag="old"), out)
    assert _run_state(out, counts) == "old"
    before, seen = "old", []
    for seed in range(3):
        moment = random.Random(seed).uniform(0, took * 1.1)
        _, counts["new"] = _child(_RUN.format(rows=ROWS, seed=2, tag="new"), out, kill_after=moment)
        state = _run_state(out, counts)
        assert state in {before, "new", "refused"}
        seen.append(state)
        # a second run into the folder: its own files only, the dead writer's staging folder removed
        small = make_result(12, seed=0)
        small.manifest = {"tool": "small"}
        write_results(small, out, formats=("gpkg", "parquet"))
        assert sorted(p.name for p in out.iterdir()) == sorted([R.GPKG_NAME, R.PARQUET_NAME, R.MANIFEST_NAME])
        assert len(read_results(out).enterprises) == 12
        before = "small"
    print("states after the kills:", seen)


def _export_state(out: Path) -> str:
    try:
        record = checked_export(out)
    except InputDataError as err:
        assert "export again" in str(err)
        return "refused"
    files = set(record["files"])
    assert {p.name for p in out.iterdir()} - {packages.EXPORT_RECORD} >= files
    assert "汇总.xlsx" in files
    return record["export"]["by"]


@pytest.mark.slow
def test_an_export_killed_at_random_moments_leaves_the_old_export_the_new_one_or_a_refusal(tmp_path):
    run, out = tmp_path / "run", tmp_path / "export"
    write_results(make_result(ROWS, seed=3), run, formats=("gpkg", "parquet"))
    took, _ = _child(_EXPORT.format(by="county"), run, out)
    assert _export_state(out) == "county"
    before, seen = "county", []
    for seed in range(3):
        moment = random.Random(seed).uniform(0, took * 1.1)
        _child(_EXPORT.format(by="standard"), run, out, kill_after=moment)
        state = _export_state(out)
        assert state in {before, "standard", "refused"}
        seen.append(state)
        export_packages(make_result(40, seed=seed), out, by="industry", formats=("xlsx",), city=True)
        record = checked_export(out)
        assert {p.name for p in out.iterdir()} == {*record["files"], packages.EXPORT_RECORD}
        before = "industry"
    print("states after the kills:", seen)


def _interrupt_at(monkeypatch, step: int) -> None:
    """Stop the commit at its ``step``-th file operation (record written, file removed, file moved in)."""
    calls = {"n": 0}

    def counted(real):
        def wrapper(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == step:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(staging.os, "replace", counted(os.replace))
    monkeypatch.setattr(staging.Path, "unlink", counted(Path.unlink))


@pytest.mark.parametrize("step", range(1, 9))
def test_a_commit_stopped_at_any_step_leaves_the_old_run_the_new_one_or_a_refusal(tmp_path, monkeypatch, step):
    old, new = make_result(12, seed=1), make_result(14, seed=2)
    old.manifest, new.manifest = {"tool": "old"}, {"tool": "new"}
    write_results(old, tmp_path)  # with the workbook: the new run (without one) removes it
    with monkeypatch.context() as patched:
        _interrupt_at(patched, step)
        try:
            write_results(new, tmp_path, formats=("gpkg", "parquet"))
        except KeyboardInterrupt:
            pass
    try:
        state = read_results(tmp_path).manifest["tool"]
    except InputDataError as err:
        assert "re-run 'geo-screen screen'" in str(err)
        state = "refused"
    assert state in {"old", "new", "refused"}
    if state == "old":
        assert len(read_results(tmp_path).enterprises) == 12
    write_results(new, tmp_path, formats=("gpkg", "parquet"))  # the next run clears whatever the stopped one left
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([R.GPKG_NAME, R.PARQUET_NAME, R.MANIFEST_NAME])
    assert json.loads((tmp_path / R.MANIFEST_NAME).read_text("utf-8"))["tool"] == "new"
