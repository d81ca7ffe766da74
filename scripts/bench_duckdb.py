"""DuckDB spatial doing geo_screen's four spatial checks on equal terms: the registry CSV in, a Parquet file out.

    python scripts/bench_duckdb.py REGISTRY.csv PACK/catalog.yaml OUT.parquet

One process (benchmark.py times it and samples its memory): DuckDB reads the whole CSV, swaps longitude
and latitude where they are swapped, removes the GCJ-02 offset (three fixed-point steps of the published
forward formula, as geo_screen iterates it), keeps the points inside the pack's counties, projects to
EPSG:4549 and reads the pack's layers from their GeoPackages; then standards 3 (red-line zones), 4 (water
zones), 9 (riverside belt) as point-in-zone joins and 5 (closer to a sensitive target than the sanitary
distance: the registry's value when in (0, 5000] m, else the industry table's) as a distance join; it
writes one row per registry row with the four results. Prints one JSON line: seconds per step, hit counts.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import yaml

#: check -> the layer kinds it tests
CHECKS = {"3": ("ecological_redline", "marine_redline"), "4": ("water_source_protection",), "9": ("riverside_belt",)}
#: GCJ-02's forward offset (degrees) at lon/lat columns x, y: the published formula geo_screen.inputs.crs uses
_DLAT = (
    "(-100.0 + 2.0*u + 3.0*v + 0.2*v*v + 0.1*u*v + 0.2*sqrt(abs(u)) + (20.0*sin(6.0*u*pi()) + 20.0*sin(2.0*u*pi()))"
    "*2.0/3.0 + (20.0*sin(v*pi()) + 40.0*sin(v/3.0*pi()))*2.0/3.0 + (160.0*sin(v/12.0*pi()) + 320.0*sin(v*pi()/30.0))"
    "*2.0/3.0) * 180.0 / ((6378245.0*(1.0 - 0.00669342162296594323)) / (m*sqrt(m)) * pi())"
)
_DLON = (
    "(300.0 + u + 2.0*v + 0.1*u*u + 0.1*u*v + 0.1*sqrt(abs(u)) + (20.0*sin(6.0*u*pi()) + 20.0*sin(2.0*u*pi()))"
    "*2.0/3.0 + (20.0*sin(u*pi()) + 40.0*sin(u/3.0*pi()))*2.0/3.0 + (150.0*sin(u/12.0*pi()) + 300.0*sin(u/30.0*pi()))"
    "*2.0/3.0) * 180.0 / (6378245.0 / sqrt(m) * cos(radians(y)) * pi())"
)


def connect():
    import duckdb
    import duckdb_extension_spatial

    # the wheel ships the extension binary; LOAD takes its path (INSTALL would try to download it)
    extension = next(Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.duckdb_extension"))
    con = duckdb.connect()
    con.execute(f"LOAD '{extension}'")
    con.execute(f"SET threads = {os.cpu_count() or 1}")
    return con


def _layer(catalog: Path, layer: dict, *, to: str = "EPSG:4549") -> str:
    """SQL reading one catalog layer, projected to ``to``."""
    import pyogrio

    path = catalog.parent / layer["path"]
    name = layer.get("layer") or pyogrio.list_layers(path)[0][0]
    crs = pyogrio.read_info(path, layer=name)["crs"]
    return (
        f"SELECT ST_Transform(geom, '{crs}', '{to}', always_xy := true) AS geom "
        f"FROM ST_Read('{path}', layer := '{name}')"
    )


def main(argv=None) -> int:
    registry, catalog_path, out = (Path(a) for a in (argv or sys.argv[1:]))
    catalog = yaml.safe_load(catalog_path.read_text("utf-8"))
    layers = {layer["kind"]: layer for layer in catalog["layers"]}
    con, times, t = connect(), {}, time.perf_counter()

    def step(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name], t = round(now - t, 2), now

    con.execute(f"CREATE TABLE reg AS SELECT * FROM read_csv('{registry}', all_varchar = true, header = true)")
    con.execute(
        f"CREATE TABLE table5 AS SELECT trim(industry) AS industry, distance_m FROM "
        f"read_csv('{catalog_path.parent / catalog['sanitary_distances']}', header = true)"
    )
    step("read CSV")
    # lon/lat as numbers, swapped back where latitude > longitude (never so in China), then the offset removed
    con.execute("""CREATE TABLE raw AS SELECT rowid AS id, CASE WHEN a < b THEN b ELSE a END AS gx,
                   CASE WHEN a < b THEN a ELSE b END AS gy, trim(行业) AS industry,
                   TRY_CAST(卫生防护距离 AS DOUBLE) AS own
                   FROM (SELECT rowid, TRY_CAST(经度 AS DOUBLE) AS a, TRY_CAST(纬度 AS DOUBLE) AS b, 行业, 卫生防护距离
                   FROM reg) WHERE a IS NOT NULL AND b IS NOT NULL""")
    walk = "SELECT id, gx, gy, industry, own, gx AS x, gy AS y FROM raw"
    for _ in range(3):  # x <- x - (gcj(x) - g)
        walk = (
            f"SELECT id, gx, gy, industry, own, x - (x + {_DLON} - gx) AS x, y - (y + {_DLAT} - gy) AS y FROM "
            f"(SELECT *, x - 105.0 AS u, y - 35.0 AS v, 1.0 - 0.00669342162296594323*sin(radians(y))^2 AS m "
            f"FROM ({walk}))"
        )
    con.execute(f"""CREATE TABLE located AS SELECT id, industry, own, ST_Point(x, y) AS lonlat,
                    ST_Transform(ST_Point(x, y), 'EPSG:4490', 'EPSG:4549', always_xy := true) AS geom FROM ({walk})""")
    step("coordinates: swap, GCJ-02, project")
    # the coverage test in lon/lat, as geo_screen tests it (a point on a county's edge can move across it when
    # both are projected)
    con.execute(f"CREATE TABLE counties AS {_layer(catalog_path, layers['admin_boundary'], to='EPSG:4490')}")
    for check, kinds in {**CHECKS, "5": ("sensitive_targets",)}.items():
        union = " UNION ALL ".join(_layer(catalog_path, layers[k]) for k in kinds if k in layers)
        con.execute(f"CREATE TABLE l{check} AS {union}")
    step("read the pack's layers")
    con.execute("""CREATE TABLE pts AS SELECT l.id, l.geom, CASE WHEN l.own > 0 AND l.own <= 5000 THEN l.own
                   ELSE t.distance_m END AS req FROM located l LEFT JOIN table5 t USING (industry)
                   WHERE l.id IN (SELECT DISTINCT l.id FROM located l JOIN counties c
                   ON ST_Intersects(c.geom, l.lonlat))""")
    step("inside the counties, required distances")
    for check in CHECKS:
        con.execute(f"""CREATE TABLE h{check} AS SELECT DISTINCT p.id FROM pts p JOIN l{check} z
                        ON ST_Intersects(z.geom, p.geom)""")
        step(f"std {check}")
    # a per-row distance in ST_DWithin makes DuckDB fall back to a nested loop; the largest one as a constant
    # lets it plan a spatial join, and the per-row test follows
    reach = float(con.execute("SELECT max(req) FROM pts").fetchone()[0] or 0.0)
    con.execute(f"""CREATE TABLE h5 AS SELECT DISTINCT p.id FROM pts p JOIN l5 s ON ST_DWithin(p.geom, s.geom, {reach})
                    WHERE p.req IS NOT NULL AND ST_Distance(p.geom, s.geom) < p.req""")
    step("std 5")
    checks = ", ".join(f"r.rowid IN (SELECT id FROM h{c}) AS std_{int(c):02d}" for c in ("3", "4", "5", "9"))
    con.execute(
        f"COPY (SELECT r.rowid AS row, r.统一社会信用代码 AS enterprise_id, {checks} FROM reg r ORDER BY r.rowid) "
        f"TO '{out}' (FORMAT parquet)"
    )
    step("write Parquet")
    hits = {c: con.execute(f"SELECT count(*) FROM h{c}").fetchone()[0] for c in ("3", "4", "5", "9")}
    print(json.dumps({"times": times, "hits": hits}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
