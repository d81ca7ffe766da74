"""The public screening API: registry + layer pack + rules -> ScreenResult, and writing a run's files."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geo_screen import __version__
from geo_screen import coded
from geo_screen import results as R
from geo_screen.catalog import Catalog, file_sha256, load_catalog
from geo_screen.crs import OUTPUT_CRS, WORK_CRS, parse_crs
from geo_screen.errors import ExportError, InputDataError
from geo_screen.gpkg import (CHILD_WRITES_ALL, CHILD_WRITES_HITS, INLINE, BackgroundWrite, LayerJob, geometry_kinds,
                             geoparquet_table, gpkg_plan, layer_beside, stage_ipc, write_gpkg_layer)
from geo_screen.registry import join_issues, mark_coverage, read_registry
from geo_screen.rules import DEFAULT_RULES, RuleSet, attribute_standards, load_rules, overall_dispositions, spatial_dispositions
from geo_screen.metric import pack_metric_crs
from geo_screen.spatial import screen_locations

Progress = Callable[[str], None]

_REPO = Path(__file__).resolve().parent.parent
_COUNTY_SUFFIXES = ("县", "市", "区")


def demo_paths() -> dict[str, Path]:
    """Paths of the bundled Nantong demo: ``catalog``, ``registry`` and its ``crs`` (GCJ-02, as AMap gives it)."""
    pack = _REPO / "layers" / "nantong"
    paths = {"catalog": pack / "catalog.yaml", "registry": pack / "demo_registry.csv"}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        raise InputDataError(
            f"the bundled demo pack is missing ({', '.join(missing)}); run geo_screen from a checkout of the "
            "repository, or rebuild it with 'python layers/nantong/build.py'"
        )
    return {**paths, "crs": "gcj02"}


def _short_county(name: object) -> str | None:
    if name is None or (isinstance(name, float) and np.isnan(name)) or name is pd.NA:
        return None
    text = str(name).strip()
    return text[:-1] if len(text) > 2 and text.endswith(_COUNTY_SUFFIXES) else text


def _text_arrow(values) -> pa.Array:
    """Text values (a Series, a Categorical or an object array; missing allowed) as an Arrow string array."""
    if isinstance(values, pd.Categorical) or isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        values = coded.text(values)
    return pa.array(pd.Series(values, dtype="str").array, type=pa.large_string())


def _counties(registry: pd.DataFrame, columns: pd.DataFrame) -> tuple[pd.Categorical, pd.Categorical, pd.Categorical]:
    """County (the registry's when given, else the location's), its code, and mismatch warnings.

    Worked out once per distinct (registry county, location county, location code) combination.
    """
    n = len(registry)
    given = registry[R.COUNTY] if R.COUNTY in registry else pd.Series(None, index=registry.index, dtype=object)
    parts = [pd.factorize(pd.Series(col, dtype=object), use_na_sentinel=True) for col in
             (given.astype(object), columns["_location_county"].astype(object), columns["_location_county_code"].astype(object))]
    key = np.zeros(n, dtype=np.int64)
    for codes, uniques in parts:
        key = key * (len(uniques) + 1) + (codes + 1)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    value = [[None if c < 0 else u[c] for c in codes[first]] for codes, u in parts]
    g_raw, loc_name, loc_code = value
    g = [_short_county(v) for v in g_raw]
    loc = [_short_county(v) for v in loc_name]
    name_to_code = {short: code for short, code in zip(loc, loc_code) if short is not None and code is not None}
    county, code, warn = [], [], []
    for gi, li, raw, name, lc in zip(g, loc, g_raw, loc_name, loc_code):
        mismatch = gi is not None and li is not None and gi != li
        county.append(raw if raw is not None else name)
        code.append(name_to_code.get(gi) if mismatch or lc is None else lc)
        warn.append(f"county_mismatch:registry={raw},location={name}" if mismatch else "")
    inverse = inverse.reshape(-1)
    return coded.from_codes(inverse, county), coded.from_codes(inverse, code), coded.from_codes(inverse, warn)


def _evidence_table(evidence: pd.DataFrame, registry: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Evidence rows by registry row, standard, distance and layer, with the row's id, input_row and location."""
    order = {s: i for i, s in enumerate(R.STANDARDS)}
    std = coded.coded(evidence["standard"])
    std = np.array([order.get(s, np.nan) for s in std.categories] + [np.nan], dtype=np.float64)[np.asarray(std.codes, dtype=np.int64)]
    distance = pd.to_numeric(evidence["distance_m"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    layer_ids = coded.coded(evidence["layer_id"])
    rank = np.argsort(np.argsort(np.asarray(layer_ids.categories, dtype=str), kind="stable"))
    layer = np.append(rank, np.iinfo(np.int64).max)[np.asarray(layer_ids.codes, dtype=np.int64)]  # missing ids last
    pos = evidence["_pos"].to_numpy(dtype=np.int64)
    # np.lexsort is stable and puts NaN last, like DataFrame.sort_values(kind="stable", na_position="last")
    rows = np.lexsort((layer, distance, std, pos))
    pos = pos[rows]
    if R.ENTERPRISE_ID in registry:
        ids = registry[R.ENTERPRISE_ID].astype("str").array
        ids = pd.array(pa.array(ids, type=pa.large_string()).take(pa.array(pos)), dtype="str")
    else:
        ids = pd.array(np.full(len(pos), None, dtype=object), dtype="str")
    table = {R.ENTERPRISE_ID: ids, R.INPUT_ROW: registry[R.INPUT_ROW].to_numpy()[pos]}
    for col in R.HIT_COLUMNS[2:]:
        if col in ("distance_m", "required_m", "margin_m"):
            values = pd.to_numeric(evidence[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            table[col] = values[rows].round(2)
        else:
            table[col] = coded.text(coded.take(coded.coded(evidence[col]), rows))
    return gpd.GeoDataFrame(pd.DataFrame(table), geometry=registry.geometry.to_numpy()[pos], crs=registry.crs)


def _text_dtypes(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Coded and object columns holding only text (or nothing) as pandas' ``str`` dtype, so a column's dtype
    never depends on which rows a run holds (a chunk or partition where every value is missing included)."""
    for col in frame.columns:
        if col == frame.geometry.name:
            continue
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = coded.text(frame[col].array)
        elif frame[col].dtype == object and pd.api.types.infer_dtype(frame[col], skipna=True) in ("string", "empty"):
            frame[col] = frame[col].astype("str")
    return frame


def prepare_inputs(registry, catalog, *, rules=None, crs="EPSG:4326", progress: Progress | None = None):
    """Load what a screening needs: ``(registry frame, Catalog, RuleSet, registry path or None)``.

    A registry path is read (with the pack's coverage); a frame is checked against the coverage again,
    so every engine screens the same rows the same way.
    """
    catalog = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules)
    source = None
    if isinstance(registry, (str, os.PathLike)):
        source = Path(registry)
        if progress:
            progress(f"reading {source.name}")
        registry = read_registry(source, crs=crs, coverage=catalog.coverage)
    else:
        registry = mark_coverage(registry, catalog.coverage)
    return registry.reset_index(drop=True), catalog, ruleset, source


def screen(registry, catalog, *, rules=None, crs="EPSG:4326", progress: Progress | None = None) -> R.ScreenResult:
    """Screen every enterprise of ``registry`` against the layer pack ``catalog``.

    Parameters
    ----------
    registry
        A path read with :func:`geo_screen.registry.read_registry`, or a frame it returned.
    catalog
        A ``catalog.yaml`` path or a loaded :class:`~geo_screen.catalog.Catalog`.
    rules
        A rules YAML path or :class:`~geo_screen.rules.RuleSet`; the shipped Nantong rules when None.
    crs
        Coordinate system of a registry given as a path (anything pyproj accepts, ``gcj02``, ``bd09``).
    progress
        Called with a short message before each step. An object with a ``rows`` attribute gets the
        number of rows there once the registry is read (to show rows/s).

    Returns
    -------
    ScreenResult
        ``enterprises`` (every input row once, in input order), ``hits`` (evidence) and ``manifest``.
    """
    started = datetime.now(timezone.utc)
    say = progress or (lambda _msg: None)
    registry, catalog, ruleset, source = prepare_inputs(registry, catalog, rules=rules, crs=crs, progress=say)
    n = len(registry)
    if hasattr(progress, "rows"):  # a progress display that shows rows/s (the CLI's bars) learns the count
        progress.rows = n

    columns, spatial = screen_locations(registry, catalog, rules=ruleset, progress=say)
    say("standards 1, 2, 6, 7, 8, 10 and the extra rules from registry attributes")
    attr_status, attr_evidence = attribute_standards(registry, ruleset)
    evidence = coded.concat([attr_evidence, spatial_dispositions(spatial, ruleset)])
    statuses = pd.concat([attr_status, columns[[R.std_column(s) for s in R.SPATIAL_STANDARDS]]], axis=1)
    statuses = statuses[[R.std_column(s) for s in R.STANDARDS]]
    summary = overall_dispositions(statuses, evidence, ruleset, n)

    county, county_code, mismatch = _counties(registry, columns)
    base = registry.drop(columns=[c for c in (R.COUNTY, R.COUNTY_CODE, R.ISSUES) if c in registry])
    extra = pd.DataFrame({
        R.ISSUES: pd.array(join_issues([_text_arrow(registry[R.ISSUES]) if R.ISSUES in registry else None,
                                        _text_arrow(mismatch), _text_arrow(columns["_near_edge"])], n), dtype="str"),
        R.COUNTY: county, R.COUNTY_CODE: county_code,
    }, index=registry.index)
    measures = columns.drop(columns=[c for c in columns if c.startswith("_") or c.startswith("std_")])
    for col in measures.select_dtypes("float").columns:
        measures[col] = measures[col].round(2)
    enterprises = pd.concat([base.drop(columns="geometry"), extra, statuses, summary, measures], axis=1)
    enterprises = gpd.GeoDataFrame(enterprises, geometry=registry.geometry.to_numpy(), crs=registry.crs or WORK_CRS)
    hits = _evidence_table(evidence, registry)
    enterprises, hits = _text_dtypes(enterprises), _text_dtypes(hits)

    manifest = run_manifest(registry, catalog, ruleset, rules=rules, source=source, crs=crs, started=started,
                            enterprises=enterprises)
    return R.ScreenResult(enterprises, hits, manifest)


def run_manifest(registry, catalog: Catalog, ruleset: RuleSet, *, rules, source: Path | None, crs, started: datetime,
                 enterprises: pd.DataFrame, engine: dict | None = None) -> dict:
    """The ``run.json`` manifest of an in-memory screening run of ``registry``."""
    info = registry.attrs.get("registry", {})
    return build_manifest(catalog, ruleset, rules=rules, started=started, counts=run_counts(enterprises), engine=engine,
                          input_info={**info, "rows": len(registry),
                                      **({"path": str(source), "sha256": file_sha256(source)} if source else {})},
                          input_crs=parse_crs(crs).label if source else info.get("crs"))


def build_manifest(catalog: Catalog, ruleset: RuleSet, *, rules, input_info: dict, input_crs: str | None,
                   started: datetime, counts: dict, engine: dict | None = None) -> dict:
    """A run's provenance: tool, input, rules and pack file hashes, CRSs, options, layers used, engine, counts."""
    rules_path = Path(rules) if isinstance(rules, (str, os.PathLike)) else (DEFAULT_RULES if rules is None else None)
    finished = datetime.now(timezone.utc)
    return {
        "tool": "geo_screen", "version": __version__,
        "started": started.isoformat(timespec="seconds"), "finished": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds(), 3),
        "input": input_info,
        "rules": {"name": ruleset.name, "document": ruleset.document,
                  **({"path": str(rules_path), "sha256": file_sha256(rules_path)} if rules_path else {})},
        "catalog": {"name": catalog.name, "path": str(catalog.path), "files": catalog.file_hashes},
        "crs": {"input": input_crs, "metric": _crs_label(pack_metric_crs(catalog)), "output": OUTPUT_CRS},
        "options": {"near_edge_m": ruleset.near_edge_m, "search_radius_m": ruleset.search_radius_m,
                    "landuse_nonindustrial_share_max": ruleset.landuse_nonindustrial_share_max},
        "layers_used": layers_used(catalog),
        **({"engine": engine} if engine else {}),
        "counts": counts,
    }


#: layer kinds behind each spatial standard; a standard whose kinds are all missing is not assessed
STANDARD_KINDS = {
    "3": ("ecological_redline", "marine_redline", "land_use_plan"),
    "4": ("water_source_protection",),
    "5": ("sensitive_targets",),
    "9": ("riverside_belt",),
}


def layers_used(catalog: Catalog) -> dict[str, dict[str, list[str]]]:
    """Per spatial standard: the pack's layer ids of each kind behind it, and the kinds it lacks."""
    return {
        std: {"layers": [layer.id for layer in catalog.of_kind(*kinds)],
              "missing_kinds": [k for k in kinds if not catalog.of_kind(k)]}
        for std, kinds in STANDARD_KINDS.items()
    }


def _crs_label(crs) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.srs


def run_counts(enterprises: pd.DataFrame) -> dict:
    """Counts per row status, per standard result and per disposition (for the manifest and the CLI)."""
    return {
        "rows": int(len(enterprises)),
        "row_status": {k: int(v) for k, v in enterprises[R.ROW_STATUS].value_counts().items()},
        "standards": {s: {k: int(v) for k, v in enterprises[R.std_column(s)].value_counts().items()} for s in R.STANDARDS},
        "disposition": {k: int(v) for k, v in enterprises[R.DISPOSITION].value_counts().items()},
    }


def _layer_job(frame: gpd.GeoDataFrame, source: Path, layer: str, *, spatial_index: bool = True,
              remove: bool = False) -> LayerJob:
    """The GeoPackage layer of ``frame``, once its :func:`~geo_screen.gpkg.geoparquet_table` is in ``source``."""
    types, has_z = geometry_kinds(frame.geometry.to_numpy())
    return LayerJob(str(source), layer, tuple(sorted(types)), has_z, frame.crs.to_wkt(), spatial_index, remove)


def _gpkg_in_background(enterprises: gpd.GeoDataFrame, hits: gpd.GeoDataFrame, table: pa.Table, tmp: Path, *,
                        parquet: bool) -> BackgroundWrite:
    """Both layers of ``results.gpkg`` written by a child process from files staged in ``tmp``.

    The enterprises are staged as ``results.parquet`` itself when that copy is wanted.
    """
    stage = tmp / R.PARQUET_NAME if parquet else stage_ipc(table, tmp / ".enterprises.arrow")
    if parquet:
        pq.write_table(table, stage)
    hits_stage = stage_ipc(geoparquet_table(hits), tmp / ".hits.arrow")
    return BackgroundWrite(tmp / R.GPKG_NAME, [
        _layer_job(enterprises, stage, R.ENTERPRISES_LAYER, remove=not parquet),
        _layer_job(hits, hits_stage, R.HITS_LAYER, spatial_index=False, remove=True),
    ])


def write_results(result: R.ScreenResult, out_dir: str | Path, *, out_crs: str | None = None,
                  excel: bool = True, parquet: bool = True) -> list[Path]:
    """Write ``results.gpkg`` (enterprises, hits), ``results.parquet``, ``results.xlsx`` and ``run.json``.

    Files are written to a temporary folder beside ``out_dir`` and moved in place at the end, so an
    interrupted run never leaves half-written results.
    """
    from geo_screen.workbook import write_results_workbook

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
        enterprises, hits = enterprises.set_crs(OUTPUT_CRS, allow_override=True), hits.set_crs(OUTPUT_CRS, allow_override=True)
    manifest = {**result.manifest, "output": {"crs": target}}
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
                if plan == CHILD_WRITES_HITS:  # staged first, so the child starts before the enterprises' table is built
                    hits_stage = stage_ipc(geoparquet_table(hits), tmp / ".hits.arrow")
                    stack.enter_context(layer_beside(gpkg, _layer_job(hits, hits_stage, R.HITS_LAYER,
                                                                      spatial_index=False, remove=True)))
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
