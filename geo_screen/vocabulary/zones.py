"""How zone classes and planned land-use classes read, and the notes on evidence in such zones."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Zone:
    """The display label of a zone class of a layer kind (e.g. first-class water source protection zone)."""

    kind: str
    code: str
    zh: str
    en: str


# --------------------------------------------------------------------------- zone classes

#: display labels of the canonical zone codes (the spellings recognised in layer files are in pack.zones)
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
