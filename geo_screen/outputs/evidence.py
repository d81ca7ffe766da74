"""The sentences officials read about an enterprise: standards hit, evidence lines, legal bases, disposition.

Shared by the on-site checklist (:mod:`geo_screen.outputs.checklist`) and the city's lists
(:mod:`geo_screen.outputs.citylists`); every label comes from :mod:`geo_screen.vocabulary`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_screen import coded
from geo_screen import results as R
from geo_screen.vocabulary import DISPOSITION_ZH, standard_label


def _fmt(values: pd.Series) -> np.ndarray:
    return np.char.mod("%.0f", pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64"))


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
    """One line of evidence per hit (vectorised): standard, zone name/level, distance vs required, margin, detail.

    Zone standards read "位于区内，距边界120米" (``margin_m`` is positive inside);
    distance rules read "距离35米，要求不小于300米，差265米".

    Parameters
    ----------
    hits
        Evidence rows (the ``hits`` layer of a run).

    Returns
    -------
    pandas.Series
        One line per hit, on the index of ``hits``, e.g. ``标准4：某水源地（一级保护区），位于区内，距边界120米``.
    """

    def txt(c: str) -> pd.Series:
        return hits[c].astype("str").fillna("") if c in hits.columns else pd.Series("", index=hits.index, dtype="str")

    label = hits["standard"].astype("str").map(lambda s: standard_label(s)).astype("str")
    level = txt("zone_label").where(txt("zone_label") != "", txt("zone"))
    feature = txt("feature_name") + pd.Series(np.where(level != "", "（" + level + "）", ""), index=hits.index)
    dist, req, mar = (pd.to_numeric(hits[c], errors="coerce") for c in ("distance_m", "required_m", "margin_m"))
    d, r, m, m_abs = _fmt(dist), _fmt(req), _fmt(mar), _fmt(mar.abs())
    add = np.char.add
    measure = (
        np.select(
            [req.notna().to_numpy(), (mar > 0).to_numpy(), mar.notna().to_numpy(), dist.notna().to_numpy()],
            [
                add(add(add(add(add("距离", d), "米，要求不小于"), r), "米，差"), add(m, "米")),
                add(add("位于区内，距边界", m), "米"),
                add(add("位于区外，距边界", m_abs), "米"),
                add(add("距离", d), "米"),
            ],
            "",
        )
        if len(hits)
        else np.array([], dtype=str)
    )
    out = feature
    for part in (pd.Series(measure, index=hits.index, dtype="str"), txt("detail")):
        out = pd.Series(np.where(out == "", part, np.where(part == "", out, out + "，" + part)), index=hits.index)
    return (label + "：" + out.astype("str")).str.removesuffix("：")


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
