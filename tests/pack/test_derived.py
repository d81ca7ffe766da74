"""Tests for geo_screen.pack.derived: a riverside belt derived as a distance from a shoreline (river_line) layer.

The test pack is conftest's tiny pack with its drawn belt replaced by a river line along y = -4800 m (EPSG:4549
metres from the origin, x from -5000 to 5000) and a belt derived 1,000 m around it; the demo's own Yangtze line
(``layers/nantong/yangtze.gpkg``) gives a second, real-world case.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import shapely
import yaml
from conftest import BELT, ORIGIN, RIVER_Y, lonlat, river_pack
from pyproj import Transformer

from geo_screen.errors import ConfigError
from geo_screen.pack.catalog import load_catalog
from geo_screen.pack.demo import demo_paths
from geo_screen.pack.metric import metric_layers


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    return river_pack(tmp_path_factory.mktemp("river_pack"))


@pytest.fixture(scope="module")
def catalog(pack):
    return load_catalog(pack)


def edited(root: Path, edit) -> Path:
    path = river_pack(root)
    doc = yaml.safe_load(path.read_text("utf-8"))
    edit(doc["layers"], doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _belt(layers: list[dict]) -> dict:
    return next(layer for layer in layers if layer["id"] == "belt_1km")


@pytest.mark.parametrize(
    "edit, match",
    [
        (
            lambda ls, d: _belt(ls).update(form=_belt(ls).pop("from")),
            r"unknown key 'form' in layers\[\d\]; did you mean 'from'",
        ),
        (lambda ls, d: _belt(ls).update(path="river.gpkg"), r"layers\[\d\]\.from: .*'path' or .*'from', not both"),
        (
            lambda ls, d: _belt(ls).update({"from": "rivr"}),
            r"layers\[\d\]\.from: 'rivr' names no layer.*did you mean 'river'",
        ),
        (
            lambda ls, d: _belt(ls).update({"from": "eco_redline"}),
            r"layers\[\d\]\.from: layer 'eco_redline' is a ecological_redline.*river_line",
        ),
        (lambda ls, d: _belt(ls).update(distance_m=0), r"layers\[\d\]\.distance_m: input should be greater than 0"),
        (lambda ls, d: _belt(ls).pop("distance_m"), r"layers\[\d\]\.distance_m: .*add 'distance_m: 1000'"),
        (lambda ls, d: ls[0].update(distance_m=1000), r"layers\[0\]\.distance_m: applies to a belt derived with 'from"),
        (lambda ls, d: _belt(ls).update(kind="ecological_redline"), r"layers\[\d\]\.from: only a riverside_belt"),
        (lambda ls, d: ls[0].update(industries=["化工"]), r"layers\[0\]\.industries: applies to kind 'riverside_belt'"),
        (lambda ls, d: _belt(ls).update(industries=[]), r"layers\[\d\]\.industries: .*at least one"),
        (lambda ls, d: _belt(ls).update(crs="EPSG:4549"), r"layers\[\d\]\.crs: does not apply to a layer derived"),
        (lambda ls, d: _belt(ls).pop("from"), r"layers\[\d\]\.path: required key missing; add 'path: \.\.\.'"),
    ],
)
def test_a_derived_belt_is_validated_field_by_field(tmp_path, edit, match):
    with pytest.raises(ConfigError, match=match) as info:
        load_catalog(edited(tmp_path, edit))
    assert re.search(r"line \d+: ", str(info.value))


def test_the_belt_is_the_line_buffered_in_metres(catalog):
    layer = catalog.layers["belt_1km"]
    assert layer.kind == "riverside_belt" and layer.spec.path is None
    assert list(catalog.layers).index("belt_1km") == len(catalog.layers) - 1  # file order kept
    assert layer.frame.crs.to_epsg() == 4490 and len(layer.frame) == 1
    geom = layer.frame.geometry.iloc[0]
    assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon")
    assert layer.frame["name"].iloc[0].startswith("长江")
    to_m = Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True)
    metric = shapely.transform(geom, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1])))
    # a straight 10 km line: a 10 km x 2 km rectangle plus two half-discs of 1 km (to the buffer's segments)
    assert metric.area == pytest.approx(10_000 * 2_000 + np.pi * 1000**2, rel=2e-3)
    for dy, inside in ((999.0, True), (-999.0, True), (1001.0, False), (-1001.0, False)):
        point = shapely.Point(*lonlat(0, RIVER_Y + dy))
        assert geom.contains(point) is inside, dy


def test_the_belt_is_built_once_and_projected_like_a_drawn_one(catalog):
    metric = metric_layers(catalog)
    assert metric.crs.to_epsg() == 4549
    geoms = metric.geoms["belt_1km"]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    assert miny == pytest.approx(ORIGIN[1] + RIVER_Y - 1000, abs=0.01)
    assert maxx == pytest.approx(ORIGIN[0] + 5000 + 1000, abs=0.01)


def test_layers_check_and_report_say_the_belt_is_derived(catalog):
    text = catalog.check_text()
    assert "belt_1km [riverside_belt] derived: 1000 m from layer 'river'" in text
    report = catalog.report().set_index("id")
    assert report.loc["belt_1km", "format"] == "derived"
    assert report.loc["belt_1km", "path"] == "from river, 1000 m"
    assert {p.name for p in catalog.files()} >= {"river.gpkg", "catalog.yaml"}


def test_a_belt_for_listed_industries_says_so(tmp_path):
    catalog = load_catalog(river_pack(tmp_path, belt={**BELT, "industries": ["化工", "化学"]}))
    assert catalog.layers["belt_1km"].spec.industries == ("化工", "化学")
    assert "derived: 1000 m from layer 'river', only industries 化工、化学" in catalog.check_text()


def test_a_1_km_belt_from_the_demo_yangtze_line(tmp_path):
    """The demo's real Yangtze line, 1 km either side, in a test catalog (the shipped demo keeps its drawn belt)."""
    demo = Path(demo_paths()["catalog"])
    folder = demo if demo.is_dir() else demo.parent
    doc = {
        "name": "长江一公里测试",
        "coverage": "counties",
        "layers": [
            {
                "id": "counties",
                "kind": "admin_boundary",
                "path": str(folder / "admin.gpkg"),
                "layer": "counties",
                "fields": {"name": "县区", "code": "代码"},
            },
            {"id": "yangtze", "kind": "river_line", "path": str(folder / "yangtze.gpkg"), "fields": {"name": "名称"}},
            {
                "id": "yangtze_1km",
                "kind": "riverside_belt",
                "from": "yangtze",
                "distance_m": 1000,
                "industries": ["化工"],
            },
        ],
    }
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    catalog = load_catalog(path)
    metric = metric_layers(catalog)
    line = metric.geoms["yangtze"][0]
    belt = shapely.union_all(metric.geoms["yangtze_1km"])
    assert belt.is_valid
    # every point of the belt is within 1 km of the line, and the belt reaches 1 km out
    rim = shapely.points(shapely.get_coordinates(belt.boundary))
    distance = shapely.distance(rim, line)
    assert distance.max() <= 1000.0 + 1e-6 and distance.min() >= 1000.0 - 0.5
    assert 0.8 * 2000 * line.length < belt.area <= 2000 * line.length + np.pi * 1000**2
    probe = shapely.line_interpolate_point(line, 0.5, normalized=True)
    assert belt.contains(probe)
    assert "yangtze_1km [riverside_belt] derived: 1000 m from layer 'yangtze'" in catalog.check_text()
