"""One package's zip: its layers (shapefiles, a GeoPackage), the checklist, the field dictionary and the
README as members, each dated in Beijing time (what a package holds is :mod:`geo_screen.outputs.packages`)."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio

from geo_screen import results as R
from geo_screen.outputs.csvfile import write_csv
from geo_screen.outputs.packagecontent import Prepared, checklist_bytes, readme_text
from geo_screen.outputs.packagefill import with_fields_to_fill
from geo_screen.outputs.provenance import LOCAL_TZ
from geo_screen.outputs.shapefiles import Job, ShapefileWriter, shapefile_job
from geo_screen.results import OUTPUT_CRS

#: zlib level of a package's members: 3 deflates them in half the time of the default 6, 14 % larger
#: (a 200,000-row run's county packages: 1.9 s against 3.8 s of CPU, 65 MB against 57 MB)
DEFLATE_LEVEL = 3


def _points_and_footprints(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Point per row (footprints -> representative point inside them; none -> null) and the footprint mask."""
    usable = (geoms.notna() & ~geoms.is_empty).to_numpy()
    kind = geoms.geom_type.to_numpy()
    footprint = usable & np.isin(kind, ["Polygon", "MultiPolygon"])
    points = np.where(usable & (kind == "Point"), geoms.to_numpy(), None)
    other = usable & (kind != "Point")
    points[other] = geoms[other].representative_point().to_numpy()
    return points, footprint


def package_members(
    prep: Prepared,
    work: Path,
    *,
    stem: str,
    label: str,
    by: str,
    only: str,
    formats: Sequence[str],
    enc,
    manifest: dict,
    writer: ShapefileWriter | None = None,
) -> Callable[[zipfile.ZipFile], None]:
    """Make one package's members: its layers in ``formats`` (handed to ``writer``, written in the folder
    ``work``), 现场核查表.xlsx, 字段说明.csv and README.txt; returns the function that puts them into the
    package's zip.

    That function waits for the layers and deflates them into the zip, then adds the rest. It needs none of
    ``prep``'s tables, so an export runs it on a thread while it reads and prepares the next package (the
    writer's child writes the layers meanwhile, zlib deflates without Python's lock).

    Parameters
    ----------
    prep
        The package's tables (:func:`geo_screen.outputs.packagecontent.prepare`) and its 待补充资料 rows.
    stem, label
        The package's file stem and how its group reads (``崇川区``, ``标准3``).
    by, only, enc, manifest
        The export's grouping, scope, shapefile encoding and the run's ``run.json`` (for the README).
    writer
        Writes the shapefiles (:class:`~geo_screen.outputs.shapefiles.ShapefileWriter`); default in this process.
    """
    jobs = _shapefile_jobs(prep, work, stem, enc) if "shp" in formats else []
    layers = [Path(header["path"]) for header, _ in jobs]  # each shapefile by its .shp (a lone table: .dbf)
    written = (writer or ShapefileWriter(child=False)).submit(jobs)
    del jobs  # the writer holds the rows until they are written
    extra: list[Path] = []
    if "gpkg" in formats:
        gpkg = work / f"{stem}.gpkg"
        ents = with_fields_to_fill(prep.ents, manifest.get("run_id"))
        pyogrio.write_dataframe(ents, gpkg, layer=R.ENTERPRISES_LAYER, driver="GPKG")
        pyogrio.write_dataframe(prep.hits, gpkg, layer=R.HITS_LAYER, driver="GPKG")
        extra.append(gpkg)
    checklist = checklist_bytes(prep, label, manifest) if "xlsx" in formats else None
    dictionary = io.BytesIO()
    write_csv(dictionary, prep.dictionary)
    readme = readme_text(
        prep,
        stem=stem,
        label=label,
        by=by,
        only=only,
        enc=enc,
        manifest=manifest,
        members=[p.name for p in layers + extra] + (["现场核查表.xlsx"] if checklist is not None else []),
    )

    def into(zf: zipfile.ZipFile) -> None:
        _copy_into(zf, written() + extra)  # the shapefiles' files, once the writer has them on disk
        if checklist is not None:
            _add(zf, "现场核查表.xlsx", checklist)
        _add(zf, "字段说明.csv", dictionary.getvalue())
        _add(zf, "README.txt", ("\ufeff" + readme).replace("\n", "\r\n").encode("utf-8"))

    return into


def _shapefile_jobs(prep: Prepared, work: Path, stem: str, enc) -> list[Job]:
    """The package's points, its footprints (when any) and its evidence table, as shapefile jobs."""
    points, footprint = _points_and_footprints(prep.ents.geometry)
    attrs = prep.ent_dbf.reset_index(drop=True)
    point_rows = gpd.GeoDataFrame(attrs, geometry=list(points), crs=OUTPUT_CRS)
    jobs = [shapefile_job(point_rows, work / f"{stem}_点.shp", encoding=enc, geometry_type="Point")]
    if footprint.any():
        polys = gpd.GeoDataFrame(attrs[footprint], geometry=prep.ents.geometry.to_numpy()[footprint], crs=OUTPUT_CRS)
        jobs.append(shapefile_job(polys, work / f"{stem}_面.shp", encoding=enc, geometry_type="Polygon"))
    hits = prep.hit_dbf.reset_index(drop=True)
    return [*jobs, shapefile_job(hits, work / f"{stem}_依据.dbf", encoding=enc)]


def _copy_into(zf: zipfile.ZipFile, files: list[Path]) -> None:
    for path in files:
        with path.open("rb") as src, zf.open(_member(path.name), "w", force_zip64=True) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def _member(name: str) -> zipfile.ZipInfo:
    """A package member dated now in Beijing time (every member alike, whatever the machine's time zone),
    deflated at :data:`DEFLATE_LEVEL`; a workbook, itself a deflated zip, is stored as it is (deflated again it
    shrinks by 1 %, for 4.3 s of CPU on the export's path in a 1M-row run's county export)."""
    info = zipfile.ZipInfo(name, date_time=datetime.now(LOCAL_TZ).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED if name.endswith(".xlsx") else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info._compresslevel = DEFLATE_LEVEL  # a ZipInfo's own level (named compress_level from Python 3.13)
    return info


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    zf.writestr(_member(name), data)
