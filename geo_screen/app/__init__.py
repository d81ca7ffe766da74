"""The planner's map: page logic and map building behind the Streamlit page ``app.py``.

Owns the page's arguments (``args``), filters, search, counts and URL state (``state``), the enterprise
card (``card``), the folium map and its vendored Leaflet assets (``mapview``, ``static/``), how dispositions
and layers are drawn (``symbols``), the basemaps and their datum (``basemaps``), the pack's layers prepared for
display (``maplayers``), saved runs (``runs``), upload checks (``uploads``), in-memory downloads
(``downloads``), the card's ledger history and findings recorded from it (``casefile``), the users file of the
map's login (``users``) and verification status on the map (``verification``).
No module here imports streamlit: ``app.py`` wires these to widgets.

May import every other part of the package; nothing in the package imports it.
"""
