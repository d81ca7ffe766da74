"""What the county found and decided, applied to a screening: the ledger's facts per enterprise -> results.

A screening given ``verified=`` (the frame :func:`geo_screen.ledger.facts.ledger_facts` builds; the screening
never reads a ledger itself, as ``ledger`` is downstream of ``screening``) shows each enterprise's latest finding,
decision and deadline, and, unless the rule set's ``verification`` switches an effect off:

* 位置有误 with a corrected location: the row is screened there; the registry's location stays in
  ``lon_original``/``lat_original`` (issue ``location_corrected``).
* 整改不到位, or a deadline passed without 已整改到位: every hit standard with an ``escalation`` takes it, as if the
  registry recorded ``rectification_failed`` (the evidence says which finding or deadline).
* 不属实: the finding overrules the standards it names; a finding with no standard (a checklist row covers the
  whole enterprise) overrules every standard the row hits. Only each standard's latest finding counts (a later
  finding on another standard leaves it; a later finding on the whole enterprise replaces it): the facts'
  ``untrue_standards``. Those standards read ``clear`` (checked on site); their evidence rows stay, with
  disposition ``none`` and who found what, when and why (``untrue_by``; issue ``verified_untrue:<standard>``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_screen import coded
from geo_screen import results as R
from geo_screen.errors import ConfigError
from geo_screen.inputs.crs import WORK_CRS
from geo_screen.inputs.registry import mark_coverage
from geo_screen.screening.rules import RuleSet
from geo_screen.vocabulary import FOUND_UNTRUE, NOT_RECTIFIED, UNVERIFIED

LOCATION_CORRECTED = "location_corrected"
VERIFIED_UNTRUE = "verified_untrue"


def facts_by_row(registry: pd.DataFrame, verified: pd.DataFrame) -> pd.DataFrame:
    """The facts of each registry row (matched by enterprise_id; empty for an enterprise the ledger lacks)."""
    missing = [c for c in R.FACT_COLUMNS if c not in verified.columns]
    if missing:
        raise ConfigError(f"verified= lacks columns {', '.join(missing)}; build it with ledger_facts(ledger)")
    ids = registry[R.ENTERPRISE_ID].astype("string") if R.ENTERPRISE_ID in registry else None
    facts = verified.drop_duplicates(R.ENTERPRISE_ID, keep="last").set_index(R.ENTERPRISE_ID)
    if ids is None:
        out = pd.DataFrame(index=registry.index, columns=list(R.FACT_COLUMNS[1:]), dtype=object)
    else:
        out = facts.reindex(ids.to_numpy(dtype=object, na_value=None))
        out.index = registry.index
    out[R.OVERDUE] = out[R.OVERDUE].astype("boolean").fillna(False).astype(bool)
    return out


def _who(facts: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """'（张三，2026-01-10：note）' of each row's finding (a handful of rows: a plain loop)."""
    out = []
    for by, on, note in facts[[R.FACT_BY, R.FACT_ON, R.FACT_NOTE]].iloc[rows].itertuples(index=False):
        text = "，".join(str(v) for v in (by, on) if pd.notna(v) and v)
        out.append(f"（{text}{'：' + str(note) if pd.notna(note) and note else ''}）")
    return np.array(out, dtype=object)


def moved_to_fixed_location(registry: gpd.GeoDataFrame, facts: pd.DataFrame, rules: RuleSet, coverage):
    """The registry with each corrected location in place (and the original in ``lon_original``/``lat_original``),
    and each row's issue token."""
    out = registry.copy()
    lon = pd.to_numeric(out["lon"], errors="coerce") if "lon" in out else pd.Series(np.nan, index=out.index)
    lat = pd.to_numeric(out["lat"], errors="coerce") if "lat" in out else pd.Series(np.nan, index=out.index)
    fixed = facts[R.FACT_LON].notna().to_numpy() & facts[R.FACT_LAT].notna().to_numpy()
    fixed = fixed & rules.verification.screen_fixed_location
    out[R.LON_ORIGINAL] = np.where(fixed, lon, np.nan)
    out[R.LAT_ORIGINAL] = np.where(fixed, lat, np.nan)
    tokens = np.where(fixed, LOCATION_CORRECTED, "").astype(object)
    if not fixed.any():
        return out, tokens
    x, y = (facts[c].to_numpy(dtype=float)[fixed] for c in (R.FACT_LON, R.FACT_LAT))
    points = gpd.GeoSeries(shapely.points(x, y), crs=R.OUTPUT_CRS).to_crs(out.crs or WORK_CRS)
    geoms = np.asarray(out.geometry.array, dtype=object).copy()
    geoms[fixed] = np.asarray(points.array, dtype=object)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    if "lon" in out:
        out.loc[fixed, "lon"], out.loc[fixed, "lat"] = x, y
    status = out[R.ROW_STATUS].astype("string").copy()
    status[fixed] = R.STATUS_OK
    out[R.ROW_STATUS] = status
    return mark_coverage(out, coverage), tokens


def failed_by_finding(facts: pd.DataFrame, rules: RuleSet) -> np.ndarray:
    """Per row: why the rectification failed according to the ledger (a finding or a passed deadline), or None."""
    on = rules.verification
    because = np.full(len(facts), None, dtype=object)
    late = facts[R.OVERDUE].to_numpy(dtype=bool, copy=True) & on.escalate_overdue
    due = facts[R.DUE_DATE].astype("string").fillna("").to_numpy(dtype=object)
    because[late] = "整改期限" + due[late] + "已过，未核实已整改到位"
    found = (facts[R.VERIFICATION] == NOT_RECTIFIED).fillna(False).to_numpy(dtype=bool, copy=True)
    found &= on.escalate_not_rectified
    rows = np.flatnonzero(found)
    because[rows] = "核查结论：" + NOT_RECTIFIED + _who(facts, rows)
    return because


def overruled(facts: pd.DataFrame, statuses: pd.DataFrame, rules: RuleSet) -> np.ndarray:
    """Boolean matrix (rows x :data:`R.STANDARDS`): the hit standards a finding of 不属实 overrules."""
    untrue = facts[R.FACT_UNTRUE].astype("string").fillna("").to_numpy(dtype=object)
    named = pd.Series([set(v.split(";")) if v else set() for v in untrue], dtype=object)
    out = np.zeros((len(facts), len(R.STANDARDS)), dtype=bool)
    if not rules.verification.overrule_untrue:
        return out
    for j, key in enumerate(R.STANDARDS):
        hit = np.asarray(statuses[R.std_column(key)] == R.HIT, dtype=bool)
        out[:, j] = hit & named.map(lambda keys, key=key: key in keys).to_numpy(dtype=bool)
    return out


def cleared(statuses: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """``statuses`` with the overruled standards ``clear`` (the site was checked: the flag does not hold)."""
    if not mask.any():
        return statuses
    statuses = statuses.copy()
    for j, key in enumerate(R.STANDARDS):
        if mask[:, j].any():
            values = np.asarray(statuses[R.std_column(key)], dtype=object).copy()
            values[mask[:, j]] = R.CLEAR
            statuses[R.std_column(key)] = pd.Categorical(values, categories=list(R.STANDARD_VALUES))
    return statuses


def marked_evidence(evidence: pd.DataFrame, mask: np.ndarray, facts: pd.DataFrame, *, escalation: str, label: str):
    """Evidence with the overruled rows kept, their disposition ``none`` and who found them untrue, when, why."""
    if not mask.any() or not len(evidence):
        return evidence
    pos = evidence["_pos"].to_numpy(dtype=np.int64)
    std = np.array([R.STANDARDS.index(s) if s in R.STANDARDS else -1 for s in evidence["standard"].astype(object)])
    rows = np.flatnonzero((std >= 0) & mask[pos, np.maximum(std, 0)])
    if not len(rows):
        return evidence
    out = evidence.copy()
    disposition = np.asarray(out[R.DISPOSITION], dtype=object).copy()
    detail = np.asarray(out["detail"], dtype=object).copy()
    disposition[rows] = R.NO_DISPOSITION
    who = facts[R.FACT_UNTRUE_BY].astype(object).to_numpy()[pos[rows]]
    note = "经现场核查" + FOUND_UNTRUE + "，不予认定" + np.array([f"（{w}）" if w else "" for w in who], dtype=object)
    old = detail[rows]
    detail[rows] = np.where(pd.isna(old) | (old == ""), note, old.astype(str) + "；" + note)
    out[R.DISPOSITION], out["detail"] = coded.coded(disposition), coded.coded(detail)
    for col in (escalation, label):
        if col in out:
            values = np.asarray(out[col], dtype=object).copy()
            values[rows] = None
            out[col] = coded.coded(values)
    return out


def untrue_tokens(mask: np.ndarray) -> np.ndarray:
    """Per row: ``verified_untrue:<standard>`` for each overruled standard, ';'-joined."""
    tokens = np.full(len(mask), "", dtype=object)
    for j, key in enumerate(R.STANDARDS):
        on = mask[:, j]
        tokens[on] = np.where(tokens[on] == "", "", tokens[on] + ";") + f"{VERIFIED_UNTRUE}:{key}"
    return tokens


def ledger_columns(facts: pd.DataFrame) -> pd.DataFrame:
    """The enterprise columns a screening with the ledger adds (besides lon_original/lat_original)."""
    return pd.DataFrame(
        {
            R.VERIFICATION: facts[R.VERIFICATION].astype(object).fillna(UNVERIFIED).astype("str"),
            R.DECIDED_DISPOSITION: facts[R.DECIDED_DISPOSITION].astype("str"),
            R.DECISION_DOC: facts[R.DECISION_DOC].astype("str"),
            R.DUE_DATE: facts[R.DUE_DATE].astype("str"),
            R.OVERDUE: facts[R.OVERDUE].to_numpy(dtype=bool),
        },
        index=facts.index,
    )
