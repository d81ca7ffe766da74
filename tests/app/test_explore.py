"""Page logic without Streamlit: filters, search, URL state, counts and tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from results_factory import make_result

from geo_screen import results as R
from geo_screen.app import state as ex
from geo_screen.vocabulary import DISPOSITION_ZH, MISSING_ZH


@pytest.fixture(scope="module")
def run():
    return ex.prepare(make_result(60, seed=7))


# --------------------------------------------------------------------------- filters


def test_options_and_unknown_county(run):
    assert "港闸/旧区" in run.options["counties"] and run.options["counties"][-1] == MISSING_ZH
    assert run.options["standards"] == list(R.STANDARDS)
    assert set(run.options["dispositions"]) == set(run.enterprises[R.DISPOSITION])


def test_column_options_strip_blanks_to_unknown_listed_last():
    frame = pd.DataFrame({R.COUNTY: [" 通州区", "", None, "崇川区", "通州区 ", "  "]})
    assert ex.column_options(frame, R.COUNTY) == ["崇川区", "通州区", MISSING_ZH]
    assert ex.column_options(frame, R.INDUSTRY) == [MISSING_ZH]  # a missing column is all unknown
    assert ex.column_options(frame.iloc[:0], R.COUNTY) == []


def test_each_filter_narrows_to_exactly_its_rows(run):
    ents = run.enterprises
    county = ex.apply_filters(run, ex.Filters(counties=("崇川区", MISSING_ZH)))
    assert set(county[R.COUNTY].fillna(MISSING_ZH)) == {"崇川区", MISSING_ZH}
    assert len(county) == ents[R.COUNTY].fillna(MISSING_ZH).isin(["崇川区", MISSING_ZH]).sum()
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
@given(
    a=st.sets(st.sampled_from(R.STANDARDS), min_size=1, max_size=4),
    b=st.sets(st.sampled_from(R.STANDARDS), min_size=1, max_size=4),
    disp=st.sets(st.sampled_from(list(DISPOSITION_ZH)), max_size=3),
)
def test_filters_are_unions_within_and_intersections_across(run, a, b, disp):
    mask = lambda **kw: ex.filter_mask(run, ex.Filters(**kw))  # noqa: E731
    assert np.array_equal(mask(standards=tuple(a | b)), mask(standards=tuple(a)) | mask(standards=tuple(b)))
    both = mask(standards=tuple(a), dispositions=tuple(disp))
    assert np.array_equal(both, mask(standards=tuple(a)) & mask(dispositions=tuple(disp)))


# --------------------------------------------------------------------------- URL state


def test_query_round_trip_and_unknown_values_dropped(run):
    filters = ex.Filters(
        counties=("通州区", "港闸/旧区"), standards=("3", "scattered"), dispositions=("close",), search="化工"
    )
    query = ex.query_from_state(filters, selected="第3行", basemap="amap")
    assert query == {
        "county": ["通州区", "港闸/旧区"],
        "std": ["3", "scattered"],
        "disp": ["close"],
        "q": "化工",
        "sel": "第3行",
        "basemap": "amap",
    }
    assert ex.filters_from_query(query, run) == filters
    link = {"county": "通州区,火星区", "disp": ["关闭取缔", "nonsense"], "std": "99", "status": "ok"}
    assert ex.filters_from_query(link, run) == ex.Filters(
        counties=("通州区",), dispositions=("close",), row_statuses=("ok",)
    )
    assert ex.query_from_state(ex.Filters()) == {}
    assert list(ex.query_from_state(ex.Filters(search="x"), run_id="20260101-000000-abcdef")) == ["run", "q"]
    assert ex.run_from_query({"run": ["20260101-000000-abcdef"]}) == "20260101-000000-abcdef"
    assert ex.run_from_query({}) is None


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
    assert counts["企业数"].sum() == len(ents) and list(counts["code"]) == list(DISPOSITION_ZH)
    summary = ex.summary_counts(ents)
    assert summary["flagged"] == len(run.result.flagged) and summary["no_location"] == 1
    by_county = ex.county_counts(ents)
    assert by_county.to_numpy().sum() == summary["flagged"]
    assert len(ex.county_colours(by_county)) == len(by_county.columns)
    spec = ex.disposition_chart_spec(counts)
    assert spec["encoding"]["color"]["scale"]["range"][0] == "#800026"  # the darkest of the severity ramp


def test_results_table_headers_and_keys(run):
    shown = ex.apply_filters(run, ex.Filters(counties=("通州区",)))
    table = ex.results_table(run, shown)
    assert list(table.columns)[:3] == ["编号", "企业名称", "县（市、区）"]
    assert table["编号"].tolist() == run.keys.loc[shown.index].tolist()
    assert table["处置方式"].isin(DISPOSITION_ZH.values()).all()


def test_source_caption_is_stamped_for_an_illustrative_pack_and_gives_beijing_time(demo_result, run):
    """The demo pack marks its layers illustrative: the map's caption says so first; times are Beijing time."""
    caption = ex.source_caption(demo_result)
    assert caption.startswith("【示意数据，非官方】") and "（北京时间）" in caption
    plain = ex.source_caption(run.result)  # the tiny test pack marks nothing illustrative
    assert "示意数据" not in plain
