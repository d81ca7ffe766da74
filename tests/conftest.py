"""Shared fixtures: a tiny layer pack with hand-placed zones, and registries placed in metres around it.

Everything is laid out in EPSG:4549 (CGCS2000 Gauss-Kruger CM 120E) metres relative to the domain
check point O = (120.86 E, 32.01 N) = (581256.63, 3543284.57), then written in several CRSs:

- counties 崇川区 x in [-5000, 0], 通州区 x in [0, 5000]; both y in [-5000, 5000] (GeoPackage, EPSG:4326)
- eco red line (GeoPackage, EPSG:4490): 甲森林公园 first-level, box [-3000,-2000]x[1000,2000] with a hole
  [-2700,-2300]x[1300,1700]; 乙湿地 second-level, a self-intersecting bow-tie with lobes either side of x=1500
- water source (Shapefile, EPSG:4549, GBK + .cpg): rings around an intake at (3000, -3000):
  一级保护区 box +-200 m, 二级保护区 box +-500 m minus it, 准保护区 box +-1000 m minus that
- riverside belt (GeoJSON holding GCJ-02 coordinates, declared `crs: gcj02`): y in [-5000, -4000]
- sensitive targets (GeoJSON, EPSG:4326): 甲小学 point (-1000, -1000); 乙小区 polygon [500,700]x[-1500,-1300]
- land-use plan (GeoTIFF, EPSG:4549, 100 m pixels): M2 everywhere except R in [-1000,0]x[3000,4000]
- sanitary distances: 水泥 500 m, 石灰 200 m (印染 has none)
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import yaml
from affine import Affine
from pyproj import Transformer

from geo_screen.inputs.crs import wgs84_to_gcj02
from geo_screen.inputs.identifiers import uscc_check_char

ORIGIN = (581256.63, 3543284.57)
TO_LONLAT = Transformer.from_crs("EPSG:4549", "EPSG:4490", always_xy=True)


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    """Longitude/latitude of the point ``dx``, ``dy`` metres from the origin."""
    lon, lat = TO_LONLAT.transform(ORIGIN[0] + dx, ORIGIN[1] + dy)
    return float(lon), float(lat)


def metric_box(x0, y0, x1, y1) -> shapely.Polygon:
    return shapely.box(ORIGIN[0] + x0, ORIGIN[1] + y0, ORIGIN[0] + x1, ORIGIN[1] + y1)


def metric_polygon(coords) -> shapely.Polygon:
    return shapely.Polygon([(ORIGIN[0] + x, ORIGIN[1] + y) for x, y in coords])


def _to_lonlat_geoms(geoms):
    return shapely.transform(
        np.asarray(geoms, dtype=object), lambda c: np.column_stack(TO_LONLAT.transform(c[:, 0], c[:, 1]))
    )


def build_tiny_pack(root: Path) -> Path:
    """Write the tiny pack described in this module's docstring; return its catalog path."""
    root.mkdir(parents=True, exist_ok=True)
    counties = gpd.GeoDataFrame(
        {"县区": ["崇川区", "通州区"], "代码": ["320613", "320612"]},
        geometry=_to_lonlat_geoms([metric_box(-5000, -5000, 0, 5000), metric_box(0, -5000, 5000, 5000)]),
        crs="EPSG:4326",
    )
    counties.to_file(root / "admin.gpkg", layer="counties", engine="pyogrio")

    park = shapely.Polygon(
        metric_box(-3000, 1000, -2000, 2000).exterior.coords, [metric_box(-2700, 1300, -2300, 1700).exterior.coords]
    )
    bowtie = metric_polygon([(1000, 1000), (2000, 2000), (2000, 1000), (1000, 2000)])
    eco = gpd.GeoDataFrame(
        {"名称": ["甲森林公园", "乙湿地"], "管控级别": ["一级管控区", "二级管控区"], "类型": ["森林公园", "湿地公园"]},
        geometry=_to_lonlat_geoms([park, bowtie]),
        crs="EPSG:4490",
    )
    eco.to_file(root / "eco_redline.gpkg", engine="pyogrio")

    first = metric_box(2800, -3200, 3200, -2800)
    second_box = metric_box(2500, -3500, 3500, -2500)
    quasi_box = metric_box(2000, -4000, 4000, -2000)
    water = gpd.GeoDataFrame(
        {"水源地": ["长江狼山", "长江狼山", "长江狼山"], "级别": ["一级保护区", "二级保护区", "准保护区"]},
        geometry=[first, second_box.difference(first), quasi_box.difference(second_box)],
        crs="EPSG:4549",
    )
    water.to_file(root / "water_source.shp", encoding="GBK", engine="pyogrio")

    belt = _to_lonlat_geoms([metric_box(-5000, -5000, 5000, -4000)])
    belt_gcj = shapely.transform(belt, lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1])))
    gpd.GeoDataFrame({"名称": ["沿江重点区"]}, geometry=belt_gcj, crs="EPSG:4326").to_file(
        root / "riverside_belt.geojson", engine="pyogrio"
    )

    sensitive = gpd.GeoDataFrame(
        {"名称": ["甲小学", "乙小区"], "类别": ["学校", "居住区"]},
        geometry=_to_lonlat_geoms(
            [shapely.Point(ORIGIN[0] - 1000, ORIGIN[1] - 1000), metric_box(500, -1500, 700, -1300)]
        ),
        crs="EPSG:4326",
    )
    sensitive.to_file(root / "sensitive.geojson", engine="pyogrio")

    band = np.full((100, 100), 2, dtype="uint8")  # rows from y=+5000 down to y=-5000, cols from x=-5000
    band[10:20, 40:50] = 4  # y in [3000, 4000], x in [-1000, 0]
    transform = Affine(100, 0, ORIGIN[0] - 5000, 0, -100, ORIGIN[1] + 5000)
    with rasterio.open(
        root / "landuse.tif",
        "w",
        driver="GTiff",
        width=100,
        height=100,
        count=1,
        dtype="uint8",
        crs="EPSG:4549",
        transform=transform,
        nodata=0,
    ) as ds:
        ds.write(band, 1)
    (root / "sanitary_distances.csv").write_text("industry,distance_m\n水泥,500\n石灰,200\n", "utf-8")

    catalog = {
        "name": "测试图层包",
        "coverage": "counties",
        "layers": [
            {
                "id": "counties",
                "kind": "admin_boundary",
                "path": "admin.gpkg",
                "layer": "counties",
                "fields": {"name": "县区", "code": "代码"},
            },
            {
                "id": "eco_redline",
                "kind": "ecological_redline",
                "path": "eco_redline.gpkg",
                "fields": {"name": "名称", "level": "管控级别", "category": "类型"},
            },
            {
                "id": "water_source",
                "kind": "water_source_protection",
                "path": "water_source.shp",
                "fields": {"name": "水源地", "zone": "级别"},
            },
            {
                "id": "riverside",
                "kind": "riverside_belt",
                "path": "riverside_belt.geojson",
                "crs": "gcj02",
                "fields": {"name": "名称"},
            },
            {
                "id": "sensitive",
                "kind": "sensitive_targets",
                "path": "sensitive.geojson",
                "fields": {"name": "名称", "category": "类别"},
            },
            {
                "id": "landuse",
                "kind": "land_use_plan",
                "path": "landuse.tif",
                "industrial_classes": ["M1", "M2", "M3"],
                "classes": {1: "M1", 2: "M2", 3: "M3", 4: "R"},
            },
        ],
        "sanitary_distances": "sanitary_distances.csv",
    }
    path = root / "catalog.yaml"
    path.write_text(yaml.safe_dump(catalog, allow_unicode=True, sort_keys=False), "utf-8")
    return path


RIVER_Y = -4800.0
BELT = {"id": "belt_1km", "kind": "riverside_belt", "from": "river", "distance_m": 1000}


def river_pack(root: Path, *, belt: dict | None = None, drop: tuple[str, ...] = ("riverside",)) -> Path:
    """The tiny pack with its drawn belt replaced by a river line ``river`` along y = -4800 m (x from -5000 to
    5000, EPSG:4549) and ``belt`` derived from it (default :data:`BELT`: 1,000 m either side)."""
    catalog = build_tiny_pack(root)
    line = shapely.LineString([(ORIGIN[0] - 5000, ORIGIN[1] + RIVER_Y), (ORIGIN[0] + 5000, ORIGIN[1] + RIVER_Y)])
    gpd.GeoDataFrame({"名称": ["长江"]}, geometry=[line], crs="EPSG:4549").to_file(root / "river.gpkg")
    doc = yaml.safe_load(catalog.read_text("utf-8"))
    doc["layers"] = [layer for layer in doc["layers"] if layer["id"] not in drop]
    doc["layers"].insert(1, {"id": "river", "kind": "river_line", "path": "river.gpkg", "fields": {"name": "名称"}})
    doc["layers"].append(dict(BELT if belt is None else belt))
    catalog.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return catalog


@pytest.fixture(scope="session")
def tiny_pack(tmp_path_factory) -> Path:
    """Catalog path of the tiny pack (built once per session)."""
    return build_tiny_pack(tmp_path_factory.mktemp("tiny_pack"))


#: hand-placed enterprises: (label, dx, dy, industry, EIA distance or None)
PLACES = [
    ("clear", -4000, 0, "水泥", None),
    ("eco_inside", -2900, 1500, "化工", None),
    ("eco_hole", -2500, 1500, "化工", None),
    ("eco_in_30m", -2970, 1500, "化工", None),
    ("eco_out_30m", -3030, 1500, "化工", None),
    ("bowtie_left", 1200, 1500, "化工", None),
    ("bowtie_right", 1800, 1500, "化工", None),
    ("water_first", 3000, -3000, "印染", 50),
    ("water_second", 2600, -3000, "印染", 50),
    ("water_quasi", 2200, -3000, "印染", 50),
    ("belt", -2000, -4500, "化工", None),
    ("sanitary_hit", -1000, -1450, "水泥", None),
    ("sanitary_clear", -1000, -1550, "水泥", None),
    ("eia_hit", -1000, -1080, "印染", 100),
    ("no_distance", -1000, -1080, "印染", None),
    ("residential_land", -500, 3500, "化工", None),
]


def usc(i: int, division: str = "320612") -> str:
    """A valid unified social credit code number ``i`` registered in ``division``."""
    body = f"91{division}{i:08d}X"[:17].replace("X", "0")
    return body + uscc_check_char(body)


def registry_frame(places=PLACES, *, offset: str | None = None) -> pd.DataFrame:
    """A registry table (Chinese headers) of ``places``; coordinates WGS84 or shifted to ``offset``."""
    lon, lat = np.array([lonlat(dx, dy) for _, dx, dy, _, _ in places]).T
    if offset == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    return pd.DataFrame(
        {
            "统一社会信用代码": [usc(i) for i in range(len(places))],
            "企业名称": [p[0] for p in places],
            "行业": [p[3] for p in places],
            "经度": np.round(lon, 9),
            "纬度": np.round(lat, 9),
            "卫生防护距离": [p[4] if p[4] is not None else "" for p in places],
            "绩效等级": "B",
            **dict.fromkeys(("淘汰类装备", "重大安全隐患", "长期停车", "散乱污", "严重环境违法", "能耗超限额"), "否"),
            "手续齐全": "是",
            "稳定达标排放": "是",
        }
    )


# --------------------------------------------------------------------------- the bundled demo, screened once


@pytest.fixture(scope="session")
def demo_result():
    """The bundled Nantong demo screened once (tests that read written documents back share it)."""
    from geo_screen import screen
    from geo_screen.pack.demo import demo_paths

    demo = demo_paths()
    return screen(demo["registry"], demo["catalog"], crs=demo["crs"])


@pytest.fixture(scope="session")
def demo_run(demo_result, tmp_path_factory):
    """The demo's results.gpkg, results.parquet, results.xlsx and run.json, written once."""
    from geo_screen import write_results

    out = tmp_path_factory.mktemp("demo_run")
    write_results(demo_result, out)
    return out


# --------------------------------------------------------------------------- the verification ledger's databases


def pg_binaries() -> Path | None:
    """The folder of a Debian PostgreSQL's initdb/pg_ctl (the newest installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL cluster on a free port; yields its base URL (``postgresql://user@host:port``)."""
    bindir = pg_binaries()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian package postgresql: /usr/lib/postgresql/*/bin/initdb)")
    root = Path(tempfile.mkdtemp(prefix="geo_screen_pg_"))
    data, port = root / "data", _free_port()
    as_user: list[str] = []
    user = "postgres"
    if os.geteuid() == 0:  # initdb refuses to run as root: run the cluster as the postgres system user
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL as an unprivileged user")
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        root.chmod(0o755)
    else:
        user = os.environ.get("USER") or "postgres"

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8", "--no-locale")
    run(
        str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
        "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
    )  # fmt: skip
    try:
        yield f"postgresql://{user}@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server):
    """A fresh database on the session's server."""
    import sqlalchemy as sa

    name = f"ledger_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(f"{pg_server.replace('postgresql://', 'postgresql+psycopg://')}/postgres")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return f"{pg_server}/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def ledger_target(request, tmp_path):
    """A ledger location on each backend: a SQLite file path, a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "ledger.sqlite"
    return request.getfixturevalue("pg_url")
