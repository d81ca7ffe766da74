"""Locations of registry rows: coordinate conversion, swap detection, coverage and row_status.

Coordinates arrive as lon/lat or projected x/y columns (maybe GCJ-02/BD-09 offset) or as
geometries from spatial files; they leave as CGCS2000 lon/lat geometries with a
``row_status`` per row (ok, coords_swapped, invalid_location, out_of_coverage).
"""

from __future__ import annotations

from typing import NamedTuple

import geopandas as gpd
import numpy as np
import shapely

from geo_screen.errors import CRSError, InputDataError
from geo_screen.inputs.crs import InputCRS, geometries_to_lonlat, to_lonlat
from geo_screen.results import OUTPUT_CRS
from geo_screen.threads import intersects_xy


def spatial_crs(file_crs, requested: InputCRS) -> InputCRS:
    """The system of a spatial file's coordinates: the file's own CRS (with the requested GCJ-02/BD-09 offset
    when the file is lon/lat), else the requested one."""
    if file_crs is None:
        return requested
    if requested.offset and file_crs.is_geographic:
        return InputCRS(file_crs, requested.offset)
    return InputCRS(file_crs)


def plausible(lon: np.ndarray, lat: np.ndarray, src: InputCRS) -> np.ndarray:
    """Rows whose lon/lat are finite, on the globe and, for a projected source CRS, within 2 degrees of its area
    of use."""
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    area = None if src.is_geographic else src.crs.area_of_use
    if area is not None:  # a projected CRS is only meaningful near its area of use (2 degrees slack)
        ok &= (lon >= area.west - 2) & (lon <= area.east + 2) & (lat >= area.south - 2) & (lat <= area.north + 2)
    return ok


class Located(NamedTuple):
    """What :func:`locate` found per row."""

    lon: np.ndarray
    lat: np.ndarray
    swapped: np.ndarray
    #: why a row has no location ("" when it has one)
    reason: np.ndarray
    #: located and inside the coverage (None when no coverage was given)
    inside: np.ndarray | None


def locate(a: np.ndarray, b: np.ndarray, src: InputCRS, coverage, *, missing: np.ndarray) -> Located:
    """Lon/lat for raw pairs (a, b) in ``src``, detecting swapped pairs; NaN where invalid."""
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    finite = np.isfinite(a) & np.isfinite(b)
    zero = (a == 0) & (b == 0)
    sane = finite & ~zero & (np.abs(a) < 1e9) & (np.abs(b) < 1e9)  # no coordinate system goes beyond
    lon, lat = np.full(len(a), np.nan), np.full(len(a), np.nan)
    lon[sane], lat[sane] = to_lonlat(a[sane], b[sane], src)
    ok = plausible(lon, lat, src)
    candidates = ~ok & sane
    area = None if coverage is None else coverage_geometry(coverage)
    if area is not None:
        outside = ok.copy()
        outside[ok] = ~intersects_xy(area, lon[ok], lat[ok])
        candidates |= outside
    swapped = np.zeros(len(a), dtype=bool)
    if candidates.any():
        lon2, lat2 = to_lonlat(b[candidates], a[candidates], src)
        better = plausible(lon2, lat2, src)
        if area is not None:
            better[better] = shapely.intersects_xy(area, lon2[better], lat2[better])
        idx = np.flatnonzero(candidates)[better]
        lon[idx], lat[idx], ok[idx], swapped[idx] = lon2[better], lat2[better], True, True
    lon, lat = np.where(ok, lon, np.nan), np.where(ok, lat, np.nan)
    reason = np.full(len(a), "", dtype=object)
    reason[~ok & finite & ~zero & ~missing] = "location_out_of_range"
    reason[~ok & zero & ~missing] = "location_zero"
    reason[~ok & missing] = "location_missing"
    inside = None if area is None else ok & (swapped | ~outside)  # a swap is taken only into the area
    return Located(lon, lat, swapped, reason, inside)


def locate_geometries(raw: np.ndarray, src: InputCRS, coverage):
    """Convert file geometries to EPSG:4490, swapping axes where only the swapped position is plausible."""
    raw = np.asarray(raw, dtype=object)
    minx, miny, maxx, maxy = shapely.bounds(raw).T
    missing = shapely.is_missing(raw)
    empty = ~missing & shapely.is_empty(raw)
    lon, _, swapped, reason, _ = locate((minx + maxx) / 2, (miny + maxy) / 2, src, coverage, missing=missing)
    reason[empty] = "geometry_empty"
    if swapped.any():
        raw = raw.copy()
        raw[swapped] = shapely.transform(raw[swapped], lambda c: c[:, ::-1])
    good = np.isfinite(lon)
    geoms = np.full(len(raw), None, dtype=object)
    geoms[good] = geometries_to_lonlat(raw[good], src)
    repaired = np.zeros(len(raw), dtype=bool)
    repaired[good] = ~shapely.is_valid(geoms[good])
    if repaired.any():
        geoms[repaired] = shapely.make_valid(geoms[repaired])
    return geoms, swapped, reason, repaired


def coverage_geometry(coverage):
    """A pack's coverage (a shapely geometry, or a GeoDataFrame/GeoSeries in any CRS) as one CGCS2000 lon/lat
    geometry."""
    if isinstance(coverage, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if coverage.crs is not None:
            coverage = coverage.to_crs(OUTPUT_CRS)
        coverage = coverage.union_all()
    if not isinstance(coverage, shapely.Geometry):
        raise InputDataError(
            f"coverage must be a shapely geometry (or GeoSeries/GeoDataFrame) in EPSG:4490 lon/lat; "
            f"got {type(coverage).__name__}"
        )
    if coverage.is_empty:
        raise InputDataError("coverage is an empty geometry; pass the area the registry should lie in")
    minx, miny, maxx, maxy = coverage.bounds
    if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
        raise CRSError(
            f"coverage bounds {coverage.bounds} are not longitude/latitude; reproject it to EPSG:4490 "
            "first, e.g. gdf.to_crs('EPSG:4490').union_all()"
        )
    if not coverage.is_valid:
        coverage = shapely.make_valid(coverage)
    shapely.prepare(coverage)
    return coverage
