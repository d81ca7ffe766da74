"""The results contract: column names, status and disposition codes, and reading/writing a run's files.

A screening run writes ``DIR/results.gpkg`` (layers ``enterprises`` and
``hits``), ``DIR/results.parquet`` (GeoParquet copy of ``enterprises``),
``DIR/results.xlsx`` and ``DIR/run.json``. Later tools (exports, the map)
read them back with :func:`read_results`; the names below are that contract.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_screen.errors import InputDataError
from geo_screen.records import FILES_KEY, checked_record

#: Geographic CRS of every result (CGCS2000; differs from WGS84 by centimetres).
OUTPUT_CRS = "EPSG:4490"

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

RECTIFICATION_FAILED = "rectification_failed"  #: a rectification (or elimination) deadline passed without success
DISCHARGES_POLLUTANTS = "discharges_pollutants"  #: the enterprise discharges pollutants (water law art. 66)

#: the registry's yes/no attributes the rules read (canonical names): the non-spatial standards' conditions,
#: a recorded failed rectification (escalation) and pollutant discharge (second-class water-source zones)
ATTRIBUTE_COLUMNS = (
    "eliminated_equipment",
    "procedures_complete",
    "emission_compliant",
    "energy_over_limit",
    "major_hazard",
    "long_shutdown",
    "scattered_polluting",
    "serious_violation",
    RECTIFICATION_FAILED,
    DISCHARGES_POLLUTANTS,
)

# --------------------------------------------------------------------------- the performance evaluation
#: enterprise columns a screening with computed grades adds: the total score and the rank within the county
GRADE_SCORE = "grade_score"
GRADE_RANK = "grade_rank"  #: text "412/530": rank within the county (and size group) / enterprises ranked there
GRADE_STATUS = "grade_status"
GRADE_REASON = "grade_reason"  #: why a row is T class, not graded, or straight to D; ';'-separated
GRADE_GRADED, GRADE_EXEMPT, GRADE_NOT_GRADED = "graded", "t_class", "not_graded"
GRADE_STATUSES = (GRADE_GRADED, GRADE_EXEMPT, GRADE_NOT_GRADED)
#: grade letters, best first (A top of the county ... D bottom)
GRADE_LETTERS = ("A", "B", "C", "D")
#: issue a screening adds where the registry's grade and the computed one differ (the registry's wins)
GRADE_DISAGREES = "grade_disagrees"
#: the indicator table's canonical input columns, in the order the grades table shows them
GRADE_INPUTS = (
    "size_class",
    "start_date",
    "land_area_mu",
    "tax",
    "sales",
    "value_added",
    "energy_tce",
    "pollutant_eq",
    "rd_spend",
    "staff",
    "major_accident",
    "high_tech",
)
#: computed columns of the grades table besides each indicator's value and score
GRADE_GROUP = "grade_group"  #: the method's group the row was evaluated in (above / below designated size)
GRADE_BASE = "grade_base"  #: sum of the indicator scores
GRADE_ADJUSTMENT = "grade_adjustment"  #: bonus minus penalty points
GRADES_CSV = "grades.csv"
GRADES_XLSX = "grades.xlsx"


def indicator_score_column(indicator: str) -> str:
    """Column of the grades table holding one indicator's score (its value is in the column named ``indicator``)."""
    return f"{indicator}_score"


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
LEGAL_BASIS = "legal_basis"  #: enterprises: the bases of every hit standard, in standard order; hits: the row's
ESCALATION = "escalation"  #: disposition code that follows if rectification fails (empty when none is pending)
ESCALATION_ZH = "escalation_zh"  #: its label
CHECK_BASIS = "check_basis"  #: Annex 1 standards (number and title, '；'-joined) for 钢铁/船舶/水泥 enterprises
SANITARY_REQUIRED = "sanitary_required_m"
NEAREST_SENSITIVE_M = "nearest_sensitive_m"
NEAREST_SENSITIVE_NAME = "nearest_sensitive_name"
LANDUSE_CLASS = "landuse_class"
NONINDUSTRIAL_SHARE = "landuse_nonindustrial_share"


def margin_column(standard: str) -> str:
    """Signed distance (m, positive inside) to the nearest zone edge for zone standard 3, 4 or 9."""
    return f"margin_{int(standard):02d}_m"


MARGIN_COLUMNS = tuple(margin_column(s) for s in ("3", "4", "9"))

#: disposition codes, most severe first (the default precedence); their labels are in geo_screen.vocabulary
DISPOSITION_CODES = (
    "close",
    "relocate",
    "demolish",
    "eliminate",
    "stop",
    "per_law",
    "transform",
    "rectify",
    "none",
    "not_assessed",
)
NO_DISPOSITION = "none"
NOT_ASSESSED_DISPOSITION = "not_assessed"

# --------------------------------------------------------------------------- what the ledger says (screen --ledger)
#: enterprise columns of a screening given the ledger's facts: the latest on-site finding (核查结论, or 未核实),
#: the disposition the competent authority decided (a code), its document number (文号), the rectification
#: deadline (YYYY-MM-DD) and whether it passed without a finding of 已整改到位
VERIFICATION = "verification"
DECIDED_DISPOSITION = "decided_disposition"
DECISION_DOC = "decision_doc"
DUE_DATE = "due_date"
OVERDUE = "overdue"
#: the registry's location where the ledger corrected it (位置有误): the row is screened at the corrected one
LON_ORIGINAL = "lon_original"
LAT_ORIGINAL = "lat_original"
LEDGER_COLUMNS = (VERIFICATION, DECIDED_DISPOSITION, DECISION_DOC, DUE_DATE, OVERDUE, LON_ORIGINAL, LAT_ORIGINAL)
#: the facts frame a screening accepts (``screen(..., verified=)``): one row per enterprise_id, the columns
#: above that the ledger knows plus who found what, which standard it names (empty: every one) and a fixed place
FACT_STANDARD = "verification_standard"
FACT_BY = "verified_by"
FACT_ON = "verified_on"
FACT_NOTE = "verification_note"
FACT_LON, FACT_LAT = "fixed_lon", "fixed_lat"
#: the standards whose latest finding is 不属实 (';'-joined; a finding naming no standard covers each standard no
#: later finding names), and who found so, when and why (``张三，2026-01-10：说明``, the latest such finding)
FACT_UNTRUE = "untrue_standards"
FACT_UNTRUE_BY = "untrue_by"
FACT_COLUMNS = (ENTERPRISE_ID, VERIFICATION, FACT_STANDARD, FACT_BY, FACT_ON, FACT_NOTE, DECIDED_DISPOSITION,
                DECISION_DOC, DUE_DATE, OVERDUE, FACT_LON, FACT_LAT, FACT_UNTRUE, FACT_UNTRUE_BY)  # fmt: skip

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
#: how to make a refused results folder whole again (the end of every such message)
REDO_RUN = "re-run 'geo-screen screen' into this folder (out_dir=), or pick another results folder"


@dataclass
class ScreenResult:
    """What a screening run produces: one row per input row, the evidence rows, the manifest."""

    enterprises: gpd.GeoDataFrame
    hits: gpd.GeoDataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def flagged(self) -> gpd.GeoDataFrame:
        """Enterprises with at least one standard hit (:func:`flagged_mask`)."""
        return self.enterprises[flagged_mask(self.enterprises)]


def flagged_mask(enterprises: pd.DataFrame) -> np.ndarray:
    """Which enterprises are flagged: at least one standard hit (a non-empty ``standards_hit``).

    Parameters
    ----------
    enterprises
        Enterprise rows with a ``standards_hit`` column (text, coded text or missing values).

    Returns
    -------
    numpy.ndarray
        One boolean per row.
    """
    hit = enterprises[STANDARDS_HIT]
    return (hit.notna() & (hit != "")).to_numpy(dtype=bool)


def checked_results(path: str | Path) -> tuple[Path, dict]:
    """A run's ``results.gpkg`` (given it or the folder holding it) and its ``run.json``, once they agree.

    Raises
    ------
    InputDataError
        When there are no results, or the folder's files are not the ones its ``run.json`` lists
        (:func:`checked_run`).
    """
    path = Path(path)
    gpkg = path / GPKG_NAME if path.is_dir() else path
    if not gpkg.exists():
        written = _recorded_formats(gpkg.parent)
        if written and "gpkg" not in written:
            raise InputDataError(
                f"{gpkg} was not written: the run in {gpkg.parent} was screened with --formats {','.join(written)} "
                f"(its {MANIFEST_NAME}); screen the registry again with --formats gpkg,parquet,xlsx (the default) "
                f"or any --formats holding gpkg"
            )
        raise InputDataError(
            f"no screening results at {gpkg}; screen a registry into an output folder first (out_dir=) and pass "
            f"that folder or its {GPKG_NAME}"
        )
    manifest = checked_run(gpkg.parent)
    if gpkg.name not in manifest[FILES_KEY]:
        raise InputDataError(f"{gpkg} is not a file of the run in {gpkg.parent} (its {MANIFEST_NAME}); {REDO_RUN}")
    return gpkg, manifest


def read_results(path: str | Path) -> ScreenResult:
    """Read a run back from its ``results.gpkg`` (or the folder holding it), checked against its ``run.json``
    (:class:`InputDataError` as :func:`checked_results` raises it)."""
    gpkg, manifest = checked_results(path)
    enterprises, hits = (LayerRows(gpkg, layer).read() for layer in (ENTERPRISES_LAYER, HITS_LAYER))
    return ScreenResult(enterprises, hits, manifest)


def _recorded_formats(folder: Path) -> list[str] | None:
    """The formats a run's ``run.json`` says it wrote, or None (no readable record, or one older than formats)."""
    try:
        formats = json.loads((folder / MANIFEST_NAME).read_text("utf-8")).get("output", {}).get("formats")
    except (OSError, ValueError, AttributeError):
        return None
    return formats if isinstance(formats, list) else None


def checked_run(folder: str | Path) -> dict:
    """A results folder's ``run.json``, once every file it lists is there with the recorded size and SHA-256.

    Parameters
    ----------
    folder
        A run's output folder.

    Returns
    -------
    dict
        The run's manifest; ``files`` lists the run's files.

    Raises
    ------
    InputDataError
        When ``run.json`` is missing, unreadable or pending (an interrupted run), or a file it lists is missing
        or differs; the message names the file and says to re-run.
    """
    return checked_record(folder, MANIFEST_NAME, redo=REDO_RUN)


def load_result(result: ScreenResult | str | os.PathLike) -> ScreenResult:
    """A run ready for export: read back if given as a path, checked, in CGCS2000 lon/lat with a fresh index.

    Parameters
    ----------
    result
        A :class:`ScreenResult`, or the ``results.gpkg`` of a run (or the folder holding it).

    Returns
    -------
    ScreenResult
        Enterprises and evidence rows in EPSG:4490 with a 0..n-1 index; the manifest unchanged.

    Raises
    ------
    ExportError
        When the enterprises have no CRS or lack the columns every run writes.
    """
    res = result if isinstance(result, ScreenResult) else read_results(result)
    check_exportable(res.enterprises.crs, res.enterprises.columns)
    return ScreenResult(exported_enterprises(res.enterprises), exported_hits(res.hits), res.manifest)


def check_exportable(crs, columns) -> None:
    """Refuse enterprises that have no CRS or lack the columns every run writes (:class:`ExportError`)."""
    from geo_screen.errors import ExportError

    if crs is None:
        raise ExportError(
            "the results have no CRS; they should be EPSG:4490 (CGCS2000) lon/lat: set it with "
            "enterprises.set_crs('EPSG:4490') or re-run 'geo-screen screen'"
        )
    missing = [c for c in (INPUT_ROW, STANDARDS_HIT, DISPOSITION) if c not in columns]
    if missing:
        raise ExportError(
            f"the results lack columns {missing}; they are not a geo_screen run (re-run 'geo-screen screen')"
        )


def exported_enterprises(ents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Enterprise rows as exports write them: CGCS2000 lon/lat, a 0..n-1 index."""
    return ents.to_crs(OUTPUT_CRS).reset_index(drop=True)


def exported_hits(hits: pd.DataFrame) -> pd.DataFrame:
    """Evidence rows as exports write them: CGCS2000 lon/lat (when they have points), a 0..n-1 index."""
    if isinstance(hits, gpd.GeoDataFrame) and hits.active_geometry_name is not None:
        hits = hits.to_crs(OUTPUT_CRS) if hits.crs is not None else hits.set_crs(OUTPUT_CRS)
    return hits.reset_index(drop=True)


class LayerRows:
    """One layer of a ``results.gpkg``, read whole or a few rows or columns at a time, with the column types
    of a whole read either way (read through Arrow: 10x faster at a million rows than row by row).

    A whole read gives a GeoPackage boolean with missing values as 1.0/0.0/NaN (bool when none is missing) and
    an integer with missing values as floats; a part of it has the whole layer's types, whatever it holds.

    Parameters
    ----------
    gpkg
        The file.
    layer
        The layer's name (:data:`ENTERPRISES_LAYER`, :data:`HITS_LAYER`).
    """

    def __init__(self, gpkg: str | Path, layer: str):
        import pyogrio

        self.gpkg, self.layer = Path(gpkg), layer
        self.info = pyogrio.read_info(self.gpkg, layer=layer)
        self._floats: list[str] | None = None  # booleans and integers with a missing value somewhere

    def read(
        self, *, fids: np.ndarray | None = None, columns: list[str] | None = None, geometry: bool = True
    ) -> pd.DataFrame:
        """The layer's rows (those with feature ids ``fids``, in the layer's order; all by default) and
        ``columns`` (all by default), without the geometry when ``geometry`` is false.

        Returns
        -------
        geopandas.GeoDataFrame or pandas.DataFrame
            On a 0..n-1 index; ``fid`` holds the feature ids when ``fids`` or ``columns`` were given.
        """
        whole = fids is None and columns is None
        where = None if fids is None else "fid IN (" + ",".join(map(str, np.asarray(fids, dtype=np.int64))) + ")"
        frame = gpd.read_file(
            self.gpkg,
            layer=self.layer,
            engine="pyogrio",
            use_arrow=True,
            where=where,
            columns=columns,
            read_geometry=geometry,
            fid_as_index=not whole,
        )
        if whole:  # a boolean missing a value somewhere: Arrow gives objects
            floats = [c for c in self._float_candidates() if frame[c].dtype == object]
        else:
            frame = frame.sort_index().rename_axis("fid").reset_index()
            floats = [c for c in self.float_columns() if c in frame.columns and frame[c].dtype != "float64"]
        for col in floats:
            frame[col] = frame[col].astype("float64")
        return frame

    def _float_candidates(self) -> list[str]:
        """The booleans and integers: what a whole read gives as floats when a value is missing."""
        kinds = zip(self.info["fields"], self.info["dtypes"], self.info["ogr_subtypes"])
        return [c for c, dtype, sub in kinds if sub == "OFSTBoolean" or dtype.startswith("int")]

    def float_columns(self) -> list[str]:
        """The booleans and integers a whole read gives as floats: those missing a value somewhere (read once)."""
        if self._floats is None:
            import pyogrio

            candidates = self._float_candidates()
            table = pyogrio.read_arrow(self.gpkg, layer=self.layer, columns=candidates, read_geometry=False)[1]
            self._floats = [c for c in candidates if table[c].null_count] if candidates else []
        return self._floats


def standard_keys(value: str | float | None) -> list[str]:
    """Split a ``standards_hit`` / ``not_assessed`` cell into its standard keys."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return []
    return str(value).split(";")
