"""The city's tables: the summary workbook (汇总.xlsx) and the internal list of proposals (内部初筛名单).

What the regulation asks the city to report and publish (通政办发〔2017〕179号 三（三）/（四）, Annex 3 items
15-18): counts per county and standard, and the lists of enterprises by proposed disposition. The list
definitions (sheet names, dispositions) are :data:`geo_screen.vocabulary.CITY_LISTS`.

A screening only proposes; the seed publishes lists "经相关部门核实后" (三（四）). So the flagged
enterprises' list is :data:`INTERNAL_LIST`, ``内部初筛名单（未经核实，不得公开）``: its file and sheet are named
so, its title says so and every printed page carries the line, and the names of individual businesses
(个体工商户, whose names are people's names) are masked as ``张**``. Publishing waits for the verified
decisions.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.outputs.checklist import PROPOSAL_HEADER, STANDARDS_HEADER, column_values, standards_text
from geo_screen.outputs.csvfile import write_csv
from geo_screen.outputs.evidence import disposition_text, standards_zh
from geo_screen.outputs.provenance import illustrative_stamp, local_time, stamped
from geo_screen.outputs.sheets import write_workbook
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

#: the internal list's file, sheet and every page's header: screening proposals, not verified, not to publish
INTERNAL_LIST = "内部初筛名单（未经核实，不得公开）"
#: USCC type of an individual business (个体工商户): registering authority 9, type 2 (GB 32100-2015)
_INDIVIDUAL_USCC = "92"
_INDIVIDUAL_MARK = re.compile(r"[（(]?个体(?:工商户|户|经营)?[)）]?")
_BARE_PERSON = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")  # a name of 2-4 Chinese characters and nothing else
#: words a business's name holds and a person's does not (红星砖厂, 东方酒店: four characters, not a person)
_BUSINESS_WORD = re.compile(r"公司|厂|店|场|站|社|馆|部|所|矿|坊|中心|商行")
#: the enterprise columns the city's lists read (汇总.xlsx and 内部初筛名单: counts, lists, their order)
CITY_COLUMNS = (
    R.ENTERPRISE_ID,
    R.NAME,
    R.INDUSTRY,
    "lon",
    "lat",
    R.INPUT_ROW,
    R.COUNTY,
    R.COUNTY_CODE,
    R.std_column("6"),
    R.std_column("violation"),
    R.STANDARDS_HIT,
    R.DISPOSITION,
    R.DISPOSITION_ZH,
    R.LEGAL_BASIS,
    R.ESCALATION,
)
#: the evidence columns the city's counts read (区县×标准×处置)
CITY_HIT_COLUMNS = (R.INPUT_ROW, "standard", R.DISPOSITION)


def mask_individual_names(names: pd.Series, ids: pd.Series) -> pd.Series:
    """Names of individual businesses (个体工商户) masked as ``张**``; enterprises' names unchanged.

    An individual business is one whose USCC starts with ``92`` (GB 32100-2015: 9 market regulation,
    2 individual business), whose name says 个体, or whose name is only a person's name (2-4 Chinese
    characters, no 公司/厂/店...). Its name is the operator's: only the first character is kept.

    Examples
    --------
    >>> import pandas as pd
    >>> mask_individual_names(pd.Series(["张小明", "红星砖厂"]), pd.Series(["92320612MA1X00001Q", "91"])).tolist()
    ['张**', '红星砖厂']
    """
    text = names.astype("object")
    is_text = text.map(lambda v: isinstance(v, str))
    ids = ids.astype("object").map(lambda v: v if isinstance(v, str) else "")
    individual = is_text & (
        ids.str.startswith(_INDIVIDUAL_USCC)
        | text.where(is_text, "").str.contains(_INDIVIDUAL_MARK)
        | (text.where(is_text, "").str.match(_BARE_PERSON) & ~text.where(is_text, "").str.contains(_BUSINESS_WORD))
    )
    bare = text[individual].str.replace(_INDIVIDUAL_MARK, "", regex=True).str.strip()
    return text.where(~individual, bare.str.slice(0, 1) + "**")


def internal_list_title(n: int, manifest: dict | None = None) -> str:
    """The line above the internal list of ``n`` enterprises: what it is, that it is unverified, when it was made."""
    stamp = illustrative_stamp(manifest or {})
    return (
        f"{INTERNAL_LIST}：触及综合标准的企业 {n} 家（筛查提出的初筛建议，不是处置决定；"
        f"依通政办发〔2017〕179号 三（四），名单经相关部门核实后方可公布）。"
        f"个体工商户名称已隐去。生成于 {local_time()}" + (f"。{stamp}" if stamp else "")
    )


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


def internal_list(result: R.ScreenResult | str | os.PathLike) -> pd.DataFrame:
    """内部初筛名单: flagged enterprises' name (individuals masked), USCC, county, screened CGCS2000 location,
    standards as the seed numbers them, the proposal and every legal basis.

    Parameters
    ----------
    result
        A run, or its ``results.gpkg`` (or folder).

    Returns
    -------
    pandas.DataFrame
        One row per flagged enterprise, by county, disposition severity and name, with Chinese headers;
        ``逾期处置`` when the run gives what follows a failed rectification.
    """
    return _internal_table(*_flagged_in_order(R.load_result(result).enterprises))


def _flagged_in_order(ents: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The flagged enterprises in the lists' order (:func:`_ordered`) and their names as the lists print them
    (individual businesses masked); every list is rows of these, in this order."""
    flagged = _ordered(ents[R.flagged_mask(ents)])
    return flagged, mask_individual_names(flagged[R.NAME], flagged[R.ENTERPRISE_ID]).to_numpy()


def _internal_table(flagged: pd.DataFrame, names: np.ndarray) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "序号": np.arange(1, len(flagged) + 1),
            column_label(R.NAME): names,
            column_label(R.ENTERPRISE_ID): column_values(flagged[R.ENTERPRISE_ID]),
            column_label(R.COUNTY): column_values(flagged[R.COUNTY].fillna(MISSING_ZH)),
            column_label("lon"): np.round(flagged["lon"].to_numpy(dtype=float), 6),
            column_label("lat"): np.round(flagged["lat"].to_numpy(dtype=float), 6),
            STANDARDS_HEADER: column_values(standards_text(flagged[R.STANDARDS_HIT])),
            PROPOSAL_HEADER: column_values(disposition_text(flagged)),
        }
    )
    if "escalation" in flagged.columns:
        out["逾期处置"] = column_values(flagged["escalation"].map(DISPOSITION_ZH).fillna(""))
    out[column_label(R.LEGAL_BASIS)] = column_values(flagged[R.LEGAL_BASIS])
    return out


def write_internal_list(table: pd.DataFrame, target, *, title: str, manifest: dict) -> None:
    """Write :func:`internal_list`'s table as ``内部初筛名单（未经核实，不得公开）.xlsx`` (a path or a binary stream):
    the title line above it, :data:`INTERNAL_LIST` at the top of every printed page."""
    write_workbook(
        target,
        {INTERNAL_LIST: table},
        notes={INTERNAL_LIST: title},
        landscape=True,
        title=stamped(INTERNAL_LIST, manifest),
        page_header=INTERNAL_LIST,
    )


def internal_list_bytes(result: R.ScreenResult | str | os.PathLike) -> bytes:
    """The internal list of a run as xlsx bytes (for a download button)."""
    import io

    res = R.load_result(result)
    table = internal_list(res)
    buf = io.BytesIO()
    write_internal_list(table, buf, title=internal_list_title(len(table), res.manifest), manifest=res.manifest)
    return buf.getvalue()


def _list_frame(flagged: pd.DataFrame, names: np.ndarray, rows) -> pd.DataFrame:
    """The yearly report's list of ``rows`` (a mask) of :func:`_flagged_in_order`'s enterprises and names."""
    rows = np.broadcast_to(np.asarray(rows, dtype=bool), len(flagged))
    ents = flagged[rows]
    out = pd.DataFrame(
        {
            "序号": np.arange(1, len(ents) + 1),
            column_label(R.COUNTY): column_values(ents[R.COUNTY].fillna(MISSING_ZH)),
            column_label(R.NAME): names[rows],
            column_label(R.ENTERPRISE_ID): column_values(ents[R.ENTERPRISE_ID]),
            column_label(R.INDUSTRY): column_values(ents.get(R.INDUSTRY, pd.Series(index=ents.index, dtype="str"))),
            column_label(R.STANDARDS_HIT): column_values(standards_zh(ents[R.STANDARDS_HIT])),
            column_label(R.DISPOSITION_ZH): column_values(disposition_text(ents)),
            column_label(R.LEGAL_BASIS): column_values(ents[R.LEGAL_BASIS]),
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
    """Write ``汇总.xlsx`` (counts and the yearly-report lists) and the internal list as xlsx and csv.

    Every page of both workbooks is headed :data:`INTERNAL_LIST`; the csv's first line says it.

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
    return write_city_outputs(res.enterprises, res.hits, res.manifest, out_dir)


def write_city_outputs(
    ents: pd.DataFrame, hits: pd.DataFrame, manifest: dict, out_dir: str | os.PathLike
) -> list[Path]:
    """:func:`city_outputs` of a run's enterprises (every row; :data:`CITY_COLUMNS` suffice), evidence rows
    (:data:`CITY_HIT_COLUMNS` suffice) and ``run.json``."""
    out = Path(out_dir)
    flagged, names = _flagged_in_order(ents)

    by_standard = summary_by_county(ents, hits)

    def hit(s: str):
        return (flagged[R.std_column(s)] == R.HIT) if R.std_column(s) in flagged else False

    sheets = {
        "区县×标准": county_standard_counts(ents),
        "区县×处置": disposition_by_county(ents),
        "区县×标准×处置": by_standard.assign(standard=by_standard["standard"].astype("str").map(standard_label)).rename(
            columns={**COLUMN_ZH, "count": "企业数"}
        ),
        **{lst.sheet: _list_frame(flagged, names, flagged[R.DISPOSITION].isin(lst.dispositions)) for lst in CITY_LISTS},
        EMISSION_LIST: _list_frame(flagged, names, hit("6") | hit("violation")),
    }
    m = manifest
    notes = "\n".join(
        [
            f"{m.get('rules', {}).get('name', '利用综合标准依法依规推动落后产能退出')} 筛查汇总",
            (
                f"规则：{m.get('rules', {}).get('document', '通政办发〔2017〕179号')}；"
                f"输入：{m.get('input', {}).get('path', '')}；"
                f"工具 geo_screen {m.get('version', '')}；运行 {local_time(m['started']) if m.get('started') else ''}"
                f" 至 {local_time(m['finished']) if m.get('finished') else ''}"
            ),
            *(
                [f"{illustrative_stamp(m)}：本次筛查所用图层含示意数据，不得用于决策。"]
                if illustrative_stamp(m)
                else []
            ),
            f"生成于 {local_time()}；运行时间为北京时间。",
            f"登记企业 {len(ents)} 家，触及标准 {len(flagged)} 家。以下名单为筛查结果（初筛建议），"
            "经现场核实、主管部门认定后方可上报或公布；个体工商户名称已隐去。",
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
    write_workbook(
        out / "汇总.xlsx",
        sheets,
        notes={"说明": notes},
        landscape=True,
        title=stamped("筛查汇总", m),
        page_header=INTERNAL_LIST,
    )
    del sheets, by_standard  # 汇总.xlsx is written: its lists' memory serves the internal list's
    table = _internal_table(flagged, names)
    title = internal_list_title(len(table), m)
    write_internal_list(table, out / f"{INTERNAL_LIST}.xlsx", title=title, manifest=m)
    write_csv(out / f"{INTERNAL_LIST}.csv", table, title=title)
    return [out / "汇总.xlsx", out / f"{INTERNAL_LIST}.xlsx", out / f"{INTERNAL_LIST}.csv"]
