"""How the codes of the results contract read: standards, dispositions, standard results, row statuses.

Also the seed's own numbering of the standards (``第（三）项``) and the registry attributes each attribute
standard reads. The regulation's wording of a standard is the rules file's ``title``, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from geo_screen import results as R


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
