"""Build the heavy benchmark pack and synthetic registries (示意数据, for benchmarks only).

The heavy pack reuses the demo pack's real county boundaries, riverside belt and land-use raster and
adds what a province-wide screening meets::

    eco_redline      1,400 zones  (一级/二级管控区)                \\
    water_source       450 zones  (一级/二级/准保护区)               } 2,000 polygons, 200-5,000 vertices
    marine_redline     150 zones  (禁止类/限制类, along the coast)  /  each, about 3 million in all
    sensitive       50,000 targets (60 % points, 40 % small polygons)

Registries are CSV (UTF-8, Chinese headers, GCJ-02 lon/lat as AMap gives them), written in chunks so
ten million rows never sit in memory; every chunk is drawn from its own seed, so the file is the same
whatever the chunk size. A few rows are broken on purpose (missing/swapped coordinates, duplicate USCCs,
points outside the city) so the global steps have work to do.

Usage::

    python scripts/make_heavy_pack.py PACK_DIR                 # the pack only
    python scripts/make_heavy_pack.py PACK_DIR --rows 1000000  # and PACK_DIR/registry_1000000.csv
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
import yaml
from pyproj import Transformer

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "layers" / "nantong"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(DEMO))  # the demo pack's builders: the registry columns are the demo registry's

from pack_registry import COLUMNS

from geo_screen.inputs.crs import wgs84_to_gcj02
from geo_screen.inputs.identifiers import USCC_ALPHABET, USCC_WEIGHTS

METRIC = "EPSG:4549"
ZONES = {"eco_redline": 1400, "water_source": 450, "marine_redline": 150}
N_SENSITIVE = 50_000
VERTICES = (200, 5000)
ROW_CHUNK = 250_000
INDUSTRIES = np.array(
    ["印染", "钢丝绳", "化工", "纺织", "机械", "电子", "水泥", "石灰", "氯碱", "汽车制造", "炼铁", "食品"]
)
EIA_VALUES_M = np.array([50, 50, 100, 100, 100, 150, 200, 200, 300, 500])
COUNTY_CODES = {
    "通州区": "320612",
    "崇川区": "320613",
    "海门区": "320614",
    "如东县": "320623",
    "启东市": "320681",
    "如皋市": "320682",
    "海安市": "320685",
}


def _counties() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO / "admin.gpkg", layer="counties", engine="pyogrio").to_crs(METRIC)


def _points_in(area, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points (x, y) inside ``area`` (metric)."""
    shapely.prepare(area)
    minx, miny, maxx, maxy = area.bounds
    out = []
    got = 0
    while got < n:
        x = rng.uniform(minx, maxx, 2 * (n - got) + 100)
        y = rng.uniform(miny, maxy, len(x))
        keep = shapely.contains_xy(area, x, y)
        out.append(np.column_stack([x[keep], y[keep]]))
        got += int(keep.sum())
    return np.concatenate(out)[:n]


def _star(cx: float, cy: float, radius: float, n: int, rng: np.random.Generator) -> shapely.Polygon:
    """A wobbly star-shaped polygon (always simple: one radius per angle) with ``n`` vertices."""
    theta = np.sort(rng.uniform(0, 2 * np.pi, n))
    theta[0] = 0.0
    k = rng.integers(2, 7, 3)
    phase = rng.uniform(0, 2 * np.pi, 3)
    r = radius * (
        1
        + 0.25 * np.sin(k[0] * theta + phase[0])
        + 0.1 * np.sin(k[1] * 3 * theta + phase[1])
        + 0.03 * np.sin(k[2] * 17 * theta + phase[2])
    )
    return shapely.Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


def _vertex_counts(n: int, rng: np.random.Generator) -> np.ndarray:
    lo, hi = VERTICES
    return (lo + (hi - lo) * rng.beta(1.1, 3.0, n)).astype(int)  # mean ~1,500 vertices


def build_pack(out: Path, *, seed: int = 2017) -> Path:
    """Write the heavy pack into ``out``; return its catalog path."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("admin.gpkg", "riverside_belt.gpkg", "landuse.tif", "sanitary_distances.csv"):
        shutil.copy(DEMO / name, out / name)
    counties = _counties()
    city = shapely.make_valid(counties.union_all())
    land = city.buffer(-300)
    coast = city.buffer(6000).difference(city.buffer(500))  # marine zones just off the coast

    layers = {}
    for layer, count in ZONES.items():
        area = coast if layer == "marine_redline" else land
        centres = _points_in(area, count, rng)
        vertices = _vertex_counts(count, rng)
        radius = rng.uniform(150, 900, count)
        geoms = [_star(x, y, r, v, rng) for (x, y), r, v in zip(centres, radius, vertices)]
        if layer == "eco_redline":
            attrs = {
                "名称": [f"生态红线区{i:04d}" for i in range(count)],
                "管控级别": rng.choice(["一级管控区", "二级管控区"], count, p=[0.3, 0.7]),
                "类型": rng.choice(["森林公园", "湿地公园", "清水通道维护区", "重要湿地"], count),
            }
        elif layer == "water_source":
            attrs = {
                "水源地": [f"水源地{i:04d}" for i in range(count)],
                "级别": rng.choice(["一级保护区", "二级保护区", "准保护区"], count, p=[0.2, 0.4, 0.4]),
            }
        else:
            attrs = {
                "名称": [f"海洋红线区{i:04d}" for i in range(count)],
                "管控级别": rng.choice(["禁止类", "限制类"], count),
                "类型": "海洋特别保护区",
            }
        frame = gpd.GeoDataFrame(attrs, geometry=geoms, crs=METRIC).to_crs("EPSG:4490")
        frame.to_file(out / f"{layer}.gpkg", engine="pyogrio")
        layers[layer] = int(shapely.get_num_coordinates(frame.geometry.to_numpy()).sum())

    # sensitive targets (homes, schools, hospitals) lie off the planned industrial land, as they do in a real city
    corners, size = _industrial_pixels()
    pts = _points_in(land, 2 * N_SENSITIVE, rng)
    col = np.floor((pts[:, 0] - corners[:, 0].min()) / size).astype(np.int64)
    row = np.floor((pts[:, 1] - corners[:, 1].min()) / size).astype(np.int64)
    industrial = set(
        zip(
            ((corners[:, 0] - corners[:, 0].min()) / size).round().astype(int),
            ((corners[:, 1] - corners[:, 1].min()) / size).round().astype(int),
        )
    )
    pts = pts[[(c, r) not in industrial for c, r in zip(col, row)]][:N_SENSITIVE]
    is_poly = rng.random(N_SENSITIVE) < 0.4
    geoms = shapely.points(pts)
    half = rng.uniform(40, 200, is_poly.sum())
    px, py = pts[is_poly].T
    geoms[is_poly] = shapely.box(px - half, py - half, px + half, py + half)
    category = np.where(is_poly, "居住区", rng.choice(["学校", "医院"], N_SENSITIVE))
    sensitive = gpd.GeoDataFrame(
        {"名称": [f"敏感目标{i:05d}" for i in range(N_SENSITIVE)], "类别": category}, geometry=geoms, crs=METRIC
    ).to_crs("EPSG:4490")
    sensitive.to_file(out / "sensitive.gpkg", engine="pyogrio")

    catalog = {
        "name": "重负载基准图层包（示意）",
        "coverage": "counties",
        "layers": [
            {
                "id": "counties",
                "kind": "admin_boundary",
                "path": "admin.gpkg",
                "layer": "counties",
                "fields": {"name": "县区", "code": "代码"},
            },
            {"id": "riverside", "kind": "riverside_belt", "path": "riverside_belt.gpkg", "fields": {"name": "名称"}},
            {
                "id": "eco_redline",
                "kind": "ecological_redline",
                "path": "eco_redline.gpkg",
                "fields": {"name": "名称", "level": "管控级别", "category": "类型"},
            },
            {
                "id": "marine_redline",
                "kind": "marine_redline",
                "path": "marine_redline.gpkg",
                "fields": {"name": "名称", "level": "管控级别", "category": "类型"},
            },
            {
                "id": "water_source",
                "kind": "water_source_protection",
                "path": "water_source.gpkg",
                "fields": {"name": "水源地", "zone": "级别"},
            },
            {
                "id": "sensitive",
                "kind": "sensitive_targets",
                "path": "sensitive.gpkg",
                "fields": {"name": "名称", "category": "类别"},
            },
            {
                "id": "landuse",
                "kind": "land_use_plan",
                "path": "landuse.tif",
                "industrial_classes": ["M1", "M2", "M3"],
                "classes": {1: "M1", 2: "M2", 3: "M3", 4: "R", 5: "G", 6: "E"},
            },
        ],
        "sanitary_distances": "sanitary_distances.csv",
    }
    path = out / "catalog.yaml"
    path.write_text(yaml.safe_dump(catalog, allow_unicode=True, sort_keys=False), "utf-8")
    (out / "vertices.txt").write_text("".join(f"{k} {v}\n" for k, v in layers.items()), "utf-8")
    return path


def _uscc(division: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """Valid USCCs '91' + division + 9-digit organisation code + check character."""
    body = np.char.add(np.char.add("91", division), np.char.zfill(serial.astype(str), 9))
    digits = np.frombuffer("".join(body).encode("ascii"), dtype=np.uint8).reshape(-1, 17)
    lookup = np.full(128, -1, dtype=np.int64)
    for i, ch in enumerate(USCC_ALPHABET):
        lookup[ord(ch)] = i
    check = (31 - (lookup[digits] @ np.array(USCC_WEIGHTS)) % 31) % 31
    return np.char.add(body, np.array(list(USCC_ALPHABET))[check])


def _industrial_pixels() -> tuple[np.ndarray, float]:
    """Lower-left corners (EPSG:4549) of the demo plan's industrial pixels (M1/M2/M3), and the pixel size."""
    import rasterio

    with rasterio.open(DEMO / "landuse.tif") as src:
        band, t = src.read(1), src.transform
    rows, cols = np.nonzero(np.isin(band, (1, 2, 3)))
    return np.column_stack([t.c + cols * t.a, t.f + (rows + 1) * t.e]), t.a


def registry_chunk(start: int, n: int, *, counties: gpd.GeoDataFrame, seed: int = 179) -> pa.Table:
    """Rows ``start`` .. ``start + n`` (0-based) of the synthetic registry, as a table of strings.

    85 % of the enterprises sit on planned industrial land (a random industrial pixel of the demo plan),
    the rest anywhere in the city, as real registries mix park and scattered enterprises.
    """
    rng = np.random.default_rng([seed, start])
    city = counties.union_all()
    corners, size = _industrial_pixels()
    xy = _points_in(city, n, rng)
    park = rng.random(n) < 0.85
    xy[park] = corners[rng.integers(0, len(corners), park.sum())] + rng.uniform(0, size, (park.sum(), 2))
    names = counties["县区"].to_numpy()
    county_idx = np.full(n, -1)
    for i, geom in enumerate(counties.geometry):
        shapely.prepare(geom)
        county_idx[(county_idx < 0) & shapely.contains_xy(geom, xy[:, 0], xy[:, 1])] = i
    county = np.where(county_idx >= 0, names[np.maximum(county_idx, 0)], "")
    lon, lat = Transformer.from_crs(METRIC, "EPSG:4490", always_xy=True).transform(xy[:, 0], xy[:, 1])
    lon, lat = wgs84_to_gcj02(lon, lat)
    lon_s, lat_s = np.char.mod("%.6f", lon), np.char.mod("%.6f", lat)
    row = start + np.arange(n)
    bad = rng.random(n)
    lon_s = np.where(bad < 0.002, "", lon_s)  # missing
    swap = (bad >= 0.002) & (bad < 0.003)  # swapped
    lon_s, lat_s = np.where(swap, lat_s, lon_s), np.where(swap, lon_s, lat_s)
    outside = (bad >= 0.003) & (bad < 0.004)  # across the river, Suzhou
    lon_s = np.where(outside, "120.55", lon_s)
    lat_s = np.where(outside, "31.85", lat_s)
    division = np.array([COUNTY_CODES.get(c, "320600") for c in names])[np.maximum(county_idx, 0)]
    serial = row.copy()
    dup = rng.random(n) < 0.001  # duplicate USCC of an earlier row
    serial[dup] = np.maximum(row[dup] - rng.integers(1, 5_000_000, dup.sum()), 0)
    uscc = _uscc(division, serial)
    uscc[dup] = _uscc(np.full(dup.sum(), "320612"), serial[dup])  # same code wherever the earlier row is
    uscc = np.where(rng.random(n) < 0.001, "", uscc)
    industry = rng.choice(INDUSTRIES, n)
    eia = np.where(rng.random(n) < 0.75, rng.choice(EIA_VALUES_M, n).astype(str), "")
    eia = np.where(np.isin(industry, ["水泥", "石灰", "氯碱", "汽车制造", "炼铁"]) & (rng.random(n) < 0.7), "", eia)
    grade = rng.choice(np.array(["A", "B", "C", "D", ""]), n, p=[0.19, 0.39, 0.35, 0.05, 0.02])

    def yes_no(p_yes: float) -> np.ndarray:
        u = rng.random(n)
        return np.where(u < p_yes, "是", np.where(u < 0.98, "否", ""))

    cols = {
        "统一社会信用代码": uscc,
        "企业名称": np.char.add("示意企业", row.astype(str)),
        "行业": industry,
        "地址": np.char.add(np.char.add("江苏省南通市", county), "示意路1号"),
        "经度": lon_s,
        "纬度": lat_s,
        "县（市、区）": county,
        "卫生防护距离": eia,
        "绩效等级": grade,
        "淘汰类装备": yes_no(0.03),
        "手续齐全": yes_no(0.93),
        "稳定达标排放": yes_no(0.92),
        "能耗超限额": yes_no(0.04),
        "重大安全隐患": yes_no(0.02),
        "长期停车": yes_no(0.03),
        "散乱污": yes_no(0.04),
        "严重环境违法": yes_no(0.015),
    }
    # division codes are the current counties': row serials make every code unique except the duplicates
    return pa.table({k: pa.array(cols[k].astype(object), type=pa.string()) for k in COLUMNS})


def write_registry(path: Path, rows: int, *, chunk: int = ROW_CHUNK) -> Path:
    """Write ``rows`` synthetic enterprises to ``path`` (UTF-8 CSV), chunk by chunk."""
    counties = _counties()
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    writer = None
    try:
        for start in range(0, rows, chunk):
            table = registry_chunk(start, min(chunk, rows - start), counties=counties)
            if writer is None:
                writer = pacsv.CSVWriter(str(path), table.schema, write_options=options)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder for the pack (and registries)")
    parser.add_argument("--rows", type=int, nargs="*", default=[], help="also write registry_<N>.csv for each N")
    parser.add_argument("--no-pack", action="store_true", help="only the registries")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    if not args.no_pack:
        catalog = build_pack(args.out)
        print(
            f"pack: {catalog} ({time.perf_counter() - t0:.1f} s); vertices: "
            + (args.out / "vertices.txt").read_text().replace("\n", " ")
        )
    for rows in args.rows:
        t1 = time.perf_counter()
        path = write_registry(args.out / f"registry_{rows}.csv", rows)
        print(f"registry: {path} ({path.stat().st_size / 1e6:.0f} MB, {time.perf_counter() - t1:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
