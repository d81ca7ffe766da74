"""Illustrative land of the demo pack: industrial parks, sensitive targets and the planned land-use raster.

示意数据，非官方. The parks carry the names of real Nantong development zones
at approximate places; their extents, the residential areas, schools and
hospitals, and the land-use plan are generated from them with a seeded random
generator. Residential areas are deliberately scattered around the parks too,
so the sanitary-protection-distance standard has hits in the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import rasterio.features
import rasterio.transform
import shapely
from pack_geography import ILLUSTRATIVE, Geography
from pack_zones import blob
from shapely.geometry.base import BaseGeometry

#: GB 50137-2011 classes of the land-use raster (value -> code); 0 is nodata outside the city
LANDUSE_CLASSES = {1: "M1", 2: "M2", 3: "M3", 4: "R", 5: "G", 6: "E"}
LANDUSE_VALUE = {code: value for value, code in LANDUSE_CLASSES.items()}
LANDUSE_PIXEL_M = 250.0
LANDUSE_CRS = "EPSG:4549"

#: industry mixes (industry -> weight); the registry draws each enterprise's industry from its park's mix
PROFILES: dict[str, dict[str, float]] = {
    "chemical": {"化工": 0.70, "氯碱": 0.06, "印染": 0.08, "机械": 0.06, "金属制品": 0.05, "电子": 0.05},
    "dyeing": {"印染": 0.55, "纺织": 0.35, "化工": 0.05, "机械": 0.05},
    "wire_rope": {"钢丝绳": 0.55, "金属制品": 0.20, "机械": 0.15, "化工": 0.05, "印染": 0.05},
    "general": {
        "机械": 0.25,
        "电子": 0.20,
        "汽车制造": 0.10,
        "金属制品": 0.10,
        "钢丝绳": 0.10,
        "印染": 0.10,
        "纺织": 0.10,
        "食品": 0.05,
    },
    "heavy": {"船舶": 0.35, "机械": 0.20, "水泥": 0.15, "金属制品": 0.10, "炼铁": 0.05, "石灰": 0.05, "化工": 0.10},
    #: enterprises outside any park
    "scattered": {
        "印染": 0.22,
        "钢丝绳": 0.16,
        "化工": 0.16,
        "纺织": 0.12,
        "机械": 0.10,
        "电子": 0.05,
        "金属制品": 0.05,
        "食品": 0.05,
        "船舶": 0.02,
        "汽车制造": 0.02,
        "水泥": 0.02,
        "石灰": 0.01,
        "氯碱": 0.01,
        "炼铁": 0.01,
    },
}


@dataclass(frozen=True)
class Park:
    """An industrial park: where the registry clusters its industry and the raster paints M land."""

    name: str
    lon: float
    lat: float
    radius_m: float
    land_class: str  #: M1 / M2 / M3
    profile: str  #: key of PROFILES
    weight: float  #: relative share of the registry's park enterprises


PARKS = (
    Park("南通经济技术开发区", 120.95, 31.92, 2500.0, "M1", "general", 1.2),
    Park("崇川经济开发区", 120.80, 32.06, 1800.0, "M1", "general", 0.7),
    Park("崇川滨江船舶工业区", 120.92, 31.86, 1600.0, "M2", "heavy", 0.5),
    Park("通州经济开发区", 121.08, 32.05, 2000.0, "M2", "wire_rope", 0.8),
    Park("通州川姜家纺印染集聚区", 121.04, 31.99, 1800.0, "M3", "dyeing", 0.9),
    Park("海门经济技术开发区", 121.17, 31.91, 2000.0, "M1", "general", 0.8),
    Park("海门三星印染集聚区", 121.32, 31.96, 1800.0, "M3", "dyeing", 0.8),
    Park("启东经济开发区", 121.67, 31.84, 2000.0, "M1", "general", 0.6),
    Park("启东吕四港化工园区", 121.57, 32.05, 2200.0, "M3", "chemical", 0.8),
    Park("如东洋口化工园区", 121.02, 32.56, 2000.0, "M3", "chemical", 0.7),
    Park("如东经济开发区", 121.20, 32.33, 1800.0, "M3", "dyeing", 0.6),
    Park("如皋港化工园区", 120.60, 32.05, 2000.0, "M3", "chemical", 0.8),
    Park("如皋经济技术开发区", 120.60, 32.36, 2000.0, "M2", "wire_rope", 0.8),
    Park("海安经济技术开发区", 120.47, 32.52, 2000.0, "M2", "wire_rope", 0.8),
)

#: urban centres (county seats): lon, lat, radius of the built-up area (m)
SEATS = {
    "320613": (120.86, 32.02, 4500.0),
    "320612": (121.07, 32.08, 3000.0),
    "320614": (121.18, 31.88, 3000.0),
    "320623": (121.19, 32.32, 3000.0),
    "320681": (121.66, 31.81, 3000.0),
    "320682": (120.57, 32.38, 3500.0),
    "320685": (120.46, 32.54, 3000.0),
}
#: towns and sub-districts per county (for names and addresses)
TOWNS = {
    "320612": ("金沙街道", "西亭镇", "二甲镇", "东社镇", "三余镇", "十总镇", "石港镇", "刘桥镇", "平潮镇", "川姜镇"),
    "320613": (
        "城东街道",
        "和平桥街道",
        "任港街道",
        "学田街道",
        "钟秀街道",
        "观音山街道",
        "狼山镇街道",
        "唐闸镇街道",
        "天生港镇街道",
        "秦灶街道",
    ),
    "320614": ("海门街道", "三厂街道", "常乐镇", "悦来镇", "四甲镇", "余东镇", "正余镇", "包场镇", "临江镇", "三星镇"),
    "320623": ("掘港街道", "城中街道", "大豫镇", "丰利镇", "栟茶镇", "洋口镇", "长沙镇", "岔河镇", "双甸镇", "马塘镇"),
    "320681": ("汇龙镇", "南阳镇", "北新镇", "王鲍镇", "合作镇", "海复镇", "近海镇", "寅阳镇", "惠萍镇", "吕四港镇"),
    "320682": (
        "如城街道",
        "城南街道",
        "城北街道",
        "东陈镇",
        "丁堰镇",
        "白蒲镇",
        "下原镇",
        "九华镇",
        "石庄镇",
        "长江镇",
    ),
    "320685": ("海安街道", "城东镇", "曲塘镇", "李堡镇", "角斜镇", "大公镇", "雅周镇", "南莫镇", "墩头镇", "白甸镇"),
}
_RESIDENTIAL_WORDS = (
    "阳光",
    "锦绣",
    "东方",
    "紫荆",
    "桃园",
    "文峰",
    "翠竹",
    "金色",
    "星湖",
    "滨江",
    "怡景",
    "和平",
    "幸福",
    "春晖",
    "丽都",
    "海棠",
    "新城",
    "世纪",
    "明珠",
    "银河",
    "枫林",
    "香榭",
    "书香",
    "水岸",
    "盛世",
    "长桥",
    "景瑞",
    "欣和",
    "瑞祥",
    "南苑",
    "北苑",
    "清水",
    "绿洲",
    "嘉禾",
    "万福",
    "育才",
    "城南",
    "城北",
    "江景",
    "海韵",
)
_RESIDENTIAL_SUFFIXES = ("花园", "小区", "新村", "家园", "苑", "名都", "公寓", "雅居")
_SCHOOL_KINDS = ("小学", "中学", "初级中学", "实验小学", "幼儿园", "高级中学")
_HOSPITAL_KINDS = ("人民医院", "中医院", "卫生院", "社区卫生服务中心", "妇幼保健院")


def park_centres(geo: Geography) -> list[BaseGeometry]:
    """Park centres in metres; each must lie on land (not in the river) or the build stops."""
    centres = [geo.point_m(p.lon, p.lat) for p in PARKS]
    for park, centre in zip(PARKS, centres):
        if not geo.land_m.contains(centre):
            raise RuntimeError(f"park {park.name} ({park.lon}, {park.lat}) is not on land; move it")
    return centres


def park_outlines(geo: Geography) -> list[BaseGeometry]:
    """Each park's extent: an irregular blob of its radius, on land."""
    return [
        blob(c, p.radius_m, seed=100 + i).intersection(geo.land_m)
        for i, (p, c) in enumerate(zip(PARKS, park_centres(geo)))
    ]


def sample_in(area: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points inside ``area`` (vectorised rejection sampling)."""
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    out: list[np.ndarray] = []
    while sum(len(o) for o in out) < n:
        x = rng.uniform(minx, maxx, 4 * n + 16)
        y = rng.uniform(miny, maxy, 4 * n + 16)
        out.append(shapely.points(x, y)[shapely.contains_xy(area, x, y)])
    return np.concatenate(out)[:n]


def scatter_around(
    centres: np.ndarray, sigma_m: np.ndarray, land: BaseGeometry, rng: np.random.Generator
) -> np.ndarray:
    """One point near each centre (Gaussian offset of ``sigma_m``), redrawn until it falls on ``land``."""
    xs, ys = shapely.get_x(centres), shapely.get_y(centres)
    sigma = np.broadcast_to(np.asarray(sigma_m, dtype=float), xs.shape)
    px = xs + rng.normal(0.0, sigma)
    py = ys + rng.normal(0.0, sigma)
    bad = ~shapely.contains_xy(land, px, py)
    while bad.any():
        px[bad] = xs[bad] + rng.normal(0.0, sigma[bad])
        py[bad] = ys[bad] + rng.normal(0.0, sigma[bad])
        bad = ~shapely.contains_xy(land, px, py)
    return shapely.points(px, py)


def _rectangles(centres: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A rotated rectangle (150-400 m a side) around each centre."""
    n = len(centres)
    w, h = rng.uniform(150.0, 400.0, n), rng.uniform(150.0, 400.0, n)
    angle = rng.uniform(0.0, np.pi / 2.0, n)
    corners = np.array([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)])
    cx, cy = shapely.get_x(centres)[:, None], shapely.get_y(centres)[:, None]
    dx, dy = corners[:, 0] * w[:, None], corners[:, 1] * h[:, None]
    x = cx + dx * np.cos(angle)[:, None] - dy * np.sin(angle)[:, None]
    y = cy + dx * np.sin(angle)[:, None] + dy * np.cos(angle)[:, None]
    return shapely.polygons(np.stack([x, y], axis=-1))


def _keep_apart(geoms: np.ndarray, gap_m: float) -> np.ndarray:
    """Indices of a greedy subset of ``geoms`` no two of which are closer than ``gap_m``."""
    kept: list[int] = []
    for i, g in enumerate(geoms):
        if not kept or shapely.distance(geoms[kept], g).min() >= gap_m:
            kept.append(i)
    return np.array(kept)


def _unique_names(rng: np.random.Generator, n: int, heads: list[str], tails: tuple[str, ...]) -> list[str]:
    pool = list(dict.fromkeys(h + t for h in heads for t in tails))
    return [pool[i] for i in rng.choice(len(pool), size=n, replace=False)]


def sensitive_targets(geo: Geography, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Residential areas (polygons), schools and hospitals (points), in metres.

    Most lie around the county seats; about one residential area in five and
    some schools sit 0.2-1.2 km outside a park's edge (the conflicts the
    sanitary-protection-distance standard is about).
    """
    seats = np.array([geo.point_m(lon, lat) for lon, lat, _ in SEATS.values()])
    seat_sigma = np.array([r for _, _, r in SEATS.values()]) * 0.8
    parks = np.array(park_centres(geo))
    park_reach = np.array([p.radius_m for p in PARKS])

    def around_seats(n: int) -> np.ndarray:
        pick = rng.integers(0, len(seats), n)
        return scatter_around(seats[pick], seat_sigma[pick], geo.land_m, rng)

    def near_parks(n: int) -> np.ndarray:
        pick = rng.integers(0, len(parks), n)
        angle = rng.uniform(0.0, 2.0 * np.pi, n)
        dist = park_reach[pick] + rng.uniform(200.0, 1200.0, n)
        pts = shapely.points(
            shapely.get_x(parks[pick]) + dist * np.cos(angle), shapely.get_y(parks[pick]) + dist * np.sin(angle)
        )
        return pts[shapely.contains(geo.land_m, pts)]

    homes = np.concatenate([around_seats(260), near_parks(80), sample_in(geo.land_m, 60, rng)])
    homes = _rectangles(homes, rng)
    homes = homes[_keep_apart(homes, 50.0)]
    schools = np.concatenate([around_seats(50), near_parks(20), sample_in(geo.land_m, 15, rng)])
    hospitals = np.concatenate([around_seats(30), sample_in(geo.land_m, 10, rng)])

    places = list(dict.fromkeys(t.removesuffix("街道").removesuffix("镇") for ts in TOWNS.values() for t in ts))
    names = (
        _unique_names(rng, len(homes), [*_RESIDENTIAL_WORDS, *places], _RESIDENTIAL_SUFFIXES)
        + _unique_names(rng, len(schools), places, _SCHOOL_KINDS)
        + _unique_names(rng, len(hospitals), places, _HOSPITAL_KINDS)
    )
    kinds = ["居住区"] * len(homes) + ["学校"] * len(schools) + ["医院"] * len(hospitals)
    geoms = np.concatenate([homes, schools, hospitals])
    return gpd.GeoDataFrame({"名称": names, "类别": kinds, "说明": ILLUSTRATIVE}, geometry=geoms, crs=geo.metric)


def landuse_raster(
    geo: Geography, sensitive: gpd.GeoDataFrame, green: list[BaseGeometry], rng: np.random.Generator
) -> tuple[np.ndarray, rasterio.Affine]:
    """The planned land-use map as a uint8 array and its transform (EPSG:4549, 250 m pixels).

    Painted in order: E (water/agriculture) over the city; R around the county
    seats, at ~60 towns and on every residential area; G on ``green`` (the
    parks and scenic areas of the red line); M1/M2/M3 on the industrial parks.
    """
    px = LANDUSE_PIXEL_M
    minx, miny, maxx, maxy = geo.city_m.bounds
    minx, miny = np.floor(minx / px) * px, np.floor(miny / px) * px
    maxx, maxy = np.ceil(maxx / px) * px, np.ceil(maxy / px) * px
    shape = (int(round((maxy - miny) / px)), int(round((maxx - minx) / px)))
    transform = rasterio.transform.from_origin(minx, maxy, px, px)

    seats = [blob(geo.point_m(lon, lat), r, seed=200 + i) for i, (lon, lat, r) in enumerate(SEATS.values())]
    towns = [
        blob(c, r, seed=300 + i)
        for i, (c, r) in enumerate(zip(sample_in(geo.land_m, 60, rng), rng.uniform(500.0, 900.0, 60)))
    ]
    homes = sensitive.geometry[sensitive["类别"] == "居住区"].to_numpy()
    layers = [
        ([geo.city_m], "E"),
        (seats + towns + list(homes), "R"),
        (green, "G"),
        *(([outline], park.land_class) for park, outline in zip(PARKS, park_outlines(geo))),
    ]
    shapes = [(g, LANDUSE_VALUE[code]) for geoms, code in layers for g in geoms if not g.is_empty]
    grid = rasterio.features.rasterize(shapes, out_shape=shape, transform=transform, fill=0, dtype="uint8")
    grid[rasterio.features.geometry_mask([geo.city_m], out_shape=shape, transform=transform)] = 0
    return grid, transform
