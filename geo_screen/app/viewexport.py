"""The current view exported: the filtered enterprises as xlsx (a 筛选条件 sheet first) and as a GeoPackage.

What the sidebar's filters keep on the table and map is what these files hold, row for row; the filters are
stated in words (:func:`filters_in_words`), with the run they apply to and the moment of the export.

>>> shown = apply_filters(run, filters)                                          # doctest: +SKIP
>>> items = view_downloads(run, shown, filters)                                  # doctest: +SKIP
"""

from __future__ import annotations

import io
import tempfile
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo_screen import results as R
from geo_screen.app.downloads import XLSX_MIME, Download
from geo_screen.app.state import Filters, Run, option_label
from geo_screen.outputs.provenance import illustrative_layers, illustrative_stamp, local_time, stamped
from geo_screen.outputs.sheets import write_workbook
from geo_screen.outputs.workbook import enterprise_sheet, evidence_sheet

#: the label of each filter, as the sidebar shows it
FILTER_LABELS = {
    "counties": "县（市、区）",
    "industries": "行业",
    "standards": "触及标准",
    "dispositions": "处置方式",
    "row_statuses": "行状态",
}
SHEET_FILTERS, SHEET_ENTERPRISES, SHEET_HITS = "筛选条件", "企业", "证据"
VIEW_NAME = "当前视图"
GPKG_MIME = "application/geopackage+sqlite3"


def filters_in_words(filters: Filters) -> list[str]:
    """The active filters as Chinese sentences, one per filter; ``["全部企业（未筛选）"]`` when none is active.

    Examples
    --------
    >>> filters_in_words(Filters(dispositions=("close",), search="化工"))
    ['处置方式：关闭取缔', '名称或代码含“化工”']
    """
    lines = []
    for kind, label in FILTER_LABELS.items():
        values = getattr(filters, kind)
        if values:
            lines.append(f"{label}：{'、'.join(option_label(kind, v) for v in values)}")
    if filters.search:
        lines.append(f"名称或代码含“{filters.search}”")
    return lines or ["全部企业（未筛选）"]


def run_in_words(run: Run) -> dict[str, str]:
    """What the view's run is: registry file, rules, layer pack and when it was screened (Beijing time)."""
    m = run.result.manifest
    return {
        "名录": Path(str(m.get("input", {}).get("path") or "—")).name,
        "规则": str(m.get("rules", {}).get("document") or m.get("rules", {}).get("name") or "—"),
        "图层包": str(m.get("catalog", {}).get("name") or "—"),
        "筛查时间": local_time(m["finished"]) if m.get("finished") else "—",
    }


def filters_sheet(run: Run, shown: pd.DataFrame, filters: Filters, *, now: datetime | None = None) -> pd.DataFrame:
    """The first sheet: the filters in words, how many enterprises they keep, the run and the export's date."""
    items = [("筛选条件", line) for line in filters_in_words(filters)]
    items.append(("企业数", f"{len(shown):,} / {len(run.enterprises):,}（筛选后 / 全部）"))
    items += list(run_in_words(run).items())
    items.append(("导出时间", local_time(now)))
    stamp = illustrative_stamp(run.result.manifest)
    if stamp:
        items.append(("数据性质", f"{stamp}：图层 {'、'.join(illustrative_layers(run.result.manifest))} 为示意数据"))
    return pd.DataFrame(items, columns=["项目", "内容"])


def view_hits(run: Run, shown: pd.DataFrame) -> pd.DataFrame:
    """The evidence rows of the shown enterprises (matched on the registry row number)."""
    hits = run.result.hits
    if R.INPUT_ROW not in hits or R.INPUT_ROW not in shown:
        return hits.iloc[:0]
    return hits[hits[R.INPUT_ROW].isin(shown[R.INPUT_ROW])]


def view_xlsx_bytes(run: Run, shown: gpd.GeoDataFrame, filters: Filters, *, now: datetime | None = None) -> bytes:
    """The shown enterprises as xlsx: 筛选条件 (filters, run, date), 企业 (one row each), 证据 (their hits).

    Parameters
    ----------
    run
        The prepared run.
    shown
        The enterprises the filters keep (:func:`geo_screen.app.state.apply_filters`).
    filters
        The filters, stated on the first sheet.
    now
        The export's moment (default: now).

    Returns
    -------
    bytes
        The workbook; headers and codes in Chinese (:mod:`geo_screen.vocabulary`).
    """
    manifest = run.result.manifest
    sheets = {
        SHEET_FILTERS: filters_sheet(run, shown, filters, now=now),
        SHEET_ENTERPRISES: enterprise_sheet(pd.DataFrame(shown.drop(columns="geometry")), manifest),
        SHEET_HITS: evidence_sheet(pd.DataFrame(view_hits(run, shown).drop(columns="geometry", errors="ignore"))),
    }
    buf = io.BytesIO()
    write_workbook(buf, sheets, title=stamped(f"geo_screen 筛查结果（{VIEW_NAME}）", manifest))
    return buf.getvalue()


def view_gpkg_bytes(shown: gpd.GeoDataFrame) -> bytes:
    """The shown enterprises as a GeoPackage: layer ``enterprises``, their screened CGCS2000 locations (EPSG:4490;
    points, or the site's footprint where the registry gave one), written by pyogrio.

    Rows without a location keep their row with an empty geometry (no row is lost). GDAL writes GeoPackages
    to files only, so through a temporary folder.
    """
    frame = shown if shown.crs is not None else shown.set_crs(R.OUTPUT_CRS)
    frame = frame.to_crs(R.OUTPUT_CRS)
    with tempfile.TemporaryDirectory(prefix="geo_screen-view-") as tmp:
        path = Path(tmp) / "view.gpkg"
        pyogrio.write_dataframe(frame, path, layer=R.ENTERPRISES_LAYER, driver="GPKG")
        return path.read_bytes()


def view_downloads(run: Run, shown: gpd.GeoDataFrame, filters: Filters) -> list[Download]:
    """Download buttons for the current view: the shown enterprises as xlsx and as GeoPackage."""
    return [
        Download(f"{VIEW_NAME} Excel", f"{VIEW_NAME}.xlsx", XLSX_MIME, lambda: view_xlsx_bytes(run, shown, filters)),
        Download(f"{VIEW_NAME} GeoPackage", f"{VIEW_NAME}.gpkg", GPKG_MIME, lambda: view_gpkg_bytes(shown)),
    ]
