"""Tests for geo_screen.inputs.crs: CRS parsing, GCJ-02/BD-09 offsets, metric CRS choice."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Geod, Transformer

from geo_screen.errors import CRSError, InputDataError
from geo_screen.inputs import crs as gcrs

GEOD = Geod(ellps="GRS80")
# published pairs (domain.md)
WGS_SH, GCJ_SH = (121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)
WGS_BJ, GCJ_BJ, BD_BJ = (116.481499, 39.990475), (116.487586, 39.991754), (116.49412, 39.997716)
NANTONG_BOUNDS = (120.2, 31.6, 121.9, 32.7)


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


# --------------------------------------------------------------------------- published pairs


@pytest.mark.parametrize(("wgs", "gcj"), [(WGS_SH, GCJ_SH), (WGS_BJ, GCJ_BJ)])
def test_wgs_to_gcj_matches_published_pairs(wgs, gcj):
    lon, lat = gcrs.wgs84_to_gcj02(*wgs)
    assert lon == pytest.approx(gcj[0], abs=1e-6)
    assert lat == pytest.approx(gcj[1], abs=1e-6)


def test_gcj_to_bd_matches_published_pair():
    lon, lat = gcrs.gcj02_to_bd09(*GCJ_BJ)
    assert lon == pytest.approx(BD_BJ[0], abs=1e-6)
    assert lat == pytest.approx(BD_BJ[1], abs=1e-6)
    lon, lat = gcrs.wgs84_to_bd09(*WGS_BJ)
    assert metres(lon, lat, *BD_BJ) < 1.0


@pytest.mark.parametrize(
    ("inverse", "given_", "truth"),
    [
        (gcrs.gcj02_to_wgs84, GCJ_SH, WGS_SH),
        (gcrs.gcj02_to_wgs84, GCJ_BJ, WGS_BJ),
        (gcrs.bd09_to_gcj02, BD_BJ, GCJ_BJ),
        (gcrs.bd09_to_wgs84, BD_BJ, WGS_BJ),
    ],
)
def test_inverse_lands_within_1m_of_published_truth(inverse, given_, truth):
    lon, lat = inverse(*given_)
    assert metres(lon, lat, *truth) < 1.0


def test_offsets_near_nantong_have_the_documented_size():
    lon, lat = np.array([120.86]), np.array([32.01])
    gcj = metres(lon, lat, *gcrs.wgs84_to_gcj02(lon, lat))
    bd = metres(lon, lat, *gcrs.wgs84_to_bd09(lon, lat))
    assert 400 < gcj[0] < 600
    assert 900 < bd[0] < 1300


# --------------------------------------------------------------------------- properties

china_box = st.tuples(st.floats(73.0, 135.0), st.floats(18.0, 53.0))
nantong_box = st.tuples(st.floats(*NANTONG_BOUNDS[::2]), st.floats(*NANTONG_BOUNDS[1::2]))


@settings(max_examples=200, deadline=None)
@given(st.one_of(nantong_box, china_box))
def test_round_trip_within_1cm(point):
    lon, lat = point
    back_gcj = gcrs.gcj02_to_wgs84(*gcrs.wgs84_to_gcj02(lon, lat))
    back_bd = gcrs.bd09_to_wgs84(*gcrs.wgs84_to_bd09(lon, lat))
    assert metres(lon, lat, *back_gcj) < 0.01
    assert metres(lon, lat, *back_bd) < 0.01


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.tuples(st.floats(-180, 70), st.floats(-85, 85)),  # west of China
        st.tuples(st.floats(140, 180), st.floats(-85, 85)),  # east of China
        st.tuples(st.floats(-180, 180), st.floats(56, 85)),
    )
)  # north of China
def test_gcj_is_identity_outside_china(point):
    lon, lat = gcrs.wgs84_to_gcj02(*point)
    assert (lon, lat) == point
    assert gcrs.gcj02_to_wgs84(*point) == point


def test_to_lonlat_keeps_nan_quietly():
    for offset in gcrs.OFFSETS:
        lon, lat = gcrs.to_lonlat([np.nan, 120.86], [32.0, np.nan], offset)
        assert np.isnan(lon[0]) and np.isnan(lat[1])


@pytest.mark.parametrize("offset", gcrs.OFFSETS)
def test_to_lonlat_keeps_infinite_values_without_warning(offset):
    lon, lat = gcrs.to_lonlat([np.inf, 120.86], [32.0, 32.0], offset)
    assert np.isinf(lon[0]) and np.isfinite(lon[1])


# --------------------------------------------------------------------------- parse_crs


@pytest.mark.parametrize(
    ("value", "offset"),
    [
        ("gcj02", "gcj02"),
        ("GCJ-02", "gcj02"),
        ("amap", "gcj02"),
        ("火星坐标", "gcj02"),
        ("bd09", "bd09"),
        ("BD-09", "bd09"),
        ("baidu", "bd09"),
        ("bd09ll", "bd09"),
    ],
)
def test_parse_crs_offsets(value, offset):
    parsed = gcrs.parse_crs(value)
    assert parsed.offset == offset
    assert parsed.crs.to_epsg() == 4326
    assert parsed.is_geographic and parsed.label == offset


@pytest.mark.parametrize(
    ("value", "epsg"),
    [("EPSG:4326", 4326), ("EPSG:4490", 4490), (4549, 4549), ("epsg:4528", 4528), (CRS.from_epsg(4549), 4549)],
)
def test_parse_crs_epsg(value, epsg):
    parsed = gcrs.parse_crs(value)
    assert parsed.offset is None
    assert parsed.crs.to_epsg() == epsg
    assert parsed.label == f"EPSG:{epsg}"


def test_parse_crs_passes_input_crs_through():
    given_ = gcrs.parse_crs("bd09")
    assert gcrs.parse_crs(given_) is given_


@pytest.mark.parametrize("value", ["nonsense", "EPSG:999999", "", None, 3.5])
def test_parse_crs_rejects_nonsense_and_names_the_fix(value):
    with pytest.raises(CRSError, match="gcj02") as info:
        gcrs.parse_crs(value, where="catalog.yaml: layers[0].crs")
    assert "catalog.yaml: layers[0].crs" in str(info.value)
    assert isinstance(info.value, InputDataError)


# --------------------------------------------------------------------------- metric CRS and distances


def test_metric_crs_for_nantong_is_4549():
    assert gcrs.metric_crs(NANTONG_BOUNDS).to_epsg() == 4549


def test_check_point_in_4549():
    tr = gcrs.lonlat_transformer(CRS.from_epsg(4549))
    x, y = tr.transform(120.86, 32.01)
    assert x == pytest.approx(581256.63, abs=0.01)
    assert y == pytest.approx(3543284.57, abs=0.01)


def test_metric_crs_rejects_non_finite_bounds():
    with pytest.raises(CRSError, match="no finite coordinates"):
        gcrs.metric_crs((np.nan, 31.0, 121.0, 32.0))


def _distance_errors(bounds, n=40, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = bounds
    lon = rng.uniform(minx, maxx, (n, 2))
    lat = rng.uniform(miny, maxy, (n, 2))
    tr = gcrs.lonlat_transformer(gcrs.metric_crs(bounds))
    x, y = tr.transform(lon, lat)
    planar = np.hypot(x[:, 0] - x[:, 1], y[:, 0] - y[:, 1])
    geodesic = metres(lon[:, 0], lat[:, 0], lon[:, 1], lat[:, 1])
    return np.abs(planar - geodesic) / geodesic


def test_distances_across_nantong_within_0_1_percent():
    assert _distance_errors(NANTONG_BOUNDS).max() < 0.001


@pytest.mark.parametrize(
    "bounds",
    [
        (101.0, 30.0, 105.0, 34.0),  # straddles two GK zones: falls back to a TM on the data's centre
        (8.0, 47.0, 10.0, 49.0),  # outside China's GK zones
        (-75.0, 40.0, -73.0, 42.0),  # western hemisphere
    ],
)
def test_distances_far_from_any_zone_centre_within_0_1_percent(bounds):
    chosen = gcrs.metric_crs(bounds)
    assert chosen.is_projected
    assert chosen.to_epsg() is None  # custom Transverse Mercator, not a fixed GK zone
    assert _distance_errors(bounds).max() < 0.001


def test_metric_crs_is_never_web_mercator():
    for bounds in [NANTONG_BOUNDS, (101.0, 30.0, 105.0, 34.0)]:
        assert gcrs.metric_crs(bounds).to_epsg() != 3857


# --------------------------------------------------------------------------- transforms


def test_to_lonlat_from_projected_and_identity_for_geographic():
    lon, lat = gcrs.to_lonlat([581256.63], [3543284.57], "EPSG:4549")
    assert lon[0] == pytest.approx(120.86, abs=1e-7)
    assert lat[0] == pytest.approx(32.01, abs=1e-7)
    lon, lat = gcrs.to_lonlat([120.86], [32.01], "EPSG:4326")
    assert (lon[0], lat[0]) == (120.86, 32.01)


def test_geometries_round_trip_through_offsets():
    square = shapely.box(120.8, 32.0, 120.9, 32.1)
    for offset in gcrs.OFFSETS:
        shifted = gcrs.geometries_with_offset(np.array([square, None]), offset)
        assert shifted[1] is None
        back = gcrs.geometries_to_lonlat(shifted, offset)[0]
        assert shapely.hausdorff_distance(back, square) < 1e-9
        assert shapely.hausdorff_distance(shifted[0], square) > 0.003  # really moved (hundreds of metres)


def test_lonlat_transformer_is_always_xy():
    tr = gcrs.lonlat_transformer(CRS.from_epsg(4549))
    reference = Transformer.from_crs(4490, 4549, always_xy=True)
    assert tr.transform(121.0, 32.0) == pytest.approx(reference.transform(121.0, 32.0))


def test_threaded_inverse_equals_one_block():
    """Large conversions run in row blocks on threads; every point must come out as if converted alone."""
    from geo_screen.inputs.crs import _invert, wgs84_to_gcj02

    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(73, 135, 250_000), rng.uniform(18, 53, 250_000)
    lon[::997] = np.nan
    x, y = gcrs.gcj02_to_wgs84(lon, lat)
    x1, y1 = _invert(wgs84_to_gcj02, lon, lat)
    np.testing.assert_array_equal(x, x1)
    np.testing.assert_array_equal(y, y1)
    assert np.shape(gcrs.gcj02_to_wgs84(121.0, 32.0)[0]) == ()
