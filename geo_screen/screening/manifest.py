"""A run's provenance (``run.json``): tool, input, rules and pack file hashes, CRSs, layers used, counts."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from geo_screen import __version__
from geo_screen import results as R
from geo_screen.inputs.crs import parse_crs
from geo_screen.pack.catalog import Catalog, file_sha256
from geo_screen.pack.metric import pack_metric_crs
from geo_screen.results import OUTPUT_CRS
from geo_screen.screening.rules import (
    DEFAULT_RULES,
    RuleSet,
)
from geo_screen.screening.zones import STANDARD_KINDS


def run_manifest(
    registry,
    catalog: Catalog,
    ruleset: RuleSet,
    *,
    rules,
    source: Path | None,
    crs,
    started: datetime,
    enterprises: pd.DataFrame,
    engine: dict | None = None,
) -> dict:
    """The ``run.json`` manifest of an in-memory screening run of ``registry``."""
    info = registry.attrs.get("registry", {})
    return build_manifest(
        catalog,
        ruleset,
        rules=rules,
        started=started,
        counts=run_counts(enterprises),
        engine=engine,
        input_info={
            **info,
            "rows": len(registry),
            **({"path": str(source), "sha256": file_sha256(source)} if source else {}),
        },
        input_crs=parse_crs(crs).label if source else info.get("crs"),
    )


def build_manifest(
    catalog: Catalog,
    ruleset: RuleSet,
    *,
    rules,
    input_info: dict,
    input_crs: str | None,
    started: datetime,
    counts: dict,
    engine: dict | None = None,
) -> dict:
    """A run's provenance: tool, input, rules and pack file hashes, CRSs, options, layers used, engine, counts."""
    rules_path = Path(rules) if isinstance(rules, (str, os.PathLike)) else (DEFAULT_RULES if rules is None else None)
    finished = datetime.now(UTC)
    return {
        "tool": "geo_screen",
        "version": __version__,
        "run_id": run_id(started),
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds(), 3),
        "input": input_info,
        "rules": {
            "name": ruleset.name,
            "document": ruleset.document,
            "scope": ruleset.scope.model_dump(),
            "in_force": {key: rule.in_force for key, rule in ruleset.standards.items()},
            "not_in_force": {
                key: rule.in_force_note or rule.title for key, rule in ruleset.standards.items() if not rule.in_force
            },
            **({"path": str(rules_path), "sha256": file_sha256(rules_path)} if rules_path else {}),
        },
        "catalog": {"name": catalog.name, "path": str(catalog.path), "files": catalog.file_hashes},
        "crs": {"input": input_crs, "metric": _crs_label(pack_metric_crs(catalog)), "output": OUTPUT_CRS},
        "options": {
            "near_edge_m": ruleset.near_edge_m,
            "search_radius_m": ruleset.search_radius_m,
            "landuse_nonindustrial_share_max": ruleset.landuse_nonindustrial_share_max,
        },
        "layers_used": layers_used(catalog),
        **({"engine": engine} if engine else {}),
        "counts": counts,
    }


def run_id(started: datetime) -> str:
    """A run's identifier: its start (UTC) and a random suffix, ``20250301T010000Z-1a2b3c4d``.

    Documents made from the run (the on-site checklist's 筛查批次) carry it, so the ledger can refuse a
    returned checklist from another run.
    """
    return f"{started.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def layers_used(catalog: Catalog) -> dict[str, dict]:
    """Per spatial standard: the pack's layer ids of each kind behind it, and the kinds it lacks; a standard with
    derived layers also says how each was derived (``derived: {id: {from, distance_m, industries}}``)."""
    out: dict[str, dict] = {}
    for std, kinds in STANDARD_KINDS.items():
        layers = catalog.of_kind(*kinds)
        out[std] = {
            "layers": [layer.id for layer in layers],
            "missing_kinds": [k for k in kinds if not catalog.of_kind(k)],
        }
        derived = {
            layer.id: {
                "from": layer.spec.from_,
                "distance_m": layer.spec.distance_m,
                "industries": list(layer.spec.industries or ()),
            }
            for layer in layers
            if layer.spec.derived
        }
        if derived:
            out[std]["derived"] = derived
    return out


def _crs_label(crs) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.srs


def run_counts(enterprises: pd.DataFrame) -> dict:
    """Counts per row status, per standard result and per disposition (for the manifest and the CLI)."""
    return {
        "rows": int(len(enterprises)),
        "row_status": {k: int(v) for k, v in enterprises[R.ROW_STATUS].value_counts().items()},
        "standards": {
            s: {k: int(v) for k, v in enterprises[R.std_column(s)].value_counts().items()} for s in R.STANDARDS
        },
        "disposition": {k: int(v) for k, v in enterprises[R.DISPOSITION].value_counts().items()},
    }
