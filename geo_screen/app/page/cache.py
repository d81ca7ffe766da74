"""What the page keeps between reruns: the layer pack, its display layers, screened runs, buffers, basemaps, the
ledger and the users file (Streamlit's resource and data caches)."""

from __future__ import annotations

import streamlit as st

import geo_screen as gs
from geo_screen.app import basemaps, maplayers, runs, tileserver
from geo_screen.app import state as explore
from geo_screen.app.users import read_users
from geo_screen.ledger.store import open_ledger
from geo_screen.pack.metric import pack_metric_crs


@st.cache_resource(show_spinner="加载图层包 / loading the layer pack…")
def load_catalog(path):
    """The layer pack at ``path``, loaded once per server."""
    return gs.load_catalog(path)


@st.cache_resource(show_spinner="准备图层 / preparing layers…")
def display_layers(path):
    """The pack's layers prepared for the map (simplified, lon/lat), once per server."""
    return maplayers.display_layers(load_catalog(path))


@st.cache_resource(show_spinner="筛查演示名录 / screening the demo registry…")
def demo_run(catalog_path, registry_path, crs, indicators_path):
    """The bundled demo screened and prepared for the page."""
    grades = gs.grade(indicators_path)  # the demo's performance grades, as `geo-screen demo` computes them
    return explore.prepare(gs.screen(registry_path, load_catalog(catalog_path), crs=crs, grades=grades))


@st.cache_resource(max_entries=8, show_spinner="读取筛查记录 / reading the run…")
def saved_run(runs_dir, run_id):
    """A saved run read back and prepared for the page (the last eight kept)."""
    return explore.prepare(runs.load_run(runs_dir, run_id))


@st.cache_resource(max_entries=16, show_spinner=False)
def buffers_for(run_id, view_key, catalog_path, _shown):
    """The sanitary buffers of the enterprises shown (``view_key`` names the view: the filters)."""
    return maplayers.sanitary_buffers(_shown, crs=pack_metric_crs(load_catalog(catalog_path)))


@st.cache_resource(show_spinner=False)
def office_basemaps(path, address):
    """The office's basemaps (``--basemaps FILE``), local tile folders served on the app's address."""
    if not path:
        return {}, None
    config = basemaps.load_basemaps(path)
    return tileserver.serve_sources(config.sources(), host=address), config.default


@st.cache_resource(show_spinner=False)
def ledger_for(target):
    """The ledger at ``target`` (a SQLite file or a postgresql:// URL), open."""
    return open_ledger(target)


@st.cache_data(show_spinner=False)
def users_from(path, modified):
    """The users file as streamlit-authenticator reads it (read again when ``modified`` changes)."""
    return read_users(path)  # a copy per call (read again when the file changes): the login library writes into it


def demo():
    """The bundled Nantong demo, screened once per server."""
    paths = gs.demo_paths()
    return demo_run(str(paths["catalog"]), str(paths["registry"]), paths["crs"], str(paths["indicators"]))
