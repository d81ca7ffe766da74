"""落后产能退出筛查地图 / the planner's map.

``streamlit run app.py [-- --results DIR] [--catalog catalog.yaml] [--runs DIR] [--basemaps basemaps.yaml]
[--ledger LEDGER] [--users FILE]``.

The page is :mod:`geo_screen.app.page` (its widgets, over the page logic in :mod:`geo_screen.app`); this file is
only what Streamlit runs.
"""

from geo_screen.app.page.main import run

run()
