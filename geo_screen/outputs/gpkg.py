"""Results as Arrow tables, and GeoPackage layers written from them (one path for whole and chunked runs).

:func:`geoparquet_table` turns a results frame into a GeoParquet table whose schema does not depend on
the rows; :func:`write_gpkg_arrow` writes such tables (or a stream of their record batches, as a
chunked run reads them back from its staged files) into a new GeoPackage layer through
``pyogrio.write_arrow``, typed the way pyogrio types a whole frame: one geometry type when the rows
have one, single and multi parts of a kind promoted to multi (a GeoPackage layer holds one of them),
``Unknown`` otherwise.

GDAL holds the GIL while it writes, so a thread cannot write a GeoPackage beside other Python work.
:class:`BackgroundWrite` writes layers from GeoParquet files in a child process instead
(``python -m geo_screen.outputs.gpkg``), while the caller writes the workbook or another layer:
:func:`layer_beside` has the child write one layer into a file of its own and moves it in after
(:func:`move_layer`: SQLite copies the rows, several times faster than GDAL writes them).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterable
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj
import shapely

#: from this many rows (enterprises + evidence) a child process takes part in writing the GeoPackage
#: (see :func:`gpkg_plan`): GDAL holds the GIL while it writes, and a child costs about a second to start
BACKGROUND_GPKG_ROWS = 200_000
#: :func:`gpkg_plan`'s answers
CHILD_WRITES_ALL, CHILD_WRITES_HITS, INLINE = "child writes all", "child writes hits", "inline"
#: GDAL settings while writing a GeoPackage: a 128 MB SQLite page cache (GDAL's default is SQLite's ~2 MB)
#: writes a million-row layer about 15 % faster
GPKG_WRITE_CONFIG = {"OGR_SQLITE_CACHE": "128"}

_TYPE_NAMES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon"}
#: multi-part layer type -> (type id of its single parts, how to wrap one)
_PROMOTE = {
    "MultiPoint": (0, shapely.multipoints),
    "MultiLineString": (1, shapely.multilinestrings),
    "MultiPolygon": (3, shapely.multipolygons),
}


@contextmanager
def gdal_config(options: dict[str, str]):
    """Set GDAL configuration options for the duration of a block, then restore the previous values."""
    import pyogrio

    previous = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def geoparquet_table(frame: gpd.GeoDataFrame) -> pa.Table:
    """A GeoParquet 1.0 table (WKB geometry) whose schema does not depend on the rows, so chunks can be appended.

    The ``geo`` metadata leaves out ``bbox`` and lists no ``geometry_types`` (both optional: "unknown"),
    since they would describe the first chunk only.
    """
    geometry = frame.geometry.name
    data = pd.DataFrame(frame.drop(columns=geometry))
    table = pa.Table.from_pandas(data, preserve_index=False)
    pandas_meta = table.schema.metadata or {}
    fields = []
    for field in table.schema:  # a column that is all-missing in one chunk must not change type
        fields.append(
            pa.field(field.name, pa.large_string())
            if pa.types.is_null(field.type) or pa.types.is_string(field.type)
            else field
        )
    table = table.cast(pa.schema(fields))
    wkb = pa.array(shapely.to_wkb(frame.geometry.to_numpy()), type=pa.binary())
    table = table.append_column(pa.field("geometry", pa.binary()), wkb)
    crs = frame.crs.to_json_dict() if frame.crs is not None else None
    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": [], "crs": crs}},
    }
    return table.replace_schema_metadata({**pandas_meta, b"geo": json.dumps(geo).encode("utf-8")})


def geometry_kinds(geoms: np.ndarray) -> tuple[set[int], bool]:
    """The shapely type ids present among ``geoms`` and whether any non-empty one has Z."""
    present = geoms[~shapely.is_missing(geoms)]
    return set(pd.unique(shapely.get_type_id(present)).tolist()), bool(
        shapely.has_z(present[~shapely.is_empty(present)]).any()
    )


def write_gpkg_arrow(
    data: pa.Table | Iterable[pa.RecordBatch],
    path: Path,
    layer: str,
    *,
    types: set[int],
    has_z: bool,
    crs,
    spatial_index: bool = True,
    schema: pa.Schema | None = None,
) -> None:
    """Write :func:`geoparquet_table` rows (a table, or record batches with ``schema``) as a new GeoPackage layer.

    ``types`` and ``has_z`` (from :func:`geometry_kinds`, over all rows) decide the layer's geometry type.
    """
    import pyogrio

    kinds = {_TYPE_NAMES.get(t, "Unknown") for t in types}
    geometry_type, promote = "Unknown", None
    if len(kinds) == 1:
        geometry_type = kinds.pop()
    elif len(kinds) == 2:
        multi = next((f"Multi{k}" for k in ("Point", "LineString", "Polygon") if kinds == {k, f"Multi{k}"}), None)
        if multi is not None:  # single parts become multi-parts
            geometry_type, promote = multi, multi
    if has_z and geometry_type != "Unknown":
        geometry_type += " Z"
    if isinstance(data, pa.Table):
        data, schema = data.to_batches(max_chunksize=65_536), data.schema
    schema = schema.remove_metadata()

    def prepared():
        for batch in data:
            if promote is not None:
                geoms = shapely.from_wkb(batch.column("geometry").to_numpy(zero_copy_only=False))
                single_type, to_multi = _PROMOTE[promote]
                single = shapely.get_type_id(geoms) == single_type
                geoms[single] = [to_multi([g]) for g in geoms[single]]
                batch = batch.set_column(
                    batch.schema.get_field_index("geometry"),
                    "geometry",
                    pa.array(shapely.to_wkb(geoms), type=pa.binary()),
                )
            yield batch.replace_schema_metadata(None)

    target = pyproj.CRS.from_user_input(crs)
    epsg = target.to_epsg()
    options = {} if spatial_index else {"layer_options": {"SPATIAL_INDEX": "NO"}}
    with gdal_config(GPKG_WRITE_CONFIG):
        pyogrio.write_arrow(
            pa.RecordBatchReader.from_batches(schema, prepared()),
            path,
            layer=layer,
            driver="GPKG",
            geometry_name="geometry",
            geometry_type=geometry_type,
            crs=f"EPSG:{epsg}" if epsg else target.to_wkt("WKT1_GDAL"),
            **options,
        )


def write_gpkg_layer(
    frame: gpd.GeoDataFrame, path: Path, layer: str, *, spatial_index: bool = True, table: pa.Table | None = None
) -> None:
    """Write one results frame as a new GeoPackage layer, with column types that do not depend on the rows.

    Text columns are written as text even when every value of this frame is missing, so a run's layer
    has the same definition whichever rows it holds. ``spatial_index=False`` leaves out the R-tree: the
    ``hits`` layer repeats its enterprise's point once per piece of evidence and is read by enterprise,
    not by area (its R-tree would cost a third of its write time). ``table``: the frame's
    :func:`geoparquet_table`, when the caller has it already.
    """
    table = geoparquet_table(frame) if table is None else table
    types, has_z = geometry_kinds(frame.geometry.to_numpy())
    write_gpkg_arrow(table, path, layer, types=types, has_z=has_z, crs=frame.crs, spatial_index=spatial_index)


def gpkg_plan(rows: int, *, workbook: bool) -> str:
    """How a run with ``rows`` rows (enterprises + evidence) writes ``results.gpkg``, in memory or chunked.

    :data:`CHILD_WRITES_ALL`: a child process writes both layers while this one writes the workbook;
    :data:`CHILD_WRITES_HITS`: a child writes the evidence layer beside while this process writes the
    enterprises (:func:`layer_beside`); :data:`INLINE`: small runs write both here.
    """
    if rows < BACKGROUND_GPKG_ROWS:
        return INLINE
    return CHILD_WRITES_ALL if workbook else CHILD_WRITES_HITS


@dataclass(frozen=True)
class LayerJob:
    """One GeoPackage layer to write from a file of :func:`geoparquet_table` rows: GeoParquet, or an Arrow IPC
    file (``.arrow``: written and read back at memory speed, for rows staged only to be handed over).

    ``types`` and ``has_z`` describe all its rows (:func:`geometry_kinds`); ``remove`` deletes the
    file once the layer is written (a staging file, not an output).
    """

    source: str
    layer: str
    types: tuple[int, ...]
    has_z: bool
    crs: str
    spatial_index: bool = True
    remove: bool = False


def stage_ipc(table: pa.Table, path: Path) -> Path:
    """Write ``table`` as an uncompressed Arrow IPC file for a :class:`LayerJob` (batches of 65,536 rows)."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=65_536)
    return path


@contextmanager
def _staged_batches(source: str):
    """``(record batches, schema)`` of a :class:`LayerJob` source, read a batch at a time."""
    if source.endswith(".arrow"):
        with pa.OSFile(source) as file:  # not a memory map: that would stay resident
            reader = pa.ipc.open_file(file)
            yield (reader.get_batch(i) for i in range(reader.num_record_batches)), reader.schema
    else:
        import pyarrow.parquet as pq

        with closing(pq.ParquetFile(source)) as parquet:
            yield parquet.iter_batches(batch_size=65_536), parquet.schema_arrow


def write_layers(gpkg: str | Path, jobs: Iterable[LayerJob]) -> None:
    """Write each job's rows as a new layer of ``gpkg``, streamed in record batches."""
    for job in jobs:
        with _staged_batches(job.source) as (batches, schema):
            write_gpkg_arrow(
                batches,
                Path(gpkg),
                job.layer,
                types=set(job.types),
                has_z=job.has_z,
                crs=job.crs,
                spatial_index=job.spatial_index,
                schema=schema,
            )
        if job.remove:
            Path(job.source).unlink()


class BackgroundWrite:
    """:func:`write_layers` in a child Python process; :meth:`wait` for it (ExportError if it failed).

    The child gets the jobs as JSON on its command line and finds ``geo_screen`` where this process
    found it. Use as a context manager: leaving the block early (an error, Ctrl-C) stops the child.
    """

    def __init__(self, gpkg: str | Path, jobs: Iterable[LayerJob]):
        import tempfile

        self.gpkg = Path(gpkg)
        spec = json.dumps({"gpkg": str(self.gpkg), "jobs": [asdict(job) for job in jobs]}, ensure_ascii=False)
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        self.errors = tempfile.TemporaryFile()  # not a pipe: a chatty child can never block on it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "geo_screen.outputs.gpkg", spec],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.errors,
        )

    def wait(self) -> None:
        from geo_screen.errors import ExportError

        if self.process.wait() != 0:
            self.errors.seek(0)
            lines = [line for line in self.errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
            raise ExportError(
                f"writing {self.gpkg.name} failed: {lines[-1] if lines else 'the writer stopped'}; "
                "check free space and permissions"
            )

    def __enter__(self) -> BackgroundWrite:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.wait()
            elif self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        finally:
            self.errors.close()


@contextmanager
def layer_beside(gpkg: Path, job: LayerJob):
    """A child process writes ``job``'s layer while the block writes other layers into ``gpkg``; then it is moved in.

    The layer comes after the block's layers in ``gpkg``. It must have no spatial index (see :func:`move_layer`).
    """
    side = gpkg.with_name(f".{job.layer}-{gpkg.name}")
    with BackgroundWrite(side, [job]):
        yield
    move_layer(side, gpkg, job.layer)
    side.unlink()


def move_layer(source: Path, target: Path, layer: str) -> None:
    """Copy layer ``layer`` of GeoPackage ``source`` into GeoPackage ``target`` as GDAL defined it there.

    Its table and triggers are created from their definitions in ``source`` and its rows copied by SQLite;
    its rows of ``gpkg_contents``, ``gpkg_geometry_columns``, ``gpkg_ogr_contents`` (GDAL's feature count)
    and its CRS come along. A layer with an extension (a spatial index: its R-tree triggers call GDAL's
    SQL functions) is refused, as is a CRS id that ``target`` uses for another CRS.
    """
    with closing(sqlite3.connect(target, isolation_level=None)) as con:
        con.execute("ATTACH DATABASE ? AS side", (str(source),))
        try:
            con.execute("BEGIN")
            tables = {
                schema: {
                    name for (name,) in con.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")
                }
                for schema in ("main", "side")
            }
            if (
                "gpkg_extensions" in tables["side"]
                and con.execute("SELECT count(*) FROM side.gpkg_extensions WHERE table_name = ?", (layer,)).fetchone()[
                    0
                ]
            ):
                raise ValueError(
                    f"layer {layer} has GeoPackage extensions (a spatial index?): cannot be moved by SQLite"
                )
            objects = con.execute(
                "SELECT type, sql FROM side.sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
                "ORDER BY type = 'table' DESC",
                (layer,),
            ).fetchall()
            con.execute(objects[0][1])  # the table (created in main: unqualified names resolve there first)
            quoted = '"' + layer.replace('"', '""') + '"'
            con.execute(f"INSERT INTO main.{quoted} SELECT * FROM side.{quoted}")
            srs = "(SELECT srs_id FROM side.gpkg_geometry_columns WHERE table_name = ?)"
            clash = con.execute(
                f"SELECT count(*) FROM side.gpkg_spatial_ref_sys s JOIN main.gpkg_spatial_ref_sys m "
                f"USING (srs_id) WHERE srs_id IN {srs} AND s.definition IS NOT m.definition",
                (layer,),
            ).fetchone()[0]
            if clash:
                raise ValueError(f"layer {layer}: its CRS id is another CRS in {target.name}")
            con.execute(
                f"INSERT OR IGNORE INTO main.gpkg_spatial_ref_sys SELECT * FROM side.gpkg_spatial_ref_sys "
                f"WHERE srs_id IN {srs}",
                (layer,),
            )
            for table in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_ogr_contents"):
                if table == "gpkg_ogr_contents" and table not in tables["main"] & tables["side"]:  # GDAL's, optional
                    continue
                con.execute(f"INSERT INTO main.{table} SELECT * FROM side.{table} WHERE table_name = ?", (layer,))
            for _, sql in objects[1:]:  # indexes and triggers, after the rows (the feature count is copied)
                con.execute(sql)
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.execute("DETACH DATABASE side")


def _main(argv: list[str]) -> int:
    from geo_screen.runtime import tune_arrow_memory

    tune_arrow_memory()
    spec = json.loads(argv[0])
    write_layers(spec["gpkg"], [LayerJob(**{**job, "types": tuple(job["types"])}) for job in spec["jobs"]])
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
