"""Reading registry files into a raw table: CSV (UTF-8/BOM/GBK/GB18030), XLSX, GeoPackage,
Shapefile (plain or zipped, encoding from .cpg / the DBF header / a UTF-8 check) and GeoJSON.

Every value is read as text so codes and leading zeros survive; parsing is registry.py's job.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, FieldError
from pyogrio.errors import GeometryError as OGRGeometryError

from geo_screen.errors import InputDataError
from geo_screen.inputs.archives import check_zip

#: accepted extensions -> format label
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".gpkg": "gpkg",
    ".shp": "shp",
    ".zip": "shp.zip",
    ".geojson": "geojson",
    ".json": "geojson",
}
_DBF_SNIFF_BYTES = 4 << 20
_HEAD_BYTES = 1 << 20  # a CSV's first block: its header line, the separator and the BOM are found there
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default str dtype


@dataclass
class RawTable:
    """A registry file as read: its attribute columns as text, the format and encoding found, and for spatial
    formats the geometries with the file's CRS."""

    data: pd.DataFrame  # every attribute column, RangeIndex
    format: str
    encoding: str | None
    geometry: np.ndarray | None = None  # spatial formats: shapely geometries in the file's CRS
    crs: object = None  # spatial formats: the file's pyproj CRS or None
    sheets: tuple[str, ...] = ()  # a workbook's sheet names
    sheet: str | None = None  # the sheet read


def read_table(path: Path, *, sheet, layer, encoding) -> RawTable:
    """Read a registry file of any supported format into a :class:`RawTable` (``sheet``/``layer``/``encoding``
    None: detected)."""
    if not path.is_file():
        raise InputDataError(
            f"registry file not found: {path}; check the path (relative paths are "
            f"resolved against the working directory {Path.cwd()})"
        )
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        hint = "; save it as .xlsx or .csv" if path.suffix.lower() == ".xls" else ""
        raise InputDataError(
            f"{path}: unknown registry format {path.suffix!r}{hint}; accepted extensions: {', '.join(FORMATS)}"
        )
    if fmt in ("xlsx", "shp.zip") and zipfile.is_zipfile(path):  # not a zip at all: the reader says how to fix it
        check_zip(path)  # the app's upload policy: bombs and traversal refused before anything is unpacked
    if fmt == "csv":
        table = _read_csv(path, encoding)
    elif fmt == "xlsx":
        table = _read_xlsx(path, sheet)
    else:
        table = _read_spatial(path, fmt, layer=layer, encoding=encoding)
    if len(table.data) == 0:
        others = [n for n in table.sheets if n != table.sheet] if table.sheets else []
        hint = (
            f"; the workbook also has the sheets {', '.join(map(repr, others))}: pass the one with the data as sheet="
            if others
            else "; export it again with one row per enterprise below a header row"
        )
        where = f" (sheet {table.sheet!r})" if table.sheets else ""
        raise InputDataError(f"{path}{where}: the registry has no data rows{hint}")
    table.data = table.data.reset_index(drop=True)
    pa.default_memory_pool().release_unused()  # the reader's buffers: Arrow's allocator keeps them otherwise
    return table


def _read_csv(path: Path, encoding: str | None) -> RawTable:
    """Arrow's multi-threaded reader for clean files; pandas' for ragged rows. Every value a string.

    Arrow reads the file itself: only its first block is held here (for the header line), never the whole file.
    """
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if not head.strip() or _first_line(head) == head:  # blank so far, or no line end yet: read it all
        head = path.read_bytes()
        if not head.strip():
            raise InputDataError(
                f"{path}: the file is empty; export the registry with a header row and one row per enterprise"
            )
    sep = _separator(_first_line(head))
    for candidate in [encoding] if encoding else ["utf-8", "gb18030"]:
        try:
            data = _parse_csv(path, head, candidate, sep)
        except UnicodeDecodeError:
            continue
        except LookupError as err:
            raise InputDataError(
                f"{path}: unknown encoding={encoding!r}; use e.g. 'utf-8', 'gbk' or "
                "'gb18030', or omit encoding= to detect it"
            ) from err
        used = "utf-8-sig" if candidate == "utf-8" and head.startswith(codecs.BOM_UTF8) else candidate
        return RawTable(data, "csv", used)
    tried = f"encoding={encoding!r}" if encoding else "UTF-8 or GB18030/GBK"
    raise InputDataError(
        f"{path}: the CSV cannot be decoded as {tried}; open it in Excel and save as "
        "'CSV UTF-8', or pass encoding= with the encoding it was saved in"
    )


def _first_line(raw: bytes) -> bytes:
    """The header line without its end: up to the first LF or CR (old Excel for Mac ends lines with CR only)."""
    ends = [i for i in (raw.find(b"\n"), raw.find(b"\r")) if i >= 0]
    return raw[: min(ends)] if ends else raw


def _separator(header: bytes) -> str:
    return max((",", "\t", ";", "|"), key=lambda c: header.count(c.encode()))


def _csv_names(head: bytes, encoding: str, sep: str) -> list[str]:
    """Column names from the header line (blank ones named ``Unnamed: i``, repeats numbered like pandas)."""
    line = codecs.getincrementaldecoder(encoding)().decode(_first_line(head))
    names = next(csv.reader([line], delimiter=sep), [])
    names = [n.strip() or f"Unnamed: {i}" for i, n in enumerate(names)]
    return [n if names.index(n) == i else f"{n}.{names[:i].count(n)}" for i, n in enumerate(names)]


def _arrow_csv_options(names: list[str], encoding: str, sep: str, *, block_size: int | None = None):
    fast = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    read = pacsv.ReadOptions(
        column_names=names,
        skip_rows=1,
        encoding="utf8" if fast else encoding,
        **({"block_size": block_size} if block_size else {}),
    )
    convert = pacsv.ConvertOptions(
        column_types={n: pa.large_string() for n in names},
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    return read, pacsv.ParseOptions(delimiter=sep, newlines_in_values=True), convert


def arrow_to_strings(table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    """An Arrow table of large strings as the pandas frame the registry reader expects, each column one
    contiguous array (so the registry's canonical columns can share the text of the columns they come from)."""
    if isinstance(table, pa.Table):
        table = table.combine_chunks()
    return table.to_pandas(types_mapper=lambda t: _STR if pa.types.is_large_string(t) else None)


def _parse_csv(path: Path, head: bytes, encoding: str, sep: str) -> pd.DataFrame:
    """The CSV as strings: ``head`` (the file's first block) gives the column names; Arrow reads the rows from the
    file (the header line, and a BOM on it, skipped by ``skip_rows=1``), pandas when Arrow cannot."""
    fast = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    names = _csv_names(head[len(codecs.BOM_UTF8) :] if head.startswith(codecs.BOM_UTF8) else head, encoding, sep)
    try:
        read, parse, convert = _arrow_csv_options(names, encoding, sep)
        return arrow_to_strings(
            pacsv.read_csv(str(path), read_options=read, parse_options=parse, convert_options=convert)
        )
    except pa.ArrowInvalid as err:
        if "UTF8" in str(err):
            raise UnicodeDecodeError(encoding, b"", 0, 1, str(err)) from err
    raw = path.read_bytes()
    try:  # ragged rows (short lines are padded; long ones are an error) or odd quoting
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # a long first row would lose data
            return pd.read_csv(
                io.StringIO(raw.decode("utf-8-sig" if fast else encoding)),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                index_col=False,
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning) as err:
        raise InputDataError(
            f"{path}: cannot parse as delimited text ({err}); check the delimiter "
            "and quotes, or save the sheet as .xlsx"
        ) from err


def _read_xlsx(path: Path, sheet) -> RawTable:
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = book.sheet_names
            if sheet is not None and sheet not in names and not (isinstance(sheet, int) and 0 <= sheet < len(names)):
                raise InputDataError(
                    f"{path}: no sheet {sheet!r}; the workbook has sheets "
                    f"{', '.join(map(repr, names))}: pass one of them as sheet="
                )
            chosen = sheet if sheet is not None else 0
            data = pd.read_excel(book, sheet_name=chosen, dtype=str, keep_default_na=False, na_values=[""])
    except (zipfile.BadZipFile, KeyError, OSError) as err:
        raise InputDataError(
            f"{path}: not a readable .xlsx workbook ({err}); open it in Excel and save it again as .xlsx, or export CSV"
        ) from err
    return RawTable(data, "xlsx", None, sheets=tuple(names), sheet=names[chosen] if isinstance(chosen, int) else chosen)


def _read_spatial(path: Path, fmt: str, *, layer, encoding) -> RawTable:
    source, dbf, cpg = str(path), b"", None
    if fmt == "shp.zip":
        source, dbf, cpg = _zip_member(path, layer)
        layer = None
    elif fmt == "shp":
        siblings = {p.suffix.lower(): p for p in path.parent.iterdir() if p.stem == path.stem}
        dbf, cpg = siblings.get(".dbf"), siblings.get(".cpg")
        if dbf is None:
            raise _no_dbf(path)
        cpg = _cpg_text(cpg.open("rb")) if cpg else None
        dbf = _head(dbf.open("rb")) if dbf else b""
    if fmt.startswith("shp"):
        encoding = encoding or (None if cpg else _dbf_encoding(dbf))
    try:
        names = pyogrio.list_layers(source)[:, 0]
        layers = ", ".join(map(repr, names))
        if fmt == "gpkg" and layer is None and len(names) > 1:
            raise InputDataError(f"{path}: the GeoPackage has several layers ({layers}); pass layer= to pick one")
        frame = pyogrio.read_dataframe(
            source, layer=layer, use_arrow=True, encoding=encoding if fmt.startswith("shp") else None
        )
    except DataLayerError as err:
        raise InputDataError(f"{path}: no layer {layer!r}; layers in the file: {layers}") from err
    except (DataSourceError, FeatureError, FieldError, OGRGeometryError) as err:
        raise InputDataError(
            f"{path}: cannot read this {fmt} file ({err}); check that it opens in QGIS "
            "and that a shapefile comes with its .shx and .dbf"
        ) from err
    used = encoding or cpg or "utf-8"
    if not isinstance(frame, gpd.GeoDataFrame):  # an attribute-only table: located by its lon/lat columns
        return RawTable(pd.DataFrame(frame), fmt, used)
    geometry = np.asarray(frame.geometry.array, dtype=object)
    data = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return RawTable(data, fmt, used, geometry, frame.crs)


def _zip_member(path: Path, layer: str | None) -> tuple[str, bytes, str | None]:
    """The /vsizip/ path of the one shapefile in a zip, its DBF head and its .cpg text."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.startswith("__MACOSX/")]
            shps = [n for n in names if n.lower().endswith(".shp")]
            if layer is not None:
                shps = [n for n in shps if Path(n).stem == layer]
            if len(shps) != 1:
                found = ", ".join(n for n in names if n.lower().endswith(".shp")) or "none"
                fix = (
                    "pass layer= with one of their names"
                    if len(shps) > 1 or layer
                    else "zip the .shp together with its .shx, .dbf, .prj and .cpg"
                )
                raise InputDataError(
                    f"{path}: the zip must hold exactly one shapefile"
                    f"{f' named {layer!r}' if layer else ''}; found {len(shps)} "
                    f"(.shp files: {found}); {fix}"
                )
            stem = shps[0][:-4]
            parts = {n[len(stem) :].lower(): n for n in names if n[: len(stem)] == stem}
            if ".dbf" not in parts:
                raise _no_dbf(path, member=shps[0])
            dbf = _head(zf.open(parts[".dbf"]))
            cpg = _cpg_text(zf.open(parts[".cpg"])) if ".cpg" in parts else None
    except zipfile.BadZipFile as err:
        raise InputDataError(f"{path}: not a readable zip archive ({err}); zip the shapefile again") from err
    return f"/vsizip/{path.resolve()}/{shps[0]}", dbf, cpg


def _no_dbf(path: Path, *, member: str | None = None) -> InputDataError:
    what = f"{member!r} in {path}" if member else str(path)
    return InputDataError(
        f"{what}: the shapefile has no .dbf beside it, so no enterprise has a name, code or industry; copy the "
        ".dbf with the same name next to the .shp (zip .shp, .shx, .dbf, .prj and .cpg together)"
    )


def _cpg_text(stream) -> str:
    """The code page a .cpg names (its first line; the file is a few bytes, so at most 1 KB is read)."""
    with stream:
        head = stream.read(1024)
    return head.decode("ascii", errors="replace").strip().split("\n")[0].strip()


def _head(stream) -> bytes:
    with stream:
        return stream.read(_DBF_SNIFF_BYTES)


def _dbf_encoding(head: bytes) -> str | None:
    """Guess the text encoding of a DBF without .cpg: None (let GDAL decide), 'UTF-8' or 'GB18030'."""
    if len(head) < 32 or head[29] != 0:  # byte 29 declares a code page: GDAL honours it
        return None
    header_len = int.from_bytes(head[8:10], "little")
    names = b"".join(head[i : i + 11] for i in range(32, min(header_len, len(head)) - 31, 32))
    text = names + head[header_len:]
    if text.isascii():
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(text, final=False)
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


def mixed_encoding_error(path: Path, encoding: str, err: UnicodeDecodeError) -> InputDataError:
    """The message for a CSV whose encoding changes within the file (found while streaming it)."""
    return InputDataError(
        f"{path}: the CSV cannot be decoded as {encoding} ({err.reason}); its encoding changes within the file: "
        "open it in Excel and save as 'CSV UTF-8', or pass encoding= with the one it was saved in"
    )


def csv_stream(
    path: Path, *, encoding: str | None = None, columns: list[str] | None = None, block_bytes: int = 16 << 20
):
    """Open a CSV registry for streaming: ``(names, encoding, reader)`` where ``reader`` yields Arrow batches.

    The encoding is UTF-8 (with or without BOM) when the first block decodes as UTF-8, else GB18030;
    a file that turns out not to be UTF-8 further down fails in the reader with ``pa.ArrowInvalid``
    (the caller starts again with ``encoding="gb18030"``). Memory stays at a few blocks. ``columns``
    reads only those columns (a cheap first pass over the id column).
    """
    if not path.is_file():
        raise InputDataError(f"registry file not found: {path}; check the path")
    with open(path, "rb") as fh:
        first = fh.read(block_bytes)
    if not first.strip():
        raise InputDataError(
            f"{path}: the file is empty; export the registry with a header row and one row per enterprise"
        )
    bom = first.startswith(codecs.BOM_UTF8)
    head = first[len(codecs.BOM_UTF8) :] if bom else first
    if encoding is None:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "gb18030"
    sep = _separator(_first_line(head))
    try:
        names = _csv_names(head, encoding, sep)
        read, parse, convert = _arrow_csv_options(names, encoding, sep, block_size=block_bytes)
        if columns:
            convert.include_columns = columns
        # the header line (and a BOM on it) is skipped by skip_rows=1
        reader = pacsv.open_csv(str(path), read_options=read, parse_options=parse, convert_options=convert)
    except UnicodeDecodeError as err:
        raise mixed_encoding_error(path, encoding, err) from err
    used = "utf-8-sig" if bom and encoding == "utf-8" else encoding
    return names, used, reader
