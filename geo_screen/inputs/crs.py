"""Coordinate systems: parsing user CRS input, GCJ-02/BD-09 offsets, and metric CRS choice.

Chinese web maps publish coordinates in two deliberately offset systems:
GCJ-02 (AMap, Tencent; ~470-490 m from WGS84 around Nantong) and BD-09
(Baidu; ~1.1 km). Geocoded registries usually carry one of them, so every
location passes through :func:`to_lonlat` before screening. The inverse
conversions iterate to well under a millimetre; the one-step approximations
found in many snippets are metres off.

Distances are measured in a projected CGCS2000 Transverse Mercator chosen for
the data (:func:`metric_crs`), never in degrees and never in Web Mercator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError
from pyproj.exceptions import ProjError as PyprojError

from geo_screen.errors import CRSError
from geo_screen.threads import split_map

#: Geographic CRS in which locations are held between ingest and output.
WORK_CRS = "EPSG:4490"

Offset = Literal["gcj02", "bd09"]
OFFSETS: tuple[str, ...] = ("gcj02", "bd09")
_OFFSET_ALIASES = {
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "amap": "gcj02",
    "火星坐标": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
    "百度坐标": "bd09",
}

# Krasovsky 1940 ellipsoid constants used by the published GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


@dataclass(frozen=True)
class InputCRS:
    """A coordinate system as the user named it: a pyproj CRS, maybe with a Chinese offset.

    ``offset`` is ``"gcj02"`` or ``"bd09"`` for AMap/Baidu coordinates (their
    underlying datum is WGS84 longitude/latitude), else ``None``.
    """

    crs: CRS
    offset: Offset | None = None

    @property
    def label(self) -> str:
        """How run.json names the system: ``gcj02``/``bd09``, ``EPSG:<code>``, or the PROJ string."""
        if self.offset:
            return self.offset
        epsg = self.crs.to_epsg()
        return f"EPSG:{epsg}" if epsg else self.crs.to_string()

    @property
    def is_geographic(self) -> bool:
        """True for longitude/latitude systems (the GCJ-02 and BD-09 offsets included)."""
        return self.offset is not None or self.crs.is_geographic


def parse_crs(value: object, *, where: str = "crs") -> InputCRS:
    """Parse anything pyproj accepts, plus ``gcj02`` and ``bd09``.

    ``where`` names the setting in an error message (``crs``, ``layer 'water' crs``).

    Examples
    --------
    >>> parse_crs("gcj02").offset
    'gcj02'
    >>> parse_crs("EPSG:4549").crs.to_epsg()
    4549
    """
    if isinstance(value, InputCRS):
        return value
    if isinstance(value, str):
        key = value.strip().lower().replace(" ", "")
        if key in _OFFSET_ALIASES:
            return InputCRS(CRS.from_epsg(4326), _OFFSET_ALIASES[key])
    try:
        crs = CRS.from_user_input(value)
    except (PyprojCRSError, TypeError, ValueError) as err:
        raise CRSError(f"{where}={value!r} is not a coordinate system pyproj understands; {_CRS_CHOICES}") from err
    _check_earth(crs, f"{where}={value!r}")
    return InputCRS(crs)


def output_crs(value: str, *, where: str = "out_crs") -> CRS:
    """Check a CRS for written geometries: one pyproj knows, on the Earth, not an offset (nothing writes GCJ-02).

    Raises
    ------
    CRSError
        For an unknown name, an offset (``gcj02``/``bd09``) or a CRS that cannot be reached from CGCS2000.
    """
    if isinstance(value, str) and value.strip().lower().replace(" ", "") in _OFFSET_ALIASES:
        raise CRSError(
            f"{where}={value!r}: results are never written in the AMap/Baidu offsets (they are not coordinate "
            "systems); use EPSG:4490 (CGCS2000, the default), EPSG:4326 (WGS84) or a CGCS2000 projection"
        )
    parsed = parse_crs(value, where=where)
    return parsed.crs


_CRS_CHOICES = (
    "use an EPSG code such as EPSG:4326 (WGS84), EPSG:4490 (CGCS2000) or "
    "EPSG:4549 (CGCS2000 Gauss-Kruger CM 120E), or 'gcj02' (AMap/Tencent) / 'bd09' (Baidu)"
)


def _check_earth(crs: CRS, where: str) -> None:
    """Refuse a CRS pyproj parses but cannot transform to CGCS2000 (another body, a unit sphere of radius 1)."""
    try:
        ok = crs.ellipsoid is None or 6.3e6 < crs.ellipsoid.semi_major_metre < 6.4e6
        Transformer.from_crs(crs, WORK_CRS, always_xy=True)
    except (PyprojError, PyprojCRSError) as err:
        ok = False
        reason = str(err).split(":")[-1].strip()
    else:
        reason = f"its ellipsoid's semi-major axis is {crs.ellipsoid.semi_major_metre:g} m, not the Earth's"
    if not ok:
        raise CRSError(f"{where} is not a coordinate system on the Earth ({reason}); {_CRS_CHOICES}")


# --------------------------------------------------------------------------- offsets


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # compute on harmless values where the point is outside China or not finite; their offset is 0
    outside = ~(np.isfinite(lon) & np.isfinite(lat)) | _outside_china(lon, lat)
    lon, lat = np.where(outside, 105.0, lon), np.where(outside, 35.0, lat)
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sx
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sx
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _as_arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Apply the GCJ-02 offset (identity outside China)."""
    lon, lat = _as_arrays(lon, lat)
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Apply Baidu's BD-09 offset on top of GCJ-02."""
    lon, lat = _as_arrays(lon, lat)
    with np.errstate(invalid="ignore"):  # non-finite input stays non-finite
        z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
        theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
        return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 to BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(forward, lon, lat, *, tol_deg: float = 1e-10, max_iter: int = 30):
    """Invert a near-identity forward map by fixed-point iteration, element-wise.

    Each point iterates until its own step is below ``tol_deg`` and then stays put, so a point's
    result never depends on which other points are converted with it (chunked runs give the same
    coordinates as whole ones), and the later, rarer iterations only touch the points still moving.
    """
    lon, lat = _as_arrays(lon, lat)
    shape = lon.shape
    lon, lat = lon.reshape(-1), lat.reshape(-1)
    x, y = lon.copy(), lat.copy()
    active = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    tx, ty = lon[active], lat[active]
    for _ in range(max_iter):
        if not len(active):
            break
        fx, fy = forward(x[active], y[active])
        ex, ey = fx - tx, fy - ty
        x[active], y[active] = x[active] - ex, y[active] - ey
        moving = (np.abs(ex) > tol_deg) | (np.abs(ey) > tol_deg)
        active, tx, ty = active[moving], tx[moving], ty[moving]
    return x.reshape(shape), y.reshape(shape)


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Remove the GCJ-02 offset by iteration (error far below 1 mm)."""
    return _invert_split(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Remove Baidu's BD-09 offset, leaving GCJ-02 (iterative)."""
    return _invert_split(gcj02_to_bd09, lon, lat)


def _invert_split(forward, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_invert` over row blocks in threads (each point converges on its own, so blocks are independent)."""
    lon, lat = _as_arrays(lon, lat)
    x, y = split_map(lambda a, b: _invert(forward, a, b), lon.reshape(-1), lat.reshape(-1))
    return x.reshape(lon.shape), y.reshape(lat.shape)


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 to WGS84 (iterative through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


# --------------------------------------------------------------------------- transforms


def to_lonlat(x, y, source: InputCRS | str) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinate arrays in ``source`` to CGCS2000/WGS84 longitude, latitude.

    Non-finite inputs stay non-finite; the caller decides what they mean.
    """
    src = parse_crs(source)
    x, y = _as_arrays(x, y)
    if src.offset:
        return _TO_WGS84[src.offset](x, y)
    if src.crs.to_epsg() in (4326, 4490):  # WGS84 and CGCS2000 agree to centimetres
        return x.copy(), y.copy()
    tr = Transformer.from_crs(src.crs, WORK_CRS, always_xy=True)
    return tr.transform(x, y)


def from_lonlat(lon, lat, offset: Offset) -> tuple[np.ndarray, np.ndarray]:
    """Apply a display offset (``gcj02``/``bd09``) to CGCS2000/WGS84 lon/lat."""
    return _FROM_WGS84[offset](*_as_arrays(lon, lat))


def geometries_to_lonlat(geoms: np.ndarray, source: InputCRS | str) -> np.ndarray:
    """Convert a shapely geometry array in ``source`` to CGCS2000 lon/lat, vertex by vertex."""
    src = parse_crs(source)

    def _convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_lonlat(coords[:, 0], coords[:, 1], src)
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms, dtype=object), _convert)


def geometries_with_offset(geoms: np.ndarray, offset: Offset) -> np.ndarray:
    """Shift CGCS2000 lon/lat geometries into GCJ-02 or BD-09 for display on those basemaps."""

    def _convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = from_lonlat(coords[:, 0], coords[:, 1], offset)
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms, dtype=object), _convert)


# --------------------------------------------------------------------------- metric CRS

#: CGCS2000 3-degree Gauss-Kruger zones without zone prefix: CM 75E..135E -> EPSG:4534..4554.
_GK3_FIRST_CM, _GK3_FIRST_EPSG, _GK3_LAST_CM = 75, 4534, 135


def metric_crs(bounds: tuple[float, float, float, float]) -> CRS:
    """Choose a projected CRS in metres for data with lon/lat ``bounds``.

    The CGCS2000 3-degree Gauss-Kruger zone whose central meridian is nearest
    the data's centre when every point lies within 2 degrees of it (scale
    error below 0.1 %; Nantong gets EPSG:4549, CM 120E), else a CGCS2000
    Transverse Mercator centred on the data.
    """
    minx, miny, maxx, maxy = bounds
    if not all(np.isfinite([minx, miny, maxx, maxy])):
        raise CRSError("cannot choose a metric CRS: the data has no finite coordinates")
    lon0 = (minx + maxx) / 2.0
    lat0 = (miny + maxy) / 2.0
    cm = int(round(lon0 / 3.0) * 3)
    if _GK3_FIRST_CM <= cm <= _GK3_LAST_CM and max(abs(minx - cm), abs(maxx - cm)) <= 2.0:
        return CRS.from_epsg(_GK3_FIRST_EPSG + (cm - _GK3_FIRST_CM) // 3)
    return CRS.from_proj4(
        f"+proj=tmerc +lat_0={lat0:.6f} +lon_0={lon0:.6f} +k=1 +x_0=500000 +y_0=0 "
        "+ellps=GRS80 +units=m +no_defs +type=crs"
    )


def lonlat_transformer(target: CRS) -> Transformer:
    """Transformer from CGCS2000 lon/lat to ``target`` (always x=lon, y=lat)."""
    return Transformer.from_crs(WORK_CRS, target, always_xy=True)
