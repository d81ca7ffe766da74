"""The sentences officials read about an enterprise: standards hit, evidence lines, legal bases, disposition.

Shared by the on-site checklist (:mod:`geo_screen.outputs.checklist`) and the city's lists
(:mod:`geo_screen.outputs.citylists`); every label comes from :mod:`geo_screen.vocabulary`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_screen import coded
from geo_screen import results as R
from geo_screen.vocabulary import (
    DISPOSITION_ZH,
    LANDUSE_CONDITIONAL_NOTE,
    column_label,
    landuse_class_label,
    seed_item,
    standard_label,
)


def _measure(distance_m: float, required_m: float, margin_m: float) -> str:
    """A hit's measure in words, whole metres: the shortfall against a required distance, where it lies from a
    zone's edge (``margin_m`` positive inside), or the distance alone; empty when it has none."""
    if required_m == required_m:  # not NaN
        return f"距离{distance_m:.0f}米，要求不小于{required_m:.0f}米，差{margin_m:.0f}米"
    if margin_m > 0:
        return f"位于区内，距边界{margin_m:.0f}米"
    if margin_m == margin_m:
        return f"位于区外，距边界{abs(margin_m):.0f}米"
    return f"距离{distance_m:.0f}米" if distance_m == distance_m else ""


def standards_zh(values: pd.Series) -> pd.Series:
    """``"3;9"`` -> ``"标准3（不符合规划/生态红线）；标准9（沿江生态带重点区域）"`` (one lookup per distinct value).

    Parameters
    ----------
    values
        ``standards_hit`` (or ``not_assessed``) cells: standard keys joined by ``;``.

    Returns
    -------
    pandas.Series
        The labels with their topics joined by ``；``; empty text for a missing or empty cell.
    """

    def one(text) -> str:
        return "；".join(standard_label(s, form="topic") for s in R.standard_keys(text))

    uniques = {v: one(v) for v in values.dropna().unique()}
    return values.map(uniques).fillna("").astype("str")


def evidence_text(hits: pd.DataFrame) -> pd.Series:
    """One sentence of evidence per hit, numbered as the seed numbers the standard (vectorised).

    Zones read "狼山省级森林公园（一级管控区，森林公园），位于区内，距边界120米" (``margin_m`` is positive
    inside); distance rules "濠河花园小区（居住区），距离35米，要求不小于300米，差265米"; the land-use plan
    "规划用地类别 E（非建设用地），非工业用地"; registry attributes "登记表“手续齐全”为“否”；绩效等级 C".

    Parameters
    ----------
    hits
        Evidence rows (the ``hits`` layer of a run).

    Returns
    -------
    pandas.Series
        One sentence per hit, on the index of ``hits``,
        e.g. ``第（四）项：长江洪港（一级保护区），位于区内，距边界120米``.
    """

    def txt(c: str) -> pd.Series:
        if c not in hits.columns:
            return pd.Series("", index=hits.index, dtype="str")
        return hits[c].astype("str").fillna("").replace({"nan": "", "None": ""})

    standard = hits["standard"].astype("str")
    label = standard.map({s: seed_item(s) for s in standard.dropna().unique()}).astype("str")
    layer, category, detail = txt("layer_id"), txt("category"), txt("detail")
    registry = (layer == "registry").to_numpy()
    land = (category == "land_use_plan").to_numpy()
    level = txt("zone_label").where(txt("zone_label") != "", txt("zone"))
    about = pd.Series(
        np.where(
            (level != "") & (category != ""),
            level + "，" + category,
            np.where(level != "", level, category),
        ),
        index=hits.index,
    )
    feature = txt("feature_name") + pd.Series(np.where(about != "", "（" + about + "）", ""), index=hits.index)
    dist, req, mar = (
        pd.to_numeric(hits[c], errors="coerce").to_numpy(dtype="float64")
        for c in ("distance_m", "required_m", "margin_m")
    )
    measure = [_measure(d, r, m) for d, r, m in zip(dist, req, mar)]
    out = feature
    for part in (pd.Series(measure, index=hits.index, dtype="str"), detail):
        out = pd.Series(np.where(out == "", part, np.where(part == "", out, out + "，" + part)), index=hits.index)
    if land.any():
        out[land] = _landuse_sentence(
            txt("zone")[land].where(txt("zone")[land] != "", txt("feature_name")[land]), detail[land]
        )
    if registry.any():
        out[registry] = _registry_sentence(detail[registry], txt("zone")[registry], hits["standard"][registry])
    return (label + "：" + out.astype("str")).str.removesuffix("：")


def _landuse_sentence(classes: pd.Series, detail: pd.Series) -> pd.Series:
    """``规划用地类别 E（非建设用地），非工业用地`` (a footprint: its non-industrial share after it); on a class the
    catalog calls conditional: ``规划用地类别 E（非建设用地），有条件用地，...请现场核实...``."""
    share = detail.str.extract(r"非工业用地占比\s*([0-9.]+%)", expand=False)
    named = "规划用地类别 " + classes.map(landuse_class_label)
    text = named + "，非工业用地"
    text = text.where(share.isna(), text + "（厂区 " + share.fillna("") + " 位于非工业用地）")
    return text.where(detail != LANDUSE_CONDITIONAL_NOTE, named + "，" + LANDUSE_CONDITIONAL_NOTE)


def _registry_sentence(detail: pd.Series, zone: pd.Series, standard: pd.Series) -> pd.Series:
    """``手续齐全=否；散乱污=是`` -> ``登记表“手续齐全”为“否”；登记表“散乱污”为“是”``, the grade after it."""
    said = detail.str.replace(r"([^；;=]+)=([^；;]*)", r"登记表“\1”为“\2”", regex=True)
    graded = (zone != "") & (standard.astype("str") != "10")
    return said.where(~graded, said + "；" + column_label(R.GRADE) + " " + zone)


def evidence_by_row(hits: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Evidence lines and distinct legal bases of each enterprise, each joined by a line break.

    Parameters
    ----------
    hits
        Evidence rows with ``input_row`` and ``legal_basis``.

    Returns
    -------
    tuple of pandas.Series
        (evidence, legal bases), both indexed by ``input_row``; empty when there are no hits.
    """
    if hits.empty:
        return pd.Series(dtype="str"), pd.Series(dtype="str")
    ev = coded.join_by_key(hits[R.INPUT_ROW].to_numpy(), evidence_text(hits), "\n")
    basis = hits[[R.INPUT_ROW, R.LEGAL_BASIS]].dropna().drop_duplicates()
    return ev, coded.join_by_key(basis[R.INPUT_ROW].to_numpy(), basis[R.LEGAL_BASIS], "\n")


def disposition_text(enterprises: pd.DataFrame) -> pd.Series:
    """Each enterprise's overall disposition in Chinese: its ``disposition_zh`` cell, else the code's label.

    Parameters
    ----------
    enterprises
        Enterprise rows with a ``disposition`` column (and usually ``disposition_zh``).

    Returns
    -------
    pandas.Series
        The labels, on the index of ``enterprises``.
    """
    mapped = enterprises[R.DISPOSITION].map(DISPOSITION_ZH)
    return enterprises[R.DISPOSITION_ZH].fillna(mapped) if R.DISPOSITION_ZH in enterprises.columns else mapped
