"""Is the coordinate system the planner chose for an upload plausible? The GCJ-02 offset test.

AMap and Tencent coordinates (GCJ-02) are ~480 m off the true position around Nantong; read as WGS84 or
CGCS2000 they put every enterprise the same distance in the same direction from its site, and about 7 % of the
demo's 200 first rows change disposition with no error anywhere. Nothing in the coordinates themselves tells
GCJ-02 from WGS84, so the test asks the layer pack: enterprises stand on land planned for industry more often
than chance. Each located enterprise is looked up in the pack's land-use plan twice, where the file puts it and
where it would be if its coordinates were GCJ-02 (the offset removed). Enterprises on industrial land only
after the correction ("gains") against those only before it ("losses") are a paired sign test: many more gains
than losses (one-sided binomial p < :data:`ALPHA`, at least :data:`MIN_CHANGED` enterprises changing and at
least half as many gains again as losses) means the coordinates are most likely GCJ-02.

The test needs a land-use plan in the pack and enough enterprises near the edges of industrial land: a few
hundred rows rarely suffice (the demo's 200 first rows move 5 on and 2 off industrial land); the whole demo
registry (5,000 rows) answers clearly. Without a land-use plan it says nothing.

>>> warning = gcj02_suspected(result.enterprises, catalog, crs="EPSG:4326")   # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from geo_screen.inputs.crs import gcj02_to_wgs84, parse_crs
from geo_screen.pack.landuse import sample_landuse_raster
from geo_screen.pack.metric import pack_metric_crs
from geo_screen.results import OUTPUT_CRS

#: significance of the sign test
ALPHA = 0.01
#: fewest enterprises moving on or off industrial land for the test to speak
MIN_CHANGED = 20


@dataclass(frozen=True)
class OffsetTest:
    """The GCJ-02 offset test's counts: enterprises on industrial land as given and as GCJ-02, and the p-value."""

    located: int
    industrial_as_given: int
    industrial_as_gcj02: int
    gains: int
    losses: int
    p_value: float

    @property
    def suspected(self) -> bool:
        """True when the coordinates are most likely GCJ-02."""
        changed = self.gains + self.losses
        return changed >= MIN_CHANGED and self.gains >= 1.5 * self.losses and self.p_value < ALPHA


def _sign_test(gains: int, losses: int) -> float:
    """One-sided binomial p-value of at least ``gains`` successes in ``gains + losses`` fair trials."""
    n = gains + losses
    if n == 0:
        return 1.0
    return math.fsum(math.comb(n, k) for k in range(gains, n + 1)) / 2.0**n if n < 1000 else _normal_tail(gains, n)


def _normal_tail(gains: int, n: int) -> float:
    z = (gains - 0.5 - n / 2) / math.sqrt(n / 4)
    return 0.5 * math.erfc(z / math.sqrt(2))


def _industrial(layer, lon: np.ndarray, lat: np.ndarray, catalog) -> np.ndarray:
    """True where (lon, lat) lies on a class the land-use layer lists as industrial."""
    industrial = set(layer.industrial_classes)
    if layer.raster is not None:
        metric = pack_metric_crs(catalog)
        x, y = Transformer.from_crs(OUTPUT_CRS, metric, always_xy=True).transform(lon, lat)
        classes = sample_landuse_raster(layer, shapely.points(x, y), metric).classes
    else:
        frame = layer.frame
        if "class" not in frame:
            return np.zeros(len(lon), dtype=bool)
        tree = shapely.STRtree(frame.geometry.to_numpy())
        point_idx, zone_idx = tree.query(shapely.points(lon, lat), predicate="intersects")
        classes = np.full(len(lon), None, dtype=object)
        classes[point_idx] = frame["class"].astype("string").to_numpy(dtype=object, na_value=None)[zone_idx]
    return np.array([c in industrial for c in classes], dtype=bool)


def offset_test(enterprises: gpd.GeoDataFrame, catalog) -> OffsetTest | None:
    """Run the GCJ-02 offset test on screened enterprises (EPSG:4490); None without a land-use plan.

    Parameters
    ----------
    enterprises
        The screened enterprises, positions as the chosen coordinate system gave them.
    catalog
        The layer pack the run was screened with.

    Returns
    -------
    OffsetTest or None
        The counts and p-value; None when the pack has no land-use plan or no enterprise is located.
    """
    layers = catalog.of_kind("land_use_plan")
    geoms = enterprises.geometry.to_numpy()
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not layers or not present.any():
        return None
    points = shapely.point_on_surface(geoms[present])
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    glon, glat = gcj02_to_wgs84(lon, lat)
    given = np.zeros(len(lon), dtype=bool)
    shifted = np.zeros(len(lon), dtype=bool)
    for layer in layers:
        given |= _industrial(layer, lon, lat, catalog)
        shifted |= _industrial(layer, np.asarray(glon), np.asarray(glat), catalog)
    gains, losses = int((shifted & ~given).sum()), int((given & ~shifted).sum())
    return OffsetTest(int(len(lon)), int(given.sum()), int(shifted.sum()), gains, losses, _sign_test(gains, losses))


def gcj02_suspected(enterprises: gpd.GeoDataFrame, catalog, *, crs: str) -> str | None:
    """The upload's plausibility warning when lon/lat read as WGS84/CGCS2000 look like GCJ-02, else None.

    Parameters
    ----------
    enterprises
        The screened enterprises.
    catalog
        The layer pack.
    crs
        The coordinate system chosen for the upload; only geographic systems without an offset are tested.

    Returns
    -------
    str or None
        ``坐标疑似为GCJ-02…`` with the counts behind it, Chinese first.
    """
    chosen = parse_crs(crs)
    if chosen.offset is not None or not chosen.is_geographic:
        return None
    test = offset_test(enterprises, catalog)
    if test is None or not test.suspected:
        return None
    return (
        f"坐标疑似为GCJ-02（高德、腾讯地图坐标），而不是所选的坐标系：按 GCJ-02 纠偏后，"
        f"位于规划工业用地的企业由 {test.industrial_as_given:,} 家增至 {test.industrial_as_gcj02:,} 家"
        f"（{test.gains:,} 家移入、{test.losses:,} 家移出，p={test.p_value:.1g}）。请确认名录坐标的来源；"
        "若来自高德或腾讯地图，请在“坐标系”中选择 GCJ-02 后重新筛查。"
        f" / the coordinates look like GCJ-02 (AMap/Tencent): read as GCJ-02, {test.industrial_as_gcj02:,} instead of "
        f"{test.industrial_as_given:,} enterprises stand on planned industrial land; choose GCJ-02 and screen again "
        "if they come from AMap or Tencent"
    )
