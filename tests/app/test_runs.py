"""Runs that last: every screening saved under a runs folder, listed newest first, found again by its id."""

from __future__ import annotations

import json

import pytest
from results_factory import make_result

from geo_screen.app import runs
from geo_screen.errors import InputDataError


def test_saved_run_is_listed_and_read_back(tmp_path):
    result = make_result(12, seed=1)
    result.manifest.setdefault("input", {})["path"] = "小名录.csv"
    info = runs.save_run(result, tmp_path / "runs")
    assert runs.RUN_ID.fullmatch(info.id)
    listed = runs.list_runs(tmp_path / "runs")
    assert [r.id for r in listed] == [info.id]
    assert listed[0].registry == "小名录.csv" and listed[0].rows == 12
    back = runs.load_run(tmp_path / "runs", info.id)
    assert len(back.enterprises) == 12
    assert "小名录.csv" in runs.run_label(listed[0])


def test_results_folder_is_registered_without_copying(tmp_path):
    import geo_screen as gs

    result = make_result(10, seed=2)
    gs.write_results(result, tmp_path / "out", formats=("gpkg", "parquet"))
    info = runs.register_folder(tmp_path / "out", tmp_path / "runs")
    assert json.loads((tmp_path / "runs" / info.id / runs.POINTER_NAME).read_text("utf-8"))
    assert len(runs.load_run(tmp_path / "runs", info.id).enterprises) == 10
    # registering the same folder again gives the same run, not a second one
    assert runs.register_folder(tmp_path / "out", tmp_path / "runs").id == info.id
    assert len(runs.list_runs(tmp_path / "runs")) == 1


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", "x" * 200, "20260101-000000-zzzzzz/.."])
def test_unknown_or_unsafe_ids_are_refused_in_chinese(tmp_path, bad):
    (tmp_path / "runs").mkdir()
    with pytest.raises(InputDataError, match="筛查记录"):
        runs.load_run(tmp_path / "runs", bad)


def test_listing_skips_broken_entries(tmp_path):
    (tmp_path / "runs" / "20260101-000000-abcdef").mkdir(parents=True)
    (tmp_path / "runs" / "notes.txt").write_text("x")
    assert runs.list_runs(tmp_path / "runs") == []
    assert runs.list_runs(tmp_path / "missing") == []


def test_a_run_whose_files_changed_is_refused_with_the_fix(tmp_path):
    import geo_screen as gs
    from geo_screen import results as R

    saved = runs.save_run(make_result(12, seed=1), tmp_path / "runs")
    (tmp_path / "runs" / saved.id / R.PARQUET_NAME).write_bytes(b"another run's")
    with pytest.raises(InputDataError, match=r"筛查记录 .*结果文件不完整.*results.parquet.*re-run"):
        runs.load_run(tmp_path / "runs", saved.id)
    gs.write_results(make_result(10, seed=2), tmp_path / "out", formats=("gpkg", "parquet"))
    pointed = runs.register_folder(tmp_path / "out", tmp_path / "runs")
    (tmp_path / "out" / R.GPKG_NAME).unlink()
    with pytest.raises(InputDataError, match=r"筛查记录 .*results.gpkg"):
        runs.load_run(tmp_path / "runs", pointed.id)


def test_listing_skips_a_run_interrupted_while_it_was_written(tmp_path):
    from geo_screen import results as R

    folder = tmp_path / "runs" / "20260101-000000-abcdef"
    folder.mkdir(parents=True)
    (folder / R.MANIFEST_NAME).write_text(json.dumps({"pending": [R.GPKG_NAME]}), "utf-8")
    assert runs.list_runs(tmp_path / "runs") == []
