"""geo-screen grade and screen --grades end to end: the files, the printed counts, exit 2 with one message."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from conftest import registry_frame, usc

import geo_screen as gs
from geo_screen import results as R
from geo_screen.cli import main
from tests.grading.cases import HEADERS, ROWS


@pytest.fixture(scope="module")
def indicators(tmp_path_factory):
    path = tmp_path_factory.mktemp("grade") / "指标.csv"
    rows = [[str(v) for v in row] for row in ROWS]
    frame = pd.DataFrame(rows, columns=HEADERS).assign(企业规模="规上", 综合能耗="10")
    frame["统一社会信用代码"] = [usc(i) for i in range(len(frame) - 1)] + [usc(99)]  # ids the registry knows
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_grade_writes_the_workbook_and_the_csv(indicators, tmp_path, capsys):
    assert main(["grade", str(indicators), "--out", str(tmp_path), "-q"]) == 0
    assert "绩效评价分类 × 县区" in capsys.readouterr().out
    book = openpyxl.load_workbook(tmp_path / R.GRADES_XLSX, read_only=True)
    assert book.sheetnames == ["绩效评价", "分类统计", "基准值", "评价办法"]
    header = [c.value for c in next(book["绩效评价"].iter_rows(max_row=1))]
    assert {
        "统一社会信用代码",
        "亩均税收（万元/亩）",
        "亩均税收得分（权重45/100）",
        "绩效得分",
        "县内排名",
        "绩效等级",
    } <= set(header)
    csv = pd.read_csv(tmp_path / R.GRADES_CSV, dtype=str, encoding="utf-8-sig")
    assert list(csv.columns[:3]) == [R.ENTERPRISE_ID, R.COUNTY, R.GRADE] and len(csv) == len(ROWS)  # no names given


def test_screen_with_the_grades_csv(indicators, tiny_pack, tmp_path, capsys):
    registry = tmp_path / "reg.csv"
    frame = registry_frame()
    frame.loc[0, "绩效等级"] = ""
    frame.to_csv(registry, index=False)
    main(["grade", str(indicators), "--out", str(tmp_path / "g"), "-q"])
    args = ["screen", str(registry), "--layers", str(tiny_pack), "--out", str(tmp_path / "o"), "-q"]
    assert main([*args, "--grades", str(tmp_path / "g" / R.GRADES_CSV)]) == 0
    err = capsys.readouterr().err
    assert "differs from the computed one; the registry's grade is used" in err
    e = gs.read_results(tmp_path / "o").enterprises
    assert e.loc[0, R.GRADE] == "A" and e.loc[0, R.GRADE_RANK] == "1/5" and e.loc[0, R.GRADE_SCORE] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grade", "nope.csv"], "nope.csv"),
        (["grade", "{indicators}", "--method", "nope.yaml"], "does not exist; pass an existing YAML as --method "),
        (["grade", "{bad}"], "the method needs columns the table does not have: land_area_mu"),
    ],
)
def test_bad_input_exits_2_with_one_message(args, message, indicators, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("统一社会信用代码,县区,税收\nA1,甲,3\n", "utf-8")
    argv = [a.format(indicators=indicators, bad=bad) for a in args] + ["--out", str(tmp_path / "o"), "-q"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("geo-screen: error:") == 1 and message in err and "Traceback" not in err
