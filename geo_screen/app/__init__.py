"""The planner's map: page logic and map building behind the Streamlit page ``app.py``.

Owns the page's arguments (``args``), filters, search, counts and URL state (``state``), the enterprise
card (``card``), the folium map and its vendored Leaflet assets (``mapview``, ``static/``), how dispositions
and layers are drawn (``symbols``), the basemaps and their datum (``basemaps``; an office's own from a YAML file,
a local tile folder served by ``tileserver``), the pack's layers prepared for display (``maplayers``), the counts
tab's charts (``charts``), saved runs (``runs``), upload checks (``uploads``) and the coordinate-system plausibility
test (``plausibility``), Streamlit's own strings in Chinese (``localise``), in-memory downloads (``downloads``), the
current view exported (``viewexport``) and drawn as a print layout (``printout``), the card's ledger history and
findings recorded from it (``casefile``), the users file of the map's login (``users``), verification status on
the map (``verification``) and two runs compared on the map (``compare``).
The widgets are the subpackage ``page`` (one module per part of the page: the sidebar's source and runs, filters and
basemap, the map panel, the card, downloads and print, the counts, login, two runs compared), the only place in the
package importing streamlit; no other module here imports streamlit or ``page``. ``app.py`` only runs ``page``.

May import every other part of the package; nothing in the package imports it.
"""
