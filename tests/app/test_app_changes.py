"""Two runs compared on the page: an earlier run picked in the sidebar (``cmp=`` in the URL), the changes per county
and category, the map and list narrowed to the changed enterprises with their change, changes.xlsx to download."""

from __future__ import annotations

import io
import json
import sys

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP, component_args, query, tiny_results  # noqa: F401 (a fixture)
from test_mapview import enterprise_payload, vector_payloads

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import compare, runs
from geo_screen.app import state as explore
from geo_screen.vocabulary import CHANGE_SHEETS, CHANGE_ZH


def edited(result: R.ScreenResult) -> R.ScreenResult:
    """The tiny run a year later: ``clear`` gone, ``water_quasi`` newly flagged, ``water_first`` hits other
    standards, ``sanitary_hit`` cleared, a new enterprise."""
    ents = result.enterprises.copy()
    row = {name: i for i, name in ents[R.NAME].items()}
    ents.loc[row["water_quasi"], [R.STANDARDS_HIT, R.DISPOSITION]] = ["3", "per_law"]
    ents.loc[row["water_first"], R.STANDARDS_HIT] = "4;9"
    ents.loc[row["sanitary_hit"], [R.STANDARDS_HIT, R.DISPOSITION]] = ["", "none"]
    new = ents.loc[[row["sanitary_clear"]]].assign(
        **{R.ENTERPRISE_ID: "91320612MA1NEW0000", R.NAME: "newcomer", R.INPUT_ROW: 99}
    )
    ents = pd.concat([ents.drop(index=row["clear"]), new], ignore_index=True)
    manifest = {**result.manifest, "input": {**result.manifest.get("input", {}), "path": "registry_2026.csv"}}
    return R.ScreenResult(gpd.GeoDataFrame(ents, crs=result.enterprises.crs), result.hits.iloc[:0], manifest)


@pytest.fixture(scope="module")
def two_runs(tiny_results, tmp_path_factory):  # noqa: F811 (the fixture)
    """(runs folder, earlier run id, later run id, the later result, the catalog)."""
    results, catalog, result = tiny_results
    root = tmp_path_factory.mktemp("two_runs")
    later = edited(result)
    gs.write_results(later, root / "later", formats=("gpkg", "parquet"))
    runs_dir = root / "runs"
    old = runs.register_folder(results, runs_dir).id
    new = runs.register_folder(root / "later", runs_dir).id
    return runs_dir, old, new, later, catalog


@pytest.fixture
def page(two_runs, monkeypatch):
    runs_dir, old, new, _, catalog = two_runs
    monkeypatch.setattr(sys, "argv", ["app.py", "--catalog", str(catalog), "--runs", str(runs_dir)])
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["run"] = new
    return at


def map_args(at) -> dict:
    return component_args(at)


CHANGED = {
    "water_quasi": "新触及标准",
    "water_first": "触及标准变化",
    "sanitary_hit": "不再触及标准",
    "newcomer": "新增企业",
}


def test_compare_runs_lines_the_changes_up_with_the_run_on_screen(two_runs, tiny_results):  # noqa: F811
    _, _, _, later, _ = two_runs
    view = compare.compare_runs(tiny_results[2], explore.prepare(later))
    names = later.enterprises[R.NAME]
    assert dict(zip(names[view.notes.index], view.notes)) == CHANGED
    assert compare.changed_mask(later.enterprises, view).sum() == 4
    assert view.gone is not None and list(view.gone.frame["tip"]) == [
        f"clear\n{CHANGE_ZH['gone']}\n{tiny_results[2].enterprises[R.ENTERPRISE_ID][0]}"
    ]
    assert compare.summary_lines(view)[0].startswith("变化企业 5 家：新增企业 1，登记表中已无 1，新触及标准 1")
    book = openpyxl.load_workbook(io.BytesIO(compare.changes_download(view).make()))
    assert CHANGE_SHEETS["county"] in book.sheetnames and CHANGE_ZH["gone"] in book.sheetnames


def test_the_page_compares_with_the_run_the_url_names(page, two_runs):
    runs_dir, old, new, later, _ = two_runs
    page.query_params["cmp"] = old
    at = page.run()
    assert not at.exception and not at.error
    payload = enterprise_payload(map_args(at)["script"])
    assert dict(zip(payload["name"], payload["note"])) == CHANGED  # the map: the changed ones, with their change
    gone = [p for p in vector_payloads(map_args(at)["script"]) if "登记表中已无" in json.dumps(p, ensure_ascii=False)]
    assert len(gone) == 1 and f'"title":"{CHANGE_ZH["gone"]}（上次位置）"' in map_args(at)["script"]
    by_county = next(d.value for d in at.dataframe if "合计" in set(d.value.iloc[:, 0]))
    assert by_county.set_index(by_county.columns[0]).loc["合计", "变化企业数"] == 5
    listed = at.dataframe[-1].value
    assert dict(zip(listed["企业名称"] if "企业名称" in listed else listed.iloc[:, 2], listed["变化类别"])) == CHANGED
    assert query(at, "cmp") == [old] and query(at, "run") == [new]
    assert [b for b in at.get("download_button") if b.proto.label == "两次筛查对比 Excel"]


def test_picking_a_run_to_compare_puts_it_in_the_url_and_no_comparison_shows_every_enterprise(page, two_runs):
    _, old, new, later, _ = two_runs
    at = page.run()
    assert len(enterprise_payload(map_args(at)["script"])["lat"]) == len(later.enterprises)
    assert "note" not in enterprise_payload(map_args(at)["script"])
    assert query(at, "cmp") == []
    at.selectbox(key="compare_pick").set_value(old).run()
    assert not at.exception
    assert len(enterprise_payload(map_args(at)["script"])["lat"]) == 4
    assert query(at, "cmp") == [old]
    at.selectbox(key="compare_pick").set_value("").run()
    assert len(enterprise_payload(map_args(at)["script"])["lat"]) == len(later.enterprises)
    assert query(at, "cmp") == []


def test_a_compared_run_that_is_missing_is_said_and_the_page_shows_the_run_alone(page, two_runs):
    page.query_params["cmp"] = "20200101-000000-abcdef"
    at = page.run()
    assert not at.exception
    assert any(e.value.startswith("对比失败") for e in at.sidebar.error)
    assert query(at, "cmp") == []
