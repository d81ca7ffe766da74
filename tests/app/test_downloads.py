"""The download buttons' files, made in memory: results (xlsx, gpkg), the public list, a county package."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pyogrio
import pytest
from results_factory import make_result

from geo_screen import results as R
from geo_screen.app import downloads as dl
from geo_screen.app import state as ex
from geo_screen.vocabulary import MISSING_ZH


@pytest.fixture(scope="module")
def run():
    return ex.prepare(make_result(60, seed=7))


def test_downloads_produce_readable_files(run, tmp_path):
    counties = dl.package_counties(run.result)
    assert counties and set(counties) <= set(run.options["counties"])
    items = {d.file_name: d for d in dl.downloads(run.result, county=counties[0])}
    assert set(items) == {
        "results.xlsx",
        "results.gpkg",
        "内部初筛名单（未经核实，不得公开）.xlsx",
        f"{counties[0]}.zip",
    }
    book = openpyxl.load_workbook(io.BytesIO(items["results.xlsx"].make()), read_only=True)
    assert "企业" in book.sheetnames
    gpkg = tmp_path / "r.gpkg"
    gpkg.write_bytes(items["results.gpkg"].make())
    assert set(pyogrio.list_layers(gpkg)[:, 0]) == {"enterprises", "hits"}
    assert pyogrio.read_info(gpkg, layer="enterprises")["features"] == len(run.enterprises)
    public = pd.read_excel(io.BytesIO(items["内部初筛名单（未经核实，不得公开）.xlsx"].make()), header=1)
    assert len(public) == len(run.result.flagged)
    with zipfile.ZipFile(io.BytesIO(items[f"{counties[0]}.zip"].make())) as zf:
        assert any(n.endswith(".shp") for n in zf.namelist())


def test_results_xlsx_is_written_in_memory(run, monkeypatch):
    import tempfile

    def no_temp(*args, **kwargs):
        raise AssertionError("results.xlsx should not go through a temporary file")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", no_temp)
    monkeypatch.setattr(tempfile, "mkstemp", no_temp)
    data = dl.results_xlsx_bytes(run.result)
    assert data[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames[:2] == ["企业", "证据"]
    assert book["企业"].max_row == len(run.enterprises) + 1  # header + one row per enterprise


def test_package_counties_are_the_flagged_ones(run):
    counties = dl.package_counties(run.result)
    flagged = run.result.flagged[R.COUNTY].astype("string").str.strip()
    assert set(counties) - {MISSING_ZH} == set(flagged.dropna()) - {""}
    assert counties == sorted(counties, key=lambda v: (v == MISSING_ZH, v))
    assert (
        dl.downloads(run.result)[-1].file_name == "内部初筛名单（未经核实，不得公开）.xlsx"
    )  # no county, no package button
