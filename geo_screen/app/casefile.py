"""The card's ledger part: an enterprise's ledger history as a table, and a finding recorded from the card.

Read-only for everyone: :func:`history_table` lays out what the ledger holds for one enterprise (finding,
decision, deadline, location fix, note; who, when, document number). A logged-in user records a finding with
:func:`record_finding`: the checklist's 核查结论 values, a note and, for 位置有误, the corrected location
clicked on the map; it goes through the ledger's own :meth:`~geo_screen.ledger.store.Ledger.append`
(append-only, chained), carrying the user as ``recorded_by``, the run id and the source ``app``.

>>> with open_ledger("ledger.sqlite") as ledger:                                     # doctest: +SKIP
...     record_finding(ledger, "91320612502415011T", value="属实", by="张三", run_id="20250301-…")
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import folium
import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.app.basemaps import BasemapSource, display_offset
from geo_screen.app.card import markdown_escape
from geo_screen.app.state import Run
from geo_screen.errors import InputDataError
from geo_screen.inputs.crs import gcj02_to_wgs84, wgs84_to_gcj02
from geo_screen.ledger.entries import DECISION, FINDING, FINDINGS, LOCATION_FIX, Entry
from geo_screen.ledger.store import Ledger, ledger_url
from geo_screen.outputs.provenance import local_time
from geo_screen.vocabulary import LEDGER_KIND_ZH, VERDICT, WRONG_PLACE, disposition_label, standard_label

#: the ledger's ``source_file`` of every entry recorded from the map's card
APP_SOURCE = "app"
#: where a corrected location may lie (China, CGCS2000 degrees), as the checklist import checks it
LON_RANGE, LAT_RANGE = (73.0, 136.0), (3.0, 54.0)
#: the history table's columns, in order; those empty for every entry of an enterprise are left out
HISTORY_COLUMNS = ("序号", "记录时间", "类别", "标准", "内容", "文号", "发文单位", "整改期限", "更正位置", "说明",
                   "核查人", "记录人", "筛查批次", "来源", "更正第")  # fmt: skip
_ALWAYS = ("序号", "记录时间", "类别", "内容", "记录人")


def _source(entry: Entry) -> str | None:
    if entry.source_file == APP_SOURCE:
        return "地图记录"
    if entry.source_file:
        return f"{entry.source_file} 第 {entry.source_row} 行" if entry.source_row else entry.source_file
    return None


def history_table(entries: Sequence[Entry]) -> pd.DataFrame:
    """One enterprise's ledger entries as a table, oldest first.

    Parameters
    ----------
    entries
        The enterprise's entries (:meth:`~geo_screen.ledger.store.Ledger.entries` with its USCC).

    Returns
    -------
    pandas.DataFrame
        :data:`HISTORY_COLUMNS` (Chinese headers; time in Beijing time, a decision as its disposition's label),
        without the columns no entry fills; no rows when the ledger has nothing for the enterprise.
    """
    rows = []
    for e in sorted(entries, key=lambda e: e.seq or 0):
        fixed = e.lon is not None and e.lat is not None
        rows.append(
            {
                "序号": e.seq,
                "记录时间": local_time(e.recorded_at) if e.recorded_at else None,
                "类别": LEDGER_KIND_ZH.get(e.kind, e.kind),
                "标准": standard_label(e.standard, form="short") if e.standard else None,
                "内容": disposition_label(e.value) if e.kind == DECISION and e.value else e.value,
                "文号": e.doc_number,
                "发文单位": e.issuing_unit,
                "整改期限": e.due_date,
                "更正位置": f"{e.lon:.6f}, {e.lat:.6f}" if fixed else None,
                "说明": e.note,
                "核查人": e.inspector,
                "记录人": e.recorded_by,
                "筛查批次": e.run_id,
                "来源": _source(e),
                "更正第": f"{e.corrects} 条" if e.corrects is not None else None,
            }
        )
    table = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
    keep = [c for c in HISTORY_COLUMNS if c in _ALWAYS or table[c].notna().any()]
    return table[keep]


def finding_entries(
    enterprise_id: object,
    *,
    value: str | None,
    by: str | None,
    run_id: str | None,
    note: str | None = None,
    lonlat: tuple[float, float] | None = None,
) -> list[Entry]:
    """The entries one finding recorded from the card makes, checked as the checklist import checks a row.

    Parameters
    ----------
    enterprise_id
        The enterprise's USCC (统一社会信用代码).
    value
        The finding: one of the checklist's 核查结论 values (:data:`geo_screen.ledger.entries.FINDINGS`).
    by
        The logged-in user (the entries' ``recorded_by``).
    run_id
        The screening run shown (``run.json`` ``run_id``).
    note
        The user's note (核查情况说明).
    lonlat
        The corrected location (CGCS2000 degrees) clicked on the map; required for 位置有误, ignored otherwise.

    Returns
    -------
    list of Entry
        The finding; for 位置有误 also the location fix (as ``geo-screen verify`` records a corrected location), so
        that a re-screening with the ledger screens the corrected place.

    Raises
    ------
    InputDataError
        In Chinese, every problem at once: no user, no USCC, a value that is not a finding, 位置有误 without a
        location or with one outside China.
    """
    uscc = "" if enterprise_id is None or pd.isna(enterprise_id) else str(enterprise_id).strip()
    user = (by or "").strip()
    text = (note or "").strip() or None
    problems = []
    if not user:
        problems.append("未登录：记录核查结论须先登录，台账记下记录人")
    if not uscc:
        problems.append("该企业没有统一社会信用代码，台账无法按企业记录；请先在名录中补充后重新筛查")
    if value not in FINDINGS:
        problems.append(f"{VERDICT}：填写的是「{value or ''}」；允许：{' / '.join(FINDINGS)}")
    fix = None
    if value == WRONG_PLACE:
        if lonlat is None:
            problems.append(f"{VERDICT}为「{WRONG_PLACE}」时，请在地图上点击企业的正确位置")
        else:
            lon, lat = (float(v) for v in lonlat)
            if not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
                problems.append(f"更正位置 {lon:.6f}, {lat:.6f} 不在中国境内（经度 73–136、纬度 3–54），请重新点击")
            fix = (round(lon, 7), round(lat, 7))
    if problems:
        raise InputDataError("未记录：" + "；".join(problems))
    common = {"enterprise_id": uscc, "recorded_by": user, "run_id": run_id, "source_file": APP_SOURCE}
    entries = [Entry(kind=FINDING, value=value, note=text, **common)]
    if fix is not None:
        entries.append(Entry(kind=LOCATION_FIX, lon=fix[0], lat=fix[1], note=text, **common))
    return entries


def record_finding(ledger: Ledger, enterprise_id: object, **finding) -> list[Entry]:
    """Record a finding from the card in ``ledger`` (one transaction) and return the entries as recorded.

    Parameters
    ----------
    ledger
        The open ledger.
    enterprise_id
        The enterprise's USCC.
    **finding
        ``value``, ``by``, ``run_id``, ``note``, ``lonlat``: as :func:`finding_entries`.

    Returns
    -------
    list of Entry
        The entries with their ``seq``, time and hashes.

    Raises
    ------
    InputDataError
        As :func:`finding_entries`; nothing is recorded then.
    """
    return ledger.append(finding_entries(enterprise_id, **finding))


def clicked_lonlat(clicked: dict | None, *, basemap: str | BasemapSource = "none") -> tuple[float, float] | None:
    """The CGCS2000 lon/lat of a map click (``st_folium``'s ``last_clicked``), undoing the GCJ-02 display of AMap
    or of an office's GCJ-02 tiles."""
    if not clicked or clicked.get("lat") is None or clicked.get("lng") is None:
        return None
    lon, lat = float(clicked["lng"]), float(clicked["lat"])
    if display_offset(basemap) == "gcj02":
        x, y = gcj02_to_wgs84(np.array([lon]), np.array([lat]))
        lon, lat = float(x[0]), float(y[0])
    return lon, lat


def add_fix_marker(
    group: folium.FeatureGroup, lonlat: tuple[float, float], *, basemap: str | BasemapSource = "none"
) -> None:
    """Show a corrected location, not yet saved, as a marker in ``group`` (the selection's layer)."""
    lon, lat = lonlat
    if display_offset(basemap) == "gcj02":
        x, y = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
        lon, lat = float(x[0]), float(y[0])
    folium.Marker(
        (lat, lon),
        tooltip=f"更正位置（未保存）：{lonlat[0]:.6f}, {lonlat[1]:.6f}",
        icon=folium.DivIcon(
            html='<div class="gs-fix" style="width:14px;height:14px;margin:-7px 0 0 -7px;border:3px solid #0072B2;'
            'background:#fff;transform:rotate(45deg)"></div>',
            icon_size=(14, 14),
        ),
    ).add_to(group)


def ledger_where(target: str | os.PathLike) -> str:
    """How the page names a ledger: the file's name, or the database URL without its password."""
    text = os.fspath(target)
    if "://" not in text:
        return os.path.basename(text)
    return ledger_url(text).render_as_string(hide_password=True)


def enterprise_id(run: Run, key: str) -> str | None:
    """The USCC of the enterprise with ``key`` in ``run`` (None when the run lacks it or the registry left it blank)."""
    pos = run.key_index.get(key)
    if pos is None or R.ENTERPRISE_ID not in run.enterprises:
        return None
    value = run.enterprises[R.ENTERPRISE_ID].iloc[pos]
    return None if value is None or pd.isna(value) or not str(value).strip() else str(value).strip()


def history_markdown(table: pd.DataFrame) -> list[str]:
    """:func:`history_table`'s rows as short Markdown items for the narrow card, newest first.

    Each item leads with the entry's number, kind and value, then when, who and from where, then the details
    (document number, deadline, corrected location, note, inspector, run); user text is escaped.
    """
    items = []
    for record in reversed(table.to_dict("records")):
        row = {k: None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for k, v in record.items()}
        text = row.get
        head = f"**#{row['序号']} {markdown_escape(row['类别'])}"
        subject = "：".join(markdown_escape(v) for v in (text("标准"), text("内容")) if v)
        head += f"：{subject}**" if subject else "**"
        who = " · ".join(markdown_escape(v) for v in (text("记录时间"), text("记录人"), text("来源")) if v)
        details = [
            f"{column} {markdown_escape(text(column))}"
            for column in ("文号", "发文单位", "整改期限", "更正位置", "说明", "核查人", "更正第", "筛查批次")
            if text(column)
        ]
        items.append("  \n".join([f"{head}  {who}", *(["；".join(details)] if details else [])]))
    return items
