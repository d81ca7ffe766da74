"""Registry values that were silently wrong: locale-ambiguous numbers, out-of-range distances, control characters."""

from __future__ import annotations

import numpy as np

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
