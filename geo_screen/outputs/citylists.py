"""The city's tables: the summary workbook (汇总.xlsx) and the public disclosure list (公示名单).

What the regulation asks the city to report and publish (通政办发〔2017〕179号 三（三）/（四）, Annex 3 items
15-18): counts per county and standard, and the lists of enterprises by proposed disposition. The list
definitions (sheet names, dispositions) are :data:`geo_screen.vocabulary.CITY_LISTS`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.outputs.evidence import disposition_text, standards_zh
from geo_screen.outputs.sheets import write_csv, write_workbook
from geo_screen.outputs.workbook import disposition_by_county, summary_by_county
from geo_screen.vocabulary import (
    CITY_LISTS,
    COLUMN_ZH,
    DISPOSITION_ZH,
    EMISSION_LIST,
    MISSING_ZH,
    column_label,
    standard_label,
)

#: the public disclosure list's sheet and file name
PUBLIC_LIST = "公示名单"


def public_list_title(n: int) -> str:
    """The note above the public list of ``n`` enterprises (it is a screening result until verified)."""
    return f"触及综合标准企业名单（{n} 家；筛查结果，经核实后公布）"


def _ordered(ents: pd.DataFrame) -> pd.DataFrame:
    """Rows by county (code, then name), disposition severity, then enterprise name."""
    severity = {code: i for i, code in enumerate(DISPOSITION_ZH)}
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
    """公示名单: flagged enterprises' name, USCC, county, standards, disposition, legal basis; nothing internal.

    Parameters
    ----------
    result
        A run, or its ``results.gpkg`` (or folder).

    Returns
    -------
    pandas.DataFrame
        One row per flagged enterprise, by county, disposition severity and name, with Chinese headers.
    """
    ents = R.load_result(result).enterprises
    flagged = _ordered(ents[R.flagged_mask(ents)])
    return pd.DataFrame(
        {
            "序号": np.arange(1, len(flagged) + 1),
            column_label(R.NAME): flagged[R.NAME].to_numpy(),
            column_label(R.ENTERPRISE_ID): flagged[R.ENTERPRISE_ID].to_numpy(),
            column_label(R.COUNTY): flagged[R.COUNTY].fillna(MISSING_ZH).to_numpy(),
            column_label(R.STANDARDS_HIT): standards_zh(flagged[R.STANDARDS_HIT]).to_numpy(),
            column_label(R.DISPOSITION_ZH): disposition_text(flagged).to_numpy(),
            column_label(R.LEGAL_BASIS): flagged[R.LEGAL_BASIS].to_numpy(),
        }
    )


def _list_frame(ents: pd.DataFrame) -> pd.DataFrame:
    ents = _ordered(ents)
    out = pd.DataFrame(
        {
            "序号": np.arange(1, len(ents) + 1),
            column_label(R.COUNTY): ents[R.COUNTY].fillna(MISSING_ZH).to_numpy(),
            column_label(R.NAME): ents[R.NAME].to_numpy(),
            column_label(R.ENTERPRISE_ID): ents[R.ENTERPRISE_ID].to_numpy(),
            column_label(R.INDUSTRY): ents.get(R.INDUSTRY, pd.Series(index=ents.index, dtype="str")).to_numpy(),
            column_label(R.STANDARDS_HIT): standards_zh(ents[R.STANDARDS_HIT]).to_numpy(),
            column_label(R.DISPOSITION_ZH): disposition_text(ents).to_numpy(),
            column_label(R.LEGAL_BASIS): ents[R.LEGAL_BASIS].to_numpy(),
        }
    )
    for c in ("设备（生产线）", "产能", "完成情况"):
        out[c] = pd.Series([None] * len(out), dtype="str")
    return out


def county_standard_counts(ents: pd.DataFrame) -> pd.DataFrame:
    """Per county: enterprises screened, flagged, and flagged per standard; a 合计 row last.

    Parameters
    ----------
    ents
        Enterprise rows of a run.

    Returns
    -------
    pandas.DataFrame
        ``县（市、区）``, ``登记企业数``, ``触及企业数`` and one column per standard hit (``标准3`` ...).
    """
    county = ents[R.COUNTY].fillna(MISSING_ZH).astype("str").reset_index(drop=True)
    flagged = R.flagged_mask(ents)
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
    return table.rename_axis(column_label(R.COUNTY)).reset_index()


def city_outputs(result: R.ScreenResult | str | os.PathLike, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``汇总.xlsx`` (counts and the yearly-report lists), ``公示名单.xlsx`` and ``公示名单.csv``.

    Parameters
    ----------
    result
        A run, or its ``results.gpkg`` (or folder).
    out_dir
        Existing folder to write the three files into.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    res = R.load_result(result)
    ents, out = res.enterprises, Path(out_dir)
    flagged = ents[R.flagged_mask(ents)]

    by_standard = summary_by_county(ents, res.hits)

    def hit(s: str):
        return (flagged[R.std_column(s)] == R.HIT) if R.std_column(s) in flagged else False

    sheets = {
        "区县×标准": county_standard_counts(ents),
        "区县×处置": disposition_by_county(ents),
        "区县×标准×处置": by_standard.assign(standard=by_standard["standard"].astype("str").map(standard_label)).rename(
            columns={**COLUMN_ZH, "count": "企业数"}
        ),
        **{lst.sheet: _list_frame(flagged[flagged[R.DISPOSITION].isin(lst.dispositions)]) for lst in CITY_LISTS},
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
                f"{lst.sheet}：综合处置为 {'、'.join(DISPOSITION_ZH[c] for c in lst.dispositions)}；对应 {lst.asks}"
                for lst in CITY_LISTS
            ),
            (
                f"{EMISSION_LIST}：触及{standard_label('6', form='topic')}或{standard_label('violation')}；"
                "对应三（四）、附件3第18项“超标排放以及情节严重的企业名单”"
            ),
            "“设备（生产线）”“产能”“完成情况”列供各地填报（附件3第16-17项），本工具不掌握这些数据。",
        ]
    )
    write_workbook(out / "汇总.xlsx", sheets, notes={"说明": notes}, landscape=True)
    public = public_list(res)
    title = {PUBLIC_LIST: public_list_title(len(public))}
    write_workbook(out / f"{PUBLIC_LIST}.xlsx", {PUBLIC_LIST: public}, notes=title, landscape=True)
    write_csv(out / f"{PUBLIC_LIST}.csv", public)
    return [out / "汇总.xlsx", out / f"{PUBLIC_LIST}.xlsx", out / f"{PUBLIC_LIST}.csv"]
