"""The upload's coordinate-system plausibility check: GCJ-02 coordinates read as WGS84/CGCS2000 are flagged
("坐标疑似为GCJ-02") by the land-use sign test; the right choice, projected systems and packs without a land-use
plan are not."""

from __future__ import annotations

import pytest

import geo_screen as gs
from geo_screen.app import plausibility as pl
from geo_screen.inputs.registry import read_registry


@pytest.fixture(scope="module")
def demo():
    paths = gs.demo_paths()
    return paths, gs.load_catalog(paths["catalog"])


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4490"])
def test_gcj02_registry_read_as_wgs84_is_flagged(demo, crs):
    paths, catalog = demo
    registry = read_registry(paths["registry"], crs=crs, coverage=catalog.coverage)
    test = pl.offset_test(registry, catalog)
    assert test.suspected and test.gains > 2 * test.losses and test.p_value < 1e-6
    warning = pl.gcj02_suspected(registry, catalog, crs=crs)
    assert warning.startswith("坐标疑似为GCJ-02") and "GCJ-02 后重新筛查" in warning


def test_the_right_choice_is_not_flagged(demo):
    paths, catalog = demo
    registry = read_registry(paths["registry"], crs="gcj02", coverage=catalog.coverage)
    assert not pl.offset_test(registry, catalog).suspected
    assert pl.gcj02_suspected(registry, catalog, crs="gcj02") is None  # an offset chosen: nothing to test
    assert pl.gcj02_suspected(registry, catalog, crs="EPSG:4326") is None  # truly WGS84 positions now


def test_small_samples_and_packs_without_a_plan_say_nothing(demo):
    paths, catalog = demo
    registry = read_registry(paths["registry"], crs="EPSG:4326", coverage=catalog.coverage)
    assert pl.gcj02_suspected(registry.iloc[:200], catalog, crs="EPSG:4326") is None  # 5 gains, 2 losses

    class NoPlan:
        def of_kind(self, *kinds):
            return []

    assert pl.offset_test(registry, NoPlan()) is None
    assert pl.gcj02_suspected(registry, catalog, crs="EPSG:4549") is None  # projected: no GCJ-02 question


def test_sign_test():
    assert pl._sign_test(0, 0) == 1.0
    assert pl._sign_test(5, 2) == pytest.approx(29 / 128)
    assert pl._sign_test(184, 72) < 1e-10 and pl._sign_test(67, 171) > 0.99
