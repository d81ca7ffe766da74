"""The pack's layers and sanitary buffers prepared for display: simplified and buffered in metres, drawn in lon/lat.

:mod:`geo_screen.app.mapview` draws what this module prepares.

>>> layers = display_layers(catalog)                                        # doctest: +SKIP
>>> buffers, omitted = sanitary_buffers(result.enterprises, crs=pack_metric_crs(catalog))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo_screen import results as R
from geo_screen.inputs.crs import metric_crs
from geo_screen.pack.catalog import Catalog
from geo_screen.pack.metric import metric_layers, project_geometries
from geo_screen.results import OUTPUT_CRS

#: kind -> zone code ("*": any other or none) -> title, Leaflet path style, shown at start, interactive
LAYER_STYLES: dict[str, dict[str, dict]] = json.loads(
    (Path(__file__).parent / "static" / "geo_screen" / "styles.json").read_text("utf-8")
)["layers"]


@dataclass
class DisplayLayer:
    """One toggleable overlay: lon/lat geometries with a ``tip`` column, its title and style."""

    id: str
    kind: str
    zone: str | None
    title: str
    frame: gpd.GeoDataFrame
    style: dict
    show: bool = True
    interactive: bool = True


def rounded_lonlat(geoms: np.ndarray) -> np.ndarray:
    """Round lon/lat to 1e-6 degree (~0.1 m): a third of the bytes of full doubles."""
    return shapely.transform(np.asarray(geoms, dtype=object), lambda c: np.round(c, 6))


def _tips(frame: pd.DataFrame, title: str) -> np.ndarray:
    def col(name: str) -> pd.Series:
        return (
            frame[name].astype("string").fillna("")
            if name in frame
            else pd.Series("", index=frame.index, dtype="string")
        )

    lines = [col("name"), col("category"), col("zone_label"), pd.Series(title, index=frame.index, dtype="string")]
    out = lines[0]
    for part in lines[1:]:
        out = out.where(part == "", out.where(out == "", out + "\n") + part)
    return out.to_numpy(dtype=object)


def display_layers(catalog: Catalog, *, tolerance_m: float = 5.0) -> list[DisplayLayer]:
    """The pack's vector layers ready to draw: split by zone class, simplified by ``tolerance_m`` metres.

    Simplification runs in the pack's metric CRS (:func:`geo_screen.pack.metric.pack_metric_crs`), never in
    degrees; land-use rasters are not drawn.
    """
    metric = metric_layers(catalog)
    back = Transformer.from_crs(metric.crs, OUTPUT_CRS, always_xy=True)
    out: list[DisplayLayer] = []
    for layer in catalog.layers.values():
        styles = LAYER_STYLES.get(layer.kind)
        if layer.frame is None or styles is None or not len(layer.frame):
            continue
        simple = shapely.simplify(metric.geoms[layer.id], tolerance_m, preserve_topology=True)
        lonlat = shapely.transform(simple, lambda c: np.column_stack(back.transform(c[:, 0], c[:, 1])))
        zones = layer.frame["zone"].to_numpy(dtype=object) if "zone" in layer.frame else np.full(len(simple), None)
        known = [z for z in styles if z != "*"]
        groups = [(z, np.array([v == z for v in zones], dtype=bool)) for z in known]
        groups.append(("*", np.array([v not in known for v in zones], dtype=bool)))
        for zone, pick in groups:
            if not pick.any():
                continue
            spec = styles[zone]
            frame = gpd.GeoDataFrame(
                {"tip": _tips(layer.frame[pick], spec["title"])}, geometry=rounded_lonlat(lonlat[pick]), crs=OUTPUT_CRS
            )
            suffix = "" if zone == "*" else f"_{zone}"
            out.append(
                DisplayLayer(
                    f"{layer.id}{suffix}",
                    layer.kind,
                    None if zone == "*" else zone,
                    spec["title"],
                    frame,
                    spec["style"],
                    spec["show"],
                    spec["interactive"],
                )
            )
    return out


def sanitary_buffers(
    enterprises: gpd.GeoDataFrame, *, crs: CRS | None = None, limit: int = 2000
) -> tuple[gpd.GeoDataFrame, int]:
    """Each enterprise's sanitary protection distance as an area, buffered in a metric CRS.

    Parameters
    ----------
    enterprises
        Screened enterprises (``sanitary_required_m``, EPSG:4490 geometry).
    crs
        Projected CRS in metres (the pack's, :func:`geo_screen.pack.metric.pack_metric_crs`); chosen
        from the data's bounds with :func:`geo_screen.inputs.crs.metric_crs` when None.
    limit
        Most buffers returned; enterprises hitting standard 5 come first.

    Returns
    -------
    (buffers, omitted)
        Buffers (EPSG:4490, columns ``tip``, ``required_m``) and how many were left out by ``limit``.
    """
    required = (
        pd.to_numeric(enterprises.get(R.SANITARY_REQUIRED), errors="coerce")
        if R.SANITARY_REQUIRED in enterprises
        else pd.Series(np.nan, index=enterprises.index)
    )
    geoms = enterprises.geometry.to_numpy()
    ok = (required.to_numpy(dtype=float) > 0) & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    chosen = enterprises[ok]
    if R.std_column("5") in chosen:
        chosen = chosen.assign(_hit=(chosen[R.std_column("5")] == R.HIT)).sort_values(
            "_hit", ascending=False, kind="stable"
        )
    omitted = max(len(chosen) - limit, 0)
    chosen = chosen.iloc[:limit]
    empty = gpd.GeoDataFrame({"tip": [], "required_m": []}, geometry=[], crs=OUTPUT_CRS)
    if not len(chosen):
        return empty, omitted
    target = crs or metric_crs(tuple(shapely.total_bounds(chosen.geometry.to_numpy())))
    dist = required.loc[chosen.index].to_numpy(dtype=float)
    rings = shapely.buffer(project_geometries(chosen.geometry.to_numpy(), target), dist, quad_segs=8)
    back = Transformer.from_crs(target, OUTPUT_CRS, always_xy=True)
    lonlat = shapely.transform(rings, lambda c: np.column_stack(back.transform(c[:, 0], c[:, 1])))
    names = chosen[R.NAME].astype("string").fillna("") if R.NAME in chosen else pd.Series("", index=chosen.index)
    tips = names + "\n卫生防护距离 " + pd.Series(dist, index=chosen.index).round().astype(int).astype(str) + " 米"
    return gpd.GeoDataFrame(
        {"tip": tips.to_numpy(dtype=object), "required_m": dist}, geometry=rounded_lonlat(lonlat), crs=OUTPUT_CRS
    ), omitted
