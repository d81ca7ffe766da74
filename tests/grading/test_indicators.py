"""Reading the indicator table: Chinese headers, numbers, yes/no, size classes and dates as the registry reads them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_screen.errors import InputDataError
from geo_screen.grading.indicators import read_indicators


def test_chinese_headers_and_values(tmp_path):
    path = tmp_path / "指标.csv"
    pd.DataFrame(
        {
            "统一社会信用代码": ["91320612502415011t", "91320613573944113N"],
            "县（市、区）": ["通州区", "崇川区"],
            "用地面积(亩)": ["12.5", "１,２００"],
            "实缴税金（万元）": ["30", "-1"],
            "是否规上": ["是", "规下"],
            "投产时间": ["2016年5月", "2019/12/1"],
            "高新技术企业": ["√", "待核实"],
            "备注": ["x", "y"],
        }
    ).to_csv(path, index=False, encoding="gbk")
    t = read_indicators(path)
    assert t["enterprise_id"].tolist() == ["91320612502415011T", "91320613573944113N"]
    assert t["land_area_mu"].tolist() == [12.5, 1200.0] and t["tax"].tolist() == [30.0, -1.0]
    assert t["size_class"].tolist() == ["above", "below"]
    assert t["start_date"].to_numpy(dtype="datetime64[D]").tolist() == [
        np.datetime64("2016-05-01").item(),
        np.datetime64("2019-12-01").item(),
    ]
    assert t["high_tech"].tolist() == [True, pd.NA] and t["input_row"].tolist() == [1, 2]


def test_unparsed_values_become_issues(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("uscc,county,tax,size_class,start_date\nA1,甲,abc,medium,someday\n", "utf-8")
    t = read_indicators(path)
    assert t.loc[0, "issues"] == "size_class_unparsed:medium;start_date_unparsed:someday;tax_unparsed:abc"


def test_a_table_without_county_or_id_is_one_message(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("uscc,tax\nA1,3\n", "utf-8")
    with pytest.raises(
        InputDataError, match=r"no county column .*add one named as accepted \(county: county, 县（市、区）"
    ):
        read_indicators(path)
