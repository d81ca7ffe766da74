"""The tables officials read: evidence text, the on-site checklist (现场核查表), and the city's
summary (汇总.xlsx) and public disclosure list (公示名单) the regulation asks for (三（三）/（四）, Annex 3 items 15-18).
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.errors import ExportError
from geo_screen.inputs.crs import OUTPUT_CRS
from geo_screen.outputs.sheets import write_csv, write_workbook
from geo_screen.outputs.workbook import disposition_by_county, summary_by_county
from geo_screen.screening import coded

UNKNOWN = "未知"
CHECK_COLUMNS = ("核查人", "核查日期", "核查情况", "处置意见")
#: short display names of the standards (the rules file holds the full wording)
STANDARD_TOPICS_ZH = {
    "1": "淘汰类装备/产品",
    "2": "法定手续不全",
    "3": "不符合规划/生态红线",
    "4": "饮用水水源保护区",
    "5": "卫生防护距离内有敏感目标",
    "6": "排放或能耗不达标",
    "7": "重大安全隐患",
    "8": "长期停车",
    "9": "沿江生态带重点区域",
    "10": "绩效评价D档",
    "scattered": "散乱污整改不到位",
    "violation": "严重环境违法",
}
#: 汇总.xlsx enterprise lists: sheet -> (overall dispositions, what the regulation asks for). Screening proposals.
REPORT_LISTS = {
    "拟关闭退出名单": (
        ("close", "eliminate", "demolish"),
        "三（四）、附件3第16-17项：年度落后产能退出企业名单、设备（生产线）和产能情况",
    ),
    "拟搬迁名单": (("relocate",), "附件2第（九）项：沿江生态带重点规划区域内企业搬迁"),
    "限期整改名单": (("stop", "transform", "rectify"), "三（四）、附件3第18项：不达标应限期整改的企业名单"),
    "依法处置名单": (("per_law",), "附件2第（三）（四）（五）（八）项：依法处置，由主管部门认定"),
}
EMISSION_LIST = "超标排放及严重违法名单"  # 附件3第18项: std 6 or violation hit, whatever the disposition


def load_result(result: R.ScreenResult | str | os.PathLike) -> R.ScreenResult:
    res = result if isinstance(result, R.ScreenResult) else R.read_results(result)
    ents, hits = res.enterprises, res.hits
    if ents.crs is None:
        raise ExportError(
            "the results have no CRS; they should be EPSG:4490 (CGCS2000) lon/lat: set it with "
            "enterprises.set_crs('EPSG:4490') or re-run 'geo-screen screen'"
        )
    missing = [c for c in (R.INPUT_ROW, R.STANDARDS_HIT, R.DISPOSITION) if c not in ents.columns]
    if missing:
        raise ExportError(
            f"the results lack columns {missing}; they are not a geo_screen run (re-run 'geo-screen screen')"
        )
    ents = ents.to_crs(OUTPUT_CRS).reset_index(drop=True)
    if isinstance(hits, gpd.GeoDataFrame) and hits.active_geometry_name is not None:
        hits = hits.to_crs(OUTPUT_CRS) if hits.crs is not None else hits.set_crs(OUTPUT_CRS)
    return R.ScreenResult(ents, hits.reset_index(drop=True), res.manifest)


def flagged_mask(ents: pd.DataFrame) -> np.ndarray:
    return (ents[R.STANDARDS_HIT].fillna("").astype("str") != "").to_numpy()


def standard_label(value: str) -> str:
    """``"3"`` -> ``"标准3"``; the extra rules by their Chinese topic."""
    return f"标准{value}" if value.isdigit() else STANDARD_TOPICS_ZH.get(value, value)


# --------------------------------------------------------------------------- evidence text


def _fmt(values: pd.Series) -> np.ndarray:
    return np.char.mod("%.0f", pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64"))


def standards_zh(values: pd.Series) -> pd.Series:
    """``"3;9"`` -> ``"标准3（不符合规划/生态红线）；标准9（沿江生态带重点区域）"`` (one lookup per distinct value)."""

    def one(text) -> str:
        return "；".join(
            f"{standard_label(s)}（{STANDARD_TOPICS_ZH[s]}）"
            if s.isdigit() and s in STANDARD_TOPICS_ZH
            else standard_label(s)
            for s in R.standards_label(text)
        )

    uniques = {v: one(v) for v in values.dropna().unique()}
    return values.map(uniques).fillna("").astype("str")


def evidence_text(hits: pd.DataFrame) -> pd.Series:
    """One line of evidence per hit (vectorised): standard, zone name/level, distance vs required, margin, detail.

    Zone standards read "位于区内，距边界120米" (``margin_m`` is positive inside);
    distance rules read "距离35米，要求不小于300米，差265米".
    """

    def txt(c: str) -> pd.Series:
        return hits[c].astype("str").fillna("") if c in hits.columns else pd.Series("", index=hits.index, dtype="str")

    label = hits["standard"].astype("str").map(lambda s: standard_label(s)).astype("str")
    level = txt("zone_label").where(txt("zone_label") != "", txt("zone"))
    feature = txt("feature_name") + pd.Series(np.where(level != "", "（" + level + "）", ""), index=hits.index)
    dist, req, mar = (pd.to_numeric(hits[c], errors="coerce") for c in ("distance_m", "required_m", "margin_m"))
    d, r, m, m_abs = _fmt(dist), _fmt(req), _fmt(mar), _fmt(mar.abs())
    add = np.char.add
    measure = (
        np.select(
            [req.notna().to_numpy(), (mar > 0).to_numpy(), mar.notna().to_numpy(), dist.notna().to_numpy()],
            [
                add(add(add(add(add("距离", d), "米，要求不小于"), r), "米，差"), add(m, "米")),
                add(add("位于区内，距边界", m), "米"),
                add(add("位于区外，距边界", m_abs), "米"),
                add(add("距离", d), "米"),
            ],
            "",
        )
        if len(hits)
        else np.array([], dtype=str)
    )
    out = feature
    for part in (pd.Series(measure, index=hits.index, dtype="str"), txt("detail")):
        out = pd.Series(np.where(out == "", part, np.where(part == "", out, out + "，" + part)), index=hits.index)
    return (label + "：" + out.astype("str")).str.removesuffix("：")


def _per_enterprise(hits: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Evidence lines and distinct legal bases joined per input row."""
    if hits.empty:
        return pd.Series(dtype="str"), pd.Series(dtype="str")
    ev = coded.join_by_key(hits[R.INPUT_ROW].to_numpy(), evidence_text(hits), "\n")
    basis = hits[[R.INPUT_ROW, R.LEGAL_BASIS]].dropna().drop_duplicates()
    return ev, coded.join_by_key(basis[R.INPUT_ROW].to_numpy(), basis[R.LEGAL_BASIS], "\n")


def _disposition_zh(ents: pd.DataFrame) -> pd.Series:
    mapped = ents[R.DISPOSITION].map(R.DISPOSITIONS)
    return ents[R.DISPOSITION_ZH].fillna(mapped) if R.DISPOSITION_ZH in ents.columns else mapped


def _zh(col: str) -> str:
    return R.LABELS_ZH.get(col, col)


def checklist_frame(ents: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """现场核查表: one row per flagged enterprise with evidence and empty inspector columns."""
    flagged = ents[flagged_mask(ents)]
    ev, basis = _per_enterprise(hits[hits[R.INPUT_ROW].isin(flagged[R.INPUT_ROW])])
    rows = flagged[R.INPUT_ROW]

    def get(c: str):
        return flagged[c].to_numpy() if c in flagged.columns else ""

    out = pd.DataFrame(
        {
            "序号": np.arange(1, len(flagged) + 1),
            _zh(R.ENTERPRISE_ID): get(R.ENTERPRISE_ID),
            _zh(R.NAME): get(R.NAME),
            _zh(R.COUNTY): get(R.COUNTY),
            _zh(R.INDUSTRY): get(R.INDUSTRY),
            _zh("address"): get("address"),
            "触及标准": standards_zh(flagged[R.STANDARDS_HIT]).to_numpy(),
            "证据（区域/级别、距离与要求、差值）": rows.map(ev).fillna("").to_numpy(),
            _zh(R.LEGAL_BASIS): rows.map(basis).fillna(flagged.get(R.LEGAL_BASIS, "")).to_numpy(),
            "处置方式": _disposition_zh(flagged).to_numpy(),
        }
    )
    for c in CHECK_COLUMNS:
        out[c] = pd.Series([None] * len(out), dtype="str")
    return out


CHECK_WIDTHS = {
    "序号": 6,
    _zh(R.ENTERPRISE_ID): 21,
    _zh(R.NAME): 28,
    _zh(R.COUNTY): 10,
    _zh(R.INDUSTRY): 10,
    _zh("address"): 26,
    "触及标准": 24,
    "证据（区域/级别、距离与要求、差值）": 46,
    _zh(R.LEGAL_BASIS): 40,
    "处置方式": 10,
    "核查人": 10,
    "核查日期": 12,
    "核查情况": 30,
    "处置意见": 24,
}


# --------------------------------------------------------------------------- city outputs


def _ordered(ents: pd.DataFrame) -> pd.DataFrame:
    severity = {code: i for i, code in enumerate(R.DISPOSITIONS)}
    keys = pd.DataFrame(
        {
            "c": ents.get(R.COUNTY_CODE, pd.Series(index=ents.index, dtype="str")),
            "n": ents.get(R.COUNTY),
            "s": ents[R.DISPOSITION].map(severity),
            "e": ents.get(R.NAME),
        },
        index=ents.index,
    )
    return ents.loc[keys.sort_values(["c", "n", "s", "e"], na_position="last", kind="stable").index]


def public_list(result: R.ScreenResult | str | os.PathLike) -> pd.DataFrame:
    """公示名单: flagged enterprises' name, USCC, county, standards, disposition, legal basis; nothing internal."""
    ents = load_result(result).enterprises
    flagged = _ordered(ents[flagged_mask(ents)])
    return pd.DataFrame(
        {
            "序号": np.arange(1, len(flagged) + 1),
            _zh(R.NAME): flagged[R.NAME].to_numpy(),
            _zh(R.ENTERPRISE_ID): flagged[R.ENTERPRISE_ID].to_numpy(),
            _zh(R.COUNTY): flagged[R.COUNTY].fillna(UNKNOWN).to_numpy(),
            "触及标准": standards_zh(flagged[R.STANDARDS_HIT]).to_numpy(),
            "处置方式": _disposition_zh(flagged).to_numpy(),
            _zh(R.LEGAL_BASIS): flagged[R.LEGAL_BASIS].to_numpy(),
        }
    )


def _list_frame(ents: pd.DataFrame) -> pd.DataFrame:
    ents = _ordered(ents)
    out = pd.DataFrame(
        {
            "序号": np.arange(1, len(ents) + 1),
            _zh(R.COUNTY): ents[R.COUNTY].fillna(UNKNOWN).to_numpy(),
            _zh(R.NAME): ents[R.NAME].to_numpy(),
            _zh(R.ENTERPRISE_ID): ents[R.ENTERPRISE_ID].to_numpy(),
            _zh(R.INDUSTRY): ents.get(R.INDUSTRY, pd.Series(index=ents.index, dtype="str")).to_numpy(),
            "触及标准": standards_zh(ents[R.STANDARDS_HIT]).to_numpy(),
            "处置方式": _disposition_zh(ents).to_numpy(),
            _zh(R.LEGAL_BASIS): ents[R.LEGAL_BASIS].to_numpy(),
        }
    )
    for c in ("设备（生产线）", "产能", "完成情况"):
        out[c] = pd.Series([None] * len(out), dtype="str")
    return out


def county_standard_counts(ents: pd.DataFrame) -> pd.DataFrame:
    """Per county: enterprises screened, flagged, and flagged per standard; a 合计 row last."""
    county = ents[R.COUNTY].fillna(UNKNOWN).astype("str").reset_index(drop=True)
    flagged = flagged_mask(ents)
    std = ents[R.STANDARDS_HIT].astype("str").reset_index(drop=True)[flagged].str.split(";").explode()
    std = std[std != ""]
    table = pd.crosstab(county[std.index].to_numpy(), std.to_numpy())
    table = table.reindex(
        columns=[s for s in R.STANDARDS if s in table.columns] + sorted(set(table.columns) - set(R.STANDARDS))
    )
    table.columns = [standard_label(s) for s in table.columns]
    base = pd.DataFrame({"登记企业数": county.value_counts(), "触及企业数": county[flagged].value_counts()})
    table = base.join(table).fillna(0).astype("int64").sort_index()
    table.loc["合计"] = table.sum()
    return table.rename_axis(_zh(R.COUNTY)).reset_index()


def _standard_labels(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(standard=table["standard"].astype("str").map(lambda v: standard_label(v)))


def city_outputs(result: R.ScreenResult | str | os.PathLike, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``汇总.xlsx`` (counts and the yearly-report lists), ``公示名单.xlsx`` and ``公示名单.csv``."""
    res = load_result(result)
    ents, out = res.enterprises, Path(out_dir)
    flagged = ents[flagged_mask(ents)]

    def hit(s: str):
        return (flagged[R.std_column(s)] == R.HIT) if R.std_column(s) in flagged else False

    sheets = {
        "区县×标准": county_standard_counts(ents),
        "区县×处置": disposition_by_county(ents),
        "区县×标准×处置": _standard_labels(summary_by_county(ents, res.hits)).rename(
            columns={**R.LABELS_ZH, R.DISPOSITION_ZH: "处置方式", "count": "企业数"}
        ),
        **{name: _list_frame(flagged[flagged[R.DISPOSITION].isin(codes)]) for name, (codes, _) in REPORT_LISTS.items()},
        EMISSION_LIST: _list_frame(flagged[hit("6") | hit("violation")]),
    }
    m = res.manifest
    notes = "\n".join(
        [
            f"{m.get('rules', {}).get('name', '利用综合标准依法依规推动落后产能退出')} 筛查汇总",
            (
                f"规则：{m.get('rules', {}).get('document', '通政办发〔2017〕179号')}；输入：{m.get('input', {}).get('path', '')}；"
                f"工具 geo_screen {m.get('version', '')}；运行 {m.get('started', '')} 至 {m.get('finished', '')}"
            ),
            f"登记企业 {len(ents)} 家，触及标准 {len(flagged)} 家。以下名单为筛查结果（拟处置），经现场核实、主管部门认定后方可上报或公布。",
            (
                "区县×标准：每家企业在其触及的每项标准下各计一次；区县×处置：按综合处置方式；"
                "区县×标准×处置：按该标准证据的处置方式。"
            ),
            *(
                f"{name}：综合处置为 {'、'.join(R.DISPOSITIONS[c] for c in codes)}；对应 {what}"
                for name, (codes, what) in REPORT_LISTS.items()
            ),
            f"{EMISSION_LIST}：触及标准6（排放或能耗不达标）或严重环境违法；对应三（四）、附件3第18项“超标排放以及情节严重的企业名单”",
            "“设备（生产线）”“产能”“完成情况”列供各地填报（附件3第16-17项），本工具不掌握这些数据。",
        ]
    )
    write_workbook(out / "汇总.xlsx", sheets, notes={"说明": notes}, landscape=True)
    public = public_list(res)
    title = f"触及综合标准企业名单（{len(public)} 家；筛查结果，经核实后公布）"
    write_workbook(out / "公示名单.xlsx", {"公示名单": public}, notes={"公示名单": title}, landscape=True)
    write_csv(out / "公示名单.csv", public)
    return [out / "汇总.xlsx", out / "公示名单.xlsx", out / "公示名单.csv"]
