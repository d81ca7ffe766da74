"""Results as Arrow tables and GeoPackage layers written from them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import MultiPolygon, Point, box

from geo_screen.outputs.gpkg import gdal_config, geometry_kinds, geoparquet_table, write_gpkg_arrow


def write_gpkg_layer(frame: gpd.GeoDataFrame, path, layer: str, *, spatial_index: bool = True) -> None:
    """One frame as a new layer, as the run writer writes each of its layers."""
    types, has_z, table = *geometry_kinds(frame.geometry.to_numpy()), geoparquet_table(frame)
    options = {"types": types, "has_z": has_z, "crs": frame.crs, "spatial_index": spatial_index}
    write_gpkg_arrow(table.schema, table.to_batches(max_chunksize=3), path, layer, **options)


def _frame(geometry) -> gpd.GeoDataFrame:
    n = len(geometry)
    return gpd.GeoDataFrame(
        {
            "name": pd.array(["甲", None, "丙", "丁"][:n], dtype="str"),
            "empty": pd.array([None] * n, dtype="str"),
            "flag": pd.array([True, None, False, True][:n], dtype="boolean"),
            "row": np.arange(1, n + 1, dtype=np.int64),
            "margin_m": [1.5, np.nan, -2.25, 0.0][:n],
        },
        geometry=geometry,
        crs="EPSG:4490",
    )


@pytest.mark.parametrize(
    "geometry",
    [
        [Point(120.9, 32.0), Point(121.0, 32.1), None, Point(121.1, 31.9)],
        [box(0, 0, 1, 1), MultiPolygon([box(2, 2, 3, 3), box(4, 4, 5, 5)]), box(6, 6, 7, 7), None],
        [Point(0, 0), box(0, 0, 1, 1), None, Point(1, 1)],
    ],
)
def test_layer_is_what_pyogrio_writes_for_the_frame(tmp_path, geometry):
    frame = _frame(geometry)
    write_gpkg_layer(frame, tmp_path / "ours.gpkg", "t")
    pyogrio.write_dataframe(frame, tmp_path / "pyogrio.gpkg", layer="t", driver="GPKG", use_arrow=True)
    ours, theirs = (pyogrio.read_info(tmp_path / f, layer="t") for f in ("ours.gpkg", "pyogrio.gpkg"))
    for key in ("crs", "geometry_type", "fields", "dtypes", "features"):
        assert np.array_equal(ours[key], theirs[key]), key
    a, b = (pyogrio.read_dataframe(tmp_path / f, layer="t") for f in ("ours.gpkg", "pyogrio.gpkg"))
    pd.testing.assert_frame_equal(a, b)


def test_hits_layer_can_leave_out_the_spatial_index(tmp_path):
    frame = _frame([Point(0, 0), Point(1, 1)])
    write_gpkg_layer(frame, tmp_path / "a.gpkg", "with")
    write_gpkg_layer(frame, tmp_path / "a.gpkg", "without", spatial_index=False)
    caps = {
        layer: pyogrio.read_info(tmp_path / "a.gpkg", layer=layer)["capabilities"]["fast_spatial_filter"]
        for layer in ("with", "without")
    }
    assert caps == {"with": True, "without": False}


def test_geoparquet_table_reads_back_as_the_frame(tmp_path):
    import pyarrow.parquet as pq

    frame = _frame([Point(0, 0), None, Point(1, 1)])
    pq.write_table(geoparquet_table(frame), tmp_path / "f.parquet")
    back = gpd.read_parquet(tmp_path / "f.parquet")
    assert back.crs == frame.crs
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.drop(columns="geometry")), pd.DataFrame(frame.drop(columns="geometry"))
    )
    assert back.geometry.equals(frame.geometry)


def test_gdal_write_options_hold_during_a_write_only(tmp_path, monkeypatch):
    """GDAL writes with no journal, no fsync and a 16 MB page cache; the options are restored after, failed or not."""
    from geo_screen.outputs import gpkg

    keys = sorted(gpkg.GPKG_WRITE_CONFIG)
    assert keys == ["OGR_SQLITE_CACHE", "OGR_SQLITE_JOURNAL", "OGR_SQLITE_SYNCHRONOUS"]
    pyogrio.set_gdal_config_options({"OGR_SQLITE_JOURNAL": "DELETE"})  # one set by the user, kept
    before = {key: pyogrio.get_gdal_config_option(key) for key in keys}
    seen = {}
    real = pyogrio.write_arrow

    def write(*args, **kwargs):
        seen.update({key: pyogrio.get_gdal_config_option(key) for key in keys})
        return real(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "write_arrow", write)
    try:
        write_gpkg_layer(_frame([Point(0, 0)]), tmp_path / "a.gpkg", "t")
        assert seen == {"OGR_SQLITE_CACHE": 16, "OGR_SQLITE_JOURNAL": False, "OGR_SQLITE_SYNCHRONOUS": False}
        assert {key: pyogrio.get_gdal_config_option(key) for key in keys} == before
        assert before["OGR_SQLITE_JOURNAL"] == "DELETE" and before["OGR_SQLITE_SYNCHRONOUS"] is None
        with pytest.raises(RuntimeError):
            with gdal_config({"OGR_SQLITE_CACHE": "64"}):
                assert pyogrio.get_gdal_config_option("OGR_SQLITE_CACHE") == 64
                raise RuntimeError
        assert {key: pyogrio.get_gdal_config_option(key) for key in keys} == before
    finally:
        pyogrio.set_gdal_config_options({"OGR_SQLITE_JOURNAL": None})
    assert pyogrio.read_info(tmp_path / "a.gpkg", layer="t")["features"] == 1
