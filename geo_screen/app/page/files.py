"""Downloads and print: the current view as files and as a print layout, the whole run's files and county
packages (the downloads tab), and the page's own print styles (Ctrl+P)."""

from __future__ import annotations

import streamlit as st

from geo_screen.app import downloads, printout, viewexport
from geo_screen.app.page import cache


def download_buttons(items, *, key: str):
    """A row of download buttons, one per :class:`geo_screen.app.downloads.Download` (bytes made on click)."""
    for column, item in zip(st.columns(len(items)), items):
        column.download_button(
            item.label,
            data=item.make,
            file_name=item.file_name,
            mime=item.mime,
            on_click="ignore",
            key=f"{key}_{item.file_name}",
            width="stretch",
        )


def view_downloads(run, shown, filters, catalog_path, selected):
    """The current view (the filtered enterprises, as on the list and the map) as files and as a print layout."""
    st.markdown("**当前视图 / this view**")
    st.caption("；".join(viewexport.filters_in_words(filters)) + f"（{len(shown):,} 家企业）")
    chosen = run.enterprises.iloc[[run.key_index[selected]]] if selected else None
    prints = printout.print_downloads(
        run,
        shown,
        filters,
        layers=cache.display_layers(catalog_path),
        catalog=cache.load_catalog(catalog_path),
        selected=chosen,
    )
    download_buttons(viewexport.view_downloads(run, shown, filters) + prints, key="view")


def show_downloads(run, shown, filters, catalog_path, selected):
    """The downloads tab: this view, then the whole run (its files, a county's package)."""
    view_downloads(run, shown, filters, catalog_path, selected)
    st.markdown("**全部筛查结果 / the whole run**")
    st.caption("全部筛查结果（不受左侧筛选影响）。县区核查包含企业点位 shapefile、证据表、字段说明和现场核查表。")
    counties = downloads.package_counties(run.result)
    start = counties.index(filters.counties[0]) if len(filters.counties) == 1 and filters.counties[0] in counties else 0
    county = (
        st.selectbox("县区核查包 / county package", counties, index=start, key="package_county", width=320)
        if counties
        else None
    )
    download_buttons(downloads.downloads(run.result, county=county), key="dl")


def print_styles():
    """The browser's own print (Ctrl+P): no sidebar, header or toolbar; the title, counts and map on page 1,
    the map column the page's width; the card, list and tabs follow on the next pages."""
    st.markdown(
        """<style>@media print {
  @page { size: A4 portrait; margin: 10mm; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] { display: none !important; }
  [data-testid="stMain"], [data-testid="stAppViewContainer"] { margin-left: 0 !important; padding-left: 0 !important; }
  .block-container { padding: 0 !important; max-width: 100% !important; }
  [data-testid="stHorizontalBlock"]:has(iframe) { flex-wrap: wrap !important; }
  [data-testid="stHorizontalBlock"]:has(iframe) > [data-testid="stColumn"] {
    width: 100% !important; flex: 1 1 100% !important; min-width: 100% !important; }
  [data-testid="stHorizontalBlock"]:has(iframe) > [data-testid="stColumn"]:first-child { break-inside: avoid; }
  [data-testid="stHorizontalBlock"]:has(iframe) > [data-testid="stColumn"]:nth-child(2) { break-before: page; }
  [data-testid="stVerticalBlock"] { gap: 0.4rem !important; }
}</style>""",
        unsafe_allow_html=True,
    )
