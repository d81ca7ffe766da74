"""Reading enterprise registries: formats, encodings, column aliases, locations and row_status.

:func:`read_registry` turns a CSV, Excel, GeoPackage, Shapefile (plain or
zipped) or GeoJSON registry into one GeoDataFrame row per input row, in input
order, never dropping a row. Every input column is kept as it was; the
canonical columns of :data:`COLUMN_ALIASES` are added beside them with parsed
values, together with ``input_row``, ``row_status`` and ``issues``.
Geometries are CGCS2000 lon/lat (EPSG:4490), with GCJ-02/BD-09 offsets removed. Text stays Arrow strings: a
canonical text column with nothing to strip shares the text of the input column it comes from.

``lon``/``lat`` are the **screened** location: the geometry's CGCS2000 longitude
and latitude after any swap or offset correction (a point inside a site
footprint), NaN where the row has no location. What the file gave stays only in
its own input columns (e.g. ``经度``/``X坐标``), unchanged; an input column named
exactly ``lon`` or ``lat`` is kept as ``lon_input``/``lat_input``.

``issues`` is a ';'-joined list of warnings that never stop screening:
``duplicate_enterprise_id:rows 2,7``, ``enterprise_id_missing``,
``uscc_length:N``, ``uscc_char:X``, ``uscc_check:expected X``,
``<column>_unparsed:<value>`` (``grade_unparsed:E`` for the grade),
``coords_swapped``, ``location_missing``, ``location_zero``,
``location_out_of_range``, ``geometry_empty``, ``geometry_repaired``. Cells are read by
:mod:`geo_screen.inputs.values` (text, numbers, yes/no, grades) and the issue columns joined there.

>>> reg = read_registry("enterprises.csv", crs="gcj02")          # doctest: +SKIP
>>> reg[["enterprise_id", "row_status", "issues"]].head()          # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo_screen.coded import arrow_text
from geo_screen.errors import CRSError, InputDataError
from geo_screen.inputs.columns import (
    ADDRESS,
    COLUMN_ALIASES,
    LAT,
    LON,
    X,
    Y,
    canonical_of,
    match_columns,
)
from geo_screen.inputs.crs import InputCRS, parse_crs
from geo_screen.inputs.identifiers import normalize_uscc_series, uscc_issue_series
from geo_screen.inputs.locations import coverage_geometry, locate, locate_geometries, spatial_crs
from geo_screen.inputs.sources import RawTable, read_table
from geo_screen.inputs.values import (
    duplicate_id_issues,
    duplicate_issues,
    grade_values,
    issue_column,
    join_issues,
    number_values,
    text_values,
    yes_no_values,
)
from geo_screen.results import (
    COUNTY,
    ENTERPRISE_ID,
    GRADE,
    INDUSTRY,
    INPUT_ROW,
    ISSUES,
    NAME,
    OUTPUT_CRS,
    ROW_STATUS,
    SANITARY_DISTANCE,
    STATUS_INVALID,
    STATUS_OK,
    STATUS_OUT,
    STATUS_SWAPPED,
)
from geo_screen.threads import intersects_xy, split_map

__all__ = [  # duplicate_issues and join_issues: the chunked engine reads a large file through them
    "COLUMN_ALIASES",
    "ENTERPRISE_ID",
    "SWAPPED_ISSUE",
    "duplicate_issues",
    "join_issues",
    "mark_coverage",
    "match_columns",
    "read_registry",
    "registry_from_table",
    "screened_lonlat",
]

SWAPPED_ISSUE = "coords_swapped"

_TEXT = (ENTERPRISE_ID, NAME, INDUSTRY, ADDRESS, COUNTY)
_RESERVED = (INPUT_ROW, ROW_STATUS, ISSUES, "geometry")


# --------------------------------------------------------------------------- public API


def read_registry(
    path: str | Path,
    *,
    crs: object = "EPSG:4326",
    coverage: object = None,
    sheet: str | int | None = None,
    layer: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read an enterprise registry into one CGCS2000 GeoDataFrame row per input row.

    Parameters
    ----------
    path
        ``.csv``/``.txt``/``.tsv``, ``.xlsx``/``.xlsm``, ``.gpkg``, ``.shp``, ``.zip`` (one
        shapefile) or ``.geojson``/``.json``.
    crs
        Coordinate system of the location columns, or of a spatial file that
        declares none: anything :func:`geo_screen.inputs.crs.parse_crs` accepts, including
        ``"gcj02"`` (AMap/Tencent) and ``"bd09"`` (Baidu). A file's own CRS wins,
        except that ``gcj02``/``bd09`` with a geographic file means its lon/lat are offset.
    coverage
        Optional area (shapely geometry, or GeoSeries/GeoDataFrame) in EPSG:4490
        lon/lat; rows outside get ``out_of_coverage``, and it breaks ties when
        deciding whether lon/lat were swapped.
    sheet, layer
        Excel sheet (name or 0-based index; default the first); GeoPackage layer or
        the shapefile inside a zip (its name without ``.shp``).
    encoding
        Force a text encoding (CSV; Shapefile DBF). By default CSV tries UTF-8
        (with or without BOM) and then GB18030; a Shapefile without ``.cpg`` is sniffed.

    Returns
    -------
    geopandas.GeoDataFrame
        RangeIndex in input order; the input columns, the canonical columns,
        ``input_row`` (1-based data row), ``row_status``, ``issues``, geometry
        (EPSG:4490; None where the location is invalid). ``attrs["registry"]``
        records source, format, encoding, crs and the matched ``columns``.

    Raises
    ------
    InputDataError
        Missing, empty, undecodable or unreadable file; unknown format; no
        usable location columns; x/y without a projected ``crs``.
    """
    path = Path(path)
    requested = parse_crs(crs, where="crs")
    table = read_table(path, sheet=sheet, layer=layer, encoding=encoding)
    return registry_from_table(table, path, crs=requested, coverage=coverage)


def registry_from_table(
    table: RawTable,
    path: Path,
    *,
    crs: object,
    coverage: object = None,
    first_row: int = 1,
    duplicates: pa.Array | None = None,
) -> gpd.GeoDataFrame:
    """Parse a raw table (or one chunk of a large file) into registry rows; see :func:`read_registry`.

    ``first_row`` is the ``input_row`` of the table's first row. ``duplicates`` gives the chunk's
    ``duplicate_enterprise_id:...`` issues from a pass over the whole file
    (:func:`duplicate_issues`); without it duplicates are looked for within the table.
    """
    requested = crs if isinstance(crs, InputCRS) else parse_crs(crs, where="crs")
    data, renamed = _rename_reserved(table.data)
    data, controls = _without_control_characters(data)
    columns = match_columns(data.columns)
    warnings = _duplicate_location_columns(data, columns, path)
    data, columns, renamed = _keep_input_coordinates(data, columns, renamed)
    parsed, issues, blank = _parse_columns(data, columns, duplicates=duplicates)
    issues.append(controls)
    n = len(data)

    inside = None  # per row, located and inside the coverage, where that is known already
    if table.geometry is None:
        src = requested
        xcol, ycol = _location_columns(columns, src, path, headers=list(data.columns))
        lon, lat, swapped, reason, inside = locate(
            parsed[xcol].to_numpy(), parsed[ycol].to_numpy(), src, coverage, missing=blank[xcol] | blank[ycol]
        )
        geoms = np.full(n, None, dtype=object)
        good = np.isfinite(lon)
        geoms[good] = split_map(shapely.points, lon[good], lat[good])
        location = f"{xcol}/{ycol}"
    else:
        src = spatial_crs(table.crs, requested)
        geoms, swapped, reason, repaired = locate_geometries(table.geometry, src, coverage)
        lon, lat = screened_lonlat(geoms)
        issues.append(issue_column(repaired, "geometry_repaired"))
        location = "geometry"
    parsed[LON], parsed[LAT] = pd.Series(lon, index=data.index), pd.Series(lat, index=data.index)
    del parsed[X], parsed[Y]  # the input x/y stay in their own columns only
    issues.append(issue_column(swapped, SWAPPED_ISSUE))
    for code in ("location_missing", "location_zero", "location_out_of_range", "geometry_empty"):
        issues.append(issue_column(reason == code, code))

    out = {c: parsed.pop(c) if c in parsed else data[c] for c in data.columns}
    out.update(parsed)
    out[INPUT_ROW] = np.arange(first_row, first_row + n, dtype=np.int64)
    out[ROW_STATUS] = _row_status(~shapely.is_missing(geoms), swapped, inside)
    out[ISSUES] = pd.Series(pd.array(join_issues(issues, n), dtype="string"))
    registry = gpd.GeoDataFrame(pd.DataFrame(out), geometry=geoms, crs=OUTPUT_CRS)
    registry.attrs["registry"] = {
        "source": str(path),
        "format": table.format,
        "encoding": table.encoding,
        "crs": src.label,
        "location": location,
        "columns": columns,
        "renamed": renamed,
        **({"warnings": warnings} if warnings else {}),
    }
    if coverage is not None and inside is not None:
        registry.attrs["registry"]["coverage_bounds"] = tuple(coverage_geometry(coverage).bounds)
    elif coverage is not None:  # footprints are tested against the coverage here
        registry = mark_coverage(registry, coverage)
    pa.default_memory_pool().release_unused()  # the parsing's temporaries: Arrow's allocator keeps them otherwise
    return registry


def mark_coverage(
    registry: gpd.GeoDataFrame, coverage: object, *, inside: np.ndarray | None = None
) -> gpd.GeoDataFrame:
    """Set ``row_status`` to ``out_of_coverage`` for located rows outside ``coverage``.

    ``coverage`` is a shapely geometry in EPSG:4490 lon/lat (or a GeoSeries /
    GeoDataFrame, reprojected and unioned). Points on the boundary count as
    inside; a footprint counts as inside when it touches the area. Rows marked
    out of coverage by an earlier call and now inside get ``ok`` (or
    ``coords_swapped``) back. Returns a copy; ``invalid_location`` rows stay.
    ``inside``: per row, located and inside ``coverage``, when the caller tested that already
    (:func:`~geo_screen.inputs.locations.locate` does while it looks for swapped pairs).
    """
    area = coverage_geometry(coverage)
    out = registry.copy(deep=False)  # copy-on-write: the new row_status never reaches the caller's frame
    geoms = np.asarray(out.geometry.array, dtype=object)
    located = (out[ROW_STATUS] != STATUS_INVALID).to_numpy() & ~shapely.is_missing(geoms)
    if inside is None:
        inside = np.zeros(len(out), dtype=bool)
        points = located & (shapely.get_type_id(geoms) == 0)
        inside[points] = intersects_xy(area, shapely.get_x(geoms[points]), shapely.get_y(geoms[points]))
        others = located & ~points
        inside[others] = shapely.intersects(area, geoms[others])
    swapped = out[ISSUES].str.contains(SWAPPED_ISSUE, regex=False).fillna(False).to_numpy(dtype=bool)
    out[ROW_STATUS] = _row_status(located, swapped, inside, index=out.index)
    out.attrs = {
        **registry.attrs,
        "registry": {**registry.attrs.get("registry", {}), "coverage_bounds": tuple(area.bounds)},
    }
    return out


_STATUSES = pa.array([STATUS_OK, STATUS_SWAPPED, STATUS_INVALID, STATUS_OUT], type=pa.large_string())


def _row_status(
    located: np.ndarray, swapped: np.ndarray, inside: np.ndarray | None, *, index: pd.Index | None = None
) -> pd.Series:
    """``row_status``: invalid_location where a row has no location, else out_of_coverage where it lies outside
    the coverage (``inside`` None: none given), else coords_swapped or ok."""
    code = swapped.astype(np.int8)
    if inside is not None:
        code[~inside] = 3
    code[~located] = 2
    return pd.Series(pd.array(_STATUSES.take(pa.array(code)), dtype="string"), index=index)


# --------------------------------------------------------------------------- columns and values


def _duplicate_location_columns(data: pd.DataFrame, columns: dict[str, str], path: Path) -> list[str]:
    """Warnings for location columns that appear twice (two 经度 columns, or 经度 and lon) with equal values;
    an error when their values differ, since either could be the right one."""
    warnings = []
    for canon in (LON, LAT, X, Y):
        chosen = columns.get(canon)
        if chosen is None:
            continue
        others = [h for h in data.columns if h != chosen and canonical_of(h) == canon]
        used = number_values(text_values(data[chosen]), negative_ok=True)[0] if others else None
        for other in others:
            values = number_values(text_values(data[other]), negative_ok=True)[0]
            differ = np.isfinite(used) != np.isfinite(values)
            both = np.isfinite(used) & np.isfinite(values)
            differ[both] = ~np.isclose(used[both], values[both], rtol=0, atol=1e-9)
            if differ.any():
                row = int(np.flatnonzero(differ)[0])
                raise InputDataError(
                    f"{path}: the location is ambiguous: columns {chosen!r} and {other!r} both hold {canon} and "
                    f"differ ({differ.sum():,} rows, the first data row {row + 1}: {data[chosen].iloc[row]!r} vs "
                    f"{data[other].iloc[row]!r}); delete or rename the column that is wrong"
                )
            warnings.append(f"columns {chosen!r} and {other!r} both hold {canon} (equal values); {chosen!r} is used")
    return warnings


def _keep_input_coordinates(
    data: pd.DataFrame, columns: dict[str, str], renamed: dict[str, str]
) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """Input columns named exactly ``lon``/``lat`` renamed ``lon_input``/``lat_input``: the canonical names
    hold the screened location, and the input values must survive beside it."""
    clash = {c: f"{c}_input" for c in (LON, LAT) if columns.get(c) == c}
    if not clash:
        return data, columns, renamed
    columns = {k: clash.get(v, v) if k in clash else v for k, v in columns.items()}
    return data.rename(columns=clash), columns, {**renamed, **clash}


def screened_lonlat(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CGCS2000 lon/lat of each location: a point's own, a point inside a footprint; NaN where there is none."""
    geoms = np.asarray(geoms, dtype=object)
    lon, lat = np.full(len(geoms), np.nan), np.full(len(geoms), np.nan)
    usable = ~shapely.is_missing(geoms)
    usable[usable] = ~shapely.is_empty(geoms[usable])
    points = geoms[usable]
    other = shapely.get_type_id(points) != 0
    if other.any():
        points = points.copy()
        points[other] = shapely.point_on_surface(points[other])
    lon[usable], lat[usable] = shapely.get_x(points), shapely.get_y(points)
    return lon, lat


def _rename_reserved(data: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    renamed = {c: f"{c}_original" for c in data.columns if c in _RESERVED}
    return (data.rename(columns=renamed) if renamed else data), renamed


#: C0 control characters (tab, LF and CR excepted) and DEL: a GeoPackage cuts text at NUL, XML refuses them
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _without_control_characters(data: pd.DataFrame) -> tuple[pd.DataFrame, pa.Array | None]:
    """Text columns with every control character replaced by a space, and ``control_characters:<columns>``
    issues naming the columns that had one (so every output holds the same text)."""
    hit_columns = np.full(len(data), None, dtype=object)
    replaced = {}
    for column in data.columns:
        values = data[column]
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            continue
        text = arrow_text(values)
        if not _has_control_bytes(text):
            continue
        mask = pc.fill_null(pc.match_substring_regex(text, _CONTROL), False).to_numpy(zero_copy_only=False)
        if not mask.any():
            continue
        replaced[column] = values.where(~mask, values[mask].astype(str).str.replace(_CONTROL, " ", regex=True))
        label = str(column).replace(";", ",")
        for i in np.flatnonzero(mask):
            hit_columns[i] = label if hit_columns[i] is None else f"{hit_columns[i]},{label}"
    if not replaced:
        return data, None
    data = data.copy()
    for column, values in replaced.items():
        data[column] = values
    tokens = np.where(pd.isna(hit_columns), None, "control_characters:" + hit_columns.astype(str))
    return data, pa.array(tokens, type=pa.large_string())


def _has_control_bytes(text: pa.Array) -> bool:
    """Whether UTF-8 text may hold a control character: a byte below 0x20 or 0x7F (in UTF-8 such a byte is
    always that character itself). Tab, LF and CR count here too; the exact test runs only where this says yes."""
    data = np.frombuffer(text.buffers()[2] or b"", dtype=np.uint8)
    return bool(len(data)) and (data.min() < 0x20 or bool((data == 0x7F).any()))


def _parse_columns(data: pd.DataFrame, columns: dict[str, str], *, duplicates: pa.Array | None = None):
    """Parsed canonical columns, issue columns, and blank masks of the location columns."""
    parsed: dict[str, pd.Series] = {}
    issues: list[pa.Array | None] = []
    blank: dict[str, np.ndarray] = {}
    for canon in COLUMN_ALIASES:
        if canon not in columns:
            parsed[canon] = _empty_column(canon, data.index)
            continue
        cells = data[columns[canon]]
        if canon == ENTERPRISE_ID:
            parsed[canon] = value = normalize_uscc_series(text_values(cells))
            issues += [
                issue_column(value.isna().to_numpy(), "enterprise_id_missing"),
                pa.array(uscc_issue_series(value), type=pa.large_string()),
                duplicate_id_issues(value) if duplicates is None else duplicates,
            ]
            continue
        if canon in _TEXT:
            parsed[canon] = text_values(cells)
            continue
        if canon in (LON, LAT, X, Y, SANITARY_DISTANCE):
            values, problem = number_values(cells, negative_ok=canon != SANITARY_DISTANCE)
            parsed[canon] = pd.Series(values, index=data.index)
            blank[canon] = np.isnan(values) & ~problem  # no number and nothing unreadable: a blank cell
            prefix = f"{canon}_unparsed:"
        else:  # the grade and the yes/no attributes
            parsed[canon], problem = grade_values(cells) if canon == GRADE else yes_no_values(cells)
            prefix = "grade_unparsed:" if canon == GRADE else f"{canon}_unparsed:"
        issues.append(issue_column(problem, prefix, text_values(cells)) if problem.any() else None)
    return parsed, issues, blank


def _empty_column(canon: str, index: pd.Index) -> pd.Series:
    if canon in (LON, LAT, X, Y, SANITARY_DISTANCE):
        return pd.Series(np.nan, index=index, dtype="float64")
    return pd.Series(pd.NA, index=index, dtype="string" if canon in _TEXT or canon == GRADE else "boolean")


# --------------------------------------------------------------------------- locations


def _location_columns(columns: dict[str, str], src: InputCRS, path: Path, *, headers: list) -> tuple[str, str]:
    has_lonlat, has_xy = LON in columns and LAT in columns, X in columns and Y in columns
    if src.is_geographic and has_lonlat:
        return LON, LAT
    if not src.is_geographic and has_xy:
        return X, Y
    if has_xy:
        raise CRSError(
            f"{path}: the location columns {columns[X]!r}/{columns[Y]!r} are projected x/y, but "
            f"crs={src.label!r} is geographic; pass the CRS they are in, e.g. crs='EPSG:4549' "
            "(CGCS2000 Gauss-Kruger CM 120E, Nantong), or, if they hold degrees, rename them to 经度/纬度 (lon/lat)"
        )
    if has_lonlat:
        raise CRSError(
            f"{path}: crs={src.label!r} is projected but the file has longitude/latitude columns "
            f"{columns[LON]!r}/{columns[LAT]!r} and no x/y; drop crs= (degrees default to EPSG:4326), "
            "pass crs='gcj02'/'bd09' for AMap/Baidu coordinates, or name the projected columns x/y"
        )
    raise InputDataError(
        f"{path}: no location columns among the headers found ({', '.join(map(str, headers))}) and no "
        f"geometry. Add longitude/latitude columns named one of "
        f"{', '.join(COLUMN_ALIASES[LON])} / {', '.join(COLUMN_ALIASES[LAT])}, or projected x/y columns named "
        f"{', '.join(COLUMN_ALIASES[X])} / {', '.join(COLUMN_ALIASES[Y])} with crs= the projected CRS"
    )
