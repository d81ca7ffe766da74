"""Registry cell values: text, numbers, yes/no and grades as a registry's cells write them, and issue columns.

:mod:`geo_screen.inputs.registry` parses the canonical columns with these; the grading's indicator tables
(:mod:`geo_screen.grading`) read their own columns the same way, so a cell means the same in every table.
Each parser returns the values and the mask of non-blank cells it could not read (an ``<column>_unparsed``
issue); blanks and "unknown" words (未知, 待核实, n/a ...) are missing, never a value.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo_screen.coded import arrow_text
from geo_screen.inputs.identifiers import normalize_uscc_series

_TRUE = {"是", "有", "存在", "yes", "y", "true", "t", "1", "1.0", "√", "✓", "✔", "对"}
_FALSE = {"否", "无", "没有", "不存在", "不是", "no", "n", "false", "f", "0", "0.0", "×", "✗", "✘", "不"}
_UNKNOWN = {"-", "--", "—", "/", "na", "n/a", "nan", "null", "none", "未知", "不详", "待定", "待核实", "?", "？"}
_GRADE = re.compile(r"^([ABCD])(类|档|级|等|级企业|类企业)?$")

_THOUSANDS = r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?"


def text_values(values: pd.Series) -> pd.Series:
    """Stripped strings with ``<NA>`` for blanks, as the registry reads its text columns (Arrow kernels: cheap
    on a million rows). A column with nothing to strip and no blank keeps its Arrow buffers, so the registry's
    canonical column and the input column it came from hold the text once."""
    arr = arrow_text(values)
    trimmed = pc.utf8_trim_whitespace(arr)
    lengths = pc.binary_length(trimmed)
    blank = pc.equal(lengths, 0)
    if not pc.any(blank).as_py() and pc.all(pc.equal(lengths, pc.binary_length(arr))).as_py():
        trimmed = arr
    else:
        trimmed = pc.if_else(blank, pa.scalar(None, arr.type), trimmed)
    return pd.Series(pd.array(trimmed, dtype="string"), index=values.index)


def issue_column(mask: np.ndarray, prefix: str, text: pd.Series | None = None, *, limit: int = 30) -> pa.Array | None:
    """An issue column: ``prefix`` (+ the offending value, shortened) where ``mask``, else null (None: no row)."""
    if not mask.any():
        return None
    out = np.full(len(mask), None, dtype=object)
    if text is None:
        out[mask] = prefix
    else:
        detail = text[mask].astype("string").str.replace(";", ",", regex=False).str.slice(0, limit)
        out[mask] = (prefix + detail).to_numpy(dtype=object)
    return pa.array(out, type=pa.large_string())


def number_values(text: pd.Series, *, negative_ok: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Floats from a column's cells (raw, or :func:`text_values` output); full-width digits, thousands commas and
    a trailing ° / m / 米 are accepted.

    Returns the values (NaN where blank or not a number, and where negative unless ``negative_ok``) and the
    mask of non-blank values that were not accepted.
    """
    try:  # plain numbers (no blank, no space): read as they are
        values = pc.cast(arrow_text(text), pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # something is not a plain number: the slower, forgiving path
        text = text_values(text)
        cleaned = text.str.normalize("NFKC").str.replace(r"[\s°]|(米|m)$", "", regex=True)
        # a comma is a thousands separator only in 1,500 / 12,345.6; 100,5 may be a decimal comma: unparsed
        thousands = cleaned.str.fullmatch(_THOUSANDS).fillna(False).to_numpy(dtype=bool)
        cleaned = cleaned.where(~thousands, cleaned.str.replace(",", "", regex=False))
        values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    values = np.array(values, dtype="float64")
    bad = ~np.isfinite(values)
    if not negative_ok:
        bad |= values < 0
    values[bad] = np.nan
    return values, bad & text.notna().to_numpy()


def coded_values(text: pd.Series, parse, dtype: str = "string") -> tuple[pd.Series, np.ndarray]:
    """Parse each distinct value of ``text`` once with ``parse(value)``, which returns the parsed value, None
    (unknown) or ``...`` (unparsed); returns the values and the mask of unparsed ones.

    ``text`` is a column's cells, raw or :func:`text_values` output: each distinct cell is stripped before it is
    parsed, and a blank one is missing (so a column of a few words is read in one pass, without a stripped copy).
    """
    cells = pc.dictionary_encode(arrow_text(text))
    words = pc.utf8_trim_whitespace(cells.dictionary).to_pylist()
    results = [parse(w) if w else None for w in words]
    codes = pc.fill_null(cells.indices, -1).to_numpy(zero_copy_only=False)
    values = pd.array([None if r is ... else r for r in results], dtype=dtype).take(codes, allow_fill=True)
    unparsed = np.array([r is ... for r in results] + [False], dtype=bool)[codes]
    return pd.Series(values, index=text.index), unparsed


def _norm(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


def _bool_of(value: str):
    key = _norm(value)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None if key in _UNKNOWN else ...


def _grade_of(value: str):
    key = _norm(value)
    hit = _GRADE.match(key.upper())
    if hit:
        return hit.group(1)
    return None if key in _UNKNOWN else ...


def yes_no_values(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Booleans from a column's cells (是/否, 有/无, yes/no, 1/0, √/× ...), ``<NA>`` for blanks and
    unknowns (未知, 待核实 ...), and the mask of values that are neither."""
    return coded_values(text, _bool_of, "boolean")


def grade_values(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Performance grades A/B/C/D from a column's cells (``C``, ``C类``, ``c档`` ...), ``<NA>`` for
    blanks and unknowns, and the mask of values that are no grade."""
    return coded_values(text, _grade_of, "string")


def duplicate_id_issues(ids: pd.Series) -> pa.Array | None:
    """``duplicate_enterprise_id:rows 2,7`` where a normalised enterprise id repeats (rows: 1-based positions)."""
    dup = (ids.notna() & ids.duplicated(keep=False)).to_numpy()
    if not dup.any():
        return None
    rows = pd.Series(np.flatnonzero(dup) + 1, index=ids.index[dup])
    label = {
        key: "rows " + ",".join(map(str, grp[:5])) + (f" +{len(grp) - 5} more" if len(grp) > 5 else "")
        for key, grp in rows.groupby(ids[dup]).agg(list).items()
    }
    text = pd.Series(pd.NA, index=ids.index, dtype=object)
    text[dup] = ids[dup].map(label).to_numpy(dtype=object)
    return issue_column(dup, "duplicate_enterprise_id:", text, limit=80)


def duplicate_issues(raw_ids: pd.Series) -> pa.Array | None:
    """``duplicate_enterprise_id:rows ...`` issues for a whole file's raw id column (None when no duplicates).

    Row numbers are 1-based positions in ``raw_ids``, i.e. ``input_row``: pass the result's slices to
    :func:`geo_screen.inputs.registry.registry_from_table` when a large file is parsed chunk by chunk.
    """
    return duplicate_id_issues(normalize_uscc_series(text_values(raw_ids.reset_index(drop=True))))


def join_issues(issues: list[pa.Array | None], n: int) -> pa.Array:
    """Per row, the ``;``-join of the non-empty issue texts of each part (parts: text arrays, or None)."""
    arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in issues if a is not None]
    joined = pc.fill_null(pa.nulls(n, pa.large_string()), "")
    if not arrays:
        return joined
    noted = np.zeros(n, dtype=bool)  # the rows some part notes: only these are joined
    for a in arrays:
        noted |= a.is_valid().to_numpy(zero_copy_only=False)
    rows = pa.array(np.flatnonzero(noted))
    # (null_handling="skip" drops all-null rows in some pyarrow versions: join, then tidy)
    some = pc.binary_join_element_wise(
        *(a.take(rows) for a in arrays), pa.scalar(";", pa.large_string()), null_handling="replace", null_replacement=""
    )
    some = pc.utf8_trim(pc.replace_substring_regex(some, ";{2,}", ";"), ";") if len(arrays) > 1 else some
    return pc.replace_with_mask(joined, pa.array(noted), some)


def unknown_value(value: str) -> bool:
    """Whether a cell says "unknown" in the registry's words (``-``, 未知, 待核实, n/a ...)."""
    return _norm(value) in _UNKNOWN
