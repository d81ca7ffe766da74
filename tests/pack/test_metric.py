"""The pack in metres: metric CRS choice, projected layers and their indexes."""

from __future__ import annotations

import numpy as np
import shapely

from geo_screen.pack.catalog import load_catalog
from geo_screen.pack.metric import built_tree, metric_layers, pack_metric_crs


def test_pack_metric_crs_is_gauss_kruger(tiny_pack):
    assert pack_metric_crs(load_catalog(tiny_pack)).to_epsg() == 4549


def test_layers_are_projected_once_and_cached(tiny_pack):
    catalog = load_catalog(tiny_pack)
    metric = metric_layers(catalog)
    assert metric_layers(catalog) is metric
    for layer_id, geoms in metric.geoms.items():
        assert len(geoms) == len(catalog.layers[layer_id].frame)
        assert shapely.is_prepared(geoms).all()
        minx, miny, _, _ = shapely.total_bounds(geoms)
        assert minx > 1_000 and miny > 1_000  # metres in EPSG:4549, not degrees


def test_built_tree_answers_like_a_fresh_one():
    points = shapely.points(np.arange(100.0), np.arange(100.0))
    tree = built_tree(points)
    box = shapely.box(10, 10, 20, 20)
    assert sorted(tree.query(box, predicate="intersects")) == sorted(
        shapely.STRtree(points).query(box, predicate="intersects")
    )


def test_a_pack_screened_from_its_path_leaves_no_layers_in_metres_behind(tiny_pack, tmp_path, monkeypatch):
    """screen() given a catalog path uses the pack once: its layers in metres are dropped after the spatial
    checks; a loaded Catalog keeps them for the next screening."""
    from conftest import registry_frame

    import geo_screen as gs
    import geo_screen.screening.screen as screening
    from geo_screen.pack.metric import release_metric_layers

    path = tmp_path / "reg.csv"
    registry_frame().to_csv(path, index=False)
    catalog = load_catalog(tiny_pack)
    kept = metric_layers(catalog)
    gs.screen(path, catalog)
    assert metric_layers(catalog) is kept
    released = []
    monkeypatch.setattr(screening, "release_metric_layers", released.append)
    gs.screen(path, tiny_pack)
    assert len(released) == 1 and released[0] is not catalog
    release_metric_layers(catalog)
    assert metric_layers(catalog) is not kept


def test_edge_index_built_a_block_of_features_at_a_time_is_the_whole_layers(monkeypatch):
    """Polygons (holes, multi-parts), lines and points: small blocks give the arrays one block gives."""
    from geo_screen.pack import edges

    rng = np.random.default_rng(5)
    geoms = []
    for i in range(60):
        x, y = rng.uniform(0, 5000, 2)
        kind = i % 4
        if kind == 0:
            geoms.append(
                shapely.Polygon(
                    shapely.box(x, y, x + 300, y + 200).exterior,
                    [[(x + 10, y + 10), (x + 50, y + 10), (x + 50, y + 60)]],
                )
            )
        elif kind == 1:
            geoms.append(
                shapely.MultiPolygon([shapely.box(x, y, x + 30, y + 30), shapely.box(x + 100, y, x + 130, y + 90)])
            )
        elif kind == 2:
            geoms.append(shapely.LineString([(x, y), (x + 70, y + 5), (x + 90, y + 200)]))
        else:
            geoms.append(shapely.Point(x, y))
    geoms = np.array(geoms, dtype=object)
    whole = edges.EdgeIndex(geoms)
    monkeypatch.setattr(edges, "_BLOCK_VERTICES", 7)
    assert len(edges._blocks(geoms)) > 10
    blocked = edges.EdgeIndex(geoms)
    for name in ("xy", "owner", "starts_segment", "ux", "uy", "own", "prev"):
        np.testing.assert_array_equal(getattr(blocked, name), getattr(whole, name))
    x, y = rng.uniform(-500, 5500, (2, 400))
    np.testing.assert_array_equal(blocked.nearest(x, y)[1], whole.nearest(x, y)[1])
