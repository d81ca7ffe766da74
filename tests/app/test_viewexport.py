"""The current view exported: exactly the filtered enterprises, as xlsx (filters in words first) and GeoPackage."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pyogrio
import pytest
from results_factory import make_result

from geo_screen import results as R
from geo_screen.app import state as ex
from geo_screen.app import viewexport as vx
from geo_screen.vocabulary import column_label


@pytest.fixture(scope="module")
def run():
    return ex.prepare(make_result(60, seed=7))


@pytest.fixture(scope="module")
def view(run):
    county = run.options["counties"][0]
    filters = ex.Filters(counties=(county,), dispositions=tuple(run.options["dispositions"][:3]))
    shown = ex.apply_filters(run, filters)
    assert 0 < len(shown) < len(run.enterprises)
    return filters, shown


def test_filters_in_words_name_every_active_filter():
    filters = ex.Filters(counties=("崇川区",), standards=("3",), dispositions=("close",), search="化工")
    words = vx.filters_in_words(filters)
    assert words[0] == "县（市、区）：崇川区"
    assert any(w.startswith("触及标准：标准3") for w in words)
    assert "处置方式：关闭取缔" in words and "名称或代码含“化工”" in words
    assert vx.filters_in_words(ex.Filters()) == ["全部企业（未筛选）"]


def test_view_xlsx_holds_the_filtered_rows_after_a_filters_sheet(run, view):
    filters, shown = view
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    book = openpyxl.load_workbook(io.BytesIO(vx.view_xlsx_bytes(run, shown, filters, now=now)), read_only=True)
    assert book.sheetnames[:3] == ["筛选条件", "企业", "证据"]
    rows = list(book["筛选条件"].iter_rows(min_row=2, values_only=True))
    assert [v for k, v in rows if k == "筛选条件"] == vx.filters_in_words(filters)
    assert f"县（市、区）：{filters.counties[0]}" in vx.filters_in_words(filters)
    notes = dict(rows)
    assert notes["导出时间"] == "2026-12-01 09:00:00（北京时间）"
    assert notes["企业数"].startswith(f"{len(shown):,} / {len(run.enterprises):,}")
    rows = list(book["企业"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert column_label(R.NAME) in header and column_label(R.DISPOSITION_ZH) in header
    assert len(body) == len(shown)
    row_col = header.index(column_label(R.INPUT_ROW))
    assert sorted(r[row_col] for r in body) == sorted(shown[R.INPUT_ROW])
    hits = list(book["证据"].iter_rows(values_only=True))[1:]
    assert len(hits) == int(run.result.hits[R.INPUT_ROW].isin(shown[R.INPUT_ROW]).sum())


def test_view_gpkg_holds_the_filtered_rows_in_cgcs2000(run, view, tmp_path):
    _, shown = view
    path = tmp_path / "view.gpkg"
    path.write_bytes(vx.view_gpkg_bytes(shown))
    assert list(pyogrio.list_layers(path)[:, 0]) == ["enterprises"]
    back = pyogrio.read_dataframe(path)
    assert back.crs.to_epsg() == 4490
    assert sorted(back[R.INPUT_ROW]) == sorted(shown[R.INPUT_ROW])
    assert set(back[R.DISPOSITION]) <= set(view[0].dispositions)


def test_view_keeps_rows_without_location(run, tmp_path):
    filters = ex.Filters(row_statuses=(R.STATUS_INVALID,))
    shown = ex.apply_filters(run, filters)
    assert len(shown)
    path = tmp_path / "v.gpkg"
    path.write_bytes(vx.view_gpkg_bytes(shown))
    assert pyogrio.read_info(path)["features"] == len(shown)


def test_view_downloads_offer_xlsx_and_gpkg(run, view):
    filters, shown = view
    items = vx.view_downloads(run, shown, filters)
    assert [d.file_name for d in items] == ["当前视图.xlsx", "当前视图.gpkg"]
    assert items[0].make()[:2] == b"PK" and items[1].make()[:16] == b"SQLite format 3\x00"
