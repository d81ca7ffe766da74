"""The sidebar's filters (search, county, industry, standard, disposition, row and verification status, as the URL
first sets them) and its basemap picker."""

from __future__ import annotations

import streamlit as st

from geo_screen.app import basemaps
from geo_screen.app import state as explore
from geo_screen.app.page import cache
from geo_screen.app.page.source import query_params
from geo_screen.vocabulary import VERDICT

FILTER_KINDS = (
    ("counties", "县（市、区）"),
    ("industries", "行业"),
    ("standards", "触及标准"),
    ("dispositions", "处置方式"),
    ("row_statuses", "行状态 / row status"),
    ("verifications", f"{VERDICT} / verification"),  # offered when the run was screened with the ledger
)


def sidebar_basemap(args):
    """The basemap picker: "none", the office's sources, the online ones; returns (basemap, Tianditu key)."""
    sources, default = cache.office_basemaps(str(args.basemaps or ""), st.get_option("server.address") or "")
    offered = basemaps.choices(sources)
    if not st.session_state.get("basemap_read"):  # first run of this session: the URL (or the file) chooses
        st.session_state["basemap"] = explore.basemap_from_query(query_params(), list(offered), default or "none")
        st.session_state["basemap_read"] = True
    st.sidebar.subheader("底图 / basemap")
    basemap = st.sidebar.selectbox(
        "底图", list(offered), format_func=offered.get, key="basemap", label_visibility="collapsed"
    )
    token = None
    if basemap == "tianditu":
        token = (
            st.sidebar.text_input(
                "天地图密钥 / Tianditu key",
                type="password",
                key="tianditu_key",
                help=f"或设置环境变量 {basemaps.TIANDITU_ENV}",
            )
            or None
        )
    if basemaps.is_online(basemap):
        st.sidebar.caption("在线底图会向地图服务商请求瓦片；离线使用请选“无底图”。")
    elif basemap in sources:
        datum = {"gcj02": "GCJ-02，图上点位已偏移显示", "cgcs2000": "CGCS2000", "wgs84": "WGS84"}
        st.sidebar.caption(f"单位底图（{datum[sources[basemap].datum]}）：瓦片来自内网或本机，不访问互联网。")
    return sources.get(basemap, basemap), token


def sidebar_filters(run, args):
    """The filters chosen (the URL's on a session's first run) and the basemap: ``(Filters, basemap, token)``."""
    if not st.session_state.get("url_read"):  # first run of this session: the URL sets the view
        params = query_params()
        start = explore.filters_from_query(params, run)
        for kind, _ in FILTER_KINDS:
            st.session_state[f"f_{kind}"] = list(getattr(start, kind))
        st.session_state["f_search"] = start.search
        st.session_state["selected"] = explore.selected_from_query(params, run)
        st.session_state["url_read"] = True
    st.sidebar.subheader("筛选 / filters")
    st.sidebar.text_input("搜索名称或统一社会信用代码 / search", key="f_search", placeholder="例如：化工 或 91320612…")
    chosen = {}
    for kind, label in FILTER_KINDS:
        options = run.options[kind]
        key = f"f_{kind}"
        if not options:  # e.g. no verification status: the run was screened without the ledger
            chosen[kind] = ()
            continue
        st.session_state[key] = [v for v in st.session_state.get(key, []) if v in options]
        chosen[kind] = tuple(
            st.sidebar.multiselect(
                label,
                options,
                key=key,
                placeholder="全部 / all",
                format_func=lambda v, k=kind: explore.option_label(k, v),
            )
        )
    basemap, token = sidebar_basemap(args)
    return explore.Filters(**chosen, search=st.session_state["f_search"].strip()), basemap, token
