"""``diff_runs`` and ``geo-screen diff``: two runs matched by enterprise_id, what changed, per county."""

from __future__ import annotations

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from results_factory import make_result

from geo_screen import results as R
from geo_screen import write_results
from geo_screen.cli import main
from geo_screen.errors import InputDataError
from geo_screen.outputs.changes import CHANGES_LAYER, diff_runs, write_changes
from geo_screen.vocabulary import CHANGE_KINDS, CHANGE_ZH, column_label


def _edited(old: R.ScreenResult) -> R.ScreenResult:
    """The next year's run: row 10 gone, a new enterprise, 9 newly flagged, 1 cleared, 2 decided otherwise,
    7 hits other standards, 12 listed twice, 13 without an id."""
    ents = old.enterprises.copy()
    assert ents.loc[9, R.STANDARDS_HIT] == "" and ents.loc[1, R.STANDARDS_HIT] == "3"
    ents.loc[9, [R.STANDARDS_HIT, R.DISPOSITION]] = ["3", "per_law"]
    ents.loc[1, [R.STANDARDS_HIT, R.DISPOSITION]] = ["", "none"]
    ents.loc[2, R.DISPOSITION] = "close"  # 4;8 both years
    ents.loc[7, R.STANDARDS_HIT] = "3;9"  # relocate both years
    ents.loc[13, R.ENTERPRISE_ID] = None
    ents.loc[14, "geometry"] = shapely.Point(121.0, 32.0)  # moved: nothing else changes
    new_row = ents.loc[[11]].assign(**{R.ENTERPRISE_ID: "91320612MA1NEW0000", R.INPUT_ROW: 99})
    twice = ents.loc[[12]].assign(**{R.INPUT_ROW: 98})
    ents = pd.concat([ents.drop(index=10), new_row, twice], ignore_index=True)
    return R.ScreenResult(gpd.GeoDataFrame(ents, crs=old.enterprises.crs), old.hits.iloc[:0], dict(old.manifest))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    old = make_result(20, seed=0)
    write_results(old, root / "2025", formats=("gpkg", "parquet"))
    write_results(_edited(old), root / "2026", formats=("gpkg", "parquet"))
    return root / "2025", root / "2026", old.enterprises[R.ENTERPRISE_ID].tolist()


def test_each_enterprise_gets_every_change_it_shows(runs):
    old, new, ids = runs
    changes = diff_runs(old, new)
    kinds = dict(zip(changes.table[R.ENTERPRISE_ID], changes.table["change"]))
    assert kinds == {
        ids[10]: "gone",
        "91320612MA1NEW0000": "new",
        ids[9]: "newly_flagged",
        ids[1]: "cleared",
        ids[2]: "disposition_changed",
        ids[7]: "standards_changed",
        ids[13]: "gone",  # its row has no id now: it cannot be matched, so it is listed below as well
    }
    row = changes.table.set_index(R.ENTERPRISE_ID).loc[ids[2]]
    assert (row["disposition_old"], row["disposition_new"]) == ("demolish", "close")
    assert changes.table.set_index(R.ENTERPRISE_ID).loc[ids[7], "standards_old"] == "3;6;9"


def test_an_enterprise_in_several_categories_lists_each(runs, tmp_path):
    old = make_result(20, seed=0)
    new = old.enterprises.copy()
    new.loc[7, [R.STANDARDS_HIT, R.DISPOSITION]] = ["3;6", "per_law"]  # was 3;6;9 relocate
    write_results(old, tmp_path / "a", formats=("gpkg", "parquet"))
    write_results(R.ScreenResult(new, old.hits, old.manifest), tmp_path / "b", formats=("gpkg", "parquet"))
    table = diff_runs(tmp_path / "a", tmp_path / "b").table
    assert table["change"].tolist() == ["disposition_changed;standards_changed"]


def test_duplicates_and_rows_without_an_id_are_reported_never_matched(runs):
    old, new, ids = runs
    changes = diff_runs(old, new)
    assert ids[12] not in set(changes.table[R.ENTERPRISE_ID])
    assert changes.duplicates[[R.ENTERPRISE_ID, "run"]].values.tolist() == [[ids[12], "new"], [ids[12], "new"]]
    assert changes.no_id[["run", R.INPUT_ROW]].values.tolist() == [["new", 14]]
    text = changes.summary()
    assert "1 enterprise_id listed more than once" in text and "1 row without enterprise_id" in text


def test_the_county_table_counts_each_category(runs):
    changes = diff_runs(*runs[:2])
    table = changes.by_county.set_index(column_label(R.COUNTY))
    total = table.loc["合计"]
    assert [int(total[CHANGE_ZH[k]]) for k in CHANGE_KINDS] == [1, 2, 1, 1, 1, 1]
    assert int(table.drop(index="合计")[CHANGE_ZH["gone"]].sum()) == 2


def test_written_workbook_and_layer(runs, tmp_path):
    old, new, ids = runs
    written = write_changes(diff_runs(old, new), tmp_path)
    assert [p.name for p in written] == ["changes.xlsx", "changes.gpkg"]
    book = openpyxl.load_workbook(tmp_path / "changes.xlsx", read_only=True)
    try:
        names = book.sheetnames
        gone = [[c.value for c in r] for r in book[CHANGE_ZH["gone"]].iter_rows()]
    finally:
        book.close()
    assert names[:2] == ["汇总", "区县×变化"] and {CHANGE_ZH[k] for k in CHANGE_KINDS} <= set(names)
    assert {"重复代码", "缺少代码"} <= set(names)
    header = gone[1]
    assert column_label(R.ENTERPRISE_ID) in header and "变化类别" in header
    assert {r[header.index(column_label(R.ENTERPRISE_ID))] for r in gone[2:]} == {ids[10], ids[13]}
    assert pyogrio.list_layers(tmp_path / "changes.gpkg")[:, 0].tolist() == [CHANGES_LAYER]
    layer = gpd.read_file(tmp_path / "changes.gpkg", layer=CHANGES_LAYER)
    assert len(layer) == 7 and layer.crs.to_epsg() == 4490 and set(layer.geom_type.dropna()) == {"Point"}
    by_id = layer.set_index(column_label(R.ENTERPRISE_ID))
    olds = R.read_results(old).enterprises.set_index(R.ENTERPRISE_ID)
    gone_point = olds.loc[ids[10]].geometry
    assert by_id.loc[ids[10]].geometry.distance(gone_point.representative_point()) < 1e-9  # at the old point
    assert by_id.loc[ids[9], "变化类别"] == CHANGE_ZH["newly_flagged"]


def test_a_folder_that_is_not_a_run_is_refused(runs, tmp_path):
    with pytest.raises(InputDataError, match="no screening results"):
        diff_runs(runs[0], tmp_path)


def test_diff_command_prints_the_summary(runs, tmp_path, capsys):
    assert main(["diff", str(runs[0]), str(runs[1]), "--out", str(tmp_path / "out")]) == 0
    said = capsys.readouterr().out
    assert "newly flagged 1" in said and "changes.xlsx" in said
    assert (tmp_path / "out" / "changes.gpkg").exists()
    assert main(["diff", str(runs[0]), str(tmp_path / "none"), "--out", str(tmp_path / "out")]) == 2


def test_a_run_compared_with_itself_has_no_changes(runs, tmp_path):
    changes = diff_runs(runs[0], runs[0])
    assert len(changes.table) == 0 and changes.counts() == dict.fromkeys(CHANGE_KINDS, 0)
    assert changes.by_county[column_label(R.COUNTY)].tolist() == ["合计"]
    write_changes(changes, tmp_path)
    assert len(gpd.read_file(tmp_path / "changes.gpkg", layer=CHANGES_LAYER)) == 0
