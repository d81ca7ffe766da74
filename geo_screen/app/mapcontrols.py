"""The map's controls and view as folium elements: wheel zoom after a click, a metric scale, the measure tool,
the first view's framing and the pan to a selected enterprise (each drawn by ``static/geo_screen/map.js``).

:func:`js_json` writes the values these (and :mod:`geo_screen.app.mapview`'s layers) hand to the page's script.
"""

from __future__ import annotations

import json
import re

from branca.element import MacroElement
from folium.template import Template


def js_json(value) -> str:
    """JSON safe inside a <script> and a Jinja template: no '</script>', line separators or '{{', '{%', '{#'.

    Structural JSON never has '{' before '{', '%' or '#', so those braces are inside strings and
    become the equivalent escape ``\\u007b``.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return re.sub(r"\{(?=[{%#])", r"\\u007b", text)


#: zoom steps the map may stop at: a quarter level lets the first view fill >= 80 % of the map's width or height
ZOOM_SNAP = 0.25
#: the measure tool (leaflet-measure): metric units, Chinese labels (its "cn" locale), the map's accent colour
MEASURE_OPTIONS = {
    "position": "topleft",
    "localization": "cn",
    "primaryLengthUnit": "meters",
    "secondaryLengthUnit": "kilometers",
    "primaryAreaUnit": "sqmeters",
    "secondaryAreaUnit": "hectares",
    "activeColor": "#0072B2",
    "completedColor": "#0072B2",
}


class Controls(MacroElement):
    """Wheel zoom only after a click on the map (the page scrolls otherwise), a metric scale bar and the
    measure tool (distances in metres/kilometres, areas in square metres/hectares)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            geoScreen.controls({{ this._parent.get_name() }}, {{ this.options }});
        {% endmacro %}
        """)

    def __init__(self):
        super().__init__()
        self._name = "Controls"
        self.options = js_json({"imperial": False, "scalePosition": "bottomright", "measure": MEASURE_OPTIONS})


class Fit(MacroElement):
    """Frames a lon/lat box (fractional zoom), again when the map is resized while nobody has moved it yet."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            geoScreen.fit({{ this._parent.get_name() }}, {{ this.bounds }}, {{ this.options }});
        {% endmacro %}
        """)

    def __init__(self, box: tuple[float, float, float, float], *, max_zoom: int = 15, padding: int = 12):
        super().__init__()
        self._name = "Fit"
        self.bounds = js_json([[box[1], box[0]], [box[3], box[2]]])
        self.options = js_json({"maxZoom": max_zoom, "padding": [padding, padding]})


class Focus(MacroElement):
    """Pans the map to a point and zooms in to at least ``min_zoom`` (kept when the user is closer already), once any
    zoom under way has ended (Leaflet drops a view set during a zoom animation: a page opened at ``?sel=``)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {% set map = this._parent._parent.get_name() %}
            geoScreen.focus({{ map }}, {{ this.lat }}, {{ this.lon }}, {{ this.min_zoom }});
        {% endmacro %}
        """)

    def __init__(self, lat: float, lon: float, min_zoom: int):
        super().__init__()
        self._name = "Focus"
        self.lat, self.lon, self.min_zoom = f"{lat:.6f}", f"{lon:.6f}", int(min_zoom)
