"""County packages for on-site verification, from a screening run (the city's lists are in citylists.py).

:func:`export_packages` writes one zip per county (or industry, or standard) for
on-site verification; :func:`package_bytes` builds one of them in memory for the
app. The city's ``汇总.xlsx`` and public list are :mod:`geo_screen.outputs.citylists`.

A package ``<group>.zip`` holds

* ``<group>_点.shp`` (+ .shx .dbf .prj .cpg): **every** enterprise of the group as
  a point: its location, or for a site footprint a point guaranteed inside it
  (``representative_point``); rows without a usable location have a null shape,
  so the table stays complete and feature counts match the checklist;
* ``<group>_面.shp``: the footprints of the enterprises that have one (only when any do);
* ``<group>_依据.dbf`` (+ .cpg): the evidence rows (hits) of those enterprises, a
  table without geometry, joined to the points by ``USCC``/``INPUT_ROW``;
* ``字段说明.csv`` (short name, full name, Chinese label, meaning, file) and
  ``README.txt`` (the run's provenance and every cut or replaced text value);
* ``现场核查表.xlsx``: one row per flagged enterprise with the evidence and empty
  columns for the inspector; ``<group>.gpkg`` with full column names when asked.

Shapefiles are CGCS2000 (EPSG:4490) with field names and text per
:mod:`geo_screen.outputs.dbf`. An export is staged whole and committed with ``export.json`` (every file's
size and SHA-256, written last; the earlier export's files removed), so an export folder is one export.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors

from geo_screen import results as R
from geo_screen.errors import ExportError
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
from geo_screen.outputs.dbf import (
    ENCODINGS,
    MAX_TEXT_BYTES,
    dbf_frame,
    field_dictionary,
    fit_text,
    resolve_encoding,
    short_names,
    write_shapefile,
)
from geo_screen.outputs.provenance import LOCAL_TZ, illustrative_stamp, local_time, stamped
from geo_screen.outputs.sheets import write_csv, write_workbook
from geo_screen.outputs.staging import commit, staging_folder
from geo_screen.outputs.workbook import input_coordinate_headers
from geo_screen.records import checked_record
from geo_screen.results import OUTPUT_CRS
from geo_screen.vocabulary import (
    CHECK_COLUMNS,
    DECISION_COLUMNS,
    INPUT_COORDINATE_MEANING,
    INPUT_SYSTEMS,
    MISSING_ZH,
    RUN_ID_HEADER,
    standard_label,
)

GROUP_BY = ("county", "industry", "standard")
ONLY = ("flagged", "all")
FORMATS = ("shp", "xlsx", "gpkg")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
MAX_STEM_BYTES = 100
#: an export folder's commit record: every file of the export with its size and SHA-256, written last
EXPORT_RECORD = "export.json"
#: how to make a refused export folder whole again
REDO_EXPORT = "export again into this folder ('geo-screen export RESULTS --out FOLDER')"

Progress = Callable[[int, int, str], None]
_WRITE_ERRORS = (
    OSError,
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.GeometryError,
)


@dataclass
class ExportReport:
    """What :func:`export_packages` wrote: files, enterprises per group, every cut/replaced text value."""

    out_dir: Path
    by: str
    only: str
    encoding: str
    files: list[Path] = field(default_factory=list)
    city: list[Path] = field(default_factory=list)  #: the city's lists, when asked (``city=True``)
    rows: dict[str, int] = field(default_factory=dict)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> str:
        """One line for the command: packages written, rows, and text values changed to fit the DBF."""
        kinds = self.changes["kind"].value_counts().to_dict() if len(self.changes) else {}
        return (
            f"{len(self.files)} package(s) by {self.by} ({self.only}, {self.encoding}) in {self.out_dir}: "
            f"{sum(self.rows.values())} enterprise rows; text values changed: {kinds or 'none'}"
        )


# --------------------------------------------------------------------------- names and groups


def safe_file_stem(value: object) -> str:
    """A file name stem safe on Windows, macOS and Linux: no separators, '..', reserved or control names.

    Examples
    --------
    >>> safe_file_stem("港闸/旧区"), safe_file_stem("CON"), safe_file_stem(None)
    ('港闸_旧区', '_CON', '未知')
    """
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    # bidi overrides (U+202E) and other invisible format characters would make a name read as another one
    text = "".join(c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c) != "Cf")
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"_{2,}", "_", re.sub(r"\.{2,}", "_", re.sub(r"\s+", " ", text))).strip(" .")
    text = fit_text(text, encoding=ENCODINGS["UTF-8"], max_bytes=MAX_STEM_BYTES)[0].strip(" .")
    if not text.strip("_ "):
        return MISSING_ZH
    return "_" + text if text.split(".")[0].strip().upper() in _RESERVED else text


def _unique_stems(labels: Sequence[str]) -> list[str]:
    """Safe stems for ``labels``; names equal after sanitising (ignoring case) get _2, _3, ..."""
    used, out = set(), []
    for label in labels:
        base = stem = safe_file_stem(label)
        k = 2
        while stem.casefold() in used:
            stem, k = f"{base}_{k}", k + 1
        used.add(stem.casefold())
        out.append(stem)
    return out


def _group_positions(ents: pd.DataFrame, by: str) -> dict[str, np.ndarray]:
    """Group value -> row positions in ``ents``, in display order."""
    if by == "standard":
        exploded = ents[R.STANDARDS_HIT].fillna("").astype("str").reset_index(drop=True).str.split(";").explode()
        exploded = exploded[exploded.str.strip() != ""].str.strip()
        groups = {k: exploded.index[v].to_numpy() for k, v in exploded.groupby(exploded.to_numpy()).indices.items()}
        order = {s: i for i, s in enumerate(R.STANDARDS)}
        return dict(sorted(groups.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    column = {"county": R.COUNTY, "industry": R.INDUSTRY}[by]
    if column not in ents.columns:
        raise ExportError(
            f"by={by!r}: the results have no {column!r} column; group by one of "
            f"{[b for b in GROUP_BY if b != by]} or add the column to the registry"
        )
    key = ents[column].astype("str").str.strip()
    key = key.where(key.notna() & (key != ""), MISSING_ZH).reset_index(drop=True)
    return dict(sorted(key.groupby(key.to_numpy()).indices.items()))


def _pending_rows(ents: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """The group's enterprises not assessed overall (whatever ``only`` is): the checklist's 待补充资料."""
    pending = ents[(ents[R.DISPOSITION] == R.NOT_ASSESSED_DISPOSITION).to_numpy()]
    column = {"county": R.COUNTY, "industry": R.INDUSTRY}.get(by)
    if column is None or column not in pending.columns:  # by standard: they hit none
        return pending.iloc[:0]
    key = pending[column].astype("str").str.strip()
    key = key.where(key.notna() & (key != ""), MISSING_ZH)
    return pending[(key == value).to_numpy()]


def _label(by: str, value: str) -> str:
    return standard_label(value) if by == "standard" else value


def _check_options(by: str, only: str, formats: Sequence[str]) -> tuple[str, ...]:
    problems = []
    if by not in GROUP_BY:
        problems.append(f"by={by!r}; use one of {GROUP_BY}")
    if only not in ONLY:
        problems.append(f"only={only!r}; use one of {ONLY}")
    formats = tuple(formats)
    if not formats or set(formats) - set(FORMATS):
        problems.append(f"formats={formats!r}; use a non-empty subset of {FORMATS}")
    if by == "standard" and only == "all":
        problems.append(
            "by='standard' groups enterprises by the standards they hit, so only='all' has no meaning; "
            "use only='flagged'"
        )
    if problems:
        raise ExportError("cannot export packages: " + "; ".join(problems))
    return formats


# --------------------------------------------------------------------------- packages


@dataclass
class _Prepared:
    """An export's tables converted once (vectorised), aligned by input row, sliced per group."""

    ents: gpd.GeoDataFrame
    hits: gpd.GeoDataFrame
    ent_dbf: pd.DataFrame
    hit_dbf: pd.DataFrame
    changes: pd.DataFrame
    dictionary: pd.DataFrame
    #: the group's enterprises not assessed overall (the checklist's 待补充资料 sheet)
    pending: pd.DataFrame = field(default_factory=pd.DataFrame)

    def take(self, positions: np.ndarray, pending: pd.DataFrame | None = None) -> _Prepared:
        ents = self.ents.iloc[positions]
        rows = ents[R.INPUT_ROW]
        in_hits = self.hits[R.INPUT_ROW].isin(rows).to_numpy()
        return _Prepared(
            ents,
            self.hits[in_hits],
            self.ent_dbf.iloc[positions],
            self.hit_dbf[in_hits],
            self.changes[self.changes[R.INPUT_ROW].isin(rows)],
            self.dictionary,
            self.pending if pending is None else pending,
        )


def _input_coordinates(manifest: dict) -> dict[str, tuple[str, str]]:
    """The registry's coordinate columns -> (header naming their system, meaning) for 字段说明.csv."""
    system = (manifest or {}).get("input", {}).get("crs") or (manifest or {}).get("crs", {}).get("input")
    name = INPUT_SYSTEMS.get(system or "", system or "坐标系未知")
    return {
        column: (label, INPUT_COORDINATE_MEANING.format(system=name))
        for column, label in input_coordinate_headers(manifest or {}).items()
    }


def _prepare(ents: gpd.GeoDataFrame, hits: gpd.GeoDataFrame, enc, manifest: dict | None = None) -> _Prepared:
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
    return _Prepared(
        ents,
        hits,
        ent_dbf,
        hit_dbf,
        pd.concat([ent_changes, hit_changes], ignore_index=True),
        field_dictionary(names, files=files, inputs=_input_coordinates(manifest)),
    )


def _points_and_footprints(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Point per row (footprints -> representative point inside them; none -> null) and the footprint mask."""
    usable = (geoms.notna() & ~geoms.is_empty).to_numpy()
    kind = geoms.geom_type.to_numpy()
    footprint = usable & np.isin(kind, ["Polygon", "MultiPolygon"])
    points = np.where(usable & (kind == "Point"), geoms.to_numpy(), None)
    other = usable & (kind != "Point")
    points[other] = geoms[other].representative_point().to_numpy()
    return points, footprint


def _write_package(
    zf: zipfile.ZipFile,
    prep: _Prepared,
    work: Path,
    *,
    stem: str,
    label: str,
    by: str,
    only: str,
    formats: Sequence[str],
    enc,
    manifest: dict,
) -> None:
    files: list[Path] = []
    if "shp" in formats:
        points, footprint = _points_and_footprints(prep.ents.geometry)
        attrs = prep.ent_dbf.reset_index(drop=True)
        files += write_shapefile(
            gpd.GeoDataFrame(attrs, geometry=list(points), crs=OUTPUT_CRS),
            work / f"{stem}_点.shp",
            encoding=enc,
            geometry_type="Point",
        )
        if footprint.any():
            polys = gpd.GeoDataFrame(
                attrs[footprint], geometry=prep.ents.geometry.to_numpy()[footprint], crs=OUTPUT_CRS
            )
            files += write_shapefile(polys, work / f"{stem}_面.shp", encoding=enc, geometry_type="Polygon")
        files += write_shapefile(prep.hit_dbf.reset_index(drop=True), work / f"{stem}_依据.dbf", encoding=enc)
    if "gpkg" in formats:
        gpkg = work / f"{stem}.gpkg"
        ents = _with_fields_to_fill(prep.ents, manifest.get("run_id"))
        pyogrio.write_dataframe(ents, gpkg, layer=R.ENTERPRISES_LAYER, driver="GPKG")
        pyogrio.write_dataframe(prep.hits, gpkg, layer=R.HITS_LAYER, driver="GPKG")
        files.append(gpkg)
    for path in files:
        zf.write(path, arcname=path.name)
    if "xlsx" in formats:
        _add(zf, "现场核查表.xlsx", _checklist_bytes(prep, label, manifest))
    buf = io.BytesIO()
    write_csv(buf, prep.dictionary)
    _add(zf, "字段说明.csv", buf.getvalue())
    readme = _readme(
        prep,
        stem=stem,
        label=label,
        by=by,
        only=only,
        enc=enc,
        manifest=manifest,
        members=[p.name for p in files] + (["现场核查表.xlsx"] if "xlsx" in formats else []),
    )
    _add(zf, "README.txt", ("\ufeff" + readme).replace("\n", "\r\n").encode("utf-8"))


#: the checklist's fields a county fills in a package's GeoPackage (in QGIS) for ``geo-screen verify``
GPKG_FILL_FIELDS = (*CHECK_COLUMNS[:4], *DECISION_COLUMNS)


def _with_fields_to_fill(ents: gpd.GeoDataFrame, run_id: str | None) -> gpd.GeoDataFrame:
    """The enterprises with :data:`GPKG_FILL_FIELDS` added empty (text; 更正经度/纬度 numbers) and 筛查批次; a registry
    column of one of those names is kept as ``<name>（登记表）``."""
    ours = (*GPKG_FILL_FIELDS, RUN_ID_HEADER)
    out = ents.rename(columns={c: f"{c}（登记表）" for c in ents.columns if c in ours})
    numbers = DECISION_COLUMNS[-2:]
    for name in GPKG_FILL_FIELDS:
        out[name] = np.nan if name in numbers else pd.Series(None, index=out.index, dtype=object)
    out[RUN_ID_HEADER] = run_id
    return out


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=datetime.now(LOCAL_TZ).timetuple()[:6])  # Beijing time
    info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
    zf.writestr(info, data)


def _checklist_bytes(prep: _Prepared, label: str, manifest: dict) -> bytes:
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
                f"{head}{label} 待补充资料（{len(pending)} 家企业未触及标准，但有标准因缺少数据未评估，"
                f"而未评估不等于符合）。补齐资料后重新筛查。{made}"
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
            "现场核查表：每家触及标准企业一行（CGCS2000 坐标、证据、初筛建议、未评估标准及原因），"
            "核查结论（下拉选择）、核查情况说明、核查人、日期、企业确认（签字）留空待填；"
            "待补充资料：未评估的企业及所缺资料"
        ),
        "字段说明.csv": "短字段名、完整字段名、中文名称、含义对照",
        "README.txt": "本说明",
    }
    return [(m, notes[m]) for m in [*members, "字段说明.csv", "README.txt"] if m in notes]


def _readme(prep: _Prepared, *, stem, label, by, only, enc, manifest, members) -> str:
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


def _plan(result, by: str, only: str, formats, encoding):
    formats = _check_options(by, only, formats)
    enc = resolve_encoding(encoding)
    res = R.load_result(result)
    ents = res.enterprises if only == "all" else res.enterprises[R.flagged_mask(res.enterprises)]
    hits = res.hits[res.hits[R.INPUT_ROW].isin(ents[R.INPUT_ROW])] if len(res.hits) else res.hits
    groups = _group_positions(ents, by)
    labels = [_label(by, v) for v in groups]
    return (
        res,
        formats,
        enc,
        ents.reset_index(drop=True),
        hits.reset_index(drop=True),
        groups,
        labels,
        _unique_stems(labels),
    )


def export_packages(
    result: R.ScreenResult | str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    by: str = "county",
    only: str = "flagged",
    formats: Sequence[str] = ("shp", "xlsx"),
    encoding: str = "UTF-8",
    city: bool = False,
    progress: Progress | None = None,
) -> ExportReport:
    """Write one zip package per county / industry / standard into ``out_dir``, committed as one export.

    Every file is staged first; then the earlier export's files (those its ``export.json`` lists) are
    removed, the new ones moved in, and ``export.json`` listing each with its size and SHA-256 written last
    (:func:`geo_screen.outputs.staging.commit`): the folder holds one whole export, never a mix.

    Parameters
    ----------
    result
        A :class:`~geo_screen.results.ScreenResult` or the path of a run's ``results.gpkg`` (or its folder).
    by
        ``county``, ``industry`` or ``standard`` (one package per standard hit; an
        enterprise appears in each of its standards). Missing values go to "未知".
    only
        ``flagged`` (enterprises with a standard hit) or ``all``.
    formats
        Any of ``shp`` (shapefiles + hits DBF), ``xlsx`` (现场核查表), ``gpkg``.
        ``字段说明.csv`` and ``README.txt`` are always included.
    encoding
        Shapefile text encoding: ``UTF-8`` or ``GBK`` (for ArcMap on Chinese Windows).
    city
        Also write the city's lists (:func:`geo_screen.outputs.citylists.city_outputs`) in the same export.
    progress
        Called as ``progress(done, total, group_value)`` after each package.

    Returns
    -------
    ExportReport
        Files written, enterprises per group, and every text value cut or replaced.
    """
    from geo_screen.outputs.citylists import city_outputs

    res, formats, enc, ents, hits, groups, labels, stems = _plan(result, by, only, formats, encoding)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        work = staging_folder(out, kind="export")
    except OSError as err:
        raise ExportError(f"cannot write in the output folder {out}: {err}; choose a writable folder") from err
    prep = _prepare(ents, hits, enc, res.manifest)
    report = ExportReport(out, by, only, enc.name)
    changes = []
    try:
        names = []
        for i, ((value, positions), label, stem) in enumerate(zip(groups.items(), labels, stems), start=1):
            part = prep.take(positions, pending=_pending_rows(res.enterprises, by, value))
            scratch = Path(tempfile.mkdtemp(dir=work))
            with zipfile.ZipFile(work / f"{stem}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
                _write_package(
                    zf,
                    part,
                    scratch,
                    stem=stem,
                    label=label,
                    by=by,
                    only=only,
                    formats=formats,
                    enc=enc,
                    manifest=res.manifest,
                )
            shutil.rmtree(scratch, ignore_errors=True)
            names.append(f"{stem}.zip")
            report.rows[value] = len(positions)
            changes.append(part.changes.assign(group=value, package=f"{stem}.zip"))
            if progress:
                progress(i, len(groups), value)
        city_names = [p.name for p in city_outputs(res, work)] if city else []
        record = {"export": {"by": by, "only": only, "formats": list(formats), "encoding": enc.name}}
        if res.manifest.get("run_id"):
            record["run_id"] = res.manifest["run_id"]
        written = commit(work, out, names + city_names, EXPORT_RECORD, record)
    except ExportError:
        raise
    except _WRITE_ERRORS as err:
        raise ExportError(f"cannot write packages to {out}: {err}; check free space and permissions") from err
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.files, report.city = written[: len(names)], written[len(names) : -1]
    report.changes = pd.concat(changes, ignore_index=True) if changes else prep.changes.iloc[:0]
    return report


def checked_export(folder: str | os.PathLike) -> dict:
    """An export folder's ``export.json``, once every file it lists is there with the recorded size and SHA-256.

    Raises
    ------
    InputDataError
        When ``export.json`` is missing or pending (an interrupted export), or a file differs; the message
        names the file and says to export again.
    """
    return checked_record(folder, EXPORT_RECORD, redo=REDO_EXPORT)


def package_bytes(
    result: R.ScreenResult | str | os.PathLike,
    *,
    by: str = "county",
    value: str,
    only: str = "flagged",
    formats: Sequence[str] = ("shp", "xlsx"),
    encoding: str = "UTF-8",
) -> bytes:
    """One group's package as zip bytes (for a download button); same content as :func:`export_packages`.

    ``value`` is the group value (county name, industry, standard key such as ``"3"``
    or its label ``"标准3"``; ``"未知"`` for missing).
    """
    res, formats, enc, ents, hits, groups, labels, stems = _plan(result, by, only, formats, encoding)
    keys = list(groups)
    match = [i for i, (k, lab) in enumerate(zip(keys, labels)) if str(value) in (k, lab)]
    if not match:
        raise ExportError(
            f"by={by!r}: no {'flagged ' if only == 'flagged' else ''}enterprises with value {value!r}; "
            f"available: {keys[:30]}{' ...' if len(keys) > 30 else ''}"
        )
    i = match[0]
    positions = groups[keys[i]]
    sub = ents.iloc[positions]
    part = _prepare(
        sub.reset_index(drop=True),
        hits[hits[R.INPUT_ROW].isin(sub[R.INPUT_ROW])].reset_index(drop=True),
        enc,
        res.manifest,
    )
    part.pending = _pending_rows(res.enterprises, by, keys[i])
    buf = io.BytesIO()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="geo_screen-package-") as work,
            zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
        ):
            _write_package(
                zf,
                part,
                Path(work),
                stem=stems[i],
                label=labels[i],
                by=by,
                only=only,
                formats=formats,
                enc=enc,
                manifest=res.manifest,
            )
    except ExportError:
        raise
    except _WRITE_ERRORS as err:
        raise ExportError(
            f"cannot build the package for {value!r}: {err}; check free space in the temp folder"
        ) from err
    return buf.getvalue()
