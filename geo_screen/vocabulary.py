"""The words geo_screen writes: the Chinese (and English) label of every code and column, in one place.

Codes and column names are the results contract (:mod:`geo_screen.results`); this module says how they
read. Changing a label here changes it in every output: the workbooks, the county packages and their
field dictionary (字段说明.csv), the city's lists, the map and the command line.

Which words come from where
---------------------------
* **The rules file** (``geo_screen/screening/rulesets/*.yaml``, read by :mod:`geo_screen.screening.rules`)
  owns the regulation's own text: each standard's ``title`` (the wording of Annex 2, shown on the map's
  enterprise card), the rule set's ``name`` and ``document``, and every ``legal_basis``. A county editing a
  copy of the rules changes those without touching code, so nothing here repeats them.
* **This module** owns the display words: standard labels (``标准3``), their list topics and short labels,
  disposition labels (``关闭取缔``), standard results, row statuses, zone classes, the Chinese column headers,
  the DBF short field names and their meanings, the city's report lists and the missing-value label.
* Words *read* from input files stay with their readers: the registry's header aliases in
  :mod:`geo_screen.inputs.registry` and the zone spellings of layer files in
  :data:`geo_screen.pack.model.ZONE_VOCABULARIES`.

Examples
--------
>>> standard_label("3"), standard_label("3", form="topic"), standard_label("3", form="short")
('标准3', '标准3（不符合规划/生态红线）', '标准3 规划/生态红线')
>>> disposition_label("close"), DISPOSITIONS[0].en
('关闭取缔', 'close down')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from geo_screen import results as R

#: what a missing county (or industry, or any group value) reads as in lists, tables, charts and file names
MISSING_ZH = "未知"


@dataclass(frozen=True)
class Term:
    """One code's Chinese and English labels (dispositions, standard results, row statuses)."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Standard:
    """How one standard reads: its topic in lists (现场核查表, 公示名单), its short label on the map, its DBF name.

    The regulation's full wording of the standard is the rules file's ``title``, not here.
    """

    key: str
    topic: str  #: e.g. 不符合规划/生态红线 (lists, after the number)
    short: str  #: e.g. 规划/生态红线 (map filters, charts, the card)
    en: str
    dbf: str  #: DBF field name of its result column (at most 10 bytes)

    @property
    def zh(self) -> str:
        """``标准3``; the two extra rules, which have no number, by their topic."""
        return f"标准{self.key}" if self.key.isdigit() else self.topic


@dataclass(frozen=True)
class Zone:
    """The display label of a zone class of a layer kind (e.g. first-class water source protection zone)."""

    kind: str
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Column:
    """One results column: Chinese header, DBF short name and meaning (the packages' 字段说明.csv)."""

    column: str
    zh: str
    dbf: str
    meaning: str


@dataclass(frozen=True)
class CityList:
    """One enterprise list of the city's summary workbook (汇总.xlsx): sheet name, dispositions, what it answers."""

    sheet: str
    dispositions: tuple[str, ...]
    asks: str  #: the item of 通政办发〔2017〕179号 the list answers


# --------------------------------------------------------------------------- standards

#: the ten standards of Annex 2 and the two extra rules, in :data:`geo_screen.results.STANDARDS` order
STANDARDS: tuple[Standard, ...] = (
    Standard("1", "淘汰类装备/产品", "淘汰类装备", "obsolete equipment or products", "STD01"),
    Standard("2", "法定手续不全", "法定手续", "statutory procedures incomplete", "STD02"),
    Standard("3", "不符合规划/生态红线", "规划/生态红线", "land-use plan or ecological red line", "STD03"),
    Standard("4", "饮用水水源保护区", "饮用水水源保护区", "drinking-water source protection zone", "STD04"),
    Standard("5", "卫生防护距离内有敏感目标", "卫生防护距离", "sensitive target within sanitary distance", "STD05"),
    Standard("6", "排放或能耗不达标", "排放/能耗", "emissions or energy use over limits", "STD06"),
    Standard("7", "重大安全隐患", "重大安全隐患", "major safety hazard", "STD07"),
    Standard("8", "长期停车", "长期停车", "long shutdown", "STD08"),
    Standard("9", "沿江生态带重点区域", "沿江生态带", "Yangtze riverside belt key area", "STD09"),
    Standard("10", "绩效评价D档", "绩效D档", "performance grade D", "STD10"),
    Standard("scattered", "散乱污整改不到位", "散乱污", "scattered-polluting, not rectified", "STD_SCAT"),
    Standard("violation", "严重环境违法", "严重环境违法", "serious environmental violation", "STD_VIOL"),
)
_STANDARD = {s.key: s for s in STANDARDS}

StandardForm = Literal["label", "topic", "short"]


def standard_label(key: str, *, form: StandardForm = "label") -> str:
    """How a standard key reads.

    Parameters
    ----------
    key
        ``"1"`` ... ``"10"``, ``"scattered"`` or ``"violation"``; an unknown key reads as ``标准<key>``
        when numeric, else as itself.
    form
        ``"label"``: ``标准3``, the extra rules by topic (``散乱污整改不到位``) -- column headers, counts, groups;
        ``"topic"``: ``标准3（不符合规划/生态红线）`` -- the 触及标准 column of the lists;
        ``"short"``: ``标准3 规划/生态红线``, the extra rules by short label (``散乱污``) -- the map.

    Returns
    -------
    str
        The label.
    """
    std = _STANDARD.get(key)
    if std is None:
        return f"标准{key}" if key.isdigit() else key
    if form == "short":
        return f"{std.zh} {std.short}" if key.isdigit() else std.short
    if form == "topic" and key.isdigit():
        return f"{std.zh}（{std.topic}）"
    return std.zh


# --------------------------------------------------------------------------- dispositions, results, statuses

#: disposition codes with their labels, most severe first (the order of results.DISPOSITION_CODES)
DISPOSITIONS: tuple[Term, ...] = (
    Term("close", "关闭取缔", "close down"),
    Term("relocate", "搬迁", "relocate"),
    Term("demolish", "拆除", "demolish"),
    Term("eliminate", "淘汰", "eliminate"),
    Term("stop", "停产", "stop production"),
    Term("per_law", "依法处置", "dispose of according to law"),
    Term("transform", "转型", "transform"),
    Term("rectify", "限期整改/补办手续", "rectify within a deadline / complete procedures"),
    Term(R.NO_DISPOSITION, "无", "none"),
    Term(R.NOT_ASSESSED_DISPOSITION, "未评估", "not assessed"),
)
#: disposition code -> Chinese label, most severe first
DISPOSITION_ZH: dict[str, str] = {t.code: t.zh for t in DISPOSITIONS}


def disposition_label(code: str) -> str:
    """The Chinese label of a disposition code (``close`` -> ``关闭取缔``); an unknown code reads as itself."""
    return DISPOSITION_ZH.get(code, code)


#: a standard's result on one enterprise
RESULTS: tuple[Term, ...] = (
    Term(R.HIT, "触及", "hit"),
    Term(R.CLEAR, "未触及", "clear"),
    Term(R.NOT_ASSESSED, DISPOSITION_ZH[R.NOT_ASSESSED_DISPOSITION], "not assessed"),
)
RESULT_ZH: dict[str, str] = {t.code: t.zh for t in RESULTS}
RESULT_EN: dict[str, str] = {t.code: t.en for t in RESULTS}

#: where a registry row's location stands
ROW_STATUSES: tuple[Term, ...] = (
    Term(R.STATUS_OK, "正常", "ok"),
    Term(R.STATUS_SWAPPED, "经纬度互换已纠正", "lon/lat swapped, corrected"),
    Term(R.STATUS_INVALID, "位置无效", "invalid location"),
    Term(R.STATUS_OUT, "超出图层范围", "outside the layers' coverage"),
)
ROW_STATUS_ZH: dict[str, str] = {t.code: t.zh for t in ROW_STATUSES}

# --------------------------------------------------------------------------- zone classes

#: display labels of the canonical zone codes (the spellings recognised in layer files are in pack.model)
ZONES: tuple[Zone, ...] = (
    Zone("water_source_protection", "first", "一级保护区", "first-class protection zone"),
    Zone("water_source_protection", "second", "二级保护区", "second-class protection zone"),
    Zone("water_source_protection", "quasi", "准保护区", "quasi-protection zone"),
    Zone("ecological_redline", "first", "一级管控区", "first-class control zone"),
    Zone("ecological_redline", "second", "二级管控区", "second-class control zone"),
    Zone("ecological_redline", "national", "生态保护红线", "national ecological protection red line"),
    Zone("marine_redline", "prohibited", "禁止类", "prohibited class"),
    Zone("marine_redline", "restricted", "限制类", "restricted class"),
)
_ZONE = {(z.kind, z.code): z for z in ZONES}


def zone_label(kind: str, code: str) -> str:
    """The Chinese label of a canonical zone code of a layer kind; an unknown code reads as itself.

    Examples
    --------
    >>> zone_label("water_source_protection", "first"), zone_label("marine_redline", "unknown")
    ('一级保护区', 'unknown')
    """
    zone = _ZONE.get((kind, code))
    return zone.zh if zone else code


# --------------------------------------------------------------------------- columns

_RESULTS_MEANING = " / ".join(f"{t.code} {t.zh}" for t in RESULTS)

#: every canonical column: Chinese header, DBF field name, meaning; in the order fields appear in exported tables
COLUMNS: tuple[Column, ...] = (
    Column(R.ENTERPRISE_ID, "统一社会信用代码", "USCC", "18位统一社会信用代码（按登记表）"),
    Column(R.NAME, "企业名称", "NAME", "企业名称"),
    Column(R.COUNTY, "县（市、区）", "COUNTY", "所在县（市、区）"),
    Column(R.COUNTY_CODE, "县区代码", "CNTY_CODE", "县级行政区划代码（6位）"),
    Column(R.INDUSTRY, "行业", "INDUSTRY", "所属行业"),
    Column("address", "地址", "ADDRESS", "企业地址"),
    Column("lon", "经度（CGCS2000）", "LON", "筛查采用的位置的经度，CGCS2000（EPSG:4490），已去除高德/百度偏移"),
    Column("lat", "纬度（CGCS2000）", "LAT", "筛查采用的位置的纬度，CGCS2000（EPSG:4490），已去除高德/百度偏移"),
    Column(R.INPUT_ROW, "输入行号", "INPUT_ROW", "在输入登记表中的数据行号（从1起），用于各表关联"),
    Column(R.ROW_STATUS, "行状态", "ROW_STATUS", "位置状态：" + " / ".join(f"{t.code} {t.zh}" for t in ROW_STATUSES)),
    Column(R.ISSUES, "数据问题", "ISSUES", "数据问题提示，分号分隔（不影响筛查）"),
    Column(
        R.STANDARDS_HIT,
        "触及标准",
        "STD_HIT",
        "触及的标准，分号分隔（1-10 为附件2十项标准，"
        + "，".join(f"{s.key} {s.short}" for s in STANDARDS if not s.key.isdigit())
        + "）",
    ),
    Column(R.NOT_ASSESSED_COL, "未评估标准", "NOT_ASSESS", "因缺少数据未评估的标准，分号分隔（未评估不等于符合）"),
    Column(R.DISPOSITION, "处置代码", "DISPOSIT", "处置方式代码（企业表：综合处置；依据表：该条证据的处置）"),
    Column(R.DISPOSITION_ZH, "处置方式", "DISPOS_ZH", "综合处置方式（中文）"),
    Column(
        R.LEGAL_BASIS,
        "法律依据",
        "LEGAL_BAS",
        "法律依据（企业表：所有触及标准的依据，按标准顺序；依据表：该条证据的依据）",
    ),
    Column(R.ESCALATION, "逾期处置", "ESCALATE", "整改（淘汰）逾期未完成或经整改仍不达标时的处置代码（空：无）"),
    Column(R.ESCALATION_ZH, "逾期处置方式", "ESCAL_ZH", "整改（淘汰）逾期未完成或经整改仍不达标时的处置方式（中文）"),
    Column(R.VERIFICATION, "核查结论", "VERIFIED", "台账中最近一次现场核查结论（未核实：台账中没有核查记录）"),
    Column(R.DECIDED_DISPOSITION, "决定处置", "DECIDED", "有批准权的人民政府批准的处置决定（处置代码，台账）"),
    Column(R.DECISION_DOC, "决定文号", "DECIS_DOC", "处置决定的文号（台账）"),
    Column(R.DUE_DATE, "整改期限", "DUE_DATE", "限期整改的期限，年-月-日（台账）"),
    Column(R.OVERDUE, "逾期未整改", "OVERDUE", "整改期限已过且最近一次核查结论不是已整改到位"),
    Column(
        R.LON_ORIGINAL, "登记经度（已更正）", "LON_ORIG", "核查更正位置前登记表的经度，CGCS2000；筛查采用更正后的位置"
    ),
    Column(
        R.LAT_ORIGINAL, "登记纬度（已更正）", "LAT_ORIG", "核查更正位置前登记表的纬度，CGCS2000；筛查采用更正后的位置"
    ),
    Column(R.CHECK_BASIS, "核查依据", "CHK_BASIS", "钢铁、船舶、水泥等行业适用的附件1监管执法标准（序号、标准名称）"),
    *(
        Column(
            R.std_column(s.key),
            s.zh if s.key.isdigit() else f"{s.zh}（筛查结果）",  # the extra rules' topics are attribute headers too
            s.dbf,
            f"标准{s.key}的筛查结果：{_RESULTS_MEANING}",
        )
        for s in STANDARDS
    ),
    Column(R.SANITARY_DISTANCE, "卫生防护距离（环评，米）", "SAN_DIST_M", "企业环评确定的卫生防护距离，米"),
    Column(R.SANITARY_REQUIRED, "应有卫生防护距离（米）", "SAN_REQ_M", "筛查采用的卫生防护距离，米"),
    Column(R.NEAREST_SENSITIVE_M, "最近敏感目标距离（米）", "NEAR_SEN_M", "到最近环境敏感目标的距离，米"),
    Column(R.NEAREST_SENSITIVE_NAME, "最近敏感目标", "NEAR_SEN_N", "最近环境敏感目标名称"),
    Column(R.LANDUSE_CLASS, "规划用地类别", "LANDUSE", "所在位置的规划用地类别（GB 50137-2011）"),
    Column(R.NONINDUSTRIAL_SHARE, "非工业用地占比", "NONIND_SHR", "厂区范围落在非工业规划用地上的比例，0-1"),
    *(
        Column(
            R.margin_column(s), zh, f"MARGIN{int(s):02d}_M", f"到最近的标准{s}区域边界的距离，米（区内为正、区外为负）"
        )
        for s, zh in (
            ("3", "距生态红线边界（米，内正外负）"),
            ("4", "距水源保护区边界（米，内正外负）"),
            ("9", "距沿江重点区边界（米，内正外负）"),
        )
    ),
    Column(R.GRADE, "绩效等级", "GRADE", "工业企业资源利用绩效综合评价等级 A/B/C/D"),
    Column(R.GRADE_SCORE, "绩效得分", "GRADE_SCR", "绩效综合评价得分（按评价办法计算，含加减分）"),
    Column(R.GRADE_RANK, "县内排名", "GRADE_RANK", "综合评价得分在本县（市、区）同组企业中的名次/参与排名企业数"),
    Column("eliminated_equipment", "淘汰类装备", "ELIM_EQUIP", "使用或生产淘汰类工艺装备、落后产品（登记表属性）"),
    Column("procedures_complete", "手续齐全", "PROC_OK", "备案、核准、环评、安评、用地等手续齐全（登记表属性）"),
    Column("emission_compliant", "稳定达标排放", "EMIS_OK", "污染物持续稳定达标排放（登记表属性）"),
    Column("energy_over_limit", "能耗超限额", "ENERGY_OVR", "单位产品能耗超限额（登记表属性）"),
    Column("major_hazard", "重大安全隐患", "HAZARD", "存在重大安全隐患（登记表属性）"),
    Column("long_shutdown", "长期停车", "SHUTDOWN", "生产装置长期停车（登记表属性）"),
    Column("scattered_polluting", "散乱污", "SCATTERED", "“散乱污”企业（登记表属性）"),
    Column("serious_violation", "严重环境违法", "VIOLATION", "分类处置期间发生严重环境违法行为（登记表属性）"),
    Column(R.RECTIFICATION_FAILED, "整改不到位", "RECT_FAIL", "逾期未整改、经整改仍不达标或不按期淘汰（登记表属性）"),
    Column(R.DISCHARGES_POLLUTANTS, "排放污染物", "DISCHARGE", "企业排放污染物（登记表属性；二级保护区适用）"),
    Column("standard", "标准", "STANDARD", "该条证据对应的标准（1-10、scattered、violation）"),
    Column("layer_id", "图层", "LAYER_ID", "证据来源图层的编号（见图层包 catalog）"),
    Column("feature_name", "要素名称", "FEATURE", "区域或敏感目标名称（如 狼山省级森林公园）"),
    Column("zone", "级别代码", "ZONE", "区域级别代码（first 一级、second 二级、quasi 准保护区等）"),
    Column("zone_label", "级别", "ZONE_LABEL", "区域级别（一级管控区、一级保护区等）"),
    Column("category", "类别", "CATEGORY", "区域或目标类别"),
    Column("distance_m", "距离（米）", "DIST_M", "企业到该要素的距离，米（0 表示位于区内）"),
    Column("required_m", "要求距离（米）", "REQUIRED_M", "规则要求的距离，米（如卫生防护距离）"),
    Column("margin_m", "边界余量（米）", "MARGIN_M", "区域标准：深入区内的距离；距离标准：比要求少的距离；米"),
    Column("detail", "说明", "DETAIL", "其他证据说明"),
)
#: column -> Chinese header (Excel sheets, the field dictionary, the lists, the map)
COLUMN_ZH: dict[str, str] = {c.column: c.zh for c in COLUMNS}


def column_label(column: str) -> str:
    """The Chinese header of a results column (``county`` -> ``县（市、区）``); any other column keeps its name."""
    return COLUMN_ZH.get(column, column)


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


# --------------------------------------------------------------------------- the city's lists

#: 汇总.xlsx enterprise lists by overall disposition (screening proposals, not decisions)
CITY_LISTS: tuple[CityList, ...] = (
    CityList(
        "拟关闭退出名单",
        ("close", "eliminate", "demolish"),
        "三（四）、附件3第16-17项：年度落后产能退出企业名单、设备（生产线）和产能情况",
    ),
    CityList("拟搬迁名单", ("relocate",), "附件2第（九）项：沿江生态带重点规划区域内企业搬迁"),
    CityList("限期整改名单", ("stop", "transform", "rectify"), "三（四）、附件3第18项：不达标应限期整改的企业名单"),
    CityList("依法处置名单", ("per_law",), "附件2第（三）（四）（五）（八）项：依法处置，由主管部门认定"),
)
#: 汇总.xlsx list of standard 6 or serious-violation hits, whatever the disposition (附件3第18项)
EMISSION_LIST = "超标排放及严重违法名单"

# --------------------------------------------------------------------------- the published lists (from decisions)


@dataclass(frozen=True)
class DecidedList:
    """One list the seed publishes once the competent authority has decided (三（四）, 附件3第17-18项)."""

    key: str  #: how the publication file names it (``lists:``)
    sheet: str  #: the list's name as the seed writes it (file, sheet, title)
    dispositions: tuple[str, ...]  #: the latest decision that puts an enterprise on it
    asks: str  #: the item of 通政办发〔2017〕179号 the list answers


#: the published lists, built from the ledger's decisions only (the screening's proposals are never on them)
DECIDED_LISTS: tuple[DecidedList, ...] = (
    DecidedList(
        "exit",
        "年度落后产能退出企业名单",
        ("close", "eliminate", "demolish"),
        "三（四）、附件3第17项：公告年度落后产能退出企业名单、设备（生产线）和产能情况",
    ),
    DecidedList(
        "rectify",
        "不达标应限期整改的企业名单",
        ("stop", "transform", "rectify"),
        "三（四）、附件3第18项：定期公布不达标应限期整改的企业名单",
    ),
    DecidedList(
        "closed",
        "经整改仍不达标已依法关闭的企业名单",
        ("close",),
        "三（四）、附件3第18项：定期公布经整改仍不达标已依法关闭的企业名单",
    ),
)
#: the published lists' own columns
DECIDED_LIST_COLUMNS = {
    "decision": "处置决定",
    "doc": "决定文号",
    "unit": "发文单位",
    "standards": "涉及标准",
    "due": "整改期限",
    "earlier_doc": "原整改决定文号",
    "equipment": "设备（生产线）",
    "capacity": "产能",
    "remark": "备注",
}
#: the remark of a decided enterprise the results do not hold
NOT_IN_RUN_ZH = "不在本次筛查结果中（企业名称、所在地未知）"
#: the line of a list no decided enterprise is on
EMPTY_LIST_ZH = "本期没有经决定列入本名单的企业。"


# --------------------------------------------------------------------------- two runs compared (geo-screen diff)

#: what can change for an enterprise between two runs, in the order the summary lists them (an enterprise in
#: both runs may show several: disposition and standards; new and gone stand alone)
CHANGES: tuple[Term, ...] = (
    Term("new", "新增企业", "new: only in the new run"),
    Term("gone", "登记表中已无", "gone: only in the old run"),
    Term("newly_flagged", "新触及标准", "newly flagged"),
    Term("cleared", "不再触及标准", "cleared: flagged before, not now"),
    Term("disposition_changed", "处置方式变化", "disposition changed (flagged both times, or neither)"),
    Term("standards_changed", "触及标准变化", "standards changed (flagged both times)"),
)
CHANGE_KINDS = tuple(t.code for t in CHANGES)
CHANGE_ZH: dict[str, str] = {t.code: t.zh for t in CHANGES}
#: what each change means (the line above its sheet in changes.xlsx)
CHANGE_MEANING = {
    "new": "本次登记表有、上次没有的企业",
    "gone": "上次登记表有、本次没有的企业（已注销、关闭或漏报，请核实）；点位为上次筛查的位置",
    "newly_flagged": "上次未触及任何标准、本次触及标准的企业",
    "cleared": "上次触及标准、本次未触及任何标准的企业",
    "disposition_changed": "两次均触及标准（或均未触及），综合处置方式不同",
    "standards_changed": "两次均触及标准，触及的标准不同",
}
#: the changes table's own columns (changes.xlsx, the changes layer of changes.gpkg)
CHANGE_COLUMN_ZH = {
    "change": "变化类别",
    "change_code": "变化代码",
    "standards_old": "原触及标准",
    "standards_new": "现触及标准",
    "disposition_old": "原处置方式",
    "disposition_new": "现处置方式",
    "run": "所在批次",
}
#: the sheets of changes.xlsx besides one per change
CHANGE_SHEETS = {"summary": "汇总", "county": "区县×变化", "all": "全部变化", "duplicates": "重复代码",
                 "no_id": "缺少代码"}  # fmt: skip
#: which run a row comes from (changes.xlsx 重复代码 / 缺少代码)
RUN_ZH = {"old": "原批次", "new": "新批次"}


# =========================================================================== documents a county can act on
# (issue 13, points 1 and 9: input coordinates, the seed's numbering, evidence sentences, checklist, notes)

#: the seed's own numbering of Annex 2's items (附件2 “十项标准”), and of the two rules of its closing paragraph
SEED_ITEMS: dict[str, str] = {
    **{k: f"第（{n}）项" for k, n in zip(R.STANDARDS[:10], "一二三四五六七八九十")},
    "scattered": "“此外”段（整改不到位的“散乱污”企业）",
    "violation": "“此外”段（分类处置期间发生严重环境违法行为）",
}


def seed_item(key: str, *, topic: bool = False) -> str:
    """A standard as the seed numbers it: ``第（三）项``, with ``topic=True`` ``第（三）项 不符合规划/生态红线``.

    Examples
    --------
    >>> seed_item("3"), seed_item("10", topic=True)
    ('第（三）项', '第（十）项 绩效评价D档')
    """
    item = SEED_ITEMS.get(key, standard_label(key))
    std = _STANDARD.get(key)
    return f"{item} {std.topic}" if topic and std is not None and key.isdigit() else item


#: how the system of the input coordinates reads in a header (``经度（输入，GCJ-02）``)
INPUT_SYSTEMS = {"gcj02": "GCJ-02", "bd09": "BD-09", "EPSG:4326": "WGS84", "EPSG:4490": "CGCS2000"}


def input_coordinate_label(header: str, system: str | None) -> str:
    """The header of an input coordinate column, naming its system: ``经度`` -> ``经度（输入，GCJ-02）``."""
    name = INPUT_SYSTEMS.get(system or "", system or "坐标系未知")
    return f"{header}（输入，{name}）"


#: what an input coordinate column means (字段说明.csv): the file's numbers, before any correction
INPUT_COORDINATE_MEANING = "登记表原坐标（{system}，原样保留，未去除偏移、未纠正互换），仅供对照；现场核查用 LON/LAT"
#: the suffix of a canonical column whose header the registry already uses (results.xlsx has no repeated header)
CANONICAL_SUFFIX = "（规范值）"
YES_ZH, NO_ZH = "是", "否"

#: planned land-use classes (GB 50137-2011《城市用地分类与规划建设用地标准》, 表3.2.2 and 3.3.2)
LANDUSE_CLASSES: dict[str, str] = {
    "R": "居住用地",
    "A": "公共管理与公共服务设施用地",
    "B": "商业服务业设施用地",
    "M": "工业用地",
    "M1": "一类工业用地",
    "M2": "二类工业用地",
    "M3": "三类工业用地",
    "W": "物流仓储用地",
    "S": "道路与交通设施用地",
    "U": "公用设施用地",
    "G": "绿地与广场用地",
    "H": "建设用地",
    "E": "非建设用地",
    "E1": "水域",
    "E2": "农林用地",
    "E9": "其他非建设用地",
}


def landuse_class_label(code: str) -> str:
    """``E`` -> ``E（非建设用地）``; a class GB 50137-2011 does not name reads as itself."""
    name = LANDUSE_CLASSES.get(str(code).strip().upper())
    return f"{code}（{name}）" if name else str(code)


#: the note on the evidence of a location on land the plan's catalog calls conditional (``industrial_use``): no hit
LANDUSE_CONDITIONAL_NOTE = (
    "有条件用地，不计为触及第（三）项；请现场核实企业实际位置和用地性质（点位落在水域、道路、农田上多为地理编码误差）"
)

#: evidence categories that are layer kinds or internal codes, as they read
CATEGORY_ZH: dict[str, str] = {"land_use_plan": "城市总体规划用地", "registry": "登记表属性"}

#: the Water Pollution Prevention Law's rule for a quasi-protection zone (no closure order: a notice)
WATER_QUASI_ZONE_TEXT = (
    "位于饮用水水源准保护区（不属于保护区范围内，不触及第（四）项）。《中华人民共和国水污染防治法》（2017年修正）"
    "第六十七条：禁止在饮用水水源准保护区内新建、扩建对水体污染严重的建设项目；改建建设项目，不得增加排污量。"
)

#: the note on the evidence of an enterprise inside a zone for listed industries (a belt for chemical projects,
#: 长江保护法 art. 26) whose industry the registry does not give
ZONE_INDUSTRY_NOTE = "登记表未填行业；该范围只适用于{}等行业的企业，请核实行业"


def zone_industry_note(industries) -> str:
    """:data:`ZONE_INDUSTRY_NOTE` for the layer's industry words: ``...只适用于化工等行业的企业...``."""
    return ZONE_INDUSTRY_NOTE.format("、".join(industries or ()))


#: ``issues`` tokens -> how they read (``{}`` takes the token's detail after the colon)
ISSUE_ZH: dict[str, str] = {
    "grade_disagrees": "绩效等级与测算不一致（{}），以登记表为准，请核实",
    "coords_swapped": "经纬度填反，已互换纠正",
    "location_missing": "缺少坐标",
    "location_zero": "坐标为0",
    "location_out_of_range": "坐标超出有效范围",
    "geometry_empty": "厂区范围为空",
    "geometry_repaired": "厂区范围几何有误，已自动修复",
    "enterprise_id_missing": "缺少统一社会信用代码",
    "duplicate_enterprise_id": "统一社会信用代码重复（{}）",
    "uscc_length": "统一社会信用代码位数不是18位（{}位）",
    "uscc_char": "统一社会信用代码含不允许的字符（{}）",
    "uscc_check": "统一社会信用代码校验位不符（{}），请核对",
    "county_mismatch": "登记表所填县区与位置所在县区不一致（{}）",
    "near_edge": "位置距区域边界很近（{}），在定位误差内，请现场核对是否在区内",
    "water_quasi_zone": WATER_QUASI_ZONE_TEXT,
    "landuse_conditional": "规划用地类别 {}为有条件用地（不计为触及第（三）项），请现场核实企业实际位置和用地性质",
    "zone_industry_unknown": "位于只适用于特定行业的范围内（{}），登记表未填行业，无法判断是否适用，请补充行业",
    "sanitary_distance_m_out_of_range": (
        "登记表所填卫生防护距离（{} 米）超出规则允许的范围，未采用（按行业表），请核对环评批复"
    ),
    "control_characters": "文本含控制字符（{}），已替换为空格",
}


_INPUT_COORDINATES = {"lon": "经度（输入）", "lat": "纬度（输入）", "x": "X坐标（输入）", "y": "Y坐标（输入）"}


def issue_text(token: str) -> str:
    """One ``issues`` token as it reads: ``near_edge:3(44.0 m)`` -> ``位置距区域边界很近（第（三）项 44.0 米）...``.

    ``<column>_unparsed:<value>`` reads as the column's header and the value; an unknown token as itself.
    """
    code, _, detail = token.partition(":")
    if code == "near_edge":
        key, _, rest = detail.partition("(")
        detail = f"{seed_item(key)}，{rest.rstrip(')').replace(' m', ' 米')}" if rest else detail
    elif code == "landuse_conditional":
        detail = landuse_class_label(detail)
    elif code == "zone_industry_unknown":
        detail = seed_item(detail)
    elif code == "duplicate_enterprise_id":
        rows, _, more = detail.removeprefix("rows ").partition(" +")
        detail = f"第{rows}行" + (f"等，另{more.removesuffix(' more')}行" if more else "")
    elif code == "uscc_check":
        detail = detail.replace("expected ", "应为 ")
    elif code == "county_mismatch":
        detail = detail.replace("registry=", "登记表：").replace(",location=", "，位置：")
    elif code == "grade_disagrees":
        detail = detail.replace("registry=", "登记表").replace(",computed=", "类，按指标测算") + "类"
    elif code.endswith("_unparsed"):
        column = code.removesuffix("_unparsed")
        name = _INPUT_COORDINATES.get(column) or column_label(R.GRADE if column == "grade" else column)
        return f"“{name}”的值无法识别：{detail}"
    text = ISSUE_ZH.get(code)
    if text is None:
        return token
    return text.format(detail) if "{}" in text else text


def issues_text(value: object, *, sep: str = "；") -> str:
    """A ``;``-joined ``issues`` cell as it reads (empty for a missing or empty cell)."""
    if not isinstance(value, str) or not value:
        return ""
    return sep.join(issue_text(t) for t in value.split(";") if t)


#: the registry attributes each attribute standard reads in the shipped rules: named when a standard is not
#: assessed (现场核查表, 待补充资料: “登记表未填‘稳定达标排放’”); the rules file decides, this only explains
STANDARD_DATA: dict[str, tuple[str, ...]] = {
    "1": ("eliminated_equipment",),
    "2": ("procedures_complete",),
    "6": ("emission_compliant", "energy_over_limit"),
    "7": ("major_hazard",),
    "8": ("long_shutdown",),
    "10": (R.GRADE,),
    "scattered": ("scattered_polluting",),
    "violation": ("serious_violation",),
}


# --------------------------------------------------------------------------- the on-site checklist's words
CHECKLIST_SHEET = "现场核查表"
PENDING_SHEET = "待补充资料"
EVIDENCE_HEADER = "证据"
STANDARDS_HEADER = "触及标准（附件2）"
PROPOSAL_HEADER = "初筛建议"
ESCALATION_HEADER = "逾期处置"
CHECK_BASIS_HEADER = "核查依据"
NOT_ASSESSED_HEADER = "未评估标准及原因"
NOTES_HEADER = "提示（近边界、数据问题）"
VERDICT = "核查结论"
#: the inspector's fixed choices for 核查结论 (an Excel drop-down list)
VERDICTS = ("属实", "不属实", "已整改到位", "整改不到位", "难以整治到位", "位置有误")
#: each finding by name (a screening given the ledger acts on 不属实, 已整改到位, 整改不到位 and 位置有误)
FOUND_TRUE, FOUND_UNTRUE, RECTIFIED, NOT_RECTIFIED, BEYOND_REPAIR, WRONG_PLACE = VERDICTS
#: the ``verification`` of an enterprise the ledger has no finding for
UNVERIFIED = "未核实"
#: columns the inspector fills in on site, in order
CHECK_COLUMNS = [VERDICT, "核查情况说明", "核查人", "日期", "企业确认（签字）"]
#: the columns of the 待补充资料 sheet filled in when the data arrives
PENDING_COLUMNS = ["补充情况", "核查人", "日期"]
#: columns the county fills in once the competent authority has decided (optional; read by ``geo-screen verify``)
DECISION_HEADER = "决定处置"
DECISION_COLUMNS = [DECISION_HEADER, "决定文号", "发文单位", "整改期限", "更正经度", "更正纬度"]
#: what 决定处置 may say: a disposition's label (the drop-down), most severe first; 未评估 is no decision
DECISION_CHOICES = tuple(t.zh for t in DISPOSITIONS if t.code != R.NOT_ASSESSED_DISPOSITION)
#: the column naming the screening run a checklist came from (``run.json`` ``run_id``)
RUN_ID_HEADER = "筛查批次"
#: what the ledger said when the run was screened (``screen --ledger``), shown on the checklist before the
#: inspector's columns: named apart from the columns filled in on site (核查结论, 决定处置 ...), which stay empty
LEDGER_STATE_HEADERS = {
    R.VERIFICATION: "台账核查结论",
    R.DECIDED_DISPOSITION: "台账决定处置",
    R.DECISION_DOC: "台账决定文号",
    R.DUE_DATE: "台账整改期限",
    R.OVERDUE: "逾期未整改",
}

# --------------------------------------------------------------------------- the verification ledger's words
#: how each kind of ledger entry reads
LEDGER_KIND_ZH = {
    "finding": VERDICT,
    "decision": "处置决定",
    "deadline": "整改期限",
    "location_fix": "位置更正",
    "note": "备注",
}

# --------------------------------------------------------------------------- notices (geo-screen notices)
#: the notices geo_screen writes from the ledger's decisions: 告知书 (a decision's notice, with the rights to
#: 陈述、申辩 and 听证) and 限期整改通知书 (a decision to rectify, with its deadline)
NOTICE_KINDS = ("告知书", "限期整改通知书")
#: what a notice shows where a value is neither in the ledger, the run nor the notice config (filled in by hand)
NOTICE_BLANK = "＿＿＿＿"
