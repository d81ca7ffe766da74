"""Verification status on the map: the 核查结论 filter, its URL key, the list's column and a ring layer per finding."""

from __future__ import annotations

import geopandas as gpd
import pytest
from ledger_factory import finding

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import mapview, verification
from geo_screen.app import state as explore
from geo_screen.ledger.entries import Entry
from geo_screen.ledger.store import open_ledger


@pytest.fixture(scope="module")
def ledger_run(tiny_pack, tmp_path_factory):
    """The tiny registry screened with a ledger: one enterprise 属实, one 位置有误 (moved 50 m), the rest 未核实."""
    from conftest import lonlat, registry_frame

    folder = tmp_path_factory.mktemp("verified")
    registry = registry_frame()
    registry.to_csv(folder / "registry.csv", index=False)
    ids = list(registry["统一社会信用代码"])
    with open_ledger(folder / "ledger.sqlite") as ledger:
        lon, lat = lonlat(50, 50)
        ledger.append(
            [
                finding(ids[0], "属实"),
                finding(ids[1], "位置有误"),
                Entry("location_fix", ids[1], "张三", lon=lon, lat=lat),
            ]
        )
    result = gs.screen(
        folder / "registry.csv", gs.load_catalog(tiny_pack), crs="EPSG:4326", ledger=folder / "ledger.sqlite"
    )
    return explore.prepare(result), ids


def test_filter_offers_the_statuses_present_and_follows_the_url(ledger_run):
    run, ids = ledger_run
    assert run.options["verifications"] == ["未核实", "属实", "位置有误"]
    shown = explore.apply_filters(run, explore.Filters(verifications=("属实", "位置有误")))
    assert set(shown[R.ENTERPRISE_ID]) == set(ids[:2])
    assert len(explore.apply_filters(run, explore.Filters(verifications=("未核实",)))) == len(run.enterprises) - 2
    query = explore.query_from_state(explore.Filters(verifications=("属实",)))
    assert query == {"verif": ["属实"]}
    assert explore.filters_from_query({"verif": "属实,不属实"}, run).verifications == ("属实",)  # 不属实: none here


def test_list_shows_the_latest_finding(ledger_run):
    run, ids = ledger_run
    table = explore.results_table(run, run.enterprises)
    assert list(table.columns[4:6]) == ["处置方式", "核查结论"]
    assert table["核查结论"].iloc[0] == "属实" and table["核查结论"].iloc[2] == "未核实"


def test_a_run_without_the_ledger_offers_no_verification_filter(tiny_pack, tmp_path):
    from conftest import registry_frame

    registry_frame().to_csv(tmp_path / "r.csv", index=False)
    run = explore.prepare(gs.screen(tmp_path / "r.csv", gs.load_catalog(tiny_pack), crs="EPSG:4326"))
    assert run.options["verifications"] == []
    assert verification.verification_layers(run.enterprises) == []
    assert "核查结论" not in explore.results_table(run, run.enterprises)


def test_rings_per_finding_on_the_map_and_in_its_legend(ledger_run):
    run, ids = ledger_run
    layers = verification.verification_layers(run.enterprises)
    assert [layer.title for layer in layers] == ["核查结论：属实", "核查结论：位置有误"]
    assert all(len(layer.frame) == 1 and not layer.interactive for layer in layers)
    assert layers[0].style["color"] != layers[1].style["color"] and layers[0].style["fill"] is False
    html = mapview.build_map(run.enterprises, keys=run.keys, layers=layers).get_root().render()
    assert "核查结论：属实" in html and verification.VERIFICATION_COLOURS["位置有误"] in html
    moved = run.enterprises[run.enterprises[R.ENTERPRISE_ID] == ids[1]]
    assert isinstance(layers[1].frame, gpd.GeoDataFrame)
    assert layers[1].frame.geometry.iloc[0].equals(moved.geometry.iloc[0])  # the ring at the corrected place
