"""The run writer: one chunk or many, with or without the GeoPackage child process, the same files."""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from results_factory import make_result
from shapely.geometry import MultiPolygon, Point, box

from geo_screen import results as R
from geo_screen.errors import ConfigError, ExportError, InputDataError
from geo_screen.outputs import run
from geo_screen.outputs.run import RunWriter, write_results
from geo_screen.results import read_results

MANIFEST = {"tool": "test"}


@pytest.fixture(scope="module")
def result() -> R.ScreenResult:
    return make_result(60, seed=3)


def _chunks(result: R.ScreenResult, size: int):
    """The result as (enterprises, hits) chunks of ``size`` enterprises, hits following their enterprise."""
    ents = result.enterprises
    for start in range(0, len(ents), size):
        part = ents.iloc[start : start + size]
        yield part, result.hits[result.hits[R.INPUT_ROW].isin(part[R.INPUT_ROW])]


def _book(path):
    path.write_bytes(b"workbook")


def _write(result, out, *, chunk: int | None = None, workbook=None, **options):
    with RunWriter(out, **options) as writer:
        for enterprises, hits in _chunks(result, chunk or len(result.enterprises)):
            writer.add(enterprises, hits)
        return writer.close(MANIFEST, workbook=workbook)


def _same_files(a, b) -> None:
    """Two results folders hold the same files: layers (order, definitions, spatial index, rows), GeoParquet copy."""
    assert [sorted(p.name for p in d.iterdir() if p.name != R.XLSX_NAME) for d in (a, b)] == [
        sorted(p.name for p in a.iterdir() if p.name != R.XLSX_NAME)
    ] * 2
    layers = [pyogrio.list_layers(d / R.GPKG_NAME).tolist() for d in (a, b)]
    assert layers[0] == layers[1] and [name for name, _ in layers[0]] == [R.ENTERPRISES_LAYER, R.HITS_LAYER]
    for layer in (R.ENTERPRISES_LAYER, R.HITS_LAYER):
        info = [pyogrio.read_info(d / R.GPKG_NAME, layer=layer) for d in (a, b)]
        for key in ("crs", "geometry_type", "fields", "dtypes", "features"):
            assert np.array_equal(info[0][key], info[1][key]), (layer, key)
        assert [i["capabilities"]["fast_spatial_filter"] for i in info] == [layer == R.ENTERPRISES_LAYER] * 2
    ra, rb = read_results(a), read_results(b)
    pd.testing.assert_frame_equal(pd.DataFrame(ra.enterprises), pd.DataFrame(rb.enterprises))
    pd.testing.assert_frame_equal(pd.DataFrame(ra.hits), pd.DataFrame(rb.hits))
    if (a / R.PARQUET_NAME).exists():
        pd.testing.assert_frame_equal(*(pd.DataFrame(gpd.read_parquet(d / R.PARQUET_NAME)) for d in (a, b)))


@pytest.mark.parametrize("child", [False, True])
@pytest.mark.parametrize("parquet", [True, False])
def test_one_chunk_or_many_write_the_same_files(result, tmp_path, monkeypatch, child, parquet):
    """Held in memory (one chunk) or staged (many), in this process or in the child beside the workbook."""
    formats = ("gpkg", "parquet", "xlsx") if parquet else ("gpkg", "xlsx")
    _write(result, tmp_path / "whole", formats=formats)
    if child:
        monkeypatch.setattr(run, "BACKGROUND_GPKG_ROWS", 1)
    for name, chunk in (("one", None), ("many", 7)):
        written = _write(result, tmp_path / name, chunk=chunk, formats=formats, workbook=_book if child else None)
        assert [p.name for p in written] == [R.GPKG_NAME] + [R.PARQUET_NAME] * parquet + [R.XLSX_NAME] * child + [
            R.MANIFEST_NAME
        ]
        _same_files(tmp_path / "whole", tmp_path / name)  # nothing else left behind: no staging, no temporary folder
    back = read_results(tmp_path / "many")
    files = back.manifest.pop("files")
    written = ["gpkg"] + ["parquet"] * parquet + ["xlsx"] * child
    assert back.manifest == {
        **MANIFEST,
        "output": {"crs": "EPSG:4490", "formats": written},
        "timezone": "Asia/Shanghai",
    }
    assert sorted(files) == sorted([R.GPKG_NAME] + [R.PARQUET_NAME] * parquet + [R.XLSX_NAME] * child)
    assert len(back.enterprises) == len(result.enterprises) and len(back.hits) == len(result.hits)


def test_gdal_reads_the_geopackage(result, tmp_path):
    _write(result, tmp_path, chunk=9)
    for layer, rows in ((R.ENTERPRISES_LAYER, len(result.enterprises)), (R.HITS_LAYER, len(result.hits))):
        info = subprocess.run(
            ["ogrinfo", "-so", str(tmp_path / R.GPKG_NAME), layer], capture_output=True, text=True, check=True
        ).stdout
        assert f"Feature Count: {rows}" in info and "EPSG" in info and "4490" in info


def test_write_results_reprojects_and_records_the_output_crs(result, tmp_path):
    write_results(result, tmp_path, out_crs="EPSG:4549", formats=("gpkg", "parquet"))
    back = read_results(tmp_path)
    assert back.enterprises.crs.to_epsg() == 4549 and back.manifest["output"]["crs"] == "EPSG:4549"
    located = result.enterprises.geometry.notna() & ~result.enterprises.geometry.is_empty
    assert np.allclose(
        back.enterprises.geometry[located].centroid.x, result.enterprises.to_crs(4549).geometry[located].centroid.x
    )


def _leftovers(out):
    return sorted(p.name for p in out.iterdir())


@pytest.mark.parametrize("when", ["staging", "hits layer", "workbook beside the child"])
def test_interrupted_write_leaves_the_output_folder_as_it_was(result, tmp_path, monkeypatch, when):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("kept")
    real = run.write_gpkg_arrow

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    def write(schema, batches, path, layer, **options):
        (interrupt if layer == R.HITS_LAYER else real)(schema, batches, path, layer, **options)

    book = None
    if when == "staging":
        monkeypatch.setattr(run._Layer, "append", interrupt)
    elif when == "hits layer":
        monkeypatch.setattr(run, "write_gpkg_arrow", write)
    else:
        monkeypatch.setattr(run, "BACKGROUND_GPKG_ROWS", 1)
        book = interrupt
    with pytest.raises(KeyboardInterrupt):
        _write(result, out, chunk=7 if when == "staging" else None, workbook=book)
    assert _leftovers(out) == ["notes.txt"]


def test_child_failure_is_one_clear_error_and_leaving_early_stops_the_child(result, tmp_path, monkeypatch):
    layers = {R.ENTERPRISES_LAYER: {"types": [0], "has_z": False, "index": True}}
    table = run.geoparquet_table(result.enterprises)
    with ThreadPoolExecutor() as sender:
        with pytest.raises(ExportError, match="writing results.gpkg failed: .*results.gpkg.*check free space"):
            sources = [(table.schema, iter(table.to_batches()))]
            with run._gpkg_in_child(tmp_path / "missing" / R.GPKG_NAME, layers, "EPSG:4490", sources, sender):
                pass
        started = []
        real = run.subprocess.Popen
        monkeypatch.setattr(run.subprocess, "Popen", lambda *a, **k: started.append(real(*a, **k)) or started[-1])
        sources = [(table.schema, iter(table.to_batches(max_chunksize=10)))]
        with pytest.raises(KeyboardInterrupt):
            with run._gpkg_in_child(tmp_path / "other.gpkg", layers, "EPSG:4490", sources, sender):
                raise KeyboardInterrupt
    assert started[0].returncode is not None


def test_the_child_writes_the_geopackage_from_rows_streamed_to_it(result, tmp_path, monkeypatch):
    """A run held in memory hands its rows to the GeoPackage child directly: no evidence file is staged."""
    monkeypatch.setattr(run, "BACKGROUND_GPKG_ROWS", 1)
    staged = []

    def book(path):
        staged.extend(p.name for p in path.parent.iterdir())
        _book(path)

    _write(result, tmp_path / "out", workbook=book)
    assert staged and not [name for name in staged if name.endswith(".parquet") and name != R.PARQUET_NAME]
    _write(result, tmp_path / "whole")
    _same_files(tmp_path / "whole", tmp_path / "out")


def test_unwritable_output_folder_names_the_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(
        ExportError, match=r"cannot create or write in the output folder .*file/out: .*writable output folder"
    ) as err:
        RunWriter(blocker / "out")
    assert "--out" not in str(err.value)


def test_chunks_of_single_and_multi_parts_make_the_layer_a_whole_frame_makes(tmp_path):
    """Polygons in one chunk and multipolygons in the next make one MultiPolygon layer, as the whole frame does."""
    parts = [
        gpd.GeoDataFrame(
            {"name": pd.array(["a", "b"], dtype="str")}, geometry=[box(0, 0, 1, 1), box(2, 2, 3, 3)], crs="EPSG:4490"
        ),
        gpd.GeoDataFrame(
            {"name": pd.array(["c", None], dtype="str")},
            geometry=[MultiPolygon([box(4, 4, 5, 5), box(6, 6, 7, 7)]), None],
            crs="EPSG:4490",
        ),
    ]
    points = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(0, 0)], crs="EPSG:4490")
    for name, chunks in (("whole", [pd.concat(parts, ignore_index=True)]), ("chunked", parts)):
        with RunWriter(tmp_path / name, formats=("gpkg",)) as writer:
            for part in chunks:
                writer.add(part, points.iloc[:0] if part is parts[0] else points)
            writer.close(MANIFEST)
    info = [pyogrio.read_info(tmp_path / d / R.GPKG_NAME, layer=R.ENTERPRISES_LAYER) for d in ("whole", "chunked")]
    assert info[0]["geometry_type"] == info[1]["geometry_type"] == "MultiPolygon"
    a, b = (pyogrio.read_dataframe(tmp_path / d / R.GPKG_NAME, layer=R.ENTERPRISES_LAYER) for d in ("whole", "chunked"))
    assert a.geometry.geom_type.tolist()[:3] == b.geometry.geom_type.tolist()[:3] == ["MultiPolygon"] * 3
    assert a.geometry.equals(b.geometry) and a["name"].equals(b["name"])
    assert json.loads((tmp_path / "chunked" / R.MANIFEST_NAME).read_text("utf-8"))["output"] == {
        "crs": "EPSG:4490",
        "formats": ["gpkg"],
    }


# --------------------------------------------------------------------------- a results folder is one run


def test_run_json_lists_every_file_with_its_size_and_sha256(result, tmp_path):
    import hashlib

    write_results(result, tmp_path, formats=("gpkg", "parquet"))
    files = json.loads((tmp_path / R.MANIFEST_NAME).read_text("utf-8"))["files"]
    assert sorted(files) == [R.GPKG_NAME, R.PARQUET_NAME]
    for name, entry in files.items():
        data = (tmp_path / name).read_bytes()
        assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_a_second_run_without_the_workbook_removes_the_first_runs_workbook(result, tmp_path):
    write_results(result, tmp_path)
    assert (tmp_path / R.XLSX_NAME).exists()
    write_results(make_result(12, seed=1), tmp_path, formats=("gpkg", "parquet"))
    assert _leftovers(tmp_path) == [R.GPKG_NAME, R.PARQUET_NAME, R.MANIFEST_NAME]
    assert len(read_results(tmp_path).enterprises) == 12


def test_a_run_keeps_files_that_are_not_a_runs(result, tmp_path):
    (tmp_path / "notes.txt").write_text("kept")
    write_results(result, tmp_path)
    write_results(result, tmp_path, formats=("gpkg",))
    assert _leftovers(tmp_path) == ["notes.txt", R.GPKG_NAME, R.MANIFEST_NAME]


def test_a_record_naming_files_outside_the_folder_never_removes_them(result, tmp_path):
    out, outside = tmp_path / "out", tmp_path / "precious.txt"
    outside.write_text("kept")
    write_results(result, out, formats=("gpkg", "parquet"))
    record = json.loads((out / R.MANIFEST_NAME).read_text("utf-8"))
    record["files"]["../precious.txt"] = {"bytes": 4, "sha256": "0" * 64}
    (out / R.MANIFEST_NAME).write_text(json.dumps(record), "utf-8")
    write_results(result, out, formats=("gpkg", "parquet"))
    assert outside.read_text() == "kept"


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_staging_folders_of_dead_processes_are_removed_by_the_next_run(result, tmp_path):
    from geo_screen.outputs import staging

    dead = tmp_path / ".geo_screen-dead"
    dead.mkdir()
    (dead / R.GPKG_NAME).write_bytes(b"complete-looking")
    (dead / staging.OWNER_NAME).write_text(json.dumps({"pid": _dead_pid(), "started": 1.0}))
    reused = tmp_path / ".geo_screen-reused"  # a live pid, but another process than the one that made it
    reused.mkdir()
    (reused / staging.OWNER_NAME).write_text(json.dumps({"pid": os.getpid(), "started": 1.0}))
    live = tmp_path / ".geo_screen-live"
    live.mkdir()
    (live / staging.OWNER_NAME).write_text(json.dumps(staging.owner()))
    write_results(result, tmp_path, formats=("gpkg", "parquet"))
    assert _leftovers(tmp_path) == [".geo_screen-live", R.GPKG_NAME, R.PARQUET_NAME, R.MANIFEST_NAME]


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda out: (out / R.PARQUET_NAME).unlink(), r"results.parquet.*missing"),
        (lambda out: (out / R.GPKG_NAME).write_bytes(b"x"), r"results.gpkg.*1 bytes.*run.json"),
        (lambda out: (out / R.MANIFEST_NAME).unlink(), r"no run.json"),
        (lambda out: (out / R.MANIFEST_NAME).write_text("{", "utf-8"), r"run.json.*not valid JSON"),
    ],
)
def test_a_folder_whose_files_do_not_match_run_json_is_refused_with_the_fix(result, tmp_path, damage, match):
    from geo_screen.errors import InputDataError

    write_results(result, tmp_path, formats=("gpkg", "parquet"))
    damage(tmp_path)
    for read in (read_results, R.load_result, lambda p: read_results(p / R.GPKG_NAME)):
        with pytest.raises(InputDataError, match=match + r".*re-run 'geo-screen screen'"):
            read(tmp_path)


def test_a_file_changed_in_place_is_refused(result, tmp_path):
    from geo_screen.errors import InputDataError

    write_results(result, tmp_path, formats=("gpkg", "parquet"))
    data = bytearray((tmp_path / R.PARQUET_NAME).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / R.PARQUET_NAME).write_bytes(bytes(data))
    with pytest.raises(InputDataError, match=r"results.parquet has changed since the run.*SHA-256"):
        read_results(tmp_path)


# --------------------------------------------------------------------------- formats: a run writes what it is asked


@pytest.mark.parametrize(
    "formats, files",
    [
        (("parquet",), [R.PARQUET_NAME]),
        (("gpkg",), [R.GPKG_NAME]),
        (("gpkg", "xlsx"), [R.GPKG_NAME, R.XLSX_NAME]),
        (("xlsx", "parquet", "gpkg"), [R.GPKG_NAME, R.PARQUET_NAME, R.XLSX_NAME]),
    ],
)
def test_a_run_writes_the_formats_asked_and_run_json_records_them(result, tmp_path, formats, files):
    write_results(result, tmp_path, formats=formats)
    record = json.loads((tmp_path / R.MANIFEST_NAME).read_text("utf-8"))
    assert sorted(record["files"]) == sorted(files)
    assert _leftovers(tmp_path) == sorted(files) + [R.MANIFEST_NAME]
    assert record["output"]["formats"] == [f for f in run.FORMATS if f in formats]


def test_a_parquet_only_run_holds_the_same_enterprises_as_a_full_run(result, tmp_path):
    write_results(result, tmp_path / "full")
    write_results(result, tmp_path / "core", formats=("parquet",))
    pd.testing.assert_frame_equal(
        gpd.read_parquet(tmp_path / "core" / R.PARQUET_NAME), gpd.read_parquet(tmp_path / "full" / R.PARQUET_NAME)
    )


@pytest.mark.parametrize("formats", [(), ("csv",), ("gpkg", "shp")])
def test_unknown_or_no_formats_are_one_clear_error(result, tmp_path, formats):
    with pytest.raises(ConfigError, match="gpkg, parquet, xlsx"):
        write_results(result, tmp_path, formats=formats)
    assert not (tmp_path / R.MANIFEST_NAME).exists()


def test_reading_a_run_without_its_geopackage_says_what_is_missing_and_how_to_fix_it(result, tmp_path):
    write_results(result, tmp_path, formats=("parquet",))
    with pytest.raises(InputDataError, match=r"results\.gpkg.*--formats parquet.*--formats gpkg"):
        read_results(tmp_path)
