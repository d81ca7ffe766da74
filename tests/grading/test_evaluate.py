"""The evaluation's arithmetic on a hand-computed table, its bad-data reasons, and its metamorphic properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_screen import results as R
from geo_screen.errors import InputDataError
from geo_screen.grading.evaluate import grade_enterprises
from geo_screen.grading.method import Method, load_method
from tests.grading.cases import HEADERS, ROWS, method_dict


@pytest.fixture
def method() -> Method:
    return Method.model_validate(method_dict())


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame([[str(v) for v in row] for row in ROWS], columns=HEADERS)


def by_id(grades) -> pd.DataFrame:
    return grades.table.drop_duplicates(R.ENTERPRISE_ID, keep=False).set_index(R.ENTERPRISE_ID)


def test_scores_ranks_and_classes_by_hand(table, method):
    t = by_id(grade_enterprises(table, method=method))
    assert t.loc[["E1", "E2", "E3", "E4", "E5"], "tax_per_mu_score"].tolist() == [120, 60, 30, 30, 6]
    assert t.loc[["E1", "E2", "E3", "E4", "E5"], "sales_per_mu_score"].tolist() == [40, 24, 16, 16, 8]
    assert t.loc[["E1", "E2", "E3", "E4", "E5"], R.GRADE_SCORE].tolist() == [160, 84, 46, 46, 19]
    assert t.loc["E5", R.GRADE_ADJUSTMENT] == 5 and t.loc["E5", R.GRADE_BASE] == 14
    assert t.loc[["E1", "E2", "E3", "E4", "E5"], R.GRADE_RANK].tolist() == ["1/5", "2/5", "3/5", "3/5", "5/5"]
    # E3 and E4 tie across the B/C cut-off (positions 3 and 4 of 5; B reaches 60 % = position 3): both B
    assert t.loc[["E1", "E2", "E3", "E4", "E5"], R.GRADE].tolist() == ["A", "B", "B", "B", "D"]


def test_benchmarks_are_per_county_and_leave_out_rows_not_graded(table, method):
    grades = grade_enterprises(table, method=method)
    bench = grades.benchmarks.set_index([R.COUNTY, "indicator"])
    # 甲县 sales per mu of E1-E5 and E7 (to D, but evaluated): 100, 60, 40, 40, 20, 40 -> mean 50, x2
    assert bench.loc[("甲县", "sales_per_mu"), ["enterprises", "mean", "benchmark"]].tolist() == [6, 50, 100]
    assert bench.loc[("乙县", "sales_per_mu"), ["mean", "benchmark"]].tolist() == [20, 40]
    assert bench.loc[("甲县", "tax_per_mu"), "benchmark"] == 10  # fixed


def test_ranking_is_within_the_county_not_citywide(table, method):
    t = by_id(grade_enterprises(table, method=method))
    # F2 scores 36, below every ranked 甲县 enterprise but E5, yet ranks first of its two in 乙县
    assert t.loc[["F2", "F1"], R.GRADE_SCORE].tolist() == [36, 22]
    assert t.loc[["F2", "F1"], R.GRADE_RANK].tolist() == ["1/2", "2/2"]
    assert t.loc[["F2", "F1"], R.GRADE].tolist() == ["B", "D"]


def test_t_class_and_straight_to_d(table, method):
    t = by_id(grade_enterprises(table, method=method))
    assert t.loc[["E6", "E8"], R.GRADE_STATUS].tolist() == [R.GRADE_EXEMPT] * 2
    assert t.loc[["E6", "E8"], R.GRADE].isna().all() and t.loc[["E6", "E8"], R.GRADE_SCORE].isna().all()
    assert t.loc["E6", R.GRADE_REASON] == "utility: 公用事业" and t.loc["E8", R.GRADE_REASON].startswith("new_plant")
    e7 = t.loc["E7"]
    assert (e7[R.GRADE], e7[R.GRADE_STATUS], e7[R.GRADE_SCORE]) == ("D", R.GRADE_GRADED, 136)
    assert pd.isna(e7[R.GRADE_RANK]) and e7[R.GRADE_REASON] == "serious_violation: 严重环境违法"


def test_each_bad_row_gets_a_reason_and_no_grade(table, method):
    grades = grade_enterprises(table, method=method)
    t = grades.table.set_index(R.INPUT_ROW)
    reasons = {
        9: "land_area_mu_not_positive:0",
        10: "tax_negative:-5",
        11: "county_missing",
        12: "duplicate_enterprise_id:rows 12,13",
        13: "duplicate_enterprise_id:rows 12,13",
    }
    for row, reason in reasons.items():
        assert t.loc[row, R.GRADE_STATUS] == R.GRADE_NOT_GRADED and t.loc[row, R.GRADE_REASON] == reason, row
        assert pd.isna(t.loc[row, R.GRADE]) and pd.isna(t.loc[row, R.GRADE_SCORE])
    assert len(grades.table) == len(table) and grades.table[R.INPUT_ROW].tolist() == list(range(1, 16))


def test_missing_and_unparsed_inputs_are_named(table, method):
    table.loc[0, "税收（万元）"] = ""
    table.loc[1, "销售收入"] = "很多"
    table.loc[2, "投产时间"] = ""
    t = grade_enterprises(table, method=method).table
    assert t.loc[:2, R.GRADE_REASON].tolist() == [
        "tax_missing",
        "sales_unparsed:很多",
        "start_date_missing (T-class rule new_plant)",
    ]
    assert (t.loc[:2, R.GRADE_STATUS] == R.GRADE_NOT_GRADED).all()


def test_a_column_the_method_reads_must_exist(table, method):
    with pytest.raises(InputDataError, match=r"needs columns the table does not have: sales .*销售收入"):
        grade_enterprises(table.drop(columns="销售收入"), method=method)


def test_a_missing_flag_column_is_warned_not_ignored(table, method):
    grades = grade_enterprises(table.drop(columns="严重环境违法"), method=method)
    assert any("serious_violation" in w and "not applied" in w for w in grades.warnings)
    assert by_id(grades).loc["E7", R.GRADE_RANK] == "2/6"  # ranked on its 136 points, behind E1


def test_division_by_zero_scores_the_cap_or_is_named(table, method):
    data = method_dict()
    data["groups"]["all"]["indicators"][0]["formula"] = "tax / (land_area_mu - 10)"  # 0 for everyone
    capped = by_id(grade_enterprises(table, method=Method.model_validate(data)))
    assert capped.loc["E1", "tax_per_mu_score"] == 120  # x/0 -> the cap
    del data["groups"]["all"]["indicators"][0]["cap"]
    uncapped = by_id(grade_enterprises(table, method=Method.model_validate(data)))
    assert uncapped.loc["E1", R.GRADE_REASON] == "tax_per_mu_division_by_zero"


def test_class_counts_per_county(table, method):
    counts = grade_enterprises(table, method=method).counts()
    assert counts.loc["甲县", ["A", "B", "C", "D", "T", "not_graded"]].tolist() == [1, 3, 0, 2, 2, 2]
    assert counts.loc["合计"].sum() == len(table)


def test_the_default_method_grades_size_groups_apart(table):
    table["企业规模"] = ["规上"] * 5 + ["规下"] * 10
    t = by_id(grade_enterprises(table.assign(综合能耗=["10"] * 15), method=load_method()))
    assert set(t.loc[["E1", "E2", "E3", "E4", "E5"], R.GRADE_RANK].str.split("/").str[1]) == {"5"}
    assert t.loc["F1", R.GRADE_GROUP] == "below" and "tax_per_mu_score" in t and pd.isna(t.loc["F1", "sales_per_mu"])


# --------------------------------------------------------------------------- properties

_COUNTIES = ("甲县", "乙县")


@st.composite
def tables(draw):
    n = draw(st.integers(3, 25))
    money = st.floats(0, 1000, allow_nan=False).map(lambda v: round(v, 1))
    rows = [
        (
            f"X{i}",
            draw(st.sampled_from(_COUNTIES)),
            "机械",
            str(draw(st.floats(1, 100).map(lambda v: round(v, 1)))),
            str(draw(money)),
            str(draw(money)),
            "2010-01-01",
            draw(st.sampled_from(["否", "否", "是"])),
            draw(st.sampled_from(["否", "是"])),
        )
        for i in range(n)
    ]
    return pd.DataFrame(rows, columns=HEADERS)


_ORDER = {g: i for i, g in enumerate(R.GRADE_LETTERS)}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables(), st.data())
def test_raising_one_enterprises_tax_never_lowers_its_class(method, data, draw):
    row = draw.draw(st.integers(0, len(data) - 1))
    before = grade_enterprises(data, method=method).table
    richer = data.copy()
    richer.loc[row, "税收（万元）"] = str(float(data.loc[row, "税收（万元）"]) * draw.draw(st.floats(1, 5)) + 1)
    after = grade_enterprises(richer, method=method).table
    assert _ORDER[after.loc[row, R.GRADE]] <= _ORDER[before.loc[row, R.GRADE]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables(), st.randoms(use_true_random=False))
def test_shuffling_rows_changes_nothing(method, data, random):
    order = list(range(len(data)))
    random.shuffle(order)
    keep = [R.ENTERPRISE_ID, R.GRADE_SCORE, R.GRADE_RANK, R.GRADE, R.GRADE_STATUS, R.GRADE_REASON]
    plain = grade_enterprises(data, method=method).table[keep].set_index(R.ENTERPRISE_ID).sort_index()
    shuffled = grade_enterprises(data.iloc[order].reset_index(drop=True), method=method).table
    pd.testing.assert_frame_equal(shuffled[keep].set_index(R.ENTERPRISE_ID).sort_index(), plain)


def test_every_row_gets_exactly_one_status(table, method):
    t = grade_enterprises(table, method=method).table
    assert t[R.GRADE_STATUS].isin(R.GRADE_STATUSES).all()
    assert (t[R.GRADE].notna() == (t[R.GRADE_STATUS] == R.GRADE_GRADED)).all()
    assert np.isfinite(t.loc[t[R.GRADE].notna(), R.GRADE_SCORE]).all()


def test_an_edited_copy_of_the_method_switches_t_class_and_straight_to_d_off(table, tmp_path):
    import yaml

    data = method_dict()
    data["exempt"], data["adjustments"] = [], []
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    t = by_id(grade_enterprises(table, method=str(path)))
    assert t.loc[["E6", "E7", "E8"], R.GRADE_STATUS].tolist() == [R.GRADE_GRADED] * 3
    assert t.loc["E7", R.GRADE_RANK] == "2/8" and t.loc["E5", R.GRADE_ADJUSTMENT] == 0
