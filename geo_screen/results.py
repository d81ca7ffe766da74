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
import numpy as np
import pandas as pd

# --------------------------------------------------------------------------- registry columns
INPUT_ROW = "input_row"  #: 1-based data row number in the input file
ROW_STATUS = "row_status"
ISSUES = "issues"  #: ';'-separated data warnings (never stop screening)

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
    "eliminated_equipment",
    "procedures_complete",
    "emission_compliant",
    "energy_over_limit",
    "major_hazard",
    "long_shutdown",
    "scattered_polluting",
    "serious_violation",
)

# --------------------------------------------------------------------------- screening columns
HIT, CLEAR, NOT_ASSESSED = "hit", "clear", "not_assessed"
STANDARD_VALUES = (HIT, CLEAR, NOT_ASSESSED)


def standard_status(hit, known) -> pd.Categorical:
    """A standard's result per row from boolean masks: ``hit`` where hit, else ``clear`` where known, else
    ``not_assessed`` (a Categorical of :data:`STANDARD_VALUES`)."""
    codes = np.where(hit, 0, np.where(known, 1, 2)).astype(np.int8)  # positions in STANDARD_VALUES
    return pd.Categorical.from_codes(codes, categories=list(STANDARD_VALUES))


#: standard keys in display order: the ten of Annex 2 plus the two extra rules
STANDARDS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "scattered", "violation")
SPATIAL_STANDARDS = ("3", "4", "5", "9")


def std_column(standard: str) -> str:
    """Column holding one standard's result: ``std_01`` ... ``std_10``, ``std_scattered``, ``std_violation``."""
    return f"std_{int(standard):02d}" if standard.isdigit() else f"std_{standard}"


STD_COLUMNS = tuple(std_column(s) for s in STANDARDS)
STANDARDS_HIT = "standards_hit"  #: e.g. "3;9"
NOT_ASSESSED_COL = "not_assessed"  #: e.g. "2;5;6"
DISPOSITION = "disposition"
DISPOSITION_ZH = "disposition_zh"
LEGAL_BASIS = "legal_basis"  #: basis of the overall disposition
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
    ENTERPRISE_ID,
    INPUT_ROW,
    "standard",
    "layer_id",
    "feature_name",
    "zone",
    "zone_label",
    "category",
    "distance_m",
    "required_m",
    "margin_m",
    DISPOSITION,
    LEGAL_BASIS,
    "detail",
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
            f"no screening results at {gpkg}; run 'geo-screen screen ... --out DIR' first and pass DIR/{GPKG_NAME}"
        )
    enterprises, hits = (_read_layer(gpkg, layer) for layer in (ENTERPRISES_LAYER, HITS_LAYER))
    manifest_path = gpkg.with_name(MANIFEST_NAME)
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
    return ScreenResult(enterprises, hits, manifest)


def _read_layer(gpkg: Path, layer: str) -> gpd.GeoDataFrame:
    """One results layer, read through Arrow (10x faster at a million rows) with the column types of a plain
    pyogrio read: a GeoPackage boolean with missing values as 1.0/0.0/NaN (bool when none is missing)."""
    import pyogrio

    info = pyogrio.read_info(gpkg, layer=layer)
    frame = gpd.read_file(gpkg, layer=layer, engine="pyogrio", use_arrow=True)
    for col, subtype in zip(info["fields"], info["ogr_subtypes"]):
        if subtype == "OFSTBoolean" and frame[col].dtype == object:  # missing values: Arrow gives objects
            frame[col] = frame[col].astype("float64")
    return frame


def standards_label(value: str | float | None) -> list[str]:
    """Split a ``standards_hit`` / ``not_assessed`` cell into its standard keys."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return []
    return str(value).split(";")


#: Chinese headers of the canonical and result columns (Excel sheets, field dictionaries, the map card)
LABELS_ZH: dict[str, str] = {
    ENTERPRISE_ID: "统一社会信用代码",
    NAME: "企业名称",
    INDUSTRY: "行业",
    "address": "地址",
    "lon": "经度",
    "lat": "纬度",
    "x": "X坐标",
    "y": "Y坐标",
    COUNTY: "县（市、区）",
    COUNTY_CODE: "县区代码",
    SANITARY_DISTANCE: "卫生防护距离（环评，米）",
    GRADE: "绩效等级",
    "eliminated_equipment": "淘汰类装备",
    "procedures_complete": "手续齐全",
    "emission_compliant": "稳定达标排放",
    "energy_over_limit": "能耗超限额",
    "major_hazard": "重大安全隐患",
    "long_shutdown": "长期停车",
    "scattered_polluting": "散乱污",
    "serious_violation": "严重环境违法",
    INPUT_ROW: "输入行号",
    ROW_STATUS: "行状态",
    ISSUES: "数据问题",
    **{
        std_column(s): (
            f"标准{int(s)}" if s.isdigit() else {"scattered": "散乱污整改不到位", "violation": "严重环境违法"}[s]
        )
        for s in STANDARDS
    },
    STANDARDS_HIT: "触及标准",
    NOT_ASSESSED_COL: "未评估标准",
    DISPOSITION: "处置代码",
    DISPOSITION_ZH: "处置方式",
    LEGAL_BASIS: "法律依据",
    SANITARY_REQUIRED: "应有卫生防护距离（米）",
    NEAREST_SENSITIVE_M: "最近敏感目标距离（米）",
    NEAREST_SENSITIVE_NAME: "最近敏感目标",
    LANDUSE_CLASS: "规划用地类别",
    NONINDUSTRIAL_SHARE: "非工业用地占比",
    "margin_03_m": "距生态红线边界（米，内正外负）",
    "margin_04_m": "距水源保护区边界（米，内正外负）",
    "margin_09_m": "距沿江重点区边界（米，内正外负）",
    "standard": "标准",
    "layer_id": "图层",
    "feature_name": "要素名称",
    "zone": "级别代码",
    "zone_label": "级别",
    "category": "类别",
    "distance_m": "距离（米）",
    "required_m": "要求距离（米）",
    "margin_m": "边界余量（米）",
    "detail": "说明",
}

STATUS_ZH = {HIT: "触及", CLEAR: "未触及", NOT_ASSESSED: "未评估"}
ROW_STATUS_ZH = {
    STATUS_OK: "正常",
    STATUS_SWAPPED: "经纬度互换已纠正",
    STATUS_INVALID: "位置无效",
    STATUS_OUT: "超出图层范围",
}
