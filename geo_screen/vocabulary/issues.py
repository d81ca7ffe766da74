"""How the ``issues`` tokens of a row read (data problems and notes that do not stop the screening)."""

from __future__ import annotations

from geo_screen import results as R
from geo_screen.vocabulary.codes import seed_item
from geo_screen.vocabulary.columns import column_label
from geo_screen.vocabulary.zones import WATER_QUASI_ZONE_TEXT, landuse_class_label

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
