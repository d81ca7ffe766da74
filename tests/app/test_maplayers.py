"""Layers and buffers prepared for the map: split by zone class, simplified and buffered in metres, limits."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from results_factory import make_result
from test_mapview import one_enterprise

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import maplayers as ml


@pytest.fixture(scope="module")
def result():
    return make_result(40, seed=3)


@pytest.fixture(scope="module")
def catalog(tiny_pack):
    return gs.load_catalog(tiny_pack)


def test_display_layers_split_by_zone_and_simplified_in_metres(catalog):
    layers = {layer.id: layer for layer in ml.display_layers(catalog, tolerance_m=5.0)}
    assert {
        "counties",
        "eco_redline_first",
        "eco_redline_second",
        "water_source_first",
        "water_source_second",
        "water_source_quasi",
        "riverside",
        "sensitive",
    } <= set(layers)
    assert "landuse" not in layers
    assert layers["eco_redline_first"].title == "生态红线·一级管控区"
    assert layers["water_source_first"].frame["tip"].iloc[0] == "长江狼山\n一级保护区\n水源保护区·一级"
    assert layers["counties"].interactive is False
    # simplification by 400 m collapses the bow-tie's lobes, by 5 m it keeps every corner
    to_m = Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True)
    source = catalog.layers["eco_redline"].frame.geometry.to_numpy()
    for tol in (5.0, 400.0):
        shown = {layer.id: layer for layer in ml.display_layers(catalog, tolerance_m=tol)}
        drawn = np.concatenate(
            [
                shown["eco_redline_first"].frame.geometry.to_numpy(),
                shown["eco_redline_second"].frame.geometry.to_numpy(),
            ]
        )
        metric = lambda g: shapely.transform(g, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1])))  # noqa: E731
        gap = shapely.hausdorff_distance(metric(drawn), metric(source))
        assert np.all(gap <= tol + 0.5), gap


def test_sanitary_buffers_are_metric_circles():
    ents = one_enterprise(120.86, 32.01, **{R.SANITARY_REQUIRED: [500.0], R.std_column("5"): [R.HIT]})
    ents = pd.concat(
        [ents, one_enterprise(120.87, 32.02, **{R.SANITARY_REQUIRED: [np.nan]}).assign(**{R.INPUT_ROW: 2})],
        ignore_index=True,
    )
    buffers, omitted = ml.sanitary_buffers(gpd.GeoDataFrame(ents, crs="EPSG:4490"))
    assert len(buffers) == 1 and omitted == 0
    ring = buffers.to_crs("EPSG:4549").geometry.iloc[0]
    centre = gpd.GeoSeries([shapely.Point(120.86, 32.01)], crs="EPSG:4490").to_crs("EPSG:4549").iloc[0]
    assert ring.area == pytest.approx(np.pi * 500**2, rel=0.02)
    assert ring.exterior.distance(centre) == pytest.approx(500, abs=5)  # a circle in metres, not degrees
    assert buffers["tip"].iloc[0].endswith("卫生防护距离 500 米")


def test_sanitary_buffers_limit_keeps_standard_5_hits_first(result):
    ents = result.enterprises.copy()
    located = ents[(ents[R.SANITARY_REQUIRED] > 0) & ~ents.geometry.isna()]
    late = located.index[-2:]  # the last two become standard-5 hits
    ents[R.std_column("5")] = R.CLEAR
    ents.loc[late, R.std_column("5")] = R.HIT
    buffers, omitted = ml.sanitary_buffers(ents, limit=3)
    assert len(buffers) == 3 and omitted == len(located) - 3
    names = [t.split("\n")[0] for t in buffers["tip"]]
    assert names[:2] == ents.loc[late, R.NAME].tolist()


def test_rounded_lonlat_keeps_a_tenth_of_a_metre():
    point = shapely.Point(120.123456789, 32.987654321)
    (rounded,) = ml.rounded_lonlat(np.array([point], dtype=object))
    assert (rounded.x, rounded.y) == (120.123457, 32.987654)
    assert shapely.distance(rounded, point) < 1e-6
