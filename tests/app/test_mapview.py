"""The offline map: local assets only, markers and colours, overlays drawn, the AMap display shift."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from results_factory import make_result

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import basemaps, symbols
from geo_screen.app import maplayers as ml
from geo_screen.app import mapview as mv
from geo_screen.errors import ConfigError
from geo_screen.inputs.crs import wgs84_to_gcj02
from geo_screen.vocabulary import DISPOSITION_ZH

#: published WGS84 -> GCJ-02 pair (domain notes)
WGS = (121.5272106, 31.1774276)
GCJ = (121.531541859215, 31.17530398364597)


def enterprise_payload(script: str) -> dict:
    """The data array handed to geoScreen.enterprises in a rendered map script."""
    match = re.search(r"geoScreen\.enterprises\(\w+, (\{.*?\}), (\{\"cluster\".*?\})\);", script, flags=re.S)
    assert match, "no enterprise layer in the script"
    return {**json.loads(match.group(1)), "options": json.loads(match.group(2))}


def vector_payloads(script: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r"geoScreen\.vector\((\{.*?\}), \{\"style\"", script, flags=re.S)]


def html_of(m) -> str:
    return m.get_root().render()


@pytest.fixture(scope="module")
def result():
    return make_result(40, seed=3)


@pytest.fixture(scope="module")
def tiny(tiny_pack):
    from conftest import registry_frame

    catalog = gs.load_catalog(tiny_pack)
    frame = registry_frame()
    path = tiny_pack.parent / "registry_map.csv"
    frame.to_csv(path, index=False)
    return catalog, gs.screen(path, catalog, crs="EPSG:4326")


def one_enterprise(lon: float, lat: float, **extra) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            R.INPUT_ROW: [1],
            R.ENTERPRISE_ID: ["91320612000000010C"],
            R.NAME: ["甲企业"],
            R.DISPOSITION: ["close"],
            **extra,
        },
        geometry=[shapely.Point(lon, lat)],
        crs="EPSG:4490",
    )


# --------------------------------------------------------------------------- offline assets


def test_assets_are_vendored_with_licences():
    static = symbols.STATIC_DIR
    assert "1.9.4" in (static / "leaflet" / "leaflet.js").read_text("utf-8")[:200]
    assert "BSD" in (static / "leaflet" / "LICENSE").read_text("utf-8")
    assert "Permission is hereby granted" in (static / "leaflet.markercluster" / "MIT-LICENCE.txt").read_text("utf-8")
    js, css = mv.asset_links()
    assert "MIT License" in (static / "leaflet-measure" / "LICENSE").read_text("utf-8")
    assert {n for n, _ in js} == {"leaflet", "markercluster", "leaflet_measure", "geo_screen"}
    assert all(url.startswith("data:") for _, url in (*js, *css))
    import base64

    for name in ("leaflet_css", "leaflet_measure_css"):  # images inlined, @2X ones too
        text = base64.b64decode(dict(css)[name].split(",", 1)[1]).decode("utf-8")
        assert "url(images/" not in text and "url(data:image/png;base64," in text
    assert "sourceMappingURL" not in base64.b64decode(js[0][1].split(",", 1)[1]).decode("utf-8")


def test_asset_links_can_point_at_a_server():
    js, css = mv.asset_links("/app/static/")
    assert dict(js)["leaflet"] == "/app/static/leaflet/leaflet.js"
    assert dict(css)["geo_screen_css"] == "/app/static/geo_screen/map.css"


def test_page_loads_nothing_remote(result, tiny):
    catalog, _ = tiny
    m = mv.build_map(
        result.enterprises, layers=ml.display_layers(catalog), buffers=ml.sanitary_buffers(result.enterprises)[0]
    )
    page = html_of(m)
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", page)
    assert links and all(link.startswith("data:") for link in links)
    assert "L.tileLayer" not in page and "url(http" not in page and "@import" not in page
    # folium's own defaults (CDN jQuery, Bootstrap, Font Awesome) are untouched for other users
    import folium

    assert any("cdn" in url for _, url in folium.Map.default_js)


# --------------------------------------------------------------------------- markers


def test_markers_one_per_located_enterprise_with_its_colour(result):
    ents = result.enterprises
    payload = enterprise_payload(html_of(mv.build_map(ents)))
    located = ents[~ents.geometry.isna()]
    assert len(payload["lat"]) == len(located) == len(ents) - 1  # row 6 has no location
    styles = payload["styles"]
    assert [s["label"] for s in styles] == list(DISPOSITION_ZH.values())
    keys = mv.enterprise_keys(ents)
    for lat, lon, d, key in zip(payload["lat"], payload["lon"], payload["d"], payload["key"]):
        row = ents[keys == key].iloc[0]
        point = row.geometry.representative_point() if row.geometry.geom_type != "Point" else row.geometry
        assert (lon, lat) == pytest.approx((point.x, point.y), abs=1e-6)
        assert styles[d]["fill"] == symbols.DISPOSITION_STYLES[row[R.DISPOSITION]][0]
    assert payload["d"] == sorted(payload["d"], reverse=True)  # most severe drawn last
    assert payload["options"]["cluster"] is False


def test_palette_is_distinct_and_complete():
    fills = [f for f, _, _ in symbols.DISPOSITION_STYLES.values()]
    assert list(symbols.DISPOSITION_STYLES) == list(DISPOSITION_ZH)
    assert len(set(fills)) == len(fills)


def test_clustering_above_threshold(result):
    payload = enterprise_payload(html_of(mv.build_map(result.enterprises, cluster_above=10)))
    assert payload["options"] == {"cluster": True, "clusterOffAt": 15}


def test_legend_counts_the_drawn_enterprises(result):
    ents = result.enterprises
    page = html_of(mv.build_map(ents))
    items = json.loads(re.search(r"geoScreen\.legend\((\[.*?\]), ", page, flags=re.S).group(1))
    counts = ents[R.DISPOSITION].value_counts()
    assert {i["label"]: i["count"] for i in items} == {DISPOSITION_ZH[c]: int(counts.get(c, 0)) for c in DISPOSITION_ZH}


def test_names_cannot_break_out_of_the_script(result):
    ents = result.enterprises.copy()
    ents.loc[0, R.NAME] = "</script><script>alert(1)</script>{{ 7*7 }}{% if 1 %}x{% endif %}"
    page = html_of(mv.build_map(ents))
    assert "alert(1)</script>" not in page and "{{ 7*7 }}" not in page and "{%" not in page
    payload = enterprise_payload(page)
    assert ents.loc[0, R.NAME] in payload["name"]  # still shown verbatim


def test_keys_prefer_unique_uscc():
    frame = pd.DataFrame({R.INPUT_ROW: [1, 2, 3, 4], R.ENTERPRISE_ID: ["A1", "B2", "B2", None]})
    assert mv.enterprise_keys(frame).tolist() == ["A1", "第2行", "第3行", "第4行"]
    assert mv.key_from_tooltip("南通某厂\n关闭取缔\nA1\n") == "A1"
    assert mv.key_from_tooltip("") is None and mv.key_from_tooltip(None) is None


# --------------------------------------------------------------------------- basemaps and the GCJ-02 shift


def test_amap_shifts_every_overlay_by_gcj02(tiny):
    catalog, _ = tiny
    ents = one_enterprise(*WGS, **{R.SANITARY_REQUIRED: [300.0]})
    for basemap, expected in (("none", WGS), ("osm", WGS), ("amap", GCJ)):
        page = html_of(mv.build_map(ents, basemap=basemap, layers=ml.display_layers(catalog)))
        payload = enterprise_payload(page)
        assert (payload["lon"][0], payload["lat"][0]) == pytest.approx(expected, abs=1.5e-6)
    # layers: a zone vertex drawn on AMap equals wgs84_to_gcj02 of the true vertex
    layer = next(layer for layer in ml.display_layers(catalog) if layer.id == "water_source_first")
    true_xy = shapely.get_coordinates(layer.frame.geometry.to_numpy())[0]
    page = html_of(mv.build_map(ents, basemap="amap", layers=[layer]))
    drawn = vector_payloads(page)[0]["features"][0]["geometry"]["coordinates"][0][0]
    assert drawn == pytest.approx(np.array(wgs84_to_gcj02(*true_xy)).tolist(), abs=1.5e-6)


def test_selection_ring_follows_the_basemap():
    ents = one_enterprise(*WGS)
    for basemap, (lon, lat) in (("none", WGS), ("amap", GCJ)):
        group = mv.selection_layer(ents, basemap=basemap)
        import folium

        m = folium.Map(tiles=None)
        group.add_to(m)
        rings = [c for c in group._children.values() if isinstance(c, folium.CircleMarker)]
        assert rings and rings[0].location == pytest.approx([lat, lon], abs=1e-6)


def test_online_basemaps(monkeypatch):
    ents = one_enterprise(*WGS)
    monkeypatch.delenv(basemaps.TIANDITU_ENV, raising=False)
    with pytest.raises(ConfigError, match="TIANDITU_KEY"):
        mv.build_map(ents, basemap="tianditu")
    page = html_of(mv.build_map(ents, basemap="tianditu", tianditu_token="abc123"))
    assert "tianditu.gov.cn/vec_w" in page and "tk=abc123" in page
    monkeypatch.setenv(basemaps.TIANDITU_ENV, "fromenv")
    assert "tk=fromenv" in html_of(mv.build_map(ents, basemap="tianditu"))
    assert "autonavi.com" in html_of(mv.build_map(ents, basemap="amap"))
    with pytest.raises(ConfigError, match="choose one of none, osm, tianditu, amap"):
        mv.build_map(ents, basemap="google")


def test_map_of_nothing_still_renders(tiny):
    catalog, res = tiny
    empty = res.enterprises.iloc[:0]
    page = html_of(mv.build_map(empty, layers=ml.display_layers(catalog)))
    assert enterprise_payload(page)["lat"] == []
    assert "geoScreen.fit(" in page  # falls back to the layers' extent


def test_first_view_ignores_out_of_coverage_strays(result):
    ents = result.enterprises.copy()
    ents.loc[10, "geometry"] = shapely.Point(100.0, 25.0)  # a geocoding stray in Yunnan
    ents.loc[10, R.ROW_STATUS] = R.STATUS_OUT
    page = html_of(mv.build_map(ents))
    (south, west), (north, east) = json.loads(re.search(r"geoScreen\.fit\(\w+, (\[\[.*?\]\])", page).group(1))
    assert west > 120 and south > 31 and east < 122  # the stray is drawn, not framed
    assert len(enterprise_payload(page)["lat"]) == len(ents) - 1


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_palette_is_a_severity_ramp_in_precedence_order():
    """Most severe darkest and warmest; none grey; not assessed hollow (issue 16: 依法处置 was bright green)."""
    from geo_screen.screening.rules import load_rules

    actions = [c for c in load_rules(None).precedence if c != R.NO_DISPOSITION]
    fills = [symbols.DISPOSITION_STYLES[c][0] for c in actions]
    lum = [_luminance(f) for f in fills]
    assert lum == sorted(lum) and len(set(lum)) == len(lum)  # darker the more severe
    for f in fills:  # warm: red channel highest, no greens or blues
        r, g, b = (int(f[i : i + 2], 16) for i in (1, 3, 5))
        assert r >= g and r > b
    none = symbols.DISPOSITION_STYLES[R.NO_DISPOSITION][0]
    assert none[1:3] == none[3:5] == none[5:7]  # grey
    assert symbols.DISPOSITION_STYLES[R.NOT_ASSESSED_DISPOSITION][0] == "transparent"
    assert symbols.disposition_styles(["stop", "close", "none"])["stop"][0] == fills[0]  # follows an edited precedence


def test_wheel_zooms_only_after_a_click_and_the_scale_is_metric(result):
    html = html_of(mv.build_map(result.enterprises))
    assert '"scrollWheelZoom": false' in html
    assert "geoScreen.controls(" in html and '"imperial":false' in html
    assert "L.control.scale(" not in html  # folium's own, with miles


def test_measure_tool_is_vendored_metric_and_chinese(result):
    """leaflet-measure from geo_screen/app/static (no CDN), metres/kilometres and m²/hectares, its Chinese labels."""
    html = html_of(mv.build_map(result.enterprises))
    options = json.loads(re.search(r"geoScreen\.controls\(\w+, (\{.*?\})\);", html).group(1))["measure"]
    assert options["localization"] == "cn"
    assert {options[k] for k in ("primaryLengthUnit", "secondaryLengthUnit")} == {"meters", "kilometers"}
    assert {options[k] for k in ("primaryAreaUnit", "secondaryAreaUnit")} == {"sqmeters", "hectares"}
    assert "cdn.jsdelivr.net" not in html and "leaflet-measure@" not in html
    js = dict(mv.asset_links()[0])["leaflet_measure"]
    import base64

    assert "同时测量距离和面积" in base64.b64decode(js.split(",", 1)[1]).decode("utf-8")


def test_buffer_note_belongs_to_the_buffer_layer(result):
    """Issue 16: the note that only some buffers are drawn showed under the map while the layer was off; it is the
    layer's own now, shown by map.js while the layer is on."""
    buffers, _ = ml.sanitary_buffers(result.enterprises)
    html = html_of(mv.build_map(result.enterprises, buffers=buffers, buffer_note="只画出前 3 家"))
    options = [json.loads(o) for o in re.findall(r"geoScreen\.vector\(\{.*?\}, (\{\"style\".*?\})\);", html)]
    (buffer,) = [o for o in options if o["title"] == symbols.BUFFER_TITLE]
    assert buffer["note"] == "只画出前 3 家"
    assert "gs-note" in (symbols.STATIC_DIR / "geo_screen" / "map.js").read_text("utf-8")
    html = html_of(mv.build_map(result.enterprises, buffers=buffers))
    assert '"note":null' in html


def test_first_view_frames_the_data_with_fractional_zoom(result):
    """Issue 16: at 1400 px the city filled 55 % of a 572 px map (fitBounds snapped to a whole zoom level)."""
    html = html_of(mv.build_map(result.enterprises))
    assert '"zoomSnap": 0.25' in html and "geoScreen.fit(" in html and ".fitBounds(" not in html
    assert "function fit(map, bounds, options)" in (symbols.STATIC_DIR / "geo_screen" / "map.js").read_text("utf-8")


def test_legend_has_zone_swatches_and_sensitive_targets_their_own_symbol(tiny):
    layers = ml.display_layers(tiny[0])
    html = html_of(mv.build_map(tiny[1].enterprises, layers=layers))
    legend = json.loads(re.search(r"geoScreen\.legend\((\[.*?\]), \{", html).group(1))
    titles = {item["label"] for item in legend if item.get("zone")}
    assert {layer.title for layer in layers} <= titles
    targets = [layer for layer in layers if layer.kind == "sensitive_targets"]
    assert targets and targets[0].style.get("symbol") == "diamond"
