"""The counts: the row of metrics under the title (the view against the whole run) and the counts tab's charts
(by disposition, flagged enterprises by county)."""

from __future__ import annotations

import streamlit as st

from geo_screen.app import charts
from geo_screen.app import state as explore
from geo_screen.vocabulary import RESULT_EN, RESULT_ZH


def show_metrics(run, shown):
    """The metrics row; returns the view's counts (``explore.summary_counts``)."""
    total, now = explore.summary_counts(run.enterprises), explore.summary_counts(shown)
    cols = st.columns(5)
    cols[0].metric("企业 / enterprises", f"{now['enterprises']:,}", help=f"全部 {total['enterprises']:,} 家")
    cols[1].metric("触及标准 / flagged", f"{now['flagged']:,}")
    cols[2].metric(f"{RESULT_ZH['clear']} / {RESULT_EN['clear']}", f"{now['none']:,}")
    cols[3].metric(f"{RESULT_ZH['not_assessed']} / {RESULT_EN['not_assessed']}", f"{now['not_assessed']:,}")
    cols[4].metric("无有效位置 / no location", f"{now['no_location']:,}")
    return now


def show_charts(run, shown):
    """The counts tab: enterprises by disposition, flagged enterprises by county."""
    left, right = st.columns(2)
    left.markdown("**按处置方式 / by disposition**")
    counts = explore.disposition_counts(shown, run.styles)
    left.vega_lite_chart(counts, explore.disposition_chart_spec(counts), width="stretch")
    right.markdown("**触及标准企业按县区 / flagged by county**")
    by_county = explore.county_counts(shown, styles=run.styles)
    if len(by_county):
        data, spec = charts.county_chart_spec(by_county, explore.county_colours(by_county, run.styles))
        right.vega_lite_chart(data, spec, width="stretch")
    else:
        right.caption("当前筛选无触及标准的企业。")
