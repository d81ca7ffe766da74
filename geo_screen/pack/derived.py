"""Layers a catalog derives from another instead of reading a file: the riverside belt as a distance from a shoreline.

``kind: riverside_belt, from: <river_line layer>, distance_m: 1000`` is every point within 1,000 m of the line
(长江保护法 art. 26 draws its rule for chemical projects 1 km from the shoreline). The line is buffered in
metres in the pack's metric CRS (a CGCS2000 Gauss-Kruger zone, never degrees or Web Mercator), repaired with
:func:`shapely.make_valid` and brought back to CGCS2000 lon/lat, once when the pack is loaded: from then on it is
a layer like a drawn belt (metric projection, edge index, margins, near_edge).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo_screen.inputs.crs import lonlat_transformer
from geo_screen.pack.layer import FRAME_COLUMNS, LAYER_ID, NAME, Layer, LayerReport
from geo_screen.results import OUTPUT_CRS

#: the derived belt's edges are at most this long (metres) before it goes back to lon/lat
MAX_EDGE_M = 50.0
#: segments per quarter circle where the belt rounds a bend or an end: its chords stay within 0.1 m of the true
#: distance at 1 km (1000 m x (1 - cos(pi / 256))), always on the inside (the belt never claims a point
#: farther than distance_m)
QUAD_SEGS = 64


def derivation_text(layer: Layer) -> str:
    """How a derived layer was made, as ``layers check`` prints it: ``1000 m from layer 'yangtze'``."""
    spec = layer.spec
    text = f"{spec.distance_m:g} m from layer '{spec.from_}'"
    return text + (f", only industries {'、'.join(spec.industries)}" if spec.industries else "")


def derived_belt(layer_spec, line: Layer, metric: CRS) -> Layer:
    """The belt of ``layer_spec``: the features of ``line`` (one per name) buffered by ``distance_m`` in ``metric``.

    Parameters
    ----------
    layer_spec
        The belt's :class:`~geo_screen.pack.model.LayerSpec` (``from``, ``distance_m``).
    line
        The loaded ``river_line`` layer it names.
    metric
        The pack's metric CRS.

    Returns
    -------
    Layer
        A riverside_belt layer with an EPSG:4490 frame, one feature per line name (``长江1000米范围``),
        its path the line's file (so run manifests hash the data it came from).
    """
    frame = line.frame
    names = frame[NAME].astype("string").fillna(line.id).to_numpy(dtype=object)
    to_metric, to_lonlat = lonlat_transformer(metric), Transformer.from_crs(metric, OUTPUT_CRS, always_xy=True)
    lines = shapely.transform(
        frame.geometry.to_numpy(), lambda c: np.column_stack(to_metric.transform(c[:, 0], c[:, 1]))
    )
    keys, owner = np.unique(names, return_inverse=True)
    belts = np.array(
        [
            shapely.buffer(shapely.union_all(lines[owner == i]), layer_spec.distance_m, quad_segs=QUAD_SEGS)
            for i in range(len(keys))
        ],
        dtype=object,
    )
    invalid = ~shapely.is_valid(belts)
    belts[invalid] = shapely.make_valid(belts[invalid])
    # long straight edges are split so the belt keeps its shape in lon/lat too (maps, GeoPackages)
    belts = shapely.segmentize(belts, MAX_EDGE_M)
    geoms = shapely.transform(belts, lambda c: np.column_stack(to_lonlat.transform(c[:, 0], c[:, 1])))
    attributes = pd.DataFrame({c: pd.Series([None] * len(keys), dtype=object) for c in FRAME_COLUMNS})
    attributes[LAYER_ID] = layer_spec.id
    attributes[NAME] = [f"{name}{layer_spec.distance_m:g}米范围" for name in keys]
    out = gpd.GeoDataFrame(attributes, geometry=geoms, crs=OUTPUT_CRS)
    report = LayerReport(
        features=len(out),
        crs=line.report.crs,
        crs_from=f"layer '{line.id}'",
        bounds=tuple(float(b) for b in out.total_bounds) if len(out) else None,
        repaired=int(invalid.sum()),
    )
    if not len(out):
        report.warnings.append(
            f"layer '{layer_spec.id}' is derived from layer '{line.id}', which has no features; "
            "check the line layer or remove the belt"
        )
    return Layer(layer_spec.id, layer_spec.kind, line.path, layer_spec, report, frame=out)
