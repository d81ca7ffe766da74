"""Worksheet data rows as SpreadsheetML, built a column at a time with Arrow string kernels.

What it writes: the rows of the workbooks officials open (results.xlsx, checklists, lists), cell for cell as
xlsxwriter would. Why: xlsxwriter writes about 120,000 cells a second, one Python call each: the 40 million
cells of a million-row run's flagged enterprises would take five minutes (``scripts/bench_idioms.py``:
50,000 screened enterprises take 1.9 s here against 30 s through pandas' ``to_excel``). So
:mod:`geo_screen.outputs.sheets` lets xlsxwriter lay a workbook out (headers, widths, filters, frozen panes,
print setup, notes) without data rows, and :func:`package` adds them: cell for cell what xlsxwriter writes in its
constant-memory mode (in-line strings with its escapes, numbers, booleans, the column's style on
each cell, nothing for a missing value), with zlib compressing one block while the next is built.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from xlsxwriter.utility import xl_col_to_name

from geo_screen.coded import arrow_text

#: data rows are turned into sheet XML this many at a time
BLOCK_ROWS = 8_192
#: zlib level of the workbook. Measured on 607,790 rows x 65 columns: level 1 20.7 s / 264 MB, level 3
#: 21.6 s / 232 MB, level 6 (xlsxwriter's) 29.1 s / 192 MB. Beside the GeoPackage child on two cores the CPU
#: counts: the results.xlsx of 200,000 screened enterprises takes 2.8-2.9 s of CPU at level 1 (29.7 MB) against
#: 3.3-3.6 s at level 3 (26.1 MB)
_ZIP_LEVEL = 1

_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_DIMENSION = re.compile(r'<dimension ref="([A-Z]+[0-9]+)(?::[A-Z]+[0-9]+)?"/>')  # a sheet's extent, as laid out
#: text that needs xlsxwriter's Python escapes (rare: done value by value)
_NEEDS_PYTHON = r"[\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}]|_x[0-9a-fA-F]{4}_"
#: Python's str.isspace() characters in RE2 syntax (xlsxwriter tests leading/trailing blanks with re's \s)
SPACE_RE2 = (
    r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}"
    r"\x{205f}\x{3000}]"
)
#: object columns holding only numbers (pandas' inferred kinds), written as a numeric column
_NUMBER_KINDS = ("integer", "floating", "mixed-integer-float")
_LAST = 2**31 - 1  # "to the end" for Arrow's slice kernels
#: a text column with at most one distinct value per this many cells (in a block) is escaped value by value
_REPEATED = 4


class RowBlocks(NamedTuple):
    """A sheet's table too large to copy whole (a large run's 企业 sheet), made a block of rows at a time.

    ``head``: its columns, no rows; ``blocks(n)``: its ``rows`` rows in order, ``n`` at a time; ``sample(c)``: the
    values column ``c``'s width is measured on. The sheet's extent ends at its last row.
    """

    head: pd.DataFrame
    rows: int
    blocks: Callable[[int], Iterable[pd.DataFrame]]
    sample: Callable[[int], pd.Series]


def _excel_escapes(text: str) -> str:
    """Control characters as Excel's ``_xHHHH_`` escapes (and literal escapes protected), as xlsxwriter does."""
    text = _ESCAPED.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    return text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def _text_cells(text: pa.Array, ref: tuple) -> pa.Array:
    """``<c>`` elements of in-line strings (null where ``text`` is missing); ``ref`` opens each element.

    A column repeating a few values (statuses, dispositions, legal bases) is escaped once per distinct value.
    """
    encoded = pc.dictionary_encode(text)
    if len(encoded.dictionary) * _REPEATED <= len(text):
        body = _text_body(encoded.dictionary).take(encoded.indices)
    else:
        body = _text_body(text)
    return pc.binary_join_element_wise(*ref, body, "")


def _text_body(text: pa.Array) -> pa.Array:
    """What follows a text cell's reference: its type and its escaped in-line string (null where missing)."""
    if len(text) and pc.any(pc.match_substring_regex(text, _NEEDS_PYTHON)).as_py():
        text = pa.array([None if v is None else _excel_escapes(v) for v in text.to_pylist()], type=pa.string())
    ends = pc.or_(
        pc.match_substring_regex(pc.utf8_slice_codeunits(text, 0, 1), SPACE_RE2),
        pc.match_substring_regex(pc.utf8_slice_codeunits(text, -1, _LAST), SPACE_RE2),
    )
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, char, entity)
    open_t = pc.if_else(ends, '<t xml:space="preserve">', "<t>")
    return pc.binary_join_element_wise(' t="inlineStr"><is>', open_t, text, "</t></is></c>", "")


def _kind(s: pd.Series) -> str:
    """How a column's values are written: ``bool``, ``number``, ``date``, ``text`` or, for mixed objects, ``value``
    (typed one by one)."""
    kind = pd.api.types.infer_dtype(s, skipna=True) if s.dtype == object else None
    if pd.api.types.is_bool_dtype(s.dtype) or kind == "boolean":
        return "bool"
    if pd.api.types.is_numeric_dtype(s.dtype) or kind in _NUMBER_KINDS:
        return "number"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "date"
    return "value" if kind is not None and kind not in ("string", "empty") else "text"


def _column_cells(s: pd.Series, kind: str, ref: tuple) -> pa.Array:
    """One column's ``<c>`` elements (empty where the value is missing), typed as xlsxwriter types them."""
    if kind == "bool":
        values = pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.bool_(), from_pandas=True)
        cells = pc.binary_join_element_wise(*ref, ' t="b"><v>', pc.if_else(values, "1", "0"), "</v></c>", "")
    elif kind == "number":
        numbers = pd.to_numeric(s).to_numpy(dtype="float64", na_value=np.nan)
        values = pa.array(numbers, mask=~np.isfinite(numbers))
        text = pc.cast(values, pa.string())  # the shortest text that reads back as the same double
        cells = pc.binary_join_element_wise(*ref, "><v>", text, "</v></c>", "")
    elif kind == "date":
        text = s.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
        cells = _text_cells(arrow_text(text, large=False), ref)
    elif kind == "value":
        prefix, numbers, suffix = ref
        cells = pa.array(
            [_object_cell(v, f"{prefix}{n}{suffix}") for v, n in zip(s.tolist(), numbers.to_pylist())], type=pa.string()
        )
    else:
        cells = _text_cells(arrow_text(s, large=False), ref)
    return pc.fill_null(cells, "")


def _object_cell(value: Any, ref: str) -> str | None:
    """A cell of a mixed column, typed value by value as xlsxwriter's ``write`` types it (dates as text).

    Raises TypeError for a value a cell cannot hold (a dict, a list, ...).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return f'{ref} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime.time):
        return _object_cell(value.isoformat(), ref)
    if isinstance(value, (datetime.date, np.datetime64)):
        return _object_cell(pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S").replace(" 00:00:00", ""), ref)
    if not isinstance(value, str):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"unsupported type {type(value).__name__} in a cell: {value!r}") from None
        return f"{ref}><v>{number!r}</v></c>" if np.isfinite(number) else None
    return _text_cells(pa.array([value], type=pa.string()), (ref, "", "")).to_pylist()[0]


def _has_cell(s: pd.Series, kind: str) -> np.ndarray:
    """Which values of a column become a cell (missing values, NaN and infinities do not)."""
    if kind == "number":
        return np.isfinite(pd.to_numeric(s).to_numpy(dtype="float64", na_value=np.nan))
    if kind == "value":
        return np.array([_object_cell(v, "") is not None for v in s.tolist()], dtype=bool)
    return s.notna().to_numpy(dtype=bool)


def _cells(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """``df``, each column's :func:`_kind`, and which rows hold a cell (the others are left out, as xlsxwriter does)."""
    kinds = [_kind(df.iloc[:, c]) for c in range(len(df.columns))]
    filled = np.zeros(len(df), dtype=bool)
    for c, kind in enumerate(kinds):
        filled |= _has_cell(df.iloc[:, c], kind)
    return df, kinds, filled


def _rows_xml(
    frames: Iterable[tuple[pd.DataFrame, list[str], np.ndarray]], first_row: int, styles: Mapping[int, str]
) -> Iterator[bytes]:
    """Sheet XML of the rows of ``frames`` (as :func:`_cells` gives them) from 0-based sheet row ``first_row``, block by
    block; ``styles``: column -> xf index of its column format (cells inherit it, as xlsxwriter writes them)."""
    for df, kinds, filled in frames:
        suffixes = [f'" s="{styles[c]}"' if c in styles else '"' for c in range(len(df.columns))]
        for start in range(0, len(df), BLOCK_ROWS):
            block = df.iloc[start : start + BLOCK_ROWS]
            keep = filled[start : start + len(block)]
            if not keep.any():
                continue
            at = first_row + start + 1  # the block's first row number in the sheet
            numbers = pa.array(np.arange(at, at + len(block)).astype(str), type=pa.string())
            cells = (  # made and joined in one call: no block's cells are held while the next block's are made
                _column_cells(block.iloc[:, c], kind, (f'<c r="{xl_col_to_name(c)}', numbers, suffix))
                for c, (kind, suffix) in enumerate(zip(kinds, suffixes))
            )
            rows = pc.binary_join_element_wise('<row r="', numbers, '">', *cells, "</row>", "")
            if not keep.all():
                rows = rows.filter(pa.array(keep))
            offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset : rows.offset + len(rows) + 1]
            yield memoryview(rows.buffers()[2])[offsets[0] : offsets[-1]]
        first_row += len(df)


def _column_styles(sheet_xml: str) -> dict[int, str]:
    """Column (0-based) -> the xf index of its format, from a sheet's ``<cols>``."""
    styles = {}
    for match in re.finditer(r"<col ([^>]*)/>", sheet_xml):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if "style" in attrs:
            for c in range(int(attrs["min"]) - 1, int(attrs["max"])):
                styles[c] = attrs["style"]
    return styles


def package(layout: bytes, target: str | IO[bytes], data: Mapping[str, tuple[pd.DataFrame | RowBlocks, int]]) -> None:
    """Write the xlsx ``layout`` (xlsxwriter's, without data rows) to ``target`` with each sheet's data rows.

    ``data``: sheet name -> (its table, 0-based sheet row of its first data row), for the layout's first sheets in
    order (xlsxwriter writes the n-th sheet added as ``xl/worksheets/sheet<n>.xml``).
    """
    with (
        zipfile.ZipFile(io.BytesIO(layout)) as source,
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL) as out,
    ):
        parts = {f"xl/worksheets/sheet{n}.xml": rows for n, rows in enumerate(data.values(), 1)}
        for item in source.infolist():
            if item.filename not in parts:
                out.writestr(item, source.read(item.filename))
                continue
            head, tail = source.read(item.filename).decode("utf-8").split("</sheetData>", 1)
            table, first_row = parts[item.filename]
            if isinstance(table, RowBlocks):
                frames, columns, last = map(_cells, table.blocks(BLOCK_ROWS)), table.head.columns, table.rows
            else:
                frames, columns = [_cells(table)], table.columns
                last = int(np.flatnonzero(frames[0][2])[-1]) + 1 if frames[0][2].any() else 0
            if last:  # the sheet's extent: xlsxwriter's, down to the last row holding a cell
                end = f"{xl_col_to_name(len(columns) - 1)}{first_row + last}"
                head = _DIMENSION.sub(rf'<dimension ref="\1:{end}"/>', head, count=1)
            with out.open(item.filename, "w", force_zip64=True) as fh, ThreadPoolExecutor(max_workers=1) as pool:
                fh.write(head.encode("utf-8"))
                # zlib compresses a block without the GIL while the next block is built
                writing = pool.submit(fh.write, b"")
                for chunk in _rows_xml(frames, first_row, _column_styles(head)):
                    writing.result()
                    writing = pool.submit(fh.write, chunk)
                writing.result()
                fh.write(("</sheetData>" + tail).encode("utf-8"))
