"""A layer pack in metres: its vector layers projected once into the pack's metric CRS, with spatial indexes.

The CRS is a CGCS2000 Gauss-Kruger zone or a local Transverse Mercator chosen from the pack's
coverage (:func:`geo_screen.inputs.crs.metric_crs`), never degrees or Web Mercator. Projections, STRtrees
and edge indexes are built once per loaded pack and cached on it, so every screening of the pack
(chunks, Dask partitions, the map) reuses them.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import CRS

from geo_screen.inputs.crs import lonlat_transformer
from geo_screen.pack.catalog import Catalog, metric_crs_of
from geo_screen.pack.edges import EdgeIndex


@dataclass
class MetricLayers:
    """A pack's vector layers projected once into one metric CRS (cached on the catalog).

    ``in_use`` is held while a screening's spatial checks use them: every screening of the pack shares its prepared
    zones, whose GEOS indexes are built on first use and never safely from two threads at once (two partitions of a
    Dask worker, two uploads in the app: the process aborted).
    """

    crs: CRS
    in_use: threading.Lock = field(default_factory=threading.Lock)
    geoms: dict[str, np.ndarray] = field(default_factory=dict)
    boundaries: dict[str, np.ndarray] = field(default_factory=dict)
    trees: dict[str, shapely.STRtree] = field(default_factory=dict)
    _edges: dict[tuple[str, bytes | None], EdgeIndex] = field(default_factory=dict)

    def edges(self, layer_id: str, *, keep: np.ndarray | None = None) -> EdgeIndex:
        """The layer's edge index for exact nearest-edge distances (built on first use, then kept); with ``keep``
        (a boolean per feature), the index of those features only (owners are positions among them)."""
        key = (layer_id, None if keep is None else np.asarray(keep, dtype=bool).tobytes())
        if key not in self._edges:
            geoms = self.geoms[layer_id]
            self._edges[key] = EdgeIndex(geoms if keep is None else geoms[keep])
        return self._edges[key]


def built_tree(geoms: np.ndarray) -> shapely.STRtree:
    """An STRtree whose index is built now: GEOS builds it on the first query, which must not happen in two
    threads at once (the checks query the same trees side by side)."""
    tree = shapely.STRtree(geoms)
    tree.query(shapely.box(0.0, 0.0, 0.0, 0.0))
    return tree


def pack_metric_crs(catalog: Catalog) -> CRS:
    """The metric CRS for a pack: chosen from its coverage (or all layers), so every registry gets the same one."""
    return metric_crs_of(catalog)


#: each loaded pack's metric layers, kept as long as the pack itself
_BY_CATALOG: weakref.WeakKeyDictionary[Catalog, MetricLayers] = weakref.WeakKeyDictionary()


def metric_layers(catalog: Catalog) -> MetricLayers:
    """Project every vector layer once; reused by later screenings of the same catalog."""
    cached = _BY_CATALOG.get(catalog)
    if cached is not None:
        return cached
    target = pack_metric_crs(catalog)
    transformer = lonlat_transformer(target)
    out = MetricLayers(target)
    for layer in catalog.layers.values():
        if layer.frame is None:
            continue
        geoms = shapely.transform(
            layer.frame.geometry.to_numpy(), lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1]))
        )
        shapely.prepare(geoms)
        out.geoms[layer.id] = geoms
        out.boundaries[layer.id] = shapely.boundary(geoms)
        out.trees[layer.id] = built_tree(geoms)
    _BY_CATALOG[catalog] = out
    return out


def release_metric_layers(catalog: Catalog) -> None:
    """Drop the pack's layers in metres (projections, prepared zones, STRtrees, edge indexes) kept on ``catalog``.

    For a pack loaded for one screening only: at a million rows on a heavy pack they hold about 0.6 GB that
    the rest of the run (standards from registry attributes, dispositions, the written tables) can use.
    """
    _BY_CATALOG.pop(catalog, None)


def project_geometries(
    geoms: np.ndarray, target: CRS, *, lonlat: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Project CGCS2000 lon/lat geometries into ``target``; points take the fast array path.

    ``lonlat``: the geometries' x and y (NaN where not a point), when the caller has them already.
    """
    transformer = lonlat_transformer(target)
    geoms = np.asarray(geoms, dtype=object)
    present = ~shapely.is_missing(geoms)
    out = np.full(len(geoms), None, dtype=object)
    if not present.any():
        return out
    sub = geoms[present]
    if (shapely.get_type_id(sub) == 0).all():
        lon, lat = (
            (shapely.get_x(sub), shapely.get_y(sub)) if lonlat is None else (lonlat[0][present], lonlat[1][present])
        )
        x, y = transformer.transform(lon, lat)
        out[present] = shapely.points(x, y)
    else:
        out[present] = shapely.transform(sub, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1])))
    return out
