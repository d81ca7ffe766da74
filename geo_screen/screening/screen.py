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

from geo_screen import coded
from geo_screen import results as R
from geo_screen.grading.join import apply_grades
from geo_screen.inputs.crs import WORK_CRS
from geo_screen.inputs.registry import join_issues, mark_coverage, read_registry
from geo_screen.pack.catalog import Catalog, load_catalog
from geo_screen.pack.metric import release_metric_layers
from geo_screen.runtime import return_freed_memory
from geo_screen.screening.dispositions import (
    ESCALATION,
    LABEL,
    attribute_standards,
    check_basis,
    overall_dispositions,
    scoped,
    settled_evidence,
    spatial_dispositions,
)
from geo_screen.screening.manifest import run_manifest
from geo_screen.screening.rules import RuleSet, load_rules
from geo_screen.screening.spatial import screen_locations
from geo_screen.screening.verified import (
    cleared,
    facts_by_row,
    failed_by_finding,
    ledger_columns,
    marked_evidence,
    moved_to_fixed_location,
    overruled,
    untrue_tokens,
)

Progress = Callable[[str], None]

_COUNTY_SUFFIXES = ("县", "市", "区")


def _short_county(name: object) -> str | None:
    if name is None or (isinstance(name, float) and np.isnan(name)) or name is pd.NA:
        return None
    text = str(name).strip()
    return text[:-1] if len(text) > 2 and text.endswith(_COUNTY_SUFFIXES) else text


def _counties(registry: pd.DataFrame, columns: pd.DataFrame) -> tuple[pd.Categorical, pd.Categorical, pd.Categorical]:
    """Each row's county, the county's code, and a ``county_mismatch`` warning.

    The county is the registry's own when it gives one, else the county whose boundary holds the location;
    where both are known and differ, the registry's county is kept, its code looked up by name, and the row
    warned. Worked out once per distinct (registry county, location county, location code) combination.
    """
    given = registry[R.COUNTY] if R.COUNTY in registry else pd.Series(None, index=registry.index, dtype=object)
    keys = pd.DataFrame(
        {
            "given": given.to_numpy(dtype=object),
            "name": columns["_location_county"].to_numpy(dtype=object),
            "code": columns["_location_county_code"].to_numpy(dtype=object),
        }
    )
    combination = keys.groupby(list(keys.columns), dropna=False, sort=False).ngroup().to_numpy()
    # one (registry county, location county, location code) per combination, in the order of the group numbers
    distinct = [tuple(None if pd.isna(v) else v for v in row) for row in keys.drop_duplicates().itertuples(index=False)]
    name_to_code = {_short_county(name): code for _, name, code in distinct if name is not None and code is not None}
    county, code, warn = [], [], []
    for given_name, location_name, location_code in distinct:
        given_short, location_short = _short_county(given_name), _short_county(location_name)
        mismatch = given_short is not None and location_short is not None and given_short != location_short
        county.append(given_name if given_name is not None else location_name)
        code.append(name_to_code.get(given_short) if mismatch or location_code is None else location_code)
        warn.append(f"county_mismatch:registry={given_name},location={location_name}" if mismatch else "")
    return tuple(coded.from_codes(combination, labels) for labels in (county, code, warn))


def _evidence_order(evidence: pd.DataFrame) -> np.ndarray:
    """Positions of the evidence rows sorted by registry row, standard (in :data:`R.STANDARDS` order), distance
    and layer id, missing distances and ids last (and a standard not among :data:`R.STANDARDS`).

    The text keys are sorted as ranks of their few distinct values, so a million rows sort as numbers.
    """
    standard, layer = coded.coded(evidence["standard"]), coded.coded(evidence["layer_id"])
    standard_rank = np.array(
        [R.STANDARDS.index(s) if s in R.STANDARDS else len(R.STANDARDS) for s in standard.categories]
        + [len(R.STANDARDS)]
    )
    layer_rank = np.empty(len(layer.categories) + 1, dtype=np.int64)
    layer_rank[np.argsort(np.asarray(layer.categories, dtype=object), kind="stable")] = np.arange(len(layer.categories))
    layer_rank[-1] = len(layer.categories)  # code -1 (missing) picks the last
    distance = pd.to_numeric(evidence["distance_m"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.lexsort(
        (
            layer_rank[np.asarray(layer.codes)],
            distance,
            standard_rank[np.asarray(standard.codes)],
            evidence["_pos"].to_numpy(dtype=np.int64),
        )
    )


def _evidence_table(evidence: pd.DataFrame, registry: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Evidence rows by registry row, standard, distance and layer, with the row's id, input_row and location."""
    rows = _evidence_order(evidence)
    pos = evidence["_pos"].to_numpy(dtype=np.int64)[rows]
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


def screen(
    registry,
    catalog,
    *,
    rules=None,
    crs="EPSG:4326",
    grades=None,
    verified: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> R.ScreenResult:
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
    grades
        Computed performance grades (``grades.csv`` of ``geo-screen grade``, or the
        :class:`~geo_screen.grading.evaluate.Grades` of :func:`geo_screen.grade`): they fill
        ``performance_grade`` where the registry has none (a registry grade wins; a disagreement is an
        ``issues`` warning ``grade_disagrees:registry=X,computed=Y``) and add ``grade_score`` and ``grade_rank``.
    verified
        What the ledger says about each enterprise (:func:`geo_screen.ledger.facts.ledger_facts`; the columns
        :data:`~geo_screen.results.FACT_COLUMNS`): the results then carry ``verification``,
        ``decided_disposition``, ``decision_doc``, ``due_date``, ``overdue`` and ``lon_original``/``lat_original``,
        and the findings act as :mod:`geo_screen.screening.verified` says. ``geo_screen.screen(..., ledger=)``
        builds it from a ledger.
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
    loaded_here = not isinstance(catalog, Catalog)
    registry, catalog, ruleset, source = prepare_inputs(registry, catalog, rules=rules, crs=crs, progress=say)
    if grades is not None:
        say("joining the computed performance grades")
        registry = apply_grades(registry, grades)
    n = len(registry)
    if hasattr(progress, "rows"):  # a progress display that shows rows/s (the CLI's bars) learns the count
        progress.rows = n

    facts, moved = None, None
    if verified is not None:
        say("applying the ledger's findings and decisions")
        facts = facts_by_row(registry, verified)
        registry, moved = moved_to_fixed_location(registry, facts, ruleset, catalog.coverage)

    columns, spatial = screen_locations(registry, catalog, rules=ruleset, progress=say)
    if loaded_here:  # no later screening can reuse this pack's layers in metres
        release_metric_layers(catalog)
    # the checks free hundreds of MB (per-row arrays of two threads, the pack's layers in metres) that Arrow's
    # allocator, used by the results' text next, cannot reuse (600,000 rows: that stage's peak 2.81 -> 2.11 GB)
    return_freed_memory()
    say("standards 1, 2, 6, 7, 8, 10 and the extra rules from registry attributes")
    attr_status, attr_evidence = attribute_standards(registry, ruleset)
    evidence = coded.concat([attr_evidence, spatial_dispositions(spatial, ruleset)])
    statuses = pd.concat([attr_status, columns[[R.std_column(s) for s in R.SPATIAL_STANDARDS]]], axis=1)
    statuses = statuses[[R.std_column(s) for s in R.STANDARDS]]
    statuses, evidence, scope_issues = scoped(statuses, evidence, registry, ruleset)
    untrue, because = None, None
    if facts is not None:
        untrue = overruled(facts, statuses, ruleset)
        statuses, because = cleared(statuses, untrue), failed_by_finding(facts, ruleset)
    evidence = settled_evidence(evidence, statuses, registry, ruleset, failed_because=because)
    if untrue is not None:
        evidence = marked_evidence(evidence, untrue, facts, escalation=ESCALATION, label=LABEL)
    summary = overall_dispositions(statuses, evidence, ruleset, n)
    summary[R.CHECK_BASIS] = check_basis(registry, ruleset)

    county, county_code, mismatch = _counties(registry, columns)
    base = registry.drop(columns=[c for c in (R.COUNTY, R.COUNTY_CODE, R.ISSUES) if c in registry])
    extra = pd.DataFrame(
        {
            R.ISSUES: pd.array(
                join_issues(
                    [
                        coded.arrow_text(registry[R.ISSUES]) if R.ISSUES in registry else None,
                        coded.arrow_text(mismatch),
                        coded.arrow_text(columns["_near_edge"]),
                        coded.arrow_text(coded.coded(scope_issues)),
                        *(
                            [coded.arrow_text(coded.coded(moved)), coded.arrow_text(coded.coded(untrue_tokens(untrue)))]
                            if facts is not None
                            else []
                        ),
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
    verification = [ledger_columns(facts)] if facts is not None else []
    enterprises = pd.concat([base.drop(columns="geometry"), extra, statuses, summary, *verification, measures], axis=1)
    enterprises = gpd.GeoDataFrame(enterprises, geometry=registry.geometry.to_numpy(), crs=registry.crs or WORK_CRS)
    # the checks' columns, the statuses and the dispositions are in `enterprises` now, the evidence is in `hits` next:
    # each freed and handed back before the results' text is made (1M rows: this stage's peak 2.97 -> 2.40 GB)
    del columns, spatial, statuses, summary, measures, extra, base
    return_freed_memory()
    hits = _evidence_table(evidence, registry)
    del evidence
    return_freed_memory()
    enterprises, hits = _text_dtypes(enterprises), _text_dtypes(hits)

    manifest = run_manifest(
        registry, catalog, ruleset, rules=rules, source=source, crs=crs, started=started, enterprises=enterprises
    )
    if grades is not None:
        manifest["grades"] = {
            **({"path": str(grades)} if isinstance(grades, str | os.PathLike) else {}),
            **registry.attrs.get("grades", {}),
        }
    if verified is not None:
        manifest["ledger"] = dict(verified.attrs.get("ledger", {}))
    return R.ScreenResult(enterprises, hits, manifest)
