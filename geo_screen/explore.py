"""Page logic of the planner's map: filters, search, counts, the enterprise card, URL state and downloads.

Plain pandas, unit-tested without Streamlit; ``app.py`` only wires widgets to these functions.

>>> run = prepare(read_results("out/demo"))                                  # doctest: +SKIP
>>> shown = apply_filters(run, Filters(counties=("崇川区",), dispositions=("close",)))  # doctest: +SKIP
>>> card = enterprise_card(run, "91320602MA1XXXXXXX")                        # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.mapview import BASEMAPS, DISPOSITION_STYLES, enterprise_keys
from geo_screen.rules import load_rules

UNKNOWN = "未知"
#: short Chinese names of the standards, for filters, charts and the card
STANDARD_SHORT_ZH: dict[str, str] = {
    "1": "淘汰类装备", "2": "法定手续", "3": "规划/生态红线", "4": "饮用水水源保护区", "5": "卫生防护距离",
    "6": "排放/能耗", "7": "重大安全隐患", "8": "长期停车", "9": "沿江生态带", "10": "绩效D档",
    "scattered": "散乱污", "violation": "严重环境违法",
}
#: Filters field -> URL query key
QUERY_KEYS = {"counties": "county", "industries": "industry", "standards": "std", "dispositions": "disp",
              "row_statuses": "status", "search": "q"}
SELECTED_KEY, BASEMAP_KEY = "sel", "basemap"


def standard_label(standard: str) -> str:
    """``标准3 规划/生态红线``; the two extra rules have no number."""
    short = STANDARD_SHORT_ZH.get(standard, standard)
    return f"标准{standard} {short}" if standard.isdigit() else short


@dataclass(frozen=True)
class Filters:
    """What the sidebar selects; an empty tuple means "all"."""

    counties: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    standards: tuple[str, ...] = ()        #: enterprises hitting any of these
    dispositions: tuple[str, ...] = ()
    row_statuses: tuple[str, ...] = ()
    search: str = ""                       #: part of a name or USCC


@dataclass
class Run:
    """A screening result prepared for the page: stable keys, filter options and a search index."""

    result: R.ScreenResult
    keys: pd.Series
    options: dict[str, list[str]]
    search_text: pd.Series
    key_index: dict[str, int] = field(default_factory=dict)
    run_id: str = ""                        #: identifies the run in caches keyed on it

    @property
    def enterprises(self) -> gpd.GeoDataFrame:
        return self.result.enterprises


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(UNKNOWN, index=frame.index, dtype=object)
    values = frame[column].astype("string").str.strip()
    return values.where(values.notna() & (values != ""), UNKNOWN).astype(object)


def prepare(result: R.ScreenResult) -> Run:
    """Keys (:func:`geo_screen.mapview.enterprise_keys`), filter options and the search index of a run."""
    ents = result.enterprises
    keys = enterprise_keys(ents)
    name = ents[R.NAME].astype("string").fillna("") if R.NAME in ents else pd.Series("", index=ents.index)
    uscc = ents[R.ENTERPRISE_ID].astype("string").fillna("") if R.ENTERPRISE_ID in ents else ""
    search = (name + "|" + uscc + "|" + keys.astype("string")).map(_norm)
    present_codes = set(ents[R.DISPOSITION].dropna()) if R.DISPOSITION in ents else set()
    options = {
        "counties": sorted(set(_text(ents, R.COUNTY)), key=lambda v: (v == UNKNOWN, v)),
        "industries": sorted(set(_text(ents, R.INDUSTRY)), key=lambda v: (v == UNKNOWN, v)),
        "standards": list(R.STANDARDS),
        "dispositions": [c for c in R.DISPOSITIONS if c in present_codes] or list(R.DISPOSITIONS),
        "row_statuses": list(R.ROW_STATUSES),
    }
    run_id = f"{id(result):x}:{result.manifest.get('started', '')}:{len(ents)}"
    return Run(result, keys, options, search, {k: i for i, k in enumerate(keys)}, run_id)


# --------------------------------------------------------------------------- filtering

def filter_mask(run: Run, filters: Filters) -> np.ndarray:
    """Boolean mask of the enterprises passing every active filter."""
    ents = run.enterprises
    mask = np.ones(len(ents), dtype=bool)
    if filters.counties:
        mask &= _text(ents, R.COUNTY).isin(filters.counties).to_numpy()
    if filters.industries:
        mask &= _text(ents, R.INDUSTRY).isin(filters.industries).to_numpy()
    if filters.standards:
        hit = np.zeros(len(ents), dtype=bool)
        for s in filters.standards:
            col = R.std_column(s)
            if col in ents:
                hit |= (ents[col] == R.HIT).to_numpy()
        mask &= hit
    if filters.dispositions:
        mask &= ents[R.DISPOSITION].isin(filters.dispositions).to_numpy()
    if filters.row_statuses:
        mask &= ents[R.ROW_STATUS].astype("string").isin(filters.row_statuses).fillna(False).to_numpy(dtype=bool)
    needle = _norm(filters.search or "")
    if needle:
        mask &= run.search_text.str.contains(needle, regex=False).to_numpy(dtype=bool)
    return mask


def apply_filters(run: Run, filters: Filters) -> gpd.GeoDataFrame:
    """The enterprises passing ``filters`` (original index kept)."""
    return run.enterprises[filter_mask(run, filters)]


# --------------------------------------------------------------------------- URL state

def _values(params: Mapping[str, str | Sequence[str]], key: str) -> list[str]:
    raw = params.get(key, [])
    raw = [raw] if isinstance(raw, str) else list(raw)
    return [v.strip() for item in raw for v in str(item).split(",") if v.strip()]


def filters_from_query(params: Mapping[str, str | Sequence[str]], run: Run) -> Filters:
    """Filters from URL query parameters; values this run does not have are dropped (links outlive data).

    Dispositions may be given as codes or Chinese labels (``disp=close`` or ``disp=关闭取缔``).
    """
    by_label = {label: code for code, label in R.DISPOSITIONS.items()}
    picked = {}
    for name, key in QUERY_KEYS.items():
        if name == "search":
            continue
        values = _values(params, key)
        if name == "dispositions":
            values = [by_label.get(v, v) for v in values]
        allowed = set(run.options[name])
        picked[name] = tuple(dict.fromkeys(v for v in values if v in allowed))
    search = params.get(QUERY_KEYS["search"], "")
    search = search if isinstance(search, str) else (list(search) or [""])[0]
    return Filters(**picked, search=str(search).strip()[:100])


def query_from_state(filters: Filters, *, selected: str | None = None, basemap: str = "none") -> dict[str, str | list[str]]:
    """URL query parameters for the current view (only what differs from the defaults)."""
    out: dict[str, str | list[str]] = {}
    for name, key in QUERY_KEYS.items():
        value = getattr(filters, name)
        if value:
            out[key] = value if isinstance(value, str) else list(value)
    if selected:
        out[SELECTED_KEY] = selected
    if basemap != "none":
        out[BASEMAP_KEY] = basemap
    return out


def selected_from_query(params: Mapping[str, str | Sequence[str]], run: Run) -> str | None:
    """The selected enterprise key from the URL, if this run has it."""
    values = _values(params, SELECTED_KEY)
    return values[0] if values and values[0] in run.key_index else None


def basemap_from_query(params: Mapping[str, str | Sequence[str]]) -> str:
    values = _values(params, BASEMAP_KEY)
    return values[0] if values and values[0] in BASEMAPS else "none"


# --------------------------------------------------------------------------- counts

def summary_counts(enterprises: pd.DataFrame) -> dict[str, int]:
    """Headline numbers: enterprises, flagged (any standard hit), fully clear, not assessed, without location."""
    flagged = enterprises[R.STANDARDS_HIT].fillna("").astype(str) != ""
    return {
        "enterprises": int(len(enterprises)),
        "flagged": int(flagged.sum()),
        "none": int((enterprises[R.DISPOSITION] == R.NO_DISPOSITION).sum()),
        "not_assessed": int((enterprises[R.DISPOSITION] == R.NOT_ASSESSED_DISPOSITION).sum()),
        "no_location": int((enterprises[R.ROW_STATUS] == R.STATUS_INVALID).sum()),
    }


def disposition_counts(enterprises: pd.DataFrame) -> pd.DataFrame:
    """Every disposition in severity order: ``code``, ``处置方式``, ``企业数``, ``颜色``."""
    counts = enterprises[R.DISPOSITION].value_counts()
    return pd.DataFrame({
        "code": list(R.DISPOSITIONS), "处置方式": list(R.DISPOSITIONS.values()),
        "企业数": [int(counts.get(c, 0)) for c in R.DISPOSITIONS],
        "颜色": [DISPOSITION_STYLES[c][0] for c in R.DISPOSITIONS],
    })


def county_counts(enterprises: pd.DataFrame, *, flagged_only: bool = True) -> pd.DataFrame:
    """County x disposition (Chinese labels) counts, for the stacked chart; columns in severity order."""
    ents = enterprises
    if flagged_only:
        ents = ents[ents[R.STANDARDS_HIT].fillna("").astype(str) != ""]
    labels = ents[R.DISPOSITION].map(R.DISPOSITIONS)
    table = pd.crosstab(_text(ents, R.COUNTY), labels)
    return table[[v for v in R.DISPOSITIONS.values() if v in table.columns]].rename_axis(index="县（市、区）", columns=None)


def results_table(run: Run, enterprises: pd.DataFrame) -> pd.DataFrame:
    """The filtered enterprises as a display table with Chinese headers (key first, for selection)."""
    def zh_list(values: pd.Series) -> pd.Series:
        return values.fillna("").astype(str).map(
            lambda v: "、".join(standard_label(s) for s in R.standards_label(v)))
    return pd.DataFrame({
        "编号": run.keys.loc[enterprises.index],
        R.LABELS_ZH[R.NAME]: enterprises.get(R.NAME),
        R.LABELS_ZH[R.COUNTY]: _text(enterprises, R.COUNTY),
        R.LABELS_ZH[R.INDUSTRY]: _text(enterprises, R.INDUSTRY),
        "处置方式": enterprises[R.DISPOSITION].map(R.DISPOSITIONS),
        "触及标准": zh_list(enterprises[R.STANDARDS_HIT]),
        "未评估标准": zh_list(enterprises[R.NOT_ASSESSED_COL]),
        "行状态": enterprises[R.ROW_STATUS].map(R.ROW_STATUS_ZH),
        "数据问题": enterprises[R.ISSUES].fillna(""),
    }, index=enterprises.index)


# --------------------------------------------------------------------------- the enterprise card

@dataclass
class Card:
    """Everything the page shows for one enterprise."""

    key: str
    name: str
    disposition: str
    disposition_zh: str
    colour: str
    legal_basis: str
    facts: pd.DataFrame              #: 项目, 内容
    standards: pd.DataFrame          #: 标准, 内容, 结果, 证据, 处置, 法律依据
    warnings: list[str]
    lonlat: tuple[float, float] | None

    @property
    def hits(self) -> list[dict]:
        """The rows of :attr:`standards` that were hit."""
        return self.standards[self.standards["结果"] == R.STATUS_ZH[R.HIT]].to_dict("records")


def markdown_escape(text: object) -> str:
    """``text`` safe inside Streamlit markdown (names from user files may hold ``*``, ``[``, ``$``, ``:``...)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))


def _num(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(value) else value


def _blank(value) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) or str(value).strip() == ""


def _m(value) -> str:
    return f"{value:,.0f} 米" if abs(value) >= 10 else f"{value:,.1f} 米"


_ATTRIBUTE_ZH = {c: R.LABELS_ZH.get(c, c) for c in (*R.ATTRIBUTE_COLUMNS, R.GRADE)}


def _where(hit: pd.Series) -> str:
    texts = [v if isinstance(v, str) else "" for v in (hit.get("feature_name"), hit.get("zone_label"), hit.get("category"))]
    name, level = texts[0], texts[1] or texts[2]
    return f"{name}（{level}）" if name and level else (name or level)


def _hit_text(hit: pd.Series) -> str:
    margin, distance, required = _num(hit.get("margin_m")), _num(hit.get("distance_m")), _num(hit.get("required_m"))
    where = _where(hit)
    if hit["standard"] == "5" and distance is not None and required is not None:
        return f"{where}：距离 {_m(distance)}，要求不小于 {_m(required)}（相差 {_m(required - distance)}）"
    if isinstance(hit.get("detail"), str) and hit["detail"]:
        text = hit["detail"]
        for col, zh in _ATTRIBUTE_ZH.items():
            text = text.replace(col, zh)
        return text
    if margin is not None:
        return f"{where}：位于区内，距区域边界 {_m(margin)}"
    return where or "触及"


def _clear_text(row: pd.Series, standard: str, status: str) -> str:
    if standard in ("3", "4", "9") and status != R.NOT_ASSESSED:
        margin = _num(row.get(R.margin_column(standard)))
        return f"区外，距最近区域边界 {_m(-margin)}" if margin is not None and margin < 0 else "检索范围内无相关区域"
    if standard == "5":
        required = _num(row.get(R.SANITARY_REQUIRED))
        nearest, who = _num(row.get(R.NEAREST_SENSITIVE_M)), row.get(R.NEAREST_SENSITIVE_NAME)
        if required is None:
            return "无卫生防护距离（行业标准或环评均未给出）"
        if nearest is None:
            return f"要求 {_m(required)}；检索范围内无敏感目标"
        return f"最近敏感目标 {who if isinstance(who, str) else ''} 距离 {_m(nearest)}，要求 {_m(required)}"
    if status == R.NOT_ASSESSED:
        return "缺少登记属性" if standard not in R.SPATIAL_STANDARDS else "缺少位置或图层"
    return ""


def _near_edge(issues: str) -> list[str]:
    out = []
    for std, dist in re.findall(r"near_edge:(\w+)\(([\d.]+) m\)", issues or ""):
        out.append(f"{standard_label(std)}：距边界仅 {dist} 米，结果对位置误差敏感，建议现场核实")
    return out


def enterprise_card(run: Run, key: str, *, rules=None) -> Card | None:
    """The card of the enterprise with ``key``: facts, each standard's result with evidence, disposition.

    ``rules`` is the rule set for the standards' titles (the run's recorded rules file, else the shipped one).
    """
    pos = run.key_index.get(key)
    if pos is None:
        return None
    ents, hits = run.enterprises, run.result.hits
    row = ents.iloc[pos]
    recorded = Path(str(run.result.manifest.get("rules", {}).get("path", "")))
    rules = rules or load_rules(recorded if recorded.is_file() else None)
    own = hits[hits[R.INPUT_ROW] == row[R.INPUT_ROW]] if len(hits) else hits
    rows = []
    for s in R.STANDARDS:
        status = row.get(R.std_column(s), R.NOT_ASSESSED)
        mine = own[own["standard"].astype(str) == s] if len(own) else own
        if status == R.HIT and len(mine):
            evidence = "；".join(_hit_text(h) for _, h in mine.iterrows())
            disp = "、".join(dict.fromkeys(R.DISPOSITIONS.get(d, d) for d in mine[R.DISPOSITION]))
            basis = "；".join(dict.fromkeys(str(b) for b in mine[R.LEGAL_BASIS] if isinstance(b, str)))
        else:
            evidence, disp, basis = _clear_text(row, s, status), "", ""
        title = rules.standards[s].title if s in rules.standards else ""
        rows.append({"标准": standard_label(s), "内容": title, "结果": R.STATUS_ZH.get(status, status),
                     "证据": evidence, "处置": disp, "法律依据": basis})
    geom = row.geometry
    point = None if geom is None or geom.is_empty else geom.representative_point()
    lonlat = None if point is None else (float(point.x), float(point.y))
    status_zh = R.ROW_STATUS_ZH.get(row.get(R.ROW_STATUS), row.get(R.ROW_STATUS))
    facts = [(R.LABELS_ZH[c], row.get(c)) for c in (R.ENTERPRISE_ID, R.INDUSTRY, R.COUNTY, "address", R.GRADE)]
    facts += [(R.LABELS_ZH[R.ROW_STATUS], status_zh), (R.LABELS_ZH[R.INPUT_ROW], row.get(R.INPUT_ROW)),
              ("位置（CGCS2000）", f"{lonlat[0]:.6f}, {lonlat[1]:.6f}" if lonlat else "无有效位置")]
    facts = pd.DataFrame([(k, "—" if _blank(v) else str(v)) for k, v in facts], columns=["项目", "内容"])
    code = row.get(R.DISPOSITION) or R.NOT_ASSESSED_DISPOSITION
    colour = DISPOSITION_STYLES.get(code, ("#999999",))[0]
    return Card(key=key, name=str(row.get(R.NAME) or "（无名称）"), disposition=code,
                disposition_zh=R.DISPOSITIONS.get(code, code), colour=colour,
                legal_basis=str(row.get(R.LEGAL_BASIS) or ""), facts=facts, standards=pd.DataFrame(rows),
                warnings=_near_edge(str(row.get(R.ISSUES) or "")), lonlat=lonlat)


def card_header_html(card: Card) -> str:
    """The card's title line: the name and a badge in the disposition's map colour (text HTML-escaped)."""
    dark = card.disposition in ("close", "demolish", "stop", "per_law", "eliminate")
    return (f'<div style="font-size:1.25rem;font-weight:600;line-height:1.35">{html.escape(card.name)}</div>'
            f'<span style="display:inline-block;margin-top:4px;padding:2px 10px;border-radius:10px;'
            f'background:{card.colour};color:{"#fff" if dark else "#222"};border:1px solid #777;font-size:0.9rem">'
            f'{html.escape(card.disposition_zh)}</span>')


def option_label(kind: str, value: str) -> str:
    """How a filter option reads in the sidebar (Chinese labels for codes)."""
    if kind == "standards":
        return standard_label(value)
    if kind == "dispositions":
        return R.DISPOSITIONS.get(value, value)
    if kind == "row_statuses":
        return R.ROW_STATUS_ZH.get(value, value)
    return value


def disposition_chart_spec(counts: pd.DataFrame) -> dict:
    """A Vega-Lite bar chart of :func:`disposition_counts`, bars in the map's colours."""
    return {
        "mark": {"type": "bar", "stroke": "#555", "strokeWidth": 0.5},
        "encoding": {
            "y": {"field": "处置方式", "type": "nominal", "sort": list(counts["处置方式"]), "title": None},
            "x": {"field": "企业数", "type": "quantitative", "title": "企业数"},
            "color": {"field": "处置方式", "type": "nominal", "legend": None,
                      "scale": {"domain": list(counts["处置方式"]), "range": list(counts["颜色"])}},
            "tooltip": [{"field": "处置方式"}, {"field": "企业数"}],
        },
    }


def county_colours(table: pd.DataFrame) -> list[str]:
    """Colours of :func:`county_counts` columns (disposition labels), for a stacked bar chart."""
    by_label = {label: DISPOSITION_STYLES[code][0] for code, label in R.DISPOSITIONS.items()}
    return [by_label[c] for c in table.columns]


def source_caption(result: R.ScreenResult) -> str:
    """One line on where the shown results come from (input, rules, pack, time)."""
    m = result.manifest
    parts = [f"名录：{Path(str(m.get('input', {}).get('path', '—'))).name}",
             f"规则：{m.get('rules', {}).get('document') or m.get('rules', {}).get('name', '—')}",
             f"图层包：{m.get('catalog', {}).get('name', '—')}",
             f"坐标：{m.get('crs', {}).get('input', '—')}",
             f"筛查于 {str(m.get('finished', '—')).replace('T', ' ')[:19]}"]
    return " · ".join(parts)


# --------------------------------------------------------------------------- command line and downloads

@dataclass(frozen=True)
class AppArgs:
    """``streamlit run app.py -- --results DIR --catalog PATH``."""

    results: Path | None = None
    catalog: Path | None = None


def app_args(argv: Sequence[str] | None = None) -> AppArgs:
    """Parse the app's own arguments (``sys.argv`` after ``--``); unknown ones are ignored."""
    parser = argparse.ArgumentParser(prog="app.py", add_help=False)
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--catalog", type=Path, default=None)
    known, _ = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    return AppArgs(known.results, known.catalog)


@dataclass(frozen=True)
class Download:
    """One download button: its label, file name, MIME type and a callable making the bytes on click."""

    label: str
    file_name: str
    mime: str
    make: Callable[[], bytes]


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def results_xlsx_bytes(result: R.ScreenResult) -> bytes:
    from geo_screen.workbook import write_results_workbook
    with tempfile.TemporaryDirectory(prefix="geo_screen-download-") as tmp:
        return write_results_workbook(result, Path(tmp) / R.XLSX_NAME).read_bytes()


def results_gpkg_bytes(result: R.ScreenResult) -> bytes:
    from geo_screen.api import write_results
    with tempfile.TemporaryDirectory(prefix="geo_screen-download-") as tmp:
        write_results(result, tmp, excel=False, parquet=False)
        return (Path(tmp) / R.GPKG_NAME).read_bytes()


def public_list_bytes(result: R.ScreenResult) -> bytes:
    from geo_screen.export import public_list
    from geo_screen.sheets import workbook_bytes
    table = public_list(result)
    return workbook_bytes({"公示名单": table}, notes={"公示名单": f"触及综合标准企业名单（{len(table)} 家；筛查结果，经核实后公布）"},
                          landscape=True)


def package_counties(result: R.ScreenResult) -> list[str]:
    """Counties with flagged enterprises (the ones :func:`geo_screen.export.package_bytes` can package)."""
    flagged = result.flagged
    return sorted(set(_text(flagged, R.COUNTY)), key=lambda v: (v == UNKNOWN, v))


def downloads(result: R.ScreenResult, *, county: str | None = None) -> list[Download]:
    """Download buttons for a run: results (xlsx, gpkg), the public list and one county's package."""
    from geo_screen.export import package_bytes
    items = [Download("筛查结果 Excel", R.XLSX_NAME, XLSX_MIME, lambda: results_xlsx_bytes(result)),
             Download("筛查结果 GeoPackage", R.GPKG_NAME, "application/geopackage+sqlite3", lambda: results_gpkg_bytes(result)),
             Download("公示名单 Excel", "公示名单.xlsx", XLSX_MIME, lambda: public_list_bytes(result))]
    if county:
        items.append(Download(f"{county} 核查包 (zip)", f"{county}.zip", "application/zip",
                              lambda: package_bytes(result, by="county", value=county)))
    return items
