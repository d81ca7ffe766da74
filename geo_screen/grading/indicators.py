"""Reading the indicator table: one row per enterprise with its land, tax, sales, energy, pollutant, R&D and staff.

Headers are recognised like the registry's (canonical names or common Chinese headers; case, spaces, full-width
characters and brackets do not matter); values are parsed like the registry's (numbers with thousands commas and
full-width digits, yes/no words). Nothing is judged here: unparsed values become ``<column>_unparsed:<value>``
issues and empty cells stay empty; :mod:`geo_screen.grading.evaluate` turns them into ``not_graded`` reasons.

>>> table = read_indicators("亩均指标.xlsx")                     # doctest: +SKIP
>>> table[["enterprise_id", "county", "tax", "land_area_mu"]].head()  # doctest: +SKIP
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from geo_screen import results as R
from geo_screen.errors import InputDataError
from geo_screen.grading.method import NUMBER_INPUTS
from geo_screen.inputs.columns import COLUMN_ALIASES, match_columns
from geo_screen.inputs.identifiers import normalize_uscc_series
from geo_screen.inputs.sources import read_table
from geo_screen.inputs.values import (
    coded_values,
    join_issues,
    number_values,
    text_values,
    unknown_value,
    yes_no_values,
)


def _money(*names: str) -> tuple[str, ...]:
    """Each header bare and with its unit in brackets (brackets are ignored when matching)."""
    return tuple(h for n in names for h in (n, f"{n}(万元)"))


#: canonical column -> accepted headers of the indicator table
INDICATOR_ALIASES: dict[str, tuple[str, ...]] = {
    R.ENTERPRISE_ID: COLUMN_ALIASES[R.ENTERPRISE_ID],
    R.NAME: COLUMN_ALIASES[R.NAME],
    R.COUNTY: COLUMN_ALIASES[R.COUNTY],
    R.INDUSTRY: COLUMN_ALIASES[R.INDUSTRY],
    "size_class": ("size_class", "企业规模", "规模", "规模类别", "规上规下", "规上", "规模以上", "size"),
    "start_date": ("start_date", "投产时间", "投产日期", "投产年月", "投产年份", "开工投产时间", "建成投产时间"),
    "land_area_mu": (
        "land_area_mu",
        "用地面积",
        "用地面积(亩)",
        "占地面积",
        "占地面积(亩)",
        "土地面积",
        "土地面积(亩)",
        "用地亩数",
        "亩数",
        "land_area",
    ),
    "tax": ("tax", *_money("税收", "税收实际贡献", "实缴税金", "实缴税收", "入库税收", "税收总额")),
    "sales": ("sales", *_money("销售收入", "应税销售收入", "营业收入", "主营业务收入"), "revenue"),
    "value_added": ("value_added", *_money("增加值", "工业增加值")),
    "energy_tce": (
        "energy_tce",
        "综合能耗",
        "综合能耗(吨标准煤)",
        "能耗",
        "能耗(吨标准煤)",
        "总能耗",
        "能源消费量",
        "energy",
    ),
    "pollutant_eq": ("pollutant_eq", "主要污染物排放当量", "污染物排放当量", "排放当量", "主要污染物当量", "pollutant"),
    "rd_spend": ("rd_spend", *_money("研发经费", "研发投入", "研发费用", "r&d经费", "研究与试验发展经费"), "rd"),
    "staff": ("staff", "从业人员", "从业人员(人)", "从业人数", "职工人数", "年平均职工人数", "员工人数", "employees"),
    "serious_violation": COLUMN_ALIASES["serious_violation"],
    "major_accident": ("major_accident", "重大安全事故", "重大安全生产事故", "较大及以上安全事故", "安全事故"),
    "high_tech": ("high_tech", "高新技术企业", "高企", "高新企业"),
}
FLAG_COLUMNS = ("serious_violation", "major_accident", "high_tech")
_ABOVE = {"规上", "规模以上", "above", "是", "yes", "y", "true", "1"}
_BELOW = {"规下", "规模以下", "below", "否", "no", "n", "false", "0"}
_DATE = re.compile(r"^(\d{4})(?:\D{0,2}(\d{1,2}))?(?:\D{0,2}(\d{1,2}))?")


def read_indicators(path: str | Path, *, sheet: str | int | None = None, encoding: str | None = None) -> pd.DataFrame:
    """Read an indicator table (CSV or XLSX) into canonical columns, one row per input row, in input order.

    Parameters
    ----------
    path
        ``.csv``/``.txt`` (UTF-8, UTF-8 with BOM or GBK, detected) or ``.xlsx``.
    sheet, encoding
        Excel sheet (default the first); force a CSV text encoding.

    Returns
    -------
    pandas.DataFrame
        ``input_row``, every canonical column of :data:`INDICATOR_ALIASES` the file has (numbers as floats, yes/no
        as booleans, ``size_class`` as ``above``/``below``, ``start_date`` as datetime64), and ``issues``.

    Raises
    ------
    InputDataError
        Missing, empty or unreadable file; no enterprise-id or county column.
    """
    path = Path(path)
    table = read_table(path, sheet=sheet, layer=None, encoding=encoding)
    return indicators_from_frame(table.data, where=str(path))


def indicators_from_frame(data: pd.DataFrame, *, where: str = "the indicator table") -> pd.DataFrame:
    """Parse a frame with the indicator table's headers (see :func:`read_indicators`)."""
    columns = match_columns([str(c) for c in data.columns], INDICATOR_ALIASES)
    data = data.rename(columns=str)
    missing = [c for c in (R.ENTERPRISE_ID, R.COUNTY) if c not in columns]
    if missing:
        accepted = "; ".join(f"{c}: {', '.join(INDICATOR_ALIASES[c][:6])}" for c in missing)
        raise InputDataError(
            f"{where}: no {' and no '.join(missing)} column among the headers "
            f"({', '.join(map(str, data.columns))}); add one named as accepted ({accepted})"
        )
    n = len(data)
    out: dict[str, object] = {R.INPUT_ROW: np.arange(1, n + 1, dtype=np.int64)}
    issues: list[pa.Array | None] = []
    for canon, header in columns.items():
        text = text_values(data[header].astype("string"))
        if canon == R.ENTERPRISE_ID:
            out[canon] = normalize_uscc_series(text)
            continue
        if canon in (R.NAME, R.COUNTY, R.INDUSTRY):
            out[canon] = text
            continue
        if canon in NUMBER_INPUTS:
            values, bad = number_values(text, negative_ok=True)
        elif canon in FLAG_COLUMNS:
            values, bad = yes_no_values(text)
        elif canon == "size_class":
            values, bad = coded_values(text, _size_class)
        else:
            values, bad = _dates(text)
        out[canon] = values
        issues.append(_unparsed(bad, canon, text))
    frame = pd.DataFrame(out, index=pd.RangeIndex(n))
    frame[R.ISSUES] = pd.array(join_issues(issues, n), dtype="string")
    frame.attrs["indicators"] = {"source": where, "columns": columns}
    return frame


def _size_class(value: str):
    key = unicodedata.normalize("NFKC", value).strip().casefold()
    key = re.sub(r"(工业)?企业$", "", key)
    if key in _ABOVE:
        return "above"
    if key in _BELOW:
        return "below"
    return None if unknown_value(value) else ...


def _dates(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``2016-05-01``, ``2016/5/1``, ``2016年5月``, ``201605``, ``2016`` (a missing month or day reads as 1)."""
    values = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    bad = np.zeros(len(text), dtype=bool)
    for i, value in enumerate(text.to_numpy(dtype=object, na_value=None)):
        if value is None or unknown_value(value):
            continue
        hit = _DATE.match(unicodedata.normalize("NFKC", value).strip())
        try:
            year, month, day = (int(g) if g else 1 for g in (hit.groups() if hit else ()))
            values[i] = np.datetime64(f"{year:04d}-{month:02d}-{day:02d}")
        except ValueError:
            bad[i] = True
    return values, bad


def _unparsed(bad: np.ndarray, column: str, text: pd.Series) -> pa.Array | None:
    if not bad.any():
        return None
    out = np.full(len(bad), None, dtype=object)
    out[bad] = [f"{column}_unparsed:{str(v).replace(';', ',')[:30]}" for v in text[bad]]
    return pa.array(out, type=pa.large_string())
