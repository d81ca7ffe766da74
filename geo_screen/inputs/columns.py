"""Which header means which registry column: the accepted headers of every canonical column, and matching.

Headers are matched after NFKC, casefolding, and removing spaces, underscores, brackets and punctuation; a
leading or trailing 是否/有无 is ignored; when several headers match one canonical column, the earliest alias
wins. These are words *read* from input files: a label written in outputs lives in :mod:`geo_screen.vocabulary`.
"""

from __future__ import annotations

import re
import unicodedata

from geo_screen.results import (
    COUNTY,
    DISCHARGES_POLLUTANTS,
    ENTERPRISE_ID,
    GRADE,
    INDUSTRY,
    NAME,
    RECTIFICATION_FAILED,
    SANITARY_DISTANCE,
)

ADDRESS, LON, LAT, X, Y = "address", "lon", "lat", "x", "y"

#: canonical column -> accepted headers (matched after NFKC, casefold, and removing spaces,
#: underscores, brackets and punctuation; a leading or trailing 是否/有无 is ignored).
#: When several headers match one canonical column, the earliest alias wins.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    ENTERPRISE_ID: (
        ENTERPRISE_ID,
        "uscc",
        "统一社会信用代码",
        "社会信用代码",
        "信用代码",
        "统一代码",
        "credit_code",
        "social_credit_code",
        "unified_social_credit_code",
        "uscc_code",
        "ent_id",
        "统一社会信",
    ),
    NAME: (
        NAME,
        "企业名称",
        "名称",
        "单位名称",
        "公司名称",
        "企业全称",
        "企业",
        "单位",
        "enterprise_name",
        "company_name",
        "enterprise",
        "company",
    ),
    INDUSTRY: (
        INDUSTRY,
        "行业",
        "行业类别",
        "所属行业",
        "行业名称",
        "行业分类",
        "行业门类",
        "国民经济行业",
        "国民经济行业类别",
        "国民经济行业分类",
        "industry_type",
        "sector",
    ),
    ADDRESS: (
        ADDRESS,
        "地址",
        "详细地址",
        "生产经营地址",
        "生产地址",
        "经营地址",
        "企业地址",
        "注册地址",
        "住所",
        "addr",
    ),
    LON: (LON, "经度", "longitude", "lng", "long", "经度坐标"),
    LAT: (LAT, "纬度", "latitude", "纬度坐标"),
    X: (X, "x坐标", "坐标x", "xcoord", "pointx", "easting", "东坐标"),
    Y: (Y, "y坐标", "坐标y", "ycoord", "pointy", "northing", "北坐标"),
    COUNTY: (
        COUNTY,
        "县（市、区）",
        "县市区",
        "所在县区",
        "县区",
        "区县",
        "所在县市区",
        "所属县市区",
        "所属县区",
        "所在区县",
        "所属区县",
        "市县区",
        "辖区",
        "行政区",
        "district",
    ),
    SANITARY_DISTANCE: (
        SANITARY_DISTANCE,
        "卫生防护距离",
        "卫生防护距离(米)",
        "卫生防护距离m",
        "卫生防护距离要求",
        "防护距离",
        "卫生防护距",
        "sanitary_distance",
        "sanitary_protection_distance",
        "sanitary_m",
    ),
    GRADE: (
        GRADE,
        "绩效等级",
        "综合评价等级",
        "评价等级",
        "综合评价结果",
        "评价结果",
        "亩均评价等级",
        "亩均效益评价等级",
        "亩均等级",
        "综合评价类别",
        "综合评价等",
        "分类等级",
        "grade",
        "evaluation_grade",
    ),
    "eliminated_equipment": (
        "eliminated_equipment",
        "淘汰类装备",
        "淘汰类设备",
        "淘汰类工艺装备",
        "淘汰类装备产品",
        "使用淘汰类装备",
        "淘汰类",
    ),
    "procedures_complete": ("procedures_complete", "手续齐全", "手续完备", "审批手续齐全", "相关手续齐全"),
    "emission_compliant": ("emission_compliant", "稳定达标排放", "达标排放", "排放达标", "稳定达标", "稳定达标排"),
    "energy_over_limit": ("energy_over_limit", "能耗超限额", "能耗超标", "超能耗限额", "单位能耗超限额"),
    "major_hazard": ("major_hazard", "重大安全隐患", "存在重大安全隐患", "重大隐患", "安全隐患", "重大安全隐"),
    "long_shutdown": ("long_shutdown", "长期停车", "长期停产", "长期停产停车"),
    "scattered_polluting": ("scattered_polluting", "散乱污", "散乱污企业"),
    "serious_violation": (
        "serious_violation",
        "严重环境违法",
        "严重环境违法行为",
        "严重违法",
        "环境违法",
        "严重环境违",
    ),
    RECTIFICATION_FAILED: (
        RECTIFICATION_FAILED,
        "整改不到位",
        "逾期未整改",
        "经整改仍不达标",
        "不按期淘汰",
        "整改后仍不达标",
        "整改未到位",
    ),
    DISCHARGES_POLLUTANTS: (DISCHARGES_POLLUTANTS, "排放污染物", "排污", "有污染物排放", "排污单位"),
}

_PUNCT = re.compile(r"[\s_\-.·()\[\]{}【】〔〕<>《》、,，:;/\\*#'\"]+")


def match_columns(headers, aliases: dict[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    """Map canonical column names to the input headers that carry them.

    Parameters
    ----------
    headers
        The file's column headers.
    aliases
        Canonical name -> accepted headers, matched as the registry's are (NFKC, case, spaces, brackets and
        punctuation ignored; a leading or trailing 是否/有无 ignored; the earliest alias wins). Default
        :data:`COLUMN_ALIASES`; other tables of the package (the performance evaluation's indicator table)
        pass their own.

    Returns
    -------
    dict
        Canonical name -> header, in the order of ``aliases``, for the canonical columns found.
    """
    table = COLUMN_ALIASES if aliases is None else aliases
    index = _ALIAS_INDEX if aliases is None else _alias_index(aliases)
    found: dict[str, tuple[int, str]] = {}
    for header in headers:
        for key in header_keys(str(header)):
            hit = index.get(key)
            if hit and (hit[0] not in found or hit[1] < found[hit[0]][0]):
                found[hit[0]] = (hit[1], header)
                break
    return {canon: found[canon][1] for canon in table if canon in found}


def header_key(text: str) -> str:
    """A header as it is matched: NFKC, casefolded, without spaces, underscores, brackets and punctuation."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).casefold())


def header_keys(header: str) -> list[str]:
    """The keys a header is matched by: itself and without a leading or trailing 是否/有无."""
    key = header_key(header)
    bare = re.sub(r"^(是否|有无)|(是否|有无)$", "", key)
    return [k for k in dict.fromkeys((key, bare)) if k]


def _alias_index(aliases: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, int]]:
    return {header_key(alias): (canon, rank) for canon, names in aliases.items() for rank, alias in enumerate(names)}


_ALIAS_INDEX = _alias_index(COLUMN_ALIASES)


def canonical_of(header) -> str | None:
    """The canonical column a header names, a repeat's ``.1`` suffix (pandas, the CSV reader) ignored."""
    for key in header_keys(re.sub(r"\.\d+$", "", str(header))):
        if hit := _ALIAS_INDEX.get(key):
            return hit[0]
    return None
