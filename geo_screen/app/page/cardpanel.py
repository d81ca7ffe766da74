"""The enterprise card beside the map: its disposition, why it is not assessed, each standard's evidence and
legal basis; with a ledger, its history and (logged in) a finding recorded from it."""

from __future__ import annotations

import streamlit as st

import geo_screen as gs
from geo_screen import results as R
from geo_screen.app import card as cards
from geo_screen.app import casefile
from geo_screen.vocabulary import RESULT_ZH, VERDICT, VERDICTS, WRONG_PLACE


def show_card(run, selected):
    """The card of the enterprise ``selected`` (a key of ``run``), or how to select one."""
    card = cards.enterprise_card(run, selected or "")
    if card is None:
        st.info(
            "点击地图上的企业（或在下方列表中选中一行）查看详情。\n\nClick an enterprise on the map, "
            "or select a row in the list below, to see its evidence."
        )
        return
    st.markdown(cards.card_header_html(card), unsafe_allow_html=True)
    if card.reasons:
        st.warning(
            f"**{len(card.reasons)} 项标准{RESULT_ZH[R.NOT_ASSESSED]} / not assessed**\n\n"
            + "\n".join(f"- {cards.markdown_escape(r)}" for r in card.reasons)
        )
    for warning in card.warnings:
        st.warning(warning)
    for hit in card.hits:
        with st.container(border=True):
            st.markdown(f"**{cards.markdown_escape(hit['标准'])}** → {cards.markdown_escape(hit['处置'])}")
            st.markdown(cards.markdown_escape(hit["证据"]))
            st.caption(cards.markdown_escape(hit["法律依据"]))
    st.dataframe(card.facts, hide_index=True, width="stretch")
    st.markdown("**各项标准 / every standard**")
    st.table(card.standards[["标准", "结果", "证据"]].set_index("标准"))  # wraps the evidence, never truncates
    if card.legal_basis:
        st.caption(f"综合处置依据 / basis：{cards.markdown_escape(card.legal_basis)}")


def save_finding(ledger, uscc, user, run_id):
    """The finding filled in on the card, appended to the ledger by ``user``."""
    try:
        entries = casefile.record_finding(
            ledger,
            uscc,
            value=st.session_state.get("fix_value"),
            note=st.session_state.get("fix_note"),
            lonlat=st.session_state.get("fix_point"),
            by=user,
            run_id=run_id,
        )
    except gs.GeoScreenError as e:
        st.session_state["fix_error"] = str(e)
        return
    st.session_state["fix_done"] = f"已记入台账（第 {entries[0].seq} 条）/ recorded in the ledger"
    st.session_state["fix_value"], st.session_state["fix_note"], st.session_state["fix_point"] = None, "", None


def show_ledger(run, ledger, user, selected):
    """The selected enterprise's ledger history (everyone) and, logged in, the control recording a finding."""
    uscc = casefile.enterprise_id(run, selected) if selected else None
    if uscc is None:
        return
    st.markdown("**台账记录 / ledger history**")
    table = casefile.history_table(ledger.entries(uscc))
    if table.empty:
        st.caption("台账中没有该企业的记录 / no ledger entries yet")
    else:
        with st.container(border=True, key="ledger_history"):
            for item in casefile.history_markdown(table):
                st.markdown(item)
    if not user:
        return
    with st.container(border=True):
        st.markdown("**记录核查结论 / record a finding**")
        value = st.selectbox(VERDICT, VERDICTS, index=None, placeholder="请选择 / choose", key="fix_value")
        st.text_area("核查情况说明 / note", key="fix_note", height=80)
        if value == WRONG_PLACE:
            point = st.session_state.get("fix_point")
            st.info(
                "请在地图上点击企业的正确位置 / click the correct location on the map"
                if point is None
                else f"更正位置 {point[0]:.6f}, {point[1]:.6f}：地图上的蓝色菱形，保存前可重新点击"
            )
        st.button(
            "保存到台账 / save to the ledger",
            type="primary",
            key="fix_save",
            on_click=save_finding,
            args=(ledger, uscc, user, run.result.manifest.get("run_id")),
        )
    if st.session_state.get("fix_done"):
        st.success(st.session_state.pop("fix_done"))
    if st.session_state.get("fix_error"):
        st.error(st.session_state.pop("fix_error"))
