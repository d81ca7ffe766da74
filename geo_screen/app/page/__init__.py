"""The Streamlit page's widgets: the only modules of the package that import streamlit.

Owns the page as widgets: the cached resources (``cache``), the sidebar's source and runs (``source``), its filters
and basemap (``filters``), the map panel (``mappanel``), the enterprise card and its ledger part (``cardpanel``),
the list tab (``listing``), the counts and the counts tab (``counts``), downloads and print (``files``), logging in
(``login``), two runs compared (``changes``) and the wiring of them all (``main``). Every value shown comes from the
page logic in :mod:`geo_screen.app` (which never imports streamlit); ``app.py`` at the repository's root is the entry
Streamlit runs: it calls :func:`geo_screen.app.page.main.run`.

Nothing in the package imports it.
"""
