"""Shapefile attribute tables: fixed short field names, byte-safe text values, code pages.

A DBF field name holds at most 10 *bytes* and a text value at most 254 bytes
in the file's encoding; a Chinese header cut mid-character can make the file
unreadable. So:

* every canonical column has a fixed ASCII short name (:data:`FIELDS`, built from
  :data:`geo_screen.vocabulary.COLUMNS` and shipped in each package as
  ``字段说明.csv``), and every other column (the
  registry's own, often Chinese, headers) gets ``F01``, ``F02``, ... in column
  order, listed in the same dictionary with its original header;
* text is cut to at most :data:`MAX_TEXT_BYTES` bytes *in the chosen encoding*
  on a character boundary, and characters the encoding cannot represent (e.g.
  "𠮷" in GBK) become :data:`REPLACEMENT`; :func:`dbf_frame` returns every such
  change so packages can list them;
* the code page is declared twice: a ``.cpg`` file (``UTF-8`` or ``936``, the
  form ArcGIS documents and GDAL and pyshp read) and, for GBK, the DBF header's
  language driver byte (0x4D = code page 936) that ArcMap and older tools read.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo_screen.coded import arrow_text
from geo_screen.errors import ExportError
from geo_screen.vocabulary import COLUMNS, Column

MAX_FIELD_BYTES = 10
MAX_TEXT_BYTES = 254
MAX_FIELDS = 255
#: what an unrepresentable character becomes (visible, one byte in every encoding)
REPLACEMENT = "?"
YES, NO = "是", "否"


@dataclass(frozen=True)
class FieldSpec:
    """One canonical column's DBF short name, Chinese label and meaning."""

    column: str
    short: str
    label_zh: str
    meaning: str


def _spec(column: Column) -> FieldSpec:
    if len(column.dbf.encode("ascii")) > MAX_FIELD_BYTES:  # the dictionary itself must obey the DBF limit
        raise AssertionError(f"DBF field name {column.dbf!r} is longer than {MAX_FIELD_BYTES} bytes")
    return FieldSpec(column.column, column.dbf, column.zh, column.meaning)


#: The fixed mapping, in the order fields appear in exported tables (the words are geo_screen.vocabulary.COLUMNS).
FIELDS: tuple[FieldSpec, ...] = tuple(_spec(c) for c in COLUMNS)
FIELD_NAMES: dict[str, str] = {f.column: f.short for f in FIELDS}
_BY_COLUMN = {f.column: f for f in FIELDS}


@dataclass(frozen=True)
class Encoding:
    """A DBF text encoding: the Python codec, GDAL's name, the .cpg text and the LDID byte."""

    name: str
    codec: str
    gdal: str
    cpg: str
    ldid: int
    max_char_bytes: int


ENCODINGS: dict[str, Encoding] = {
    "UTF-8": Encoding("UTF-8", "utf-8", "UTF-8", "UTF-8", 0, 4),
    "GBK": Encoding("GBK", "gbk", "CP936", "936", 0x4D, 2),
}
_ALIASES = {"utf-8": "UTF-8", "utf8": "UTF-8", "gbk": "GBK", "cp936": "GBK", "936": "GBK"}


def resolve_encoding(name: str | Encoding) -> Encoding:
    """Return the :class:`Encoding` for ``UTF-8`` or ``GBK`` (aliases: utf8, cp936, 936)."""
    if isinstance(name, Encoding):
        return name
    key = _ALIASES.get(str(name).strip().lower())
    if key is None:
        raise ExportError(
            f"encoding={name!r} is not supported for shapefiles; use 'UTF-8' (ArcGIS 10.2+, QGIS) or "
            "'GBK' (ArcMap and tools on Chinese Windows); GB2312 is a subset of GBK, pass 'GBK'"
        )
    return ENCODINGS[key]


# --------------------------------------------------------------------------- names


def short_names(columns) -> dict[str, str]:
    """Map column names to DBF field names: canonical ones per :data:`FIELDS`, others F01, F02, ...

    Canonical columns come first in :data:`FIELDS` order, then the others in
    their original order; ``geometry`` is left out.

    Examples
    --------
    >>> short_names(["企业名称", "name", "年产值（万元）", "geometry"])
    {'name': 'NAME', '企业名称': 'F01', '年产值（万元）': 'F02'}
    """
    cols = [c for c in columns if c != "geometry"]
    known = [f.column for f in FIELDS if f.column in cols]
    others = [c for c in cols if c not in FIELD_NAMES]
    if len(known) + len(others) > MAX_FIELDS:
        raise ExportError(
            f"{len(known) + len(others)} columns do not fit a DBF table (at most {MAX_FIELDS}); drop unneeded "
            "registry columns before screening or export formats=('gpkg', 'xlsx') only"
        )
    out = {c: FIELD_NAMES[c] for c in known}
    out.update({c: f"F{i:02d}" for i, c in enumerate(others, start=1)})
    return out


def field_dictionary(
    names: dict[str, str], *, files: dict[str, str] | None = None, inputs: dict[str, tuple[str, str]] | None = None
) -> pd.DataFrame:
    """Table behind ``字段说明.csv``: short name, full name, Chinese label, meaning (and file).

    ``inputs``: registry columns holding the file's own coordinates -> (label, meaning), e.g.
    ``经度`` -> (``经度（输入，GCJ-02）``, what it is and that LON/LAT are the screened location).
    """
    rows, inputs = [], inputs or {}
    for column, short in names.items():
        spec = _BY_COLUMN.get(column)
        label, meaning = (spec.label_zh, spec.meaning) if spec else (column, "登记表原有列，原样导出")
        label, meaning = inputs.get(column, (label, meaning))
        rows.append(
            {
                "短字段名": short,
                "完整字段名": column,
                "中文名称": label,
                "含义": meaning,
                **({"所在文件": files.get(column, "")} if files is not None else {}),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- values


@functools.cache
def _unencodable_pattern(codec: str) -> str | None:
    """Regex class matching a character ``codec`` cannot encode, or None if it encodes every character.

    Built once per codec from the codec itself; literal characters keep it valid
    for both pyarrow's RE2 and Python's ``re``.
    """
    if codec == "utf-8":
        return None
    ranges, start = [], None
    for cp in range(0x80, 0x10000):
        ok = not (0xD800 <= cp <= 0xDFFF)
        if ok:
            try:
                chr(cp).encode(codec)
            except UnicodeEncodeError:
                ok = False
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            ranges.append((start, cp - 1))
            start = None
    if start is not None:
        ranges.append((start, 0xFFFF))
    body = "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b != a else "") for a, b in ranges)
    return f"[^\\x00-\\x7f{body}]"


def fit_text(value: str, *, encoding: Encoding, max_bytes: int = MAX_TEXT_BYTES) -> tuple[str, list[str], bool]:
    """Cut ``value`` to ``max_bytes`` in ``encoding`` on a character boundary, replacing what it cannot hold.

    Returns the new text, the replaced characters and whether it was cut.

    Examples
    --------
    >>> fit_text("南通𠮷野", encoding=ENCODINGS["GBK"], max_bytes=6)
    ('南通?', ['𠮷'], False)
    """
    out, replaced, used = [], [], 0
    for ch in value:
        try:
            n = len(ch.encode(encoding.codec))
        except UnicodeEncodeError:
            replaced.append(ch)
            ch, n = REPLACEMENT, 1
        if used + n > max_bytes:
            return "".join(out), replaced, True
        out.append(ch)
        used += n
    return "".join(out), replaced, False


def _encodes(s: pd.Series, codec: str) -> bool:
    """Whether ``codec`` encodes every value of ``s``, by one encode of the column's text (registry text almost always
    encodes in GBK: only a column that does not is searched cell by cell for what the codec lacks)."""
    data = pc.unique(arrow_text(s)).buffers()[2]  # the distinct values' UTF-8 bytes, end to end
    try:
        bytes(data or b"").decode("utf-8").encode(codec)
    except (UnicodeEncodeError, UnicodeDecodeError):  # a value the codec lacks: the cells are searched one by one
        return False
    return True


def _text_columns(df: pd.DataFrame) -> list:
    def is_text(s: pd.Series) -> bool:
        if s.dtype == object:
            return pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
        return pd.api.types.is_string_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype)

    return [c for c in df.columns if c != "geometry" and is_text(df[c])]


def fit_frame(
    df: pd.DataFrame, *, encoding: str | Encoding, max_bytes: int = MAX_TEXT_BYTES
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Make every text cell of ``df`` fit a DBF field; return the new frame and the changes.

    Only cells that may need it are looked at in Python: those with a
    character the encoding lacks (one vectorised regex) or more characters than
    ``max_bytes`` divided by the encoding's widest character.

    Returns
    -------
    (frame, changes)
        ``changes`` has one row per changed cell: ``row`` (index label),
        ``column``, ``kind`` (``replaced``, ``truncated`` or both joined by
        ``+``), ``replaced_chars``, ``original`` and ``written``.
    """
    enc = resolve_encoding(encoding)
    bad = _unencodable_pattern(enc.codec)
    out, changes = df.copy(), []
    for col in _text_columns(df):
        s = df[col].astype("str")
        mask = s.str.len().gt(max_bytes // enc.max_char_bytes).fillna(False)
        if bad is not None and not _encodes(s, enc.codec):
            mask |= s.str.contains(bad, regex=True, na=False)
        if not mask.any():
            if s.dtype != df[col].dtype:
                out[col] = s
            continue
        originals = s[mask]
        fixed = {v: fit_text(v, encoding=enc, max_bytes=max_bytes) for v in originals.unique()}
        written = originals.map({v: f[0] for v, f in fixed.items()})
        text = pc.replace_with_mask(
            arrow_text(s, large=False), pa.array(mask.to_numpy()), arrow_text(written, large=False)
        )
        out[col] = pd.Series(pd.array(text, dtype="str"), index=s.index, dtype="str")
        changed = (written != originals).to_numpy()
        if changed.any():  # each distinct cell's change described once, then one row per changed cell
            kinds = {
                v: "+".join(k for k, on in (("replaced", f[1]), ("truncated", f[2])) if on) for v, f in fixed.items()
            }
            original = originals[changed]
            changes.append(
                pd.DataFrame(
                    {
                        "row": original.index,
                        "column": col,
                        "kind": original.map(kinds).array,
                        "replaced_chars": original.map({v: "".join(f[1]) for v, f in fixed.items()}).array,
                        "original": original.array,
                        "written": written[changed].array,
                    }
                )
            )
    cols = ["row", "column", "kind", "replaced_chars", "original", "written"]
    return out, (pd.concat(changes, ignore_index=True) if changes else pd.DataFrame([], columns=cols))


def dbf_frame(
    df: pd.DataFrame, *, encoding: str | Encoding, names: dict[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn a (Geo)DataFrame into what a DBF can hold: short names, DBF types, fitted text.

    Booleans become 是/否, dates ISO text, other non-numeric columns text; text
    is fitted with :func:`fit_frame`; columns are renamed with ``names``
    (default :func:`short_names`) and ordered as in it. The geometry column,
    if any, is kept. ``changes`` gains a ``field`` column (the short name).
    """
    names = names if names is not None else short_names(df.columns)
    cols = [c for c in names if c in df.columns]
    out = df[cols + (["geometry"] if "geometry" in df.columns else [])].copy()
    for c in cols:
        s = out[c]
        if pd.api.types.is_bool_dtype(s.dtype):
            out[c] = s.map({True: YES, False: NO}).astype("str")
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[c] = s.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False).astype("str")
        elif not pd.api.types.is_numeric_dtype(s.dtype) or isinstance(s.dtype, pd.CategoricalDtype):
            out[c] = s.astype("str")
    out, changes = fit_frame(out, encoding=encoding)
    changes["field"] = changes["column"].map(names)
    return out.rename(columns=names), changes


def text_widths(df: pd.DataFrame, *, encoding: str | Encoding) -> dict[str, int]:
    """Widest value of each text column in bytes of ``encoding`` (at least 1), computed in Arrow."""
    enc = resolve_encoding(encoding)
    out = {}
    for col in _text_columns(df):
        arr = pa.array(df[col].astype("str"), from_pandas=True)
        if enc.codec == "utf-8":
            n = pc.binary_length(arr)
        else:  # every non-ASCII character GBK can hold takes two bytes
            n = pc.add(pc.utf8_length(arr), pc.count_substring_regex(arr, r"[^\x00-\x7f]"))
        out[col] = max(int(pc.max(n).as_py() or 0), 1)
    return out


def mark_codepage(path: str | Path, encoding: str | Encoding) -> None:
    """Declare ``encoding`` for the shapefile or DBF at ``path``: write its .cpg and the DBF LDID byte."""
    enc = resolve_encoding(encoding)
    path = Path(path)
    path.with_suffix(".cpg").write_text(enc.cpg, encoding="ascii")
    with open(path.with_suffix(".dbf"), "r+b") as fh:
        fh.seek(29)
        fh.write(bytes([enc.ldid]))
