"""Tests for geo_screen.inputs.registry: formats, encodings, column aliases, values, locations and row_status."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geo_screen.errors import CRSError, InputDataError
from geo_screen.inputs.crs import from_lonlat
from geo_screen.inputs.identifiers import USCC_ALPHABET, uscc_check_char
from geo_screen.inputs.registry import COLUMN_ALIASES, mark_coverage, match_columns, read_registry
from geo_screen.results import ATTRIBUTE_COLUMNS, ROW_STATUSES

GEOD = Geod(ellps="GRS80")
NANTONG = shapely.box(120.2, 31.6, 121.9, 32.7)


def uscc(i: int) -> str:
    body = f"913206{i:09d}00"[:17]
    return body + uscc_check_char(body)


def metres(lon1, lat1, lon2, lat2) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def write_csv(path: Path, frame: pd.DataFrame, encoding: str = "utf-8") -> Path:
    frame.to_csv(path, index=False, encoding=encoding)
    return path


def csv_file(tmp_path: Path, text: str, name: str = "reg.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- formats and encodings

SITES = pd.DataFrame(
    {
        "信用代码": [uscc(1), uscc(2), uscc(3)],
        "企业名称": ["南通印染一厂", "海门钢丝绳有限公司", "如东小化工"],
        "行业": ["印染", "钢丝绳", "化工"],
        "备注": ["保留 ", "00123", "启东（北支）"],
    }
)
LONLAT = [(120.86, 32.01), (121.17, 31.89), (121.19, 32.32)]


def _tabular(tmp_path: Path, kind: str) -> Path:
    frame = SITES.assign(经度=[p[0] for p in LONLAT], 纬度=[p[1] for p in LONLAT])
    if kind == "xlsx":
        path = tmp_path / "reg.xlsx"
        frame.to_excel(path, index=False, sheet_name="企业")
        return path
    encoding = {"csv-utf8": "utf-8", "csv-utf8-bom": "utf-8-sig", "csv-gbk": "gbk"}[kind]
    return write_csv(tmp_path / "reg.csv", frame, encoding)


def _spatial(tmp_path: Path, kind: str) -> Path:
    names = {"信用代码": "uscc", "企业名称": "名称", "行业": "行业", "备注": "备注"}  # DBF names: <= 10 bytes
    frame = gpd.GeoDataFrame(
        SITES.rename(columns=names) if kind.startswith("shp") else SITES,
        geometry=gpd.points_from_xy(*zip(*LONLAT)),
        crs="EPSG:4490",
    )
    if kind == "gpkg":
        path = tmp_path / "reg.gpkg"
        frame.to_file(path, layer="企业", engine="pyogrio")
    elif kind == "geojson":
        path = tmp_path / "reg.geojson"
        frame.to_file(path, engine="pyogrio")
    else:
        folder = tmp_path / "shp"
        folder.mkdir()
        frame.to_file(folder / "企业.shp", engine="pyogrio", encoding="GBK" if "gbk" in kind else None)
        if kind == "shp-gbk-no-cpg":  # as ArcMap on Chinese Windows leaves it: GDAL alone would assume Latin-1
            (folder / "企业.cpg").unlink()
        path = folder / "企业.shp"
        if kind == "shp-zip":
            path = tmp_path / "reg.zip"
            with zipfile.ZipFile(path, "w") as zf:
                for part in folder.iterdir():
                    zf.write(part, f"data/{part.name}")
    return path


TABULAR = ["csv-utf8", "csv-utf8-bom", "csv-gbk", "xlsx"]
SPATIAL = ["gpkg", "geojson", "shp", "shp-gbk", "shp-gbk-no-cpg", "shp-zip"]


@pytest.mark.parametrize("kind", TABULAR + SPATIAL)
def test_round_trip_every_format(tmp_path, kind):
    path = _tabular(tmp_path, kind) if kind in TABULAR else _spatial(tmp_path, kind)
    reg = read_registry(path)

    assert list(reg.index) == [0, 1, 2]
    assert reg["input_row"].tolist() == [1, 2, 3]
    assert reg["name"].tolist() == SITES["企业名称"].tolist()  # Chinese values survive, order kept
    assert reg["industry"].tolist() == ["印染", "钢丝绳", "化工"]
    assert reg["enterprise_id"].tolist() == SITES["信用代码"].tolist()
    # unknown column untouched (DBF pads text with spaces, so a shapefile cannot keep a trailing one)
    assert reg["备注"].tolist() == ["保留" if kind.startswith("shp") else "保留 ", "00123", "启东（北支）"]
    assert reg["row_status"].tolist() == ["ok", "ok", "ok"]
    assert reg["issues"].tolist() == ["", "", ""]
    assert reg.crs.to_epsg() == 4490
    for geom, (lon, lat) in zip(reg.geometry, LONLAT):
        assert (geom.x, geom.y) == pytest.approx((lon, lat), abs=1e-9)
    meta = reg.attrs["registry"]
    assert meta["source"] == str(path)
    assert meta["columns"]["name"] in ("企业名称", "名称")
    expected_format = {"csv": "csv", "xlsx": "xlsx", "gpkg": "gpkg", "geojson": "geojson", "shp": "shp"}
    assert meta["format"] == ("shp.zip" if kind == "shp-zip" else expected_format[kind.split("-")[0]])
    if kind.startswith("csv"):
        assert meta["encoding"] == {"csv-utf8": "utf-8", "csv-utf8-bom": "utf-8-sig", "csv-gbk": "gb18030"}[kind]
        assert list(reg.columns[:6]) == ["信用代码", "企业名称", "行业", "备注", "经度", "纬度"]
        assert reg["经度"].tolist() == ["120.86", "121.17", "121.19"]  # the original text, untouched


def test_csv_encoding_can_be_forced(tmp_path):
    path = _tabular(tmp_path, "csv-gbk")
    assert read_registry(path, encoding="gbk")["name"].tolist() == SITES["企业名称"].tolist()
    with pytest.raises(InputDataError, match="encoding='utf-8'.*save as 'CSV UTF-8'"):
        read_registry(path, encoding="utf-8")
    with pytest.raises(InputDataError, match="unknown encoding='klingon'"):
        read_registry(path, encoding="klingon")


def test_xlsx_sheet_by_name_and_index(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"说明": ["封面"]}).to_excel(book, sheet_name="封面", index=False)
        SITES.assign(经度=120.86, 纬度=32.01).to_excel(book, sheet_name="企业", index=False)
    assert read_registry(path, sheet="企业")["name"].tolist() == SITES["企业名称"].tolist()
    assert len(read_registry(path, sheet=1)) == 3
    with pytest.raises(InputDataError, match="pass one of them as sheet="):
        read_registry(path, sheet="名单")


@pytest.mark.parametrize("sep", [",", "\t", ";"])
def test_csv_delimiters_quotes_and_leading_zeros(tmp_path, sep):
    text = (
        sep.join(["代码", "名称", "经度", "纬度"])
        + "\n"
        + sep.join(["0012", '"甲, 乙\n二号"', "120.86", "32.01"])
        + "\n"
    )
    reg = read_registry(csv_file(tmp_path, text))
    assert reg["代码"].tolist() == ["0012"]
    assert reg["name"].tolist() == ["甲, 乙\n二号"]
    assert reg["row_status"].tolist() == ["ok"]


def test_short_csv_rows_are_padded_not_dropped(tmp_path):
    reg = read_registry(csv_file(tmp_path, "名称,经度,纬度,备注\n甲,120.86,32.01\n乙,120.9,32.0,x\n"))
    assert reg["name"].tolist() == ["甲", "乙"]
    assert reg["row_status"].tolist() == ["ok", "ok"]


# --------------------------------------------------------------------------- column recognition


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("统一社会信用代码", "enterprise_id"),
        (" 社会信用代码 ", "enterprise_id"),
        ("USCC", "enterprise_id"),
        ("Enterprise ID", "enterprise_id"),
        ("企业名称", "name"),
        ("单位名称", "name"),
        ("Name", "name"),
        ("所属行业", "industry"),
        ("详细地址", "address"),
        ("ＬＯＮ", "lon"),
        ("Longitude", "lon"),
        ("lng", "lon"),
        ("经度", "lon"),
        ("纬 度", "lat"),
        ("LAT", "lat"),
        ("X坐标", "x"),
        ("Ｙ坐标", "y"),
        ("县（市、区）", "county"),
        ("县(市、区)", "county"),
        ("所在县区", "county"),
        ("区县", "county"),
        ("卫生防护距离（米）", "sanitary_distance_m"),
        ("卫生防护距离(m)", "sanitary_distance_m"),
        ("卫生防护距离m", "sanitary_distance_m"),
        ("绩效等级", "performance_grade"),
        ("综合评价等级", "performance_grade"),
        ("淘汰类装备", "eliminated_equipment"),
        ("手续齐全", "procedures_complete"),
        ("是否稳定达标排放", "emission_compliant"),
        ("能耗超限额", "energy_over_limit"),
        ("有无重大安全隐患", "major_hazard"),
        ("长期停车", "long_shutdown"),
        ("散乱污（是/否）", "scattered_polluting"),
        ("严重环境违法", "serious_violation"),
        ("sanitary_distance_m", "sanitary_distance_m"),
        ("Performance Grade", "performance_grade"),
    ],
)
def test_header_aliases(header, canonical):
    assert match_columns([header]) == {canonical: header}


def test_unknown_headers_are_not_matched():
    assert match_columns(["备注", "联系人", "电话", "是否", "x_note", "名称备注"]) == {}


def test_canonical_header_beats_alias_and_first_alias_wins():
    headers = ["统一社会信用代码", "enterprise_id", "注册地址", "详细地址"]
    assert match_columns(headers) == {"enterprise_id": "enterprise_id", "address": "详细地址"}


def test_alias_table_is_unambiguous_and_covers_attributes():
    keys = [match_columns([alias]) for aliases in COLUMN_ALIASES.values() for alias in aliases]
    assert all(len(k) == 1 for k in keys)
    assert [canon for k in keys for canon in k] == [c for c, aliases in COLUMN_ALIASES.items() for _ in aliases]
    assert set(ATTRIBUTE_COLUMNS) <= set(COLUMN_ALIASES)


def test_canonical_named_input_is_replaced_and_reserved_names_renamed(tmp_path):
    text = "name,lon,lat,issues,row_status\n  甲  ,120.86,32.01,旧问题,旧状态\n"
    reg = read_registry(csv_file(tmp_path, text))
    assert list(reg.columns[:5]) == ["name", "lon_input", "lat_input", "issues_original", "row_status_original"]
    assert reg["name"].tolist() == ["甲"] and reg["lon"].dtype == "float64"
    assert reg["issues_original"].tolist() == ["旧问题"] and reg["issues"].tolist() == [""]
    assert reg.attrs["registry"]["renamed"] == {
        "issues": "issues_original",
        "row_status": "row_status_original",
        "lon": "lon_input",
        "lat": "lat_input",
    }


def test_every_canonical_column_present_with_its_dtype(tmp_path):
    reg = read_registry(csv_file(tmp_path, "经度,纬度\n120.86,32.01\n"))
    for col in ("enterprise_id", "name", "industry", "address", "county", "performance_grade"):
        assert reg[col].dtype == "string" and reg[col].isna().all()
    for col in ("lon", "lat", "sanitary_distance_m"):
        assert reg[col].dtype == "float64"
    assert "x" not in reg.columns and "y" not in reg.columns
    for col in ATTRIBUTE_COLUMNS:
        assert reg[col].dtype == "boolean" and reg[col].isna().all()  # missing means not assessed
    assert list(reg.columns[-4:]) == ["input_row", "row_status", "issues", "geometry"]


# --------------------------------------------------------------------------- values


def test_yes_no_values(tmp_path):
    values = ["是", "否", "有", "无", "Yes", "n", "TRUE", "false", "1", "0", "√", "×", "", "未知", "也许", "１"]
    frame = pd.DataFrame({"散乱污": values, "经度": 120.86, "纬度": 32.01})
    reg = read_registry(write_csv(tmp_path / "b.csv", frame))
    expected = [True, False, True, False, True, False, True, False, True, False, True, False, pd.NA, pd.NA, pd.NA, True]
    assert reg["scattered_polluting"].tolist() == expected
    assert reg["issues"].tolist()[14] == "scattered_polluting_unparsed:也许"
    assert reg["issues"].tolist()[13] == ""  # explicit "unknown" is missing, not a data error
    assert (reg["row_status"] == "ok").all()


def test_grades_and_distances(tmp_path):
    frame = pd.DataFrame(
        {
            "绩效等级": ["a", "B类", "C档", "Ｄ", "E", "", "A级"],
            "卫生防护距离（米）": ["500", "1,200", "300米", "abc", "-5", "", "１００"],
            "经度": 120.86,
            "纬度": 32.01,
        }
    )
    reg = read_registry(write_csv(tmp_path / "g.csv", frame))
    assert reg["performance_grade"].tolist() == ["A", "B", "C", "D", pd.NA, pd.NA, "A"]
    assert reg["sanitary_distance_m"].tolist()[:3] == [500.0, 1200.0, 300.0]
    assert np.isnan(reg["sanitary_distance_m"].to_numpy()[3:6]).all()
    assert reg["sanitary_distance_m"].tolist()[6] == 100.0
    issues = reg["issues"].tolist()
    assert issues[3] == "sanitary_distance_m_unparsed:abc"
    assert issues[4] == "sanitary_distance_m_unparsed:-5;grade_unparsed:E"
    assert issues[5] == ""


def test_uscc_problems_warn_but_never_reject(tmp_path):
    ids = [
        "91110000600037341L",
        "91110000600037341A",
        "9111000060003734IL",
        "12345",
        "",
        " ９１１１００００６０００３７３４１ｌ",
    ]
    frame = pd.DataFrame({"统一社会信用代码": ids, "经度": 120.86, "纬度": 32.01})
    reg = read_registry(write_csv(tmp_path / "u.csv", frame))
    assert (reg["row_status"] == "ok").all()
    assert reg["enterprise_id"].tolist()[-1] == "91110000600037341L"
    issues = reg["issues"].tolist()
    assert issues[0] == "duplicate_enterprise_id:rows 1,6"
    assert issues[1] == "uscc_check:expected L"
    assert issues[2] == "uscc_char:I"
    assert issues[3] == "uscc_length:5"
    assert issues[4] == "enterprise_id_missing"
    assert issues[5] == "duplicate_enterprise_id:rows 1,6"


def test_duplicates_flag_every_row_and_cap_the_list(tmp_path):
    frame = pd.DataFrame({"uscc": [uscc(7)] * 8 + [uscc(8)], "经度": 120.86, "纬度": 32.01})
    reg = read_registry(write_csv(tmp_path / "d.csv", frame))
    issues = reg["issues"].tolist()
    assert issues[:8] == ["duplicate_enterprise_id:rows 1,2,3,4,5 +3 more"] * 8
    assert issues[8] == ""
    assert len(reg) == 9


# --------------------------------------------------------------------------- locations and row_status

STATUS_CSV = """名称,经度,纬度
ok,120.86,32.01
swapped,32.01,120.86
missing,,
missing_lat,120.86,
text,东经120度,32.01
nan,nan,32.01
inf,inf,32.01
range,200,100
zero,0,0
far,2.35,48.85
"""


def test_every_status_in_input_order(tmp_path):
    reg = read_registry(csv_file(tmp_path, STATUS_CSV), coverage=NANTONG)
    assert reg["name"].tolist() == [
        "ok",
        "swapped",
        "missing",
        "missing_lat",
        "text",
        "nan",
        "inf",
        "range",
        "zero",
        "far",
    ]
    assert reg["row_status"].tolist() == [
        "ok",
        "coords_swapped",
        "invalid_location",
        "invalid_location",
        "invalid_location",
        "invalid_location",
        "invalid_location",
        "invalid_location",
        "invalid_location",
        "out_of_coverage",
    ]
    issues = reg["issues"].tolist()
    assert issues[0] == "" and issues[1] == "coords_swapped"
    assert issues[2] == issues[3] == "location_missing"
    assert issues[4] == "lon_unparsed:东经120度"
    assert issues[5] == "lon_unparsed:nan" and issues[6] == "lon_unparsed:inf"
    assert issues[7] == "location_out_of_range"
    assert issues[8] == "location_zero"
    assert issues[9] == ""
    assert reg.geometry.iloc[1].equals(shapely.Point(120.86, 32.01))  # corrected
    assert reg["lon"].tolist()[1] == 120.86 and reg["经度"].tolist()[1] == "32.01"  # screened; input as given
    assert reg.geometry.iloc[2:9].isna().all()
    assert reg.geometry.iloc[9].equals(shapely.Point(2.35, 48.85))  # located, just outside


def test_without_coverage_nothing_is_out_of_coverage(tmp_path):
    reg = read_registry(csv_file(tmp_path, STATUS_CSV))
    assert reg["row_status"].tolist()[-1] == "ok"
    assert "out_of_coverage" not in reg["row_status"].tolist()


def test_coverage_decides_swaps_when_both_orders_are_valid(tmp_path):
    area = shapely.box(60, 40, 61, 41)
    text = "名称,经度,纬度\n反,40.5,60.5\n正,60.5,40.5\n都不在,10,20\n"
    reg = read_registry(csv_file(tmp_path, text), coverage=area)
    assert reg["row_status"].tolist() == ["coords_swapped", "ok", "out_of_coverage"]
    assert reg.geometry.iloc[0].equals(shapely.Point(60.5, 40.5))
    assert read_registry(csv_file(tmp_path, text))["row_status"].tolist() == ["ok", "ok", "ok"]


def test_coverage_boundary_counts_inside(tmp_path):
    reg = read_registry(csv_file(tmp_path, "经度,纬度\n121.9,32.0\n121.90001,32.0\n"), coverage=NANTONG)
    assert reg["row_status"].tolist() == ["ok", "out_of_coverage"]


@pytest.mark.parametrize("text", [STATUS_CSV, "名称,经度,纬度\n反,40.5,60.5\n正,60.5,40.5\n都不在,10,20\n边,61,40.5\n"])
def test_coverage_tested_while_locating_is_mark_coverage(tmp_path, text):
    """read_registry reuses the coverage test it makes while looking for swapped pairs: the same statuses
    as reading without a coverage and marking it afterwards (swaps aside, which only a coverage can decide)."""
    area = NANTONG if text is STATUS_CSV else shapely.box(60, 40, 61, 41)
    path = csv_file(tmp_path, text)
    read = read_registry(path, coverage=area)
    again = mark_coverage(read, area)  # tests every row itself
    assert read["row_status"].tolist() == again["row_status"].tolist()
    assert read.attrs["registry"]["coverage_bounds"] == again.attrs["registry"]["coverage_bounds"]


def test_mark_coverage_can_be_redone(tmp_path):
    reg = read_registry(csv_file(tmp_path, STATUS_CSV))
    small = mark_coverage(reg, shapely.box(120.8, 31.9, 120.9, 32.1))
    assert small["row_status"].tolist()[:3] == ["ok", "coords_swapped", "invalid_location"]
    assert small["row_status"].tolist()[-1] == "out_of_coverage"
    tiny = mark_coverage(small, shapely.box(0, 0, 1, 1))
    assert tiny["row_status"].tolist()[:3] == ["out_of_coverage", "out_of_coverage", "invalid_location"]
    world = mark_coverage(tiny, gpd.GeoSeries([shapely.box(-180, -90, 180, 90)], crs="EPSG:4326"))
    assert world["row_status"].tolist() == reg["row_status"].tolist()
    assert reg["row_status"].tolist()[0] == "ok"  # the input frames are not modified
    assert small["row_status"].tolist()[0] == "ok" and tiny["row_status"].tolist()[0] == "out_of_coverage"
    assert world.attrs["registry"]["coverage_bounds"] == (-180.0, -90.0, 180.0, 90.0)


def test_coverage_must_be_lonlat(tmp_path):
    path = csv_file(tmp_path, "经度,纬度\n120.86,32.01\n")
    with pytest.raises(CRSError, match="reproject it to EPSG:4490"):
        read_registry(path, coverage=shapely.box(500000, 3500000, 600000, 3600000))
    with pytest.raises(InputDataError, match="shapely geometry"):
        read_registry(path, coverage="南通")


@pytest.mark.parametrize("offset", ["gcj02", "bd09"])
def test_offset_coordinates_land_within_1m_of_wgs84(tmp_path, offset):
    # published pairs (domain.md); the Shanghai pair has no BD-09 value, so derive it
    truth = [(121.5272106, 31.1774276), (116.481499, 39.990475)]
    published = {
        "gcj02": [(121.531541859215, 31.17530398364597), (116.487586, 39.991754)],
        "bd09": [tuple(float(v[0]) for v in from_lonlat([121.5272106], [31.1774276], "bd09")), (116.49412, 39.997716)],
    }[offset]
    text = "经度,纬度\n" + "".join(f"{lon!r},{lat!r}\n" for lon, lat in published)
    reg = read_registry(csv_file(tmp_path, text), crs=offset)
    assert reg.attrs["registry"]["crs"] == offset
    for geom, (lon, lat) in zip(reg.geometry, truth):
        assert metres(geom.x, geom.y, lon, lat) < 1.0


def test_projected_xy_and_chinese_survey_axis_order(tmp_path):
    text = "X坐标,Y坐标\n581256.63,3543284.57\n3543284.57,581256.63\n"
    reg = read_registry(csv_file(tmp_path, text), crs="EPSG:4549")
    assert reg["row_status"].tolist() == ["ok", "coords_swapped"]  # X=northing is detected and fixed
    for geom in reg.geometry:
        assert (geom.x, geom.y) == pytest.approx((120.86, 32.01), abs=1e-7)
    assert reg.attrs["registry"]["location"] == "x/y"


def test_lonlat_preferred_for_geographic_and_xy_for_projected(tmp_path):
    path = csv_file(tmp_path, "经度,纬度,X,Y\n120.86,32.01,581256.63,3543284.57\n")
    assert read_registry(path).attrs["registry"]["location"] == "lon/lat"
    assert read_registry(path, crs=4549).attrs["registry"]["location"] == "x/y"


# --------------------------------------------------------------------------- spatial specifics


def test_site_polygons_and_awkward_geometry(tmp_path):
    bowtie = shapely.Polygon([(120.80, 32.00), (120.81, 32.01), (120.81, 32.00), (120.80, 32.01)])
    frame = gpd.GeoDataFrame(
        {"名称": ["厂区", "蝴蝶", "空", "无", "反"]},
        geometry=[
            shapely.box(120.80, 32.00, 120.81, 32.01),
            bowtie,
            shapely.Polygon(),
            None,
            shapely.box(32.00, 120.80, 32.01, 120.81),
        ],
        crs="EPSG:4490",
    )
    path = tmp_path / "sites.gpkg"
    frame.to_file(path, engine="pyogrio")
    reg = read_registry(path, coverage=NANTONG)
    assert reg["row_status"].tolist() == ["ok", "ok", "invalid_location", "invalid_location", "coords_swapped"]
    issues = reg["issues"].tolist()
    assert issues[1] == "geometry_repaired" and reg.geometry.iloc[1].is_valid
    assert issues[2] == "geometry_empty" and issues[3] == "location_missing"
    assert reg.geometry.iloc[4].equals(shapely.box(120.80, 32.00, 120.81, 32.01))
    assert reg.geometry.iloc[0].geom_type == "Polygon"


def test_spatial_file_crs_wins_and_missing_crs_uses_parameter(tmp_path):
    projected = gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[shapely.Point(581256.63, 3543284.57)], crs=4549)
    projected.to_file(tmp_path / "p.gpkg", engine="pyogrio")
    reg = read_registry(tmp_path / "p.gpkg", crs="gcj02")  # projected file: its CRS wins, no offset
    assert reg.attrs["registry"]["crs"] == "EPSG:4549"
    assert (reg.geometry.iloc[0].x, reg.geometry.iloc[0].y) == pytest.approx((120.86, 32.01), abs=1e-7)

    bare = tmp_path / "bare"
    bare.mkdir()
    projected.to_file(bare / "p.shp", engine="pyogrio")
    (bare / "p.prj").unlink()
    reg = read_registry(bare / "p.shp", crs="EPSG:4549")
    assert reg.attrs["registry"]["crs"] == "EPSG:4549"
    assert reg.geometry.iloc[0].x == pytest.approx(120.86, abs=1e-7)


def test_geographic_file_with_explicit_offset_is_corrected(tmp_path):
    gcj = gpd.GeoDataFrame(
        {"名称": ["上海"]}, geometry=[shapely.Point(121.531541859215, 31.17530398364597)], crs="EPSG:4326"
    )
    gcj.to_file(tmp_path / "gcj.geojson", engine="pyogrio")
    reg = read_registry(tmp_path / "gcj.geojson", crs="gcj02")
    assert reg.attrs["registry"]["crs"] == "gcj02"
    assert metres(reg.geometry.iloc[0].x, reg.geometry.iloc[0].y, 121.5272106, 31.1774276) < 1.0
    plain = read_registry(tmp_path / "gcj.geojson")
    assert plain.geometry.iloc[0].x == pytest.approx(121.531541859215)


def test_attribute_only_gpkg_table_uses_lonlat_columns(tmp_path):
    path = tmp_path / "table.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"名称": ["甲"], "经度": [120.86], "纬度": [32.01]}), path, layer="t")
    reg = read_registry(path)
    assert reg.attrs["registry"]["location"] == "lon/lat"
    assert reg.geometry.iloc[0].equals(shapely.Point(120.86, 32.01))
    assert reg["经度"].tolist() == [120.86]  # the file's own float column, untouched


def test_zip_member_choice(tmp_path):
    frame = gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[shapely.Point(120.86, 32.01)], crs=4490)
    folder = tmp_path / "parts"
    folder.mkdir()
    frame.to_file(folder / "a.shp", engine="pyogrio")
    frame.assign(名称="乙").to_file(folder / "b.shp", engine="pyogrio")
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    with pytest.raises(InputDataError, match=r"found 2 .*pass layer="):
        read_registry(two)
    assert read_registry(two, layer="b")["name"].tolist() == ["乙"]
    none = tmp_path / "none.zip"
    with zipfile.ZipFile(none, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    with pytest.raises(InputDataError, match="zip the .shp together with its .shx, .dbf"):
        read_registry(none)


def test_gpkg_layers(tmp_path):
    frame = gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[shapely.Point(120.86, 32.01)], crs=4490)
    path = tmp_path / "two.gpkg"
    frame.to_file(path, layer="企业", engine="pyogrio")
    frame.to_file(path, layer="other", engine="pyogrio")
    with pytest.raises(InputDataError, match="several layers .*pass layer="):
        read_registry(path)
    assert read_registry(path, layer="企业")["name"].tolist() == ["甲"]
    with pytest.raises(InputDataError, match="no layer 'missing'; layers in the file: '企业', 'other'"):
        read_registry(path, layer="missing")


# --------------------------------------------------------------------------- errors


def test_error_file_not_found(tmp_path):
    with pytest.raises(InputDataError, match="not found: .*nope.csv; check the path"):
        read_registry(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n\n  \n", "the file is empty"),
        ("header.csv", "名称,经度,纬度\n".encode(), "no data rows"),
        ("registry.dat", b"a,b\n1,2\n", r"accepted extensions: \.csv, .*\.xlsx.*\.gpkg.*\.shp.*\.zip.*\.geojson"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "save it as .xlsx or .csv"),
        ("bad.csv", b"\xff\xfe\x80\x81,\xff\n\x80\xff,1\n", "neither|cannot be decoded.*save as 'CSV UTF-8'"),
        ("ragged.csv", "名称,经度,纬度\n甲,1,2,3,4\n".encode(), "check the delimiter"),
        ("bad.gpkg", b"this is not a geopackage", "opens in QGIS"),
        ("bad.xlsx", b"not a zip", "save it again as .xlsx"),
        ("bad.zip", b"not a zip", "zip the shapefile again"),
    ],
)
def test_error_unreadable_files(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputDataError, match=match):
        read_registry(path)


def test_error_unreadable_spatial_keeps_cause(tmp_path):
    path = tmp_path / "bad.gpkg"
    path.write_bytes(b"this is not a geopackage")
    with pytest.raises(InputDataError) as info:
        read_registry(path)
    assert isinstance(info.value.__cause__, pyogrio.errors.DataSourceError)


def test_error_no_location_columns_lists_headers_and_names(tmp_path):
    with pytest.raises(InputDataError, match=r"headers found \(名称, 地址\).*经度.*纬度.*x坐标") as info:
        read_registry(csv_file(tmp_path, "名称,地址\n甲,南通\n"))
    assert "crs=" in str(info.value)


def test_error_xy_without_projected_crs(tmp_path):
    path = csv_file(tmp_path, "X坐标,Y坐标\n581256.63,3543284.57\n")
    with pytest.raises(CRSError, match="crs='EPSG:4549'") as info:
        read_registry(path)
    assert "rename them to 经度/纬度" in str(info.value)


def test_error_lonlat_with_projected_crs(tmp_path):
    with pytest.raises(CRSError, match="is projected.*drop crs="):
        read_registry(csv_file(tmp_path, "经度,纬度\n120.86,32.01\n"), crs="EPSG:4549")


def test_error_bad_crs_names_the_parameter(tmp_path):
    with pytest.raises(CRSError, match=r"crs='amap-ish' is not a coordinate system.*gcj02"):
        read_registry(csv_file(tmp_path, "经度,纬度\n120.86,32.01\n"), crs="amap-ish")


# --------------------------------------------------------------------------- properties

lonlat_cell = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.just(""),
    st.sampled_from(["abc", "120.86", "32.01", "0"]),
    st.floats(-200, 200).map(lambda v: f"{v:.5f}"),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(lonlat_cell, lonlat_cell), min_size=1, max_size=12), st.randoms())
def test_every_row_gets_one_status_and_order_does_not_matter(rows, rnd):
    with tempfile.TemporaryDirectory() as tmp:
        text = "编号,经度,纬度\n" + "".join(f"r{i},{a},{b}\n" for i, (a, b) in enumerate(rows))
        reg = read_registry(csv_file(Path(tmp), text), coverage=NANTONG)
        order = list(range(len(rows)))
        rnd.shuffle(order)
        shuffled = "编号,经度,纬度\n" + "".join(f"r{i},{rows[i][0]},{rows[i][1]}\n" for i in order)
        again = read_registry(csv_file(Path(tmp), shuffled, name="s.csv"), coverage=NANTONG)
    assert len(reg) == len(rows)
    assert reg["编号"].tolist() == [f"r{i}" for i in range(len(rows))]
    assert set(reg["row_status"]) <= set(ROW_STATUSES)
    assert reg["geometry"].isna().tolist() == (reg["row_status"] == "invalid_location").tolist()
    by_id = dict(zip(reg["编号"], zip(reg["row_status"], reg["issues"])))
    assert dict(zip(again["编号"], zip(again["row_status"], again["issues"]))) == by_id


def test_uscc_helper_makes_valid_codes():
    assert all(c in USCC_ALPHABET for c in uscc(123))
    assert len(uscc(123)) == 18


# --------------------------------------------------------------------------- canonical lon/lat: the screened location


def test_canonical_lonlat_is_the_screened_point_and_the_input_stays_in_its_column(tmp_path):
    # demo row 1: GCJ-02 121.251663, 32.167228 is screened at 121.247157 (about 430 m away)
    reg = read_registry(csv_file(tmp_path, "经度,纬度\n121.251663,32.167228\n"), crs="gcj02")
    point = reg.geometry.iloc[0]
    assert (reg["lon"].iloc[0], reg["lat"].iloc[0]) == (point.x, point.y)
    assert reg["lon"].iloc[0] == pytest.approx(121.247157, abs=1e-6)
    assert reg["经度"].tolist() == ["121.251663"] and reg["纬度"].tolist() == ["32.167228"]  # as given


def test_canonical_lonlat_after_a_swap_and_from_projected_xy(tmp_path):
    reg = read_registry(csv_file(tmp_path, "X坐标,Y坐标\n581256.63,3543284.57\n3543284.57,581256.63\n"), crs=4549)
    assert reg["lon"].tolist() == pytest.approx([120.86, 120.86], abs=1e-7)
    assert reg["lat"].tolist() == pytest.approx([32.01, 32.01], abs=1e-7)
    assert "x" not in reg.columns and "y" not in reg.columns  # the input x/y live only in X坐标/Y坐标
    assert reg["X坐标"].tolist() == ["581256.63", "3543284.57"]


def test_input_columns_named_lon_lat_are_kept_beside_the_screened_ones(tmp_path):
    reg = read_registry(csv_file(tmp_path, "name,lon,lat\n甲,32.01,120.86\n"))
    assert reg["lon_input"].tolist() == ["32.01"] and reg["lat_input"].tolist() == ["120.86"]
    assert (reg["lon"].iloc[0], reg["lat"].iloc[0]) == (120.86, 32.01)  # swapped back
    assert reg.attrs["registry"]["columns"]["lon"] == "lon_input"
    assert reg.attrs["registry"]["renamed"] == {"lon": "lon_input", "lat": "lat_input"}


def test_canonical_lonlat_of_a_footprint_is_a_point_inside_it(tmp_path):
    site = shapely.Polygon(
        [(120.80, 32.00), (120.81, 32.00), (120.81, 32.001), (120.801, 32.001), (120.801, 32.01), (120.80, 32.01)]
    )  # an L: its centroid lies outside
    gpd.GeoDataFrame({"名称": ["厂"]}, geometry=[site], crs=4490).to_file(tmp_path / "s.gpkg", engine="pyogrio")
    reg = read_registry(tmp_path / "s.gpkg")
    assert site.contains(shapely.Point(reg["lon"].iloc[0], reg["lat"].iloc[0]))
