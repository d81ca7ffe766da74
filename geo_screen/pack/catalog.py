"""Layer packs: read a ``catalog.yaml`` and its layers into CGCS2000 frames with a per-layer report.

A layer pack is a folder with ``catalog.yaml`` (format: :mod:`geo_screen.pack.model`, read by
:mod:`geo_screen.pack.catalogfile`) and the official layers it names. :func:`load_catalog` first checks every
file cheaply (exists, readable, has the mapped columns, has a CRS) and raises one
:class:`~geo_screen.errors.ConfigError` listing every problem; then it reads vectors with pyogrio into EPSG:4490
lon/lat (GCJ-02/BD-09 offsets removed), repairs invalid geometry with :func:`shapely.make_valid`, drops
null/empty geometry, normalises zone labels to canonical codes, and opens rasters with rasterio for their
metadata only. Data problems that do not stop screening (unknown zone values, empty layers, a layer outside the
coverage) are counted in the report and listed in :attr:`Catalog.problems`.

Examples
--------
>>> catalog = load_catalog("layers/nantong")                                # doctest: +SKIP
>>> [layer.id for layer in catalog.of_kind("water_source_protection")]     # doctest: +SKIP
['water_source']
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_screen.errors import ConfigError, join_problems
from geo_screen.inputs.crs import metric_crs
from geo_screen.pack.catalogfile import catalog_spec_from_text
from geo_screen.pack.derived import derivation_text, derived_belt
from geo_screen.pack.layer import (  # noqa: F401  (Layer, LayerReport, RasterInfo are re-exported as catalog API)
    FRAME_COLUMNS,
    Layer,
    LayerReport,
    RasterInfo,
    inspect_layer,
    load_layer,
    nearby_hint,
    resolve_path,
    with_sidecars,
)
from geo_screen.pack.model import CatalogSpec
from geo_screen.results import OUTPUT_CRS

CATALOG_FILE = "catalog.yaml"
SANITARY_COLUMNS = ("industry", "distance_m")
REPORT_COLUMNS = (
    "id",
    "kind",
    "path",
    "format",
    "features",
    "crs",
    "crs_from",
    "bounds",
    "repaired",
    "empty",
    "wrong_type",
    "unknown_zone_values",
)


@dataclass(eq=False)  # a loaded pack is itself (compared and hashed by identity: what is derived from it is kept)
class Catalog:
    """A loaded layer pack: the validated spec, its layers by id (file order) and the coverage area."""

    path: Path
    spec: CatalogSpec
    layers: dict[str, Layer]
    coverage: Any  #: shapely geometry in EPSG:4490 lon/lat, or None
    sanitary_distances: pd.DataFrame

    @property
    def name(self) -> str:
        """The pack's name from its catalog."""
        return self.spec.name

    def of_kind(self, *kinds: str) -> list[Layer]:
        """Layers of any of ``kinds``, in file order."""
        return [layer for layer in self.layers.values() if layer.kind in kinds]

    def files(self) -> list[Path]:
        """Every file the pack read (catalog, layer files with sidecars, sanitary CSV), for hashing."""
        out = [self.path] + [f for layer in self.layers.values() for f in with_sidecars(layer.path)]
        if self.spec.sanitary_distances:
            out.append(resolve_path(self.path.parent, self.spec.sanitary_distances))
        return list(dict.fromkeys(out))

    @cached_property
    def file_hashes(self) -> dict[str, str]:
        """SHA-256 of every file the pack read (for run manifests), computed once per loaded pack."""
        return {str(p): file_sha256(p) for p in self.files()}

    def report(self) -> pd.DataFrame:
        """One row per layer with the columns of :data:`REPORT_COLUMNS` (a derived layer: format ``derived``,
        path ``from <layer>, <distance> m``)."""
        rows = [
            {
                "id": layer.id,
                "kind": layer.kind,
                "path": f"from {layer.spec.from_}, {layer.spec.distance_m:g} m"
                if layer.spec.derived
                else layer.spec.path,
                "format": "derived" if layer.spec.derived else "raster" if layer.raster else "vector",
                **{k: getattr(layer.report, k) for k in REPORT_COLUMNS[4:]},
            }
            for layer in self.layers.values()
        ]
        frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
        frame["features"] = frame["features"].astype("Int64")
        return frame

    @property
    def problems(self) -> list[str]:
        """Warnings a check should fail on: unknown zone values, empty layers, dropped features,
        suspect text encodings, layers outside the coverage."""
        return [w for layer in self.layers.values() for w in layer.report.warnings]

    def check_text(self) -> str:
        """Human-readable report, as printed by ``geo-screen layers check``."""
        lines = [f"layer pack {self.name} ({self.path})"]
        for layer in self.layers.values():
            r, ras = layer.report, layer.raster
            what = (
                f"raster {ras.width}x{ras.height} px, {ras.count} band(s), {len(ras.classes)} classes mapped"
                if ras
                else f"{r.features} features"
            )
            extra = [
                f"{n} {label}"
                for n, label in (
                    (r.repaired, "repaired"),
                    (r.empty, "empty dropped"),
                    (r.wrong_type, "non-polygonal dropped"),
                    (sum(r.unknown_zone_values.values()), "unknown zone"),
                )
                if n
            ]
            bounds = "no extent" if r.bounds is None else "bounds {:.4f},{:.4f} .. {:.4f},{:.4f}".format(*r.bounds)
            where = f"derived: {derivation_text(layer)}" if layer.spec.derived else layer.spec.path
            lines.append(
                f"  {layer.id} [{layer.kind}] {where}: {what}, CRS {r.crs} ({r.crs_from}), "
                f"{bounds}" + (f"; {', '.join(extra)}" if extra else "")
            )
        if self.coverage is not None:
            area = gpd.GeoSeries([self.coverage], crs=OUTPUT_CRS).to_crs(metric_crs(self.coverage.bounds)).area
            lines.append(f"coverage: union of layer '{self.spec.coverage}', {float(area.iloc[0]) / 1e6:.1f} km2")
        lines.append(
            f"sanitary distances: {len(self.sanitary_distances)} industries"
            + (f" ({self.spec.sanitary_distances})" if self.spec.sanitary_distances else " (none given)")
        )
        if outside := self.paths_outside():
            lines.append(
                "outside the pack folder (allowed; copy them into it to move the pack as one folder): "
                + ", ".join(f"{value} -> {path}" for value, path in outside)
            )
        lines.append(join_problems("problems", self.problems) if self.problems else "no problems")
        return "\n".join(lines)

    def paths_outside(self) -> list[tuple[str, Path]]:
        """Catalog paths (as written, and resolved) that lead outside the catalog's folder: ``../x``, absolute."""
        root = self.path.parent.resolve()
        values = [layer.spec.path for layer in self.layers.values() if not layer.spec.derived and layer.spec.path]
        values += [self.spec.sanitary_distances] if self.spec.sanitary_distances else []
        resolved = [(v, resolve_path(self.path.parent, v).resolve()) for v in values]
        return [(v, p) for v, p in resolved if not p.is_relative_to(root)]


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_catalog(path: str | Path) -> Catalog:
    """Validate a layer pack and load its layers.

    Parameters
    ----------
    path
        The ``catalog.yaml`` file, or the folder holding it. Paths inside the catalog are resolved
        relative to the catalog's folder, never the working directory.

    Returns
    -------
    Catalog

    Raises
    ------
    ConfigError
        Listing every problem at once: YAML syntax (with line), unknown keys or kinds, bad CRS,
        duplicate ids, an unknown coverage layer, missing files, layers or columns, missing CRS.
    """
    catalog_path = _catalog_file(Path(path).expanduser())
    try:
        text = catalog_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"layer catalog {catalog_path} is not UTF-8 text ({err.reason} at byte {err.start}); save it as UTF-8"
        ) from err
    spec = catalog_spec_from_text(text, source=catalog_path)
    root = catalog_path.parent.resolve()
    header, problems = f"layer pack {catalog_path} cannot be loaded", []
    sources = [inspect_layer(layer_spec, root, problems) for layer_spec in spec.layers if not layer_spec.derived]
    sanitary = resolve_path(root, spec.sanitary_distances) if spec.sanitary_distances else None
    if sanitary is not None and not sanitary.is_file():
        problems.append(
            f"sanitary_distances: file not found: {sanitary}{nearby_hint(sanitary)}; "
            "fix the path (relative to the catalog folder) or remove the key"
        )
    if problems:
        raise ConfigError(join_problems(header, problems))
    layers = {}
    for src in sources:
        try:
            layers[src.spec.id] = load_layer(src)
        except ConfigError as err:
            problems.append(str(err))
    if problems:
        raise ConfigError(join_problems(header, problems))
    coverage = None
    if spec.coverage and len(layers[spec.coverage].frame):
        coverage = shapely.make_valid(shapely.union_all(layers[spec.coverage].frame.geometry.to_numpy()))
        for layer in layers.values():
            offshore = layer.kind == "marine_redline"  # may lie wholly beyond a land-only boundary
            if layer.report.bounds and not offshore and not coverage.intersects(shapely.box(*layer.report.bounds)):
                layer.report.warnings.append(
                    f"layer '{layer.id}' ({layer.spec.path}) lies entirely outside the coverage area (layer "
                    f"'{spec.coverage}'); check its CRS (read as {layer.report.crs} from the {layer.report.crs_from})"
                )
    catalog = Catalog(catalog_path.resolve(), spec, layers, coverage, _read_sanitary(sanitary))
    derived = [layer_spec for layer_spec in spec.layers if layer_spec.derived]
    if derived:  # buffered in metres, once, now: from here on a derived belt is a layer like a drawn one
        metric = metric_crs_of(catalog)
        for layer_spec in derived:
            layers[layer_spec.id] = derived_belt(layer_spec, layers[layer_spec.from_], metric)
        catalog.layers = {layer_spec.id: layers[layer_spec.id] for layer_spec in spec.layers}
    return catalog


def metric_crs_of(catalog: Catalog):
    """The metric CRS for a pack: chosen from its coverage, else from its vector layers read from files, so every
    registry (and every layer derived in metres) gets the same one."""
    if catalog.coverage is not None and not catalog.coverage.is_empty:
        return metric_crs(catalog.coverage.bounds)
    bounds = np.array(
        [layer.report.bounds for layer in catalog.layers.values() if layer.frame is not None and not layer.spec.derived]
    )
    return metric_crs((bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()))


def _read_sanitary(path: Path | None) -> pd.DataFrame:
    """Read ``industry, distance_m`` (plus any note/source columns); one ConfigError for every bad row."""
    if path is None:
        return pd.DataFrame({"industry": pd.Series(dtype="str"), "distance_m": pd.Series(dtype="float64")})
    try:
        table = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except UnicodeDecodeError:  # saved by Excel on Chinese Windows
        table = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
    table.columns = [str(c).strip() for c in table.columns]
    if missing := [c for c in SANITARY_COLUMNS if c not in table.columns]:
        raise ConfigError(
            f"sanitary distances {path}: missing column(s) {missing}; it has {list(table.columns)}; "
            "the header must read 'industry,distance_m' (optional: note, source)"
        )
    table["industry"] = table["industry"].str.strip()
    distance = pd.to_numeric(table["distance_m"].str.strip(), errors="coerce")
    bad = ~(distance >= 0) | ~np.isfinite(distance)
    problems = [
        f"line {i + 2}: distance_m {table['distance_m'].iat[i]!r} is not a distance in metres >= 0"
        for i in np.flatnonzero(bad)
    ]
    problems += [f"line {i + 2}: industry is empty" for i in np.flatnonzero(table["industry"] == "")]
    dup = table["industry"].duplicated(keep=False) & (table["industry"] != "")
    problems += [
        f"line {i + 2}: industry {table['industry'].iat[i]!r} appears more than once; keep one row"
        for i in np.flatnonzero(dup)
    ]
    if problems:
        raise ConfigError(join_problems(f"sanitary distances {path} is invalid; fix these rows", problems))
    table["distance_m"] = distance.astype("float64")
    return table


def _catalog_file(path: Path) -> Path:
    candidate = path / CATALOG_FILE if path.is_dir() else path
    if not candidate.is_file():
        raise ConfigError(
            f"no layer catalog at {candidate}; pass a layer-pack folder containing {CATALOG_FILE} "
            "or the path of the catalog file itself"
        )
    return candidate
