"""The map panel: the folium map of the enterprises shown, the selected enterprise's ring (the map centred on it),
a corrected location placed by a click, and the notes under the map."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from geo_screen.app import casefile, maplayers, mapview, verification
from geo_screen.app.page import cache
from geo_screen.pack.metric import pack_metric_crs
from geo_screen.vocabulary import WRONG_PLACE

MAP_HEIGHT = 640


def buffer_note(buffers, omitted):
    """What the buffer layer leaves out, shown on the map only while that layer is switched on."""
    return f"卫生防护距离图层只画出前 {len(buffers):,} 家（另有 {omitted:,} 家），请缩小筛选范围。" if omitted else None


def on_map_click():
    """A click on the map: selects the enterprise clicked, or places the corrected location while picking one."""
    value = st.session_state.get("map") or {}
    if st.session_state.get("fix_picking"):  # recording 位置有误: a click places the corrected location
        basemap = st.session_state.get("basemap_shown", "none")
        point = casefile.clicked_lonlat(value.get("last_clicked"), basemap=basemap)
        if point:
            st.session_state["fix_point"] = point
        return
    key = mapview.key_from_tooltip(value.get("last_object_clicked_tooltip"))
    if key:
        st.session_state["selected"] = key


def fix_location_mode(selected, user):
    """Whether a map click now places a corrected location (logged in, 位置有误 chosen for the selection)."""
    if st.session_state.get("fix_for") != selected:  # another enterprise: start its finding afresh
        st.session_state["fix_for"] = selected
        st.session_state["fix_point"] = None
        st.session_state.pop("fix_value", None)
        st.session_state.pop("fix_note", None)
    picking = bool(user and selected and st.session_state.get("fix_value") == WRONG_PLACE)
    st.session_state["fix_picking"] = picking
    return picking


def show_map(
    run, shown, view_key, *, catalog_path, basemap, token, selected, picking, recordable, notes=None, extra=()
):
    """The map of ``shown`` (``view_key`` names it for the buffers' cache; ``notes`` a tooltip line per enterprise,
    ``extra`` more layers) with the selection's ring; a click selects an enterprise, or places a corrected location
    while ``picking``."""
    buffers, omitted = cache.buffers_for(run.run_id, view_key, catalog_path, shown)
    fmap = mapview.build_map(
        shown,
        keys=run.keys,
        layers=cache.display_layers(catalog_path) + verification.verification_layers(shown) + list(extra),
        buffers=buffers,
        basemap=basemap,
        tianditu_token=token,
        buffer_note=buffer_note(buffers, omitted),
        styles=run.styles,
        notes=notes,
    )
    chosen = run.enterprises.iloc[[run.key_index[selected]]] if selected else None
    ring = None
    if chosen is not None:
        ring = mapview.selection_layer(
            chosen,
            basemap=basemap,
            buffer=maplayers.sanitary_buffers(chosen, crs=pack_metric_crs(cache.load_catalog(catalog_path)))[0],
            focus_zoom=None if picking else 15,  # placing a corrected location: the view stays put
        )
        if picking and st.session_state.get("fix_point"):
            casefile.add_fix_marker(ring, st.session_state["fix_point"], basemap=basemap)
    st_folium(
        fmap,
        key="map",
        height=MAP_HEIGHT,
        use_container_width=True,
        on_change=on_map_click,
        returned_objects=["last_object_clicked_tooltip", *(["last_clicked"] if recordable else [])],
        feature_group_to_add=ring,
    )


def map_notes(now):
    """The captions under the map: enterprises without a location, clustering."""
    notes = [f"{now['no_location']:,} 家企业无有效位置，未在地图上显示。"] if now["no_location"] else []
    if now["enterprises"] > 10_000:
        notes.append("企业较多：低缩放级别下按位置聚合，圆圈数字为企业数，边框颜色为其中最严重的处置方式。")
    for note in notes:
        st.caption(note)
