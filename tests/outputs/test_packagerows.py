"""An export reads a run a package at a time: the deciding columns first, then each package's rows."""

from __future__ import annotations

import io
import json
import re
import zipfile

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import shapely
from results_factory import make_result

from geo_screen import results as R
from geo_screen.outputs.packagerows import export_rows
from geo_screen.outputs.packages import export_packages, package_bytes
from geo_screen.records import file_digest


def _masked(text):
    return re.sub(r"生成于 [0-9: -]+", "生成于 <time>", text)


def _cells(path) -> dict:
    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: [[_masked(v) if isinstance(v, str) else v for v in r] for r in ws.values] for ws in book}


def _written_run(result, folder):
    """``result`` as a run folder: results.gpkg and a run.json recording it."""
    folder.mkdir()
    gpkg = folder / R.GPKG_NAME
    pyogrio.write_dataframe(result.enterprises, gpkg, layer=R.ENTERPRISES_LAYER)
    pyogrio.write_dataframe(result.hits, gpkg, layer=R.HITS_LAYER)
    record = {**result.manifest, "files": {R.GPKG_NAME: file_digest(gpkg)}}
    (folder / R.MANIFEST_NAME).write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    return folder


def test_a_few_rows_have_the_column_types_of_the_whole_layer(tmp_path):
    """A boolean or integer missing a value in some row is a float column, also in the rows that miss none."""
    frame = gpd.GeoDataFrame(
        {
            "flag": pd.array([True, None, False, True], dtype="boolean"),
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
            "whole": np.array([1, 2, 3, 4], dtype=np.int64),
            "always": np.array([True, False, True, True]),
            "text": ["a", None, "c", "d"],
        },
        geometry=shapely.points(np.arange(4.0), np.arange(4.0)),
        crs="EPSG:4490",
    )
    gpkg = tmp_path / "t.gpkg"
    pyogrio.write_dataframe(frame, gpkg, layer="t")
    rows = R.LayerRows(gpkg, "t")
    whole = rows.read()
    part = rows.read(fids=np.array([4, 1]))  # rows 1 and 4: nothing missing in them
    assert part["fid"].tolist() == [1, 4]  # in the layer's order, whatever order they were asked in
    pd.testing.assert_frame_equal(part.drop(columns="fid"), whole.iloc[[0, 3]].reset_index(drop=True))
    assert whole.dtypes["flag"] == "float64" and whole.dtypes["count"] == "float64"
    assert whole.dtypes["whole"] == "int64" and whole.dtypes["always"] == "bool"
    keys = rows.read(columns=["text"], geometry=False)
    assert list(keys.columns) == ["fid", "text"] and not isinstance(keys, gpd.GeoDataFrame)


def test_an_export_never_reads_the_whole_run(tmp_path, monkeypatch):
    """Only the deciding columns of every row; a package's rows whole (a million-row run is never held at once)."""
    run = _written_run(make_result(40, seed=0), tmp_path / "run")
    reads = []
    read = R.LayerRows.read

    def recorded(self, *, fids=None, columns=None, geometry=True):
        reads.append((self.layer, fids is None, columns))
        return read(self, fids=fids, columns=columns, geometry=geometry)

    monkeypatch.setattr(R.LayerRows, "read", recorded)
    export_packages(run, tmp_path / "out", city=True)
    assert reads and all(not whole or columns is not None for _, whole, columns in reads)
    whole_columns = [columns for _, whole, columns in reads if whole and columns is not None]
    assert all(len(columns) < 20 for columns in whole_columns)


def test_packages_from_the_file_are_those_from_memory(tmp_path):
    """The same members with the same tables, sheets and text, read from results.gpkg or given in memory."""
    result = make_result(60, seed=5)
    run = _written_run(result, tmp_path / "run")
    from_memory = export_packages(R.read_results(run), tmp_path / "memory", formats=("shp", "xlsx", "gpkg"), city=True)
    from_file = export_packages(run, tmp_path / "file", formats=("shp", "xlsx", "gpkg"), city=True)
    assert [p.name for p in from_file.files] == [p.name for p in from_memory.files]
    assert from_file.rows == from_memory.rows
    for a, b in zip(from_memory.files, from_file.files):
        with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
            assert za.namelist() == zb.namelist()
            for name in za.namelist():
                if name.endswith((".shp", ".shx", ".prj", ".cpg", ".csv")):
                    assert za.read(name) == zb.read(name), name
                elif name.endswith(".dbf"):  # bytes 1-3: the date of last update
                    assert za.read(name)[4:] == zb.read(name)[4:], name
    for a, b in zip(from_memory.city, from_file.city):
        if a.suffix == ".xlsx":
            assert _cells(a) == _cells(b), a.name
        else:
            assert _masked(a.read_text("utf-8-sig")) == _masked(b.read_text("utf-8-sig"))
    county = next(iter(from_file.rows))
    one = package_bytes(run, value=county, formats=("shp", "xlsx", "gpkg"))
    with zipfile.ZipFile(io.BytesIO(one)) as zf, zipfile.ZipFile(from_file.files[0]) as whole:
        assert zf.namelist() == whole.namelist()
        assert zf.read(f"{from_file.files[0].stem}_点.shp") == whole.read(f"{from_file.files[0].stem}_点.shp")


def test_export_rows_of_a_file_give_the_run_s_rows(tmp_path):
    result = make_result(30, seed=2)
    run = _written_run(result, tmp_path / "run")
    rows = export_rows(run)
    whole = R.load_result(run)
    assert len(rows.keys) == len(whole.enterprises)
    picked = np.flatnonzero(R.flagged_mask(rows.keys))[::3]
    pd.testing.assert_frame_equal(rows.enterprises(picked), whole.enterprises.iloc[picked].reset_index(drop=True))
    inputs = whole.enterprises[R.INPUT_ROW].iloc[picked]
    want = whole.hits[whole.hits[R.INPUT_ROW].isin(inputs)].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows.hits(inputs), want)
