"""One layer of a pack: checking its file cheaply, reading it into a CGCS2000 frame (vectors) or its
metadata (rasters), zone normalisation, make_valid repairs, and the per-layer report.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
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

from geo_screen.errors import ConfigError, CRSError
from geo_screen.inputs.crs import InputCRS, geometries_to_lonlat, parse_crs
from geo_screen.pack.model import ENCODED_SUFFIXES, POLYGON_KINDS, LayerSpec, did_you_mean
from geo_screen.pack.zones import UNKNOWN_ZONE, ZONE_FIELD, ZONE_REQUIRED, zones_from_labels
from geo_screen.results import OUTPUT_CRS

# layer frame columns, in order; the source's own columns follow them
LAYER_ID, NAME, ZONE, ZONE_LABEL, CATEGORY, CODE, CLASS = (
    "layer_id",
    "name",
    "zone",
    "zone_label",
    "category",
    "code",
    "class",
)
FRAME_COLUMNS = (LAYER_ID, NAME, ZONE, ZONE_LABEL, CATEGORY, CODE, CLASS)
SOURCE_PREFIX = "source_"  #: prefixed to a source column whose name collides with a frame column
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

    @property
    def conditional_classes(self) -> tuple[str, ...]:
        """Class codes whose industrial use is conditional (land_use_plan only, else empty)."""
        return self.spec.conditional_classes if self.kind == "land_use_plan" else ()

    @cached_property
    def raster_band(self) -> tuple[np.ndarray, Any, Any, float | None]:
        """A raster layer's class band with its affine transform, pyproj CRS and nodata value, read once."""
        if self.raster is None:
            raise ValueError(f"layer {self.id!r} is not a raster")
        with rasterio.open(self.raster.path) as src:
            return src.read(1), self.raster.transform, self.raster.crs.crs, self.raster.nodata


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


def inspect_layer(spec: LayerSpec, root: Path, problems: list[str]) -> _Source:
    """Check one layer's file without reading its features; append fixable problems."""
    src = _Source(spec, resolve_path(root, spec.path), f"layer '{spec.id}' ({spec.path})")
    if not src.path.exists():
        problems.append(
            f"{src.where}: file not found: {src.path}{nearby_hint(src.path)}; fix 'path' "
            "(it is relative to the catalog folder) or copy the file there"
        )
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
            problems.append(
                f"{where}: no layer '{spec.layer}' in the file; it has {names}"
                f"{did_you_mean(spec.layer, names, template=_SUGGEST)}; fix 'layer'"
            )
            return None
        if spec.layer is None and len(names) > 1:
            problems.append(
                f"{where} holds {len(names)} layers {names}; add 'layer: {names[0]}' "
                "(or the right one) to its catalog entry"
            )
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
            problems.append(
                f"{where}: fields.{canon}: column '{column}' not in the file"
                f"{did_you_mean(column, columns, template=_SUGGEST)}; the file has columns {columns}"
                + (misdecoded or "; fix 'fields'")
            )
    geometry_type = info.get("geometry_type")
    if geometry_type is None:
        problems.append(f"{where}: the file has no geometry column; point 'path' at a spatial layer")
    elif spec.kind in POLYGON_KINDS and any(t in geometry_type for t in ("Point", "LineString")):
        problems.append(
            f"{where}: kind {spec.kind} needs polygons but the file holds {geometry_type}; "
            "use the zone polygons (or change 'kind')"
        )
    return info.get("crs")


def _inspect_raster(src: _Source, problems: list[str]) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # reported below, with the fix
            with rasterio.open(src.path) as ds:
                src.info = {
                    "bounds": tuple(ds.bounds),
                    "transform": ds.transform,
                    "nodata": ds.nodata,
                    "width": ds.width,
                    "height": ds.height,
                    "count": ds.count,
                    "dtype": ds.dtypes[0],
                }
                crs = ds.crs
    except RasterioIOError as err:
        problems.append(f"{src.where}: cannot be read as a raster ({err}); check the file and its 'path'")
        return None
    if src.info["transform"].is_identity:
        problems.append(
            f"{src.where}: the raster has no georeferencing (no geotransform); "
            "export it as a GeoTIFF with its position, or add a world file (.tfw)"
        )
    return crs.to_wkt() if crs else None


# --------------------------------------------------------------------------- reading


def load_layer(src: _Source) -> Layer:
    """Read a checked layer: a vector into an EPSG:4490 frame, or a raster's metadata."""
    return _load_raster(src) if src.spec.is_raster else _load_vector(src)


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
    minx, miny, maxx, maxy = shapely.total_bounds(geoms) if len(geoms) else (0.0, 0.0, 0.0, 0.0)
    if src.crs.is_geographic and len(geoms) and not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ConfigError(
            f"{where}: coordinates reach ({minx:.0f}, {miny:.0f}) .. ({maxx:.0f}, {maxy:.0f}), "
            f"not longitude/latitude as its CRS {_label(src.crs)} (from the {src.crs_from}) says; "
            f"the data is projected: set 'crs: {_crs_hint((minx, miny, maxx, maxy))}' in its entry"
        )
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
    report = LayerReport(
        features=len(frame),
        crs=_label(src.crs),
        crs_from=src.crs_from,
        bounds=tuple(float(b) for b in frame.total_bounds) if len(frame) else None,
        repaired=int(invalid.sum()),
        empty=int(missing.sum()),
        wrong_type=int(wrong.sum()),
    )
    if report.features == 0:
        report.warnings.append(
            f"{where} has no usable features ({report.empty} empty, {report.wrong_type} "
            "non-polygonal); check the file or remove the layer"
        )
    elif report.wrong_type:
        report.warnings.append(
            f"{where}: {report.wrong_type} features have no polygon part and were dropped "
            f"from this {spec.kind} layer; fix or remove them"
        )
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
    return pd.concat([out, df.rename(columns={c: SOURCE_PREFIX + c for c in df.columns if c in FRAME_COLUMNS})], axis=1)


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
            report.warnings.append(
                f"layer '{spec.id}' ({spec.kind}) has no zone field, so all {len(frame)} "
                f"features are zone '{UNKNOWN_ZONE}'; add 'fields: {{zone: <column>}}'"
            )
        return
    zone, report.unknown_zone_values = zones_from_labels(frame[ZONE_LABEL], spec.kind, spec.zone_values)
    frame[ZONE] = zone.to_numpy()
    if report.unknown_zone_values:
        shown = ", ".join(f"{k!r} ({v})" for k, v in report.unknown_zone_values.items())
        report.warnings.append(
            f"layer '{spec.id}': {sum(report.unknown_zone_values.values())} features have {column} values outside "
            f"the {spec.kind} vocabulary and are zone '{UNKNOWN_ZONE}': {shown}; map them in "
            "'zone_values: {<value>: <zone>}' or correct the data"
        )


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
    raster = RasterInfo(
        src.path,
        src.crs,
        info["transform"],
        info["nodata"],
        dict(spec.classes or {}),
        spec.industrial_classes_or_default,
        info["width"],
        info["height"],
        info["count"],
        info["dtype"],
    )
    report = LayerReport(features=None, crs=_label(src.crs), crs_from=src.crs_from, bounds=bounds)
    return Layer(spec.id, spec.kind, src.path, spec, report, raster=raster)


# --------------------------------------------------------------------------- small helpers


def resolve_path(root: Path, value: str) -> Path:
    """A catalog path: relative paths resolve against the catalog's folder ``root``, never the working directory."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def with_sidecars(path: Path) -> list[Path]:
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
                    return (
                        f"; the shapefile has no .cpg file and {text!r} reads as {raw.decode(encoding)!r} "
                        f"in {encoding}: add 'encoding: {encoding}' to its catalog entry"
                    )
                except UnicodeDecodeError:
                    continue
    return ""


def nearby_hint(path: Path) -> str:
    """A 'did you mean' suggestion from the files beside a missing ``path`` (empty when none is close)."""
    siblings = [p.name for p in path.parent.iterdir()] if path.parent.is_dir() else []
    return did_you_mean(path.name, siblings, template=_SUGGEST)
