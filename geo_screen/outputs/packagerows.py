"""The rows a package export reads: the few columns that decide its packages first, then one package's rows.

An export of a million-row run writes a package per county from a few hundred thousand rows each; it never
needs the whole run in memory at once. :func:`export_rows` reads, for every enterprise, only the columns that
decide which package (and which 待补充资料 sheet) it goes to, and for every evidence row only the enterprise it
belongs to; :meth:`ExportRows.enterprises` and :meth:`ExportRows.hits` then read one package's rows whole, by
their GeoPackage feature ids, with the column types a whole read gives. A run already in memory
(:class:`~geo_screen.results.ScreenResult`) is sliced instead of read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.outputs.citylists import CITY_COLUMNS, CITY_HIT_COLUMNS

#: the enterprise columns that decide an export's packages: the groups, flagged or not, not assessed or not
_KEY_COLUMNS = (R.INPUT_ROW, R.INDUSTRY, R.COUNTY, R.STANDARDS_HIT, R.DISPOSITION)


@dataclass
class _Layer:
    """One layer's rows: a frame in memory, or a GeoPackage layer and its rows' feature ids in the run's order."""

    frame: pd.DataFrame | None = None
    layer: R.LayerRows | None = None
    fids: np.ndarray | None = None

    def take(self, positions: np.ndarray) -> pd.DataFrame:
        if self.frame is not None:
            return self.frame.iloc[positions]
        return self.layer.read(fids=self.fids[positions]).drop(columns="fid")

    def columns(self, names) -> pd.DataFrame:
        if self.frame is not None:
            return self.frame
        present = [c for c in names if c in self.layer.info["fields"]]
        return self.layer.read(columns=present, geometry=False).drop(columns="fid")


@dataclass
class ExportRows:
    """A run as an export reads it: every enterprise's deciding columns, and one package's rows on demand.

    ``keys`` holds every enterprise (in the run's order, on a 0..n-1 index) with the columns that decide the
    packages; ``hit_rows`` every evidence row's ``input_row``, in the run's order.
    """

    keys: pd.DataFrame
    hit_rows: np.ndarray
    manifest: dict
    _ents: _Layer
    _hits: _Layer

    def enterprises(self, positions: np.ndarray) -> gpd.GeoDataFrame:
        """The whole rows of the enterprises at ``positions`` of :attr:`keys` (ascending), in CGCS2000."""
        return R.exported_enterprises(self._ents.take(np.asarray(positions)))

    def hits(self, input_rows) -> pd.DataFrame:
        """The evidence rows of the enterprises with these ``input_row`` values, in the run's order."""
        return R.exported_hits(self._hits.take(np.flatnonzero(np.isin(self.hit_rows, np.asarray(input_rows)))))

    def city(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Every enterprise with :data:`CITY_COLUMNS` and every evidence row with :data:`CITY_HIT_COLUMNS`
        (more columns when the run is in memory)."""
        return self._ents.columns(CITY_COLUMNS), self._hits.columns(CITY_HIT_COLUMNS)


def export_rows(result: ExportRows | R.ScreenResult | str | os.PathLike) -> ExportRows:
    """The run an export reads: in memory, or its ``results.gpkg`` (or folder) read a package at a time.

    Raises
    ------
    InputDataError
        When the folder's files are not the ones its ``run.json`` lists (:func:`geo_screen.results.checked_run`).
    ExportError
        When the enterprises have no CRS or lack the columns every run writes.
    """
    if isinstance(result, ExportRows):
        return result
    if isinstance(result, R.ScreenResult):
        res = R.load_result(result)
        ents, hits = res.enterprises, res.hits
        hit_rows = hits[R.INPUT_ROW].to_numpy() if len(hits) else np.array([], dtype=np.int64)
        return ExportRows(ents, hit_rows, res.manifest, _Layer(ents), _Layer(hits))
    gpkg, manifest = R.checked_results(result)
    ents, hits = R.LayerRows(gpkg, R.ENTERPRISES_LAYER), R.LayerRows(gpkg, R.HITS_LAYER)
    R.check_exportable(ents.info["crs"], ents.info["fields"])
    keys = ents.read(columns=[c for c in _KEY_COLUMNS if c in ents.info["fields"]], geometry=False)
    hit_keys = hits.read(columns=[R.INPUT_ROW], geometry=False)
    return ExportRows(
        keys.drop(columns="fid"),
        hit_keys[R.INPUT_ROW].to_numpy(),
        manifest,
        _Layer(layer=ents, fids=keys["fid"].to_numpy()),
        _Layer(layer=hits, fids=hit_keys["fid"].to_numpy()),
    )
