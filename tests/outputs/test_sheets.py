"""Excel/CSV writing: formula neutralising, layout read back with openpyxl, limits, atomic files."""

from __future__ import annotations

import csv
import io
import os
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo_screen.errors import ExportError
from geo_screen.outputs import sheets
from geo_screen.outputs.csvfile import write_csv
from geo_screen.outputs.sheets import (
    EXCEL_MAX_ROWS,
    NEUTRALISER,
    neutralize_cell,
    neutralize_frame,
    write_workbook,
)

DANGEROUS = ["=1+1", "+86 513 8888", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd", '  =HYPERLINK("x")']


@pytest.mark.parametrize("text", DANGEROUS)
def test_neutralize_cell_prefixes_formula_triggers(text):
    assert neutralize_cell(text) == NEUTRALISER + text


@pytest.mark.parametrize("value", ["南通印染厂", "a=b", "3+4", "", None, -5, 2.5, np.nan, "'=already"])
def test_neutralize_cell_leaves_safe_values_alone(value):
    out = neutralize_cell(value)
    assert out is value or (isinstance(value, float) and np.isnan(out))


@given(st.text(max_size=20))
def test_neutralized_text_never_starts_a_formula(text):
    out = neutralize_cell(text)
    assert out.lstrip()[:1] not in ("=", "+", "-", "@") or out.startswith(NEUTRALISER)
    assert out.endswith(text) and len(out) - len(text) in (0, 1)
    assert neutralize_cell(out) == out  # idempotent


def test_neutralize_frame_covers_str_object_and_headers_without_mutating():
    df = pd.DataFrame(
        {"name": ["=evil()", "good", None], "mixed": pd.Series(["@x", 3, None], dtype=object), "=hdr": [1, -2, 3]}
    )
    out = neutralize_frame(df)
    assert out["name"].tolist()[:2] == ["'=evil()", "good"] and pd.isna(out["name"].iloc[2])
    assert out["mixed"].tolist() == ["'@x", 3, None]
    assert list(out.columns) == ["name", "mixed", "'=hdr"]
    assert out["'=hdr"].tolist() == [1, -2, 3]  # numbers are not text: -2 stays a number
    assert df["name"].iloc[0] == "=evil()"  # input untouched


@given(st.lists(st.text(max_size=12), min_size=1, max_size=5))
def test_neutralize_frame_text_columns_agree_with_neutralize_cell(texts):
    """String columns are checked with Arrow's RE2, object cells with Python's re: the same texts change."""
    out = neutralize_frame(pd.DataFrame({"t": pd.array(texts, dtype="str")}))
    assert out["t"].tolist() == [neutralize_cell(t) for t in texts]


TRICKY_TEXT = [
    "南通长江印染有限公司",
    None,
    " leading",
    "trailing ",
    "\u3000全角空格",
    "a&b<c>d\"e'",
    "=SUM(A1)",
    "\u3000=x",
    "ctrl\x01\x1fchar",
    "_x0041_ literal",
    "line1\nline2",
    "😀 astral",
    "\ufffe",
    "",
]


def _tricky_frame() -> pd.DataFrame:
    n = len(TRICKY_TEXT)
    cycle = lambda values: [values[i % len(values)] for i in range(n)]  # noqa: E731
    return pd.DataFrame(
        {
            "str": pd.array(TRICKY_TEXT, dtype="str"),
            "object_text": pd.Series(TRICKY_TEXT, dtype=object),
            "float": cycle([1.5, np.nan, np.inf, -0.0, 1e20, 0.1 + 0.2, 123456789.123, -np.inf, 5e-324]),
            "int": np.arange(n, dtype=np.int64) - 3,
            "Int64": pd.array(cycle([1, None, 2**40]), dtype="Int64"),
            "bool": cycle([True, False]),
            "boolean": pd.array(cycle([True, None, False]), dtype="boolean"),
            "object_bool": pd.Series(cycle([True, None, False]), dtype=object),
            "object_mixed": pd.Series(cycle([None, "x", 3, True, 2.5, "=1", float("nan")]), dtype=object),
            "category": pd.Categorical(cycle(["甲", None, "乙"])),
            "date": pd.to_datetime(cycle(["2024-01-02", None, "2024-01-02 03:04:05"]), format="ISO8601"),
        }
    )


def _cell_by_cell(path, df: pd.DataFrame) -> None:
    """The reference: every value through xlsxwriter's own write calls, one cell at a time (in-line strings)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "constant_memory": True},
    )
    ws = wb.add_worksheet("s")
    safe = neutralize_frame(df)
    for c, name in enumerate(safe.columns):
        ws.write_string(0, c, name)
    columns = [(safe.iloc[:, c].dtype, safe.iloc[:, c].tolist()) for c in range(len(safe.columns))]
    for r in range(len(safe)):  # row by row: a constant-memory sheet flushes each row when the next starts
        for c, (dtype, values) in enumerate(columns):
            value = values[r]
            if (
                value is None
                or value is pd.NA
                or value is pd.NaT
                or (isinstance(value, float) and not np.isfinite(value))
            ):
                continue
            r1 = r + 1
            if pd.api.types.is_datetime64_any_dtype(dtype):
                ws.write_string(r1, c, value.strftime("%Y-%m-%d %H:%M:%S").replace(" 00:00:00", ""))
            elif isinstance(value, (bool, np.bool_)):
                ws.write_boolean(r1, c, bool(value))
            elif isinstance(value, str):
                ws.write_string(r1, c, value)
            else:
                ws.write_number(r1, c, float(value))
    wb.close()


@pytest.mark.parametrize("repeated", [1, 10**9])
def test_sheet_data_reads_back_as_xlsxwriter_writes_it_cell_by_cell(tmp_path, monkeypatch, repeated):
    """Data rows are built as XML column by column: every cell (value, type, escapes, whitespace) and the
    sheet's extent read back as when xlsxwriter writes each cell itself (numbers: the exact double, where
    xlsxwriter keeps 16 significant digits); a file and a stream agree. Text escaped cell by cell and once
    per distinct value (repeated = 1: every column counts as repeating) gives the same cells."""
    from geo_screen.outputs import sheetxml

    monkeypatch.setattr(sheetxml, "_REPEATED", repeated)
    df = pd.concat([_tricky_frame()] * 3, ignore_index=True)
    ours, reference = tmp_path / "ours.xlsx", tmp_path / "reference.xlsx"
    write_workbook(ours, {"s": df})
    _cell_by_cell(reference, df)
    a = openpyxl.load_workbook(ours)["s"]
    b = openpyxl.load_workbook(reference)["s"]
    assert (a.max_row, a.max_column) == (b.max_row, b.max_column) == (len(df) + 1, len(df.columns))
    assert a.calculate_dimension() == b.calculate_dimension()
    for row_a, row_b in zip(a.iter_rows(), b.iter_rows()):
        for x, y in zip(row_a, row_b):
            value = x.value
            if isinstance(value, float):  # xlsxwriter rounds to 16 digits, we keep 17
                value = float(f"{value:.16G}")
            assert (value, x.data_type) == (y.value, y.data_type), x.coordinate
    assert a["E2"].value == 2**0 and a["A4"].value == " leading" and a["A9"].value == "'\u3000=x"
    streamed = openpyxl.load_workbook(io.BytesIO(workbook_bytes({"s": df})))["s"]
    assert [[c.value for c in r] for r in streamed.iter_rows()] == [[c.value for c in r] for r in a.iter_rows()]


def test_rows_without_a_cell_are_left_out(tmp_path):
    df = pd.DataFrame({"a": [1.0, np.nan, 2.0, np.nan], "b": pd.array(["x", None, None, None], dtype="str")})
    write_workbook(tmp_path / "w.xlsx", {"s": df})
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["s"]
    assert ws.calculate_dimension() == "A1:B4"  # the extent ends at the last row holding a cell
    assert [[c.value for c in r] for r in ws.iter_rows()] == [["a", "b"], [1, "x"], [None, None], [2, None]]


def test_sheet_data_cells_take_their_column_style(tmp_path):
    """A wrapped column's cells are wrapped (xlsxwriter gives cells without a format their column's)."""
    df = pd.DataFrame({"long": ["很长的文字" * 30] * 3, "short": ["a", "b", "c"]})
    write_workbook(tmp_path / "w.xlsx", {"s": df})
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["s"]
    assert all(ws.cell(r, 1).alignment.wrap_text for r in (2, 3, 4))
    assert not any(ws.cell(r, 2).alignment.wrap_text for r in (2, 3, 4))


def test_mixed_object_dates_are_written_as_text(tmp_path):
    df = pd.DataFrame({"d": pd.Series([pd.Timestamp("2024-05-06"), "x", None], dtype=object)})
    write_workbook(tmp_path / "w.xlsx", {"s": df})
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["s"]
    assert [ws["A2"].value, ws["A3"].value] == ["2024-05-06", "x"]


def _frame():
    return pd.DataFrame(
        {
            "企业名称": ["南通长江印染有限公司", '=HYPERLINK("http://x","点我")', "ABC"],
            "code": ["91320612MA1", "+8613800000000", None],
            "distance_m": [12.5, np.nan, -3.0],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
        }
    )


def test_workbook_layout_reads_back(tmp_path):
    path = tmp_path / "t.xlsx"
    write_workbook(path, {"表": _frame()}, landscape=True)
    ws = openpyxl.load_workbook(path)["表"]
    assert [c.value for c in ws[1]] == ["企业名称", "code", "distance_m", "count", "flag"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E4"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == "$1:$1"
    # the formula came back as text with the neutraliser, never as a formula cell
    cell = ws["A3"]
    assert cell.data_type == "s" and cell.value == '\'=HYPERLINK("http://x","点我")'
    assert ws["B3"].value == "'+8613800000000"
    assert ws["C2"].value == 12.5 and ws["C3"].value is None and ws["C4"].value == -3
    assert ws["D3"].value is None and ws["E2"].value is True
    # CJK counts double: the Chinese column is wider than the same number of ASCII characters would need
    assert ws.column_dimensions["A"].width >= 2 * len("南通长江印染有限公司")
    assert ws.column_dimensions["B"].width < ws.column_dimensions["A"].width


_WIDE_RANGES = [(int(a, 16), int(b, 16)) for a, b in re.findall(r"\\x\{(\w+)\}-\\x\{(\w+)\}", sheets._WIDE)]


def _width(text: str) -> int:
    """A value's width measured character by character: its first line, wide characters counting two."""
    line = text.split("\n", 1)[0]
    return sum(2 if any(a <= ord(c) <= b for a, b in _WIDE_RANGES) else 1 for c in line)


@given(st.lists(st.text(alphabet="ab 1\n—“”（）·中文字　한ｶ𠀀é", max_size=12), min_size=1, max_size=3_000))
def test_display_width_is_the_widest_value_measured_character_by_character(texts):
    """Values whose bytes overstate their width (“”, —, é, a second line) never hide a wider one."""
    assert sheets.display_width(pd.Series(texts, dtype="str")) == max(map(_width, texts))


def test_portrait_by_default_and_width_override(tmp_path):
    path = tmp_path / "t.xlsx"
    write_workbook(path, {"a": _frame()}, widths={"a": {"code": 33}})
    ws = openpyxl.load_workbook(path)["a"]
    assert ws.page_setup.orientation in (None, "portrait")
    assert ws.column_dimensions["B"].width == pytest.approx(33, abs=1)


def test_notes_above_table_and_as_own_sheet(tmp_path):
    path = tmp_path / "t.xlsx"
    note = "Excel holds at most 1,048,576 rows: only flagged enterprises are listed"
    write_workbook(path, {"企业": _frame()}, notes={"企业": note, "说明": "第一行\n=第二行"})
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["企业", "说明"]
    ws = wb["企业"]
    assert ws["A1"].value == note and ws["A2"].value == "企业名称"
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:E5"
    assert [r[0] for r in wb["说明"].iter_rows(values_only=True)] == ["第一行", "'=第二行"]


def test_too_many_rows_raise_before_writing(tmp_path):
    big = pd.DataFrame({"x": np.zeros(EXCEL_MAX_ROWS, dtype="int8")})  # header makes it one too many
    with pytest.raises(ExportError, match="filter the table first"):
        write_workbook(tmp_path / "big.xlsx", {"a": big})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["a/b", "x" * 32, "", "it's'", "History"])
def test_bad_sheet_names_are_refused(tmp_path, name):
    with pytest.raises(ExportError, match="sheet name"):
        write_workbook(tmp_path / "t.xlsx", {name: _frame()})


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "t.xlsx"
    write_workbook(path, {"a": _frame()})
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sheets.os, "replace", boom)
    with pytest.raises(ExportError, match="No space left"):
        write_workbook(path, {"a": _frame().head(1)})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]


def test_unwritable_value_is_an_export_error_and_nothing_is_left(tmp_path):
    df = pd.DataFrame({"x": pd.Series([{"a": 1}], dtype=object)})
    with pytest.raises(ExportError, match="cannot write workbook"):
        write_workbook(tmp_path / "t.xlsx", {"a": df})
    assert list(tmp_path.iterdir()) == []


def workbook_bytes(sheets) -> bytes:
    buf = io.BytesIO()
    write_workbook(buf, sheets)
    return buf.getvalue()


def test_workbook_to_stream():
    data = workbook_bytes({"a": _frame()})
    assert openpyxl.load_workbook(io.BytesIO(data))["a"]["A2"].value == "南通长江印染有限公司"


def test_csv_is_neutralised_with_bom_and_crlf(tmp_path):
    path = tmp_path / "t.csv"
    write_csv(path, _frame())
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert back.loc[1, "企业名称"] == '\'=HYPERLINK("http://x","点我")'
    assert back.loc[1, "code"] == "'+8613800000000"
    assert back.loc[0, "企业名称"] == "南通长江印染有限公司"


def test_csv_gbk_and_unencodable_value(tmp_path):
    write_csv(tmp_path / "ok.csv", _frame(), encoding="gbk")
    assert "南通长江印染有限公司" in (tmp_path / "ok.csv").read_bytes().decode("gbk")
    bad = pd.DataFrame({"企业名称": ["南通甲厂", "南通𠮷野"]})
    with pytest.raises(ExportError, match=r"column '企业名称', row 1: character '𠮷'.*utf-8-sig"):
        write_csv(tmp_path / "bad.csv", bad, encoding="gbk")
    assert not (tmp_path / "bad.csv").exists()


def test_csv_to_stream():
    buf = io.BytesIO()
    write_csv(buf, _frame())
    text = buf.getvalue().decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == ["企业名称", "code", "distance_m", "count", "flag"]


def test_csv_writes_what_pandas_reads_back_and_quotes_text(tmp_path):
    df = pd.DataFrame(
        {
            "number": [1.5, np.nan, 32.0],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
            "mixed": [1, "x", None],
            "text": pd.array(["南通,甲厂", 'say "hi"', None], dtype="str"),
            "lines": ["", "two\nlines", "=1+2"],
        }
    )
    write_csv(tmp_path / "t.csv", df, title="标题")
    lines = (tmp_path / "t.csv").read_bytes().decode("utf-8-sig").split("\r\n")
    assert lines[0] == "标题" and lines[2].startswith('1.5,1,"True","1","南通,甲厂",""')
    back = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig", skiprows=1, dtype=str, keep_default_na=False)
    assert back.to_dict("list") == {
        "number": ["1.5", "", "32"],
        "count": ["1", "", "3"],
        "flag": ["True", "False", "True"],
        "mixed": ["1", "x", ""],
        "text": ["南通,甲厂", 'say "hi"', ""],
        "lines": ["", "two\nlines", "'=1+2"],
    }


def test_write_creates_missing_folder(tmp_path):
    path = tmp_path / "new" / "deeper" / "t.csv"
    write_csv(path, _frame())
    assert path.exists() and not any(p.name.endswith(".tmp") for p in path.parent.iterdir())
    assert os.access(path, os.R_OK)


def test_title_page_header_and_drop_down_choices(tmp_path):
    path = tmp_path / "form.xlsx"
    form = pd.DataFrame({"企业": ["甲", "乙", "丙"], "核查结论": [None, None, None]})
    write_workbook(
        path,
        {"核查表": form},
        notes={"核查表": "说明一行", "附注": "另一页"},
        title="现场核查表 & 附注",
        page_header="内部初筛名单（未经核实，不得公开）",
        choices={"核查表": {"核查结论": ["属实", "不属实"]}},
    )
    book = openpyxl.load_workbook(path)
    assert book.properties.title == "现场核查表 & 附注"
    for ws in book:
        assert ws.oddHeader.center.text == "内部初筛名单（未经核实，不得公开）"
    (rule,) = book["核查表"].data_validations.dataValidation
    assert rule.type == "list" and rule.formula1 == '"属实,不属实"' and str(rule.sqref) == "B3:B5"
    with pytest.raises(ExportError, match="has no column '结论'"):
        write_workbook(tmp_path / "x.xlsx", {"核查表": form}, choices={"核查表": {"结论": ["属实"]}})
