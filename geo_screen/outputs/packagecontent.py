"""What a county package holds besides its layers: its tables prepared for the DBF, the field dictionary,
the checklist workbook and the README text (the zips are written by :mod:`geo_screen.outputs.packages`)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geo_screen import results as R
from geo_screen.outputs.checklist import (
    CHECK_WIDTHS,
    CHECKLIST_SHEET,
    DECISION_CHOICES,
    DECISION_HEADER,
    PENDING_SHEET,
    VERDICT,
    VERDICTS,
    checklist_frame,
    pending_frame,
)
from geo_screen.outputs.dbf import MAX_TEXT_BYTES, dbf_frame, field_dictionary, short_names
from geo_screen.outputs.packagefill import GPKG_FILL_FIELDS
from geo_screen.outputs.provenance import illustrative_stamp, local_time, stamped
from geo_screen.outputs.sheets import write_workbook
from geo_screen.outputs.workbook import input_coordinate_headers
from geo_screen.vocabulary import INPUT_COORDINATE_MEANING, INPUT_SYSTEMS, NOT_ASSESSED_HEADER, RESULT_ZH


@dataclass
class Prepared:
    """A package's tables converted for the DBF (vectorised), aligned by input row."""

    ents: gpd.GeoDataFrame
    hits: gpd.GeoDataFrame
    ent_dbf: pd.DataFrame
    hit_dbf: pd.DataFrame
    changes: pd.DataFrame
    dictionary: pd.DataFrame
    #: the group's enterprises not assessed overall (the checklist's 待补充资料 sheet)
    pending: pd.DataFrame = field(default_factory=pd.DataFrame)


def _input_coordinates(manifest: dict) -> dict[str, tuple[str, str]]:
    """The registry's coordinate columns -> (header naming their system, meaning) for 字段说明.csv."""
    system = (manifest or {}).get("input", {}).get("crs") or (manifest or {}).get("crs", {}).get("input")
    name = INPUT_SYSTEMS.get(system or "", system or "坐标系未知")
    return {
        column: (label, INPUT_COORDINATE_MEANING.format(system=name))
        for column, label in input_coordinate_headers(manifest or {}).items()
    }


def prepare(ents: gpd.GeoDataFrame, hits: gpd.GeoDataFrame, enc, manifest: dict | None = None) -> Prepared:
    """The export's enterprises and hits as DBF tables (short names, text fitted to ``enc``), converted once.

    Parameters
    ----------
    ents, hits
        The enterprises and their evidence rows to package.
    enc
        The shapefile encoding (:func:`geo_screen.outputs.dbf.resolve_encoding`).
    manifest
        The run's ``run.json``: names the system of the registry's own coordinate columns in 字段说明.csv.

    Returns
    -------
    Prepared
        The tables, every text value cut or replaced (``changes``) and the field dictionary.
    """
    ent_names = short_names(ents.columns)
    hit_names = short_names([c for c in hits.columns if c in R.HIT_COLUMNS] or R.HIT_COLUMNS)
    ent_dbf, ent_changes = dbf_frame(pd.DataFrame(ents.drop(columns="geometry")), encoding=enc, names=ent_names)
    hit_dbf, hit_changes = dbf_frame(
        pd.DataFrame(hits.drop(columns="geometry", errors="ignore")), encoding=enc, names=hit_names
    )
    ent_changes["table"], hit_changes["table"] = "企业", "依据"
    ent_changes["standard"] = None
    hit_changes["standard"] = hits["standard"].to_numpy()[hit_changes["row"].to_numpy(dtype=int)]
    for changes, frame in ((ent_changes, ents), (hit_changes, hits)):
        for col in (R.INPUT_ROW, R.ENTERPRISE_ID):
            changes[col] = frame[col].to_numpy()[changes["row"].to_numpy(dtype=int)] if col in frame else None
    names = {**ent_names, **{c: s for c, s in hit_names.items() if c not in ent_names}}
    files = {c: "、".join(f for f, n in (("点/面", ent_names), ("依据", hit_names)) if c in n) for c in names}
    return Prepared(
        ents,
        hits,
        ent_dbf,
        hit_dbf,
        pd.concat([ent_changes, hit_changes], ignore_index=True),
        field_dictionary(names, files=files, inputs=_input_coordinates(manifest)),
    )


def checklist_bytes(prep: Prepared, label: str, manifest: dict) -> bytes:
    """The package's 现场核查表.xlsx: the flagged enterprises to check on site and the 待补充资料 sheet."""
    table = checklist_frame(prep.ents, prep.hits, run_id=manifest.get("run_id"))
    pending = pending_frame(prep.pending) if len(prep.pending) else pending_frame(prep.ents.iloc[:0])
    stamp = illustrative_stamp(manifest)
    made = f"生成于 {local_time()}；坐标为 CGCS2000 经纬度（已去除高德/百度偏移），现场定位请用此坐标"
    head = f"【{stamp}】" if stamp else ""
    buf = io.BytesIO()
    write_workbook(
        buf,
        {CHECKLIST_SHEET: table, PENDING_SHEET: pending},
        landscape=True,
        widths={CHECKLIST_SHEET: CHECK_WIDTHS, PENDING_SHEET: CHECK_WIDTHS},
        notes={
            CHECKLIST_SHEET: (
                f"{head}{label} 现场核查表（{len(table)} 家触及标准的企业）。“初筛建议”是筛查提出的建议，"
                f"不是处置决定，以现场核实和有批准权的人民政府批准为准。{made}"
            ),
            PENDING_SHEET: (
                f"{head}{label} 待补充资料（{len(pending)} 家企业{RESULT_ZH[R.CLEAR]}标准，但有标准因缺少数据"
                f"{RESULT_ZH[R.NOT_ASSESSED]}，而{RESULT_ZH[R.NOT_ASSESSED]}不等于符合）。补齐资料后重新筛查。{made}"
            ),
        },
        title=stamped(f"{label} 现场核查表", manifest),
        page_header=f"{stamp}　" + f"{label} 现场核查表" if stamp else None,
        choices={CHECKLIST_SHEET: {VERDICT: VERDICTS, DECISION_HEADER: DECISION_CHOICES}},
    )
    return buf.getvalue()


def _member_notes(stem: str, members: list[str]) -> list[tuple[str, str]]:
    notes = {
        f"{stem}_点.shp": "全部企业的点位；有厂区范围的取范围内的代表点，无有效位置的为空几何",
        f"{stem}_面.shp": "有厂区范围的企业的范围面",
        f"{stem}_依据.dbf": "触及证据（无几何的表），用 USCC / INPUT_ROW 与点位关联",
        f"{stem}.gpkg": (
            "同一数据，完整字段名、文本不截断（图层 enterprises / hits）；enterprises 图层带留空的"
            + "、".join(GPKG_FILL_FIELDS)
            + "字段，可在 QGIS 中填写后用 geo-screen verify 导入台账"
        ),
        "现场核查表.xlsx": (
            f"{CHECKLIST_SHEET}：每家触及标准企业一行（CGCS2000 坐标、证据、初筛建议、{NOT_ASSESSED_HEADER}），"
            "核查结论（下拉选择）、核查情况说明、核查人、日期、企业确认（签字）留空待填；"
            f"{PENDING_SHEET}：{RESULT_ZH[R.NOT_ASSESSED]}的企业及所缺资料"
        ),
        "字段说明.csv": "短字段名、完整字段名、中文名称、含义对照",
        "README.txt": "本说明",
    }
    return [(m, notes[m]) for m in [*members, "字段说明.csv", "README.txt"] if m in notes]


def readme_text(prep: Prepared, *, stem, label, by, only, enc, manifest, members) -> str:
    """The package's README.txt: what it holds, the run's provenance and every text value cut or replaced."""
    n_flag = int(R.flagged_mask(prep.ents).sum())
    stamp = illustrative_stamp(manifest)
    lines = [
        *([f"【{stamp}】本数据包所用图层含示意数据，不得用于决策", ""] if stamp else []),
        f"geo_screen 现场核查数据包：{label}",
        f"生成时间：{local_time()}",
        "",
        f"分组 by={by}；范围 only={only}（{'仅触及标准的企业' if only == 'flagged' else '全部企业'}）",
        f"企业 {len(prep.ents)} 家（触及标准 {n_flag} 家）；证据 {len(prep.hits)} 条",
        "坐标系：CGCS2000 经纬度（EPSG:4490），见 .prj；LON/LAT 为筛查采用的位置（已去除高德/百度偏移），",
        "登记表原坐标保留在其原有字段中（见 字段说明.csv），仅供对照，现场定位请用 LON/LAT",
        f"编码：{enc.name}（.cpg 写 {enc.cpg}" + (f"；DBF 语言驱动字节 0x{enc.ldid:02X}" if enc.ldid else "") + "）",
        "",
        "文件：",
        *(f"  {name}  {what}" for name, what in _member_notes(stem, members)),
        "",
        f"DBF 限制：字段名不超过 10 字节（用短字段名），文本不超过 {MAX_TEXT_BYTES} 字节（超出部分在字符边界截断），",
        "编码无法表示的字符替换为“?”。以下列出每一处；完整原值见 .gpkg、现场核查表.xlsx 或 results.gpkg。",
        "",
        "筛查运行信息（run.json）：",
        *(f"  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in manifest.items()),
        "",
        f"截断或替换的文本值：{len(prep.changes)} 处",
    ]
    for ch in prep.changes.itertuples(index=False):
        what = []
        if "replaced" in ch.kind:
            what.append(f"字符 {ch.replaced_chars} 无法用 {enc.name} 表示，替换为“?”")
        if "truncated" in ch.kind:
            what.append(
                f"原 {len(str(ch.original).encode(enc.codec, errors='replace'))} 字节，"
                f"在字符边界截断到 {MAX_TEXT_BYTES} 字节以内"
            )
        std = f" 标准{ch.standard}证据" if isinstance(ch.standard, str) else ""
        lines += [
            (
                f"  - {ch.table}表 原表第{getattr(ch, R.INPUT_ROW)}行 USCC {getattr(ch, R.ENTERPRISE_ID)}{std} "
                f"字段 {ch.field}（{ch.column}）：{'；'.join(what)}"
            ),
            f"      原值：{ch.original}",
            f"      写入：{ch.written}",
        ]
    return "\n".join(lines) + "\n"
