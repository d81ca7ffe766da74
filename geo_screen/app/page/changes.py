"""Two runs compared: the sidebar's picker of an earlier run (``cmp=`` in the URL), the comparison computed once per
pair, and the changes panel (what changed, per county and category, and changes.xlsx to download)."""

from __future__ import annotations

import streamlit as st

import geo_screen as gs
from geo_screen.app import compare, runs
from geo_screen.app.page.files import download_buttons
from geo_screen.app.page.source import query_params, run_choice_label


@st.cache_resource(max_entries=4, show_spinner="对比两次筛查 / comparing the runs…")
def compared(runs_dir, old_id, run_id, _run):
    """The saved run ``old_id`` compared with ``_run`` (the run on screen), once per pair."""
    return compare.compare_runs(runs.load_run(runs_dir, old_id), _run)


def sidebar_compare(saved: dict):
    """The earlier run to compare the run on screen with (the URL's ``cmp=`` on a session's first run); its id
    or None."""
    if "compare_id" not in st.session_state:
        st.session_state["compare_id"] = compare.compare_from_query(query_params())
    current = st.session_state.get("run_id")
    if st.session_state["compare_id"] == current:  # a run is not compared with itself
        st.session_state["compare_id"] = None
    choices = ["", *(i for i in saved if i != current)]
    if st.session_state["compare_id"] and st.session_state["compare_id"] not in choices:
        choices.append(st.session_state["compare_id"])  # reported as missing by compare_view
    st.session_state["compare_pick"] = st.session_state["compare_id"] or ""
    label = run_choice_label(saved)
    st.sidebar.selectbox(
        "对比 / compare with",
        choices,
        format_func=lambda i: label(i) if i else "不对比 / no comparison",
        key="compare_pick",
        on_change=on_compare_pick,
        help="选择一次较早的筛查记录：地图和列表只显示两次之间有变化的企业（按统一社会信用代码匹配）。",
        disabled=len(choices) < 2,
    )
    return st.session_state["compare_id"]


def on_compare_pick():
    """A run picked to compare with (or none)."""
    st.session_state["compare_id"] = st.session_state["compare_pick"] or None


def compare_view(args, run, compare_id):
    """The comparison of the earlier run ``compare_id`` with ``run``, or None (none chosen, or it cannot be read:
    said in the sidebar)."""
    if not compare_id:
        return None
    try:
        return compared(str(args.runs), compare_id, run.run_id, run)
    except gs.GeoScreenError as e:
        st.sidebar.error(f"对比失败 / cannot compare：{e}")
        st.session_state["compare_id"] = None
        return None


def show_changes(view, old_label: str):
    """The changes panel: the two runs, counts per category, changes.xlsx, and the table per county and category
    (folded, so that the map stays in the first screen)."""
    with st.container(border=True, key="changes_panel"):
        text, button = st.columns([4, 1], vertical_alignment="center")
        text.markdown(f"**两次筛查对比 / changes** 　{old_label} → 本次")
        with button:
            download_buttons([compare.changes_download(view)], key="changes")
        for line in compare.summary_lines(view):
            st.caption(line)
        counties = len(view.changes.by_county) - 1
        with st.expander(f"按县区和变化类别 / per county and category（{counties} 个县区）"):
            st.dataframe(view.changes.by_county, hide_index=True, width="stretch")
        st.caption(
            "地图和列表只显示本次筛查中有变化的企业（并按左侧筛选）；登记表中已无的企业画在其上次位置（虚线圈）。"
        )
