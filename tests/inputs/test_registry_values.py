"""Registry values that were silently wrong: locale-ambiguous numbers, out-of-range distances, control characters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.inputs.registry import read_registry


def _registry(tmp_path, distances: list[str], names: list[str] | None = None):
    names = names or [f"企业{i}" for i in range(len(distances))]
    rows = [f'"{n}",120.86,32.01,"{d}"' for n, d in zip(names, distances)]
    path = tmp_path / "r.csv"
    path.write_text("企业名称,经度,纬度,卫生防护距离\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return read_registry(path)


def test_decimal_comma_is_unparsed_not_a_thousands_separator(tmp_path):
    reg = _registry(tmp_path, ["100,5", "1,500", "12,34,5", "300"])
    assert np.isnan(reg[R.SANITARY_DISTANCE].iloc[0])
    assert f"{R.SANITARY_DISTANCE}_unparsed:100,5" in reg[R.ISSUES].iloc[0]
    assert reg[R.SANITARY_DISTANCE].iloc[1] == 1500
    assert np.isnan(reg[R.SANITARY_DISTANCE].iloc[2])
    assert reg[R.SANITARY_DISTANCE].iloc[3] == 300


def test_distances_are_read_as_written(tmp_path):  # the range is the rules' business (screening)
    reg = _registry(tmp_path, ["50", "5000", "1e9", "0"])
    assert list(reg[R.SANITARY_DISTANCE]) == [50, 5000, 1e9, 0]
    assert not reg[R.ISSUES].fillna("").str.contains("sanitary").any()


def test_control_characters_are_replaced_and_recorded(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes("企业名称,经度,纬度,备注\n".encode() + b"a\x00b,120.86,32.01,x\x07y\nplain,120.86,32.01,ok\n")
    reg = read_registry(path)
    assert list(reg["name"]) == ["a b", "plain"]
    assert reg["备注"].iloc[0] == "x y"
    assert "control_characters:企业名称,备注" in reg[R.ISSUES].iloc[0]
    assert "control_characters" not in (reg[R.ISSUES].iloc[1] or "")


def test_control_characters_read_the_same_in_every_output(tmp_path, tiny_pack):
    import geopandas as gpd
    import openpyxl

    from geo_screen.cli import main

    path = tmp_path / "c.csv"
    path.write_bytes("企业名称,经度,纬度\n".encode() + b"a\x00b,120.86,32.01\n")
    assert main(["screen", str(path), "--layers", str(tiny_pack), "--out", str(tmp_path / "o"), "-q"]) == 0
    gpkg = gpd.read_file(tmp_path / "o" / R.GPKG_NAME, layer=R.ENTERPRISES_LAYER)
    book = openpyxl.load_workbook(tmp_path / "o" / R.XLSX_NAME, read_only=True)
    rows = list(book["企业"].iter_rows(values_only=True))
    assert gpkg["企业名称"].iloc[0] == "a b"
    assert "a b" in rows[1]


def _text_buffer(values) -> int:
    """Address of the character data of a text column held as one Arrow array."""
    import pyarrow as pa

    array = pa.array(values.array)
    (chunk,) = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    return chunk.buffers()[2].address


def test_canonical_text_holds_the_input_columns_text_once(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "企业名称,地址,经度,纬度\n甲厂,海门路1号,120.86,32.01\n乙厂, 启东路2号 ,120.87,32.02\n", encoding="utf-8"
    )
    reg = read_registry(path)
    assert reg["name"].tolist() == ["甲厂", "乙厂"]
    assert _text_buffer(reg["name"]) == _text_buffer(reg["企业名称"])  # nothing to strip: shared, not copied
    assert reg["address"].tolist() == ["海门路1号", "启东路2号"]  # stripped: a copy of its own
    assert reg["地址"].tolist() == ["海门路1号", " 启东路2号 "]


def test_cells_with_spaces_read_as_the_same_cells_without(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "企业名称,经度,纬度,散乱污,绩效等级,卫生防护距离\n"
        "甲,120.86,32.01,是,B类,100\n"
        '乙, 120.86 ,32.01," 是 "," B类 "," 100 "\n'
        '丙,120.86,32.01,"  ","  ","  "\n',
        encoding="utf-8",
    )
    reg = read_registry(path)
    assert reg["lon"].tolist()[:2] == [120.86, 120.86]
    assert reg["scattered_polluting"].tolist() == [True, True, pd.NA]
    assert reg[R.GRADE].tolist() == ["B", "B", pd.NA]
    assert reg[R.SANITARY_DISTANCE].tolist()[:2] == [100.0, 100.0] and np.isnan(reg[R.SANITARY_DISTANCE].iloc[2])
    assert reg[R.ISSUES].tolist() == ["", "", ""]  # a blank cell is missing, never unparsed


def test_tabs_and_line_breaks_are_not_control_characters(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes('企业名称,经度,纬度,备注\n"a\tb",120.86,32.01,"line 1\r\nline 2"\n'.encode())
    reg = read_registry(path)
    assert reg["name"].iloc[0] == "a\tb" and reg["备注"].iloc[0] == "line 1\r\nline 2"
    assert reg[R.ISSUES].iloc[0] == ""
