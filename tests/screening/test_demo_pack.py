"""The bundled Nantong demo pack (layers/nantong): files, real geometry, illustrative zones, the sample registry.

Figures asserted for the real layers were measured from the AMap boundaries in
``layers/nantong/source`` converted GCJ-02 -> CGCS2000 (see the pack's README).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely

from geo_screen.inputs.crs import gcj02_to_wgs84, geometries_to_lonlat
from geo_screen.inputs.identifiers import uscc_issue_series
from geo_screen.inputs.registry import read_registry
from geo_screen.pack.catalog import load_catalog

PACK = Path(__file__).resolve().parents[2] / "layers" / "nantong"
METRIC = "EPSG:4549"
COUNTY_CODES = {
    "320612": "通州区",
    "320613": "崇川区",
    "320614": "海门区",
    "320623": "如东县",
    "320681": "启东市",
    "320682": "如皋市",
    "320685": "海安市",
}
VECTORS = {  # file -> (layer, feature count, CRS)
    "admin.gpkg": ("counties", 7, "EPSG:4490"),
    "yangtze.gpkg": (None, 1, "EPSG:4326"),
    "riverside_belt.gpkg": (None, 1, "EPSG:4326"),
    "eco_redline.gpkg": (None, 8, "EPSG:4549"),
    "marine_redline.gpkg": (None, 4, "EPSG:4490"),
    "water_source.shp": (None, 15, "EPSG:4490"),
    "sensitive.geojson": (None, 492, "EPSG:4326"),
}
ILLUSTRATIVE = "示意数据，非官方"
BAD_STATUS = {
    18: "invalid_location",
    19: "invalid_location",
    240: "invalid_location",
    241: "invalid_location",
    777: "coords_swapped",
    1001: "out_of_coverage",
}


def read(name: str, layer: str | None = None) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(PACK / name, layer=layer)


@pytest.fixture(scope="module")
def registry() -> pd.DataFrame:
    return pd.read_csv(PACK / "demo_registry.csv", encoding="gbk", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    frame = pd.read_csv(PACK / "demo_registry_expected.csv", dtype=str, keep_default_na=False)
    frame["row"] = frame["row"].astype(int)
    return frame


@pytest.fixture(scope="module")
def counties_m() -> gpd.GeoDataFrame:
    return read("admin.gpkg", "counties").to_crs(METRIC)


def true_points(registry: pd.DataFrame, rows) -> np.ndarray:
    """Registry rows (1-based) as metric points, after removing the GCJ-02 offset."""
    sub = registry.iloc[np.asarray(rows) - 1]
    lon, lat = gcj02_to_wgs84(sub["经度"].astype(float), sub["纬度"].astype(float))
    return gpd.GeoSeries(shapely.points(lon, lat), crs="EPSG:4490").to_crs(METRIC).to_numpy()


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_vector_files_read_with_their_crs_and_counts(name):
    layer, count, crs = VECTORS[name]
    frame = read(name, layer)
    assert len(frame) == count
    assert frame.crs.to_epsg() == int(crs.split(":")[1])
    assert frame.geometry.notna().all() and frame.is_valid.all()


def test_pack_is_small_and_sources_are_copied():
    files = [p for p in PACK.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert sum(p.stat().st_size for p in files) < 3_000_000
    assert (PACK / "source" / "SOURCE.md").read_text(encoding="utf-8").startswith("# Administrative boundaries")
    assert {p.stem for p in (PACK / "source").glob("*.geojson")} >= {"320600", "320500", "310151", *COUNTY_CODES}


# --------------------------------------------------------------------------- real layers


def test_counties_have_the_seven_codes_and_tile_the_city(counties_m):
    assert dict(zip(counties_m["代码"], counties_m["县区"])) == COUNTY_CODES
    city = read("admin.gpkg", "city").to_crs(METRIC)
    assert city["代码"].tolist() == ["320600"]
    city_km2 = city.area.iloc[0] / 1e6
    # the AMap outline gives 9,854 km2 (the quoted ~10,500 km2 includes water it leaves out)
    assert city_km2 == pytest.approx(9854, rel=0.01)
    assert counties_m.area.sum() / 1e6 == pytest.approx(city_km2, rel=1e-6)
    assert counties_m.union_all().symmetric_difference(city.geometry.iloc[0]).area < 1e4  # < 0.01 km2


def source_outline(code: str) -> shapely.Geometry:
    """A boundary from layers/nantong/source (GCJ-02) converted to CGCS2000 with the project's code."""
    frame = pyogrio.read_dataframe(PACK / "source" / f"{code}.geojson")
    return shapely.union_all(geometries_to_lonlat(frame.geometry.to_numpy(), "gcj02"))


def test_counties_were_converted_from_gcj02():
    # every stored vertex is a source vertex with the GCJ-02 offset (~480 m near Nantong) removed
    source = pyogrio.read_dataframe(PACK / "source" / "320613.geojson").geometry.iloc[0]
    raw = shapely.get_coordinates(source)
    back = np.column_stack(gcj02_to_wgs84(raw[:, 0], raw[:, 1]))
    stored = read("admin.gpkg", "counties").set_index("代码").geometry.loc["320613"]
    to_m = gpd.GeoSeries([stored.boundary, *shapely.points(back), *shapely.points(raw)], crs="EPSG:4490")
    boundary, pts = to_m.to_crs(METRIC).iloc[0], to_m.to_crs(METRIC).iloc[1:].to_numpy()
    back_m, raw_m = pts[: len(raw)], pts[len(raw) :]
    assert shapely.distance(back_m, boundary).max() < 0.01
    assert 400 < np.median(shapely.distance(back_m, raw_m)) < 560


def test_yangtze_line_is_one_plausible_line_on_the_border():
    line = read("yangtze.gpkg").to_crs(METRIC).geometry.iloc[0]
    assert line.geom_type == "LineString"
    assert 160_000 < line.length < 175_000  # 167.8 km: 70 km along Suzhou, 98 km along Chongming
    city = read("admin.gpkg", "city").to_crs(METRIC).geometry.iloc[0]
    assert line.difference(city.boundary.buffer(0.01)).length < 0.01
    across = gpd.GeoSeries([source_outline("320500"), source_outline("310151")], crs="EPSG:4490").to_crs(METRIC)
    assert line.hausdorff_distance(line.intersection(across.union_all().buffer(51))) < 1.0


def test_riverside_belt_is_the_city_within_5_km_of_the_line():
    belt = read("riverside_belt.gpkg").to_crs(METRIC).geometry.iloc[0]
    line = read("yangtze.gpkg").to_crs(METRIC).geometry.iloc[0]
    city = read("admin.gpkg", "city").to_crs(METRIC).geometry.iloc[0]
    assert belt.difference(line.buffer(5001)).area < 1.0
    assert belt.difference(city).area < 1e3
    assert city.intersection(line.buffer(4990)).difference(belt).area < 1e5
    assert 700e6 < belt.area < 900e6


# --------------------------------------------------------------------------- illustrative layers


def test_eco_redline_levels_hole_and_multipart():
    eco = read("eco_redline.gpkg")
    assert set(eco["管控级别"]) == {"一级管控区", "二级管控区"}
    assert (eco["说明"] == ILLUSTRATIVE).all()
    assert {"狼山省级森林公园", "濠河风景名胜区", "老洪港湿地公园", "启东长江口(北支)湿地省级自然保护区"} <= set(
        eco["名称"]
    )
    parts = eco.geometry.explode()
    assert any(len(p.interiors) > 0 for p in parts)
    assert (shapely.get_num_geometries(eco.geometry.to_numpy()) > 1).any()


def test_marine_redline_classes():
    marine = read("marine_redline.gpkg")
    assert set(marine["名称"]) == {"小洋口国家级海洋公园", "蛎岈山牡蛎礁海洋特别保护区"}
    assert set(marine["管控级别"]) == {"禁止类", "限制类"}
    assert (marine["说明"] == ILLUSTRATIVE).all()


def test_water_source_is_gbk_with_cpg_and_rings_do_not_overlap():
    assert (PACK / "water_source.cpg").read_text(encoding="ascii").strip() == "GBK"
    dbf = (PACK / "water_source.dbf").read_bytes()
    assert "一级保护区".encode("gbk") in dbf and "一级保护区".encode() not in dbf
    water = read("water_source.shp").to_crs(METRIC)
    assert set(water["级别"]) == {"一级保护区", "二级保护区", "准保护区"}
    assert water.groupby("水源地").size().eq(3).all() and water["水源地"].nunique() == 5
    geoms = water.geometry.to_numpy()
    overlap = shapely.area(shapely.intersection(geoms[:, None], geoms[None, :]))
    np.fill_diagonal(overlap, 0.0)
    assert overlap.max() < 1.0


def test_sensitive_targets_kinds_and_geometry():
    targets = read("sensitive.geojson")
    assert targets["名称"].is_unique
    kinds = targets.groupby("类别").geometry.apply(lambda g: set(g.geom_type))
    assert kinds.to_dict() == {"居住区": {"Polygon"}, "学校": {"Point"}, "医院": {"Point"}}
    assert 300 <= len(targets) <= 600


def test_landuse_raster_format_and_industrial_land_under_the_parks(registry):
    with rasterio.open(PACK / "landuse.tif") as src:
        assert src.crs.to_epsg() == 4549 and src.dtypes == ("uint8",) and src.nodata == 0
        assert src.compression.name == "deflate" and src.res == (250.0, 250.0)
        grid = src.read(1)
        ok = registry.index[registry["经度"].str.fullmatch(r"12\d\.\d+") & (registry["纬度"] != "")] + 1
        pts = true_points(registry, ok)
        values = np.array([v[0] for v in src.sample(zip(shapely.get_x(pts), shapely.get_y(pts)))])
    assert set(np.unique(grid)) == {0, 1, 2, 3, 4, 5, 6}
    industrial = np.isin(values, (1, 2, 3)).mean()
    assert 0.6 < industrial < 0.95  # the parks hold most industry; the rest is the standard-3 demo


def test_sanitary_distances_have_no_eia_only_industries():
    table = pd.read_csv(PACK / "sanitary_distances.csv", encoding="utf-8")
    assert list(table.columns) == ["industry", "distance_m", "source", "note"]
    assert dict(zip(table["industry"], table["distance_m"])) == {
        "水泥": 400,
        "水泥（≥50万t/a）": 500,
        "石灰": 200,
        "氯碱": 600,
        "汽车制造": 400,
        "炼铁": 1200,
    }
    assert not set(table["industry"]) & {"印染", "钢丝绳", "化工"}  # no industry standard: each EIA gives it


# --------------------------------------------------------------------------- the registry


def test_registry_is_gbk_with_the_documented_columns(registry):
    raw = (PACK / "demo_registry.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw[:40].decode("gbk").startswith("统一社会信用代码,企业名称,行业")
    assert len(registry) == 5000
    assert list(registry.columns[-8:]) == [
        "淘汰类装备",
        "手续齐全",
        "稳定达标排放",
        "能耗超限额",
        "重大安全隐患",
        "长期停车",
        "散乱污",
        "严重环境违法",
    ]
    for column in registry.columns[-8:]:
        assert set(registry[column]) == {"是", "否", ""}
    assert set(registry["绩效等级"]) == {"A", "B", "C", "D", ""}
    assert registry["行业"].value_counts().index[:3].tolist() == ["印染", "化工", "钢丝绳"]


def test_registry_uscc_valid_except_the_deliberate_rows(registry):
    issues = uscc_issue_series(registry["统一社会信用代码"])
    assert sorted(np.flatnonzero(issues.notna().to_numpy()) + 1) == [2020, 2021]
    dup = registry["统一社会信用代码"].duplicated(keep=False)
    assert sorted(np.flatnonzero(dup.to_numpy()) + 1) == [1500, 3500]
    divisions = set(registry["统一社会信用代码"].str[2:8])
    assert divisions == set(COUNTY_CODES) | {"320602", "320611", "320683", "320684", "320621"}


def test_registry_locations_are_gcj02_inside_their_county(registry, counties_m):
    bad = {18, 19, 240, 241, 777, 1001, 4321}
    rows = [r for r in range(1, len(registry) + 1) if r not in bad]
    pts = gpd.GeoDataFrame(geometry=true_points(registry, rows), crs=METRIC)
    joined = gpd.sjoin(pts, counties_m, predicate="within", how="left")
    assert (joined["县区"].to_numpy() == registry["县（市、区）"].iloc[np.array(rows) - 1].to_numpy()).all()
    row = registry.iloc[4321 - 1]
    assert row["县（市、区）"] == "海安市"
    assert counties_m.set_index("县区").contains(true_points(registry, [4321])[0]).idxmax() == "如皋市"


def test_deliberate_zone_rows_are_where_the_table_says(registry, expected):
    layers = {
        "eco_redline": ("eco_redline.gpkg", "名称", "管控级别"),
        "marine_redline": ("marine_redline.gpkg", "名称", "管控级别"),
        "water_source": ("water_source.shp", "水源地", "级别"),
        "riverside": ("riverside_belt.gpkg", "名称", None),
    }
    zone_rows = expected[expected["kind"] == "zone"]
    assert set(zone_rows["layer"]) == set(layers) and len(zone_rows) >= 40
    for layer_id, rows in zone_rows.groupby("layer"):
        path, name_col, zone_col = layers[layer_id]
        zones = read(path).to_crs(METRIC)
        key = zones[name_col] + ("/" + zones[zone_col] if zone_col else "")
        zones = zones.set_axis(key.to_numpy())
        pts = true_points(registry, rows["row"])
        for point, (_, rec) in zip(pts, rows.iterrows()):
            geom = zones.geometry.loc[rec["feature"] + (f"/{rec['zone']}" if zone_col else "")]
            assert geom.contains(point) == (rec["expected"] == "inside"), rec.to_dict()
            assert geom.boundary.distance(point) == pytest.approx(float(rec["distance_m"]), abs=1.0)
    edges = zone_rows[zone_rows["note"].str.contains("zone edge")]
    assert set(edges["expected"]) == {"inside", "outside"} and len(edges) >= 20
    assert edges["distance_m"].astype(float).between(29, 31).all()


def test_deliberate_sanitary_rows_sit_at_their_distance(registry, expected):
    targets = read("sensitive.geojson").to_crs(METRIC).geometry.to_numpy()
    rows = expected[expected["kind"] == "sanitary"]
    assert set(rows["expected"]) == {"inside", "outside", "not_assessed"}
    for point, (_, rec) in zip(true_points(registry, rows["row"]), rows.iterrows()):
        assert shapely.distance(targets, point).min() == pytest.approx(float(rec["distance_m"]), abs=1.0)
        assert registry.iloc[rec["row"] - 1]["行业"] == rec["行业"]


def test_bad_rows_are_documented_in_the_readme(expected):
    readme = (PACK / "README.md").read_text(encoding="utf-8")
    bad = expected[expected["kind"] == "bad_row"]
    assert len(bad) == 11
    for _, rec in bad.iterrows():
        assert re.search(rf"^\| {rec['row']} \| {rec['row'] + 1} \| ", readme, re.M), rec["row"]


# --------------------------------------------------------------------------- the project's loaders


def test_catalog_and_registry_load_with_the_project_loaders():
    catalog = load_catalog(PACK / "catalog.yaml")
    assert catalog.problems == []
    report = catalog.report().set_index("id")
    assert report.loc["counties", "features"] == 7 and report.loc["sensitive", "features"] == 492
    assert report.loc["eco_redline", "crs"] == "EPSG:4549"
    reg = read_registry(PACK / "demo_registry.csv", crs="gcj02", coverage=catalog.coverage)
    status = reg.set_index("input_row")["row_status"]
    assert {row: status.loc[row] for row in BAD_STATUS} == BAD_STATUS
    assert (status.drop(list(BAD_STATUS)) == "ok").all()


@pytest.mark.slow
def test_rebuild_reproduces_the_committed_pack(tmp_path):
    subprocess.run([sys.executable, str(PACK / "build.py"), str(tmp_path)], check=True, capture_output=True)
    for name, (layer, count, _) in VECTORS.items():
        assert len(pyogrio.read_dataframe(tmp_path / name, layer=layer)) == count, name
    for name, layer in (("admin.gpkg", "counties"), ("yangtze.gpkg", None), ("riverside_belt.gpkg", None)):
        new, old = (pyogrio.read_dataframe(d / name, layer=layer).to_crs(METRIC) for d in (tmp_path, PACK))
        assert np.allclose(new.area, old.area) and np.allclose(new.length, old.length), name
    rebuilt = pd.read_csv(tmp_path / "demo_registry.csv", encoding="gbk", dtype=str)
    assert rebuilt.shape == (5000, 17)
    assert len(pd.read_csv(tmp_path / "demo_registry_expected.csv")) == len(
        pd.read_csv(PACK / "demo_registry_expected.csv")
    )
    assert (tmp_path / "catalog.yaml").read_text(encoding="utf-8") == (PACK / "catalog.yaml").read_text(
        encoding="utf-8"
    )


# --------------------------------------------------------------------------- the indicator table


def test_indicator_table_is_reproduced_from_the_registry_and_grades_every_row(registry, tmp_path):
    import shutil

    from geo_screen.grading.evaluate import grade_enterprises

    shutil.copy(PACK / "demo_registry.csv", tmp_path / "demo_registry.csv")
    subprocess.run([sys.executable, str(PACK / "pack_indicators.py"), str(tmp_path)], check=True, capture_output=True)
    assert (tmp_path / "demo_indicators.csv").read_bytes() == (PACK / "demo_indicators.csv").read_bytes()
    grades = grade_enterprises(PACK / "demo_indicators.csv")
    table = grades.table
    assert len(table) == len(registry) == 5000 and grades.warnings == []
    assert (table["enterprise_id"].to_numpy() == registry["统一社会信用代码"].to_numpy()).all()
    bad = table[table["grade_status"] == "not_graded"].set_index("input_row")["grade_reason"]
    assert sorted(bad.index) == [12, 345, 1500, 2222, 2500, 3500, 4000]
    assert bad[12] == "land_area_mu_not_positive:0" and bad[2500] == "tax_unparsed:约30"
    counts = grades.counts().drop("合计")
    shares = counts[["A", "B", "C", "D"]].sum() / counts[["A", "B", "C", "D"]].sum().sum()
    assert shares.round(2).tolist() == pytest.approx([0.19, 0.39, 0.34, 0.07], abs=0.02)


def test_sanitary_table_names_its_source_per_row_and_marks_what_is_unchecked():
    table = pd.read_csv(PACK / "sanitary_distances.csv", dtype={"industry": str, "source": str, "note": str})
    assert list(table.columns) == ["industry", "distance_m", "source", "note"]
    for row in table.itertuples():
        assert re.search(r"GB \d+(\.\d+)?-\d{4}", row.source) and "2-4 m/s" in row.source, row
        assert "check" in row.note or "二手" in row.source, row  # secondary or unverified facts say so
    distance = dict(zip(table["industry"], table["distance_m"]))
    assert distance["水泥"] == 400 and distance["水泥（≥50万t/a）"] == 500  # GB 18068-2000 3.1, 2-4 m/s
    assert "GB 18068.1-2012" in table.set_index("industry").loc["水泥", "note"]
