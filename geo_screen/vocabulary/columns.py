"""How the results columns read: Chinese headers, DBF short names and meanings (the packages' 字段说明.csv).

Also the headers of the input's own coordinate columns, the suffix of a canonical column whose header the
registry already uses, yes/no and the missing-value label.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_screen import results as R
from geo_screen.vocabulary.codes import RESULT_ZH, RESULTS, ROW_STATUSES, STANDARDS

#: what a missing county (or industry, or any group value) reads as in lists, tables, charts and file names
MISSING_ZH = "未知"


@dataclass(frozen=True)
class Column:
    """One results column: Chinese header, DBF short name and meaning (the packages' 字段说明.csv)."""

    column: str
    zh: str
    dbf: str
    meaning: str


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
    Column(
        R.NOT_ASSESSED_COL,
        f"{RESULT_ZH[R.NOT_ASSESSED]}标准",
        "NOT_ASSESS",
        f"因缺少数据{RESULT_ZH[R.NOT_ASSESSED]}的标准，分号分隔（{RESULT_ZH[R.NOT_ASSESSED]}不等于符合）",
    ),
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
