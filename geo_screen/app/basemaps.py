"""Basemaps the planner may choose, and the datum each is drawn in.

"none" draws no tiles, so nothing leaves the machine; OpenStreetMap and Tianditu (CGCS2000 data on Web
Mercator tiles) need no shift; AMap's tiles are GCJ-02, so overlays are shifted to GCJ-02 for display only
(the data never changes).

An office adds its own sources in a small YAML file (``streamlit run app.py -- --basemaps basemaps.yaml``,
read by :func:`load_basemaps`): an intranet XYZ tile service, an intranet WMS, or a local folder of
``{z}/{x}/{y}.png`` tiles that the app serves itself (:mod:`geo_screen.app.tileserver`). Each names its datum:
``gcj02`` tiles get the overlays shifted to GCJ-02 as AMap does; ``cgcs2000`` and ``wgs84`` tiles get no shift
(the two agree to well under a metre).

>>> config = load_basemaps("basemaps.yaml")                       # doctest: +SKIP
>>> build_map(ents, basemap=config.sources()["office"])           # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import folium
import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from geo_screen.errors import ConfigError
from geo_screen.inputs.crs import geometries_with_offset
from geo_screen.yamlfile import load_yaml

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


class BasemapSource(BaseModel):
    """One configured basemap: an intranet XYZ or WMS service, or a local tile folder, and its datum."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")  #: the URL's ``basemap=`` value
    label: str = Field(min_length=1, max_length=60)  #: what the sidebar shows
    kind: Literal["xyz", "wms", "folder"]
    #: xyz: a template with {z}, {x}, {y} (and {s} with ``subdomains``); wms: the service's base URL
    url: str | None = None
    #: folder: tiles as {z}/{x}/{y}.<suffix> (relative to the configuration file); served by the app
    folder: Path | None = None
    suffix: Literal["png", "jpg", "jpeg", "webp"] = "png"
    #: folder: the port the app serves the tiles on (0: any free port)
    port: int = Field(default=0, ge=0, le=65535)
    datum: Literal["cgcs2000", "wgs84", "gcj02"]
    layers: str | None = None  #: wms: the LAYERS parameter
    format: str = "image/png"  #: wms: the FORMAT parameter
    version: str = "1.1.1"  #: wms: the VERSION parameter
    transparent: bool = False
    attribution: str = ""
    subdomains: str = ""
    min_zoom: int = Field(default=0, ge=0, le=22)
    max_zoom: int = Field(default=18, ge=1, le=22)

    @model_validator(mode="after")
    def _complete(self) -> BasemapSource:
        if self.id in BASEMAPS:
            raise ValueError(f"id {self.id!r} is a built-in basemap; choose another id")
        if self.kind == "xyz" and not (self.url and all(f"{{{c}}}" in self.url for c in "xyz")):
            raise ValueError("an xyz source needs url: a template with {z}, {x} and {y}")
        if self.kind == "wms" and not (self.url and self.layers):
            raise ValueError("a wms source needs url (the service's base URL) and layers")
        if self.kind == "folder" and self.folder is None:
            raise ValueError("a folder source needs folder: a directory of {z}/{x}/{y}.png tiles")
        return self


class BasemapConfig(BaseModel):
    """A basemaps file: the sources and, optionally, the one shown first."""

    model_config = ConfigDict(extra="forbid")

    basemaps: list[BasemapSource] = Field(min_length=1)
    default: str | None = None

    @model_validator(mode="after")
    def _ids(self) -> BasemapConfig:
        ids = [b.id for b in self.basemaps]
        if len(set(ids)) != len(ids):
            raise ValueError(f"basemap ids must be unique: {', '.join(ids)}")
        if self.default is not None and self.default not in {*ids, *BASEMAPS}:
            raise ValueError(f"default {self.default!r} is not one of {', '.join([*BASEMAPS, *ids])}")
        return self

    def sources(self) -> dict[str, BasemapSource]:
        """id -> source, in the file's order."""
        return {b.id: b for b in self.basemaps}


def load_basemaps(path: str | Path) -> BasemapConfig:
    """Read and check a basemaps file; folder paths are resolved against the file's directory.

    Parameters
    ----------
    path
        A YAML file with ``basemaps:`` (a list of :class:`BasemapSource` fields) and optionally ``default:``.

    Returns
    -------
    BasemapConfig
        The checked configuration.

    Raises
    ------
    ConfigError
        When the file is missing or not YAML, a field is unknown or missing, or a folder does not exist.
    """
    path = Path(path).expanduser()
    where = f"底图配置 / basemaps file {path}"
    try:
        raw = load_yaml(path.read_text("utf-8"), where=str(path))
        config = BasemapConfig.model_validate(raw)
    except OSError as e:
        raise ConfigError(f"{where}: cannot read it ({e.strerror}); pass an existing file to --basemaps") from e
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{where}: {loc}: {first['msg']}; see README 'Intranet basemaps'") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{where}: not a valid YAML file ({e}); check the indentation and quotes") from e
    resolved = []
    for b in config.basemaps:
        if b.folder is not None:
            folder = b.folder.expanduser() if b.folder.expanduser().is_absolute() else path.parent / b.folder
            if not folder.is_dir():
                raise ConfigError(f"{where}: basemap {b.id!r}: tile folder {folder} does not exist")
            b = b.model_copy(update={"folder": folder.resolve()})
        resolved.append(b)
    return config.model_copy(update={"basemaps": resolved})


def choices(sources: dict[str, BasemapSource] | None = None) -> dict[str, str]:
    """Basemap id -> label: "none" first, the configured sources, then the built-in online ones."""
    configured = {i: b.label for i, b in (sources or {}).items()}
    return {"none": BASEMAPS["none"], **configured, **{k: v for k, v in BASEMAPS.items() if k != "none"}}


def is_online(basemap: str | BasemapSource) -> bool:
    """True for the built-in basemaps that fetch tiles from the internet."""
    return isinstance(basemap, str) and basemap in BASEMAPS and basemap != "none"


def display_offset(basemap: str | BasemapSource) -> str | None:
    """The coordinate offset overlays need on ``basemap`` (``"gcj02"`` for AMap or GCJ-02 tiles), else None."""
    if isinstance(basemap, BasemapSource):
        return "gcj02" if basemap.datum == "gcj02" else None
    return "gcj02" if basemap == "amap" else None


def to_display(geoms: np.ndarray, basemap: str | BasemapSource) -> np.ndarray:
    """CGCS2000 lon/lat geometries as drawn on ``basemap`` (shifted to GCJ-02 on AMap; data never changes)."""
    geoms = np.asarray(geoms, dtype=object)
    offset = display_offset(basemap)
    return geometries_with_offset(geoms, offset) if offset else geoms


def tianditu_key(explicit: str | None = None) -> str | None:
    """The Tianditu token: ``explicit`` when given, else the ``TIANDITU_KEY`` environment variable."""
    return (explicit or os.environ.get(TIANDITU_ENV) or "").strip() or None


def _add_source(m: folium.Map, source: BasemapSource) -> None:
    common = {"attr": source.attribution or source.label, "name": source.label, "control": False}
    zooms = {"min_zoom": source.min_zoom, "max_zoom": source.max_zoom}
    if source.kind == "wms":
        folium.WmsTileLayer(
            source.url,
            layers=source.layers,
            fmt=source.format,
            version=source.version,
            transparent=source.transparent,
            **common,
            **zooms,
        ).add_to(m)
    elif source.kind == "xyz":
        extra = {"subdomains": source.subdomains} if source.subdomains else {}
        folium.TileLayer(source.url, **common, **zooms, **extra).add_to(m)
    else:
        raise ConfigError(
            f"basemap {source.id!r}: its tile folder is not served yet; start it with "
            "geo_screen.app.tileserver.serve_sources"
        )


def add_basemap(m: folium.Map, basemap: str | BasemapSource, key: str | None) -> None:
    """Add ``basemap``'s tiles to ``m`` (nothing for ``"none"``); a Tianditu basemap needs ``key``."""
    if isinstance(basemap, BasemapSource):
        _add_source(m, basemap)
        return
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
