"""Scale: exact edge distances, chunked streaming and Dask give row-for-row the in-memory results."""

from __future__ import annotations

import json
import threading
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import PLACES, registry_frame, usc
from hypothesis import given, settings
from hypothesis import strategies as st

import geo_screen as gs
from geo_screen import results as R
from geo_screen.cli import main
from geo_screen.engines.chunked import screen_chunked
from geo_screen.engines.cluster import screen_dask
from geo_screen.errors import ConfigError, InputDataError
from geo_screen.inputs.crs import gcj02_to_wgs84
from geo_screen.pack.catalog import load_catalog
from geo_screen.pack.edges import EdgeIndex
from geo_screen.results import read_results


@pytest.fixture(scope="module")
def catalog(tiny_pack):
    return load_catalog(tiny_pack)


def _registry(n_copies: int = 3) -> pd.DataFrame:
    """The hand-placed registry repeated (shifted ids), with a duplicate code far apart and a broken row."""
    frames = []
    for k in range(n_copies):
        frame = registry_frame()
        frame["统一社会信用代码"] = [usc(100 * k + i) for i in range(len(PLACES))]
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    frame.loc[len(frame) - 1, "统一社会信用代码"] = frame.loc[0, "统一社会信用代码"]  # duplicate of row 1
    frame["经度"] = frame["经度"].astype(object)
    frame.loc[5, "经度"] = ""  # no location
    return frame


def _same(a: R.ScreenResult, b: R.ScreenResult) -> None:
    pd.testing.assert_frame_equal(pd.DataFrame(a.enterprises), pd.DataFrame(b.enterprises))
    pd.testing.assert_frame_equal(pd.DataFrame(a.hits), pd.DataFrame(b.hits))


# --------------------------------------------------------------------------- exact edge distances


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), segment=st.sampled_from([0.5, 5.0, 20.0, 300.0]))
def test_edge_index_equals_geos(seed, segment):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 2000, (6, 2))
    features = [shapely.Point(c).buffer(rng.uniform(20, 400), quad_segs=int(rng.integers(1, 16))) for c in centres[:3]]
    features.append(shapely.box(0, 0, 1500, 40))  # long straight edges
    features.append(
        shapely.Polygon(
            shapely.box(500, 500, 1500, 1500).exterior.coords, [shapely.box(800, 800, 1200, 1200).exterior.coords]
        )
    )  # a hole
    features += [shapely.Point(centres[4]), shapely.LineString([centres[4], centres[5]])]
    geoms = np.array(features, dtype=object)
    index = EdgeIndex(geoms, max_segment_m=segment)
    x, y = rng.uniform(-300, 2300, 300), rng.uniform(-300, 2300, 300)
    dist, owner = index.nearest(x, y, k=2)
    edges = np.array([shapely.boundary(g) if g.geom_type == "Polygon" else g for g in features], dtype=object)
    expected = shapely.distance(shapely.points(x, y)[:, None], edges[None, :])
    np.testing.assert_allclose(dist, expected.min(axis=1), rtol=0, atol=1e-7)
    np.testing.assert_allclose(expected[np.arange(len(x)), owner], dist, rtol=0, atol=1e-7)
    near, _ = index.nearest(x, y, max_distance=50.0)
    assert np.array_equal(np.isfinite(near), expected.min(axis=1) <= 50.0)


def test_gcj02_inverse_does_not_depend_on_the_batch():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(120.4, 121.9, 2000), rng.uniform(31.6, 32.7, 2000)
    whole = gcj02_to_wgs84(lon, lat)
    part = gcj02_to_wgs84(lon[:7], lat[:7])
    assert np.array_equal(whole[0][:7], part[0]) and np.array_equal(whole[1][:7], part[1])


# --------------------------------------------------------------------------- chunked streaming


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_chunked_run_writes_what_the_in_memory_run_writes(catalog, tmp_path, encoding):
    path = tmp_path / "registry.csv"
    _registry().to_csv(path, index=False, encoding=encoding)
    whole = gs.screen(path, catalog)
    gs.write_results(whole, tmp_path / "whole")
    written = screen_chunked(path, catalog, out_dir=tmp_path / "chunked", chunk_rows=7)
    assert {p.name for p in written} == {R.GPKG_NAME, R.PARQUET_NAME, R.XLSX_NAME, R.MANIFEST_NAME}
    a, b = read_results(tmp_path / "whole"), read_results(tmp_path / "chunked")
    _same(a, b)
    assert b.enterprises[R.INPUT_ROW].tolist() == list(range(1, len(_registry()) + 1))
    # the duplicate sits in the first and the last chunk: found by the global pass
    assert "duplicate_enterprise_id:rows 1," in b.enterprises[R.ISSUES].iloc[0]
    assert b.enterprises[R.ISSUES].iloc[-1] == a.enterprises[R.ISSUES].iloc[-1]
    pa_, pb = (gpd.read_parquet(tmp_path / d / R.PARQUET_NAME) for d in ("whole", "chunked"))
    pd.testing.assert_frame_equal(pd.DataFrame(pa_), pd.DataFrame(pb))
    manifest = json.loads((tmp_path / "chunked" / R.MANIFEST_NAME).read_text("utf-8"))
    assert manifest["counts"] == whole.manifest["counts"]
    assert manifest["engine"] == {"name": "chunked", "chunk_rows": 7}
    for layer in (R.ENTERPRISES_LAYER, R.HITS_LAYER):  # the same layer definitions, spatial index included
        info = [pyogrio.read_info(tmp_path / d / R.GPKG_NAME, layer=layer) for d in ("whole", "chunked")]
        for key in ("crs", "geometry_type", "fields", "dtypes", "features"):
            assert np.array_equal(info[0][key], info[1][key]), (layer, key)
        assert [i["capabilities"]["fast_spatial_filter"] for i in info] == [layer == R.ENTERPRISES_LAYER] * 2
    assert not list((tmp_path / "chunked").glob(".*"))  # no staging files left behind


def test_chunked_workbook_lists_flagged_rows_and_summaries(catalog, tmp_path):
    path = tmp_path / "registry.csv"
    _registry().to_csv(path, index=False)
    screen_chunked(path, catalog, out_dir=tmp_path / "out", chunk_rows=10)
    book = pd.read_excel(tmp_path / "out" / R.XLSX_NAME, sheet_name=None, header=None)
    flagged = gs.screen(path, catalog).flagged
    listed = book["企业"]
    assert "仅列出触及标准" in str(listed.iat[0, 0])
    assert len(listed) - 2 == len(flagged)  # note row, header row, then one row per flagged enterprise
    totals = book["区县×处置"]
    assert totals.iloc[-1, 0] == "合计" and int(totals.iloc[-1, -1]) == len(_registry())


def test_read_results_through_arrow_gives_the_plain_read(catalog, tmp_path):
    """read_results reads through Arrow: the same frames (columns, types, values) as pyogrio's plain read,
    except that a text column with no value is text (str), not object."""
    frame = _registry()
    frame.loc[:, "淘汰类装备"] = None  # a boolean column with nothing in it
    path = tmp_path / "registry.csv"
    frame.to_csv(path, index=False)
    gs.write_results(gs.screen(path, catalog), tmp_path / "out")
    got = read_results(tmp_path / "out")
    for layer, frame in ((R.ENTERPRISES_LAYER, got.enterprises), (R.HITS_LAYER, got.hits)):
        plain = gpd.read_file(tmp_path / "out" / R.GPKG_NAME, layer=layer, engine="pyogrio", use_arrow=False)
        empty = [c for c in plain.columns if plain[c].dtype == object and plain[c].isna().all()]
        assert all(frame[c].dtype == "str" and frame[c].isna().all() for c in empty)
        assert layer == R.HITS_LAYER or "淘汰类装备" in empty
        pd.testing.assert_frame_equal(
            pd.DataFrame(frame.drop(columns=empty)), pd.DataFrame(plain.drop(columns=empty)), obj=layer
        )


def test_chunked_run_with_gpkg_child_process_writes_the_same(catalog, tmp_path, monkeypatch):
    """With a workbook, a large run has a child process write results.gpkg from the staged chunks: the same files."""
    from geo_screen.outputs import run

    path = tmp_path / "registry.csv"
    _registry().to_csv(path, index=False)
    screen_chunked(path, catalog, out_dir=tmp_path / "inline", chunk_rows=7)
    monkeypatch.setattr(run, "BACKGROUND_GPKG_ROWS", 1)
    screen_chunked(path, catalog, out_dir=tmp_path / "child", chunk_rows=7)
    assert sorted(p.name for p in (tmp_path / "child").iterdir()) == sorted(
        p.name for p in (tmp_path / "inline").iterdir()
    )
    for layer in (R.ENTERPRISES_LAYER, R.HITS_LAYER):
        info = [pyogrio.read_info(tmp_path / d / R.GPKG_NAME, layer=layer) for d in ("inline", "child")]
        for key in ("crs", "geometry_type", "fields", "dtypes", "features"):
            assert np.array_equal(info[0][key], info[1][key]), (layer, key)
    _same(read_results(tmp_path / "inline"), read_results(tmp_path / "child"))


def test_large_in_memory_workbook_is_the_streamed_one(catalog, tmp_path, monkeypatch):
    """Above EXCEL_ROWS_MAX rows the in-memory run writes what a streamed run writes: flagged rows and the
    summaries, no evidence sheet (a million-row run has about two million evidence rows, more than a sheet holds)."""
    from geo_screen.outputs import workbook

    monkeypatch.setattr(workbook, "EXCEL_ROWS_MAX", 5)
    path = tmp_path / "registry.csv"
    _registry().to_csv(path, index=False)
    whole = gs.screen(path, catalog)
    assert len(whole.hits) > 5
    gs.write_results(whole, tmp_path / "whole")
    screen_chunked(path, catalog, out_dir=tmp_path / "chunked", chunk_rows=10)
    a, b = (pd.read_excel(tmp_path / d / R.XLSX_NAME, sheet_name=None, header=None) for d in ("whole", "chunked"))
    assert list(a) == list(b) and workbook.SHEET_HITS not in a
    assert "仅列出触及标准" in str(a[workbook.SHEET_ENTERPRISES].iat[0, 0])
    for name in a:
        frames = (a[name], b[name])
        if name == workbook.SHEET_RUN:  # the runs' start and finish times differ
            frames = tuple(f[~f[0].isin(["开始时间", "结束时间"])] for f in frames)
        pd.testing.assert_frame_equal(*frames, obj=name)


def test_chunked_rejects_other_formats_and_bad_sizes(catalog, tmp_path):
    with pytest.raises(InputDataError, match="export .xlsx as CSV"):
        screen_chunked(tmp_path / "r.xlsx", catalog, out_dir=tmp_path / "o")
    with pytest.raises(ConfigError, match="positive number of rows"):
        screen_chunked(tmp_path / "r.csv", catalog, out_dir=tmp_path / "o", chunk_rows=0)


def test_cli_chunk_rows(tiny_pack, tmp_path, capsys):
    path = tmp_path / "registry.csv"
    _registry().to_csv(path, index=False)
    code = main(
        [
            "screen",
            str(path),
            "--layers",
            str(tiny_pack),
            "--out",
            str(tmp_path / "out"),
            "--chunk-rows",
            "9",
            "--no-excel",
            "-q",
        ]
    )
    assert code == 0
    assert (tmp_path / "out" / R.GPKG_NAME).exists() and not (tmp_path / "out" / R.XLSX_NAME).exists()
    assert "处置 (disposition)" in capsys.readouterr().out
    assert (
        main(
            [
                "screen",
                str(path),
                "--layers",
                str(tiny_pack),
                "--out",
                str(tmp_path / "o2"),
                "--chunk-rows",
                "9",
                "--engine",
                "dask",
                "-q",
            ]
        )
        == 2
    )


# --------------------------------------------------------------------------- Dask


@pytest.mark.parametrize("scheduler", ["synchronous", "threads"])
def test_dask_local_schedulers_match_the_local_path(catalog, tmp_path, scheduler):
    path = tmp_path / "registry.csv"
    _registry().to_csv(path, index=False)
    local = gs.screen(path, catalog)
    result = screen_dask(path, catalog, scheduler=scheduler, partitions=4)
    _same(local, result)
    assert result.manifest["engine"]["partitions"] == 4
    assert result.manifest["counts"] == local.manifest["counts"]


def test_partitions_sharing_a_workers_pack_check_one_at_a_time(catalog, tmp_path, monkeypatch):
    """The threads of one worker share its pack, whose prepared zones are not safe to build from two threads."""
    from geo_screen.screening import spatial

    running, most, lock, checks = {}, [0], threading.Lock(), spatial._run_checks

    def checks_counted(run, *args):
        pack = id(run.metric)  # two threads starting at once may each load the worker's pack: then two packs
        with lock:
            running[pack] = running.get(pack, 0) + 1
            most[0] = max(most[0], running[pack])
        try:
            time.sleep(0.2)  # long enough for another partition's checks to start meanwhile
            return checks(run, *args)
        finally:
            with lock:
                running[pack] -= 1

    monkeypatch.setattr(spatial, "_run_checks", checks_counted)
    path = tmp_path / "registry.csv"
    _registry().to_csv(path, index=False)
    _same(gs.screen(path, catalog), screen_dask(path, catalog, scheduler="threads", partitions=4))
    assert most[0] == 1


@pytest.mark.slow
def test_dask_on_the_demo_pack_matches_the_local_path():
    demo = gs.demo_paths()
    catalog = load_catalog(demo["catalog"])
    local = gs.screen(demo["registry"], catalog, crs=demo["crs"])
    _same(local, screen_dask(demo["registry"], catalog, crs=demo["crs"], scheduler="threads", partitions=5))


@pytest.mark.slow
def test_dask_local_cluster_with_two_workers(catalog, tmp_path):
    from distributed import Client, LocalCluster

    path = tmp_path / "registry.csv"
    _registry().to_csv(path, index=False)
    local = gs.screen(path, catalog)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = screen_dask(path, catalog, scheduler=cluster.scheduler_address, partitions=4)
        with Client(cluster) as client:  # each worker loaded the pack once, from its path
            cached = client.run(
                lambda: __import__("geo_screen.engines.cluster").engines.cluster._worker_catalog.cache_info().currsize
            )
    _same(local, result)
    assert set(cached.values()) == {1}


@pytest.mark.slow
def test_a_workers_threads_load_the_pack_once(catalog, tmp_path):
    from geo_screen.engines import cluster

    path = tmp_path / "registry.csv"
    _registry().to_csv(path, index=False)
    cluster._worker_catalog.cache_clear()
    screen_dask(path, catalog, scheduler="threads", partitions=6)  # a thread per core takes the partitions
    assert cluster._worker_catalog.cache_info().misses == 1


@pytest.mark.slow
def test_dask_unreachable_scheduler_says_how_to_start_one(catalog, tmp_path):
    path = tmp_path / "registry.csv"
    _registry(1).to_csv(path, index=False)
    with pytest.raises(ConfigError, match="dask scheduler"):
        screen_dask(path, catalog, scheduler="tcp://127.0.0.1:9")


@pytest.mark.slow
def test_the_local_cluster_of_a_run_allocates_arrow_memory_as_the_program_does():
    """The workers of the cluster a run starts use the program's Arrow pool (jemalloc for geo_screen's commands)."""
    import pyarrow as pa

    from geo_screen.engines.cluster import _client
    from geo_screen.runtime import tune_arrow_memory

    previous = pa.default_memory_pool()
    chosen = tune_arrow_memory()
    try:
        client, cluster = _client(None, lambda _msg: None)
        with cluster, client:
            pools = client.run(lambda: __import__("pyarrow").default_memory_pool().backend_name)
    finally:
        pa.set_memory_pool(previous)
    assert pools and set(pools.values()) == {chosen}
