"""DBF field names, byte-safe text, code pages: checked against the bytes on disk and two readers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.raw
import pytest
import shapefile
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geo_screen import results as R
from geo_screen.errors import ExportError
from geo_screen.outputs import dbf
from geo_screen.outputs.dbf import (
    ENCODINGS,
    FIELDS,
    MAX_TEXT_BYTES,
    REPLACEMENT,
    dbf_frame,
    field_dictionary,
    fit_frame,
    fit_text,
    mark_codepage,
    resolve_encoding,
    short_names,
    text_widths,
)
from geo_screen.outputs.shapefiles import shapefile_job, write_shapefile

GBK, UTF8 = ENCODINGS["GBK"], ENCODINGS["UTF-8"]


def test_every_canonical_column_has_a_short_ascii_name():
    canonical = [
        R.ENTERPRISE_ID,
        R.NAME,
        R.INDUSTRY,
        R.COUNTY,
        R.COUNTY_CODE,
        "address",
        "lon",
        "lat",
        R.SANITARY_DISTANCE,
        R.GRADE,
        *R.ATTRIBUTE_COLUMNS,
        R.INPUT_ROW,
        R.ROW_STATUS,
        R.ISSUES,
        *R.STD_COLUMNS,
        R.STANDARDS_HIT,
        R.NOT_ASSESSED_COL,
        R.DISPOSITION,
        R.DISPOSITION_ZH,
        R.LEGAL_BASIS,
        R.SANITARY_REQUIRED,
        R.NEAREST_SENSITIVE_M,
        R.NEAREST_SENSITIVE_NAME,
        R.LANDUSE_CLASS,
        R.NONINDUSTRIAL_SHARE,
        *R.MARGIN_COLUMNS,
        *R.HIT_COLUMNS,
    ]
    assert [c for c in canonical if c not in dbf.FIELD_NAMES] == []
    shorts = [f.short for f in FIELDS]
    assert len(set(shorts)) == len(shorts)
    for f in FIELDS:
        assert f.short.isascii() and f.short == f.short.upper() and 1 <= len(f.short.encode()) <= 10, f
        assert f.label_zh and f.meaning
    # the documented examples
    assert {
        c: dbf.FIELD_NAMES[c]
        for c in (
            R.DISPOSITION,
            "std_05",
            R.ENTERPRISE_ID,
            R.NAME,
            R.SANITARY_REQUIRED,
            R.NEAREST_SENSITIVE_M,
            R.STANDARDS_HIT,
        )
    } == {
        R.DISPOSITION: "DISPOSIT",
        "std_05": "STD05",
        R.ENTERPRISE_ID: "USCC",
        R.NAME: "NAME",
        R.SANITARY_REQUIRED: "SAN_REQ_M",
        R.NEAREST_SENSITIVE_M: "NEAR_SEN_M",
        R.STANDARDS_HIT: "STD_HIT",
    }


def test_unknown_columns_get_numbered_names_in_order():
    cols = ["企业名称", R.DISPOSITION, "年产值（万元）", "geometry", "remark", R.NAME]
    names = short_names(cols)
    assert names == {
        R.NAME: "NAME",
        R.DISPOSITION: "DISPOSIT",
        "企业名称": "F01",
        "年产值（万元）": "F02",
        "remark": "F03",
    }
    assert short_names(list(reversed(cols)))["remark"] == "F01"  # order of appearance decides
    table = field_dictionary(names)
    row = table[table["短字段名"] == "F02"].iloc[0]
    assert row["完整字段名"] == "年产值（万元）" and row["中文名称"] == "年产值（万元）"
    assert table[table["短字段名"] == "NAME"].iloc[0]["中文名称"] == "企业名称"


def test_too_many_columns_for_a_dbf():
    with pytest.raises(ExportError, match="at most 255"):
        short_names([f"列{i}" for i in range(300)])


@pytest.mark.parametrize(
    "alias,expected", [("utf8", "UTF-8"), ("UTF-8", "UTF-8"), ("gbk", "GBK"), ("CP936", "GBK"), ("936", "GBK")]
)
def test_encoding_aliases(alias, expected):
    assert resolve_encoding(alias).name == expected


def test_unsupported_encoding_says_what_to_use():
    with pytest.raises(ExportError, match="use 'UTF-8'.*'GBK'"):
        resolve_encoding("gb2312")


def test_fit_text_cuts_on_a_character_boundary():
    text = "南通" * 200
    for enc in (UTF8, GBK):
        out, replaced, cut = fit_text(text, encoding=enc)
        data = out.encode(enc.codec)
        assert cut and not replaced and text.startswith(out)
        assert len(data) <= MAX_TEXT_BYTES and len(data) > MAX_TEXT_BYTES - enc.max_char_bytes
    assert len(fit_text(text, encoding=UTF8)[0]) == 84 and len(fit_text(text, encoding=GBK)[0]) == 127


def test_fit_text_replaces_what_gbk_lacks():
    assert fit_text("南通𠮷野™", encoding=GBK) == ("南通?野?", ["𠮷", "™"], False)
    assert fit_text("南通𠮷野™", encoding=UTF8) == ("南通𠮷野™", [], False)


@given(st.text(alphabet=st.sampled_from("南通a1 ·—𠮷™é"), max_size=400), st.sampled_from(["UTF-8", "GBK"]))
def test_fit_text_properties(text, name):
    enc = ENCODINGS[name]
    out, replaced, cut = fit_text(text, encoding=enc)
    data = out.encode(enc.codec)  # always encodable
    assert len(data) <= MAX_TEXT_BYTES
    # same characters as the original prefix, except the visible replacements
    assert len(out) <= len(text)
    assert all(o == t or (o == REPLACEMENT and t in replaced) for o, t in zip(out, text))
    assert cut == (len(out) < len(text))
    if cut:  # maximal: the next character would not have fitted
        nxt = text[len(out)]
        try:
            nxt_bytes = len(nxt.encode(enc.codec))
        except UnicodeEncodeError:
            nxt_bytes = len(REPLACEMENT)
        assert len(data) + nxt_bytes > MAX_TEXT_BYTES


def test_fit_frame_reports_every_change_and_keeps_the_rest():
    df = pd.DataFrame(
        {"name": ["南通𠮷野纺织", "正常企业", "长" * 200, None], "n": [1, 2, 3, 4]}, index=[10, 11, 12, 13]
    )
    out, changes = fit_frame(df, encoding="GBK")
    assert out.loc[10, "name"] == "南通?野纺织" and out.loc[11, "name"] == "正常企业" and pd.isna(out.loc[13, "name"])
    assert len(out.loc[12, "name"].encode("gbk")) == 254
    assert changes[["row", "column", "kind", "replaced_chars"]].values.tolist() == [
        [10, "name", "replaced", "𠮷"],
        [12, "name", "truncated", ""],
    ]
    assert changes.loc[1, "original"] == "长" * 200
    out8, changes8 = fit_frame(df, encoding="UTF-8")
    assert out8.loc[10, "name"] == "南通𠮷野纺织" and changes8["row"].tolist() == [12]


def test_fit_frame_handles_python_backed_and_object_strings():
    for dtype in (pd.StringDtype("python"), object):
        df = pd.DataFrame({"a": pd.Series(["𠮷", "x" * 300, "ok"], dtype=dtype)})
        out, changes = fit_frame(df, encoding="GBK")
        assert out["a"].tolist() == ["?", "x" * 254, "ok"] and len(changes) == 2


def test_dbf_frame_types_names_and_order():
    df = pd.DataFrame(
        {
            "备注": ["a", None],
            R.NAME: ["甲", "乙"],
            "ok": [True, False],
            "when": pd.to_datetime(["2024-01-02", "2024-03-04 05:06:07"], format="ISO8601"),
            R.INPUT_ROW: [1, 2],
            "cat": pd.Categorical(["x", "y"]),
        }
    )
    out, changes = dbf_frame(df, encoding="UTF-8")
    assert list(out.columns) == ["NAME", "INPUT_ROW", "F01", "F02", "F03", "F04"]
    assert out["F02"].tolist() == ["是", "否"]
    assert out["F03"].tolist() == ["2024-01-02", "2024-03-04 05:06:07"]
    assert out["F04"].tolist() == ["x", "y"] and out["INPUT_ROW"].dtype == "int64"
    assert changes.empty and "field" in changes


def test_text_widths_in_bytes_of_the_encoding():
    df = pd.DataFrame({"a": ["南通", "ab", None], "b": [None, None, None], "n": [1, 2, 3]}, dtype=object)
    df["a"], df["b"] = df["a"].astype("str"), df["b"].astype("str")
    assert text_widths(df, encoding="UTF-8") == {"a": 6, "b": 1}
    assert text_widths(df, encoding="GBK") == {"a": 4, "b": 1}


def _raw_dbf(path):
    """Parse a DBF by hand: header fields (name, type, width) and raw record bytes."""
    data = path.read_bytes()
    n, header_len, rec_len = (
        int.from_bytes(data[4:8], "little"),
        int.from_bytes(data[8:10], "little"),
        int.from_bytes(data[10:12], "little"),
    )
    fields, pos = [], 32
    while data[pos] != 0x0D:
        name = data[pos : pos + 11].split(b"\0")[0].decode("ascii")
        fields.append((name, chr(data[pos + 11]), data[pos + 16]))
        pos += 32
    records = [data[header_len + i * rec_len : header_len + (i + 1) * rec_len] for i in range(n)]
    return data[29], fields, records


def _field_bytes(fields, record, name):
    start = 1 + sum(w for _, _, w in fields[: [f[0] for f in fields].index(name)])
    width = {f[0]: f[2] for f in fields}[name]
    return record[start : start + width]


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
def test_write_shapefile_bytes_widths_and_codepage(tmp_path, encoding):
    enc = resolve_encoding(encoding)
    names = ["港闸—·区", "南通" * 80, "=x"]
    frame, _ = dbf_frame(pd.DataFrame({R.NAME: names, "distance_m": [1.5, np.nan, 3.0]}), encoding=enc)
    gdf = gpd.GeoDataFrame(frame, geometry=[shapely.Point(120.8, 32.0), None, shapely.Point(121, 32)], crs="EPSG:4490")
    files = write_shapefile(gdf, tmp_path / "t.shp", encoding=enc, geometry_type="Point")
    assert sorted(p.suffix for p in files) == [".cpg", ".dbf", ".prj", ".shp", ".shx"]
    assert (tmp_path / "t.cpg").read_text() == enc.cpg
    ldid, fields, records = _raw_dbf(tmp_path / "t.dbf")
    assert ldid == enc.ldid
    expected_width = max(len(v.encode(enc.codec)) for v in frame["NAME"])
    assert ("NAME", "C", expected_width) in fields and expected_width <= 254
    for rec, value in zip(records, frame["NAME"]):
        assert _field_bytes(fields, rec, "NAME").rstrip(b" ") == value.encode(enc.codec)
    with shapefile.Reader(str(tmp_path / "t.shp")) as r:  # pyshp reads the .cpg itself
        assert [rec["NAME"] for rec in r.records()] == frame["NAME"].tolist()
        assert r.shapeType == shapefile.POINT and r.shape(1).shapeType == shapefile.NULL


def test_shapefile_bytes_are_those_gdal_writes_with_its_end_of_file_mark(tmp_path):
    """GDAL is told not to write the DBF's 0x1A after every record (a flush and two system calls a record); the mark
    added once at the end gives the very bytes GDAL writes by default, and exactly one mark."""
    frame, _ = dbf_frame(
        pd.DataFrame({R.NAME: ["港闸区", "南通" * 9, "x"], "distance_m": [1.5, np.nan, 3.0]}), encoding="GBK"
    )
    gdf = gpd.GeoDataFrame(frame, geometry=[shapely.Point(120.8, 32.0), None, shapely.Point(121, 32)], crs="EPSG:4490")
    write_shapefile(gdf, tmp_path / "ours.shp", encoding="GBK", geometry_type="Point")
    header, rows = shapefile_job(gdf, tmp_path / "gdal.shp", encoding="GBK", geometry_type="Point")
    gdal = {"driver": "ESRI Shapefile", "geometry_type": "Point", "encoding": resolve_encoding("GBK").gdal}
    pyogrio.raw.write_arrow(rows, tmp_path / "gdal.shp", geometry_name="geometry", crs=header["crs"], **gdal)
    mark_codepage(tmp_path / "gdal.shp", "GBK")
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        assert (tmp_path / f"ours{suffix}").read_bytes() == (tmp_path / f"gdal{suffix}").read_bytes(), suffix
    for name, rows in (("ours", 3), ("none", 0)):  # a table without rows: its header and the mark
        if not rows:
            write_shapefile(gdf.iloc[:0], tmp_path / "none.shp", encoding="GBK", geometry_type="Point")
        data = (tmp_path / f"{name}.dbf").read_bytes()
        header_size, record_size = int.from_bytes(data[8:10], "little"), int.from_bytes(data[10:12], "little")
        assert len(data) == header_size + rows * record_size + 1 and data[-1:] == b"\x1a"
        assert int.from_bytes(data[4:8], "little") == rows and data[32:43].rstrip(b"\0") == b"NAME"


def test_lone_dbf_table(tmp_path):
    frame, _ = dbf_frame(pd.DataFrame({R.ENTERPRISE_ID: ["9132"], "detail": ["说明"]}), encoding="GBK")
    files = write_shapefile(frame, tmp_path / "h.dbf", encoding="GBK")
    assert sorted(p.name for p in files) == ["h.cpg", "h.dbf"]
    with shapefile.Reader(dbf=open(tmp_path / "h.dbf", "rb"), encoding="gbk") as r:
        assert r.records()[0]["DETAIL"] == "说明"
