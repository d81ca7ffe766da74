"""The results contract: column names, status and disposition codes, and reading/writing a run's files.

A screening run writes ``DIR/results.gpkg`` (layers ``enterprises`` and
``hits``), ``DIR/results.parquet`` (GeoParquet copy of ``enterprises``),
``DIR/results.xlsx`` and ``DIR/run.json``. Later tools (exports, the map)
read them back with :func:`read_results`; the names below are that contract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

# --------------------------------------------------------------------------- registry columns
INPUT_ROW = "input_row"          #: 1-based data row number in the input file
ROW_STATUS = "row_status"
ISSUES = "issues"                #: ';'-separated data warnings (never stop screening)

STATUS_OK = "ok"
STATUS_SWAPPED = "coords_swapped"
STATUS_INVALID = "invalid_location"
STATUS_OUT = "out_of_coverage"
ROW_STATUSES = (STATUS_OK, STATUS_SWAPPED, STATUS_INVALID, STATUS_OUT)
SCREENABLE_STATUSES = (STATUS_OK, STATUS_SWAPPED)

ENTERPRISE_ID = "enterprise_id"
NAME = "name"
INDUSTRY = "industry"
COUNTY = "county"
COUNTY_CODE = "county_code"
SANITARY_DISTANCE = "sanitary_distance_m"
GRADE = "performance_grade"

#: attribute columns of the non-spatial standards (canonical names)
ATTRIBUTE_COLUMNS = (
    "eliminated_equipment", "procedures_complete", "emission_compliant", "energy_over_limit",
    "major_hazard", "long_shutdown", "scattered_polluting", "serious_violation",
)

# --------------------------------------------------------------------------- screening columns
HIT, CLEAR, NOT_ASSESSED = "hit", "clear", "not_assessed"
STANDARD_VALUES = (HIT, CLEAR, NOT_ASSESSED)

#: standard keys in display order: the ten of Annex 2 plus the two extra rules
STANDARDS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "scattered", "violation")
SPATIAL_STANDARDS = ("3", "4", "5", "9")


def std_column(standard: str) -> str:
    """Column holding one standard's result: ``std_01`` ... ``std_10``, ``std_scattered``, ``std_violation``."""
    return f"std_{int(standard):02d}" if standard.isdigit() else f"std_{standard}"


STD_COLUMNS = tuple(std_column(s) for s in STANDARDS)
STANDARDS_HIT = "standards_hit"          #: e.g. "3;9"
NOT_ASSESSED_COL = "not_assessed"        #: e.g. "2;5;6"
DISPOSITION = "disposition"
DISPOSITION_ZH = "disposition_zh"
LEGAL_BASIS = "legal_basis"              #: basis of the overall disposition
SANITARY_REQUIRED = "sanitary_required_m"
NEAREST_SENSITIVE_M = "nearest_sensitive_m"
NEAREST_SENSITIVE_NAME = "nearest_sensitive_name"
LANDUSE_CLASS = "landuse_class"
NONINDUSTRIAL_SHARE = "landuse_nonindustrial_share"


def margin_column(standard: str) -> str:
    """Signed distance (m, positive inside) to the nearest zone edge for zone standard 3, 4 or 9."""
    return f"margin_{int(standard):02d}_m"


MARGIN_COLUMNS = tuple(margin_column(s) for s in ("3", "4", "9"))

#: disposition codes, most severe first (the default precedence), with Chinese labels
DISPOSITIONS: dict[str, str] = {
    "close": "关闭取缔",
    "relocate": "搬迁",
    "eliminate": "淘汰",
    "demolish": "拆除",
    "stop": "停产",
    "transform": "转型",
    "rectify": "限期整改/补办手续",
    "per_law": "依法处置",
    "none": "无",
    "not_assessed": "未评估",
}
NO_DISPOSITION = "none"
NOT_ASSESSED_DISPOSITION = "not_assessed"

# --------------------------------------------------------------------------- hits (evidence) columns
HIT_COLUMNS = (
    ENTERPRISE_ID, INPUT_ROW, "standard", "layer_id", "feature_name", "zone", "category",
    "distance_m", "required_m", "margin_m", DISPOSITION, LEGAL_BASIS, "detail",
)

ENTERPRISES_LAYER = "enterprises"
HITS_LAYER = "hits"
GPKG_NAME = "results.gpkg"
PARQUET_NAME = "results.parquet"
XLSX_NAME = "results.xlsx"
MANIFEST_NAME = "run.json"


@dataclass
class ScreenResult:
    """What a screening run produces: one row per input row, the evidence rows, the manifest."""

    enterprises: gpd.GeoDataFrame
    hits: gpd.GeoDataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def flagged(self) -> gpd.GeoDataFrame:
        """Enterprises with at least one standard hit."""
        return self.enterprises[self.enterprises[STANDARDS_HIT].fillna("") != ""]


def read_results(path: str | Path) -> ScreenResult:
    """Read a run back from its ``results.gpkg`` (or the folder holding it)."""
    from geo_screen.errors import InputDataError

    path = Path(path)
    gpkg = path / GPKG_NAME if path.is_dir() else path
    if not gpkg.exists():
        raise InputDataError(
            f"no screening results at {gpkg}; run 'geo-screen screen ... --out DIR' first "
            f"and pass DIR/{GPKG_NAME}"
        )
    enterprises = gpd.read_file(gpkg, layer=ENTERPRISES_LAYER, engine="pyogrio")
    hits = gpd.read_file(gpkg, layer=HITS_LAYER, engine="pyogrio")
    manifest_path = gpkg.with_name(MANIFEST_NAME)
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
    return ScreenResult(enterprises, hits, manifest)


def standards_label(value: str | float | None) -> list[str]:
    """Split a ``standards_hit`` / ``not_assessed`` cell into its standard keys."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return []
    return str(value).split(";")
