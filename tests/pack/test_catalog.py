"""Tests for geo_screen.pack.catalog and geo_screen.pack.model: tiny layer packs built in tmp_path."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
import yaml
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geo_screen.errors import ConfigError
from geo_screen.pack.catalog import load_catalog
from geo_screen.pack.catalogfile import catalog_spec_from_text
from geo_screen.pack.zones import ZONE_VOCABULARIES, normalise_token, zone_lookup

# Check point from the domain notes: (120.86 E, 32.01 N) <-> EPSG:4549 (581256.63 E, 3543284.57 N).
CHECK_LONLAT, CHECK_4549 = (120.86, 32.01), (581256.63, 3543284.57)
# Published pair: WGS84 (121.5272106, 31.1774276) -> GCJ-02 (121.531541859215, 31.17530398364597).
WGS_PAIR, GCJ_PAIR = (121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)
TO_METRIC = Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True)


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    (ax, bx), (ay, by) = TO_METRIC.transform([a[0], b[0]], [a[1], b[1]])
    return float(np.hypot(ax - bx, ay - by))


def write(frame: gpd.GeoDataFrame, path: Path, **kwargs) -> None:
    frame.to_file(path, engine="pyogrio", **kwargs)


def build_pack(root: Path) -> list[dict]:
    """Write one layer per format/CRS into ``root``; return the catalog's layer entries."""
    root.mkdir(parents=True, exist_ok=True)
    counties = gpd.GeoDataFrame(
        {"县区": ["崇川区", "通州区"], "代码": [320613, 320612]},
        geometry=[shapely.box(120.80, 31.90, 120.95, 32.10), shapely.box(120.95, 31.90, 121.20, 32.10)],
        crs="EPSG:4326",
    )
    write(counties, root / "admin.gpkg", layer="counties")
    write(counties.iloc[:1], root / "admin.gpkg", layer="towns")  # a second layer: `layer:` is needed
    bowtie = shapely.Polygon([(120.85, 32.00), (120.87, 32.02), (120.87, 32.00), (120.85, 32.02)])
    eco = gpd.GeoDataFrame(
        {
            "名称": ["狼山省级森林公园", "濠河", "空", "无"],
            "管控级别": ["一级管控区", "生态空间管控区域", "一级", "二级"],
            "类型": ["森林公园", "重要湿地", "x", "y"],
        },
        geometry=[shapely.box(120.86, 31.95, 120.88, 31.97), bowtie, None, shapely.Polygon()],
        crs="EPSG:4490",
    )
    write(eco, root / "eco_redline.gpkg")
    x, y = CHECK_4549
    ws = gpd.GeoDataFrame(
        {"水源地": ["长江狼山", "长江洪港", "海门长江"], "级别": ["一级保护区", "二级", "三级"]},
        geometry=[
            shapely.box(x, y, x + 500, y + 300),
            shapely.box(x + 600, y, x + 900, y + 300),
            shapely.box(x + 1000, y, x + 1100, y + 100),
        ],
        crs="EPSG:4549",
    )
    write(ws, root / "water_source.shp", encoding="GBK")  # GBK attributes, declared in the .cpg
    marine = gpd.GeoDataFrame(
        {"NAME": ["小洋口国家级海洋公园", "蛎岈山"], "CLS": ["禁止类", "限制开发区"]},
        geometry=[shapely.box(121.0, 32.5, 121.1, 32.6), shapely.box(121.2, 32.5, 121.3, 32.6)],
        crs="EPSG:4326",
    )
    write(marine, root / "marine.shp", encoding="GBK")
    (root / "marine.cpg").unlink()  # GBK without .cpg: the catalog says `encoding: GBK`
    sensitive = gpd.GeoDataFrame(
        {"名称": ["通州小学", "校对点"], "类别": ["学校", "居住区"]},
        geometry=[shapely.Point(*GCJ_PAIR), shapely.Point(121.0, 32.0)],
        crs="EPSG:4326",
    )
    write(sensitive, root / "sensitive.geojson")  # GeoJSON says WGS84; the catalog says gcj02
    write(gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(*CHECK_4549)], crs="EPSG:4549"), root / "check.gpkg")
    with rasterio.open(
        root / "landuse.tif",
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="uint8",
        crs="EPSG:4549",
        transform=Affine(100, 0, x, 0, -100, y + 1000),
        nodata=0,
    ) as ds:
        ds.write(np.arange(1, 101, dtype="uint8").reshape(1, 10, 10) % 5 + 1)
    pyogrio.write_dataframe(pd.DataFrame({"a": [1]}), root / "table.gpkg")  # no geometry
    (root / "broken.tif").write_bytes(b"not a tiff")
    (root / "distances.csv").write_text("industry,distance_m,note\n水泥,500,≥500kt/a\n石灰,200,\n", "utf-8")
    return [
        {
            "id": "counties",
            "kind": "admin_boundary",
            "path": "admin.gpkg",
            "layer": "counties",
            "fields": {"name": "县区", "code": "代码"},
        },
        {
            "id": "eco",
            "kind": "ecological_redline",
            "path": "eco_redline.gpkg",
            "fields": {"name": "名称", "level": "管控级别", "category": "类型"},
        },
        {
            "id": "water_source",
            "kind": "water_source_protection",
            "path": "water_source.shp",
            "fields": {"name": "水源地", "zone": "级别"},
        },
        {
            "id": "marine",
            "kind": "marine_redline",
            "path": "marine.shp",
            "encoding": "GBK",
            "fields": {"name": "NAME", "level": "CLS"},
        },
        {
            "id": "sensitive",
            "kind": "sensitive_targets",
            "path": "sensitive.geojson",
            "crs": "gcj02",
            "fields": {"name": "名称", "category": "类别"},
        },
        {"id": "check", "kind": "sensitive_targets", "path": "check.gpkg"},
        {
            "id": "landuse",
            "kind": "land_use_plan",
            "path": "landuse.tif",
            "industrial_classes": ["M1", "M2"],
            "classes": {1: "M1", 2: "M2", 3: "R", 4: "G", 5: "S"},
        },
    ]


def write_catalog(root: Path, layers: list[dict], **top) -> Path:
    doc = {
        "name": "南通测试图层包",
        "coverage": "counties",
        "layers": layers,
        "sanitary_distances": "distances.csv",
        **top,
    }
    path = root / "catalog.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return path


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pack")
    return write_catalog(root, build_pack(root))


@pytest.fixture(scope="module")
def catalog(pack):
    return load_catalog(pack)


# --------------------------------------------------------------------------- happy path


def test_layers_load_in_file_order_with_their_crs(catalog):
    assert list(catalog.layers) == ["counties", "eco", "water_source", "marine", "sensitive", "check", "landuse"]
    report = catalog.report().set_index("id")
    assert report.loc["counties", "crs"] == "EPSG:4326"
    assert report.loc["eco", "crs"] == "EPSG:4490"
    assert (report.loc["water_source", "crs"], report.loc["water_source", "crs_from"]) == ("EPSG:4549", "file")
    assert (report.loc["sensitive", "crs"], report.loc["sensitive", "crs_from"]) == ("gcj02", "catalog")
    assert report.loc["landuse", "format"] == "raster" and pd.isna(report.loc["landuse", "features"])
    for layer in catalog.layers.values():
        if layer.frame is not None:
            assert layer.frame.crs.to_epsg() == 4490
            assert list(layer.frame.index) == list(range(len(layer.frame)))
            assert list(layer.frame.columns[:7]) == [
                "layer_id",
                "name",
                "zone",
                "zone_label",
                "category",
                "code",
                "class",
            ]


def test_projected_layer_lands_on_the_check_point(catalog):
    point = catalog.layers["check"].frame.geometry.iloc[0]
    assert metres_between((point.x, point.y), CHECK_LONLAT) < 1.0


def test_gcj02_layer_is_shifted_back_to_wgs84(catalog):
    point = catalog.layers["sensitive"].frame.geometry.iloc[0]
    assert metres_between((point.x, point.y), WGS_PAIR) < 1.0
    assert metres_between(GCJ_PAIR, WGS_PAIR) > 400  # the offset really was removed


def test_lonlat_layers_keep_their_coordinates(catalog):
    assert catalog.layers["counties"].frame.total_bounds == pytest.approx([120.80, 31.90, 121.20, 32.10])


def test_chinese_attributes_survive_every_format(catalog):
    assert catalog.layers["counties"].frame["name"].tolist() == ["崇川区", "通州区"]
    assert catalog.layers["counties"].frame["code"].tolist() == ["320613", "320612"]  # ints become text
    assert catalog.layers["water_source"].frame["name"].tolist() == ["长江狼山", "长江洪港", "海门长江"]
    assert catalog.layers["marine"].frame["name"].tolist() == ["小洋口国家级海洋公园", "蛎岈山"]
    assert catalog.layers["sensitive"].frame["category"].tolist() == ["学校", "居住区"]
    assert "水源地" in catalog.layers["water_source"].frame.columns  # source columns are kept
    assert not [p for p in catalog.problems if "mis-decoded" in p]


def test_zones_are_normalised_and_unknown_values_counted(catalog):
    ws = catalog.layers["water_source"]
    assert ws.frame["zone"].tolist() == ["first", "second", "unknown"]
    assert ws.frame["zone_label"].tolist() == ["一级保护区", "二级", "三级"]
    assert ws.report.unknown_zone_values == {"三级": 1}
    assert catalog.layers["eco"].frame["zone"].tolist() == ["first", "second"]
    assert catalog.layers["marine"].frame["zone"].tolist() == ["prohibited", "restricted"]
    assert catalog.layers["counties"].frame["zone"].isna().all()
    assert any("'三级' (1)" in p and "zone_values" in p for p in catalog.problems)


def test_bowtie_is_repaired_keeping_both_lobes_and_empties_are_counted(catalog):
    eco = catalog.layers["eco"]
    assert (eco.report.repaired, eco.report.empty, eco.report.features) == (1, 2, 2)
    repaired = eco.frame.geometry.iloc[1]
    assert repaired.geom_type == "MultiPolygon" and len(repaired.geoms) == 2 and repaired.is_valid
    assert repaired.area == pytest.approx(2 * 0.5 * 0.02 * 0.01, rel=1e-9)  # two triangles, not one or zero


def test_raster_metadata_and_bounds(catalog):
    layer = catalog.layers["landuse"]
    info = layer.raster
    assert (info.width, info.height, info.count, info.nodata) == (10, 10, 1, 0)
    assert info.crs.crs.to_epsg() == 4549 and info.transform.a == 100
    assert info.classes[1] == "M1" and layer.industrial_classes == ("M1", "M2")
    x, y = CHECK_4549  # the raster is 1 km x 1 km with its lower-left corner on the check point
    lon, lat = Transformer.from_crs("EPSG:4549", "EPSG:4490", always_xy=True).transform(
        [x, x + 1000, x + 1000, x], [y, y, y + 1000, y + 1000]
    )
    minx, miny, maxx, maxy = layer.report.bounds
    assert minx <= min(lon) and miny <= min(lat) and maxx >= max(lon) and maxy >= max(lat)
    assert metres_between((minx, miny), (min(lon), min(lat))) < 20  # only edge curvature added


def test_coverage_sanitary_distances_and_files(catalog, pack):
    assert catalog.coverage.bounds == pytest.approx((120.80, 31.90, 121.20, 32.10))
    assert catalog.sanitary_distances["distance_m"].tolist() == [500.0, 200.0]
    assert catalog.sanitary_distances["industry"].tolist() == ["水泥", "石灰"]
    assert "note" in catalog.sanitary_distances.columns
    names = {p.name for p in catalog.files()}
    assert {
        "catalog.yaml",
        "admin.gpkg",
        "water_source.shp",
        "water_source.dbf",
        "water_source.cpg",
        "water_source.prj",
        "landuse.tif",
        "distances.csv",
    } <= names
    assert all(p.is_absolute() and p.exists() for p in catalog.files())
    assert [layer.id for layer in catalog.of_kind("sensitive_targets", "land_use_plan")] == [
        "sensitive",
        "check",
        "landuse",
    ]


def test_check_text_mentions_counts_crs_repairs_and_problems(catalog):
    text = catalog.check_text()
    assert "南通测试图层包" in text
    assert "eco [ecological_redline] eco_redline.gpkg: 2 features, CRS EPSG:4490 (file)" in text
    assert "1 repaired, 2 empty dropped" in text
    assert "gcj02 (catalog)" in text and "raster 10x10 px" in text
    assert "sanitary distances: 2 industries" in text
    assert "'三级' (1)" in text


def test_paths_resolve_against_the_catalog_folder_not_the_cwd(pack, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    catalog = load_catalog(pack.parent)  # the folder works too
    assert catalog.layers["water_source"].path == pack.parent.resolve() / "water_source.shp"
    assert len(catalog.layers["eco"].frame) == 2


# --------------------------------------------------------------------------- zone vocabularies


@pytest.mark.parametrize("kind", sorted(ZONE_VOCABULARIES))
def test_every_builtin_alias_maps_to_its_code(kind):
    lookup = zone_lookup(kind)
    for code, aliases in ZONE_VOCABULARIES[kind].items():
        for alias in aliases:
            assert lookup[normalise_token(alias)] == code


@settings(max_examples=50, deadline=None)
@given(
    kind=st.sampled_from(sorted(ZONE_VOCABULARIES)),
    data=st.data(),
    pad=st.tuples(st.sampled_from(["", " ", "\u3000", "\t"]), st.sampled_from(["", " ", "\u3000"])),
)
def test_normalisation_ignores_width_case_and_padding(kind, data, pad):
    code = data.draw(st.sampled_from(sorted(ZONE_VOCABULARIES[kind])))
    alias = data.draw(st.sampled_from(ZONE_VOCABULARIES[kind][code]))
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in alias.upper())  # full-width
    assert unicodedata.normalize("NFKC", wide) == alias.upper()
    assert zone_lookup(kind)[normalise_token(pad[0] + wide + pad[1])] == code


def test_zone_values_map_other_vocabularies_and_override_builtins(tmp_path):
    frame = gpd.GeoDataFrame(
        {"LV": ["A区", "B区", "3", "一级保护区", None]},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(5)],
        crs="EPSG:4490",
    )
    write(frame, tmp_path / "ws.gpkg")
    (tmp_path / "d.csv").write_text("industry,distance_m\n", "utf-8")
    layers = [
        {
            "id": "ws",
            "kind": "water_source_protection",
            "path": "ws.gpkg",
            "fields": {"zone": "LV"},
            "zone_values": {"A区": "first", "B区": "quasi", 3: "second", "一级保护区": "second"},
        }
    ]
    catalog = load_catalog(write_catalog(tmp_path, layers, coverage=None, sanitary_distances="d.csv"))
    assert catalog.layers["ws"].frame["zone"].tolist() == ["first", "quasi", "second", "second", "unknown"]
    assert catalog.layers["ws"].report.unknown_zone_values == {"(missing)": 1}
    assert catalog.sanitary_distances.empty and catalog.coverage is None


def test_bd09_layer_is_shifted_back_to_wgs84(tmp_path):
    # Published pair: WGS84 (116.481499, 39.990475) -> BD-09 (116.49412, 39.997716), 6 decimals (~0.1 m).
    write(gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(116.49412, 39.997716)], crs=4326), tmp_path / "p.gpkg")
    catalog = load_catalog(
        write_catalog(
            tmp_path,
            [{"id": "p", "kind": "sensitive_targets", "path": "p.gpkg", "crs": "bd09"}],
            coverage=None,
            sanitary_distances=None,
        )
    )
    point = catalog.layers["p"].frame.geometry.iloc[0]
    assert metres_between((point.x, point.y), (116.481499, 39.990475)) < 1.0


def test_water_source_without_zone_field_is_all_unknown_with_a_warning(tmp_path):
    write(gpd.GeoDataFrame({"n": ["a", "b"]}, geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=4490), tmp_path / "w.gpkg")
    catalog = load_catalog(
        write_catalog(
            tmp_path,
            [{"id": "w", "kind": "water_source_protection", "path": "w.gpkg"}],
            coverage=None,
            sanitary_distances=None,
        )
    )
    assert catalog.layers["w"].frame["zone"].tolist() == ["unknown", "unknown"]
    assert any("no zone field" in p and "fields: {zone:" in p for p in catalog.problems)


def test_mixed_geometries_in_a_polygon_layer(tmp_path):
    collection = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.LineString([(2, 2), (3, 3)])])
    frame = gpd.GeoDataFrame(
        {"n": ["gc", "pt", "ok"]}, crs=4490, geometry=[collection, shapely.Point(5, 5), shapely.box(0, 0, 2, 2)]
    )
    write(frame, tmp_path / "belt.geojson")
    catalog = load_catalog(
        write_catalog(
            tmp_path,
            [{"id": "belt", "kind": "riverside_belt", "path": "belt.geojson"}],
            coverage=None,
            sanitary_distances=None,
        )
    )
    belt = catalog.layers["belt"]
    assert belt.frame["n"].tolist() == ["gc", "ok"] and belt.report.wrong_type == 1
    assert belt.frame.geometry.iloc[0].area == pytest.approx(1.0)  # the polygon of the collection survives
    assert any("1 features have no polygon part" in p for p in catalog.problems)
    assert "1 non-polygonal dropped" in catalog.check_text()


def test_layer_outside_the_coverage_is_a_problem(tmp_path):
    layers = build_pack(tmp_path)
    write(
        gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.box(116.4, 39.9, 116.5, 40.0)], crs=4490), tmp_path / "far.gpkg"
    )
    layers.append({"id": "far", "kind": "riverside_belt", "path": "far.gpkg"})
    catalog = load_catalog(write_catalog(tmp_path, layers))
    assert any(
        "layer 'far' (far.gpkg) lies entirely outside the coverage area" in p and "check its CRS" in p
        for p in catalog.problems
    )
    assert not any("'marine'" in p for p in catalog.problems)  # offshore marine zones are expected


def test_projected_data_declared_lonlat_is_an_error(tmp_path):
    layers = build_pack(tmp_path)
    layers[2]["crs"] = "gcj02"  # water_source.shp is really EPSG:4549
    with pytest.raises(
        ConfigError,
        match=r"layer 'water_source' \(water_source.shp\): coordinates reach "
        r"\(581257, 3543285\).*set 'crs: EPSG:4549'",
    ):
        load_catalog(write_catalog(tmp_path, layers))


def test_shapefile_without_cpg_or_encoding_warns_how_to_fix(tmp_path):
    write(
        gpd.GeoDataFrame({"NAME": ["长江狼山"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4490),
        tmp_path / "b.shp",
        encoding="GBK",
    )
    (tmp_path / "b.cpg").unlink()
    catalog = load_catalog(
        write_catalog(
            tmp_path, [{"id": "b", "kind": "riverside_belt", "path": "b.shp"}], coverage=None, sanitary_distances=None
        )
    )
    assert any("add 'encoding: GBK'" in p and "长江狼山" in p for p in catalog.problems)


# --------------------------------------------------------------------------- errors


def broken(tmp_path: Path, mutate) -> Path:
    layers = build_pack(tmp_path)
    top: dict = {}
    mutate(layers, top)
    return write_catalog(tmp_path, layers, **top)


@pytest.mark.parametrize(
    "mutate, match",
    [
        (
            lambda layers, t: layers[2].update(feilds=layers[2].pop("fields")),
            r"unknown key 'feilds' in layers\[2\]; did you mean 'fields'",
        ),
        (
            lambda layers, t: layers[1].update(kind="ecological_redlin"),
            r"layers\[1\]\.kind: unknown kind 'ecological_redlin'; allowed kinds: admin_boundary.*did you mean 'ecological_redline'",
        ),
        (
            lambda layers, t: layers[1]["fields"].update(levle="x"),
            r"unknown key 'levle' in layers\[1\]\.fields; did you mean 'level'",
        ),
        (
            lambda layers, t: layers[3].update(crs="EPSG:999999"),
            r"layers\[3\]\.crs: 'EPSG:999999' is not a coordinate system.*EPSG:4549",
        ),
        (
            lambda layers, t: layers[4].update(id="counties"),
            r"duplicate layer id 'counties' \(also layers\[0\]\); give every layer its own id",
        ),
        (
            lambda layers, t: t.update(coverage="countys"),
            r"coverage: 'countys' names no layer.*did you mean 'counties'",
        ),
        (lambda layers, t: t.update(coverage="sensitive"), r"coverage needs a polygon layer"),
        (
            lambda layers, t: layers[2].update(zone_values={"A": "fisrt"}),
            r"zone_values\.A: 'fisrt' is not a zone.*did you mean 'first'",
        ),
        (
            lambda layers, t: layers[0].update(zone_values={"A": "first"}),
            r"kind 'admin_boundary' has no zones.*remove it",
        ),
        (lambda layers, t: layers[6].pop("classes"), r"add 'classes: \{1: M1, 2: M2, \.\.\.\}'"),
        (lambda layers, t: layers[6].update(industrial_classes=["M4"]), r"\['M4'\] not among the classes values"),
        (lambda layers, t: layers[6].update(fields={"class": "x"}), r"a raster has no attribute columns"),
        (lambda layers, t: layers[1].update(path="landuse.tif"), r"only kind 'land_use_plan' may be a raster"),
        (lambda layers, t: layers[1].update(encoding="GBK"), r"encoding: applies to shapefiles.*remove it"),
        (lambda layers, t: layers[1].update(encoding="GBKK"), r"unknown text encoding 'GBKK'"),
        (
            lambda layers, t: layers.append({"id": "lu", "kind": "land_use_plan", "path": "eco_redline.gpkg"}),
            r"add 'fields: \{class: <column",
        ),
        (lambda layers, t: layers[0].update(id="县 区"), r"layers\[0\]\.id: layer id '县 区' may hold only"),
        (
            lambda layers, t: layers[0].pop("path"),
            r"line 4: layers\[0\]\.path: required key missing; add 'path: \.\.\.'",
        ),
    ],
)
def test_catalog_model_errors_name_the_field_and_the_fix(tmp_path, mutate, match):
    with pytest.raises(ConfigError, match=match) as info:
        load_catalog(broken(tmp_path, mutate))
    assert str(tmp_path) in str(info.value) and re.search(r"line \d+: ", str(info.value))


@pytest.mark.parametrize(
    "mutate, match",
    [
        (
            lambda layers, t: layers[1].update(path="eco_redlin.gpkg"),
            r"layer 'eco' \(eco_redlin.gpkg\): file not found: .*eco_redlin.gpkg \(did you mean 'eco_redline.gpkg'\?\); fix 'path'",
        ),
        (
            lambda layers, t: layers[2]["fields"].update(zone="级"),
            r"fields.zone: column '级' not in the file.*the file has columns \['水源地', '级别'\]",
        ),
        (lambda layers, t: layers[0].pop("layer"), r"holds 2 layers \['counties', 'towns'\]; add 'layer: counties'"),
        (lambda layers, t: layers[0].update(layer="county"), r"no layer 'county' in the file.*did you mean 'counties'"),
        (lambda layers, t: layers[1].update(path="table.gpkg", fields={}), r"the file has no geometry column"),
        (
            lambda layers, t: layers[1].update(path="check.gpkg", fields={}),
            r"kind ecological_redline needs polygons but the file holds Point",
        ),
        (
            lambda layers, t: layers[6].update(path="broken.tif"),
            r"layer 'landuse' \(broken.tif\): cannot be read as a raster",
        ),
        (lambda layers, t: t.update(sanitary_distances="dist.csv"), r"sanitary_distances: file not found"),
    ],
)
def test_file_errors_name_the_layer_and_the_fix(tmp_path, mutate, match):
    with pytest.raises(ConfigError, match=match):
        load_catalog(broken(tmp_path, mutate))


def test_missing_crs_suggests_one_from_the_coordinates(tmp_path):
    layers = build_pack(tmp_path)
    (tmp_path / "water_source.prj").unlink()
    x, y = CHECK_4549
    with rasterio.open(
        tmp_path / "landuse.tif",
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="uint8",
        transform=Affine(100, 0, x, 0, -100, y),
    ) as ds:
        ds.write(np.ones((1, 2, 2), dtype="uint8"))
    with pytest.raises(ConfigError) as info:
        load_catalog(write_catalog(tmp_path, layers))
    message = str(info.value)
    assert "2 problems" in message  # collected, raised once
    assert "layer 'water_source' (water_source.shp) has no CRS; add 'crs: EPSG:4549' to its catalog entry" in message
    assert "layer 'landuse' (landuse.tif) has no CRS; add 'crs: EPSG:4549'" in message
    layers[2]["crs"] = layers[6]["crs"] = "EPSG:4549"
    assert load_catalog(write_catalog(tmp_path, layers)).layers["water_source"].report.crs_from == "catalog"


def test_every_problem_is_collected_into_one_error(tmp_path):
    def mutate(layers, top):
        layers[1]["feilds"] = layers[1].pop("fields")
        layers[2]["kind"] = "water"
        top["coverage"] = "nowhere"

    with pytest.raises(ConfigError, match=r"\(3 problems\)") as info:
        load_catalog(broken(tmp_path, mutate))
    assert "feilds" in str(info.value) and "'water'" in str(info.value) and "'nowhere'" in str(info.value)


@pytest.mark.parametrize(
    "text, match",
    [
        ("name: x\nlayers:\n  - id: a\n   kind: riverside_belt\n", r"line 4, column 4: not valid YAML"),
        (
            "name: x\nlayers: [{id: a, kind: riverside_belt, path: a.gpkg}]\nname: y\n",
            r"line 3: duplicate key 'name' in the top level",
        ),
        ("- just\n- a list\n", r"expected a mapping with 'name:' and 'layers:'"),
        ("name: x\nlayers: []\n", r"layers: list should have at least 1 item"),
    ],
)
def test_yaml_level_errors(text, match):
    with pytest.raises(ConfigError, match=match):
        catalog_spec_from_text(text, source="pack/catalog.yaml")


def test_missing_catalog_and_bad_sanitary_rows(tmp_path):
    with pytest.raises(ConfigError, match=r"no layer catalog at .*catalog.yaml; pass a layer-pack folder"):
        load_catalog(tmp_path)
    layers = build_pack(tmp_path)
    (tmp_path / "distances.csv").write_text("industry,distance_m\n水泥,500\n水泥,600\n石灰,-1\n,20\n", "utf-8")
    with pytest.raises(ConfigError) as info:
        load_catalog(write_catalog(tmp_path, layers))
    message = str(info.value)
    assert "line 4: distance_m '-1'" in message and "line 5: industry is empty" in message
    assert "line 2: industry '水泥' appears more than once" in message
    (tmp_path / "distances.csv").write_text("行业,距离\n水泥,500\n", "utf-8")
    with pytest.raises(
        ConfigError, match=r"missing column\(s\) \['industry', 'distance_m'\]; it has \['行业', '距离'\]"
    ):
        load_catalog(write_catalog(tmp_path, layers))


def test_misdecoded_column_names_get_an_encoding_hint(tmp_path):
    layers = build_pack(tmp_path)
    del layers[3]["encoding"]
    layers[3]["fields"] = {"name": "名称"}
    frame = gpd.read_file(tmp_path / "marine.shp", engine="pyogrio", encoding="GBK").rename(columns={"NAME": "名称"})
    write(frame, tmp_path / "marine.shp", encoding="GBK")
    os.remove(tmp_path / "marine.cpg")
    with pytest.raises(ConfigError, match=r"reads as '名称' in GBK: add 'encoding: GBK'"):
        load_catalog(write_catalog(tmp_path, layers))
