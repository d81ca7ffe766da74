"""Excel and CSV writing for the whole project: formula-safe text, readable layout, atomic files.

Every table that leaves geo_screen as a spreadsheet goes through
:func:`write_workbook` or :func:`write_csv`, so three promises hold everywhere:

* **No formula injection.** Text that a spreadsheet would evaluate (starting
  with ``=``, ``+``, ``-``, ``@``, tab or carriage return, also after leading
  blanks) gets the OWASP neutraliser, a leading apostrophe ``'``, in *both*
  xlsx and csv. The apostrophe is part of the stored text on purpose: a
  formatting flag (Excel's hidden "quote prefix") would not survive copy-paste,
  a CSV round trip or a script re-saving the sheet with openpyxl, which turns
  any string starting with ``=`` into a formula. xlsxwriter is also told never
  to convert strings to formulas, numbers or links.
* **Readable in Excel.** Frozen header row, autofilter, column widths from the
  content (CJK characters count double), A4 paper with the header row repeated
  on every printed page, landscape and fit-to-width on request.
* **Nothing half-written.** Files are written to a temporary name in the target
  folder and moved into place with :func:`os.replace`.

Targets may also be binary streams (``io.BytesIO``) for download buttons.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.exceptions import XlsxWriterException

from geo_screen.errors import ExportError

#: Excel's hard limits (rows include the header row and any note line).
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
#: Prefix put in front of text a spreadsheet would treat as a formula (OWASP CSV-injection advice).
NEUTRALISER = "'"
#: Column width bounds, in Excel character units.
MIN_WIDTH, MAX_WIDTH = 6, 50

_TRIGGER = re.compile(r"^(?:[\t\r]|\s*[=+\-@])")
# East Asian wide/full-width code points: each takes two character cells in Excel.
_WIDE = (r"[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
         r"\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]")
#: the same code points in RE2 syntax, for Arrow's kernels
_WIDE_RE2 = re.sub(r"\\U([0-9a-f]{8})|\\u([0-9a-f]{4})", lambda m: "\\x{%s}" % (m.group(1) or m.group(2)).lstrip("0"), _WIDE)
_BAD_SHEET_CHARS = set("[]:*?/\\")
_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    "in_memory": True,
}
#: data rows are turned into sheet XML this many at a time
_BLOCK_ROWS = 8_192
#: zlib level of the workbook. Measured on 607,790 rows x 65 columns: level 1 20.7 s / 264 MB, level 3
#: 21.6 s / 232 MB, level 6 (xlsxwriter's) 29.1 s / 192 MB: above level 3 compressing outlasts building the rows
_ZIP_LEVEL = 3

Target = str | os.PathLike | IO[bytes]


# --------------------------------------------------------------------------- formula injection

def neutralize_cell(value: Any) -> Any:
    """Return ``value`` made safe to open in a spreadsheet.

    Text starting with ``= + - @``, a tab or a carriage return (also after
    leading blanks) gets :data:`NEUTRALISER` in front; everything else,
    including numbers and missing values, comes back unchanged.

    Examples
    --------
    >>> neutralize_cell('=HYPERLINK("http://x")')
    '\\'=HYPERLINK("http://x")'
    >>> neutralize_cell("南通印染厂"), neutralize_cell(-5)
    ('南通印染厂', -5)
    """
    if isinstance(value, str) and _TRIGGER.match(value):
        return NEUTRALISER + value
    return value


def neutralize_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with every text cell and column header neutralised.

    Vectorised for string columns; object columns are checked cell by cell
    (only their text cells change). The input frame is not modified.
    """
    out = df.copy(deep=False)  # columns are replaced (isetitem), never written into
    for i, col in enumerate(df.columns):
        s = df.iloc[:, i]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("str")
        if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
            mask = pc.fill_null(pc.match_substring_regex(_as_text(s), _TRIGGER_RE2), False).to_numpy(zero_copy_only=False)
            if mask.any():
                s = s.where(~mask, NEUTRALISER + s)
        elif s.dtype == object:
            s = pd.Series([neutralize_cell(v) for v in s.tolist()], index=s.index, dtype=object)
        out.isetitem(i, s)
    out.columns = [neutralize_cell(c) if isinstance(c, str) else c for c in df.columns]
    return out


# --------------------------------------------------------------------------- atomic targets

@contextmanager
def _atomic(target: Target, *, what: str) -> Iterator[str | IO[bytes]]:
    """Yield a temporary path next to ``target`` (or the stream itself) and move it into place."""
    if not isinstance(target, (str, os.PathLike)):
        yield target
        return
    path = Path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"cannot create folder {path.parent} for {what}: {err}; "
                          "choose an output folder you can write to") from err
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield str(tmp)
        os.replace(tmp, path)
    except ExportError:
        raise
    except OSError as err:
        raise ExportError(f"cannot write {what} {path}: {err}; check that the folder is writable "
                          "and the file is not open in Excel/WPS") from err
    finally:
        tmp.unlink(missing_ok=True)


def _where(target: Target) -> str:
    return str(target) if isinstance(target, (str, os.PathLike)) else "<stream>"


# --------------------------------------------------------------------------- layout helpers

def display_width(values: pd.Series) -> int:
    """Widest entry of ``values`` in Excel character cells (CJK counts double, first line only)."""
    s = values.dropna()
    if s.empty:
        return 0
    if len(s) > 50_000:  # the widest of a large sample is plenty for a column width
        s = s.sample(50_000, random_state=0)
    try:
        text = pa.array(s, from_pandas=True)
        text = text if pa.types.is_string(text.type) or pa.types.is_large_string(text.type) else pc.cast(text, pa.string())
    except (pa.ArrowException, TypeError, ValueError):  # mixed objects: their Python text
        text = pa.array(s.astype(str).tolist(), type=pa.string())
    first = pc.list_element(pc.split_pattern(text, "\n", max_splits=1), 0)
    return int(pc.max(pc.add(pc.utf8_length(first), pc.count_substring_regex(first, _WIDE_RE2))).as_py())


def _check_sheet_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not name or len(name) > 31 or set(name) & _BAD_SHEET_CHARS \
            or name.startswith("'") or name.endswith("'") or name.lower() == "history":
        raise ExportError(
            f"{where}: sheet name {name!r} is not allowed in Excel; use 1-31 characters without "
            "[ ] : * ? / \\, not starting or ending with an apostrophe, and not 'History'")
    return name


# --------------------------------------------------------------------------- sheet data as XML

# xlsxwriter writes about 120,000 cells a second, one Python call each: 40 million cells (a million-row
# run's flagged enterprises) would take five minutes. So xlsxwriter lays a workbook out (headers, widths,
# filters, print setup, notes) and the data rows are written as SpreadsheetML built a column at a time
# with Arrow string kernels, cell for cell what xlsxwriter would write: in-line strings with its escapes,
# numbers, booleans, the column's style, nothing for a missing value.

_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")
#: text that needs xlsxwriter's Python escapes (rare: done value by value)
_NEEDS_PYTHON = r"[\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}]|_x[0-9a-fA-F]{4}_"
#: Python's str.isspace() characters in RE2 syntax (xlsxwriter tests leading/trailing blanks with re's \s)
_SPACE = (r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}"
          r"\x{205f}\x{3000}]")
#: :data:`_TRIGGER` in RE2 syntax, with Python's whitespace
_TRIGGER_RE2 = rf"^(?:[\t\r]|{_SPACE}*[=+\-@])"
#: object columns holding only numbers (pandas' inferred kinds), written as a numeric column
_NUMBER_KINDS = ("integer", "floating", "mixed-integer-float")
_LAST = 2**31 - 1  # "to the end" for Arrow's slice kernels


def _excel_escapes(text: str) -> str:
    """Control characters as Excel's ``_xHHHH_`` escapes (and literal escapes protected), as xlsxwriter does."""
    text = _ESCAPED.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    return text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def _text_cells(text: pa.Array, ref: tuple) -> pa.Array:
    """``<c>`` elements of in-line strings (null where ``text`` is missing); ``ref`` opens each element."""
    if len(text) and pc.any(pc.match_substring_regex(text, _NEEDS_PYTHON)).as_py():
        text = pa.array([None if v is None else _excel_escapes(v) for v in text.to_pylist()], type=pa.string())
    ends = pc.or_(pc.match_substring_regex(pc.utf8_slice_codeunits(text, 0, 1), _SPACE),
                  pc.match_substring_regex(pc.utf8_slice_codeunits(text, -1, _LAST), _SPACE))
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, char, entity)
    open_t = pc.if_else(ends, '<t xml:space="preserve">', "<t>")
    return pc.binary_join_element_wise(*ref, ' t="inlineStr"><is>', open_t, text, "</t></is></c>", "")


def _as_text(s: pd.Series) -> pa.Array:
    """Text values as an Arrow string array (missing values null)."""
    if not pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        s = s.astype("str")
    text = pa.array(s, from_pandas=True)
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    return pc.cast(text, pa.string())


def _column_cells(s: pd.Series, ref: tuple) -> pa.Array:
    """One column's ``<c>`` elements (empty where the value is missing), typed as xlsxwriter types them."""
    kind = pd.api.types.infer_dtype(s, skipna=True) if s.dtype == object else None
    if pd.api.types.is_bool_dtype(s.dtype) or kind == "boolean":
        values = pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.bool_(), from_pandas=True)
        cells = pc.binary_join_element_wise(*ref, ' t="b"><v>', pc.if_else(values, "1", "0"), "</v></c>", "")
    elif pd.api.types.is_numeric_dtype(s.dtype) or kind in _NUMBER_KINDS:
        numbers = pd.to_numeric(s).to_numpy(dtype="float64", na_value=np.nan)
        values = pa.array(numbers, mask=~np.isfinite(numbers))
        text = pc.cast(values, pa.string())  # the shortest text that reads back as the same double
        cells = pc.binary_join_element_wise(*ref, "><v>", text, "</v></c>", "")
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        text = s.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
        cells = _text_cells(_as_text(text), ref)
    elif kind is not None and kind not in ("string", "empty"):
        prefix, numbers, suffix = ref
        cells = pa.array([_object_cell(v, f"{prefix}{n}{suffix}") for v, n in zip(s.tolist(), numbers.to_pylist())],
                         type=pa.string())
    else:
        cells = _text_cells(_as_text(s), ref)
    return pc.fill_null(cells, "")


def _object_cell(value: Any, ref: str) -> str | None:
    """A cell of a mixed column, typed value by value as xlsxwriter's ``write`` types it (dates as text).

    Raises TypeError for a value a cell cannot hold (a dict, a list, ...).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return f'{ref} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (datetime.date, datetime.time, np.datetime64)):
        text = pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S").replace(" 00:00:00", "") \
            if not isinstance(value, datetime.time) else value.isoformat()
        return _object_cell(text, ref)
    if not isinstance(value, str):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"unsupported type {type(value).__name__} in a cell: {value!r}") from None
        return f"{ref}><v>{number!r}</v></c>" if np.isfinite(number) else None
    return _text_cells(pa.array([value], type=pa.string()), (ref, "", "")).to_pylist()[0]


def _letters(col: int) -> str:
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def _has_cell(s: pd.Series) -> np.ndarray:
    """Which values of a column become a cell (missing values, NaN and infinities do not)."""
    kind = pd.api.types.infer_dtype(s, skipna=True) if s.dtype == object else None
    if (pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)) \
            or kind in _NUMBER_KINDS:
        return np.isfinite(pd.to_numeric(s).to_numpy(dtype="float64", na_value=np.nan))
    if kind is not None and kind not in ("string", "empty", "boolean"):
        return np.array([_object_cell(v, "") is not None for v in s.tolist()], dtype=bool)
    return s.notna().to_numpy(dtype=bool)


def _rows_xml(df: pd.DataFrame, first_row: int, styles: Mapping[int, str]) -> Iterator[bytes]:
    """Sheet XML of ``df``'s rows, the first at 0-based sheet row ``first_row``, block by block.

    Rows without a cell are left out. ``styles``: column -> xf index of its column format (cells
    inherit it, as xlsxwriter writes them).
    """
    suffixes = [f'" s="{styles[c]}"' if c in styles else '"' for c in range(len(df.columns))]
    for start in range(0, len(df), _BLOCK_ROWS):
        block = df.iloc[start:start + _BLOCK_ROWS]
        numbers = pa.array(np.arange(first_row + start + 1, first_row + start + len(block) + 1).astype(str),
                           type=pa.string())
        cells = [_column_cells(block.iloc[:, c], (f'<c r="{_letters(c)}', numbers, suffix))
                 for c, suffix in enumerate(suffixes)]
        if not cells:
            continue
        rows = pc.binary_join_element_wise('<row r="', numbers, '">', *cells, "</row>", "")
        empty = pc.equal(pc.binary_length(rows), pc.add(pc.binary_length(numbers), len('<row r="">') + len("</row>")))
        if pc.any(empty).as_py():  # rows without a cell are left out, as xlsxwriter leaves them out
            rows = rows.filter(pc.invert(empty))
        if len(rows):
            offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset:rows.offset + len(rows) + 1]
            yield memoryview(rows.buffers()[2])[offsets[0]:offsets[-1]]


def _sheet_files(package: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML part in an xlsx package (from the workbook and its relationships)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    targets = {rel.get("Id"): rel.get("Target") for rel in
               ET.fromstring(package.read("xl/_rels/workbook.xml.rels")).findall("p:Relationship", ns)}
    sheets = ET.fromstring(package.read("xl/workbook.xml")).find("m:sheets", ns)
    return {sheet.get("name"): "xl/" + targets[sheet.get(f"{{{ns['r']}}}id")].lstrip("/").removeprefix("xl/")
            for sheet in sheets}


def _column_styles(sheet_xml: str) -> dict[int, str]:
    """Column (0-based) -> the xf index of its format, from a sheet's ``<cols>``."""
    styles = {}
    for match in re.finditer(r"<col ([^>]*)/>", sheet_xml):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if "style" in attrs:
            for c in range(int(attrs["min"]) - 1, int(attrs["max"])):
                styles[c] = attrs["style"]
    return styles


def _package(layout: bytes, target: str | IO[bytes], data: Mapping[str, tuple[pd.DataFrame, int]]) -> None:
    """Write the xlsx ``layout`` (xlsxwriter's, without data rows) to ``target`` with each sheet's data rows.

    ``data``: sheet name -> (frame, 0-based sheet row of its first data row).
    """
    with zipfile.ZipFile(io.BytesIO(layout)) as source, \
            zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL) as out:
        parts = {part: data[name] for name, part in _sheet_files(source).items() if name in data}
        for item in source.infolist():
            if item.filename not in parts:
                out.writestr(item, source.read(item.filename))
                continue
            head, tail = source.read(item.filename).decode("utf-8").split("</sheetData>", 1)
            frame, first_row = parts[item.filename]
            filled = np.zeros(len(frame), dtype=bool)
            for c in range(len(frame.columns)):
                filled |= _has_cell(frame.iloc[:, c])
            if filled.any():  # the sheet's extent: xlsxwriter's, down to the last row holding a cell
                last = f"{_letters(len(frame.columns) - 1)}{first_row + int(np.flatnonzero(filled)[-1]) + 1}"
                head = re.sub(r'<dimension ref="([A-Z]+[0-9]+)(?::[A-Z]+[0-9]+)?"/>',
                              lambda m: f'<dimension ref="{m.group(1)}:{last}"/>', head, count=1)
            with out.open(item.filename, "w", force_zip64=True) as fh, ThreadPoolExecutor(max_workers=1) as pool:
                fh.write(head.encode("utf-8"))
                # zlib compresses a block without the GIL while the next block is built
                writing = None
                for chunk in _rows_xml(frame, first_row, _column_styles(head)):
                    if writing is not None:
                        writing.result()
                    writing = pool.submit(fh.write, chunk)
                if writing is not None:
                    writing.result()
                fh.write(("</sheetData>" + tail).encode("utf-8"))


def _write_sheet(ws, df: pd.DataFrame, *, note: str | None, landscape: bool,
                 widths: Mapping[str, int], formats: dict) -> int:
    """Lay out one sheet (note, header, widths, filter, panes, print setup); return the row its data starts on.

    The data rows themselves are added by :func:`_package`.
    """
    ncols = len(df.columns)
    header_row = 0
    if note:
        ws.set_row(0, 15 * min(note.count("\n") + 1, 6), formats["note"])
        if ncols > 1:
            ws.merge_range(0, 0, 0, ncols - 1, note, formats["note"])
        else:
            ws.write_string(0, 0, note, formats["note"])
        header_row = 1
    for c, name in enumerate(df.columns):
        ws.write_string(header_row, c, str(name), formats["header"])
        auto = max(display_width(pd.Series([str(name)])), display_width(df.iloc[:, c])) + 2
        key = str(name)[len(NEUTRALISER):] if str(name) not in widths and str(name).startswith(NEUTRALISER) \
            else str(name)
        width = widths.get(key, min(max(auto, MIN_WIDTH), MAX_WIDTH))
        wrap = auto > width and not pd.api.types.is_numeric_dtype(df.iloc[:, c].dtype)
        ws.set_column(c, c, width, formats["wrap"] if wrap else None)
    ws.freeze_panes(header_row + 1, 0)
    if ncols:
        ws.autofilter(header_row, 0, header_row + max(len(df), 1), ncols - 1)
    ws.set_paper(9)  # A4
    ws.repeat_rows(header_row)
    if landscape:
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    return header_row + 1


def write_workbook(path: Target, sheets: Mapping[str, pd.DataFrame], *,
                   notes: Mapping[str, str] | None = None, landscape: bool = False,
                   widths: Mapping[str, Mapping[str, int]] | None = None) -> None:
    """Write data frames as sheets of one xlsx workbook, atomically.

    Parameters
    ----------
    path
        Target file (written to a temporary name, then renamed) or a binary stream.
    sheets
        Sheet name -> table, in sheet order. Columns become the header row; the
        index is not written. Text is neutralised (:func:`neutralize_frame`).
    notes
        Sheet name -> text. For a data sheet the text becomes a line above its
        table (the header then sits in row 2); any other name becomes an extra
        sheet after the data sheets holding the text one line per row (e.g.
        ``{"说明": "Excel holds at most 1,048,576 rows: only flagged ..."}``).
    landscape
        Print A4 landscape, fitted to the page width (A4 portrait otherwise);
        the header row repeats on every printed page either way.
    widths
        Sheet name -> {column: width} overriding the automatic widths.

    Raises
    ------
    ExportError
        A table has more rows or columns than Excel holds (filter it first), a
        sheet name is invalid, or the file cannot be written.
    """
    notes, widths = dict(notes or {}), dict(widths or {})
    where = _where(path)
    if not sheets and not notes:
        raise ExportError(f"{where}: nothing to write; pass at least one sheet")
    names = [_check_sheet_name(n, where) for n in [*sheets, *(k for k in notes if k not in sheets)]]
    if len({n.lower() for n in names}) < len(names):
        raise ExportError(f"{where}: sheet names {names} repeat (Excel ignores case); make them distinct")
    for name, df in sheets.items():
        rows = len(df) + 1 + (1 if notes.get(name) else 0)
        if rows > EXCEL_MAX_ROWS or len(df.columns) > EXCEL_MAX_COLUMNS:
            raise ExportError(
                f"{where}: sheet {name!r} has {len(df):,} rows x {len(df.columns):,} columns but Excel holds "
                f"at most {EXCEL_MAX_ROWS:,} rows (header and note included) x {EXCEL_MAX_COLUMNS:,} "
                "columns; filter the table first (e.g. only flagged enterprises) and point readers to "
                "results.gpkg/results.parquet for the full data")
    layout, data = io.BytesIO(), {}
    with _atomic(path, what="workbook") as target:
        wb = xlsxwriter.Workbook(layout, _WORKBOOK_OPTIONS)
        try:
            formats = {
                "header": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                         "text_wrap": True, "valign": "top"}),
                "note": wb.add_format({"italic": True, "text_wrap": True, "valign": "top"}),
                "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
            }
            for name, df in sheets.items():
                ws, safe = wb.add_worksheet(name), neutralize_frame(df)
                data[name] = (safe, _write_sheet(ws, safe, note=notes.get(name), landscape=landscape,
                                                 widths=widths.get(name, {}), formats=formats))
            for name, text in notes.items():
                if name in sheets:
                    continue
                ws = wb.add_worksheet(name)
                ws.set_column(0, 0, 120, formats["wrap"])
                for r, line in enumerate(str(text).split("\n")):
                    ws.write_string(r, 0, neutralize_cell(line))
        except (XlsxWriterException, TypeError, ValueError) as err:
            raise ExportError(f"cannot write workbook {where}: {err}") from err
        finally:
            try:
                wb.close()
            except (XlsxWriterException, OSError) as err:
                raise ExportError(f"cannot write workbook {where}: {err}; check that the folder is "
                                  "writable and the file is not open in Excel/WPS") from err
        try:
            _package(layout.getvalue(), target, data)
        except (TypeError, ValueError, pa.ArrowException) as err:
            raise ExportError(f"cannot write workbook {where}: {err}") from err


def write_csv(path: Target, df: pd.DataFrame, *, encoding: str = "utf-8-sig") -> None:
    """Write ``df`` as CSV (no index, CRLF line ends), neutralised and atomically.

    ``utf-8-sig`` (the default) starts with a byte-order mark so Excel on
    Chinese Windows detects UTF-8; ``gbk`` suits older tools but cannot hold
    every character.

    Raises
    ------
    ExportError
        A value cannot be encoded in ``encoding`` (the message names the column
        and row), or the file cannot be written.
    """
    safe = neutralize_frame(df)
    try:
        data = safe.to_csv(index=False, lineterminator="\r\n").encode(encoding)
    except LookupError as err:
        raise ExportError(f"{_where(path)}: unknown CSV encoding {encoding!r}; use 'utf-8-sig' or 'gbk'") from err
    except UnicodeEncodeError as err:
        raise ExportError(f"{_where(path)}: {_unencodable(safe, encoding)} cannot be written as "
                          f"{encoding}; use encoding='utf-8-sig' (Excel opens it) or fix the value") from err
    with _atomic(path, what="CSV file") as target:
        if isinstance(target, str):
            with open(target, "wb") as fh:
                fh.write(data)
        else:
            target.write(data)


def _unencodable(df: pd.DataFrame, encoding: str) -> str:
    """Describe the first cell (or header) that ``encoding`` cannot represent (error path only)."""
    for col in df.columns:
        try:
            str(col).encode(encoding)
        except UnicodeEncodeError:
            return f"column header {col!r}"
        for label, value in df[col].items():
            if isinstance(value, str):
                try:
                    value.encode(encoding)
                except UnicodeEncodeError as err:
                    return f"column {col!r}, row {label!r}: character {value[err.start:err.end]!r} in {value!r}"
    return "a value"


def workbook_bytes(sheets: Mapping[str, pd.DataFrame], **options: Any) -> bytes:
    """:func:`write_workbook` into memory, for download buttons."""
    buf = io.BytesIO()
    write_workbook(buf, sheets, **options)
    return buf.getvalue()
