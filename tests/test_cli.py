"""The geo-screen command end to end on the tiny pack: files, layers, columns, exit codes, determinism."""

from __future__ import annotations

import json

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
from conftest import PLACES, registry_frame

from geo_screen import results as R
from geo_screen.cli import main


@pytest.fixture(scope="module")
def registry_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "名录.csv"
    registry_frame(offset="gcj02").to_csv(path, index=False, encoding="gbk")
    return path


@pytest.fixture(scope="module")
def run_dir(registry_csv, tiny_pack, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    code = main(["screen", str(registry_csv), "--layers", str(tiny_pack), "--out", str(out), "--crs", "gcj02", "-q"])
    assert code == 0
    return out


def test_writes_the_contract_files(run_dir):
    assert {p.name for p in run_dir.iterdir()} == {R.GPKG_NAME, R.PARQUET_NAME, R.XLSX_NAME, R.MANIFEST_NAME}
    assert set(pyogrio.list_layers(run_dir / R.GPKG_NAME)[:, 0]) == {R.ENTERPRISES_LAYER, R.HITS_LAYER}


def test_enterprises_layer(run_dir, registry_csv):
    e = gpd.read_file(run_dir / R.GPKG_NAME, layer=R.ENTERPRISES_LAYER)
    assert len(e) == len(PLACES)
    assert e.crs.to_epsg() == 4490
    source_headers = pd.read_csv(registry_csv, encoding="gbk", nrows=0).columns
    required = [
        *source_headers,
        R.ENTERPRISE_ID,
        R.NAME,
        R.INDUSTRY,
        R.ROW_STATUS,
        R.ISSUES,
        *R.STD_COLUMNS,
        R.STANDARDS_HIT,
        R.NOT_ASSESSED_COL,
        R.DISPOSITION,
        R.DISPOSITION_ZH,
        R.COUNTY,
        R.SANITARY_REQUIRED,
        R.NEAREST_SENSITIVE_M,
        R.NEAREST_SENSITIVE_NAME,
    ]
    missing = [c for c in required if c not in e.columns]
    assert not missing
    assert list(e["企业名称"]) == [p[0] for p in PLACES]
    assert e.loc[e["企业名称"] == "belt", R.DISPOSITION_ZH].item() == "搬迁"


def test_hits_layer(run_dir):
    hits = gpd.read_file(run_dir / R.GPKG_NAME, layer=R.HITS_LAYER)
    assert list(hits.columns[:-1]) == list(R.HIT_COLUMNS)
    assert set(hits["standard"]) == {"3", "4", "5", "9"}
    assert hits[R.LEGAL_BASIS].notna().all()


def test_workbook_has_chinese_headers(run_dir):
    book = openpyxl.load_workbook(run_dir / R.XLSX_NAME, read_only=True)
    assert book.sheetnames == ["企业", "证据", "区县×标准×处置", "区县×处置", "说明"]
    header = [c.value for c in next(book["企业"].iter_rows(max_row=1))]
    assert "处置方式" in header and "标准9" in header


def test_manifest(run_dir, registry_csv):
    manifest = json.loads((run_dir / R.MANIFEST_NAME).read_text("utf-8"))
    assert manifest["input"]["sha256"] and manifest["rules"]["sha256"]
    assert manifest["crs"] == {"input": "gcj02", "metric": "EPSG:4549", "output": "EPSG:4490"}
    assert all(len(h) == 64 for h in manifest["catalog"]["files"].values())
    assert manifest["counts"]["rows"] == len(PLACES)
    assert sum(manifest["counts"]["disposition"].values()) == len(PLACES)


def test_two_runs_give_identical_results(run_dir, registry_csv, tiny_pack, tmp_path):
    assert (
        main(["screen", str(registry_csv), "--layers", str(tiny_pack), "--out", str(tmp_path), "--crs", "gcj02", "-q"])
        == 0
    )
    for layer in (R.ENTERPRISES_LAYER, R.HITS_LAYER):
        a = gpd.read_file(run_dir / R.GPKG_NAME, layer=layer)
        b = gpd.read_file(tmp_path / R.GPKG_NAME, layer=layer)
        pd.testing.assert_frame_equal(a, b)


def test_summary_is_printed(registry_csv, tiny_pack, tmp_path, capsys):
    main(["screen", str(registry_csv), "--layers", str(tiny_pack), "--out", str(tmp_path), "--crs", "gcj02"])
    out, err = capsys.readouterr()
    assert "搬迁" in out and "合计" in out
    assert "standard 4" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["screen", "{missing}", "--layers", "{pack}", "--out", "{out}"], "not found|does not exist|no such"),
        (["screen", "{csv}", "--layers", "{missing}", "--out", "{out}"], "catalog"),
        (["screen", "{csv}", "--layers", "{pack}", "--out", "{out}", "--crs", "EPSG:99999"], "gcj02"),
        (["screen", "{empty}", "--layers", "{pack}", "--out", "{out}"], "empty|no data"),
    ],
)
def test_bad_input_exits_2_with_one_message(args, message, registry_csv, tiny_pack, tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("", "utf-8")
    values = {
        "missing": tmp_path / "nope.csv",
        "pack": tiny_pack,
        "out": tmp_path / "o",
        "csv": registry_csv,
        "empty": tmp_path / "empty.csv",
    }
    code = main([a.format(**values) for a in args] + ["-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("geo-screen: error:")
    assert "Traceback" not in err
    assert pd.Series([err]).str.contains(message, case=False).item()


def test_layers_check(tiny_pack, capsys):
    assert main(["layers", "check", str(tiny_pack)]) == 0
    out = capsys.readouterr().out
    assert "water_source" in out and "EPSG:4549" in out


def test_export_command(run_dir, tmp_path, capsys):
    out = tmp_path / "packages"
    assert main(["export", str(run_dir / R.GPKG_NAME), "--by", "county", "--encoding", "GBK", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "崇川区.zip",
        "通州区.zip",
        "汇总.xlsx",
        "内部初筛名单（未经核实，不得公开）.xlsx",
        "内部初筛名单（未经核实，不得公开）.csv",
    } <= names
    assert "package(s) by county" in capsys.readouterr().out
    assert sorted(json.loads((out / "export.json").read_text("utf-8"))["files"]) == sorted(names - {"export.json"})
    # a second export into the folder: the first one's county zips are gone, the city lists replaced
    assert main(["export", str(run_dir), "--by", "standard", "--out", str(out)]) == 0
    again = {p.name for p in out.iterdir()}
    assert not {"崇川区.zip", "通州区.zip"} & again and "汇总.xlsx" in again
    assert sorted(json.loads((out / "export.json").read_text("utf-8"))["files"]) == sorted(again - {"export.json"})


def test_export_bad_results_path(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nothing.gpkg"), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "no screening results" in err and "(--out)" in err and "out_dir=" not in err


def test_step_bars_show_time_and_rows_per_second(capsys):
    from geo_screen.cli import StepBars

    bars = StepBars()
    bars("reading registry.csv")  # the row count is not known yet: time only
    bars.rows = 250_000
    bars("standard 4: water (3 zones)")
    bars.finish("done: results.gpkg")
    err = capsys.readouterr().err
    assert "reading registry.csv [" in err
    assert "standard 4: water (3 zones): 100%" in err and "250k/250k" in err and "rows/s" in err
    assert err.rstrip().endswith("done: results.gpkg")


def test_arrow_allocator_is_jemalloc_unless_the_user_chose(monkeypatch):
    import pyarrow as pa

    from geo_screen.runtime import ARROW_POOL_VARIABLE, tune_arrow_memory

    before = pa.default_memory_pool()
    try:
        jemalloc = pa.jemalloc_memory_pool().backend_name
    except NotImplementedError:
        jemalloc = pa.mimalloc_memory_pool().backend_name  # kept where pyarrow has no jemalloc
    try:
        monkeypatch.delenv(ARROW_POOL_VARIABLE, raising=False)
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        assert tune_arrow_memory() == jemalloc
        pa.set_memory_pool(pa.system_memory_pool())
        monkeypatch.setenv(ARROW_POOL_VARIABLE, "system")
        assert tune_arrow_memory() == "system"
    finally:
        pa.set_memory_pool(before)


def test_library_messages_name_arguments_and_the_command_names_its_options(registry_csv, tiny_pack, tmp_path, capsys):
    """The library speaks of its arguments (``crs=``, ``rules=``); the command prints its own options."""
    from geo_screen.cli import command_line_message
    from geo_screen.errors import CRSError
    from geo_screen.inputs.registry import read_registry

    with pytest.raises(CRSError, match=r"crs='EPSG:99999' is not a coordinate system") as err:
        read_registry(registry_csv, crs="EPSG:99999")
    assert "--crs" not in str(err.value)
    assert command_line_message(str(err.value)).startswith("--crs 'EPSG:99999' is not")

    out = tmp_path / "o"
    code = main(["screen", str(registry_csv), "--layers", str(tiny_pack), "--out", str(out), "--rules", "nope.yaml"])
    assert code == 2
    stderr = capsys.readouterr().err
    assert "pass an existing YAML as --rules " in stderr and "rules=" not in stderr


def test_export_refuses_a_results_folder_changed_after_its_run(demo_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(demo_run, run)
    (run / R.PARQUET_NAME).write_bytes(b"x")
    assert main(["export", str(run), "--out", str(tmp_path / "export")]) == 2
    err = capsys.readouterr().err
    assert "results.parquet has 1 bytes, run.json says" in err and "re-run 'geo-screen screen'" in err
    assert not (tmp_path / "export").exists()


@pytest.mark.parametrize(
    "flags, files",
    [
        (["--formats", "parquet"], [R.PARQUET_NAME]),
        (["--formats", "gpkg, xlsx"], [R.GPKG_NAME, R.XLSX_NAME]),
        (["--no-excel"], [R.GPKG_NAME, R.PARQUET_NAME]),
        ([], [R.GPKG_NAME, R.PARQUET_NAME, R.XLSX_NAME]),
    ],
)
def test_formats_choose_the_files_a_run_writes(flags, files, registry_csv, tiny_pack, tmp_path):
    code = main(["screen", str(registry_csv), "--layers", str(tiny_pack), "--out", str(tmp_path), "-q", *flags])
    assert code == 0
    assert sorted(json.loads((tmp_path / R.MANIFEST_NAME).read_text("utf-8"))["files"]) == sorted(files)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files) + [R.MANIFEST_NAME]


@pytest.mark.parametrize(
    "flags", [["--formats", "parquet,csv"], ["--formats", ","], ["--formats", "gpkg", "--no-excel"]]
)
def test_bad_formats_exit_2_before_screening(flags, registry_csv, tiny_pack, tmp_path, capsys):
    code = main(["screen", str(registry_csv), "--layers", str(tiny_pack), "--out", str(tmp_path / "o"), "-q", *flags])
    assert code == 2
    assert "--formats" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_export_of_a_run_without_its_geopackage_says_how_to_fix_it(registry_csv, tiny_pack, tmp_path, capsys):
    run = tmp_path / "run"
    assert (
        main(["screen", str(registry_csv), "--layers", str(tiny_pack), "--out", str(run), "-q", "--formats", "parquet"])
        == 0
    )
    assert main(["export", str(run), "--out", str(tmp_path / "export")]) == 2
    err = capsys.readouterr().err
    assert "results.gpkg" in err and "--formats gpkg" in err and "Traceback" not in err
