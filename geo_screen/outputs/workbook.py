"""The run's Excel workbook (results.xlsx): enterprises, evidence and summaries with Chinese headers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.outputs.provenance import illustrative_layers, illustrative_stamp, local_time, stamped
from geo_screen.outputs.sheets import WIDTH_SAMPLE, RowBlocks, write_workbook
from geo_screen.vocabulary import (
    CANONICAL_SUFFIX,
    CATEGORY_ZH,
    COLUMN_ZH,
    DISPOSITION_ZH,
    MISSING_ZH,
    NO_ZH,
    RESULT_ZH,
    ROW_STATUS_ZH,
    YES_ZH,
    column_label,
    input_coordinate_label,
    issues_text,
    landuse_class_label,
    standard_label,
)

#: sheet names (the results contract): enterprises, evidence, summary by county x standard x disposition,
#: county x overall disposition, and the run's provenance; headers inside are Chinese
SHEET_ENTERPRISES, SHEET_HITS, SHEET_SUMMARY = "企业", "证据", "区县×标准×处置"
SHEET_BY_DISPOSITION, SHEET_RUN = "区县×处置", "说明"
#: enterprise columns holding disposition codes, shown by their labels (``escalation``: what follows a failed
#: rectification, when the rules give one)
DISPOSITION_COLUMNS = (R.DISPOSITION, "escalation")

#: Above this many enterprises the 企业 sheet lists only the flagged ones (the full results are in
#: results.gpkg / results.parquet): writing a million rows to Excel would take longer than screening them.
EXCEL_ROWS_MAX = 100_000
#: rows a sheet can hold below its header and note (Excel: 1,048,576 rows per sheet)
EXCEL_SHEET_ROWS = 1_048_576 - 3
#: the 企业 sheet's columns above EXCEL_ROWS_MAX: the on-site checklist's (who, where, what was hit, the proposal
#: and its basis), each standard's result and the margins, not all ~68 (605,921 flagged enterprises: 13.6 s of CPU
#: against 30.5 s); every column is in results.gpkg / results.parquet
LARGE_COLUMNS = (R.ENTERPRISE_ID, R.NAME, R.COUNTY, R.INDUSTRY, "address", "lon", "lat", R.STANDARDS_HIT)
LARGE_COLUMNS += (R.DISPOSITION_ZH, R.LEGAL_BASIS, "escalation_zh", *map(R.std_column, R.STANDARDS[:10]))
LARGE_COLUMNS += ("not_assessed", "margin_03_m", "margin_04_m", "margin_09_m", "sanitary_required_m")
LARGE_COLUMNS += ("nearest_sensitive_m", "nearest_sensitive_name", R.ROW_STATUS, R.ISSUES)


def summary_by_county(enterprises: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """Enterprises per county x standard x disposition (of that standard's evidence), long form.

    Parameters
    ----------
    enterprises
        Enterprise rows (for each one's county; a missing county counts as ``未知``).
    hits
        Evidence rows.

    Returns
    -------
    pandas.DataFrame
        ``county``, ``standard``, ``disposition``, ``disposition_zh``, ``count``, in report order.
    """
    per = pd.DataFrame(hits[[R.INPUT_ROW, "standard", R.DISPOSITION]]).drop_duplicates()  # an enterprise counts once
    per[R.COUNTY] = per[R.INPUT_ROW].map(enterprises.set_index(R.INPUT_ROW)[R.COUNTY]).fillna(MISSING_ZH)
    table = per.groupby([R.COUNTY, "standard", R.DISPOSITION], sort=False).size().rename("count").reset_index()
    table[R.DISPOSITION_ZH] = table[R.DISPOSITION].map(DISPOSITION_ZH)
    return sort_summary(table[[R.COUNTY, "standard", R.DISPOSITION, R.DISPOSITION_ZH, "count"]])


def sort_summary(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`summary_by_county` rows in report order: county, then standard 1-10 and extras, then disposition."""
    order = {s: i for i, s in enumerate(R.STANDARDS)}
    table = table.assign(_o=table["standard"].map(order)).sort_values([R.COUNTY, "_o", R.DISPOSITION])
    return table.drop(columns="_o").reset_index(drop=True)


def disposition_by_county(enterprises: pd.DataFrame) -> pd.DataFrame:
    """County x overall disposition counts, with totals (the shape of the yearly report).

    Parameters
    ----------
    enterprises
        Enterprise rows.

    Returns
    -------
    pandas.DataFrame
        One row per county (missing as ``未知``) and a 合计 row; a column per disposition label present, then 合计.
    """
    labels = enterprises[R.DISPOSITION].map(DISPOSITION_ZH)
    table = pd.crosstab(enterprises[R.COUNTY].fillna(MISSING_ZH), labels, margins=True, margins_name="合计")
    columns = [v for v in DISPOSITION_ZH.values() if v in table.columns] + ["合计"]
    return table[columns].rename_axis(index=column_label(R.COUNTY), columns=None).reset_index()


def input_coordinate_headers(manifest: dict) -> dict[str, str]:
    """Input columns holding the registry's own coordinates -> their header naming the system
    (``经度`` -> ``经度（输入，GCJ-02）``), from the run's manifest."""
    info = (manifest or {}).get("input", {})
    system = info.get("crs") or (manifest or {}).get("crs", {}).get("input")
    original = {new: old for old, new in info.get("renamed", {}).items()}
    columns = info.get("columns", {})
    return {
        columns[c]: input_coordinate_label(original.get(columns[c], columns[c]), system)
        for c in ("lon", "lat", "x", "y")
        if c in columns
    }


def enterprise_sheet(frame: pd.DataFrame, manifest: dict | None = None) -> pd.DataFrame:
    """Enterprise rows as the 企业 sheet shows them: codes as labels, and no header twice.

    The registry's own columns keep their headers, its coordinate columns name their system
    (``经度（输入，GCJ-02）``); canonical columns take their Chinese header, followed by
    :data:`~geo_screen.vocabulary.CANONICAL_SUFFIX` where the registry already uses it. Standard results,
    row statuses, dispositions, yes/no attributes and data issues read as words; the disposition code
    column is left out (its label is there).

    Parameters
    ----------
    frame
        Enterprise rows (without geometry).
    manifest
        The run's manifest (for the input coordinate columns and their system).

    Returns
    -------
    pandas.DataFrame
        The sheet's table.
    """
    out = frame.drop(columns=[R.DISPOSITION] if R.DISPOSITION_ZH in frame.columns else [], errors="ignore")
    out = out.copy(deep=False)  # columns are replaced, never written into
    for col in out.columns:
        if col.startswith("std_"):
            out[col] = out[col].map(RESULT_ZH).fillna(out[col])
    if R.ROW_STATUS in out:
        out[R.ROW_STATUS] = out[R.ROW_STATUS].map(ROW_STATUS_ZH).fillna(out[R.ROW_STATUS])
    for col in DISPOSITION_COLUMNS:
        if col in out:
            out[col] = out[col].map(DISPOSITION_ZH).fillna(out[col])
    if R.ISSUES in out:
        out[R.ISSUES] = out[R.ISSUES].map(issues_text)
    for col in R.ATTRIBUTE_COLUMNS:
        if col in out:
            out[col] = out[col].map({True: YES_ZH, False: NO_ZH}).astype("object")
    inputs = input_coordinate_headers(manifest or {})
    own = {str(c) for c in out.columns if c not in COLUMN_ZH and c not in inputs}
    return out.rename(columns=lambda c: _header(c, inputs, own))


def _header(column: str, inputs: dict[str, str], own: set[str]) -> str:
    if column in inputs:
        return inputs[column]
    if column not in COLUMN_ZH:
        return column
    label = column_label(column)
    return label + CANONICAL_SUFFIX if label in own else label


def evidence_sheet(hits: pd.DataFrame) -> pd.DataFrame:
    """Evidence rows as the 证据 sheet shows them: standards, dispositions, zones and categories as words."""
    out = hits.drop(columns=["zone"] if "zone_label" in hits.columns else [], errors="ignore").copy(deep=False)
    if "standard" in out:
        out["standard"] = out["standard"].astype("str").map(standard_label)
    if R.DISPOSITION in out:
        out[R.DISPOSITION] = out[R.DISPOSITION].map(DISPOSITION_ZH).fillna(out[R.DISPOSITION])
        out = out.rename(columns={R.DISPOSITION: R.DISPOSITION_ZH})
    land = (out["category"] == "land_use_plan").to_numpy() if "category" in out else False
    if "zone_label" in out:
        labels = out["zone_label"].astype("object")
        out["zone_label"] = labels.where(~land, labels.map(lambda v: landuse_class_label(v) if pd.notna(v) else v))
    for col in ("category", "layer_id"):
        if col in out:
            out[col] = out[col].map(lambda v: CATEGORY_ZH.get(v, v) if isinstance(v, str) else v)
    return out.rename(columns=lambda c: column_label(c))


def _run_info(manifest: dict, extra: dict | None = None) -> pd.DataFrame:
    """The 说明 sheet: the run's provenance, times in Beijing time."""
    items = {
        "工具版本": manifest.get("version"),
        "输入文件": manifest.get("input", {}).get("path"),
        "输入坐标系": manifest.get("crs", {}).get("input"),
        "输出坐标系": "CGCS2000（EPSG:4490）；“经度（CGCS2000）/纬度（CGCS2000）”为筛查采用的位置，已去除偏移",
        "规则": manifest.get("rules", {}).get("name"),
        "图层包": manifest.get("catalog", {}).get("name"),
        "开始时间": local_time(manifest["started"]) if manifest.get("started") else None,
        "结束时间": local_time(manifest["finished"]) if manifest.get("finished") else None,
        **(extra or {}),
    }
    stamp = illustrative_stamp(manifest)
    if stamp:
        items["数据性质"] = f"{stamp}：图层 {'、'.join(illustrative_layers(manifest))} 为示意数据，不得用于决策"
    return pd.DataFrame({"项目": list(items), "内容": list(items.values())})


def _stamp_notes(manifest: dict, sheets) -> dict[str, str]:
    stamp = illustrative_stamp(manifest)
    return dict.fromkeys(sheets, f"{stamp}（本结果基于示意图层，不得用于决策）") if stamp else {}


def write_results_workbook(result: R.ScreenResult, path: str | os.PathLike | IO[bytes]) -> Path | None:
    """Write ``results.xlsx``: 企业 (enterprises), 证据 (hits), 汇总 (county summaries), 说明 (run notes).

    Above :data:`EXCEL_ROWS_MAX` enterprises the workbook is the one a streamed run writes
    (:func:`write_summary_workbook`): the flagged enterprises, up to a sheet's limit and with the columns
    :data:`LARGE_COLUMNS`, and the county summaries, with a note on each sheet; the evidence rows stay in
    results.gpkg (a million-row registry has about two million of them, more than a sheet holds).

    Parameters
    ----------
    result
        The screening run.
    path
        File to write (atomically: a temporary name, then renamed) or a binary stream such as
        ``io.BytesIO`` (for download buttons).

    Returns
    -------
    Path or None
        The file written, or None when ``path`` is a stream.
    """
    if len(result.enterprises) > EXCEL_ROWS_MAX:  # the workbook a streamed run of the same registry writes
        flagged = np.flatnonzero(R.flagged_mask(result.enterprises))
        return write_summary_workbook(
            path,
            flagged=result.enterprises,
            listed=flagged,
            flagged_total=len(flagged),
            rows=len(result.enterprises),
            by_standard=summary_by_county(result.enterprises, result.hits),
            by_disposition=disposition_by_county(result.enterprises),
            manifest=result.manifest,
        )
    manifest = result.manifest
    sheets = {
        SHEET_ENTERPRISES: enterprise_sheet(pd.DataFrame(result.enterprises.drop(columns="geometry")), manifest),
        SHEET_HITS: evidence_sheet(pd.DataFrame(result.hits.drop(columns="geometry"))),
        SHEET_SUMMARY: summary_sheet(summary_by_county(result.enterprises, result.hits)),
        SHEET_BY_DISPOSITION: disposition_by_county(result.enterprises),
        SHEET_RUN: _run_info(manifest),
    }
    write_workbook(path, sheets, notes=_stamp_notes(manifest, sheets), title=stamped("geo_screen 筛查结果", manifest))
    return Path(path) if isinstance(path, (str, os.PathLike)) else None


def summary_sheet(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`summary_by_county` as the sheet shows it: standards and dispositions as words, Chinese headers."""
    table = table.drop(columns=[R.DISPOSITION]).assign(standard=table["standard"].astype("str").map(standard_label))
    return table.rename(columns={**COLUMN_ZH, "count": "企业数"})


def _listed_sheet(enterprises: pd.DataFrame, listed: np.ndarray, manifest: dict) -> RowBlocks:
    """The 企业 sheet of the enterprises at positions ``listed`` (:data:`LARGE_COLUMNS`), a block of rows at a time:
    taken, codes read as labels, written, dropped. Widths are measured on what :func:`~.sheets.display_width`
    measures of a whole column: every k-th value present (a missing ``issues`` reads as empty text).
    """
    columns = [c for c in LARGE_COLUMNS if c in enterprises.columns]

    def rows(at: np.ndarray, names=columns) -> pd.DataFrame:
        return enterprise_sheet(pd.DataFrame({c: enterprises[c].iloc[at] for c in names}), manifest)

    def blocks(n: int) -> Iterator[pd.DataFrame]:
        return (rows(listed[start : start + n]) for start in range(0, len(listed), n))

    def sample(c: int) -> pd.Series:
        name = columns[c]
        present = listed if name == R.ISSUES else listed[enterprises[name].notna().to_numpy()[listed]]
        return rows(present[:: max(1, -(-len(present) // WIDTH_SAMPLE))], [name]).iloc[:, 0]

    return RowBlocks(rows(listed[:0]), len(listed), blocks, sample)


def _flagged_note(flagged: int, rows: int) -> str:
    listed = min(flagged, EXCEL_SHEET_ROWS)
    cut = (
        f"（触及标准的共 {flagged:,} 家，超出 Excel 每表 1,048,576 行的上限，仅列前 {listed:,} 家）"
        if flagged > listed
        else ""
    )
    return (
        f"本表仅列出触及标准的 {listed:,} 家企业{cut}；全部 {rows:,} 行见 results.gpkg / results.parquet。"
        f"Only flagged enterprises are listed ({listed:,} of {flagged:,} flagged, {rows:,} rows in all); "
        "full results are in results.gpkg / results.parquet."
    )


def write_summary_workbook(
    path: str | os.PathLike | IO[bytes],
    *,
    flagged: pd.DataFrame,
    flagged_total: int,
    rows: int,
    by_standard: pd.DataFrame,
    by_disposition: pd.DataFrame,
    manifest: dict,
    listed: np.ndarray | None = None,
) -> Path:
    """``results.xlsx`` of a streamed run: flagged enterprises (up to a sheet's limit, :data:`LARGE_COLUMNS`) and the
    county summaries.

    The summaries are :func:`summary_by_county` and :func:`disposition_by_county` added up over the
    chunks; evidence rows are not listed (they are in results.gpkg, layer ``hits``). ``listed``: the positions of
    the flagged rows when ``flagged`` holds other enterprises too (a whole run's).
    """
    listed = np.arange(len(flagged)) if listed is None else listed
    sheets = {
        SHEET_ENTERPRISES: _listed_sheet(flagged, listed[:EXCEL_SHEET_ROWS], manifest),
        SHEET_SUMMARY: summary_sheet(by_standard),
        SHEET_BY_DISPOSITION: by_disposition,
        SHEET_RUN: _run_info(manifest, {"企业总数": f"{rows:,}", "触及标准企业数": f"{flagged_total:,}"}),
    }
    stamp = _stamp_notes(manifest, sheets)
    notes = {
        SHEET_ENTERPRISES: _flagged_note(flagged_total, rows),
        SHEET_SUMMARY: "证据明细见 results.gpkg 图层 hits / evidence rows are in results.gpkg, layer hits",
    }
    notes = {**stamp, **{name: "\n".join(filter(None, [stamp.get(name), note])) for name, note in notes.items()}}
    write_workbook(path, sheets, notes=notes, title=stamped("geo_screen 筛查结果", manifest))
    return Path(path) if isinstance(path, (str, os.PathLike)) else None
