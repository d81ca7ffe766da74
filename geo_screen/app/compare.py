"""Two saved runs compared on the map: the run on screen against an earlier one (``cmp=`` in the URL).

:func:`compare_runs` runs :func:`geo_screen.outputs.changes.diff_runs` (the earlier run as ``old``, the run on screen
as ``new``; matched by enterprise id, duplicated and missing ids reported, never paired) and lines its result up
with the run on screen: each changed enterprise's categories in Chinese (:func:`change_labels`, for the map's
tooltip and the list), the enterprises gone since the earlier run as a layer of their own (they are not in the run
on screen; drawn at their old location), and ``changes.xlsx`` to download (:func:`changes_download`).

>>> view = compare_runs(runs.load_run("runs", old_id), run)          # doctest: +SKIP
>>> shown = shown[changed_mask(shown, view)]                           # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_screen import results as R
from geo_screen.app.downloads import XLSX_MIME, Download
from geo_screen.app.maplayers import DisplayLayer
from geo_screen.app.state import COMPARE_KEY, Run
from geo_screen.outputs.changes import CHANGES_XLSX, Changes, diff_runs, write_changes
from geo_screen.vocabulary import CHANGE_SHEETS, CHANGE_ZH, CHANGES

#: the column (list) and tooltip line holding an enterprise's change categories
CHANGE_TITLE = "变化类别"
#: enterprises gone since the earlier run: hollow, dashed grey rings at their old location
GONE_STYLE = {"radius": 7, "color": "#555555", "weight": 2, "dashArray": "3 3", "fill": False, "opacity": 0.9}


@dataclass(frozen=True)
class ChangesView:
    """A comparison as the page shows it.

    Attributes
    ----------
    changes
        :func:`geo_screen.outputs.changes.diff_runs`'s result (earlier run -> the run on screen).
    notes
        The changed enterprises of the run on screen (its index) -> their categories in Chinese, ``；``-joined.
    gone
        The enterprises gone since the earlier run as a map layer (None when there are none with a location).
    """

    changes: Changes
    notes: pd.Series
    gone: DisplayLayer | None


def compare_from_query(params: Mapping[str, str | Sequence[str]]) -> str | None:
    """The run the URL compares with (``cmp=``), checked later by :func:`geo_screen.app.runs.load_run`."""
    value = params.get(COMPARE_KEY)
    values = [value] if isinstance(value, str) else list(value or [])
    return values[0] if values and values[0] else None


def change_labels(codes: pd.Series) -> pd.Series:
    """``new;...`` change codes as their Chinese categories, ``；``-joined (``新增企业``, ``处置方式变化；…``)."""
    return codes.fillna("").astype(str).map(lambda c: "；".join(CHANGE_ZH[k] for k in c.split(";") if k))


def _ids(enterprises: pd.DataFrame) -> pd.Series:
    if R.ENTERPRISE_ID not in enterprises:
        return pd.Series(pd.NA, index=enterprises.index, dtype="string")
    return enterprises[R.ENTERPRISE_ID].astype("string").str.strip()


def compare_runs(old: R.ScreenResult, run: Run) -> ChangesView:
    """Compare the earlier run ``old`` with ``run`` (the run on screen).

    Parameters
    ----------
    old
        The earlier run's results.
    run
        The run on screen (:func:`geo_screen.app.state.prepare`).

    Returns
    -------
    ChangesView
        The changes, each changed enterprise of ``run`` with its categories, and the gone ones as a layer.
    """
    changes = diff_runs(old, run.result)
    table = changes.table
    present = table["change"] != "gone"
    labels = dict(zip(table.loc[present, R.ENTERPRISE_ID], change_labels(table.loc[present, "change"]), strict=True))
    ids = _ids(run.enterprises)
    matched = ids.isin(labels.keys()).to_numpy(dtype=bool)  # ids listed twice are not in the table: never matched
    notes = ids[matched].map(labels).astype(object)
    return ChangesView(changes, notes, _gone_layer(table[~present]))


def _gone_layer(gone: gpd.GeoDataFrame) -> DisplayLayer | None:
    geoms = gone.geometry.to_numpy()
    located = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms) if len(gone) else np.zeros(0, dtype=bool)
    if not located.any():
        return None
    title = f"{CHANGE_ZH['gone']}（上次位置）"
    names = gone[R.NAME].astype("string").fillna("").to_numpy(dtype=object)[located]
    ids = gone[R.ENTERPRISE_ID].astype(str).to_numpy(dtype=object)[located]
    frame = gpd.GeoDataFrame(
        {"tip": [f"{n}\n{CHANGE_ZH['gone']}\n{i}" for n, i in zip(names, ids, strict=True)]},
        geometry=geoms[located],
        crs=R.OUTPUT_CRS,
    )
    return DisplayLayer("changes_gone", "changes", "gone", title, frame, GONE_STYLE, True, True)


def changed_mask(enterprises: pd.DataFrame, view: ChangesView) -> np.ndarray:
    """Boolean mask of the rows of ``enterprises`` (rows of the run on screen) that changed."""
    return enterprises.index.isin(view.notes.index)


def summary_lines(view: ChangesView) -> list[str]:
    """The comparison in a few Chinese lines: enterprises per category, then ids not compared."""
    counts = view.changes.counts()
    lines = [
        f"变化企业 {len(view.changes.table):,} 家："
        + "，".join(f"{term.zh} {counts[term.code]:,}" for term in CHANGES)
        + "（一家企业可属于多个类别）。"
    ]
    repeated = view.changes.duplicates[R.ENTERPRISE_ID].nunique() if len(view.changes.duplicates) else 0
    if repeated:
        lines.append(
            f"{repeated:,} 个统一社会信用代码在一次筛查中出现多次（共 {len(view.changes.duplicates):,} 行），"
            f"未作对比，见 {CHANGES_XLSX} 的“{CHANGE_SHEETS['duplicates']}”。"
        )
    if len(view.changes.no_id):
        lines.append(
            f"{len(view.changes.no_id):,} 行缺少统一社会信用代码，未作对比，"
            f"见 {CHANGES_XLSX} 的“{CHANGE_SHEETS['no_id']}”。"
        )
    return lines


def changes_xlsx_bytes(changes: Changes) -> bytes:
    """``changes.xlsx`` of ``changes`` (:func:`geo_screen.outputs.changes.write_changes`, through a temporary
    folder: its GeoPackage is written to a file only)."""
    with tempfile.TemporaryDirectory(prefix="geo_screen-changes-") as tmp:
        write_changes(changes, tmp)
        return (Path(tmp) / CHANGES_XLSX).read_bytes()


def changes_download(view: ChangesView) -> Download:
    """The download button of ``changes.xlsx`` (made when clicked)."""
    return Download("两次筛查对比 Excel", CHANGES_XLSX, XLSX_MIME, lambda: changes_xlsx_bytes(view.changes))
