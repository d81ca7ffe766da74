"""Spatial standards 3, 4, 5 and 9 on the hand-placed tiny pack (see conftest for the layout in metres)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import ORIGIN, PLACES, TO_LONLAT, lonlat, metric_box, registry_frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod

import geo_screen as gs
from geo_screen import results as R
from geo_screen.inputs.crs import metric_crs
from geo_screen.pack.catalog import load_catalog


@pytest.fixture(scope="module")
def catalog(tiny_pack):
    return load_catalog(tiny_pack)


def run(catalog, frame: pd.DataFrame, tmp_path, *, crs="EPSG:4326", name="reg.csv", rules=None):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return gs.screen(path, catalog, crs=crs, rules=rules)


@pytest.fixture(scope="module")
def result(catalog, tmp_path_factory):
    return run(catalog, registry_frame(), tmp_path_factory.mktemp("screen"))


@pytest.fixture(scope="module")
def by_name(result):
    return result.enterprises.set_index("企业名称")


EXPECTED = {
    # name: (std_03, std_04, std_05, std_09)
    "clear": ("clear", "clear", "clear", "clear"),
    "eco_inside": ("hit", "clear", "not_assessed", "clear"),
    "eco_hole": ("clear", "clear", "not_assessed", "clear"),
    "eco_in_30m": ("hit", "clear", "not_assessed", "clear"),
    "eco_out_30m": ("clear", "clear", "not_assessed", "clear"),
    "bowtie_left": ("hit", "clear", "not_assessed", "clear"),
    "bowtie_right": ("hit", "clear", "not_assessed", "clear"),
    "water_first": ("clear", "hit", "clear", "clear"),
    "water_second": ("clear", "hit", "clear", "clear"),
    "water_quasi": ("clear", "clear", "clear", "clear"),  # a quasi zone is outside the protection zone (art. 63)
    "belt": ("clear", "clear", "not_assessed", "hit"),
    "sanitary_hit": ("clear", "clear", "hit", "clear"),
    "sanitary_clear": ("clear", "clear", "clear", "clear"),
    "eia_hit": ("clear", "clear", "hit", "clear"),
    "no_distance": ("clear", "clear", "not_assessed", "clear"),
    "residential_land": ("hit", "clear", "not_assessed", "clear"),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_spatial_standards(by_name, name):
    row = by_name.loc[name]
    assert (row["std_03"], row["std_04"], row["std_05"], row["std_09"]) == EXPECTED[name]


def test_every_row_once_in_input_order(result):
    e = result.enterprises
    assert list(e["企业名称"]) == [p[0] for p in PLACES]
    assert list(e[R.INPUT_ROW]) == list(range(1, len(PLACES) + 1))
    for col in R.STD_COLUMNS:
        assert e[col].isin(R.STANDARD_VALUES).all(), col


@pytest.mark.parametrize(
    "name, margin",
    [
        ("eco_inside", 100.0),  # 100 m inside the outer edge (the hole edge is 200 m away)
        ("eco_hole", -200.0),  # in the hole: outside, 200 m from the hole's edge
        ("eco_in_30m", 30.0),
        ("eco_out_30m", -30.0),
        ("bowtie_left", 200.0),  # make_valid keeps both lobes of the self-intersecting zone
        ("bowtie_right", 200.0),
    ],
)
def test_redline_margins(by_name, name, margin):
    assert by_name.loc[name, "margin_03_m"] == pytest.approx(margin, abs=0.05)


def test_near_edge_band(by_name):
    assert "near_edge:3" in by_name.loc["eco_in_30m", R.ISSUES]
    assert "near_edge:3" in by_name.loc["eco_out_30m", R.ISSUES]
    assert "near_edge:3" not in (by_name.loc["eco_inside", R.ISSUES] or "")


def test_redline_evidence(result):
    hits = result.hits[result.hits["standard"] == "3"]
    park = hits[hits["feature_name"] == "甲森林公园"]
    assert set(park["zone"]) == {"first"}
    assert set(park["zone_label"]) == {"一级管控区"}
    assert set(park["category"]) == {"森林公园"}
    assert set(hits[hits["feature_name"] == "乙湿地"]["zone"]) == {"second"}


def test_water_zone_classes_refine_disposition(result, by_name):
    hits = result.hits[result.hits["standard"] == "4"].set_index(R.INPUT_ROW)
    rows = {n: int(by_name.loc[n, R.INPUT_ROW]) for n in ("water_first", "water_second", "water_quasi")}
    assert hits.loc[rows["water_first"], "zone"] == "first"
    assert hits.loc[rows["water_second"], "zone"] == "second"
    assert hits.loc[rows["water_quasi"], "zone"] == "quasi"
    assert hits.loc[rows["water_first"], R.DISPOSITION] == "close"
    assert hits.loc[rows["water_second"], R.DISPOSITION] == "close"
    assert hits.loc[rows["water_quasi"], R.DISPOSITION] == "none"  # evidence only
    assert "第六十五条" in hits.loc[rows["water_first"], R.LEGAL_BASIS]
    assert "第六十七条" in hits.loc[rows["water_quasi"], R.LEGAL_BASIS]
    assert by_name.loc["water_first", R.DISPOSITION] == "close"
    assert by_name.loc["water_second", "margin_04_m"] == pytest.approx(100.0, abs=0.05)


def test_riverside_belt_from_gcj02_layer(by_name):
    # The belt file holds GCJ-02 coordinates; converted back it sits at y in [-5000, -4000] again.
    assert by_name.loc["belt", "margin_09_m"] == pytest.approx(500.0, abs=0.5)
    assert by_name.loc["belt", R.DISPOSITION] == "relocate"


def test_sanitary_distance_semantics(result, by_name):
    assert by_name.loc["sanitary_hit", R.SANITARY_REQUIRED] == 500
    assert by_name.loc["sanitary_hit", R.NEAREST_SENSITIVE_M] == pytest.approx(450.0, abs=0.05)
    assert by_name.loc["sanitary_hit", R.NEAREST_SENSITIVE_NAME] == "甲小学"
    assert by_name.loc["sanitary_clear", R.NEAREST_SENSITIVE_M] == pytest.approx(550.0, abs=0.05)
    # the enterprise's EIA distance overrides the (missing) industry value
    assert by_name.loc["eia_hit", R.SANITARY_REQUIRED] == 100
    assert pd.isna(by_name.loc["no_distance", R.SANITARY_REQUIRED])
    ev = result.hits[(result.hits["standard"] == "5")]
    row = ev[ev[R.INPUT_ROW] == by_name.loc["sanitary_hit", R.INPUT_ROW]].iloc[0]
    assert (row["feature_name"], row["category"]) == ("甲小学", "学校")
    assert row["distance_m"] == pytest.approx(450, abs=0.05)
    assert row["required_m"] == 500
    assert row["margin_m"] == pytest.approx(50, abs=0.05)


def test_landuse_evidence(result, by_name):
    assert by_name.loc["residential_land", R.LANDUSE_CLASS] == "R"
    assert by_name.loc["clear", R.LANDUSE_CLASS] == "M2"
    ev = result.hits[(result.hits["standard"] == "3") & (result.hits["layer_id"] == "landuse")]
    assert list(ev[R.INPUT_ROW]) == [int(by_name.loc["residential_land", R.INPUT_ROW])]


def test_county_from_admin_layer(by_name):
    assert by_name.loc["clear", R.COUNTY] == "崇川区"
    assert by_name.loc["clear", R.COUNTY_CODE] == "320613"
    assert by_name.loc["water_first", R.COUNTY] == "通州区"


def test_distances_match_geodesic(by_name):
    """Metric distances within 0.1 % of the geodesic distance on the CGCS2000 ellipsoid."""
    geod = Geod(ellps="GRS80")
    school = lonlat(-1000, -1000)
    for name, (dx, dy) in {
        "sanitary_hit": (-1000, -1450),
        "sanitary_clear": (-1000, -1550),
        "eia_hit": (-1000, -1080),
    }.items():
        here = lonlat(dx, dy)
        _, _, geodesic = geod.inv(*school, *here)
        assert by_name.loc[name, R.NEAREST_SENSITIVE_M] == pytest.approx(geodesic, rel=1e-3)


def test_gcj02_registry_gives_identical_flags(catalog, result, tmp_path):
    shifted = run(catalog, registry_frame(offset="gcj02"), tmp_path, crs="gcj02")
    cols = [*R.STD_COLUMNS, R.DISPOSITION, R.STANDARDS_HIT]
    pd.testing.assert_frame_equal(shifted.enterprises[cols], result.enterprises[cols])
    for col in R.MARGIN_COLUMNS + (R.NEAREST_SENSITIVE_M,):
        np.testing.assert_allclose(shifted.enterprises[col], result.enterprises[col], atol=0.02, equal_nan=True)


def test_projected_registry_gives_identical_flags(catalog, result, tmp_path):
    frame = registry_frame()
    x = [ORIGIN[0] + dx for _, dx, _, _, _ in PLACES]
    y = [ORIGIN[1] + dy for _, _, dy, _, _ in PLACES]
    frame = frame.drop(columns=["经度", "纬度"]).assign(X坐标=x, Y坐标=y)
    projected = run(catalog, frame, tmp_path, crs="EPSG:4549")
    cols = [*R.STD_COLUMNS, R.DISPOSITION]
    pd.testing.assert_frame_equal(projected.enterprises[cols], result.enterprises[cols])


def test_bad_rows_are_kept_and_not_assessed(catalog, tmp_path):
    frame = registry_frame()
    bad = frame.iloc[:3].copy()
    bad.loc[:, "企业名称"] = ["no_coords", "text_coords", "far_away"]
    bad.iloc[0, bad.columns.get_loc("经度")] = np.nan
    bad["经度"] = bad["经度"].astype(object)
    bad.iloc[1, bad.columns.get_loc("经度")] = "东经120度"
    far = lonlat(20000, 0)
    bad.iloc[2, bad.columns.get_loc("经度")] = far[0]
    bad.iloc[2, bad.columns.get_loc("纬度")] = far[1]
    frame = pd.concat([bad, frame], ignore_index=True)
    res = run(catalog, frame, tmp_path)
    e = res.enterprises
    assert len(e) == len(frame)
    assert list(e[R.ROW_STATUS][:3]) == [R.STATUS_INVALID, R.STATUS_INVALID, R.STATUS_OUT]
    for col in ("std_03", "std_04", "std_05", "std_09"):
        assert (e[col][:3] == R.NOT_ASSESSED).all()
    # attribute standards are still assessed from the registry
    assert (e["std_07"][:3] == R.CLEAR).all()
    assert (e[R.DISPOSITION][:3] == R.NOT_ASSESSED_DISPOSITION).all()
    assert (res.hits[R.INPUT_ROW] > 3).all()


def test_footprints(catalog, tmp_path):
    """Site polygons: a footprint reaching into a zone is a hit even when its centroid is outside."""
    to_ll = lambda g: shapely.transform(g, lambda c: np.column_stack(TO_LONLAT.transform(c[:, 0], c[:, 1])))  # noqa: E731
    sites = [
        ("reaches_park", metric_box(-3300, 1400, -2950, 1600)),  # centroid 125 m outside, 50 m inside
        ("beside_park", metric_box(-3300, 1400, -3050, 1600)),  # 50 m short of the park
        ("near_school", metric_box(-1000, -1700, -900, -1450)),  # boundary 450 m from the school
        ("half_residential", metric_box(-1100, 3000, -900, 3200)),
    ]
    frame = gpd.GeoDataFrame(
        {"企业名称": [s[0] for s in sites], "行业": ["水泥"] * 4, "统一社会信用代码": ["91110000600037341L"] * 4},
        geometry=[to_ll(s[1]) for s in sites],
        crs="EPSG:4490",
    )
    path = tmp_path / "sites.gpkg"
    frame.to_file(path, engine="pyogrio")
    e = gs.screen(path, catalog).enterprises.set_index("企业名称")
    assert e.loc["reaches_park", "std_03"] == R.HIT
    assert e.loc["reaches_park", "margin_03_m"] == pytest.approx(50, abs=0.5)
    assert e.loc["beside_park", "margin_03_m"] == pytest.approx(-50, abs=0.5)
    assert e.loc["near_school", R.NEAREST_SENSITIVE_M] == pytest.approx(450, abs=0.5)
    assert e.loc["near_school", "std_05"] == R.HIT
    assert e.loc["half_residential", R.NONINDUSTRIAL_SHARE] == pytest.approx(0.5, abs=0.01)
    assert e.loc["half_residential", "std_03"] == R.HIT
    assert e.loc["beside_park", R.NONINDUSTRIAL_SHARE] == 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(len(PLACES))))
def test_row_order_does_not_matter(catalog, result, tmp_path, order):
    shuffled = registry_frame().iloc[list(order)].reset_index(drop=True)
    res = run(catalog, shuffled, tmp_path)
    left = res.enterprises.set_index("企业名称").sort_index()
    right = result.enterprises.set_index("企业名称").sort_index()
    cols = [*R.STD_COLUMNS, R.DISPOSITION, *R.MARGIN_COLUMNS]
    pd.testing.assert_frame_equal(left[cols], right[cols])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=st.floats(min_value=0, max_value=3000))
def test_larger_distances_never_remove_hits(catalog, result, tmp_path, extra):
    frame = registry_frame()
    eia = pd.to_numeric(frame["卫生防护距离"], errors="coerce")
    frame["卫生防护距离"] = np.where(eia.notna(), eia + extra, 500 + extra)
    wider = run(catalog, frame, tmp_path).enterprises
    base = frame.assign(卫生防护距离=np.where(eia.notna(), eia, 500))
    narrow = run(catalog, base, tmp_path, name="narrow.csv").enterprises
    assert ((narrow["std_05"] != R.HIT) | (wider["std_05"] == R.HIT)).all()


def test_metric_crs_far_from_nantong_is_local_tm():
    crs = metric_crs((100.0, 40.0, 112.0, 42.0))
    assert crs.to_epsg() is None
    assert crs.coordinate_operation.method_name == "Transverse Mercator"


def test_standard_3_with_only_a_red_line_layer(tiny_pack, tmp_path):
    """A pack without a land-use plan still clears standard 3 on the red line; the manifest says what was missing."""
    import yaml

    spec = yaml.safe_load(tiny_pack.read_text("utf-8"))
    spec["layers"] = [entry for entry in spec["layers"] if entry["kind"] != "land_use_plan"]
    for entry in spec["layers"]:
        entry["path"] = str(tiny_pack.parent / entry["path"])
    spec["sanitary_distances"] = str(tiny_pack.parent / spec["sanitary_distances"])
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    res = run(load_catalog(path), registry_frame(), tmp_path)
    e = res.enterprises.set_index("企业名称")
    assert e.loc["eco_inside", "std_03"] == R.HIT
    assert e.loc["eco_out_30m", "std_03"] == R.CLEAR
    assert e.loc["residential_land", "std_03"] == R.CLEAR  # no plan to say otherwise
    assert res.manifest["layers_used"]["3"]["missing_kinds"] == ["marine_redline", "land_use_plan"]


def test_standard_3_halves_combine():
    from geo_screen.screening.spatial import _standard_3

    red = (np.array([False, False, True, False]), None, np.zeros(4, dtype=bool))
    landuse = np.array([None, False, None, True], dtype=object)  # None: the plan has no data there
    assert list(_standard_3(red, landuse, 4)) == [None, False, True, True]
    assert list(_standard_3(None, landuse, 4)) == [None, False, None, True]
    assert list(_standard_3(red, None, 4)) == [False, False, True, False]
    assert _standard_3(None, None, 4) is None


def test_concurrent_checks_give_the_same_result(catalog, result, tmp_path, monkeypatch):
    """The spatial checks run in worker threads on large registries: the result must not depend on it."""
    import geo_screen.screening.spatial as spatial

    big = pd.concat([registry_frame()] * 6, ignore_index=True)  # repeated rows: evidence ties across checks
    single = run(catalog, big, tmp_path, name="one.csv")
    monkeypatch.setattr(spatial, "_threads", lambda rows: 4)
    threaded = run(catalog, big, tmp_path, name="many.csv")
    pd.testing.assert_frame_equal(threaded.enterprises, single.enterprises)
    pd.testing.assert_frame_equal(threaded.hits, single.hits)
    assert threaded.enterprises[R.ISSUES].str.contains("near_edge").any()


@pytest.mark.parametrize("threads", [1, 4])
def test_progress_is_reported_from_the_calling_thread(catalog, tmp_path, monkeypatch, threads):
    """UIs such as Streamlit accept calls only from their own thread: the checks' messages are relayed."""
    import threading

    import geo_screen.screening.spatial as spatial

    monkeypatch.setattr(spatial, "_threads", lambda rows: threads)
    path = tmp_path / "reg.csv"
    registry_frame().to_csv(path, index=False)
    calls = []
    gs.screen(path, catalog, progress=lambda message: calls.append((threading.get_ident(), message)))
    assert {ident for ident, _ in calls} == {threading.get_ident()}
    expected = "standard 5:" if threads == 1 else "standards 3, 4, 5 and 9: 6 checks side by side in 4 threads"
    assert any(message.startswith(expected) for _, message in calls)


def test_non_industrial_point_near_industrial_land_is_flagged_near_edge(catalog, tmp_path):
    """A geocoded point 30 m inside non-industrial land, next to industrial land, is still a hit but gets near_edge
    (the pack's land-use plan: R in [-1000, 0] x [3000, 4000], M2 around)."""
    places = [("edge_of_r", -30, 3500, "化工", None), ("middle_of_r", -500, 3500, "化工", None)]
    e = run(catalog, registry_frame(places), tmp_path).enterprises.set_index("企业名称")
    assert e.loc["edge_of_r", "std_03"] == R.HIT and e.loc["middle_of_r", "std_03"] == R.HIT
    assert any(t.startswith("near_edge:3(landuse") for t in e.loc["edge_of_r", R.ISSUES].split(";"))
    assert "near_edge" not in (e.loc["middle_of_r", R.ISSUES] or "")


def test_industrial_within_on_a_polygon_plan():
    from types import SimpleNamespace

    from geo_screen.pack.landuse import industrial_within

    zones = np.array([shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)])
    layer = SimpleNamespace(raster=None, frame=pd.DataFrame({"class": ["M1", "R"]}), industrial_classes=("M1",))
    points = shapely.points([130, 170, 50], [50, 50, 50])
    assert industrial_within(layer, points, 50.0, None, zones).tolist() == [True, False, True]


def test_industrial_within_on_a_raster_plan_reads_the_class_around_each_point(catalog):
    """The raster plan (R in [-1000, 0] x [3000, 4000], M2 around, nothing beyond +-5000) is read at 16 places
    around each point, as the share of industrial land a site at each of those places would have."""
    from pyproj import CRS

    from geo_screen.pack.landuse import industrial_within, sample_landuse_raster

    layer = catalog.of_kind("land_use_plan")[0]
    metric = CRS.from_epsg(4549)
    x = ORIGIN[0] + np.array([-30.0, -500.0, -970.0, -6000.0, -500.0])
    y = ORIGIN[1] + np.array([3500.0, 3500.0, 3030.0, 3500.0, 3970.0])
    points = shapely.points(x, y)
    found = industrial_within(layer, points, 50.0, metric)
    assert found.tolist() == [True, False, True, False, True]
    rng = np.random.default_rng(17)
    grid = shapely.points(ORIGIN[0] + rng.uniform(-1200, 200, 300), ORIGIN[1] + rng.uniform(2800, 4200, 300))
    angles = np.arange(8) * np.pi / 4
    dx = np.concatenate([np.cos(angles) * 80.0, np.cos(angles) * 40.0])
    dy = np.concatenate([np.sin(angles) * 80.0, np.sin(angles) * 40.0])
    gx, gy = shapely.get_x(grid), shapely.get_y(grid)
    sites = shapely.points((gx[:, None] + dx).ravel(), (gy[:, None] + dy).ravel())
    industrial_share_zero = sample_landuse_raster(layer, sites, metric).share.reshape(len(grid), 16) == 0
    assert industrial_within(layer, grid, 80.0, metric).tolist() == industrial_share_zero.any(axis=1).tolist()


def test_memory_freed_by_the_spatial_checks_goes_back_before_the_attribute_standards(catalog, tmp_path, monkeypatch):
    """Arrow's allocator cannot reuse what glibc keeps: the checks' freed memory is handed back first."""
    import geo_screen.screening.screen as screening

    screening.return_freed_memory()  # wherever the C library has no malloc_trim, it does nothing
    calls = []
    monkeypatch.setattr(screening, "return_freed_memory", lambda: calls.append("returned"))
    path = tmp_path / "reg.csv"
    registry_frame().to_csv(path, index=False)
    gs.screen(path, catalog, progress=calls.append)
    attributes = next(i for i, message in enumerate(calls) if message.startswith("standards 1, 2, 6"))
    assert calls.index("returned") == attributes - 1
