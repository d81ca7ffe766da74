"""The page wired together: the sidebar (source, filters, basemap, login), the title and counts, the map and the
card side by side, then the list, counts and downloads tabs; the URL follows the view."""

from __future__ import annotations

import streamlit as st

import geo_screen as gs
from geo_screen.app import compare, localise
from geo_screen.app import state as explore
from geo_screen.app.args import app_args
from geo_screen.app.page import cardpanel, changes, counts, files, filters, listing, login, mappanel, source
from geo_screen.runtime import tune_arrow_memory


def page_setup():
    """The page's title, icon and width (Streamlit's first call), its spacing, print styles and Chinese strings."""
    st.set_page_config(page_title="落后产能退出筛查地图", page_icon="🗺️", layout="wide")
    tune_arrow_memory()
    st.markdown("<style>.block-container{padding-top:2.2rem;padding-bottom:1rem}</style>", unsafe_allow_html=True)
    # Streamlit's own English strings in Chinese where it allows (geo_screen.app.localise says which remain)
    st.markdown(localise.streamlit_css(st.get_option("server.maxUploadSize")), unsafe_allow_html=True)


def main():
    args = app_args()
    files.print_styles()
    catalog_path = str(args.catalog or gs.demo_paths()["catalog"])
    ledger = login.app_ledger(args)
    saved = source.sidebar_source(args, catalog_path, ledger)
    compare_id = changes.sidebar_compare(saved)
    run = source.pick_run(args)
    view = changes.compare_view(args, run, compare_id)
    chosen, basemap, token = filters.sidebar_filters(run, args)
    st.session_state["basemap_shown"] = basemap  # an office source (its datum) or a built-in id: clicks undo its shift
    user, recordable = login.ledger_user(args, ledger)
    shown = explore.apply_filters(run, chosen)
    notes = None
    if view is not None:  # two runs compared: the changed enterprises only, each with its change
        shown, notes = shown[compare.changed_mask(shown, view)], view.notes
    if st.session_state.get("selected") not in run.key_index:
        st.session_state["selected"] = None
    selected = st.session_state["selected"]
    picking = mappanel.fix_location_mode(selected, user)
    query = explore.query_from_state(
        chosen,
        selected=selected,
        basemap=st.session_state["basemap"],
        run_id=st.session_state["run_id"],
        compare_id=st.session_state["compare_id"] if view is not None else None,
    )
    st.query_params.from_dict(query)

    st.title("落后产能退出综合标准筛查地图")
    st.caption(explore.source_caption(run.result))
    now = counts.show_metrics(run, shown)
    if view is not None:
        changes.show_changes(view, source.run_choice_label(saved)(compare_id))

    map_col, card_col = st.columns([5, 3], gap="medium")
    with map_col:
        mappanel.show_map(
            run,
            shown,
            repr(chosen) + (f"|{compare_id}" if view is not None else ""),
            catalog_path=catalog_path,
            basemap=basemap,
            token=token,
            selected=selected,
            picking=picking,
            recordable=recordable,
            notes=notes,
            extra=[view.gone] if view is not None and view.gone is not None else (),
        )
        mappanel.map_notes(now)
    with card_col, st.container(height=mappanel.MAP_HEIGHT + 30, border=False):
        cardpanel.show_card(run, selected)
        if ledger is not None:
            cardpanel.show_ledger(run, ledger, user, selected)

    table_tab, chart_tab, download_tab = st.tabs(["企业列表 / list", "统计 / counts", "下载 / downloads"])
    with table_tab:
        listing.show_list(run, shown, notes)
    with chart_tab:
        counts.show_charts(run, shown)
    with download_tab:
        files.show_downloads(run, shown, chosen, catalog_path, selected)


def run():
    """The page, as ``app.py`` runs it; a library error is shown as its one message."""
    page_setup()
    try:
        main()
    except gs.GeoScreenError as e:
        st.error(str(e))
