"""Writing a run's files: ``results.gpkg``, ``results.parquet``, ``results.xlsx`` and ``run.json``."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pyarrow.parquet as pq

from geo_screen import results as R
from geo_screen.errors import ExportError
from geo_screen.outputs.gpkg import (
    CHILD_WRITES_ALL,
    CHILD_WRITES_HITS,
    INLINE,
    BackgroundWrite,
    LayerJob,
    geometry_kinds,
    geoparquet_table,
    gpkg_plan,
    layer_beside,
    stage_ipc,
    write_gpkg_layer,
)
from geo_screen.outputs.provenance import manifest_for_output
from geo_screen.results import OUTPUT_CRS


def _layer_job(
    frame: gpd.GeoDataFrame, source: Path, layer: str, *, spatial_index: bool = True, remove: bool = False
) -> LayerJob:
    """The GeoPackage layer of ``frame``, once its :func:`~geo_screen.outputs.gpkg.geoparquet_table` is in ``source``."""
    types, has_z = geometry_kinds(frame.geometry.to_numpy())
    return LayerJob(str(source), layer, tuple(sorted(types)), has_z, frame.crs.to_wkt(), spatial_index, remove)


def _gpkg_in_background(
    enterprises: gpd.GeoDataFrame, hits: gpd.GeoDataFrame, table: pa.Table, tmp: Path, *, parquet: bool
) -> BackgroundWrite:
    """Both layers of ``results.gpkg`` written by a child process from files staged in ``tmp``.

    The enterprises are staged as ``results.parquet`` itself when that copy is wanted.
    """
    stage = tmp / R.PARQUET_NAME if parquet else stage_ipc(table, tmp / ".enterprises.arrow")
    if parquet:
        pq.write_table(table, stage)
    hits_stage = stage_ipc(geoparquet_table(hits), tmp / ".hits.arrow")
    return BackgroundWrite(
        tmp / R.GPKG_NAME,
        [
            _layer_job(enterprises, stage, R.ENTERPRISES_LAYER, remove=not parquet),
            _layer_job(hits, hits_stage, R.HITS_LAYER, spatial_index=False, remove=True),
        ],
    )


def write_results(
    result: R.ScreenResult, out_dir: str | Path, *, out_crs: str | None = None, excel: bool = True, parquet: bool = True
) -> list[Path]:
    """Write ``results.gpkg`` (enterprises, hits), ``results.parquet``, ``results.xlsx`` and ``run.json``.

    Files are written to a temporary folder beside ``out_dir`` and moved in place at the end, so an
    interrupted run never leaves half-written results.
    """
    from geo_screen.outputs.workbook import write_results_workbook

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"cannot create the output folder {out}: {err.strerror}; choose a writable --out") from err
    target = out_crs or OUTPUT_CRS
    enterprises, hits = result.enterprises, result.hits
    if target != OUTPUT_CRS:
        enterprises, hits = enterprises.to_crs(target), hits.to_crs(target)
    else:
        enterprises, hits = (
            enterprises.set_crs(OUTPUT_CRS, allow_override=True),
            hits.set_crs(OUTPUT_CRS, allow_override=True),
        )
    manifest = manifest_for_output({**result.manifest, "output": {"crs": target}})
    tmp = Path(tempfile.mkdtemp(prefix=".geo_screen-", dir=out))
    written = []
    try:
        gpkg = tmp / R.GPKG_NAME
        plan = gpkg_plan(len(enterprises) + len(hits), workbook=excel)
        if plan == CHILD_WRITES_ALL:
            with _gpkg_in_background(enterprises, hits, geoparquet_table(enterprises), tmp, parquet=parquet):
                write_results_workbook(result, tmp / R.XLSX_NAME)
            written += [R.GPKG_NAME] + ([R.PARQUET_NAME] if parquet else []) + [R.XLSX_NAME]
        else:
            with ExitStack() as stack:
                if (
                    plan == CHILD_WRITES_HITS
                ):  # staged first, so the child starts before the enterprises' table is built
                    hits_stage = stage_ipc(geoparquet_table(hits), tmp / ".hits.arrow")
                    stack.enter_context(
                        layer_beside(gpkg, _layer_job(hits, hits_stage, R.HITS_LAYER, spatial_index=False, remove=True))
                    )
                table = geoparquet_table(enterprises)
                # One Arrow table feeds both files. GDAL writes the GeoPackage holding the GIL; Arrow writes
                # Parquet without it: side by side they overlap. The table is built here, so no pyproj or GEOS
                # object is used in two threads at once.
                pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
                copy = pool.submit(pq.write_table, table, tmp / R.PARQUET_NAME) if parquet else None
                write_gpkg_layer(enterprises, gpkg, R.ENTERPRISES_LAYER, table=table)
                if plan == INLINE:
                    write_gpkg_layer(hits, gpkg, R.HITS_LAYER, spatial_index=False)
                if copy is not None:
                    copy.result()
            written += [R.GPKG_NAME] + ([R.PARQUET_NAME] if parquet else [])
            if excel:
                write_results_workbook(result, tmp / R.XLSX_NAME)
                written.append(R.XLSX_NAME)
        (tmp / R.MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
        written.append(R.MANIFEST_NAME)
        for name in written:
            os.replace(tmp / name, out / name)
    except OSError as err:
        raise ExportError(f"cannot write results to {out}: {err}; check free space and permissions") from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [out / name for name in written]
