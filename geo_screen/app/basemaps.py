"""Basemaps the planner may choose, and the datum each is drawn in.

"none" draws no tiles, so nothing leaves the machine; OpenStreetMap and Tianditu (CGCS2000 data on Web
Mercator tiles) need no shift; AMap's tiles are GCJ-02, so overlays are shifted to GCJ-02 for display only
(the data never changes).
"""

from __future__ import annotations

import os

import folium
import numpy as np

from geo_screen.errors import ConfigError
from geo_screen.inputs.crs import geometries_with_offset

#: basemap id -> label; "none" draws no tiles (nothing leaves the machine)
BASEMAPS: dict[str, str] = {
    "none": "无底图（离线）",
    "osm": "OpenStreetMap",
    "tianditu": "天地图（需密钥）",
    "amap": "高德地图（GCJ-02）",
}
TIANDITU_ENV = "TIANDITU_KEY"
_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s"
)
_AMAP = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"


def display_offset(basemap: str) -> str | None:
    """The coordinate offset overlays need on ``basemap`` (``"gcj02"`` for AMap), else None."""
    return "gcj02" if basemap == "amap" else None


def to_display(geoms: np.ndarray, basemap: str) -> np.ndarray:
    """CGCS2000 lon/lat geometries as drawn on ``basemap`` (shifted to GCJ-02 on AMap; data never changes)."""
    geoms = np.asarray(geoms, dtype=object)
    offset = display_offset(basemap)
    return geometries_with_offset(geoms, offset) if offset else geoms


def tianditu_key(explicit: str | None = None) -> str | None:
    """The Tianditu token: ``explicit`` when given, else the ``TIANDITU_KEY`` environment variable."""
    return (explicit or os.environ.get(TIANDITU_ENV) or "").strip() or None


def add_basemap(m: folium.Map, basemap: str, key: str | None) -> None:
    """Add ``basemap``'s tiles to ``m`` (nothing for ``"none"``); a Tianditu basemap needs ``key``."""
    if basemap not in BASEMAPS:
        raise ConfigError(f"basemap {basemap!r} is unknown; choose one of {', '.join(BASEMAPS)}")
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name=BASEMAPS[basemap], control=False, max_zoom=19).add_to(m)
    elif basemap == "amap":
        folium.TileLayer(
            _AMAP,
            attr="&copy; 高德地图 AutoNavi",
            name=BASEMAPS[basemap],
            subdomains="1234",
            control=False,
            max_zoom=18,
        ).add_to(m)
    elif basemap == "tianditu":
        token = tianditu_key(key)
        if not token:
            raise ConfigError(
                f"the Tianditu basemap needs a key: set the {TIANDITU_ENV} environment variable "
                "or enter it in the sidebar (free at console.tianditu.gov.cn), or choose another basemap"
            )
        for kind in ("vec", "cva"):  # Web Mercator tile set of CGCS2000 data: no offset to apply
            folium.TileLayer(
                _TIANDITU % (kind, kind, token),
                attr="&copy; 天地图 Tianditu",
                subdomains="01234567",
                name=f"天地图 {kind}",
                control=False,
                max_zoom=18,
            ).add_to(m)
