"""Real geography of the demo pack: county boundaries, the Yangtze channel line and the metric helpers built on them.

Everything here derives from the AMap boundaries in ``source/`` (GCJ-02),
converted to CGCS2000 longitude/latitude by the project's own
:func:`geo_screen.inputs.crs.geometries_to_lonlat` and measured in the metric CRS
:func:`geo_screen.inputs.crs.metric_crs` picks for Nantong (EPSG:4549).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from geo_screen.inputs.crs import geometries_to_lonlat, metric_crs
from geo_screen.results import OUTPUT_CRS

SOURCE_DIR = Path(__file__).resolve().parent / "source"
CITY_CODE, CITY_NAME = "320600", "南通市"
#: the seven county-level units (adcode -> name), in adcode order
COUNTIES = {
    "320612": "通州区",
    "320613": "崇川区",
    "320614": "海门区",
    "320623": "如东县",
    "320681": "启东市",
    "320682": "如皋市",
    "320685": "海安市",
}
#: neighbours across the Yangtze whose border with Nantong is the channel line
ACROSS_RIVER = {"320500": "苏州市", "310151": "上海市崇明区"}
#: land neighbours (north and west); the rest of Nantong's boundary is the Yellow Sea coast
ACROSS_LAND = {"320900": "盐城市", "321200": "泰州市"}
#: snapping tolerance when intersecting borders drawn independently
SNAP_M = 50.0
#: the pack's convention for the Nantong bank: this far from the channel line (the data has no shoreline)
BANK_OFFSET_M = 1500.0
#: the mark every synthetic layer carries
ILLUSTRATIVE = "示意数据，非官方"
#: width of the illustrative riverside belt, measured from the channel line
BELT_WIDTH_M = 5000.0
#: accepted range for the derived channel line (a sanity check on the derivation)
CHANNEL_LENGTH_RANGE_M = (100_000.0, 200_000.0)


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Repair ``geom`` with make_valid and keep only its polygonal parts (a (Multi)Polygon)."""
    fixed = shapely.make_valid(geom)
    if fixed.geom_type in ("Polygon", "MultiPolygon"):
        return fixed
    parts = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def read_source(code: str) -> BaseGeometry:
    """One AMap boundary from ``source/`` converted GCJ-02 -> CGCS2000 lon/lat and repaired."""
    frame = pyogrio.read_dataframe(SOURCE_DIR / f"{code}.geojson")
    lonlat = geometries_to_lonlat(frame.geometry.to_numpy(), "gcj02")
    return polygonal(shapely.union_all(lonlat))


@dataclass(frozen=True)
class Geography:
    """The real layers, in lon/lat (EPSG:4490) and in the metric CRS, plus placement helpers."""

    counties: gpd.GeoDataFrame  #: fields 县区, 代码; EPSG:4490
    city: gpd.GeoDataFrame  #: one row, fields 名称, 代码; EPSG:4490
    metric: CRS  #: EPSG:4549 for Nantong
    counties_m: gpd.GeoSeries  #: county polygons in metres, index = adcode
    city_m: BaseGeometry
    channel_m: BaseGeometry  #: the Yangtze channel line (LineString) in metres
    land_m: BaseGeometry  #: the city minus the river (closer than BANK_OFFSET_M to the channel)
    coast_m: BaseGeometry  #: the Yellow Sea coast: the city boundary shared with no neighbour

    # ------------------------------------------------------------------ conversions
    def to_metric(self, lon, lat) -> np.ndarray:
        """Points in metres from lon/lat arrays."""
        pts = gpd.GeoSeries(shapely.points(np.asarray(lon, float), np.asarray(lat, float)), crs=OUTPUT_CRS)
        return pts.to_crs(self.metric).to_numpy()

    def point_m(self, lon: float, lat: float) -> BaseGeometry:
        return self.to_metric([lon], [lat])[0]

    def to_lonlat(self, geoms) -> np.ndarray:
        """Metric geometries back to CGCS2000 lon/lat."""
        return gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=self.metric).to_crs(OUTPUT_CRS).to_numpy()

    def county_of(self, points_m: np.ndarray) -> np.ndarray:
        """Adcode of the county containing each metric point ('' where none)."""
        out = np.full(len(points_m), "", dtype=object)
        for code, geom in self.counties_m.items():
            out[shapely.contains(geom, points_m)] = code
        return out

    # ------------------------------------------------------------------ the river
    def along(self, lon: float, lat: float) -> float:
        """Distance (m) along the channel line, from the river mouth, of the point nearest ``lon, lat``."""
        return float(self.channel_m.project(self.point_m(lon, lat)))

    def bank_point(self, along_m: float, offset_m: float) -> BaseGeometry:
        """The point ``offset_m`` from the channel line into Nantong, at ``along_m`` along it.

        The direction is normal to the line's average course over 2 km, so the
        line's small notches do not swing it.
        """
        on_line = self.channel_m.interpolate(along_m)
        a = self.channel_m.interpolate(max(along_m - 1000.0, 0.0))
        b = self.channel_m.interpolate(min(along_m + 1000.0, self.channel_m.length))
        tx, ty = b.x - a.x, b.y - a.y
        norm = np.hypot(tx, ty)
        nx, ny = -ty / norm, tx / norm
        probe = shapely.Point(on_line.x + nx * 100.0, on_line.y + ny * 100.0)
        sign = 1.0 if self.city_m.contains(probe) else -1.0
        return shapely.Point(on_line.x + sign * nx * offset_m, on_line.y + sign * ny * offset_m)

    def river_band(self, start_m: float, end_m: float, width_m: float) -> BaseGeometry:
        """Everything within ``width_m`` of the channel line between two along-line distances, both banks.

        A flat-ended buffer of the simplified stretch (the line's notches would
        tear a flat buffer); clip it to the city for the Nantong side.
        """
        stretch = substring(self.channel_m, start_m, end_m).simplify(500.0)
        return stretch.buffer(width_m, cap_style="flat")


def _channel_line(city_m: BaseGeometry, across_m: BaseGeometry) -> BaseGeometry:
    """The shared border of Nantong with the neighbours across the river, merged into one line."""
    shared = city_m.boundary.intersection(across_m.buffer(SNAP_M))
    line = shapely.line_merge(shared)
    if line.geom_type != "LineString":
        pieces = [round(g.length) for g in shapely.get_parts(line)]
        raise RuntimeError(
            f"the channel line is not one line after merging (pieces of {pieces} m); raise SNAP_M (now {SNAP_M} m)"
        )
    low, high = CHANNEL_LENGTH_RANGE_M
    if not low <= line.length <= high:
        raise RuntimeError(
            f"the channel line is {line.length / 1000:.1f} km long, outside the plausible "
            f"{low / 1000:.0f}-{high / 1000:.0f} km; check the source boundaries"
        )
    return line


def load_geography() -> Geography:
    """Read ``source/``, convert to CGCS2000 and derive the channel line and the land mask."""
    county_geoms = [read_source(code) for code in COUNTIES]
    counties = gpd.GeoDataFrame(
        {"县区": list(COUNTIES.values()), "代码": list(COUNTIES)}, geometry=county_geoms, crs=OUTPUT_CRS
    )
    city_geom = read_source(CITY_CODE)
    city = gpd.GeoDataFrame({"名称": [CITY_NAME], "代码": [CITY_CODE]}, geometry=[city_geom], crs=OUTPUT_CRS)
    metric = metric_crs(tuple(city.total_bounds))
    city_m = city.to_crs(metric).geometry.iloc[0]
    across = gpd.GeoSeries([read_source(code) for code in ACROSS_RIVER], crs=OUTPUT_CRS).to_crs(metric)
    channel_m = _channel_line(city_m, shapely.union_all(across.to_numpy()))
    land_m = polygonal(city_m.difference(channel_m.buffer(BANK_OFFSET_M)))
    across_land = gpd.GeoSeries([read_source(code) for code in ACROSS_LAND], crs=OUTPUT_CRS).to_crs(metric)
    neighbours = shapely.union_all([*across.to_numpy(), *across_land.to_numpy()])
    coast_m = shapely.line_merge(city_m.boundary.difference(neighbours.buffer(SNAP_M)))
    counties_m = gpd.GeoSeries(counties.to_crs(metric).geometry.to_numpy(), index=list(COUNTIES), crs=metric)
    return Geography(
        counties=counties,
        city=city,
        metric=metric,
        counties_m=counties_m,
        city_m=city_m,
        channel_m=channel_m,
        land_m=land_m,
        coast_m=coast_m,
    )


def river_layers(geo: Geography) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The channel line (``yangtze``) and the riverside belt, both in EPSG:4326."""
    line = gpd.GeoDataFrame(
        {
            "名称": ["长江（南通段）"],
            "说明": ["长江主航道中线的近似：南通市与苏州市、上海市崇明区的行政界线（高德边界，GCJ-02 转 WGS84）"],
            "长度_km": [round(geo.channel_m.length / 1000.0, 1)],
        },
        geometry=[geo.channel_m],
        crs=geo.metric,
    ).to_crs("EPSG:4326")
    belt_m = polygonal(geo.city_m.intersection(geo.channel_m.buffer(BELT_WIDTH_M)))
    belt = gpd.GeoDataFrame(
        {
            "名称": ["南通沿江生态带重点规划区（示意）"],
            "说明": [f"{ILLUSTRATIVE}：南通市域内距长江界线 {BELT_WIDTH_M / 1000:.0f} km 以内的范围"],
            "面积_km2": [round(belt_m.area / 1e6, 1)],
        },
        geometry=[belt_m],
        crs=geo.metric,
    ).to_crs("EPSG:4326")
    return line, belt
