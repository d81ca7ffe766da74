"""Hostile inputs that once gave a traceback: each is exit 2 with one message (or read correctly), nothing written."""

from __future__ import annotations

import errno
import json
import shutil
import tempfile

import geopandas as gpd
import pandas as pd
import pytest
from conftest import PLACES, build_tiny_pack, registry_frame

from geo_screen import results as R
from geo_screen.cli import EXIT_BAD_INPUT, main


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    return build_tiny_pack(tmp_path_factory.mktemp("bad_pack"))


@pytest.fixture(scope="module")
def registry_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("bad_reg") / "名录.csv"
    registry_frame().to_csv(path, index=False)
    return path


def _screen(registry, pack, out, *extra) -> int:
    return main(["screen", str(registry), "--layers", str(pack), "--out", str(out), "-q", "--no-excel", *extra])


def _one_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("geo-screen: error:")]
    assert len(lines) == 1, err
    return lines[0]


# --------------------------------------------------------------------------- CSV line endings and encodings


@pytest.mark.parametrize("chunk", [[], ["--chunk-rows", "5"]], ids=["memory", "chunked"])
def test_cr_only_line_endings_are_read(registry_csv, pack, tmp_path, chunk):
    cr = tmp_path / "mac.csv"
    cr.write_bytes(registry_csv.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    assert _screen(cr, pack, tmp_path / "out", *chunk) == 0
    e = gpd.read_file(tmp_path / "out" / R.GPKG_NAME, layer=R.ENTERPRISES_LAYER)
    assert list(e["企业名称"]) == [p[0] for p in PLACES]


def test_encoding_that_changes_mid_file_is_one_message_when_chunked(registry_csv, pack, tmp_path, capsys):
    mixed = tmp_path / "mixed.csv"
    lines = registry_csv.read_bytes().split(b"\n")
    lines[-2] = lines[-2].replace(b"residential_land", "居住用地".encode("gbk"))
    lines[2] = lines[2].replace(b"eco_inside", "生态".encode())
    mixed.write_bytes(b"\n".join(lines))
    assert _screen(mixed, pack, tmp_path / "out", "--chunk-rows", "3") == EXIT_BAD_INPUT
    assert "cannot be decoded" in _one_error(capsys)
    assert not (tmp_path / "out" / R.GPKG_NAME).exists()


def test_gbk_file_with_undecodable_bytes_further_down_when_chunked(pack, tmp_path, capsys):
    frame = registry_frame(PLACES * 40)
    frame["统一社会信用代码"] = [f"ID{i}" for i in range(len(frame))]
    path = tmp_path / "gbk.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 200] + b"\xff\xff" + raw[len(raw) - 200 :])
    assert _screen(path, pack, tmp_path / "out", "--chunk-rows", "50") == EXIT_BAD_INPUT
    assert "decoded" in _one_error(capsys)


# --------------------------------------------------------------------------- arguments checked before reading


@pytest.mark.parametrize("value", ["EPSG:999999", "gcj02", "bd09", "nonsense"])
def test_bad_out_crs_refused_before_reading(pack, tmp_path, capsys, value):
    missing = tmp_path / "not_read.csv"  # never opened: the argument is refused first
    assert _screen(missing, pack, tmp_path / "out", "--out-crs", value) == EXIT_BAD_INPUT
    assert "--out-crs" in _one_error(capsys)


@pytest.mark.parametrize("rows", ["0", "-5"])
def test_chunk_rows_below_one_refused(pack, tmp_path, capsys, rows):
    assert _screen(tmp_path / "not_read.csv", pack, tmp_path / "out", "--chunk-rows", rows) == EXIT_BAD_INPUT
    assert "--chunk-rows" in _one_error(capsys)


@pytest.mark.parametrize("crs", ["+proj=longlat +a=1", "+proj=longlat +R=1000"])
def test_odd_but_parseable_crs_refused(registry_csv, pack, tmp_path, capsys, crs):
    assert _screen(registry_csv, pack, tmp_path / "out", "--crs", crs) == EXIT_BAD_INPUT
    assert "--crs" in _one_error(capsys)


# --------------------------------------------------------------------------- layers


def test_zero_feature_layer(tmp_path, registry_csv, capsys):
    catalog = build_tiny_pack(tmp_path / "pack")
    eco = catalog.parent / "eco_redline.gpkg"
    gpd.read_file(eco).iloc[:0].to_file(eco, driver="GPKG")
    assert main(["layers", "check", str(catalog)]) == 1
    assert "no usable features" in capsys.readouterr().out
    assert _screen(registry_csv, catalog, tmp_path / "out") == 0
    e = gpd.read_file(tmp_path / "out" / R.GPKG_NAME, layer=R.ENTERPRISES_LAYER)
    assert len(e) == len(PLACES)


# --------------------------------------------------------------------------- output folders


def test_output_folder_under_a_file(registry_csv, pack, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert _screen(registry_csv, pack, blocker / "out") == EXIT_BAD_INPUT
    _one_error(capsys)


@pytest.mark.parametrize("code", [errno.EACCES, errno.ENOSPC])
def test_unwritable_output_folder(registry_csv, pack, tmp_path, capsys, monkeypatch, code):
    def refuse(*args, **kwargs):
        raise OSError(code, "refused by the test", kwargs.get("dir"))

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    assert _screen(registry_csv, pack, tmp_path / "out") == EXIT_BAD_INPUT
    assert "out" in _one_error(capsys)


def test_full_disk_in_gdal(registry_csv, pack, tmp_path, capsys, monkeypatch):
    import pyogrio
    from pyogrio.errors import DataLayerError

    def full(*args, **kwargs):
        raise DataLayerError("sqlite3_step() failed: database or disk is full")

    monkeypatch.setattr(pyogrio, "write_arrow", full)
    assert _screen(registry_csv, pack, tmp_path / "out") == EXIT_BAD_INPUT
    assert "disk" in _one_error(capsys)
    assert not list((tmp_path / "out").glob(R.GPKG_NAME))


# --------------------------------------------------------------------------- export of files that are not results


@pytest.fixture(scope="module")
def good_run(registry_csv, pack, tmp_path_factory):
    out = tmp_path_factory.mktemp("good_run")
    assert _screen(registry_csv, pack, out) == 0
    return out


def test_export_of_a_truncated_results_file(good_run, tmp_path, capsys):
    """A run whose results.gpkg was cut short (its run.json still lists the whole file): refused, naming it."""
    run = shutil.copytree(good_run, tmp_path / "run")
    broken = run / R.GPKG_NAME
    broken.write_bytes((good_run / R.GPKG_NAME).read_bytes()[:20000])
    assert main(["export", str(broken), "--out", str(tmp_path / "exp")]) == EXIT_BAD_INPUT
    assert R.GPKG_NAME in _one_error(capsys)


def test_export_of_a_results_file_without_its_run_record(good_run, tmp_path, capsys):
    """A results.gpkg alone (no run.json beside it) cannot be checked: refused, saying what to do."""
    alone = tmp_path / R.GPKG_NAME
    shutil.copy(good_run / R.GPKG_NAME, alone)
    assert main(["export", str(alone), "--out", str(tmp_path / "exp")]) == EXIT_BAD_INPUT
    assert "run.json" in _one_error(capsys)


def test_export_of_a_geopackage_that_is_not_results(pack, tmp_path, capsys):
    other = tmp_path / R.GPKG_NAME
    shutil.copy(pack.parent / "eco_redline.gpkg", other)
    assert main(["export", str(other), "--out", str(tmp_path / "exp")]) == EXIT_BAD_INPUT
    _one_error(capsys)


def test_export_of_results_without_hits(good_run, tmp_path, capsys):
    """A run whose results.gpkg lost its hits layer: refused (the file is not the one the run recorded)."""
    run = shutil.copytree(good_run, tmp_path / "run")
    only = run / R.GPKG_NAME
    e = gpd.read_file(good_run / R.GPKG_NAME, layer=R.ENTERPRISES_LAYER)
    only.unlink()
    e.to_file(only, layer=R.ENTERPRISES_LAYER, driver="GPKG")
    assert main(["export", str(only), "--out", str(tmp_path / "exp")]) == EXIT_BAD_INPUT
    assert R.GPKG_NAME in _one_error(capsys)


@pytest.mark.filterwarnings("ignore:.*:RuntimeWarning")  # GDAL says what it tried on the way
def test_random_bytes_named_gpkg(tmp_path, capsys):
    junk = tmp_path / R.GPKG_NAME
    junk.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
    assert main(["export", str(junk), "--out", str(tmp_path / "exp")]) == EXIT_BAD_INPUT
    _one_error(capsys)


# --------------------------------------------------------------------------- several sheets or layers


def test_data_on_the_second_sheet(registry_csv, pack, tmp_path, capsys):
    book = tmp_path / "名录.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"说明": []}).to_excel(writer, sheet_name="封面", index=False)
        pd.read_csv(registry_csv, dtype=str).to_excel(writer, sheet_name="企业", index=False)
    assert _screen(book, pack, tmp_path / "o1") == EXIT_BAD_INPUT
    message = _one_error(capsys)
    assert "'企业'" in message and "--sheet" in message
    assert _screen(book, pack, tmp_path / "o2", "--sheet", "企业") == 0
    e = gpd.read_file(tmp_path / "o2" / R.GPKG_NAME, layer=R.ENTERPRISES_LAYER)
    assert len(e) == len(PLACES)


def test_geopackage_with_several_layers(registry_csv, pack, tmp_path, capsys):
    frame = pd.read_csv(registry_csv, dtype=str)
    points = gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(frame["经度"].astype(float), frame["纬度"].astype(float)), crs=4326
    )
    path = tmp_path / "名录.gpkg"
    points.to_file(path, layer="enterprises", driver="GPKG")
    points.iloc[:2].to_file(path, layer="old", driver="GPKG")
    assert _screen(path, pack, tmp_path / "o1") == EXIT_BAD_INPUT
    assert "--layer" in _one_error(capsys)
    assert _screen(path, pack, tmp_path / "o2", "--layer", "enterprises") == 0
    assert len(gpd.read_file(tmp_path / "o2" / R.GPKG_NAME, layer=R.ENTERPRISES_LAYER)) == len(PLACES)


# --------------------------------------------------------------------------- shapefiles without attributes


@pytest.mark.parametrize("zipped", [False, True], ids=["shp", "zip"])
def test_shapefile_without_its_dbf_is_refused(registry_csv, pack, tmp_path, capsys, zipped):
    import zipfile

    frame = pd.read_csv(registry_csv, dtype=str)
    points = gpd.GeoDataFrame(
        {"名称": frame["企业名称"]},
        geometry=gpd.points_from_xy(frame["经度"].astype(float), frame["纬度"].astype(float)),
        crs=4326,
    )
    points.to_file(tmp_path / "r.shp", encoding="utf-8")
    (tmp_path / "r.dbf").unlink()
    target = tmp_path / "r.shp"
    if zipped:
        target = tmp_path / "r.zip"
        with zipfile.ZipFile(target, "w") as zf:
            for part in tmp_path.glob("r.*"):
                if part.suffix != ".zip":
                    zf.write(part, part.name)
    assert _screen(target, pack, tmp_path / "out") == EXIT_BAD_INPUT
    assert ".dbf" in _one_error(capsys)


# --------------------------------------------------------------------------- names that become file names


@pytest.mark.parametrize("name", ["崇川\u202e区", "\u2066通州\u2069", "港\u200b闸"])
def test_bidi_and_invisible_controls_leave_file_names(name):
    from geo_screen.app.uploads import safe_file_name
    from geo_screen.outputs.packages import safe_file_stem

    visible = "".join(c for c in name if c.isprintable() and c not in "\u200b")
    assert safe_file_stem(name) == visible
    assert safe_file_name(name + ".csv") == visible + ".csv"


def test_catalog_paths_outside_the_pack_are_reported(tmp_path, capsys):
    import yaml

    catalog = build_tiny_pack(tmp_path / "pack")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.move(catalog.parent / "eco_redline.gpkg", elsewhere / "eco_redline.gpkg")
    spec = yaml.safe_load(catalog.read_text("utf-8"))
    for layer in spec["layers"]:
        if layer.get("path") == "eco_redline.gpkg":
            layer["path"] = "../elsewhere/eco_redline.gpkg"
    catalog.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert main(["layers", "check", str(catalog)]) == 0
    out = capsys.readouterr().out
    assert "outside the pack folder" in out and "../elsewhere/eco_redline.gpkg" in out


# --------------------------------------------------------------------------- duplicated location headers


def _two_location_columns(registry_csv, tmp_path, *, same: bool, header: str = "经度"):
    frame = pd.read_csv(registry_csv, dtype=str)
    other = frame["经度"] if same else frame["经度"].astype(float).add(0.5).astype(str)
    frame.insert(len(frame.columns), header, other, allow_duplicates=True)
    path = tmp_path / "two.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("header", ["经度", "lon", "longitude"])
def test_equal_duplicate_location_columns_are_a_warning(registry_csv, pack, tmp_path, capsys, header):
    path = _two_location_columns(registry_csv, tmp_path, same=True, header=header)
    assert _screen(path, pack, tmp_path / "out") == 0
    err = capsys.readouterr().err
    assert "warning" in err and "经度" in err
    manifest = json.loads((tmp_path / "out" / R.MANIFEST_NAME).read_text("utf-8"))
    assert any("经度" in w for w in manifest["input"]["warnings"])


@pytest.mark.parametrize("header", ["经度", "lon"])
def test_differing_duplicate_location_columns_are_refused(registry_csv, pack, tmp_path, capsys, header):
    path = _two_location_columns(registry_csv, tmp_path, same=False, header=header)
    assert _screen(path, pack, tmp_path / "out") == EXIT_BAD_INPUT
    assert "ambiguous" in _one_error(capsys)
