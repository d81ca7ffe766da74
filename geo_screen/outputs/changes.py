"""Two screening runs compared (``geo-screen diff``): what changed for each enterprise, and per county.

The runs are matched by ``enterprise_id`` (USCC), nothing else: an id listed more than once in either run is
reported (``duplicates``) and left out of the comparison, never paired by guess; a row without an id is
reported too (``no_id``). Each matched or unmatched enterprise gets every change it shows
(:data:`geo_screen.vocabulary.CHANGES`), ``;``-joined in one ``change`` cell like ``standards_hit``:

* ``new`` / ``gone``: the id is only in the new / the old run (these stand alone);
* ``newly_flagged`` / ``cleared``: no standard hit before and some now / the reverse;
* ``disposition_changed``: the overall disposition differs while the flagged state did not change (flagged both
  times, e.g. ``rectify`` -> ``stop``, or neither, e.g. ``not_assessed`` -> ``none``);
* ``standards_changed``: flagged both times with other standards hit (may come with ``disposition_changed``).

:func:`write_changes` writes ``changes.xlsx`` (a summary, the table per county, one sheet per change, every
change on one sheet, the duplicates and the rows without an id) and ``changes.gpkg`` with a ``changes`` layer:
each enterprise at the new run's screened CGCS2000 point (a footprint's point inside it), a gone one at the
old run's.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo_screen import results as R
from geo_screen.errors import ExportError
from geo_screen.outputs.evidence import standards_zh
from geo_screen.outputs.provenance import illustrative_stamp, local_time, stamped
from geo_screen.outputs.sheets import write_workbook
from geo_screen.vocabulary import (
    CHANGE_COLUMN_ZH,
    CHANGE_KINDS,
    CHANGE_MEANING,
    CHANGE_SHEETS,
    CHANGE_ZH,
    CHANGES,
    DISPOSITION_ZH,
    MISSING_ZH,
    RUN_ZH,
    column_label,
)

CHANGES_XLSX = "changes.xlsx"
CHANGES_GPKG = "changes.gpkg"
CHANGES_LAYER = "changes"
#: the changes table's columns, in order (geometry last)
TABLE_COLUMNS = (
    R.ENTERPRISE_ID,
    R.NAME,
    R.COUNTY,
    "change",
    "standards_old",
    "standards_new",
    "disposition_old",
    "disposition_new",
)
_RUN_COLUMNS = (R.ENTERPRISE_ID, R.NAME, R.COUNTY, R.STANDARDS_HIT, R.DISPOSITION)


@dataclass
class Changes:
    """What :func:`diff_runs` found.

    Attributes
    ----------
    table
        One row per enterprise with a change (:data:`TABLE_COLUMNS`, geometry: the new run's point, a gone
        enterprise's old one), by county and enterprise id.
    duplicates
        Rows whose ``enterprise_id`` is listed more than once in their run (``run``: old/new, ``input_row``).
    no_id
        Rows without an ``enterprise_id`` (``run``, ``input_row``).
    by_county
        Enterprises per county (rows, 合计 last) and change (columns, Chinese labels).
    runs
        ``{"old": ..., "new": ...}``: each run's folder, run_id and start time.
    """

    table: gpd.GeoDataFrame
    duplicates: pd.DataFrame
    no_id: pd.DataFrame
    by_county: pd.DataFrame
    runs: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)  #: the new run's run.json

    def counts(self) -> dict[str, int]:
        """Enterprises per change code."""
        return {k: int(self.table["change"].str.split(";").map(lambda c, k=k: k in c).sum()) for k in CHANGE_KINDS}

    def summary(self) -> str:
        """A few lines for the command: counts per change, duplicates and rows without an id."""
        counts = ", ".join(f"{code.replace('_', ' ')} {n:,}" for code, n in self.counts().items())
        lines = [f"{len(self.table):,} enterprises changed: {counts}"]
        ids = self.duplicates[R.ENTERPRISE_ID].nunique()
        if ids:
            lines.append(
                f"{ids:,} enterprise_id listed more than once in a run ({len(self.duplicates):,} rows in the two "
                "runs): not compared, "
                f"see sheet {CHANGE_SHEETS['duplicates']}"
            )
        if len(self.no_id):
            lines.append(
                f"{len(self.no_id):,} row without enterprise_id: not compared, see sheet {CHANGE_SHEETS['no_id']}"
            )
        return "\n".join(lines)


def _ids(ents: pd.DataFrame) -> pd.Series:
    ids = ents[R.ENTERPRISE_ID].astype("string").str.strip() if R.ENTERPRISE_ID in ents else None
    if ids is None:
        return pd.Series(pd.NA, index=ents.index, dtype="string")
    return ids.mask(ids == "")


def _points(geoms: gpd.GeoSeries) -> np.ndarray:
    """The screened point of each row: a point as it is, a footprint's point inside it, none as none."""
    usable = (geoms.notna() & ~geoms.is_empty).to_numpy()
    out = np.where(usable, geoms.to_numpy(), None)
    other = usable & (geoms.geom_type.to_numpy() != "Point")
    if other.any():
        out[other] = geoms[other].representative_point().to_numpy()
    return out


def _side(result: R.ScreenResult, run: str):
    """(matched rows by id, duplicated rows, rows without an id) of one run."""
    ents = result.enterprises
    frame = pd.DataFrame({c: ents[c] if c in ents else None for c in _RUN_COLUMNS}, index=ents.index)
    frame[R.ENTERPRISE_ID] = _ids(ents)
    frame[R.INPUT_ROW] = ents[R.INPUT_ROW]
    frame["flagged"] = R.flagged_mask(ents)
    frame["point"] = _points(ents.geometry)
    frame[R.STANDARDS_HIT] = frame[R.STANDARDS_HIT].astype("string").fillna("")
    frame[R.DISPOSITION] = frame[R.DISPOSITION].astype("string")
    frame["run"] = run
    missing = frame[R.ENTERPRISE_ID].isna()
    repeated = frame[R.ENTERPRISE_ID].duplicated(keep=False) & ~missing
    return frame[~missing & ~repeated].set_index(R.ENTERPRISE_ID), frame[repeated], frame[missing]


def _standards(values: pd.Series) -> np.ndarray:
    """Each cell's standards in one order (``"9;3"`` and ``"3;9"`` read alike), one lookup per distinct value."""
    order = {k: n for n, k in enumerate(R.STANDARDS)}
    text = values.fillna("").astype(str)
    canonical = {v: ";".join(sorted(R.standard_keys(v), key=lambda k: order.get(k, len(order)))) for v in text.unique()}
    return text.map(canonical).to_numpy(dtype=object)


def diff_runs(old: R.ScreenResult | str | os.PathLike, new: R.ScreenResult | str | os.PathLike) -> Changes:
    """Compare two screening runs enterprise by enterprise (matched by ``enterprise_id``).

    Parameters
    ----------
    old, new
        The earlier and the later run: results folders (checked against their ``run.json``) or results.

    Returns
    -------
    Changes
        The changed enterprises with their changes, the duplicated ids and rows without an id (reported, not
        compared), and the count per county and change.

    Raises
    ------
    InputDataError
        When a folder holds no run, or its files are not the ones its ``run.json`` lists.
    """
    results = {"old": R.load_result(old), "new": R.load_result(new)}
    (a, dup_a, none_a), (b, dup_b, none_b) = (_side(res, run) for run, res in results.items())
    repeated = set(dup_a[R.ENTERPRISE_ID]) | set(dup_b[R.ENTERPRISE_ID])
    a, b = a[~a.index.isin(repeated)], b[~b.index.isin(repeated)]
    both = a.index.intersection(b.index)
    kinds: dict[str, list[str]] = {i: ["new"] for i in b.index.difference(a.index)}
    kinds |= {i: ["gone"] for i in a.index.difference(b.index)}
    was, now = a.loc[both], b.loc[both]
    flag_was, flag_now = was["flagged"].to_numpy(dtype=bool), now["flagged"].to_numpy(dtype=bool)
    disposition = was[R.DISPOSITION].fillna("").to_numpy(dtype=object) != now[R.DISPOSITION].fillna("").to_numpy(
        dtype=object
    )
    standards = _standards(was[R.STANDARDS_HIT]) != _standards(now[R.STANDARDS_HIT])
    tests = {
        "newly_flagged": flag_now & ~flag_was,
        "cleared": flag_was & ~flag_now,
        "disposition_changed": (flag_was == flag_now) & disposition,
        "standards_changed": flag_was & flag_now & standards,
    }
    for kind, mask in tests.items():
        for i in both[mask]:
            kinds.setdefault(i, []).append(kind)
    table = _table(kinds, a, b)
    duplicates = pd.concat([dup_a, dup_b]).drop(columns=["point", "flagged"]).reset_index(drop=True)
    no_id = pd.concat([none_a, none_b]).drop(columns=["point", "flagged"]).reset_index(drop=True)
    runs = {
        run: {"folder": str(path) if not isinstance(path, R.ScreenResult) else None}
        | {k: res.manifest.get(k) for k in ("run_id", "started")}
        for (run, res), path in zip(results.items(), (old, new))
    }
    return Changes(table, duplicates, no_id, _by_county(table), runs, results["new"].manifest)


def _table(kinds: dict[str, list[str]], a: pd.DataFrame, b: pd.DataFrame) -> gpd.GeoDataFrame:
    ids = list(kinds)
    now = b.reindex(ids)
    was = a.reindex(ids)
    current = now.combine_first(was)  # a gone enterprise: its old name, county and point
    table = pd.DataFrame(
        {
            R.ENTERPRISE_ID: ids,
            R.NAME: current[R.NAME].to_numpy(),
            R.COUNTY: current[R.COUNTY].to_numpy(),
            "change": pd.Series([";".join(kinds[i]) for i in ids], dtype="str"),
            "standards_old": was[R.STANDARDS_HIT].to_numpy(),
            "standards_new": now[R.STANDARDS_HIT].to_numpy(),
            "disposition_old": was[R.DISPOSITION].to_numpy(),
            "disposition_new": now[R.DISPOSITION].to_numpy(),
        }
    )
    order = {k: n for n, k in enumerate(CHANGE_KINDS)}
    keys = pd.DataFrame(
        {"c": table[R.COUNTY].fillna(MISSING_ZH), "k": table["change"].str.split(";").str[0].map(order), "i": ids}
    )
    positions = keys.sort_values(["c", "k", "i"], kind="stable").index
    out = gpd.GeoDataFrame(
        table.loc[positions].reset_index(drop=True),
        geometry=list(current["point"].to_numpy()[positions]) if len(ids) else [],
        crs=R.OUTPUT_CRS,
    )
    return out


def _by_county(table: pd.DataFrame) -> pd.DataFrame:
    county = table[R.COUNTY].fillna(MISSING_ZH).astype("str")
    columns = {
        CHANGE_ZH[k]: table["change"].str.split(";").map(lambda c, k=k: k in c).astype(int) for k in CHANGE_KINDS
    }
    counts = pd.DataFrame(columns).groupby(county.to_numpy()).sum().sort_index()
    counts.loc["合计"] = counts.sum()
    counts["变化企业数"] = counts.index.map(county.value_counts()).fillna(0).astype(int)
    counts.loc["合计", "变化企业数"] = len(table)
    return counts.astype("int64").rename_axis(column_label(R.COUNTY)).reset_index()


def _readable(table: pd.DataFrame) -> pd.DataFrame:
    """The changes table with Chinese headers and labels (changes.xlsx and the changes layer)."""
    labels = table["change"].str.split(";").map(lambda c: "；".join(CHANGE_ZH[k] for k in c))
    out = pd.DataFrame(
        {
            column_label(R.COUNTY): table[R.COUNTY].fillna(MISSING_ZH).to_numpy(),
            CHANGE_COLUMN_ZH["change"]: labels.to_numpy(),
            column_label(R.ENTERPRISE_ID): table[R.ENTERPRISE_ID].to_numpy(),
            column_label(R.NAME): table[R.NAME].to_numpy(),
            CHANGE_COLUMN_ZH["standards_old"]: standards_zh(table["standards_old"]).to_numpy(),
            CHANGE_COLUMN_ZH["standards_new"]: standards_zh(table["standards_new"]).to_numpy(),
            CHANGE_COLUMN_ZH["disposition_old"]: table["disposition_old"].map(DISPOSITION_ZH).fillna("").to_numpy(),
            CHANGE_COLUMN_ZH["disposition_new"]: table["disposition_new"].map(DISPOSITION_ZH).fillna("").to_numpy(),
            CHANGE_COLUMN_ZH["change_code"]: table["change"].to_numpy(),
        }
    )
    geoms = gpd.GeoSeries(table.geometry.to_numpy(), crs=R.OUTPUT_CRS) if len(table) else gpd.GeoSeries([])
    out[column_label("lon")] = np.round(geoms.x.to_numpy(dtype=float, na_value=np.nan), 6) if len(table) else []
    out[column_label("lat")] = np.round(geoms.y.to_numpy(dtype=float, na_value=np.nan), 6) if len(table) else []
    return out


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Duplicated rows or rows without an id, with Chinese headers."""
    return pd.DataFrame(
        {
            CHANGE_COLUMN_ZH["run"]: frame["run"].map(RUN_ZH).to_numpy(),
            column_label(R.INPUT_ROW): frame[R.INPUT_ROW].to_numpy(),
            column_label(R.ENTERPRISE_ID): frame[R.ENTERPRISE_ID].to_numpy(dtype=object, na_value=None),
            column_label(R.NAME): frame[R.NAME].to_numpy(),
            column_label(R.COUNTY): frame[R.COUNTY].fillna(MISSING_ZH).to_numpy(),
            column_label(R.DISPOSITION_ZH): frame[R.DISPOSITION].map(DISPOSITION_ZH).fillna("").to_numpy(),
        }
    )


def _notes(changes: Changes) -> str:
    stamp = illustrative_stamp(changes.manifest)
    runs = "；".join(
        f"{RUN_ZH[run]} {info.get('folder') or ''}（筛查批次 {info.get('run_id') or '未记录'}，"
        f"运行于 {local_time(info['started']) if info.get('started') else '未记录'}）"
        for run, info in changes.runs.items()
    )
    return "\n".join(
        [
            *([f"【{stamp}】新批次所用图层含示意数据，不得用于决策。"] if stamp else []),
            f"两次筛查对比（按统一社会信用代码匹配）：{runs}。生成于 {local_time()}。",
            "一家企业可同时属于多个变化类别（如处置方式变化且触及标准变化），各类别工作表中各列一次，"
            "“全部变化”中变化类别以“；”分隔。新增企业、登记表中已无不与其他类别同时出现。",
            f"同一代码在一个批次中出现多次的（{CHANGE_SHEETS['duplicates']}）和缺少代码的行"
            f"（{CHANGE_SHEETS['no_id']}）不作对比，请核实登记表后重新筛查。",
        ]
    )


def write_changes(changes: Changes, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``changes.xlsx`` and ``changes.gpkg`` (layer ``changes``) into ``out_dir`` (created if needed).

    Parameters
    ----------
    changes
        :func:`diff_runs`'s result.
    out_dir
        The folder to write into; each file is written whole or not at all.

    Returns
    -------
    list of pathlib.Path
        The two files.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"cannot create the output folder {out}: {err}; choose a writable folder") from err
    readable = _readable(changes.table)
    summary = pd.DataFrame(
        {
            CHANGE_COLUMN_ZH["change"]: [t.zh for t in CHANGES],
            "企业数": [changes.counts()[t.code] for t in CHANGES],
            CHANGE_COLUMN_ZH["change_code"]: list(CHANGE_KINDS),
        }
    )
    kinds = changes.table["change"].str.split(";")
    sheets = {
        CHANGE_SHEETS["summary"]: summary,
        CHANGE_SHEETS["county"]: changes.by_county,
        **{CHANGE_ZH[k]: readable[kinds.map(lambda c, k=k: k in c).to_numpy(dtype=bool)] for k in CHANGE_KINDS},
        CHANGE_SHEETS["all"]: readable,
        CHANGE_SHEETS["duplicates"]: _rows(changes.duplicates),
        CHANGE_SHEETS["no_id"]: _rows(changes.no_id),
    }
    notes = {CHANGE_SHEETS["summary"]: _notes(changes)}
    notes |= {CHANGE_ZH[k]: f"{CHANGE_ZH[k]}：{CHANGE_MEANING[k]}" for k in CHANGE_KINDS}
    write_workbook(
        out / CHANGES_XLSX, sheets, notes=notes, landscape=True, title=stamped("两次筛查对比", changes.manifest)
    )
    layer = gpd.GeoDataFrame(
        readable.drop(columns=[column_label("lon"), column_label("lat")]),
        geometry=list(changes.table.geometry.to_numpy()),
        crs=R.OUTPUT_CRS,
    )
    fd, tmp = tempfile.mkstemp(prefix=".changes-", suffix=".gpkg", dir=out)
    os.close(fd)
    try:
        os.unlink(tmp)
        pyogrio.write_dataframe(layer, tmp, layer=CHANGES_LAYER, driver="GPKG", geometry_type="Point")
        os.replace(tmp, out / CHANGES_GPKG)
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        raise ExportError(f"cannot write {out / CHANGES_GPKG}: {err}; check free space and permissions") from err
    finally:
        Path(tmp).unlink(missing_ok=True)
    return [out / CHANGES_XLSX, out / CHANGES_GPKG]
