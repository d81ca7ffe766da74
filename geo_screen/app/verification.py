"""Verification status on the map: the options of the 核查结论 filter and a ring layer per finding.

A run screened with the ledger (``geo-screen screen --ledger``) carries ``verification`` per enterprise:
未核实 or the latest finding. The map keeps the disposition's dot and adds, for each finding present, a layer of
rings around the enterprises with that finding (Okabe–Ito colours, colour-blind safe, each in the legend and the
layer list); 未核实 gets no ring. A run without the ledger's columns offers neither.

>>> verification_options(run.enterprises)                      # doctest: +SKIP
['未核实', '属实', '位置有误']
>>> layers = verification_layers(shown)                        # doctest: +SKIP
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_screen import results as R
from geo_screen.app.maplayers import DisplayLayer
from geo_screen.vocabulary import UNVERIFIED, VERDICT, VERDICTS

#: finding -> ring colour (Okabe–Ito), in the checklist's order of findings
VERIFICATION_COLOURS: dict[str, str] = dict(
    zip(VERDICTS, ("#D55E00", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9"), strict=True)
)
#: how a ring is drawn around a verified enterprise (Leaflet path options; the colour per finding)
RING_STYLE = {"radius": 9, "weight": 3, "fill": False, "opacity": 0.95}


def verification_values(enterprises: pd.DataFrame) -> pd.Series:
    """Each enterprise's verification status (未核实 where the column is blank); empty when the run has none."""
    if R.VERIFICATION not in enterprises:
        return pd.Series(dtype=object)
    values = enterprises[R.VERIFICATION].astype("string").str.strip()
    return values.where(values.notna() & (values != ""), UNVERIFIED).astype(object)


def verification_options(enterprises: pd.DataFrame) -> list[str]:
    """The statuses the 核查结论 filter offers: those present, 未核实 first, then the findings in order.

    Returns
    -------
    list of str
        Empty when the run does not carry the ledger's ``verification`` column (screened without a ledger).
    """
    present = set(verification_values(enterprises))
    order = (UNVERIFIED, *VERDICTS)
    return [v for v in order if v in present] + sorted(present - set(order))


def verification_mask(enterprises: pd.DataFrame, statuses: tuple[str, ...]) -> np.ndarray:
    """Boolean mask of the enterprises whose status is one of ``statuses`` (all, when the run has none)."""
    if R.VERIFICATION not in enterprises:
        return np.ones(len(enterprises), dtype=bool)
    return verification_values(enterprises).isin(statuses).to_numpy(dtype=bool)


def verification_layers(enterprises: gpd.GeoDataFrame) -> list[DisplayLayer]:
    """One ring layer per finding present among ``enterprises`` (none for 未核实, none without the column).

    Parameters
    ----------
    enterprises
        The enterprises drawn (EPSG:4490); rows without a location are skipped.

    Returns
    -------
    list of DisplayLayer
        Point layers titled ``核查结论：<finding>``, non-interactive (a click reaches the enterprise's dot),
        each with a tooltip text, for :func:`geo_screen.app.mapview.build_map`'s ``layers``.
    """
    status = verification_values(enterprises)
    if status.empty:
        return []
    geoms = enterprises.geometry.to_numpy()
    located = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    names = enterprises.get(R.NAME, pd.Series("", index=status.index)).astype("string").fillna("")
    out = []
    for value, colour in VERIFICATION_COLOURS.items():
        keep = located & (status == value).to_numpy()
        if not keep.any():
            continue
        title = f"{VERDICT}：{value}"
        frame = gpd.GeoDataFrame(
            {"tip": (names[keep] + "\n" + title).to_numpy(dtype=object)},
            geometry=shapely.point_on_surface(geoms[keep]),
            crs=R.OUTPUT_CRS,
        )
        style = RING_STYLE | {"color": colour}
        out.append(DisplayLayer(f"verification_{value}", "verification", value, title, frame, style, True, False))
    return out
