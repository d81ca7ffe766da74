"""Layer packs: read a ``catalog.yaml`` and its layers into CGCS2000 frames with a per-layer report.

A layer pack is a folder with ``catalog.yaml`` (format: :mod:`geo_screen.catalog_model`) and the
official layers it names. :func:`load_catalog` first checks every file cheaply (exists, readable,
has the mapped columns, has a CRS) and raises one :class:`~geo_screen.errors.ConfigError` listing
every problem; then it reads vectors with pyogrio into EPSG:4490 lon/lat (GCJ-02/BD-09 offsets
removed), repairs invalid geometry with :func:`shapely.make_valid`, drops null/empty geometry,
normalises zone labels to canonical codes, and opens rasters with rasterio for their metadata
only. Data problems that do not stop screening (unknown zone values, empty layers, a layer outside
the coverage) are counted in the report and listed in :attr:`Catalog.problems`.

Examples
--------
>>> catalog = load_catalog("layers/nantong")                                # doctest: +SKIP
>>> [layer.id for layer in catalog.of_kind("water_source_protection")]     # doctest: +SKIP
['water_source']
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from geo_screen.catalog_model import (
    ENCODED_SUFFIXES, POLYGON_KINDS, UNKNOWN_ZONE, ZONE_FIELD, ZONE_REQUIRED, CatalogSpec, LayerSpec,
    catalog_spec_from_text, did_you_mean, zones_from_labels,
)
from geo_screen.crs import OUTPUT_CRS, InputCRS, geometries_to_lonlat, metric_crs, parse_crs
from geo_screen.errors import ConfigError, CRSError, join_problems

CATALOG_FILE = "catalog.yaml"
# layer frame columns, in order; the source's own columns follow them
LAYER_ID, NAME, ZONE, ZONE_LABEL, CATEGORY, CODE, CLASS = (
    "layer_id", "name", "zone", "zone_label", "category", "code", "class")
FRAME_COLUMNS = (LAYER_ID, NAME, ZONE, ZONE_LABEL, CATEGORY, CODE, CLASS)
SOURCE_PREFIX = "source_"  #: prefixed to a source column whose name collides with a frame column
SANITARY_COLUMNS = ("industry", "distance_m")
REPORT_COLUMNS = ("id", "kind", "path", "format", "features", "crs", "crs_from", "bounds",
                  "repaired", "empty", "wrong_type", "unknown_zone_values")
_SUGGEST = " (did you mean '{}'?)"


@dataclass
class LayerReport:
    """What loading one layer found.

    ``features`` counts kept features (``None`` for rasters); ``crs`` is the CRS as read and
    ``crs_from`` says whether it came from the ``file`` or the ``catalog``; ``bounds`` are EPSG:4490;
    ``repaired`` counts geometries fixed by make_valid, ``empty`` null/empty geometries dropped,
    ``wrong_type`` features of a polygon layer dropped for having no polygonal part;
    ``unknown_zone_values`` maps labels outside the vocabulary to feature counts; ``warnings`` are
    the layer's entries in :attr:`Catalog.problems`.
    """

    features: int | None
    crs: str
    crs_from: str
    bounds: tuple[float, float, float, float] | None = None
    repaired: int = 0
    empty: int = 0
    wrong_type: int = 0
    unknown_zone_values: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RasterInfo:
    """A land-use raster's metadata; screening samples it at enterprise locations.

    ``classes`` maps raster values to class codes (empty: the value itself is the class). Points
    go from EPSG:4490 into ``crs`` (which may carry a GCJ-02/BD-09 offset) before sampling.
    """

    path: Path
    crs: InputCRS
    transform: Any  # affine.Affine
    nodata: float | None
    classes: dict[int, str]
    industrial_classes: tuple[str, ...]
    width: int
    height: int
    count: int
    dtype: str


@dataclass
class Layer:
    """One loaded layer: a vector ``frame`` in EPSG:4490 or a ``raster``'s metadata, plus its report."""

    id: str
    kind: str
    path: Path
    spec: LayerSpec
    report: LayerReport
    frame: gpd.GeoDataFrame | None = None
    raster: RasterInfo | None = None

    @property
    def industrial_classes(self) -> tuple[str, ...]:
        """Class codes counted as industrial land (land_use_plan only, else empty)."""
        return self.spec.industrial_classes_or_default if self.kind == "land_use_plan" else ()


@dataclass
class Catalog:
    """A loaded layer pack: the validated spec, its layers by id (file order) and the coverage area."""

    path: Path
    spec: CatalogSpec
    layers: dict[str, Layer]
    coverage: Any  #: shapely geometry in EPSG:4490 lon/lat, or None
    sanitary_distances: pd.DataFrame

    @property
    def name(self) -> str:
        return self.spec.name

    def of_kind(self, *kinds: str) -> list[Layer]:
        """Layers of any of ``kinds``, in file order."""
        return [layer for layer in self.layers.values() if layer.kind in kinds]

    def files(self) -> list[Path]:
        """Every file the pack read (catalog, layer files with sidecars, sanitary CSV), for hashing."""
        out = [self.path] + [f for layer in self.layers.values() for f in _with_sidecars(layer.path)]
        if self.spec.sanitary_distances:
            out.append(_resolve(self.path.parent, self.spec.sanitary_distances))
        return list(dict.fromkeys(out))

    def report(self) -> pd.DataFrame:
        """One row per layer with the columns of :data:`REPORT_COLUMNS`."""
        rows = [{"id": layer.id, "kind": layer.kind, "path": layer.spec.path,
                 "format": "raster" if layer.raster else "vector",
                 **{k: getattr(layer.report, k) for k in REPORT_COLUMNS[4:]}} for layer in self.layers.values()]
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
            what = (f"raster {ras.width}x{ras.height} px, {ras.count} band(s), {len(ras.classes)} classes mapped"
                    if ras else f"{r.features} features")
            extra = [f"{n} {label}" for n, label in ((r.repaired, "repaired"), (r.empty, "empty dropped"),
                     (r.wrong_type, "non-polygonal dropped"), (sum(r.unknown_zone_values.values()), "unknown zone"))
                     if n]
            bounds = "no extent" if r.bounds is None else "bounds {:.4f},{:.4f} .. {:.4f},{:.4f}".format(*r.bounds)
            lines.append(f"  {layer.id} [{layer.kind}] {layer.spec.path}: {what}, CRS {r.crs} ({r.crs_from}), "
                         f"{bounds}" + (f"; {', '.join(extra)}" if extra else ""))
        if self.coverage is not None:
            area = gpd.GeoSeries([self.coverage], crs=OUTPUT_CRS).to_crs(metric_crs(self.coverage.bounds)).area
            lines.append(f"coverage: union of layer '{self.spec.coverage}', {float(area.iloc[0]) / 1e6:.1f} km2")
        lines.append(f"sanitary distances: {len(self.sanitary_distances)} industries"
                     + (f" ({self.spec.sanitary_distances})" if self.spec.sanitary_distances else " (none given)"))
        lines.append(join_problems("problems", self.problems) if self.problems else "no problems")
        return "\n".join(lines)


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
        raise ConfigError(f"layer catalog {catalog_path} is not UTF-8 text ({err.reason} at byte {err.start}); "
                          "save it as UTF-8") from err
    spec = catalog_spec_from_text(text, source=catalog_path)
    root = catalog_path.parent.resolve()
    header, problems = f"layer pack {catalog_path} cannot be loaded", []
    sources = [_inspect(layer_spec, root, problems) for layer_spec in spec.layers]
    sanitary = _resolve(root, spec.sanitary_distances) if spec.sanitary_distances else None
    if sanitary is not None and not sanitary.is_file():
        problems.append(f"sanitary_distances: file not found: {sanitary}{_nearby(sanitary)}; "
                        "fix the path (relative to the catalog folder) or remove the key")
    if problems:
        raise ConfigError(join_problems(header, problems))
    layers = {}
    for src in sources:
        try:
            layers[src.spec.id] = _load_raster(src) if src.spec.is_raster else _load_vector(src)
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
                    f"'{spec.coverage}'); check its CRS (read as {layer.report.crs} from the {layer.report.crs_from})")
    return Catalog(catalog_path.resolve(), spec, layers, coverage, _read_sanitary(sanitary))


# --------------------------------------------------------------------------- checking files

@dataclass
class _Source:
    spec: LayerSpec
    path: Path
    where: str
    crs: InputCRS | None = None
    crs_from: str = "file"
    layer: str | None = None
    encoding: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


def _inspect(spec: LayerSpec, root: Path, problems: list[str]) -> _Source:
    """Check one layer's file without reading its features; append fixable problems."""
    src = _Source(spec, _resolve(root, spec.path), f"layer '{spec.id}' ({spec.path})")
    if not src.path.exists():
        problems.append(f"{src.where}: file not found: {src.path}{_nearby(src.path)}; fix 'path' "
                        "(it is relative to the catalog folder) or copy the file there")
        return src
    file_crs = _inspect_raster(src, problems) if spec.is_raster else _inspect_vector(src, problems)
    if spec.crs:
        src.crs, src.crs_from = spec.input_crs, "catalog"
    elif file_crs is not None:
        try:
            src.crs = parse_crs(file_crs, where=f"{src.where} file CRS")
        except CRSError as err:
            problems.append(f"{err}; or add 'crs: ...' to its catalog entry")
    elif src.info:
        problems.append(f"{src.where} has no CRS; add 'crs: {_crs_hint(src.info['bounds'])}' to its catalog entry")
    return src


def _inspect_vector(src: _Source, problems: list[str]) -> str | None:
    spec, where = src.spec, src.where
    src.encoding = spec.encoding if src.path.suffix.lower() in ENCODED_SUFFIXES else None
    try:
        names = [str(n) for n in pyogrio.list_layers(src.path)[:, 0]]
        if spec.layer is not None and spec.layer not in names:
            problems.append(f"{where}: no layer '{spec.layer}' in the file; it has {names}"
                            f"{did_you_mean(spec.layer, names, template=_SUGGEST)}; fix 'layer'")
            return None
        if spec.layer is None and len(names) > 1:
            problems.append(f"{where} holds {len(names)} layers {names}; add 'layer: {names[0]}' "
                            "(or the right one) to its catalog entry")
            return None
        src.layer = spec.layer if spec.layer is not None else names[0]
        info = pyogrio.read_info(src.path, layer=src.layer, encoding=src.encoding)
    except (DataSourceError, DataLayerError, UnicodeDecodeError) as err:
        problems.append(f"{where}: cannot be read as vector data ({err}); check the file and its 'path'")
        return None
    columns = [str(c) for c in info["fields"]]
    src.info = {"bounds": info.get("total_bounds"), "columns": columns}
    misdecoded = _misdecoded_hint(src, columns)
    for canon, column in spec.fields.as_dict().items():
        if column not in columns:
            problems.append(f"{where}: fields.{canon}: column '{column}' not in the file"
                            f"{did_you_mean(column, columns, template=_SUGGEST)}; the file has columns {columns}"
                            + (misdecoded or "; fix 'fields'"))
    geometry_type = info.get("geometry_type")
    if geometry_type is None:
        problems.append(f"{where}: the file has no geometry column; point 'path' at a spatial layer")
    elif spec.kind in POLYGON_KINDS and any(t in geometry_type for t in ("Point", "LineString")):
        problems.append(f"{where}: kind {spec.kind} needs polygons but the file holds {geometry_type}; "
                        "use the zone polygons (or change 'kind')")
    return info.get("crs")


def _inspect_raster(src: _Source, problems: list[str]) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # reported below, with the fix
            with rasterio.open(src.path) as ds:
                src.info = {"bounds": tuple(ds.bounds), "transform": ds.transform, "nodata": ds.nodata,
                            "width": ds.width, "height": ds.height, "count": ds.count, "dtype": ds.dtypes[0]}
                crs = ds.crs
    except RasterioIOError as err:
        problems.append(f"{src.where}: cannot be read as a raster ({err}); check the file and its 'path'")
        return None
    if src.info["transform"].is_identity:
        problems.append(f"{src.where}: the raster has no georeferencing (no geotransform); "
                        "export it as a GeoTIFF with its position, or add a world file (.tfw)")
    return crs.to_wkt() if crs else None


# --------------------------------------------------------------------------- reading

def _load_vector(src: _Source) -> Layer:
    spec, where = src.spec, src.where
    arrow = src.encoding is None and src.path.suffix.lower() not in ENCODED_SUFFIXES  # arrow assumes UTF-8 text
    try:
        df = gpd.read_file(src.path, engine="pyogrio", layer=src.layer, encoding=src.encoding, use_arrow=arrow)
    except (DataSourceError, DataLayerError, UnicodeDecodeError) as err:
        raise ConfigError(f"{where}: cannot be read ({err}); check the file, or its 'encoding'") from err
    geoms = df.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    df, geoms = df.loc[~missing], shapely.force_2d(geoms[~missing])
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    if src.crs.is_geographic and len(geoms) and not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ConfigError(f"{where}: coordinates reach ({minx:.0f}, {miny:.0f}) .. ({maxx:.0f}, {maxy:.0f}), "
                          f"not longitude/latitude as its CRS {_label(src.crs)} (from the {src.crs_from}) says; "
                          f"the data is projected: set 'crs: {_crs_hint((minx, miny, maxx, maxy))}' in its entry")
    if src.crs.offset or src.crs.crs.to_epsg() not in (4326, 4490):  # WGS84 = CGCS2000 to centimetres
        geoms = geometries_to_lonlat(geoms, src.crs)
    invalid = ~shapely.is_valid(geoms)
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    wrong = np.zeros(len(geoms), dtype=bool)
    if spec.kind in POLYGON_KINDS:
        geoms, wrong = _polygonal(geoms)
        df, geoms = df.loc[~wrong], geoms[~wrong]
    df = df.drop(columns=df.geometry.name).reset_index(drop=True)
    frame = gpd.GeoDataFrame(_attributes(df, spec), geometry=geoms, crs=OUTPUT_CRS)
    report = LayerReport(features=len(frame), crs=_label(src.crs), crs_from=src.crs_from,
                         bounds=tuple(float(b) for b in frame.total_bounds) if len(frame) else None,
                         repaired=int(invalid.sum()), empty=int(missing.sum()), wrong_type=int(wrong.sum()))
    if report.features == 0:
        report.warnings.append(f"{where} has no usable features ({report.empty} empty, {report.wrong_type} "
                               "non-polygonal); check the file or remove the layer")
    elif report.wrong_type:
        report.warnings.append(f"{where}: {report.wrong_type} features have no polygon part and were dropped "
                               f"from this {spec.kind} layer; fix or remove them")
    _zones(frame, df, spec, report)
    sample = [str(v) for c in df.columns if df[c].dtype in (object, "str") for v in df[c].dropna().head(50)]
    if hint := _misdecoded_hint(src, src.info["columns"] + sample):
        report.warnings.append(f"{where}: text may be mis-decoded{hint}")
    return Layer(spec.id, spec.kind, src.path, spec, report, frame=frame)


def _attributes(df: pd.DataFrame, spec: LayerSpec) -> pd.DataFrame:
    """Frame columns first (zone columns are filled by :func:`_zones`), then the source's own columns."""
    mapped = spec.fields.as_dict()
    out = pd.DataFrame({LAYER_ID: pd.Series(spec.id, index=df.index, dtype="str")})
    for canon in FRAME_COLUMNS[1:]:
        use = canon in mapped and canon not in (ZONE, ZONE_LABEL)
        out[canon] = _text(df[mapped[canon]]) if use else pd.Series(None, index=df.index, dtype=object)
    if spec.classes and CLASS in mapped:  # numeric class codes in a polygon layer
        lookup = {str(k): v for k, v in spec.classes.items()}
        out[CLASS] = out[CLASS].map(lambda v: lookup.get(v, v) if isinstance(v, str) else v)
    return pd.concat([out, df.rename(columns={c: SOURCE_PREFIX + c for c in df.columns if c in FRAME_COLUMNS})],
                     axis=1)


def _zones(frame: gpd.GeoDataFrame, df: pd.DataFrame, spec: LayerSpec, report: LayerReport) -> None:
    """Fill ``zone``/``zone_label`` from the kind's zone field; count and warn about unknown labels."""
    mapped, primary = spec.fields.as_dict(), ZONE_FIELD.get(spec.kind)
    column = next((mapped[f] for f in (primary, "zone", "level") if f in mapped), None)
    frame[ZONE_LABEL] = _text(df[column]).to_numpy() if column else None
    if primary is None or column is None:  # the kind has no zones, or the layer gives none
        required = spec.kind in ZONE_REQUIRED
        frame[ZONE] = UNKNOWN_ZONE if required else None
        if required and len(frame):
            report.unknown_zone_values = {"(no zone field)": len(frame)}
            report.warnings.append(f"layer '{spec.id}' ({spec.kind}) has no zone field, so all {len(frame)} "
                                   f"features are zone '{UNKNOWN_ZONE}'; add 'fields: {{zone: <column>}}'")
        return
    zone, report.unknown_zone_values = zones_from_labels(frame[ZONE_LABEL], spec.kind, spec.zone_values)
    frame[ZONE] = zone.to_numpy()
    if report.unknown_zone_values:
        shown = ", ".join(f"{k!r} ({v})" for k, v in report.unknown_zone_values.items())
        report.warnings.append(
            f"layer '{spec.id}': {sum(report.unknown_zone_values.values())} features have {column} values outside "
            f"the {spec.kind} vocabulary and are zone '{UNKNOWN_ZONE}': {shown}; map them in "
            "'zone_values: {<value>: <zone>}' or correct the data")


def _polygonal(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep only the polygonal part of each geometry; flag the ones that have none."""
    idx = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), (3, 6)))  # not Polygon/MultiPolygon
    wrong = np.zeros(len(geoms), dtype=bool)
    if not len(idx):
        return geoms, wrong
    parts, owner = shapely.get_parts(geoms[idx], return_index=True)
    keep = shapely.get_type_id(parts) == 3
    owners = np.unique(owner[keep])
    geoms = geoms.copy()
    if len(owners):
        geoms[idx[owners]] = shapely.multipolygons(parts[keep], indices=owner[keep])[owners]
    wrong[np.setdiff1d(idx, idx[owners])] = True
    return geoms, wrong


def _load_raster(src: _Source) -> Layer:
    spec, info = src.spec, src.info
    outline = shapely.segmentize(shapely.box(*info["bounds"]), (info["bounds"][2] - info["bounds"][0]) / 20)
    bounds = tuple(float(b) for b in shapely.bounds(geometries_to_lonlat(np.array([outline]), src.crs)[0]))
    raster = RasterInfo(src.path, src.crs, info["transform"], info["nodata"], dict(spec.classes or {}),
                        spec.industrial_classes_or_default, info["width"], info["height"], info["count"],
                        info["dtype"])
    report = LayerReport(features=None, crs=_label(src.crs), crs_from=src.crs_from, bounds=bounds)
    return Layer(spec.id, spec.kind, src.path, spec, report, raster=raster)


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
        raise ConfigError(f"sanitary distances {path}: missing column(s) {missing}; it has {list(table.columns)}; "
                          "the header must read 'industry,distance_m' (optional: note, source)")
    table["industry"] = table["industry"].str.strip()
    distance = pd.to_numeric(table["distance_m"].str.strip(), errors="coerce")
    bad = ~(distance >= 0) | ~np.isfinite(distance)
    problems = [f"line {i + 2}: distance_m {table['distance_m'].iat[i]!r} is not a distance in metres >= 0"
                for i in np.flatnonzero(bad)]
    problems += [f"line {i + 2}: industry is empty" for i in np.flatnonzero(table["industry"] == "")]
    dup = table["industry"].duplicated(keep=False) & (table["industry"] != "")
    problems += [f"line {i + 2}: industry {table['industry'].iat[i]!r} appears more than once; keep one row"
                 for i in np.flatnonzero(dup)]
    if problems:
        raise ConfigError(join_problems(f"sanitary distances {path} is invalid; fix these rows", problems))
    table["distance_m"] = distance.astype("float64")
    return table


# --------------------------------------------------------------------------- small helpers

def _catalog_file(path: Path) -> Path:
    candidate = path / CATALOG_FILE if path.is_dir() else path
    if not candidate.is_file():
        raise ConfigError(f"no layer catalog at {candidate}; pass a layer-pack folder containing {CATALOG_FILE} "
                          "or the path of the catalog file itself")
    return candidate


def _resolve(root: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def _with_sidecars(path: Path) -> list[Path]:
    """The file plus same-stem companions (.dbf/.prj/.cpg, .tfw/.aux.xml), or a folder's files (FileGDB)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    if path.suffix.lower() not in ENCODED_SUFFIXES | {".tif", ".tiff", ".img", ".asc"}:
        return [path]
    stem = path.stem.lower() + "."
    return sorted(p for p in path.parent.iterdir() if p.is_file() and p.name.lower().startswith(stem))


def _text(series: pd.Series) -> pd.Series:
    """Attribute values as stripped text (``1.0`` -> ``'1'``), missing and blank as NA."""
    if pd.api.types.is_float_dtype(series):
        finite = series.dropna().to_numpy(dtype="float64")
        if len(finite) and np.all(np.mod(finite, 1) == 0):
            series = series.astype("Int64")
    text = series.astype("str").str.strip()
    return text.where(text != "")


def _label(crs: InputCRS) -> str:
    return crs.label if crs.offset or crs.crs.to_epsg() else crs.crs.name


def _crs_hint(bounds: Any) -> str:
    """A plausible CRS for a file without one, from its coordinates (default EPSG:4549)."""
    if bounds is None or not np.all(np.isfinite(bounds)):
        return "EPSG:4549"
    minx, miny, maxx, maxy = bounds
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        return "EPSG:4490"  # lon/lat; gcj02 or bd09 if it came from AMap or Baidu
    return "EPSG:4528" if 39e6 <= minx <= 42e6 else "EPSG:4549"  # GK CM 120E with / without zone prefix 40


def _misdecoded_hint(src: _Source, texts: list[str]) -> str:
    """If a shapefile without .cpg or ``encoding:`` shows GBK/UTF-8 read as Latin-1, say how to fix it."""
    if src.encoding or src.path.suffix.lower() != ".shp" or src.path.with_suffix(".cpg").exists():
        return ""
    for text in texts:
        if any("\x80" <= ch <= "\xff" for ch in text):
            try:
                raw = text.encode("latin-1")
            except UnicodeEncodeError:
                continue
            for encoding in ("UTF-8", "GBK"):
                try:
                    return (f"; the shapefile has no .cpg file and {text!r} reads as {raw.decode(encoding)!r} "
                            f"in {encoding}: add 'encoding: {encoding}' to its catalog entry")
                except UnicodeDecodeError:
                    continue
    return ""


def _nearby(path: Path) -> str:
    siblings = [p.name for p in path.parent.iterdir()] if path.parent.is_dir() else []
    return did_you_mean(path.name, siblings, template=_SUGGEST)
