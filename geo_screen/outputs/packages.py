"""County packages for on-site verification, from a screening run (the city's lists are in citylists.py).

:func:`export_packages` writes one zip per county (or industry, or standard) for
on-site verification; :func:`package_bytes` builds one of them in memory for the
app. The city's ``汇总.xlsx`` and public list are :mod:`geo_screen.outputs.citylists`. This module writes
the zips (each zip's members: :mod:`~geo_screen.outputs.packagezip`; the rows read for each:
:mod:`~geo_screen.outputs.packagerows`); which packages an export makes and their file names are
:mod:`~geo_screen.outputs.packagegroups`,
their tables, checklist and README text :mod:`~geo_screen.outputs.packagecontent`, and the GeoPackage's
fields to fill in :mod:`~geo_screen.outputs.packagefill`.

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

Shapefiles are CGCS2000 (EPSG:4490) with field names and text per :mod:`geo_screen.outputs.dbf`; from
:data:`BACKGROUND_SHP_ROWS` enterprises exported, one child process writes them while this one builds the
checklists (:mod:`geo_screen.outputs.shapefiles`), and a thread completes each package's zip while the next
package is read and prepared. An export is staged whole and committed with ``export.json``
(every file's size and SHA-256, written last; the earlier export's files removed), so an export folder is one
export.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors

from geo_screen import results as R
from geo_screen.errors import ExportError
from geo_screen.outputs.citylists import write_city_outputs
from geo_screen.outputs.dbf import Encoding, resolve_encoding
from geo_screen.outputs.packagecontent import Prepared, prepare
from geo_screen.outputs.packagefill import GPKG_FILL_FIELDS
from geo_screen.outputs.packagegroups import (
    FORMATS,
    GROUP_BY,
    MAX_STEM_BYTES,
    ONLY,
    checked_options,
    group_label,
    group_positions,
    pending_positions,
    safe_file_stem,
    unique_stems,
)
from geo_screen.outputs.packagerows import ExportRows, export_rows
from geo_screen.outputs.packagezip import package_members
from geo_screen.outputs.shapefiles import ShapefileWriter
from geo_screen.outputs.staging import commit, staging_folder
from geo_screen.records import checked_record
from geo_screen.runtime import return_freed_memory

__all__ = [  # the grouping and the fill-in fields are read here with the export that uses them
    "EXPORT_RECORD",
    "FORMATS",
    "GPKG_FILL_FIELDS",
    "GROUP_BY",
    "MAX_STEM_BYTES",
    "ONLY",
    "REDO_EXPORT",
    "ExportReport",
    "checked_export",
    "export_packages",
    "package_bytes",
    "safe_file_stem",
]

#: an export folder's commit record: every file of the export with its size and SHA-256, written last
EXPORT_RECORD = "export.json"
#: how to make a refused export folder whole again
REDO_EXPORT = "export again into this folder ('geo-screen export RESULTS --out FOLDER')"

#: from this many enterprises exported, a child process writes the packages' shapefiles while this one builds
#: their checklists (the child costs about half a second to start)
BACKGROUND_SHP_ROWS = 50_000

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


@dataclass
class _Plan:
    """An export's packages: which enterprises each holds and which its 待补充资料 sheet lists (positions in
    ``rows.keys``), their labels and file stems, and how they are written."""

    rows: ExportRows
    formats: tuple[str, ...]
    enc: Encoding
    by: str
    only: str
    groups: dict[str, np.ndarray]
    pending: list[np.ndarray]
    labels: list[str]
    stems: list[str]


def _plan(result, by: str, only: str, formats, encoding) -> _Plan:
    formats = checked_options(by, only, formats)
    enc = resolve_encoding(encoding)
    rows = export_rows(result)
    chosen = np.arange(len(rows.keys)) if only == "all" else np.flatnonzero(R.flagged_mask(rows.keys))
    groups = {
        value: chosen[positions]
        for value, positions in group_positions(rows.keys.iloc[chosen].reset_index(drop=True), by).items()
    }
    pending = [pending_positions(rows.keys, by, value) for value in groups]
    labels = [group_label(by, v) for v in groups]
    return _Plan(rows, formats, enc, by, only, groups, pending, labels, unique_stems(labels))


def _package(
    plan: _Plan, i: int, work: Path, writer: ShapefileWriter | None = None
) -> tuple[Prepared, Callable[[zipfile.ZipFile], None]]:
    """Read and prepare the ``i``-th package and make its members (:func:`package_members`): its tables, for
    the report, and the function that puts the members into its zip."""
    rows = plan.rows
    ents = rows.enterprises(list(plan.groups.values())[i])
    part = prepare(ents, rows.hits(ents[R.INPUT_ROW]), plan.enc, rows.manifest)
    part.pending = rows.enterprises(plan.pending[i]) if len(plan.pending[i]) else ents.iloc[:0]
    into = package_members(
        part,
        work,
        stem=plan.stems[i],
        label=plan.labels[i],
        by=plan.by,
        only=plan.only,
        formats=plan.formats,
        enc=plan.enc,
        manifest=rows.manifest,
        writer=writer,
    )
    return part, into


def _zip(path: Path, into: Callable[[zipfile.ZipFile], None], work: Path) -> None:
    """Write the package ``path`` from its members' function, then remove the folder its layers were written in."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        into(zf)
    shutil.rmtree(work, ignore_errors=True)


def export_packages(
    result: ExportRows | R.ScreenResult | str | os.PathLike,
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
        A :class:`~geo_screen.results.ScreenResult` or the path of a run's ``results.gpkg`` (or its folder),
        read a package at a time (:func:`~geo_screen.outputs.packagerows.export_rows`).
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

    plan = _plan(result, by, only, formats, encoding)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        work = staging_folder(out, kind="export")
    except OSError as err:
        raise ExportError(f"cannot write in the output folder {out}: {err}; choose a writable folder") from err
    report = ExportReport(out, by, only, plan.enc.name)
    try:  # the city's lists first (as measured: a 1M-row run's export peaks at 2.2 GB), then a package at a time
        city_names = [p.name for p in write_city_outputs(*plan.rows.city(), plan.rows.manifest, work)] if city else []
        return_freed_memory()
        names, changes = [], []
        exported = sum(len(positions) for positions in plan.groups.values())
        # a package's zip is completed on a thread (waiting for its shapefiles, deflating them) while the next
        # package is read and prepared, one zip at a time; an error here stops the writer's child first
        with (
            ThreadPoolExecutor(1) as zipping,
            ShapefileWriter(child="shp" in plan.formats and exported >= BACKGROUND_SHP_ROWS) as writer,
        ):
            zipped: Future | None = None
            for i, (value, stem) in enumerate(zip(plan.groups, plan.stems)):
                scratch = Path(tempfile.mkdtemp(dir=work))
                part, into = _package(plan, i, scratch, writer)
                names.append(f"{stem}.zip")
                report.rows[value] = len(part.ents)
                changes.append(part.changes.assign(group=value, package=f"{stem}.zip"))
                del part
                return_freed_memory()  # the package's rows, freed, handed back before the next one is read
                if zipped is not None:
                    _done(zipped, i, plan, progress)
                zipped = zipping.submit(_zip, work / f"{stem}.zip", into, scratch)
            if zipped is not None:
                _done(zipped, len(plan.groups), plan, progress)
        record = {"export": {"by": by, "only": only, "formats": list(plan.formats), "encoding": plan.enc.name}}
        if plan.rows.manifest.get("run_id"):
            record["run_id"] = plan.rows.manifest["run_id"]
        written = commit(work, out, names + city_names, EXPORT_RECORD, record)
    except ExportError:
        raise
    except _WRITE_ERRORS as err:
        raise ExportError(f"cannot write packages to {out}: {err}; check free space and permissions") from err
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.files, report.city = written[: len(names)], written[len(names) : -1]
    report.changes = pd.concat(changes, ignore_index=True) if changes else report.changes
    return report


def _done(zipped: Future, done: int, plan: _Plan, progress: Progress | None) -> None:
    """Wait for the ``done``-th package's zip (its errors are raised here), then report it."""
    zipped.result()
    if progress:
        progress(done, len(plan.groups), list(plan.groups)[done - 1])


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
    plan = _plan(result, by, only, formats, encoding)
    keys = list(plan.groups)
    match = [i for i, (k, lab) in enumerate(zip(keys, plan.labels)) if str(value) in (k, lab)]
    if not match:
        raise ExportError(
            f"by={by!r}: no {'flagged ' if only == 'flagged' else ''}enterprises with value {value!r}; "
            f"available: {keys[:30]}{' ...' if len(keys) > 30 else ''}"
        )
    buf = io.BytesIO()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="geo_screen-package-") as work,
            zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf,
        ):
            _, into = _package(plan, match[0], Path(work))
            into(zf)
    except ExportError:
        raise
    except _WRITE_ERRORS as err:
        raise ExportError(
            f"cannot build the package for {value!r}: {err}; check free space in the temp folder"
        ) from err
    return buf.getvalue()
