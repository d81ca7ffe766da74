"""Illustrative protection zones of the demo pack: ecological and marine red lines, drinking-water sources.

示意数据，非官方. The zones carry the names of real Nantong protected areas and
water intakes, but their shapes are drawn here from a few parameters (centre,
radius, along-river stretch) around the real county boundaries and river line;
they are not the official polygons. Every builder returns a GeoDataFrame in the
pack's metric CRS; :mod:`build` reprojects each to the CRS its file uses.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pack_geography import BANK_OFFSET_M, ILLUSTRATIVE, Geography, polygonal
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

FIRST, SECOND = "一级管控区", "二级管控区"
PROHIBITED, RESTRICTED = "禁止类", "限制类"
#: water-source protection classes and the outer radius (m) of each ring around the intake
WATER_RINGS = (("一级保护区", 500.0), ("二级保护区", 1500.0), ("准保护区", 3000.0))
#: intakes on the Nantong bank: name -> lon/lat near which the intake sits (moved onto the pack's bank line)
INTAKES = {
    "长江长青沙": (120.62, 32.02),
    "长江洪港": (120.775, 32.01),
    "长江狼山": (120.86, 31.93),
    "长江李港": (121.00, 31.80),
    "海门长江": (121.25, 31.86),
}
#: precision grid (m) of overlays whose inputs share edges (removes zero-width slivers)
GRID_M = 0.01
#: coastal band (m) of the land that marine zones may cover (reclaimed tidal flats)
COAST_BAND_M = 1500.0


def blob(centre: BaseGeometry, radius_m: float, *, seed: int, scale: float = 1.0) -> BaseGeometry:
    """An irregular, star-shaped polygon of mean radius ``radius_m * scale`` around ``centre``.

    The same ``seed`` gives the same outline at every ``scale``, so blobs of one
    seed nest without crossing (rings and holes stay clean).
    """
    rng = np.random.default_rng(seed)
    theta = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
    amp, phase = rng.uniform(0.04, 0.12, 3), rng.uniform(0.0, 2.0 * np.pi, 3)
    wobble = sum(a * np.sin(k * theta + p) for a, k, p in zip(amp, (2, 3, 5), phase))
    r = radius_m * scale * (1.0 + wobble)
    return shapely.Polygon(np.column_stack([centre.x + r * np.cos(theta), centre.y + r * np.sin(theta)]))


def _frame(rows: list[dict], geo: Geography) -> gpd.GeoDataFrame:
    geoms = [polygonal(r.pop("geometry")) for r in rows]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=geo.metric)


def _zone(name: str, level: str, category: str, geom: BaseGeometry) -> dict:
    return {"名称": name, "管控级别": level, "类型": category, "说明": ILLUSTRATIVE, "geometry": geom}


def eco_redline(geo: Geography) -> gpd.GeoDataFrame:
    """Ecological red-line zones, each with a first- and/or second-level control area.

    狼山's second-level area is a ring around its first-level area (a polygon
    with a hole); 濠河's first-level area is the moat ring and its second-level
    area the old town inside plus a fringe outside (multipart, one part holed);
    the 启东 reserve's first-level area is two separate stretches of the North
    Branch (multipart).
    """
    rows = []
    city = geo.city_m

    centre = geo.point_m(120.874, 31.953)
    core = blob(centre, 700.0, seed=11)
    rows += [
        _zone("狼山省级森林公园", FIRST, "森林公园", core),
        _zone("狼山省级森林公园", SECOND, "森林公园", blob(centre, 700.0, seed=11, scale=2.3).difference(core)),
    ]

    centre = geo.point_m(120.866, 32.012)
    town, moat_outer, fringe = (blob(centre, 800.0, seed=12, scale=s) for s in (1.0, 1.25, 1.75))
    rows += [
        _zone("濠河风景名胜区", FIRST, "风景名胜区", moat_outer.difference(town)),
        _zone("濠河风景名胜区", SECOND, "风景名胜区", shapely.union(town, fringe.difference(moat_outer))),
    ]

    honggang, langshan = geo.along(*INTAKES["长江洪港"]), geo.along(*INTAKES["长江狼山"])
    wetland = blob(geo.bank_point((honggang + langshan) / 2.0, BANK_OFFSET_M), 1200.0, seed=13)
    rows.append(_zone("老洪港湿地公园", SECOND, "湿地公园", wetland.intersection(city)))

    at = geo.along(121.77, 31.70)
    whole = geo.river_band(at - 10000.0, at + 10000.0, 5000.0).intersection(city)
    first = whole.intersection(
        shapely.union(
            geo.river_band(at - 7000.0, at - 1000.0, 2500.0), geo.river_band(at + 1000.0, at + 7000.0, 2500.0)
        )
    )
    rows += [
        _zone("启东长江口(北支)湿地省级自然保护区", FIRST, "自然保护区", first),
        _zone(
            "启东长江口(北支)湿地省级自然保护区",
            SECOND,
            "自然保护区",
            shapely.difference(whole, first, grid_size=GRID_M),
        ),
    ]

    canal = shapely.LineString(
        geo.to_metric(
            *np.array(
                [(120.90, 32.035), (121.00, 32.05), (121.10, 32.06), (121.25, 32.07), (121.40, 32.075), (121.55, 32.08)]
            ).T
        )
    )
    rows.append(_zone("通吕运河清水通道维护区", SECOND, "清水通道维护区", canal.buffer(300.0).intersection(city)))
    return _frame(rows, geo)


def marine_redline(geo: Geography) -> gpd.GeoDataFrame:
    """Marine red-line zones off the Rudong coast: a prohibited core and a restricted area each.

    Both reach at most :data:`COAST_BAND_M` onto land (reclaimed tidal flats),
    so coastal enterprises can fall inside; 小洋口's prohibited area straddles
    the coast, 蛎岈山's lies wholly at sea.
    """
    city = geo.city_m
    band = city.intersection(geo.coast_m.buffer(COAST_BAND_M))

    def sea_or_band(area: BaseGeometry) -> BaseGeometry:
        return shapely.union(area.difference(city), area.intersection(band))

    def seaward(lon: float, lat: float, distance_m: float) -> tuple[BaseGeometry, BaseGeometry]:
        seed = geo.point_m(lon, lat)
        coast = nearest_points(geo.coast_m, seed)[0]
        dx, dy = seed.x - coast.x, seed.y - coast.y
        n = np.hypot(dx, dy)
        return coast, shapely.Point(coast.x + dx / n * distance_m, coast.y + dy / n * distance_m)

    rows = []
    coast, off = seaward(121.05, 32.60, 2000.0)
    core = sea_or_band(coast.buffer(2000.0))
    rows += [
        _zone("小洋口国家级海洋公园", PROHIBITED, "海洋公园", core),
        _zone("小洋口国家级海洋公园", RESTRICTED, "海洋公园", sea_or_band(off.buffer(7000.0)).difference(core)),
    ]
    _, reef = seaward(121.25, 32.55, 3500.0)
    core = reef.buffer(1200.0).difference(city)
    rows += [
        _zone("蛎岈山牡蛎礁海洋特别保护区", PROHIBITED, "海洋特别保护区", core),
        _zone(
            "蛎岈山牡蛎礁海洋特别保护区",
            RESTRICTED,
            "海洋特别保护区",
            sea_or_band(reef.buffer(5000.0)).difference(core),
        ),
    ]
    return _frame(rows, geo)


def intake_points(geo: Geography) -> dict[str, BaseGeometry]:
    """The illustrative intakes, on the pack's bank line (metric)."""
    return {name: geo.bank_point(geo.along(lon, lat), BANK_OFFSET_M) for name, (lon, lat) in INTAKES.items()}


def water_source(geo: Geography) -> gpd.GeoDataFrame:
    """Drinking-water source protection zones: non-overlapping rings around each intake, clipped to Nantong.

    Rings of :data:`WATER_RINGS` (0-500 m first class, 500-1500 m second
    class, 1500-3000 m quasi-protection) around an intake on the bank; the
    parts across the provincial border (mid-river) are cut off.
    """
    rows = []
    intakes = intake_points(geo)
    reach = max(r for _, r in WATER_RINGS)
    for name, point in intakes.items():
        others = [p for n, p in intakes.items() if n != name]
        if any(point.distance(p) < 2 * reach for p in others):
            raise RuntimeError(f"intake {name} lies within {2 * reach:.0f} m of another; its zones would overlap")
        inner = None
        for zone, radius in WATER_RINGS:
            disk = point.buffer(radius, quad_segs=32).intersection(geo.city_m)
            rows.append(
                {
                    "水源地": name,
                    "级别": zone,
                    "说明": ILLUSTRATIVE,
                    "geometry": disk if inner is None else disk.difference(inner),
                }
            )
            inner = disk
    return _frame(rows, geo)
