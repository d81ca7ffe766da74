"""The run's Excel workbook (results.xlsx): enterprises, evidence and summaries with Chinese headers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import pandas as pd

from geo_screen import results as R
from geo_screen.outputs.sheets import write_workbook
from geo_screen.vocabulary import COLUMN_ZH, DISPOSITION_ZH, MISSING_ZH, RESULT_ZH, ROW_STATUS_ZH, column_label

#: sheet names (the results contract): enterprises, evidence, summary by county x standard x disposition,
#: county x overall disposition, and the run's provenance; headers inside are Chinese
SHEET_ENTERPRISES, SHEET_HITS, SHEET_SUMMARY = "enterprises", "hits", "summary"
SHEET_BY_DISPOSITION, SHEET_RUN = "summary_disposition", "run"

#: Above this many enterprises the 企业 sheet lists only the flagged ones (the full results are in
#: results.gpkg / results.parquet): writing a million rows to Excel would take longer than screening them.
EXCEL_ROWS_MAX = 100_000
#: rows a sheet can hold below its header and note (Excel: 1,048,576 rows per sheet)
EXCEL_SHEET_ROWS = 1_048_576 - 3


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
    county = enterprises.set_index(R.INPUT_ROW)[R.COUNTY]
    per = pd.DataFrame(
        {
            R.COUNTY: hits[R.INPUT_ROW].map(county).fillna(MISSING_ZH).to_numpy(),
            "standard": hits["standard"].to_numpy(),
            R.DISPOSITION: hits[R.DISPOSITION].to_numpy(),
            R.INPUT_ROW: hits[R.INPUT_ROW].to_numpy(),
        }
    ).drop_duplicates()
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


def _zh(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy(deep=False)  # columns are replaced, never written into
    for col in out.columns:
        if col.startswith("std_"):
            out[col] = out[col].map(RESULT_ZH).fillna(out[col])
    if R.ROW_STATUS in out:
        out[R.ROW_STATUS] = out[R.ROW_STATUS].map(ROW_STATUS_ZH).fillna(out[R.ROW_STATUS])
    return out.rename(columns=lambda c: column_label(c))


def write_results_workbook(result: R.ScreenResult, path: str | os.PathLike | IO[bytes]) -> Path | None:
    """Write ``results.xlsx``: 企业 (enterprises), 证据 (hits), 汇总 (county summaries), 说明 (run notes).

    Above :data:`EXCEL_ROWS_MAX` enterprises the workbook is the one a streamed run writes
    (:func:`write_summary_workbook`): the flagged enterprises, up to a sheet's limit, and the county
    summaries, with a note on each sheet; the evidence rows stay in results.gpkg (a million-row
    registry has about two million of them, more than a sheet holds).

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
    enterprises = pd.DataFrame(result.enterprises.drop(columns="geometry"))
    if len(enterprises) > EXCEL_ROWS_MAX:  # the workbook a streamed run of the same registry writes
        flagged = pd.DataFrame(result.flagged.drop(columns="geometry"))
        return write_summary_workbook(
            path,
            flagged=flagged,
            flagged_total=len(flagged),
            rows=len(enterprises),
            by_standard=summary_by_county(result.enterprises, result.hits),
            by_disposition=disposition_by_county(result.enterprises),
            manifest=result.manifest,
        )
    hits = pd.DataFrame(result.hits.drop(columns="geometry"))
    summary = summary_by_county(result.enterprises, result.hits)
    summary = summary.rename(columns={**COLUMN_ZH, "count": "企业数"})
    manifest = result.manifest
    info = pd.DataFrame(
        {
            "项目": ["工具版本", "输入文件", "输入坐标系", "规则", "图层包", "开始时间", "结束时间"],
            "内容": [
                manifest.get("version"),
                manifest.get("input", {}).get("path"),
                manifest.get("crs", {}).get("input"),
                manifest.get("rules", {}).get("name"),
                manifest.get("catalog", {}).get("name"),
                manifest.get("started"),
                manifest.get("finished"),
            ],
        }
    )
    write_workbook(
        path,
        {
            SHEET_ENTERPRISES: _zh(enterprises),
            SHEET_HITS: _zh(hits),
            SHEET_SUMMARY: summary,
            SHEET_BY_DISPOSITION: disposition_by_county(result.enterprises),
            SHEET_RUN: info,
        },
    )
    return Path(path) if isinstance(path, (str, os.PathLike)) else None


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
) -> Path:
    """``results.xlsx`` of a streamed run: flagged enterprises (up to a sheet's limit) and the county summaries.

    The summaries are :func:`summary_by_county` and :func:`disposition_by_county` added up over the
    chunks; evidence rows are not listed (they are in results.gpkg, layer ``hits``).
    """
    by_standard = by_standard.rename(columns={**COLUMN_ZH, "count": "企业数"})
    info = pd.DataFrame(
        {
            "项目": [
                "工具版本",
                "输入文件",
                "输入坐标系",
                "规则",
                "图层包",
                "开始时间",
                "结束时间",
                "企业总数",
                "触及标准企业数",
            ],
            "内容": [
                manifest.get("version"),
                manifest.get("input", {}).get("path"),
                manifest.get("crs", {}).get("input"),
                manifest.get("rules", {}).get("name"),
                manifest.get("catalog", {}).get("name"),
                manifest.get("started"),
                manifest.get("finished"),
                f"{rows:,}",
                f"{flagged_total:,}",
            ],
        }
    )
    write_workbook(
        path,
        {
            SHEET_ENTERPRISES: _zh(flagged.head(EXCEL_SHEET_ROWS)),
            SHEET_SUMMARY: by_standard,
            SHEET_BY_DISPOSITION: by_disposition,
            SHEET_RUN: info,
        },
        notes={
            SHEET_ENTERPRISES: _flagged_note(flagged_total, rows),
            SHEET_SUMMARY: "证据明细见 results.gpkg 图层 hits / evidence rows are in results.gpkg, layer hits",
        },
    )
    return Path(path) if isinstance(path, (str, os.PathLike)) else None
