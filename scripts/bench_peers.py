"""The four spatial checks (standards 3, 4, 5, 9) in DuckDB spatial and in PostGIS, for benchmark.py.

Both peers get what geo_screen's reader produced: CGCS2000 lon/lat of every screenable enterprise
(they have no GCJ-02 conversion) with its required sanitary distance, and the pack's layers as
lon/lat WKB. Each projects to EPSG:4549 itself, then answers, per check, how many enterprises are
hit: inside a red-line zone (3), a water-source zone (4), the riverside belt (9), or closer to a
sensitive target than their sanitary distance (5). "Load" is reading those files into the engine
(PostGIS: and building GiST indexes); the checks are timed on their own.

PostGIS runs in a throwaway cluster (initdb in a temporary folder, unix socket only, as the
``postgres`` user) that is stopped and deleted afterwards.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

CHECKS = {
    "3": ("ecological_redline", "marine_redline"),
    "4": ("water_source_protection",),
    "9": ("riverside_belt",),
}


def export_inputs(registry_csv: Path, pack: Path, work: Path) -> dict:
    """Write points.parquet and one <kind>.parquet per check for the peers (not timed)."""
    from geo_screen import results as R
    from geo_screen.inputs.registry import read_registry
    from geo_screen.pack.catalog import load_catalog
    from geo_screen.screening.spatial import required_distances

    catalog = load_catalog(pack / "catalog.yaml")
    registry = read_registry(registry_csv, crs="gcj02", coverage=catalog.coverage)
    ok = registry[R.ROW_STATUS].isin(R.SCREENABLE_STATUSES).to_numpy()
    geoms = registry.geometry.to_numpy()[ok]
    required = required_distances(registry, catalog)[ok]
    pq.write_table(
        pa.table(
            {
                "id": registry[R.INPUT_ROW].to_numpy()[ok],
                "lon": shapely.get_x(geoms),
                "lat": shapely.get_y(geoms),
                "req": pa.array(required, from_pandas=True),
            }
        ),
        work / "points.parquet",
    )  # NaN -> null
    files = {}
    for check, kinds in {**CHECKS, "5": ("sensitive_targets",)}.items():
        layers = catalog.of_kind(*kinds)
        wkb = np.concatenate([shapely.to_wkb(layer.frame.geometry.to_numpy()) for layer in layers])
        path = work / f"check_{check}.parquet"
        pq.write_table(pa.table({"gid": np.arange(len(wkb)), "wkb": pa.array(wkb, type=pa.binary())}), path)
        files[check] = path
    return {"points": work / "points.parquet", "layers": files, "rows": int(ok.sum())}


# --------------------------------------------------------------------------- DuckDB


def duckdb_checks(inputs: dict) -> dict:
    """Load and run the checks in DuckDB spatial; returns times (s) and hit counts."""
    import duckdb
    import duckdb_extension_spatial

    # the wheel ships the extension binary; LOAD takes its path (INSTALL would try to download it)
    extension = next(Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.duckdb_extension"))
    con = duckdb.connect()
    con.execute(f"LOAD '{extension}'")
    con.execute(f"SET threads = {os.cpu_count() or 1}")
    out = {"times": {}, "hits": {}}
    t = time.perf_counter()
    con.execute(f"""CREATE TABLE pts AS SELECT id, req, ST_Transform(ST_Point(lon, lat), 'EPSG:4490', 'EPSG:4549',
                    always_xy := true) AS geom FROM read_parquet('{inputs["points"]}')""")
    for check, path in inputs["layers"].items():
        con.execute(f"""CREATE TABLE l{check} AS SELECT gid, ST_Transform(ST_GeomFromWKB(wkb), 'EPSG:4490',
                        'EPSG:4549', always_xy := true) AS geom FROM read_parquet('{path}')""")
    out["times"]["load"] = time.perf_counter() - t
    # a per-row distance in ST_DWithin makes DuckDB fall back to a nested loop (27 s for 10,000 rows);
    # with the largest distance as a constant it plans a SPATIAL_JOIN, and the per-row test follows
    reach = con.execute("SELECT max(req) FROM pts").fetchone()[0] or 0.0
    _time_checks(
        con,
        out,
        f"""SELECT count(DISTINCT p.id) FROM pts p JOIN l5 s ON ST_DWithin(p.geom, s.geom, {float(reach)})
                                WHERE p.req IS NOT NULL AND ST_Distance(p.geom, s.geom) < p.req""",
    )
    con.close()
    return out


def _time_checks(con, out: dict, sanitary_sql: str) -> None:
    """Run and time the four count queries on ``con`` (DuckDB or psycopg: both ``execute().fetchone()``).

    Standards 3, 4 and 9 are the same point-in-zone count in both engines; standard 5's query is the
    engine's own (``sanitary_sql``). Hits and seconds go into ``out``.
    """
    queries = {
        check: f"SELECT count(DISTINCT p.id) FROM pts p JOIN l{check} z ON ST_Intersects(z.geom, p.geom)"
        for check in ("3", "4", "9")
    }
    for check, sql in {**queries, "5": sanitary_sql}.items():
        t = time.perf_counter()
        out["hits"][check] = con.execute(sql).fetchone()[0]
        out["times"][check] = time.perf_counter() - t


# --------------------------------------------------------------------------- PostGIS


def _pg_bin() -> Path | None:
    for version in ("17", "16", "15"):
        path = Path(f"/usr/lib/postgresql/{version}/bin")
        if (path / "initdb").exists() and Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
            return path
    return None


def postgis_checks(inputs: dict, *, port: int = 55432) -> dict | None:
    """Start a throwaway PostGIS cluster, load, index, run the checks, stop it. None when PostGIS is missing."""
    import psycopg

    pg = _pg_bin()
    if pg is None:
        return None
    work = Path(tempfile.mkdtemp(prefix="geo_screen_pg_"))
    user = pwd.getpwnam("postgres")
    os.chown(work, user.pw_uid, user.pw_gid)
    data, sock = work / "data", work

    def as_postgres(*cmd):
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, cmd)], check=True, capture_output=True, text=True
        )

    as_postgres(pg / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
    as_postgres(
        pg / "pg_ctl",
        "-D",
        data,
        "-l",
        work / "log",
        "-w",
        "-o",
        f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
        "-c shared_buffers=1GB -c work_mem=256MB -c maintenance_work_mem=1GB "
        "-c max_parallel_workers_per_gather=2",
        "start",
    )
    try:
        out = {"times": {}, "hits": {}}
        with psycopg.connect(host=str(sock), port=port, user="postgres", dbname="postgres", autocommit=True) as con:
            con.execute("CREATE EXTENSION postgis")
            t = time.perf_counter()
            con.execute("CREATE UNLOGGED TABLE raw (id bigint, lon float8, lat float8, req float8)")
            _copy_csv(con, "COPY raw FROM STDIN (FORMAT csv, HEADER true)", pq.read_table(inputs["points"]))
            con.execute("""CREATE UNLOGGED TABLE pts AS SELECT id, req,
                           ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4490), 4549) AS geom FROM raw""")
            con.execute("CREATE INDEX ON pts USING gist (geom)")
            for check, path in inputs["layers"].items():
                layer = pq.read_table(path)
                hexed = pa.table({"gid": layer["gid"], "geom": pa.array([w.hex() for w in layer["wkb"].to_pylist()])})
                con.execute(f"CREATE UNLOGGED TABLE l{check} (gid int, geom geometry)")
                _copy_csv(con, f"COPY l{check} (gid, geom) FROM STDIN (FORMAT csv, HEADER true)", hexed)
                con.execute(f"UPDATE l{check} SET geom = ST_Transform(ST_SetSRID(geom, 4490), 4549)")
                con.execute(f"CREATE INDEX ON l{check} USING gist (geom)")
            con.execute("ANALYZE")
            out["times"]["load"] = time.perf_counter() - t
            _time_checks(
                con,
                out,
                """SELECT count(DISTINCT p.id) FROM pts p JOIN l5 s ON ST_DWithin(p.geom, s.geom, p.req)
                                       WHERE ST_Distance(p.geom, s.geom) < p.req""",
            )
        return out
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(pg / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            capture_output=True,
        )
        shutil.rmtree(work, ignore_errors=True)


def _copy_csv(con, sql: str, table: pa.Table) -> None:
    """Stream an Arrow table into COPY ... FROM STDIN as CSV (nulls as empty fields)."""
    import io

    import pyarrow.csv as pacsv

    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    with con.cursor().copy(sql) as copy:
        view = buffer.getbuffer()
        for lo in range(0, len(view), 8 << 20):
            copy.write(view[lo : lo + (8 << 20)])


def peer_table(ours: dict, peers: dict[str, dict]) -> pd.DataFrame:
    """Seconds per check and end to end, ours and each peer's, with the ratio peer / ours."""
    rows = []
    names = {
        "3": "std 3 red-line zones",
        "4": "std 4 water zones",
        "5": "std 5 sanitary distance",
        "9": "std 9 riverside belt",
    }
    for check in ("3", "4", "5", "9"):
        row = {"check": names[check], "geo_screen_s": ours["times"][check], "geo_screen_hits": ours["hits"][check]}
        for peer, result in peers.items():
            row[f"{peer}_s"] = result["times"][check]
            row[f"{peer}_hits"] = result["hits"][check]
            row[f"{peer}/geo_screen"] = result["times"][check] / ours["times"][check]
        rows.append(row)
    checks = ("3", "4", "5", "9")
    # geo_screen runs the four checks side by side in threads (as the peers' engines use every core): that wall time
    ours_four = ours["times"].get("together", sum(ours["times"][c] for c in checks))
    for label, with_load in (("four checks, load excluded", False), ("four checks + load", True)):
        row = {"check": label, "geo_screen_s": ours_four + (ours["times"]["load"] if with_load else 0)}
        for peer, result in peers.items():
            row[f"{peer}_s"] = sum(result["times"][c] for c in checks) + (result["times"]["load"] if with_load else 0)
            row[f"{peer}/geo_screen"] = row[f"{peer}_s"] / row["geo_screen_s"]
        rows.append(row)
    return pd.DataFrame(rows)
