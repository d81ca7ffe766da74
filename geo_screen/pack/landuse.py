"""Land-use plan sampling for standard 3 (master plan): planned class and non-industrial share per site.

A land-use plan is a raster of class values (read with rasterio) or polygons
with a class field. Points take the class at their location; site footprints
take the share of their area planned as non-industrial land (raster: pixel
centres inside the footprint, the representative point when none falls
inside; polygons: intersection areas).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer


def _apply(aff, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply an affine transform to coordinate arrays."""
    a, b, c, d, e, f = aff[:6]
    return a * x + b * y + c, d * x + e * y + f


def _class_lookup(layer, values: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raster values -> class codes (object array, None where invalid) and an is-industrial mask."""
    mapping = {int(k): str(v) for k, v in layer.raster.classes.items()}
    uniq, inverse = np.unique(values, return_inverse=True)
    codes = np.array([mapping.get(int(u), str(int(u))) for u in uniq], dtype=object)[inverse]
    codes = np.where(valid, codes, None)
    industrial = np.isin(codes.astype(str), list(layer.industrial_classes)) & valid
    return codes, industrial


def sample_landuse_raster(layer, geoms: np.ndarray, metric: CRS) -> tuple[np.ndarray, np.ndarray]:
    """Class and non-industrial share (0..1, NaN = unknown) of each metric geometry from a raster plan."""
    band, transform, crs, nodata = layer.raster_band
    to_raster = Transformer.from_crs(metric, crs, always_xy=True)
    n = len(geoms)
    is_point = shapely.get_type_id(geoms) == 0

    # sample positions in raster coordinates: the points themselves, and for footprints the pixel
    # centres inside them (their representative point when no centre falls inside)
    pts = np.flatnonzero(is_point)
    xs, ys = to_raster.transform(shapely.get_x(geoms[pts]), shapely.get_y(geoms[pts]))
    parts = [(np.asarray(xs), np.asarray(ys), pts)]
    polys = np.flatnonzero(~is_point)
    if len(polys):
        px, py, pown = _pixel_centres_inside(geoms[polys], to_raster, transform)
        parts.append((px, py, polys[pown]))
        empty = np.setdiff1d(np.arange(len(polys)), pown)
        rep = shapely.point_on_surface(geoms[polys[empty]])
        rx, ry = to_raster.transform(shapely.get_x(rep), shapely.get_y(rep))
        parts.append((np.asarray(rx), np.asarray(ry), polys[empty]))
    pts_x = np.concatenate([p[0] for p in parts])
    pts_y = np.concatenate([p[1] for p in parts])
    owner = np.concatenate([p[2] for p in parts])

    cols, rows = _apply(~transform, pts_x, pts_y)
    cols, rows = np.floor(cols).astype(np.int64), np.floor(rows).astype(np.int64)
    inside = (rows >= 0) & (rows < band.shape[0]) & (cols >= 0) & (cols < band.shape[1])
    values = np.zeros(len(rows), dtype=band.dtype)
    values[inside] = band[rows[inside], cols[inside]]
    valid = inside & ((values != nodata) if nodata is not None else True)
    codes, industrial = _class_lookup(layer, values, valid)
    return _aggregate(n, owner, codes, industrial, valid, weights=np.ones(len(owner)))


def _pixel_centres_inside(
    polys: np.ndarray, to_raster: Transformer, transform
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel centres (raster CRS) that fall inside each footprint, with the footprint's position."""
    in_raster = shapely.transform(polys, lambda c: np.column_stack(to_raster.transform(c[:, 0], c[:, 1])))
    b = shapely.bounds(in_raster)
    inv = ~transform
    c0, r0 = _apply(inv, b[:, 0], b[:, 3])
    c1, r1 = _apply(inv, b[:, 2], b[:, 1])
    cmin, cmax = np.floor(np.minimum(c0, c1)).astype(np.int64), np.floor(np.maximum(c0, c1)).astype(np.int64)
    rmin, rmax = np.floor(np.minimum(r0, r1)).astype(np.int64), np.floor(np.maximum(r0, r1)).astype(np.int64)
    width, height = cmax - cmin + 1, rmax - rmin + 1
    counts = width * height
    own = np.repeat(np.arange(len(polys)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    col = cmin[own] + offset % width[own]
    row = rmin[own] + offset // width[own]
    x, y = _apply(transform, col + 0.5, row + 0.5)
    keep = shapely.contains_xy(in_raster[own], x, y)
    return np.asarray(x)[keep], np.asarray(y)[keep], own[keep]


def sample_landuse_polygons(
    layer, geoms: np.ndarray, zones: np.ndarray, tree: shapely.STRtree
) -> tuple[np.ndarray, np.ndarray]:
    """Class and non-industrial share of each metric geometry from a polygon plan (``class`` field)."""
    n = len(geoms)
    zone_idx, owner = tree.query(zones, predicate="intersects")
    classes = (
        layer.frame["class"].astype("string").to_numpy(dtype=object, na_value=None)
        if "class" in layer.frame
        else np.full(len(zones), None, dtype=object)
    )
    codes = classes[zone_idx]
    valid = np.array([c is not None for c in codes], dtype=bool)
    industrial = np.isin(codes.astype(str), list(layer.industrial_classes)) & valid
    is_point = shapely.get_type_id(geoms[owner]) == 0
    weights = np.ones(len(owner))
    if (~is_point).any():
        weights[~is_point] = shapely.area(shapely.intersection(geoms[owner[~is_point]], zones[zone_idx[~is_point]]))
    return _aggregate(n, owner, codes, industrial, valid, weights=weights)


def _aggregate(n, owner, codes, industrial, valid, *, weights) -> tuple[np.ndarray, np.ndarray]:
    """Per geometry: the class with most weight, and the non-industrial share of the valid weight."""
    w_valid = np.bincount(owner[valid], weights=weights[valid], minlength=n)
    w_non = np.bincount(owner[valid & ~industrial], weights=weights[valid & ~industrial], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(w_valid > 0, w_non / w_valid, np.nan)
    cls = np.full(n, None, dtype=object)
    if valid.any():
        # dominant class: the heaviest class per owner
        frame = pd.DataFrame({"owner": owner[valid], "code": codes[valid], "w": weights[valid]})
        top = frame.groupby(["owner", "code"], sort=False)["w"].sum().reset_index().sort_values("w", ascending=False)
        top = top.drop_duplicates("owner")
        cls[top["owner"].to_numpy()] = top["code"].to_numpy()
    return cls, share


def industrial_within(layer, points: np.ndarray, distance_m: float, metric: CRS, zones: np.ndarray | None = None):
    """Per metric point: is the plan's industrial land within ``distance_m`` of it?

    Polygon plans: exact (an STRtree of the industrial polygons, queried ``dwithin``). Raster plans: the class is
    sampled at 16 points around each point, at ``distance_m`` and half of it in 8 directions, so industrial land
    narrower than the gaps between them (about 0.4 x ``distance_m``) can be missed.

    Parameters
    ----------
    layer
        A loaded ``land_use_plan`` layer.
    points
        Points in the metric CRS ``metric``.
    distance_m
        How far to look, in metres.
    metric
        The metric CRS of ``points`` (and of ``zones``).
    zones
        The polygon plan's geometries in ``metric`` (polygon plans only).

    Returns
    -------
    numpy.ndarray
        One boolean per point.
    """
    n = len(points)
    if not n or distance_m <= 0:
        return np.zeros(n, dtype=bool)
    if layer.raster is None:
        classes = layer.frame["class"].astype("string").to_numpy(dtype=object, na_value=None)
        industrial = np.flatnonzero(np.isin(classes.astype(str), list(layer.industrial_classes)))
        if not len(industrial):
            return np.zeros(n, dtype=bool)
        found, _ = shapely.STRtree(zones[industrial]).query(points, predicate="dwithin", distance=distance_m)
        out = np.zeros(n, dtype=bool)
        out[found] = True
        return out
    angles = np.arange(8) * np.pi / 4
    dx = np.concatenate([np.cos(angles) * distance_m, np.cos(angles) * distance_m / 2])
    dy = np.concatenate([np.sin(angles) * distance_m, np.sin(angles) * distance_m / 2])
    x, y = shapely.get_x(points), shapely.get_y(points)
    probes = shapely.points((x[:, None] + dx).ravel(), (y[:, None] + dy).ravel())
    _, share = sample_landuse_raster(layer, probes, metric)
    return (share.reshape(n, len(dx)) == 0).any(axis=1)
