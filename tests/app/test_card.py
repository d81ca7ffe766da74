"""The enterprise card: each standard's evidence in words, facts, warnings near zone edges, safe header and markdown."""

from __future__ import annotations

import pytest
from results_factory import make_result

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import card as cd
from geo_screen.app import state as ex
from geo_screen.vocabulary import column_label, standard_label


@pytest.fixture(scope="module")
def tiny_run(tiny_pack):
    from conftest import registry_frame

    path = tiny_pack.parent / "registry_card.csv"
    registry_frame().to_csv(path, index=False)
    return ex.prepare(gs.screen(path, gs.load_catalog(tiny_pack), crs="EPSG:4326"))


@pytest.fixture(scope="module")
def run():
    return ex.prepare(make_result(60, seed=7))


def key_of(run: ex.Run, name: str) -> str:
    ents = run.enterprises
    return run.keys[ents[R.NAME] == name].iloc[0]


def test_card_zone_evidence_and_near_edge(tiny_run):
    card = cd.enterprise_card(tiny_run, key_of(tiny_run, "eco_in_30m"))
    std3 = card.standards.set_index("标准").loc["标准3 规划/生态红线"]
    assert std3["结果"] == "触及"
    assert (
        std3["证据"] == "甲森林公园（一级管控区）：位于区内，距区域边界 30 米；一级管控区：严禁一切形式的开发建设活动"
    )
    assert "生态红线" in std3["法律依据"] and std3["处置"] == "依法处置"
    assert any("标准3" in w and "30.0 米" in w for w in card.warnings)
    assert card.hits[0]["标准"] == "标准3 规划/生态红线"


def test_card_sanitary_and_water_evidence(tiny_run):
    card = cd.enterprise_card(tiny_run, key_of(tiny_run, "sanitary_hit"))
    std5 = card.standards.set_index("标准").loc["标准5 卫生防护距离"]
    assert std5["证据"] == "甲小学（学校）：距离 450 米，要求不小于 500 米（相差 50 米）"
    water = cd.enterprise_card(tiny_run, key_of(tiny_run, "water_first"))
    assert water.disposition == "close" and water.disposition_zh == "关闭取缔"
    assert "第六十五条" in water.standards.set_index("标准").loc["标准4 饮用水水源保护区", "法律依据"]
    clear = cd.enterprise_card(tiny_run, key_of(tiny_run, "sanitary_clear"))
    assert "最近敏感目标" in clear.standards.set_index("标准").loc["标准5 卫生防护距离", "证据"]
    assert (
        clear.standards.set_index("标准").loc["标准9 沿江生态带", "证据"] == "检索范围内无相关区域"
    )  # belt 2.45 km off
    outside = cd.enterprise_card(tiny_run, key_of(tiny_run, "eco_out_30m")).standards.set_index("标准")
    assert outside.loc["标准3 规划/生态红线", "证据"] == "区外，距最近区域边界 30 米"
    missing = cd.enterprise_card(tiny_run, key_of(tiny_run, "no_distance"))
    row5 = missing.standards.set_index("标准").loc["标准5 卫生防护距离"]
    assert row5["结果"] == "未评估" and "无卫生防护距离" in row5["证据"]


def test_card_facts_and_missing_location(run):
    card = cd.enterprise_card(run, run.keys.iloc[6])
    facts = dict(zip(card.facts["项目"], card.facts["内容"]))
    assert facts["位置（CGCS2000）"] == "无有效位置" and card.lonlat is None
    assert facts["行状态"] == "位置无效"
    assert len(card.standards) == len(R.STANDARDS)
    assert cd.enterprise_card(run, "nobody") is None
    html = cd.card_header_html(cd.enterprise_card(run, run.keys.iloc[2]))
    assert "=HYPERLINK(&quot;http" in html and "<script" not in html


def test_markdown_escape():
    assert cd.markdown_escape("a*b_[c](d) $x$ :red[y]") == r"a\*b\_\[c\]\(d\) \$x\$ \:red\[y\]"


def test_card_shows_the_grade_with_its_score_and_county_rank(tiny_pack):
    from conftest import registry_frame, usc

    path = tiny_pack.parent / "registry_card_graded.csv"
    registry_frame().to_csv(path, index=False)
    grades = {R.ENTERPRISE_ID: [usc(0)], R.GRADE: ["C"], R.GRADE_SCORE: [63.24], R.GRADE_RANK: ["412/530"]}
    import pandas as pd

    graded = ex.prepare(gs.screen(path, gs.load_catalog(tiny_pack), grades=pd.DataFrame(grades)))
    facts = cd.enterprise_card(graded, key_of(graded, "clear")).facts.set_index("项目")["内容"]
    assert facts["绩效等级"] == "B类，得分 63.2，县内排名 412/530"  # the registry's B wins over the computed C
    plain = ex.prepare(gs.screen(path, gs.load_catalog(tiny_pack)))
    assert cd.enterprise_card(plain, key_of(plain, "clear")).facts.set_index("项目")["内容"]["绩效等级"] == "B类"


def test_not_assessed_card_says_why_at_the_top(tiny_run, run):
    card = cd.enterprise_card(tiny_run, key_of(tiny_run, "no_distance"))
    assert card.reasons and card.reasons[0].startswith("标准5 卫生防护距离：")
    assert "卫生防护距离" in card.reasons[0].split("：", 1)[1]
    ents = run.enterprises
    unassessed = ents[R.NOT_ASSESSED_COL].fillna("").map(lambda v: "8" in R.standard_keys(v))
    missing = ents[unassessed & ents["long_shutdown"].isna()]
    assert len(missing)
    card = cd.enterprise_card(run, run.keys.loc[missing.index[0]])
    (why,) = [r for r in card.reasons if r.startswith("标准8 ")]
    assert f"缺少「{column_label('long_shutdown')}」" in why
    row1 = card.standards.set_index("标准").loc[standard_label("8", form="short")]
    assert row1["结果"] == "未评估" and row1["证据"] == why.split("：", 1)[1]


def test_not_assessed_reason_without_a_location(run):
    ents = run.enterprises
    lost = ents[ents[R.ROW_STATUS] == R.STATUS_INVALID]
    card = cd.enterprise_card(run, run.keys.loc[lost.index[0]])
    assert any(r.startswith("标准3 ") and "无有效位置" in r for r in card.reasons)


def test_clear_card_has_no_reasons(tiny_run):
    assert cd.enterprise_card(tiny_run, key_of(tiny_run, "clear")).reasons == []
