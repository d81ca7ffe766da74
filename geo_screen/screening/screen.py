"""The public screening API: registry + layer pack + rules -> ScreenResult, and writing a run's files."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from geo_screen import results as R
from geo_screen.inputs.crs import WORK_CRS
from geo_screen.inputs.registry import join_issues, mark_coverage, read_registry
from geo_screen.pack.catalog import Catalog, load_catalog
from geo_screen.screening import coded
from geo_screen.screening.manifest import run_manifest
from geo_screen.screening.rules import (
    RuleSet,
    attribute_standards,
    load_rules,
    overall_dispositions,
    spatial_dispositions,
)
from geo_screen.screening.spatial import screen_locations

Progress = Callable[[str], None]

_COUNTY_SUFFIXES = ("县", "市", "区")


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
    parts = [
        pd.factorize(pd.Series(col, dtype=object), use_na_sentinel=True)
        for col in (
            given.astype(object),
            columns["_location_county"].astype(object),
            columns["_location_county_code"].astype(object),
        )
    ]
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
    std = np.array([order.get(s, np.nan) for s in std.categories] + [np.nan], dtype=np.float64)[
        np.asarray(std.codes, dtype=np.int64)
    ]
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
        A path read with :func:`geo_screen.inputs.registry.read_registry`, or a frame it returned.
    catalog
        A ``catalog.yaml`` path or a loaded :class:`~geo_screen.pack.catalog.Catalog`.
    rules
        A rules YAML path or :class:`~geo_screen.screening.rules.RuleSet`; the shipped Nantong rules when None.
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
    started = datetime.now(UTC)
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
    extra = pd.DataFrame(
        {
            R.ISSUES: pd.array(
                join_issues(
                    [
                        _text_arrow(registry[R.ISSUES]) if R.ISSUES in registry else None,
                        _text_arrow(mismatch),
                        _text_arrow(columns["_near_edge"]),
                    ],
                    n,
                ),
                dtype="str",
            ),
            R.COUNTY: county,
            R.COUNTY_CODE: county_code,
        },
        index=registry.index,
    )
    measures = columns.drop(columns=[c for c in columns if c.startswith("_") or c.startswith("std_")])
    for col in measures.select_dtypes("float").columns:
        measures[col] = measures[col].round(2)
    enterprises = pd.concat([base.drop(columns="geometry"), extra, statuses, summary, measures], axis=1)
    enterprises = gpd.GeoDataFrame(enterprises, geometry=registry.geometry.to_numpy(), crs=registry.crs or WORK_CRS)
    hits = _evidence_table(evidence, registry)
    enterprises, hits = _text_dtypes(enterprises), _text_dtypes(hits)

    manifest = run_manifest(
        registry, catalog, ruleset, rules=rules, source=source, crs=crs, started=started, enterprises=enterprises
    )
    return R.ScreenResult(enterprises, hits, manifest)
