"""Excel writing for the whole project: formula-safe text, readable layout, atomic files (the first and the last
shared with the CSV files of :mod:`geo_screen.outputs.csvfile`).

Every table that leaves geo_screen as a spreadsheet goes through
:func:`write_workbook` or :func:`~geo_screen.outputs.csvfile.write_csv`, so three promises hold everywhere:

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

import io
import os
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.exceptions import XlsxWriterException

from geo_screen.coded import arrow_text
from geo_screen.errors import ExportError
from geo_screen.outputs.sheetxml import SPACE_RE2, RowBlocks, package

#: Excel's hard limits (rows include the header row and any note line).
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
#: Prefix put in front of text a spreadsheet would treat as a formula (OWASP CSV-injection advice).
NEUTRALISER = "'"
#: Column width bounds, in Excel character units.
MIN_WIDTH, MAX_WIDTH = 6, 50

_TRIGGER = re.compile(r"^(?:[\t\r]|\s*[=+\-@])")
#: :data:`_TRIGGER` in RE2 syntax (Arrow's regex engine), with Python's whitespace
_TRIGGER_RE2 = rf"^(?:[\t\r]|{SPACE_RE2}*[=+\-@])"
# East Asian wide/full-width code points (RE2 syntax, for Arrow): each takes two character cells in Excel.
_WIDE = (
    r"[\x{1100}-\x{115f}\x{2e80}-\x{303e}\x{3041}-\x{33ff}\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}\x{a000}-\x{a4cf}"
    r"\x{ac00}-\x{d7a3}\x{f900}-\x{faff}\x{fe30}-\x{fe4f}\x{ff00}-\x{ff60}\x{ffe0}-\x{ffe6}\x{20000}-\x{3fffd}]"
)
#: values :func:`display_width` measures at a time, widest bound first
_MEASURED = 1_024
#: a column's width is measured on at most about this many of its values: every k-th of those not missing
WIDTH_SAMPLE = 50_000
_BAD_SHEET_CHARS = set("[]:*?/\\")
_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "in_memory": True,
}

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
    for i in range(df.shape[1]):
        s = df.iloc[:, i]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("str")
        if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
            found = pc.match_substring_regex(arrow_text(s), _TRIGGER_RE2)
            mask = pc.fill_null(found, False).to_numpy(zero_copy_only=False)
            if mask.any():
                s = s.where(~mask, NEUTRALISER + s)
        elif s.dtype == object:
            s = pd.Series([neutralize_cell(v) for v in s.tolist()], index=s.index, dtype=object)
        out.isetitem(i, s)
    out.columns = [neutralize_cell(c) if isinstance(c, str) else c for c in df.columns]
    return out


# --------------------------------------------------------------------------- atomic targets


@contextmanager
def atomic_target(target: Target, *, what: str) -> Iterator[str | IO[bytes]]:
    """Yield a temporary path next to ``target`` (or the stream itself) and move it into place."""
    if not isinstance(target, (str, os.PathLike)):
        yield target
        return
    path = Path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(
            f"cannot create folder {path.parent} for {what}: {err}; choose an output folder you can write to"
        ) from err
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield str(tmp)
        os.replace(tmp, path)
    except ExportError:
        raise
    except OSError as err:
        raise ExportError(
            f"cannot write {what} {path}: {err}; check that the folder is writable "
            "and the file is not open in Excel/WPS"
        ) from err
    finally:
        tmp.unlink(missing_ok=True)


def target_name(target: Target) -> str:
    return str(target) if isinstance(target, (str, os.PathLike)) else "<stream>"


# --------------------------------------------------------------------------- layout helpers


def display_width(values: pd.Series) -> int:
    """Widest entry of ``values`` in Excel character cells (CJK counts double, first line only).

    A value is at most its characters plus half its bytes beyond one a character wide (a wide character
    takes three or four bytes in UTF-8), so values are measured widest bound first, until one is as wide
    as the next bound: a column of names or codes measures a few hundred values, not all of them.
    """
    s = values.dropna()
    if s.empty:
        return 0
    s = s.iloc[:: -(-len(s) // WIDTH_SAMPLE)]  # the widest of every k-th value is plenty for a column width
    text = arrow_text(s)
    chars = pc.utf8_length(text)
    bounds = pc.add(chars, pc.divide(pc.subtract(pc.binary_length(text), chars), 2)).to_numpy()
    order, widest = np.argsort(-bounds, kind="stable"), 0
    for start in range(0, len(order), _MEASURED):
        if widest >= bounds[order[start]]:
            break
        first = pc.list_element(pc.split_pattern(text.take(order[start : start + _MEASURED]), "\n", max_splits=1), 0)
        widest = max(widest, pc.max(pc.add(pc.utf8_length(first), pc.count_substring_regex(first, _WIDE))).as_py())
    return widest


def _check_sheet_name(name: object, where: str) -> str:
    bad = not isinstance(name, str) or not 0 < len(name) <= 31 or bool(set(name) & _BAD_SHEET_CHARS)
    if bad or name.lower() == "history" or "'" in (name[0], name[-1]):
        raise ExportError(
            f"{where}: sheet name {name!r} is not allowed in Excel; use 1-31 characters without "
            "[ ] : * ? / \\, not starting or ending with an apostrophe, and not 'History'"
        )
    return name


def _write_sheet(
    ws, table: pd.DataFrame | RowBlocks, *, note: str | None, landscape: bool, widths: Mapping[str, int], formats: dict
) -> int:
    """Lay out one sheet (note, header, widths, filter, panes, print setup); return the row its data starts on.

    The data rows themselves are added by :func:`geo_screen.outputs.sheetxml.package`.
    """
    df, rows = _shape(table)
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
        values = table.sample(c) if isinstance(table, RowBlocks) else df.iloc[:, c]
        auto = max(display_width(pd.Series([str(name)])), display_width(values)) + 2
        key = str(name) if str(name) in widths else str(name).removeprefix(NEUTRALISER)
        width = widths.get(key, min(max(auto, MIN_WIDTH), MAX_WIDTH))
        wrap = auto > width and not pd.api.types.is_numeric_dtype(df.iloc[:, c].dtype)
        ws.set_column(c, c, width, formats["wrap"] if wrap else None)
    ws.freeze_panes(header_row + 1, 0)
    if ncols:
        ws.autofilter(header_row, 0, header_row + max(rows, 1), ncols - 1)
    ws.set_paper(9)  # A4
    ws.repeat_rows(header_row)
    if landscape:
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    return header_row + 1


def _shape(table: pd.DataFrame | RowBlocks) -> tuple[pd.DataFrame, int]:
    """A table's columns (as a frame) and how many rows it has."""
    return (table.head, table.rows) if isinstance(table, RowBlocks) else (table, len(table))


def _neutralised(table: pd.DataFrame | RowBlocks) -> pd.DataFrame | RowBlocks:
    """``table`` through :func:`neutralize_frame`: row blocks and width samples as they are made."""
    if not isinstance(table, RowBlocks):
        return neutralize_frame(table)
    sample = lambda c: neutralize_frame(table.sample(c).to_frame()).iloc[:, 0]  # noqa: E731
    return RowBlocks(neutralize_frame(table.head), table.rows, lambda n: map(neutralize_frame, table.blocks(n)), sample)


def write_workbook(
    path: Target,
    sheets: Mapping[str, pd.DataFrame],
    *,
    notes: Mapping[str, str] | None = None,
    landscape: bool = False,
    widths: Mapping[str, Mapping[str, int]] | None = None,
    title: str | None = None,
    page_header: str | None = None,
    choices: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
) -> None:
    """Write data frames as sheets of one xlsx workbook, atomically.

    Parameters
    ----------
    path
        Target file (written to a temporary name, then renamed) or a binary stream.
    sheets
        Sheet name -> table, in sheet order: a data frame, or :class:`RowBlocks` made a block of rows at a time.
        Columns become the header row; the index is not written. Text is neutralised (:func:`neutralize_frame`).
    notes
        Sheet name -> text: a line above a data sheet's table (its header then in row 2), or for any other name a
        sheet of its own after the data sheets, one line of the text per row.
    landscape
        Print A4 landscape fitted to the page width (A4 portrait otherwise); the header row repeats on every page.
    widths
        Sheet name -> {column: width} overriding the automatic widths.
    title
        The workbook's document title (File > Properties).
    page_header
        A line printed at the top of every page of every sheet (e.g. ``内部初筛名单（未经核实，不得公开）``).
    choices
        Sheet name -> {column: allowed values}: each data cell of the column gets an Excel drop-down list
        (data validation) of those values, for forms filled in on site.

    Raises
    ------
    ExportError
        A table has more rows or columns than Excel holds (filter it first), a sheet name is invalid, or the file
        cannot be written.
    """
    notes, widths, choices = dict(notes or {}), dict(widths or {}), dict(choices or {})
    where = target_name(path)
    if not sheets and not notes:
        raise ExportError(f"{where}: nothing to write; pass at least one sheet")
    names = [_check_sheet_name(n, where) for n in [*sheets, *(k for k in notes if k not in sheets)]]
    if len({n.lower() for n in names}) < len(names):
        raise ExportError(f"{where}: sheet names {names} repeat (Excel ignores case); make them distinct")
    for name, (df, rows) in ((name, _shape(table)) for name, table in sheets.items()):
        if rows + 1 + (1 if notes.get(name) else 0) > EXCEL_MAX_ROWS or len(df.columns) > EXCEL_MAX_COLUMNS:
            raise ExportError(
                f"{where}: sheet {name!r} has {rows:,} rows x {len(df.columns):,} columns but Excel holds "
                f"at most {EXCEL_MAX_ROWS:,} rows (header and note included) x {EXCEL_MAX_COLUMNS:,} "
                "columns; filter the table first (e.g. only flagged enterprises) and point readers to "
                "results.gpkg/results.parquet for the full data"
            )
    layout, data = io.BytesIO(), {}
    with atomic_target(path, what="workbook") as target:
        wb = xlsxwriter.Workbook(layout, _WORKBOOK_OPTIONS)
        try:
            top = {"text_wrap": True, "valign": "top"}
            header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, **top})
            formats = {"header": header, "note": wb.add_format({"italic": True, **top}), "wrap": wb.add_format(top)}
            if title:
                wb.set_properties({"title": title})
            for name, table in sheets.items():
                ws, safe = wb.add_worksheet(name), _neutralised(table)
                first = _write_sheet(
                    ws, safe, note=notes.get(name), landscape=landscape, widths=widths.get(name, {}), formats=formats
                )
                data[name] = (safe, first)
                _add_choices(ws, table, choices.get(name, {}), first_row=first, where=where, sheet=name)
            for name, text in notes.items():
                if name in sheets:
                    continue
                ws = wb.add_worksheet(name)
                ws.set_column(0, 0, 120, formats["wrap"])
                for r, line in enumerate(str(text).split("\n")):
                    ws.write_string(r, 0, neutralize_cell(line))
            for ws in wb.worksheets() if page_header else []:
                ws.set_header("&C" + page_header.replace("&", "&&"))
        except (XlsxWriterException, TypeError, ValueError) as err:
            raise ExportError(f"cannot write workbook {where}: {err}") from err
        finally:
            try:
                wb.close()
            except (XlsxWriterException, OSError) as err:
                raise ExportError(
                    f"cannot write workbook {where}: {err}; check that the folder is "
                    "writable and the file is not open in Excel/WPS"
                ) from err
        try:
            package(layout.getvalue(), target, data)
        except (TypeError, ValueError, pa.ArrowException) as err:
            raise ExportError(f"cannot write workbook {where}: {err}") from err


def _add_choices(ws, table, choices: Mapping[str, Sequence[str]], *, first_row: int, where: str, sheet: str):
    """A drop-down list (Excel data validation) of allowed values on each data cell of the named columns."""
    df, rows = _shape(table)
    for column, allowed in choices.items():
        if column not in df.columns:
            raise ExportError(
                f"{where}: sheet {sheet!r} has no column {column!r} for a drop-down list; "
                f"its columns are {list(map(str, df.columns))}"
            )
        c, message = list(df.columns).index(column), "请从下拉列表中选择：" + " / ".join(allowed)
        rule = {"validate": "list", "source": list(allowed), "error_title": str(column), "error_message": message}
        ws.data_validation(first_row, c, first_row + max(rows, 1) - 1, c, rule)
