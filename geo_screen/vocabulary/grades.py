"""How the performance evaluation reads: grade statuses, the grades table's headers and sheets, a grade."""

from __future__ import annotations

from geo_screen import results as R
from geo_screen.vocabulary.codes import Term
from geo_screen.vocabulary.columns import column_label

# --------------------------------------------------------------------------- the performance evaluation

#: how a row of the indicator table came out of the evaluation
GRADE_STATUSES: tuple[Term, ...] = (
    Term(R.GRADE_GRADED, "已评价", "graded"),
    Term(R.GRADE_EXEMPT, "T类（不参评）", "T class: not evaluated"),
    Term(R.GRADE_NOT_GRADED, "无法评价（数据问题）", "not graded: data problem"),
)
GRADE_STATUS_ZH: dict[str, str] = {t.code: t.zh for t in GRADE_STATUSES}

#: headers of the grades table's own columns (indicator names and units come from the method file)
GRADE_COLUMNS: tuple[Term, ...] = (
    Term("size_class", "企业规模（规上/规下）", "size class (above / below designated size)"),
    Term("start_date", "投产时间", "start of production"),
    Term("land_area_mu", "用地面积（亩）", "land area (mu)"),
    Term("tax", "税收（万元）", "tax paid (10k yuan)"),
    Term("sales", "销售收入（万元）", "sales (10k yuan)"),
    Term("value_added", "增加值（万元）", "value added (10k yuan)"),
    Term("energy_tce", "综合能耗（吨标准煤）", "energy use (t of standard coal)"),
    Term("pollutant_eq", "主要污染物排放当量", "main pollutant equivalents"),
    Term("rd_spend", "研发经费（万元）", "R&D spend (10k yuan)"),
    Term("staff", "从业人员（人）", "staff"),
    Term("major_accident", "重大安全事故", "major safety accident"),
    Term("high_tech", "高新技术企业", "high-tech enterprise"),
    Term(R.GRADE_GROUP, "评价组", "evaluation group"),
    Term(R.GRADE_BASE, "指标得分合计", "sum of indicator scores"),
    Term(R.GRADE_ADJUSTMENT, "加减分", "bonus minus penalty"),
    Term(R.GRADE_STATUS, "评价状态", "evaluation status"),
    Term(R.GRADE_REASON, "说明（T类、直接定D、无法评价的原因）", "reason for T class, straight to D or not graded"),
)
GRADE_COLUMN_ZH: dict[str, str] = {t.code: t.zh for t in GRADE_COLUMNS}
#: the method's groups
GRADE_GROUP_ZH = {"above": "规模以上", "below": "规模以下", "all": "全部企业"}
#: headers of the benchmarks sheet of grades.xlsx
BENCHMARK_COLUMN_ZH = {
    "indicator": "指标代码",
    "name": "指标",
    "enterprises": "参评企业数",
    "mean": "县内平均值",
    "benchmark": "基准值",
}
#: labels of the method sheet of grades.xlsx: the method's name, document, source, note, date, data, warnings
METHOD_LABELS = ("评价办法", "依据", "来源", "说明", "评价基准日", "数据", "警告")


def indicator_headers(name: str, unit: str, weights: list[float]) -> tuple[str, str]:
    """Headers of an indicator's value and score columns: ``亩均税收（万元/亩）``, ``亩均税收得分（权重45/100）``
    (one weight per group of the method that uses it)."""
    return (f"{name}（{unit}）" if unit else name), f"{name}得分（权重{'/'.join(f'{w:g}' for w in weights)}）"


#: sheet names of grades.xlsx
GRADES_SHEET, BENCHMARKS_SHEET, GRADE_COUNTS_SHEET, METHOD_SHEET = "绩效评价", "基准值", "分类统计", "评价办法"


def grade_label(grade: object, score: object = None, rank: object = None) -> str:
    """How a grade reads on the card and in lists: ``C类，得分 63.2，县内排名 412/530``; parts missing are left out.

    Examples
    --------
    >>> grade_label("C", 63.24, "412/530"), grade_label("A"), grade_label(None, 41.0)
    ('C类，得分 63.2，县内排名 412/530', 'A类', '得分 41.0')
    """

    def given(value: object) -> bool:  # None, NaN and pandas' NA are all "not given"
        return str(value).strip() not in ("", "None", "<NA>", "nan", "NaN")

    parts = [f"{grade}类"] if given(grade) else []
    if given(score):
        parts.append(f"得分 {float(score):.1f}")
    if given(rank):
        parts.append(f"{column_label(R.GRADE_RANK)} {rank}")
    return "，".join(parts)
