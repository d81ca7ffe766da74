"""Page logic of the planner's map: filters, search, counts, tables and URL state.

Plain pandas, unit-tested without Streamlit; ``app.py`` only wires widgets to these functions. The
enterprise card is in :mod:`geo_screen.app.card`, the download buttons' files in :mod:`geo_screen.app.downloads`,
the app's command-line arguments in :mod:`geo_screen.app.args`; labels come from :mod:`geo_screen.vocabulary`.

>>> run = prepare(read_results("out/demo"))                                  # doctest: +SKIP
>>> shown = apply_filters(run, Filters(counties=("崇川区",), dispositions=("close",)))  # doctest: +SKIP
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.app.basemaps import BASEMAPS
from geo_screen.app.mapview import enterprise_keys
from geo_screen.app.symbols import DISPOSITION_STYLES, disposition_styles, run_precedence
from geo_screen.app.verification import verification_mask, verification_options, verification_values
from geo_screen.outputs.provenance import local_time, stamped
from geo_screen.vocabulary import DISPOSITION_ZH, MISSING_ZH, ROW_STATUS_ZH, VERDICT, column_label, standard_label

#: Filters field -> URL query key
QUERY_KEYS = {
    "counties": "county",
    "industries": "industry",
    "standards": "std",
    "dispositions": "disp",
    "row_statuses": "status",
    "verifications": "verif",
    "search": "q",
}
SELECTED_KEY, BASEMAP_KEY, RUN_KEY, COMPARE_KEY = "sel", "basemap", "run", "cmp"


@dataclass(frozen=True)
class Filters:
    """What the sidebar selects; an empty tuple means "all"."""

    counties: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    standards: tuple[str, ...] = ()  #: enterprises hitting any of these
    dispositions: tuple[str, ...] = ()
    row_statuses: tuple[str, ...] = ()
    verifications: tuple[str, ...] = ()  #: 未核实 or a finding (runs screened with the ledger)
    search: str = ""  #: part of a name or USCC


@dataclass
class Run:
    """A screening result prepared for the page: stable keys, filter options and a search index."""

    result: R.ScreenResult
    keys: pd.Series
    options: dict[str, list[str]]
    search_text: pd.Series
    key_index: dict[str, int] = field(default_factory=dict)
    run_id: str = ""  #: identifies the run in caches keyed on it
    #: disposition -> (fill, stroke, radius), most severe first: the run's rules' precedence as a severity ramp
    styles: dict[str, tuple[str, str, int]] = field(default_factory=lambda: dict(DISPOSITION_STYLES))

    @property
    def enterprises(self) -> gpd.GeoDataFrame:
        """The run's enterprises (one row per registry row)."""
        return self.result.enterprises


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(MISSING_ZH, index=frame.index, dtype=object)
    values = frame[column].astype("string").str.strip()
    return values.where(values.notna() & (values != ""), MISSING_ZH).astype(object)


def column_options(frame: pd.DataFrame, column: str) -> list[str]:
    """The distinct values of ``column`` as the filters offer them: stripped, blanks as ``未知`` (listed last)."""
    return sorted(set(_text(frame, column)), key=lambda v: (v == MISSING_ZH, v))


def prepare(result: R.ScreenResult) -> Run:
    """Keys (:func:`geo_screen.app.mapview.enterprise_keys`), filter options and the search index of a run.

    Parameters
    ----------
    result
        A screening run (in memory or read back with :func:`geo_screen.results.read_results`).

    Returns
    -------
    Run
        The run with what the page needs; dispositions offered are those present, in severity order, and the
        colours of its rules' precedence (:func:`geo_screen.app.symbols.run_precedence`).
    """
    ents = result.enterprises
    keys = enterprise_keys(ents)
    name = ents[R.NAME].astype("string").fillna("") if R.NAME in ents else pd.Series("", index=ents.index)
    uscc = ents[R.ENTERPRISE_ID].astype("string").fillna("") if R.ENTERPRISE_ID in ents else ""
    search = (name + "|" + uscc + "|" + keys.astype("string")).map(_norm)
    present_codes = set(ents[R.DISPOSITION].dropna()) if R.DISPOSITION in ents else set()
    options = {
        "counties": column_options(ents, R.COUNTY),
        "industries": column_options(ents, R.INDUSTRY),
        "standards": list(R.STANDARDS),
        "dispositions": [c for c in R.DISPOSITION_CODES if c in present_codes] or list(R.DISPOSITION_CODES),
        "row_statuses": list(R.ROW_STATUSES),
        "verifications": verification_options(ents),  # empty for a run screened without the ledger
    }
    run_id = f"{id(result):x}:{result.manifest.get('started', '')}:{len(ents)}"
    styles = disposition_styles(run_precedence(result.manifest))
    return Run(result, keys, options, search, {k: i for i, k in enumerate(keys)}, run_id, styles)


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
    if filters.verifications:
        mask &= verification_mask(ents, filters.verifications)
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

    Parameters
    ----------
    params
        The page's query parameters (``st.query_params``); repeated or comma-separated values.
    run
        The run the filters apply to (its options bound what is kept).

    Returns
    -------
    Filters
        The filters the URL asks for.
    """
    by_label = {label: code for code, label in DISPOSITION_ZH.items()}
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


def query_from_state(
    filters: Filters,
    *,
    selected: str | None = None,
    basemap: str = "none",
    run_id: str | None = None,
    compare_id: str | None = None,
) -> dict[str, str | list[str]]:
    """URL query parameters for the current view (filters that are set, the selection, any basemap but
    "none"); the run first, then the run it is compared with (``cmp=``)."""
    out: dict[str, str | list[str]] = {RUN_KEY: run_id} if run_id else {}
    if compare_id:
        out[COMPARE_KEY] = compare_id
    for name, key in QUERY_KEYS.items():
        value = getattr(filters, name)
        if value:
            out[key] = value if isinstance(value, str) else list(value)
    if selected:
        out[SELECTED_KEY] = selected
    if basemap != "none":
        out[BASEMAP_KEY] = basemap
    return out


def run_from_query(params: Mapping[str, str | Sequence[str]]) -> str | None:
    """The saved run the URL names (``run=``), checked later by :func:`geo_screen.app.runs.load_run`."""
    values = _values(params, RUN_KEY)
    return values[0] if values else None


def selected_from_query(params: Mapping[str, str | Sequence[str]], run: Run) -> str | None:
    """The selected enterprise key from the URL, if this run has it."""
    values = _values(params, SELECTED_KEY)
    return values[0] if values and values[0] in run.key_index else None


def basemap_from_query(
    params: Mapping[str, str | Sequence[str]], allowed: Sequence[str] = tuple(BASEMAPS), default: str = "none"
) -> str:
    """The basemap named in the page's URL parameters, or ``default`` when it names none of ``allowed`` (the
    built-in basemaps and the office's configured ones)."""
    values = _values(params, BASEMAP_KEY)
    return values[0] if values and values[0] in allowed else default


# --------------------------------------------------------------------------- counts


def summary_counts(enterprises: pd.DataFrame) -> dict[str, int]:
    """Headline numbers: enterprises, flagged (any standard hit), fully clear, not assessed, without location.

    Parameters
    ----------
    enterprises
        Enterprise rows (all of a run, or the filtered ones).

    Returns
    -------
    dict
        ``enterprises``, ``flagged`` (:func:`geo_screen.results.flagged_mask`), ``none``, ``not_assessed``,
        ``no_location``.
    """
    return {
        "enterprises": int(len(enterprises)),
        "flagged": int(R.flagged_mask(enterprises).sum()),
        "none": int((enterprises[R.DISPOSITION] == R.NO_DISPOSITION).sum()),
        "not_assessed": int((enterprises[R.DISPOSITION] == R.NOT_ASSESSED_DISPOSITION).sum()),
        "no_location": int((enterprises[R.ROW_STATUS] == R.STATUS_INVALID).sum()),
    }


def disposition_counts(enterprises: pd.DataFrame, styles: dict | None = None) -> pd.DataFrame:
    """Every disposition in severity order: ``code``, ``处置方式``, ``企业数``, ``颜色``.

    Parameters
    ----------
    enterprises
        Enterprise rows.
    styles
        The run's styles (``Run.styles``: its rules' severity order and colours); the shipped ones when None.

    Returns
    -------
    pandas.DataFrame
        One row per disposition code, zero counts included, with its label and map colour.
    """
    styles = styles or DISPOSITION_STYLES
    counts = enterprises[R.DISPOSITION].value_counts()
    return pd.DataFrame(
        {
            "code": list(styles),
            "处置方式": [DISPOSITION_ZH[c] for c in styles],
            "企业数": [int(counts.get(c, 0)) for c in styles],
            "颜色": [fill for fill, _, _ in styles.values()],
        }
    )


def county_counts(enterprises: pd.DataFrame, *, flagged_only: bool = True, styles: dict | None = None) -> pd.DataFrame:
    """County x disposition (Chinese labels) counts, for the stacked chart; columns in severity order.

    Parameters
    ----------
    enterprises
        Enterprise rows.
    flagged_only
        Count only the flagged enterprises.
    styles
        The run's styles: their order is the columns' (the shipped severity order when None).

    Returns
    -------
    pandas.DataFrame
        Counties (blank ones as ``未知``) by the dispositions present.
    """
    ents = enterprises
    if flagged_only:
        ents = ents[R.flagged_mask(ents)]
    labels = ents[R.DISPOSITION].map(DISPOSITION_ZH)
    table = pd.crosstab(_text(ents, R.COUNTY), labels)
    order = [DISPOSITION_ZH[c] for c in (styles or DISPOSITION_STYLES)]
    return table[[v for v in order if v in table.columns]].rename_axis(index=column_label(R.COUNTY), columns=None)


def results_table(run: Run, enterprises: pd.DataFrame) -> pd.DataFrame:
    """The filtered enterprises as a display table with Chinese headers (key first, for selection).

    Parameters
    ----------
    run
        The prepared run (its keys).
    enterprises
        The enterprises to show (rows of ``run``, original index).

    Returns
    -------
    pandas.DataFrame
        编号, name, county, industry, disposition, standards hit and not assessed (short labels), row status,
        data issues; on the index of ``enterprises``.
    """

    def zh_list(values: pd.Series) -> pd.Series:
        return (
            values.fillna("")
            .astype(str)
            .map(lambda v: "、".join(standard_label(s, form="short") for s in R.standard_keys(v)))
        )

    table = pd.DataFrame(
        {
            "编号": run.keys.loc[enterprises.index],
            column_label(R.NAME): enterprises.get(R.NAME),
            column_label(R.COUNTY): _text(enterprises, R.COUNTY),
            column_label(R.INDUSTRY): _text(enterprises, R.INDUSTRY),
            column_label(R.DISPOSITION_ZH): enterprises[R.DISPOSITION].map(DISPOSITION_ZH),
            column_label(R.STANDARDS_HIT): zh_list(enterprises[R.STANDARDS_HIT]),
            column_label(R.NOT_ASSESSED_COL): zh_list(enterprises[R.NOT_ASSESSED_COL]),
            column_label(R.ROW_STATUS): enterprises[R.ROW_STATUS].map(ROW_STATUS_ZH),
            column_label(R.ISSUES): enterprises[R.ISSUES].fillna(""),
        },
        index=enterprises.index,
    )
    if R.VERIFICATION in enterprises:  # a run screened with the ledger: its latest finding, after the disposition
        table.insert(5, VERDICT, verification_values(enterprises))
    return table


def option_label(kind: str, value: str) -> str:
    """How a filter option reads in the sidebar (Chinese labels for codes).

    Parameters
    ----------
    kind
        The filter: ``standards``, ``dispositions``, ``row_statuses`` (labelled) or any other (shown as is).
    value
        The option's value.

    Returns
    -------
    str
        E.g. ``标准3 规划/生态红线``, ``关闭取缔``, ``位置无效``.
    """
    if kind == "standards":
        return standard_label(value, form="short")
    if kind == "dispositions":
        return DISPOSITION_ZH.get(value, value)
    if kind == "row_statuses":
        return ROW_STATUS_ZH.get(value, value)
    return value  # verifications read as they are (未核实, 属实, ...)


def disposition_chart_spec(counts: pd.DataFrame) -> dict:
    """A Vega-Lite bar chart of :func:`disposition_counts`, bars in the map's colours."""
    return {
        "mark": {"type": "bar", "stroke": "#555", "strokeWidth": 0.5},
        "encoding": {
            "y": {"field": "处置方式", "type": "nominal", "sort": list(counts["处置方式"]), "title": None},
            "x": {"field": "企业数", "type": "quantitative", "title": "企业数"},
            "color": {
                "field": "处置方式",
                "type": "nominal",
                "legend": None,
                "scale": {"domain": list(counts["处置方式"]), "range": list(counts["颜色"])},
            },
            "tooltip": [{"field": "处置方式"}, {"field": "企业数"}],
        },
    }


def county_colours(table: pd.DataFrame, styles: dict | None = None) -> list[str]:
    """Colours of :func:`county_counts` columns (disposition labels), for a stacked bar chart.

    Parameters
    ----------
    table
        A :func:`county_counts` table.
    styles
        The run's styles; the shipped ones when None.

    Returns
    -------
    list of str
        One map colour per column.
    """
    by_label = {DISPOSITION_ZH[code]: fill for code, (fill, _, _) in (styles or DISPOSITION_STYLES).items()}
    return [by_label[c] for c in table.columns]


def source_caption(result: R.ScreenResult) -> str:
    """One line on where the shown results come from (input, rules, pack, time in Beijing time), led by the
    illustrative-data stamp when the run used illustrative layers."""
    m = result.manifest
    parts = [
        f"名录：{Path(str(m.get('input', {}).get('path', '—'))).name}",
        f"规则：{m.get('rules', {}).get('document') or m.get('rules', {}).get('name', '—')}",
        f"图层包：{m.get('catalog', {}).get('name', '—')}",
        f"坐标：{m.get('crs', {}).get('input', '—')}",
        f"筛查于 {local_time(m['finished']) if m.get('finished') else '—'}",
    ]
    return stamped(" · ".join(parts), m)
