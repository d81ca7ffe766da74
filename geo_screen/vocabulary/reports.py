"""The words of the city's lists, the published lists, two runs compared (``geo-screen diff``) and notices."""

from __future__ import annotations

from dataclasses import dataclass

from geo_screen.vocabulary.codes import DISPOSITION_ZH, Term


@dataclass(frozen=True)
class CityList:
    """One enterprise list of the city's summary workbook (汇总.xlsx): sheet name, dispositions, what it answers."""

    sheet: str
    dispositions: tuple[str, ...]
    asks: str  #: the item of 通政办发〔2017〕179号 the list answers


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
    CityList(
        f"{DISPOSITION_ZH['per_law']}名单",
        ("per_law",),
        f"附件2第（三）（四）（五）（八）项：{DISPOSITION_ZH['per_law']}，由主管部门认定",
    ),
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


# --------------------------------------------------------------------------- notices (geo-screen notices)
#: the notices geo_screen writes from the ledger's decisions: 告知书 (a decision's notice, with the rights to
#: 陈述、申辩 and 听证) and 限期整改通知书 (a decision to rectify, with its deadline)
NOTICE_KINDS = ("告知书", "限期整改通知书")
#: what a notice shows where a value is neither in the ledger, the run nor the notice config (filled in by hand)
NOTICE_BLANK = "＿＿＿＿"
