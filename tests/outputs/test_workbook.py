"""results.xlsx: written to a path (atomically) or into a binary stream, with the same sheets either way."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from results_factory import make_result

from geo_screen import results as R
from geo_screen.outputs.workbook import write_results_workbook


def test_results_workbook_to_a_path_or_a_stream(tmp_path):
    result = make_result(12, seed=5)
    written = write_results_workbook(result, str(tmp_path / "out" / R.XLSX_NAME))
    assert isinstance(written, Path) and written == tmp_path / "out" / R.XLSX_NAME and written.is_file()
    assert [p.name for p in written.parent.iterdir()] == [R.XLSX_NAME]  # no temporary file left behind
    buf = io.BytesIO()
    assert write_results_workbook(result, buf) is None
    from_path = openpyxl.load_workbook(written, read_only=True)
    from_stream = openpyxl.load_workbook(io.BytesIO(buf.getvalue()), read_only=True)
    assert from_stream.sheetnames == from_path.sheetnames == ["企业", "证据", "区县×标准×处置", "区县×处置", "说明"]
    rows = lambda book: [tuple(r) for r in book["企业"].iter_rows(values_only=True)]  # noqa: E731
    assert rows(from_stream) == rows(from_path) and len(rows(from_stream)) == len(result.enterprises) + 1


# --------------------------------------------------------------------------- what a county officer reads

#: demo row 1: AMap (GCJ-02) 121.251663, 32.167228 is screened at CGCS2000 121.247157 (about 430 m away)
DEMO_ROW1_INPUT = (121.251663, 32.167228)
DEMO_ROW1_SCREENED_LON = 121.247157


def _sheet(path, name, rows=800):
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(book[name].iter_rows(max_row=rows, values_only=True))
    finally:
        book.close()


def test_results_workbook_sheets_are_chinese_and_headers_never_repeat(demo_run):
    book = openpyxl.load_workbook(demo_run / R.XLSX_NAME, read_only=True)
    try:
        assert book.sheetnames == ["企业", "证据", "区县×标准×处置", "区县×处置", "说明"]
        for ws in book:
            stamp, header = ws.iter_rows(max_row=2, values_only=True)  # the illustrative demo's stamp, the header
            assert stamp[0].startswith("示意数据，非官方")
            assert len(set(header)) == len(header), (ws.title, [h for h in header if header.count(h) > 1])
    finally:
        book.close()


def test_input_coordinates_are_labelled_with_their_system_and_canonical_ones_are_screened(demo_run):
    rows = _sheet(demo_run / R.XLSX_NAME, "企业")[1:]
    header, first = rows[0], dict(zip(rows[0], rows[1]))
    assert "经度（输入，GCJ-02）" in header and "纬度（输入，GCJ-02）" in header
    assert float(first["经度（输入，GCJ-02）"]) == DEMO_ROW1_INPUT[0]
    assert first["经度（CGCS2000）"] == pytest.approx(DEMO_ROW1_SCREENED_LON, abs=1e-6)
    assert "统一社会信用代码" in header and "统一社会信用代码（规范值）" in header  # input header kept


def test_codes_read_as_labels(demo_run):
    for name in ("企业", "证据", "区县×标准×处置"):
        cells = {v for row in _sheet(demo_run / R.XLSX_NAME, name)[2:] for v in row if isinstance(v, str)}
        for code in ("per_law", "land_use_plan", "not_assessed", "near_edge:3", "quasi", "first", "registry"):
            assert not any(c == code or c.startswith(code + "(") for c in cells), (name, code)
    ents = _sheet(demo_run / R.XLSX_NAME, "企业")[1:]
    first = dict(zip(ents[0], ents[1]))
    assert first["淘汰类装备（规范值）"] in ("是", "否")
    hits = _sheet(demo_run / R.XLSX_NAME, "证据")[1:]
    assert {"依法处置", "搬迁"} <= {dict(zip(hits[0], r))["处置方式"] for r in hits[1:]}


def test_a_large_workbook_lists_the_flagged_enterprises_with_the_checklist_columns(tmp_path, monkeypatch):
    """Above EXCEL_ROWS_MAX the 企业 sheet holds LARGE_COLUMNS (who, where, what was hit, basis, results, margins),
    in that order, not every registry and result column; the full rows are in results.gpkg / results.parquet."""
    import pandas as pd

    from geo_screen.outputs import workbook
    from geo_screen.vocabulary import column_label

    monkeypatch.setattr(workbook, "EXCEL_ROWS_MAX", 5)
    result = make_result(40, seed=2)
    write_results_workbook(result, tmp_path / "w.xlsx")
    sheet = pd.read_excel(tmp_path / "w.xlsx", sheet_name=workbook.SHEET_ENTERPRISES, header=1)
    kept = [c for c in workbook.LARGE_COLUMNS if c in result.enterprises.columns]
    assert list(sheet.columns) == [column_label(c) for c in kept]
    assert "联系人" not in sheet.columns and "年产值（万元）" not in sheet.columns
    assert len(sheet) == len(result.flagged)


def test_a_large_workbooks_enterprise_sheet_is_made_a_block_of_rows_at_a_time(demo_result, tmp_path, monkeypatch):
    """Above EXCEL_ROWS_MAX the 企业 sheet is made from the results a block of rows at a time (taken, codes read as
    labels, written, dropped): no copy of every flagged row is held. It reads back as the whole sheet written at
    once, cell for cell and width for width, also where widths are measured on every k-th value of a column
    with missing values (the margins)."""
    import pandas as pd

    from geo_screen.outputs import sheets, sheetxml, workbook

    monkeypatch.setattr(workbook, "EXCEL_ROWS_MAX", 100)
    monkeypatch.setattr(sheetxml, "BLOCK_ROWS", 256)
    for module in (sheets, workbook):
        monkeypatch.setattr(module, "WIDTH_SAMPLE", 97)
    sizes, labelled = [], workbook.enterprise_sheet
    monkeypatch.setattr(workbook, "enterprise_sheet", lambda frame, *a: sizes.append(len(frame)) or labelled(frame, *a))
    write_results_workbook(demo_result, tmp_path / "blocks.xlsx")
    assert sizes and max(sizes) <= 256

    columns = [c for c in workbook.LARGE_COLUMNS if c in demo_result.enterprises.columns]
    whole = labelled(pd.DataFrame(demo_result.flagged[columns]), demo_result.manifest)
    assert whole["距水源保护区边界（米，内正外负）"].isna().any() and len(whole) > 97
    sheets.write_workbook(tmp_path / "whole.xlsx", {"企业": whole})
    blocks = openpyxl.load_workbook(tmp_path / "blocks.xlsx")[workbook.SHEET_ENTERPRISES]
    reference = openpyxl.load_workbook(tmp_path / "whole.xlsx")["企业"]
    assert [[c.value for c in r] for r in blocks.iter_rows(min_row=2)] == [
        [c.value for c in r] for r in reference.iter_rows()
    ]
    assert (blocks.max_row, blocks.max_column) == (reference.max_row + 1, reference.max_column)  # a note above
    layout = lambda ws: {k: (d.width, ws[f"{k}3"].alignment.wrap_text) for k, d in ws.column_dimensions.items()}  # noqa: E731
    assert layout(blocks) == layout(reference)
