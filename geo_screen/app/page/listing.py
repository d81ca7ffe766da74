"""The list tab: the enterprises shown as a table; selecting a row selects the enterprise (card and map)."""

from __future__ import annotations

import streamlit as st

from geo_screen.app import state as explore
from geo_screen.app.compare import CHANGE_TITLE


def on_table_select():
    """A row selected in the list: selects its enterprise."""
    rows = st.session_state["table"].selection.rows
    keys = st.session_state.get("table_keys", [])
    if rows and rows[0] < len(keys):
        st.session_state["selected"] = keys[rows[0]]


def show_list(run, shown, notes=None):
    """The list of ``shown``; ``notes`` (on the run's index): each enterprise's change, a column after its key."""
    table = explore.results_table(run, shown)
    if notes is not None:
        table.insert(1, CHANGE_TITLE, notes.reindex(shown.index).fillna("").to_numpy())
    st.session_state["table_keys"] = list(table["编号"])
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=420,
        key="table",
        on_select=on_table_select,
        selection_mode="single-row",
    )
