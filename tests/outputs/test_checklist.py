"""The on-site checklist (现场核查表) and its 待补充资料 sheet, read back from a county package of the demo."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import openpyxl
import pytest
import shapefile

from geo_screen import results as R
from geo_screen.outputs.checklist import CHECK_COLUMNS, DECISION_CHOICES, DECISION_COLUMNS, VERDICTS
from geo_screen.outputs.packages import package_bytes


@pytest.fixture(scope="module")
def checklist(demo_run):
    data = package_bytes(demo_run, value="通州区", formats=("xlsx",))
    return openpyxl.load_workbook(io.BytesIO(zipfile.ZipFile(io.BytesIO(data)).read("现场核查表.xlsx")))


def _rows(ws):
    header = [c.value for c in ws[2]]
    return header, [dict(zip(header, r)) for r in ws.iter_rows(min_row=3, values_only=True)]


def test_checklist_columns_coordinates_and_seed_numbering(checklist, demo_result, demo_run):
    assert checklist.sheetnames == ["现场核查表", "待补充资料"]
    ws = checklist["现场核查表"]
    assert ws["A1"].value.startswith("【示意数据，非官方】") and "北京时间" in ws["A1"].value
    assert ws.oddHeader.center.text.startswith("示意数据，非官方")
    header, rows = _rows(ws)
    at = header.index("核查结论")
    assert header[at : at + 5] == CHECK_COLUMNS == ["核查结论", "核查情况说明", "核查人", "日期", "企业确认（签字）"]
    assert header[at + 5 :] == [*DECISION_COLUMNS, "筛查批次"]
    assert DECISION_COLUMNS == ["决定处置", "决定文号", "发文单位", "整改期限", "更正经度", "更正纬度"]
    assert {r["筛查批次"] for r in rows} == {json.loads((demo_run / "run.json").read_text("utf-8"))["run_id"]}
    assert "初筛建议" in header and "处置方式" not in header
    assert {"经度（CGCS2000）", "纬度（CGCS2000）", "未评估标准及原因", "提示（近边界、数据问题）"} <= set(header)
    # demo row 1 sits on E (非建设用地), which the demo plan calls conditional: an issue to verify, not on the list
    assert demo_result.enterprises.iloc[0]["lon"] == pytest.approx(121.247157, abs=1e-6) != 121.251663
    assert "91320612502415011T" not in {r["统一社会信用代码"] for r in rows}
    first = next(r for r in rows if r["统一社会信用代码"] == "91320612782709208Y")  # demo row 12, in a red line
    ent = demo_result.enterprises.set_index("enterprise_id").loc["91320612782709208Y"]
    assert (first["经度（CGCS2000）"], first["纬度（CGCS2000）"]) == pytest.approx((ent["lon"], ent["lat"]), abs=1e-6)
    assert first["触及标准（附件2）"].startswith("第（三）项")
    land = r"第（三）项：规划用地类别 [RG]（[^）]+），非工业用地"
    assert any(re.search(land, r["证据"] or "") for r in rows)
    texts = " ".join(str(v) for r in rows for v in r.values() if v)
    assert "E（E）" not in texts and "=" not in texts and "near_edge" not in texts
    assert any("位置距区域边界很近" in (r["提示（近边界、数据问题）"] or "") for r in rows)
    assert any("登记表未填" in (r["未评估标准及原因"] or "") for r in rows)


def test_verdict_is_a_drop_down_of_fixed_choices(checklist):
    ws = checklist["现场核查表"]
    header, rows = _rows(ws)
    col = openpyxl.utils.get_column_letter(header.index("核查结论") + 1)
    rule, decided = ws.data_validations.dataValidation
    assert rule.type == "list" and rule.formula1 == '"' + ",".join(VERDICTS) + '"'
    assert str(rule.sqref) == f"{col}3:{col}{len(rows) + 2}"
    assert decided.formula1 == '"' + ",".join(DECISION_CHOICES) + '"' and "未评估" not in decided.formula1
    assert VERDICTS == ("属实", "不属实", "已整改到位", "整改不到位", "难以整治到位", "位置有误")


def test_not_assessed_enterprises_are_on_their_own_sheet(checklist, demo_result):
    header, rows = _rows(checklist["待补充资料"])
    ents = demo_result.enterprises
    expected = ents[(ents[R.COUNTY] == "通州区") & (ents[R.DISPOSITION] == R.NOT_ASSESSED_DISPOSITION)]
    assert len(rows) == len(expected) > 0
    assert {r["统一社会信用代码"] for r in rows} == set(expected[R.ENTERPRISE_ID])
    assert all(r["未评估标准及原因"] for r in rows)


def test_county_shapefile_lon_lat_are_the_screened_point_and_the_dictionary_names_the_input_system(
    demo_run, demo_result, tmp_path
):
    data = package_bytes(demo_run, value="通州区", formats=("shp",))
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    with shapefile.Reader(str(tmp_path / "通州区_点.shp"), encoding="utf-8") as r:
        # demo row 12 (row 1, on E, is no longer flagged: the demo plan calls E conditional)
        rec = next(dict(zip([f[0] for f in r.fields[1:]], rec)) for rec in r.records() if rec["INPUT_ROW"] == 12)
        point = next(s.points[0] for s, rec in zip(r.shapes(), r.records()) if rec["INPUT_ROW"] == 12)
    assert rec["LON"] == pytest.approx(121.088101, abs=1e-6) and point[0] == pytest.approx(rec["LON"], abs=1e-9)
    input_field = next(k for k, v in rec.items() if v == "121.092786")  # the registry's 经度, as given
    fields = {
        row["短字段名"]: row for row in csv.DictReader((tmp_path / "字段说明.csv").read_text("utf-8-sig").splitlines())
    }
    assert fields[input_field]["中文名称"] == "经度（输入，GCJ-02）" and "未去除偏移" in fields[input_field]["含义"]
    assert "已去除高德/百度偏移" in fields["LON"]["含义"]


def test_the_checklist_shows_the_grade_with_its_score_and_rank_and_a_disagreement(demo_result):
    """Standards 2 and 10 read the grade: the inspector sees it as the card does, and a registry grade that
    differs from the computed one is a note to check."""
    from geo_screen.outputs.checklist import checklist_frame

    ents = demo_result.enterprises.copy()
    first = ents.index[R.flagged_mask(ents)][0]
    ents[R.GRADE_SCORE] = None
    ents[R.GRADE_RANK] = None
    ents.loc[first, [R.GRADE, R.GRADE_SCORE, R.GRADE_RANK]] = ["C", 63.24, "412/530"]
    ents.loc[first, R.ISSUES] = "grade_disagrees:registry=C,computed=B"
    row = checklist_frame(ents, demo_result.hits).iloc[0]
    assert row["绩效等级"] == "C类，得分 63.2，县内排名 412/530"
    assert "绩效等级与测算不一致（登记表C类，按指标测算B类）" in row["提示（近边界、数据问题）"]
    without = checklist_frame(demo_result.enterprises.drop(columns=[R.GRADE]), demo_result.hits)
    assert "绩效等级" not in without.columns


def test_grade_text_is_grade_label_of_each_row():
    """Each distinct (grade, score, rank) is written once; every row reads as grade_label reads it."""
    import numpy as np
    import pandas as pd

    from geo_screen.outputs.checklist import _grade_text
    from geo_screen.vocabulary import grade_label

    ents = pd.DataFrame(
        {
            R.GRADE: ["C", "C", None, "A", "C", np.nan],
            R.GRADE_SCORE: [63.24, 63.24, 41.0, np.nan, -0.0, 0.0],
            R.GRADE_RANK: ["412/530", "412/530", None, None, "3/9", None],
        }
    )
    rows = zip(ents[R.GRADE], ents[R.GRADE_SCORE], ents[R.GRADE_RANK])
    assert list(_grade_text(ents)) == [grade_label(*values) for values in rows]
    assert list(_grade_text(ents.drop(columns=[R.GRADE_SCORE, R.GRADE_RANK]))) == ["C类", "C类", "", "A类", "C类", ""]
