"""How the map draws things: dispositions on a severity ramp from the rules' precedence, overlay styles.

Most severe action darkest and warmest (ColorBrewer YlOrRd, sequential and colour-blind safe), ``none`` grey,
``not_assessed`` hollow; the zone layers' and the sanitary buffers' styles and titles come from
``static/geo_screen/styles.json`` (shared with the page's legend).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from geo_screen import results as R
from geo_screen.errors import GeoScreenError
from geo_screen.pack.catalog import file_sha256
from geo_screen.screening.rules import load_rules

STATIC_DIR = Path(__file__).parent / "static"

#: the action dispositions' ramp, most severe first: ColorBrewer YlOrRd (sequential, colour-blind safe)
SEVERITY_RAMP = ("#800026", "#BD0026", "#E31A1C", "#FC4E2A", "#FD8D3C", "#FEB24C", "#FED976", "#FFEDA0")


def disposition_styles(precedence=R.DISPOSITION_CODES) -> dict[str, tuple[str, str, int]]:
    """disposition -> (fill, stroke, radius px): the rules' precedence as a severity ramp.

    The most severe action is darkest and warmest, the mildest palest; ``none`` is grey and ``not_assessed``
    hollow (a grey ring). Codes missing from ``precedence`` follow it in :data:`geo_screen.results.DISPOSITION_CODES`
    order. Keys come most severe first (the rules' precedence, then ``none`` and ``not_assessed``): the map's
    marker order, cluster borders and legend follow it.
    """
    order = [c for c in precedence if c in R.DISPOSITION_CODES]
    order += [c for c in R.DISPOSITION_CODES if c not in order]
    actions = [c for c in order if c not in (R.NO_DISPOSITION, R.NOT_ASSESSED_DISPOSITION)]
    ramp = np.linspace(0, len(SEVERITY_RAMP) - 1, num=max(len(actions), 1)).round().astype(int)
    styles = {c: (SEVERITY_RAMP[i], "#333333", 5) for c, i in zip(actions, ramp)}
    styles[R.NO_DISPOSITION] = ("#BBBBBB", "#777777", 3)
    styles[R.NOT_ASSESSED_DISPOSITION] = ("transparent", "#555555", 3)
    return {c: styles[c] for c in [*actions, R.NO_DISPOSITION, R.NOT_ASSESSED_DISPOSITION]}


def run_precedence(manifest: dict) -> tuple[str, ...]:
    """The disposition precedence of the rules a run was screened with (``run.json``'s ``rules.path``).

    The rules file is read again when it is still there and unchanged (its sha256 matches the manifest's);
    otherwise, and for runs without a rules path, the shipped order :data:`geo_screen.results.DISPOSITION_CODES`.
    """
    rules = (manifest or {}).get("rules") or {}
    path = Path(str(rules.get("path") or ""))
    if rules.get("path") and path.is_file() and rules.get("sha256") in (None, file_sha256(path)):
        try:
            return tuple(load_rules(path).precedence)
        except GeoScreenError:
            pass
    return tuple(R.DISPOSITION_CODES)


#: disposition -> (fill, stroke, radius px) for the shipped rules' precedence (results.DISPOSITION_CODES order)
DISPOSITION_STYLES: dict[str, tuple[str, str, int]] = disposition_styles()

#: the sanitary-buffer overlay's title and Leaflet path style (the zone layers' are maplayers.LAYER_STYLES)
STYLES = json.loads((STATIC_DIR / "geo_screen" / "styles.json").read_text("utf-8"))
BUFFER_TITLE: str = STYLES["buffer"]["title"]
BUFFER_STYLE: dict = STYLES["buffer"]["style"]
