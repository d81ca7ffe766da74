"""GeoPackage layers written by GDAL from Arrow record batches: one path for whole and chunked runs.

:func:`geoparquet_table` turns a results frame into a GeoParquet table whose schema does not depend on
the rows; :func:`write_gpkg_arrow` streams the record batches of such tables (made slice by slice from a run held
in memory, or read back from a chunked run's staged files) into a new GeoPackage layer through
``pyogrio.write_arrow``, typed the way pyogrio types a whole frame: one geometry type when the rows
have one, single and multi parts of a kind promoted to multi (a GeoPackage layer holds one of them),
``Unknown`` otherwise. GDAL writes every table of the file; nothing here edits one with SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj
import shapely

from geo_screen.errors import ExportError

#: GDAL configuration options while writing a GeoPackage (set for the write only, then restored): a 16 MB
#: SQLite page cache (GDAL's default is SQLite's ~2 MB; 128 MB writes no faster and holds 0.12 GB more), and neither
#: a rollback journal nor an fsync per transaction. Those protect a file against a crash midway; a run writes a new
#: file in a temporary folder, dropped unless the whole write succeeds. At 1M rows the enterprises layer takes
#: 7.4 s instead of 8.5 s with GDAL's defaults.
GPKG_WRITE_CONFIG = {"OGR_SQLITE_CACHE": "16", "OGR_SQLITE_SYNCHRONOUS": "OFF", "OGR_SQLITE_JOURNAL": "OFF"}
#: rows handed to GDAL at a time. GDAL holds a batch's features while it writes them: the GeoPackage child of a
#: 200,000-row run peaks at 0.37 GB with 16,384-row batches, at 0.66 GB with 65,536 (the same CPU time)
BATCH_ROWS = 16_384

_TYPE_NAMES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon"}
#: multi-part layer type -> (type id of its single parts, how to wrap one)
_PROMOTE = {
    "MultiPoint": (0, shapely.multipoints),
    "MultiLineString": (1, shapely.multilinestrings),
    "MultiPolygon": (3, shapely.multipolygons),
}


@contextmanager
def gdal_config(options: dict[str, str]):
    """Set GDAL configuration ``options`` (name -> value, e.g. ``{"OGR_SQLITE_SYNCHRONOUS": "OFF"}``; process-wide)
    for the duration of a block, then restore the previous values (an option that was unset is unset again)."""
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
    text = [pa.types.is_null(f.type) or pa.types.is_string(f.type) for f in table.schema]
    # a column that is all-missing in one chunk must not change type
    table = table.cast(pa.schema([pa.field(f.name, pa.large_string()) if t else f for f, t in zip(table.schema, text)]))
    wkb = pa.array(shapely.to_wkb(frame.geometry.to_numpy()), type=pa.binary())
    table = table.append_column(pa.field("geometry", pa.binary()), wkb)
    crs = frame.crs.to_json_dict() if frame.crs is not None else None
    column = {"encoding": "WKB", "geometry_types": [], "crs": crs}
    geo = {"version": "1.0.0", "primary_column": "geometry", "columns": {"geometry": column}}
    return table.replace_schema_metadata({**pandas_meta, b"geo": json.dumps(geo).encode("utf-8")})


def geometry_kinds(geoms: np.ndarray) -> tuple[set[int], bool]:
    """The shapely type ids present among ``geoms`` and whether any non-empty one has Z."""
    present = geoms[~shapely.is_missing(geoms)]
    has_z = bool(shapely.has_z(present[~shapely.is_empty(present)]).any())
    return set(pd.unique(shapely.get_type_id(present)).tolist()), has_z


def write_gpkg_arrow(
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    path: Path,
    layer: str,
    *,
    types: set[int],
    has_z: bool,
    crs,
    spatial_index: bool = True,
) -> None:
    """Write :func:`geoparquet_table` rows as a new GeoPackage layer, GDAL tuned by :data:`GPKG_WRITE_CONFIG`.

    Parameters
    ----------
    schema, batches
        The rows' schema and their record batches, streamed to GDAL.
    path, layer
        The GeoPackage (created when missing) and the new layer's name.
    types, has_z
        The geometry type ids and Z of all rows (:func:`geometry_kinds`): they decide the layer's type.
    crs
        Anything ``pyproj.CRS.from_user_input`` takes; an EPSG code is written as such.
    spatial_index
        False leaves out the R-tree: the ``hits`` layer repeats its enterprise's point once per piece of
        evidence and is read by enterprise, not by area (its R-tree would cost a third of its write time).
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
    schema = schema.remove_metadata()

    def prepared():
        for batch in batches:
            if promote is not None:
                geoms = shapely.from_wkb(batch.column("geometry").to_numpy(zero_copy_only=False))
                single_type, to_multi = _PROMOTE[promote]
                single = shapely.get_type_id(geoms) == single_type
                geoms[single] = [to_multi([g]) for g in geoms[single]]
                wkb = pa.array(shapely.to_wkb(geoms), type=pa.binary())
                batch = batch.set_column(batch.schema.get_field_index("geometry"), "geometry", wkb)
            yield batch.replace_schema_metadata(None)

    target = pyproj.CRS.from_user_input(crs)
    epsg = target.to_epsg()
    options = {} if spatial_index else {"layer_options": {"SPATIAL_INDEX": "NO"}}
    from pyogrio.errors import DataLayerError, DataSourceError

    with gdal_config(GPKG_WRITE_CONFIG):
        try:
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
        except (DataLayerError, DataSourceError) as err:  # GDAL's own errors for a full disk or a refused write
            raise ExportError(
                f"cannot write layer {layer!r} of {Path(path).name} ({err}); check free space and permissions "
                "of the output folder"
            ) from err
