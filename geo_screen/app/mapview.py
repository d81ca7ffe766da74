"""Map building: a folium map of screened enterprises and the pack's layers that loads nothing from the network.

folium asks the browser to fetch Leaflet, jQuery, Bootstrap and Font Awesome
from CDNs; offline that leaves a blank map. Every map built here instead
carries the vendored Leaflet 1.9.4, Leaflet.markercluster 1.5.3 and leaflet-measure 2.1.7 (the measure tool) from
``geo_screen/app/static`` (inlined as ``data:`` URLs, or from ``assets=URL`` when
a server hosts that folder), and draws no tiles unless an online basemap is
chosen. Enterprises are canvas circle markers coloured by disposition
(a severity ramp from the rules' precedence: :mod:`geo_screen.app.symbols`), clustered above
``cluster_above``; zone layers are prepared by :mod:`geo_screen.app.maplayers` (simplified in the pack's metric CRS).
On the AMap basemap (GCJ-02 tiles) every overlay is shifted to GCJ-02 for display only
(:mod:`geo_screen.app.basemaps`).

>>> m = build_map(result.enterprises, layers=maplayers.display_layers(catalog))   # doctest: +SKIP
>>> m.save("map.html")                                                 # doctest: +SKIP
"""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.map import Layer
from folium.template import Template

from geo_screen import results as R
from geo_screen.app.basemaps import BasemapSource, add_basemap, to_display
from geo_screen.app.mapcontrols import ZOOM_SNAP, Controls, Fit, Focus, js_json
from geo_screen.app.maplayers import DisplayLayer, rounded_lonlat
from geo_screen.app.symbols import BUFFER_STYLE, BUFFER_TITLE, DISPOSITION_STYLES, STATIC_DIR
from geo_screen.results import OUTPUT_CRS
from geo_screen.vocabulary import DISPOSITION_ZH

_JS = (
    ("leaflet", "leaflet/leaflet.js"),
    ("markercluster", "leaflet.markercluster/leaflet.markercluster.js"),
    ("leaflet_measure", "leaflet-measure/leaflet-measure.min.js"),
    ("geo_screen", "geo_screen/map.js"),
)
_CSS = (
    ("leaflet_css", "leaflet/leaflet.css"),
    ("markercluster_css", "leaflet.markercluster/MarkerCluster.css"),
    ("leaflet_measure_css", "leaflet-measure/leaflet-measure.css"),
    ("geo_screen_css", "geo_screen/map.css"),
)

# --------------------------------------------------------------------------- assets


def _read_asset(rel: str) -> str:
    text = (STATIC_DIR / rel).read_text("utf-8")
    text = re.sub(r"//# sourceMappingURL=\S+\s*$", "", text)  # no .map fetch, even with devtools open
    if rel.endswith(".css"):

        def inline(match: re.Match) -> str:
            image = (STATIC_DIR / rel).parent / match.group(1)
            return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode('ascii')})"

        text = re.sub(r"url\((images/[\w.@-]+\.png)\)", inline, text)
    return text


@lru_cache(maxsize=4)
def asset_links(base_url: str | None = None) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """The map's ``(js, css)`` links: ``data:`` URLs of the vendored files, or URLs under ``base_url``.

    ``base_url`` is where a server publishes ``geo_screen/app/static`` (e.g. ``/app/static`` with
    Streamlit's static serving); None inlines everything, so the page needs no server at all.
    """
    if base_url is not None:
        base = base_url.rstrip("/")
        return tuple((n, f"{base}/{p}") for n, p in _JS), tuple((n, f"{base}/{p}") for n, p in _CSS)

    def data_url(rel: str, mime: str) -> str:
        return f"data:{mime};base64,{base64.b64encode(_read_asset(rel).encode('utf-8')).decode('ascii')}"

    return (
        tuple((n, data_url(p, "text/javascript")) for n, p in _JS),
        tuple((n, data_url(p, "text/css")) for n, p in _CSS),
    )


# --------------------------------------------------------------------------- keys and offsets


def enterprise_keys(enterprises: pd.DataFrame) -> pd.Series:
    """A stable key per enterprise: its USCC when present and unique in the run, else ``第N行`` (input row)."""
    rows = enterprises[R.INPUT_ROW].astype("int64").astype(str)
    fallback = "第" + rows + "行"
    if R.ENTERPRISE_ID not in enterprises:
        return fallback.rename("key")
    ids = enterprises[R.ENTERPRISE_ID].astype("string").str.strip()
    usable = ids.notna() & (ids != "") & ~ids.duplicated(keep=False)
    return ids.where(usable, fallback).astype(object).rename("key")


def key_from_tooltip(text: str | None) -> str | None:
    """The enterprise key in the text of a clicked marker's tooltip (its last line); None for anything else."""
    if not text:
        return None
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[-1] if lines else None


# --------------------------------------------------------------------------- folium elements


class _RawScript(Element):
    """Rendered script text, added to the page as is."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _DataLayer(Layer):
    """A layer whose rendered script (megabytes of data) is not compiled again as a Jinja template.

    branca's ``MacroElement.render`` wraps each rendered script in ``Element(text)``, which parses the
    text as a template: slow for large data, and any ``{{`` in a name would be evaluated.
    """

    def render(self, **kwargs) -> None:
        if self.show:
            self.add_child(
                ElementAddToElement(element_name=self.get_name(), element_parent_name=self._parent.get_name()),
                name=self.get_name() + "_add",
            )
        script = self._template.module.__dict__["script"]
        self.get_root().script.add_child(_RawScript(script(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _EnterpriseLayer(_DataLayer):
    """Enterprises as one compact array drawn by ``geoScreen.enterprises`` (static/geo_screen/map.js)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {% set parent = this._parent.get_name() if this.show else "null" %}
            var {{ this.get_name() }} = geoScreen.enterprises({{ parent }}, {{ this.payload }}, {{ this.options }});
        {% endmacro %}
        """)

    def __init__(self, payload: dict, *, name: str, cluster: bool, cluster_off_at: int):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "EnterpriseLayer"
        self.payload = js_json(payload)
        self.options = js_json({"cluster": cluster, "clusterOffAt": cluster_off_at})


class _VectorLayer(_DataLayer):
    """A GeoJSON overlay with one style and text tooltips, drawn by ``geoScreen.vector``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = geoScreen.vector({{ this.geojson }}, {{ this.options }});
        {% endmacro %}
        """)

    def __init__(
        self, frame: gpd.GeoDataFrame, *, name: str, style: dict, show: bool, interactive: bool, note: str | None = None
    ):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "VectorLayer"
        geoms = frame.geometry.to_numpy()
        keep = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        features = ",".join(  # composed as text: GEOS writes the geometry JSON, _js_json escapes the tip
            f'{{"type":"Feature","properties":{{"tip":{js_json(tip)}}},"geometry":{g}}}'
            for tip, g in zip(frame["tip"].to_numpy()[keep], shapely.to_geojson(geoms[keep]))
        )
        self.geojson = f'{{"type":"FeatureCollection","features":[{features}]}}'
        self.options = js_json({"style": style, "interactive": interactive, "title": name, "note": note})


class _Legend(MacroElement):
    """The disposition legend (Chinese labels, counts of the enterprises drawn), bottom left."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {% set map = this._parent.get_name() %}
            var {{ this.get_name() }} = geoScreen.legend({{ this.items }}, {{ this.options }}).addTo({{ map }});
            geoScreen.keepBelow({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    def __init__(self, items: list[dict], title: str):
        super().__init__()
        self._name = "Legend"
        self.items = js_json(items)
        self.options = js_json({"title": title, "position": "bottomleft"})


def _localise(element, js, css) -> None:
    """Point an element's JS/CSS at local copies (instance attributes: folium's class lists stay untouched)."""
    element.default_js = list(js)
    element.default_css = list(css)


# --------------------------------------------------------------------------- the map


def _payload(
    enterprises: gpd.GeoDataFrame, keys: pd.Series, basemap: str | BasemapSource, styles: dict, notes=None
) -> dict:
    geoms = enterprises.geometry.to_numpy()
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    points = shapely.point_on_surface(geoms[present])
    points = rounded_lonlat(to_display(points, basemap))
    codes = (
        enterprises[R.DISPOSITION].to_numpy(dtype=object)[present]
        if R.DISPOSITION in enterprises
        else np.full(int(present.sum()), R.NOT_ASSESSED_DISPOSITION, dtype=object)
    )
    index = {code: i for i, code in enumerate(styles)}  # most severe first
    d = np.array([index.get(c, index[R.NOT_ASSESSED_DISPOSITION]) for c in codes], dtype=np.int64)
    order = np.argsort(-d, kind="stable")  # most severe drawn last, on top
    names = (
        enterprises[R.NAME].astype("string").fillna("").to_numpy(dtype=object)[present]
        if R.NAME in enterprises
        else np.full(len(d), "", dtype=object)
    )
    extra = {}
    if notes is not None:  # a line per enterprise in its tooltip (e.g. its change since an earlier run)
        text = notes.reindex(enterprises.index).astype("string").fillna("").to_numpy(dtype=object)
        extra["note"] = text[present][order].tolist()
    return extra | {
        "lat": shapely.get_y(points)[order].tolist(),
        "lon": shapely.get_x(points)[order].tolist(),
        "d": d[order].tolist(),
        "name": names[order].tolist(),
        "key": keys.to_numpy(dtype=object)[present][order].tolist(),
        "styles": [
            {"fill": f, "stroke": s, "radius": r, "opacity": 0.9 if r > 3 else 0.75, "label": DISPOSITION_ZH[c]}
            for c, (f, s, r) in styles.items()
        ],
    }


def build_map(
    enterprises: gpd.GeoDataFrame,
    *,
    keys: pd.Series | None = None,
    layers: list[DisplayLayer] = (),
    buffers: gpd.GeoDataFrame | None = None,
    basemap: str | BasemapSource = "none",
    tianditu_token: str | None = None,
    cluster_above: int = 10_000,
    bounds: tuple[float, float, float, float] | None = None,
    assets: str | None = None,
    buffer_note: str | None = None,
    styles: dict[str, tuple[str, str, int]] | None = None,
    notes: pd.Series | None = None,
) -> folium.Map:
    """A folium map of ``enterprises`` coloured by disposition, with the pack's layers to toggle.

    Parameters
    ----------
    enterprises
        Screened enterprises (EPSG:4490); rows without a location are skipped.
    keys
        Enterprise keys aligned with ``enterprises`` (:func:`enterprise_keys` of the whole run, so
        they stay the same under any filter); computed from ``enterprises`` when None.
    layers, buffers
        Overlays from :func:`geo_screen.app.maplayers.display_layers` and
        :func:`geo_screen.app.maplayers.sanitary_buffers` (buffers start hidden).
    basemap
        ``none`` (default: no tiles, no network), ``osm``, ``tianditu`` (needs ``tianditu_token`` or
        ``TIANDITU_KEY``) or ``amap`` (GCJ-02 tiles: every overlay is shifted to GCJ-02 for display), or an
        office's configured source (:class:`geo_screen.app.basemaps.BasemapSource`; its datum decides the shift).
    cluster_above
        Cluster markers client-side when more enterprises than this are drawn.
    bounds
        Lon/lat box to show first; the enterprises' extent (or the layers') when None.
    assets
        URL prefix serving ``geo_screen/app/static``; None inlines the files as ``data:`` URLs.
    buffer_note
        A note shown on the map while the buffer layer is switched on (e.g. that only some buffers are drawn).
    styles
        Disposition styles, most severe first (``Run.styles``: the run's rules' precedence); the shipped
        :data:`geo_screen.app.symbols.DISPOSITION_STYLES` when None.
    notes
        A line of text per enterprise (on ``enterprises``' index) shown in its tooltip under the disposition, e.g.
        its change since an earlier run (:mod:`geo_screen.app.compare`); none when None.
    """
    styles = styles or DISPOSITION_STYLES
    js, css = asset_links(assets)
    m = folium.Map(
        location=(32.0, 120.9), zoom_start=9, tiles=None, prefer_canvas=True, control_scale=False, scrollWheelZoom=False
    )
    m.options.update(minZoom=5, maxZoom=18)  # folium gives these to tiles only; clustering needs the map's
    m.options.update(zoomSnap=ZOOM_SNAP)  # the first view frames the data closely (whole zooms left 45 % empty)
    _localise(m, js, css)
    add_basemap(m, basemap, tianditu_token)
    for layer in layers:
        frame = layer.frame.set_geometry(to_display(layer.frame.geometry.to_numpy(), basemap), crs=OUTPUT_CRS)
        _VectorLayer(frame, name=layer.title, style=layer.style, show=layer.show, interactive=layer.interactive).add_to(
            m
        )
    if buffers is not None and len(buffers):
        frame = buffers.set_geometry(to_display(buffers.geometry.to_numpy(), basemap), crs=OUTPUT_CRS)
        _VectorLayer(
            frame, name=BUFFER_TITLE, style=BUFFER_STYLE, show=False, interactive=True, note=buffer_note
        ).add_to(m)
    keys = enterprise_keys(enterprises) if keys is None else keys.loc[enterprises.index]
    payload = _payload(enterprises, keys, basemap, styles, notes)
    n = len(payload["lat"])
    _EnterpriseLayer(payload, name=f"企业（{n:,}）", cluster=n > cluster_above, cluster_off_at=15).add_to(m)
    counts = enterprises[R.DISPOSITION].value_counts() if R.DISPOSITION in enterprises else pd.Series(dtype=int)
    zones = {layer.title: layer.style for layer in layers}
    if buffers is not None and len(buffers):
        zones[BUFFER_TITLE] = BUFFER_STYLE
    _Legend(
        [
            {"fill": f, "stroke": s, "label": DISPOSITION_ZH[c], "count": int(counts.get(c, 0))}
            for c, (f, s, _) in styles.items()
        ]
        + [
            {
                "fill": st.get("fillColor", "transparent") if st.get("fill", True) else "transparent",
                "stroke": st.get("color", "#555555"),
                "label": title,
                "zone": True,
                "dash": bool(st.get("dashArray")),
                "symbol": st.get("symbol"),
            }
            for title, st in zones.items()
        ],
        "处置方式",
    ).add_to(m)
    Controls().add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    box = bounds or _extent(enterprises, layers, basemap)
    if box is not None:
        Fit(box).add_to(m)
    return m


def _extent(
    enterprises: gpd.GeoDataFrame, layers, basemap: str | BasemapSource
) -> tuple[float, float, float, float] | None:
    """The box to show first: the screened enterprises (an out-of-coverage stray does not zoom the map
    out to half of China), else every located one, else the layers."""
    geoms = enterprises.geometry.to_numpy()
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if R.ROW_STATUS in enterprises:
        inside = present & enterprises[R.ROW_STATUS].isin(R.SCREENABLE_STATUSES).to_numpy(dtype=bool)
        present = inside if inside.any() else present
    boxes = (
        [shapely.total_bounds(to_display(geoms[present], basemap))]
        if present.any()
        else [shapely.total_bounds(to_display(layer.frame.geometry.to_numpy(), basemap)) for layer in layers]
    )
    arr = np.array([b for b in boxes if np.isfinite(b).all()])
    if not len(arr):
        return None
    return float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 2].max()), float(arr[:, 3].max())


def selection_layer(
    enterprise: gpd.GeoDataFrame,
    *,
    basemap: str | BasemapSource = "none",
    buffer: gpd.GeoDataFrame | None = None,
    focus_zoom: int | None = 15,
) -> folium.FeatureGroup:
    """A highlight ring (and the sanitary buffer) for one selected enterprise, and a pan to it.

    Meant for ``st_folium(..., feature_group_to_add=...)``: it is swapped in without reloading the
    map, and its script runs once per selection: the map centres on the enterprise and zooms in to at
    least ``focus_zoom`` (a closer zoom is kept; None leaves the view alone).
    """
    group = folium.FeatureGroup(name="所选企业", control=False)
    if buffer is not None and len(buffer):
        geom = to_display(buffer.geometry.to_numpy(), basemap)
        folium.GeoJson(
            json.loads(shapely.to_geojson(rounded_lonlat(geom)[0])),
            interactive=False,
            style_function=lambda _f: {**BUFFER_STYLE, "fillOpacity": 0.08, "weight": 2},
        ).add_to(group)
    geoms = enterprise.geometry.to_numpy()
    if len(geoms) and not shapely.is_missing(geoms[0]) and not shapely.is_empty(geoms[0]):
        point = to_display(shapely.point_on_surface(geoms[:1]), basemap)[0]
        for radius, color, weight in ((13, "#FFFFFF", 5), (13, "#111111", 2.5)):
            folium.CircleMarker(
                (point.y, point.x), radius=radius, color=color, weight=weight, fill=False, interactive=False
            ).add_to(group)
        if focus_zoom is not None:
            group.add_child(Focus(point.y, point.x, focus_zoom))
    return group
