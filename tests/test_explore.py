"""Page logic without Streamlit: filters, search, URL state, counts, the enterprise card, downloads."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geo_screen as gs
from geo_screen import explore as ex
from geo_screen import results as R
from results_factory import make_result


@pytest.fixture(scope="module")
def tiny_run(tiny_pack):
    from conftest import registry_frame
    path = tiny_pack.parent / "registry_explore.csv"
    registry_frame().to_csv(path, index=False)
    return ex.prepare(gs.screen(path, gs.load_catalog(tiny_pack), crs="EPSG:4326"))


@pytest.fixture(scope="module")
def run():
    return ex.prepare(make_result(60, seed=7))


def key_of(run: ex.Run, name: str) -> str:
    ents = run.enterprises
    return run.keys[ents[R.NAME] == name].iloc[0]


# --------------------------------------------------------------------------- filters

def test_options_and_unknown_county(run):
    assert "港闸/旧区" in run.options["counties"] and run.options["counties"][-1] == ex.UNKNOWN
    assert run.options["standards"] == list(R.STANDARDS)
    assert set(run.options["dispositions"]) == set(run.enterprises[R.DISPOSITION])


def test_each_filter_narrows_to_exactly_its_rows(run):
    ents = run.enterprises
    county = ex.apply_filters(run, ex.Filters(counties=("崇川区", ex.UNKNOWN)))
    assert set(county[R.COUNTY].fillna(ex.UNKNOWN)) == {"崇川区", ex.UNKNOWN}
    assert len(county) == ents[R.COUNTY].fillna(ex.UNKNOWN).isin(["崇川区", ex.UNKNOWN]).sum()
    hit3 = ex.apply_filters(run, ex.Filters(standards=("3",)))
    assert len(hit3) == (ents["std_03"] == R.HIT).sum() and (hit3["std_03"] == R.HIT).all()
    both = ex.apply_filters(run, ex.Filters(standards=("3", "9")))
    assert len(both) == ((ents["std_03"] == R.HIT) | (ents["std_09"] == R.HIT)).sum()
    disp = ex.apply_filters(run, ex.Filters(dispositions=("none",), industries=("印染",)))
    assert (disp[R.DISPOSITION] == "none").all() and (disp[R.INDUSTRY] == "印染").all()
    bad = ex.apply_filters(run, ex.Filters(row_statuses=(R.STATUS_INVALID,)))
    assert bad.index.tolist() == [6]


def test_search_by_name_fragment_uscc_and_full_width(run):
    ents = run.enterprises
    uscc = ents[R.ENTERPRISE_ID].iloc[12]
    assert ex.apply_filters(run, ex.Filters(search=uscc[-6:].lower())).index.tolist() == [12]
    assert ex.apply_filters(run, ex.Filters(search=" 野纺织 ")).index.tolist() == [1]
    fullwidth = uscc.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})  # ９１３２…
    assert 12 in ex.apply_filters(run, ex.Filters(search=fullwidth)).index
    assert ex.apply_filters(run, ex.Filters(search="不存在的企业")).empty


@settings(max_examples=40, deadline=None)
@given(a=st.sets(st.sampled_from(R.STANDARDS), min_size=1, max_size=4),
       b=st.sets(st.sampled_from(R.STANDARDS), min_size=1, max_size=4),
       disp=st.sets(st.sampled_from(list(R.DISPOSITIONS)), max_size=3))
def test_filters_are_unions_within_and_intersections_across(run, a, b, disp):
    mask = lambda **kw: ex.filter_mask(run, ex.Filters(**kw))  # noqa: E731
    assert np.array_equal(mask(standards=tuple(a | b)), mask(standards=tuple(a)) | mask(standards=tuple(b)))
    both = mask(standards=tuple(a), dispositions=tuple(disp))
    assert np.array_equal(both, mask(standards=tuple(a)) & mask(dispositions=tuple(disp)))


# --------------------------------------------------------------------------- URL state

def test_query_round_trip_and_unknown_values_dropped(run):
    filters = ex.Filters(counties=("通州区", "港闸/旧区"), standards=("3", "scattered"), dispositions=("close",),
                         search="化工")
    query = ex.query_from_state(filters, selected="第3行", basemap="amap")
    assert query == {"county": ["通州区", "港闸/旧区"], "std": ["3", "scattered"], "disp": ["close"], "q": "化工",
                     "sel": "第3行", "basemap": "amap"}
    assert ex.filters_from_query(query, run) == filters
    link = {"county": "通州区,火星区", "disp": ["关闭取缔", "nonsense"], "std": "99", "status": "ok"}
    assert ex.filters_from_query(link, run) == ex.Filters(counties=("通州区",), dispositions=("close",),
                                                          row_statuses=("ok",))
    assert ex.query_from_state(ex.Filters()) == {}


def test_selection_and_basemap_from_query(run):
    key = run.keys.iloc[5]
    assert ex.selected_from_query({"sel": key}, run) == key
    assert ex.selected_from_query({"sel": "91320000XXXXXXXXXX"}, run) is None
    assert ex.basemap_from_query({"basemap": "amap"}) == "amap"
    assert ex.basemap_from_query({"basemap": "evil"}) == "none"


# --------------------------------------------------------------------------- counts and tables

def test_counts_agree(run):
    ents = run.enterprises
    counts = ex.disposition_counts(ents)
    assert counts["企业数"].sum() == len(ents) and list(counts["code"]) == list(R.DISPOSITIONS)
    summary = ex.summary_counts(ents)
    assert summary["flagged"] == len(run.result.flagged) and summary["no_location"] == 1
    by_county = ex.county_counts(ents)
    assert by_county.to_numpy().sum() == summary["flagged"]
    assert len(ex.county_colours(by_county)) == len(by_county.columns)
    spec = ex.disposition_chart_spec(counts)
    assert spec["encoding"]["color"]["scale"]["range"][0] == "#D55E00"


def test_results_table_headers_and_keys(run):
    shown = ex.apply_filters(run, ex.Filters(counties=("通州区",)))
    table = ex.results_table(run, shown)
    assert list(table.columns)[:3] == ["编号", "企业名称", "县（市、区）"]
    assert table["编号"].tolist() == run.keys.loc[shown.index].tolist()
    assert table["处置方式"].isin(R.DISPOSITIONS.values()).all()


# --------------------------------------------------------------------------- the card

def test_card_zone_evidence_and_near_edge(tiny_run):
    card = ex.enterprise_card(tiny_run, key_of(tiny_run, "eco_in_30m"))
    std3 = card.standards.set_index("标准").loc["标准3 规划/生态红线"]
    assert std3["结果"] == "触及" and std3["证据"] == "甲森林公园（一级管控区）：位于区内，距区域边界 30 米"
    assert "生态红线" in std3["法律依据"] and std3["处置"] == "依法处置"
    assert any("标准3" in w and "30.0 米" in w for w in card.warnings)
    assert card.hits[0]["标准"] == "标准3 规划/生态红线"


def test_card_sanitary_and_water_evidence(tiny_run):
    card = ex.enterprise_card(tiny_run, key_of(tiny_run, "sanitary_hit"))
    std5 = card.standards.set_index("标准").loc["标准5 卫生防护距离"]
    assert std5["证据"] == "甲小学（学校）：距离 450 米，要求不小于 500 米（相差 50 米）"
    water = ex.enterprise_card(tiny_run, key_of(tiny_run, "water_first"))
    assert water.disposition == "close" and water.disposition_zh == "关闭取缔"
    assert "第六十五条" in water.standards.set_index("标准").loc["标准4 饮用水水源保护区", "法律依据"]
    clear = ex.enterprise_card(tiny_run, key_of(tiny_run, "sanitary_clear"))
    assert "最近敏感目标" in clear.standards.set_index("标准").loc["标准5 卫生防护距离", "证据"]
    assert clear.standards.set_index("标准").loc["标准9 沿江生态带", "证据"] == "检索范围内无相关区域"  # belt 2.45 km off
    outside = ex.enterprise_card(tiny_run, key_of(tiny_run, "eco_out_30m")).standards.set_index("标准")
    assert outside.loc["标准3 规划/生态红线", "证据"] == "区外，距最近区域边界 30 米"
    missing = ex.enterprise_card(tiny_run, key_of(tiny_run, "no_distance"))
    row5 = missing.standards.set_index("标准").loc["标准5 卫生防护距离"]
    assert row5["结果"] == "未评估" and "无卫生防护距离" in row5["证据"]


def test_card_facts_and_missing_location(run):
    card = ex.enterprise_card(run, run.keys.iloc[6])
    facts = dict(zip(card.facts["项目"], card.facts["内容"]))
    assert facts["位置（CGCS2000）"] == "无有效位置" and card.lonlat is None
    assert facts["行状态"] == "位置无效"
    assert len(card.standards) == len(R.STANDARDS)
    assert ex.enterprise_card(run, "nobody") is None
    html = ex.card_header_html(ex.enterprise_card(run, run.keys.iloc[2]))
    assert "=HYPERLINK(&quot;http" in html and "<script" not in html


def test_markdown_escape():
    assert ex.markdown_escape("a*b_[c](d) $x$ :red[y]") == r"a\*b\_\[c\]\(d\) \$x\$ \:red\[y\]"


# --------------------------------------------------------------------------- arguments and downloads

def test_app_args():
    args = ex.app_args(["--results", "out/demo", "--server.port", "1"])
    assert str(args.results) == "out/demo" and args.catalog is None
    assert ex.app_args([]) == ex.AppArgs()


def test_downloads_produce_readable_files(run, tmp_path):
    counties = ex.package_counties(run.result)
    assert counties and set(counties) <= set(run.options["counties"])
    items = {d.file_name: d for d in ex.downloads(run.result, county=counties[0])}
    assert set(items) == {"results.xlsx", "results.gpkg", "公示名单.xlsx", f"{counties[0]}.zip"}
    book = openpyxl.load_workbook(io.BytesIO(items["results.xlsx"].make()), read_only=True)
    assert "企业" in book.sheetnames
    gpkg = tmp_path / "r.gpkg"
    gpkg.write_bytes(items["results.gpkg"].make())
    assert set(pyogrio.list_layers(gpkg)[:, 0]) == {"enterprises", "hits"}
    assert pyogrio.read_info(gpkg, layer="enterprises")["features"] == len(run.enterprises)
    public = pd.read_excel(io.BytesIO(items["公示名单.xlsx"].make()), header=1)
    assert len(public) == len(run.result.flagged)
    with zipfile.ZipFile(io.BytesIO(items[f"{counties[0]}.zip"].make())) as zf:
        assert any(n.endswith(".shp") for n in zf.namelist())
