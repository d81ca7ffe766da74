"""Zone standards 3, 4 and 9: which enterprises lie in which zones, how deep, and whether the zone class is a hit.

The zone checks of a screening run (:class:`ZoneChecks`, mixed into the run of :mod:`geo_screen.screening.spatial`):
one STRtree on the enterprises is queried with the prepared zone polygons; depths and distances come from the
layer's edge index, in the pack's metric CRS. The rule set's zone classes decide which intersections are hits
(a quasi protection zone is evidence only; a second-class zone needs a discharger).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo_screen import coded
from geo_screen import results as R
from geo_screen.pack.catalog import Layer
from geo_screen.screening.rules import EVIDENCE_ACTS, EVIDENCE_KIND
from geo_screen.vocabulary import zone_industry_note

#: layer kinds behind each spatial standard; a standard whose kinds are all missing is not assessed
STANDARD_KINDS: dict[str, tuple[str, ...]] = {
    "3": ("ecological_redline", "marine_redline", "land_use_plan"),
    "4": ("water_source_protection",),
    "5": ("sensitive_targets",),
    "9": ("riverside_belt",),
}
#: the zone layers of the zone standards 3, 4 and 9 (the land-use plan and sensitive targets are checked apart)
ZONE_KINDS = {
    std: tuple(k for k in kinds if k not in ("land_use_plan", "sensitive_targets"))
    for std, kinds in STANDARD_KINDS.items()
    if std != "5"
}
#: a spatial evidence row: the hits layer's columns up to the disposition, which the rules attach later
EVIDENCE_COLUMNS = [
    "_pos",
    *(c for c in R.HIT_COLUMNS[2:] if c not in (R.DISPOSITION, R.LEGAL_BASIS)),
    EVIDENCE_KIND,
    EVIDENCE_ACTS,
]

#: evidence columns holding numbers; the others are text, kept coded (see geo_screen.coded)
_NUMERIC_EVIDENCE = ("_pos", "distance_m", "required_m", "margin_m", EVIDENCE_ACTS)


def evidence_rows(_pos: np.ndarray, **columns) -> pd.DataFrame:
    """Evidence rows for the registry positions ``_pos``: text columns coded, scalars broadcast."""
    n = len(_pos)
    frame = {"_pos": np.asarray(_pos, dtype=np.int64)}
    for col in EVIDENCE_COLUMNS[1:]:
        value = columns.get(col)
        if col in _NUMERIC_EVIDENCE:
            frame[col] = np.broadcast_to(np.asarray(np.nan if value is None else value, dtype=np.float64), n).copy()
        elif value is None or isinstance(value, str):
            frame[col] = coded.constant(value, n)
        else:
            frame[col] = coded.coded(value)
    return pd.DataFrame(frame)


def layer_attribute(layer: Layer, column: str, idx: np.ndarray) -> pd.Categorical:
    """A layer attribute for the features ``idx``, coded (no per-row string objects)."""
    if column not in layer.frame.columns:
        return coded.constant(None, len(idx))
    return coded.take(coded.coded(layer.frame[column].to_numpy(dtype=object)), idx)


def _polygon_depth(ent: np.ndarray, zone: np.ndarray, boundary: np.ndarray) -> np.ndarray:
    """For footprint/zone pairs: the deepest footprint vertex inside the zone, in metres (0 if none)."""
    coords, owner = shapely.get_coordinates(ent, return_index=True)
    inside = shapely.contains_xy(zone[owner], coords[:, 0], coords[:, 1])
    dist = np.where(inside, shapely.distance(boundary[owner], shapely.points(coords)), 0.0)
    depth = np.zeros(len(ent))
    np.maximum.at(depth, owner, dist)
    return depth


class ZoneChecks:
    """The zone checks of a screening run; the run supplies the enterprises, the pack in metres and the rules."""

    # ---------------------------------------------------------------- zones (3, 4, 9)
    def zone_acts(self, layer: Layer, standard: str, zone_idx: np.ndarray, ent_idx: np.ndarray):
        """Which zone/enterprise pairs are hits, by the standard's zone rules.

        Returns (per zone feature: can its class be a hit, per pair: is it a hit, per pair: a note or None).
        A class with ``hit: false`` (the quasi protection zone, outside the protection zone by water law art. 63)
        is never a hit; a class with ``only_if: <attribute>`` is a hit unless the registry says no (second-class
        zones: enterprises that discharge pollutants), and a hit with a note to verify where the registry is silent.
        Zone rules naming an ``issue`` add that token to the pairs' rows.
        """
        rule = self.rules.standards.get(standard)
        by_zone = rule.by_zone if rule is not None else {}
        codes = layer.frame["zone"].to_numpy(dtype=object) if "zone" in layer.frame else None
        zone_ok = np.ones(len(layer.frame), dtype=bool)
        acts = np.ones(len(zone_idx), dtype=bool)
        note = np.full(len(zone_idx), None, dtype=object)
        if codes is None or not by_zone:
            return zone_ok, acts, note
        pair_codes = codes[zone_idx]
        for code, zone_rule in by_zone.items():
            pairs = pair_codes == code
            if not zone_rule.hit:
                zone_ok[codes == code] = False
                acts[pairs] = False
            if zone_rule.only_if and pairs.any():
                value = self.attribute(zone_rule.only_if)[ent_idx]
                acts[pairs & (value == False)] = False  # noqa: E712  (None: not said, stays a hit)
                note[pairs & pd.isna(value)] = zone_rule.only_if_missing
            if zone_rule.issue and pairs.any():
                self.tokens[standard].append((self.pos[np.unique(ent_idx[pairs])], zone_rule.issue))
        return zone_ok, acts, note

    def industry_applies(self, words: tuple[str, ...] | None) -> np.ndarray | None:
        """Per screened row, does a layer for the industries ``words`` concern it: True, False, or None where the
        registry gives no industry (``None`` for a layer without ``industries``: it concerns everyone)."""
        if not words:
            return None
        if R.INDUSTRY not in self.registry:
            return np.full(len(self.pos), None, dtype=object)
        industry = self.registry[R.INDUSTRY].astype("string").str.strip().iloc[self.pos]
        missing = industry.fillna("").eq("").to_numpy(dtype=bool)
        found = np.zeros(len(self.pos), dtype=bool)
        for word in words:
            found |= industry.str.contains(word, regex=False).fillna(False).to_numpy(dtype=bool)
        return np.where(missing, None, found).astype(object)

    def zone_hits(self, layer: Layer, standard: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (hit per screened row, margin per screened row: depth if hit, -distance to nearest zone else,
        undetermined per screened row).

        A layer for listed ``industries`` (a belt for chemical projects, 长江保护法 art. 26) does not concern an
        enterprise of another industry: its pairs are dropped and its margin is empty. Inside it, an enterprise
        whose industry the registry does not give is undetermined (evidence with a note, issue
        ``zone_industry_unknown:<standard>``), so the standard is not assessed for it unless another layer hits.
        """
        zones = self.metric.geoms[layer.id]
        boundary = self.metric.boundaries[layer.id]
        zone_idx, ent_idx = self.tree.query(zones, predicate="intersects")  # prepared zones over the point tree
        applies = self.industry_applies(layer.spec.industries)
        if applies is not None:
            keep = applies[ent_idx] != False  # noqa: E712  (None: the registry does not say, kept)
            zone_idx, ent_idx = zone_idx[keep], ent_idx[keep]
        zone_ok, acts, note = self.zone_acts(layer, standard, zone_idx, ent_idx)
        unknown = np.zeros(len(ent_idx), dtype=bool)
        if applies is not None:
            unknown = pd.isna(applies[ent_idx]) & zone_ok[zone_idx] & acts
            acts &= ~unknown
            note[unknown] = zone_industry_note(layer.spec.industries)
            if unknown.any():
                self.tokens[standard].append(
                    (self.pos[np.unique(ent_idx[unknown])], f"zone_industry_unknown:{standard}")
                )
        counted = acts | unknown
        margin = np.full(len(self.geoms), np.nan)
        depth = np.empty(len(ent_idx))
        hit = np.zeros(len(self.geoms), dtype=bool)
        hit[ent_idx[acts]] = True
        counted_in = np.zeros(len(self.geoms), dtype=bool)  # inside a zone that is a hit, or undetermined
        counted_in[ent_idx[counted]] = True
        pt = self.is_point[ent_idx]
        if pt.any():  # exact distance to the containing zone's edge, from the layer's edge index
            edges = self.metric.edges(layer.id)
            within = np.zeros(len(self.geoms), dtype=bool)
            within[ent_idx] = True
            inside = np.flatnonzero(within & self.is_point)
            dist, owner = edges.nearest(self.x[inside], self.y[inside], ordered=True)
            at = np.full(len(self.geoms), -1, dtype=np.int64)
            at[inside] = np.arange(len(inside))
            slot = at[ent_idx[pt]]
            d = dist[slot]
            other = owner[slot] != zone_idx[pt]  # the nearest edge is another zone's: measure this zone's own
            d[other] = shapely.distance(self.geoms[ent_idx[pt][other]], boundary[zone_idx[pt][other]])
            depth[pt] = d
        if (~pt).any():
            depth[~pt] = _polygon_depth(self.geoms[ent_idx[~pt]], zones[zone_idx[~pt]], boundary[zone_idx[~pt]])
        np.fmax.at(margin, ent_idx[counted], depth[counted])
        radius = self.rules.search_radius_m
        clear = np.flatnonzero(~counted_in & self.is_point)
        if not zone_ok.all():  # some classes are never hits: the distance to the nearest class that can be
            self.margin_to(layer, zone_ok, zone_idx, ent_idx, np.flatnonzero(~counted_in), margin)
        elif len(clear):
            dist, _ = self.metric.edges(layer.id).nearest(
                self.x[clear], self.y[clear], max_distance=radius, ordered=True
            )
            margin[clear] = np.where(np.isfinite(dist), -dist, np.nan)
        clear = np.flatnonzero(~counted_in & ~self.is_point)
        if len(clear) and zone_ok.all():
            ent_n, zone_n = self.metric.trees[layer.id].query_nearest(
                self.geoms[clear], max_distance=radius, all_matches=False
            )
            dist = shapely.distance(self.geoms[clear[ent_n]], zones[zone_n])
            np.fmax.at(margin, clear[ent_n], -dist)
        self.evidence[standard].append(
            evidence_rows(
                _pos=self.pos[ent_idx],
                standard=standard,
                layer_id=layer.id,
                feature_name=layer_attribute(layer, "name", zone_idx),
                zone=layer_attribute(layer, "zone", zone_idx),
                zone_label=layer_attribute(layer, "zone_label", zone_idx),
                category=layer_attribute(layer, "category", zone_idx),
                distance_m=0.0,
                margin_m=depth,
                detail=note,
                **{EVIDENCE_KIND: layer.kind, EVIDENCE_ACTS: acts.astype(np.float64)},
            )
        )
        if applies is not None:
            margin[applies == False] = np.nan  # noqa: E712  (the layer does not concern these enterprises)
        return hit, margin, counted_in & ~hit

    def margin_to(self, layer: Layer, zone_ok, zone_idx, ent_idx, rows: np.ndarray, margin: np.ndarray) -> None:
        """``margin[rows]`` = minus the distance to the nearest zone of ``layer`` whose class can be a hit
        (``zone_ok``), within the search radius; a row inside such a zone (not a hit because of its registry
        attributes) has no margin. ``zone_idx``/``ent_idx`` are the layer's zone/row pairs that intersect.

        Points are measured on the edge index of those zones (outside a polygon, its distance is its edges'),
        other geometries on an STRtree of them.
        """
        zones = self.metric.geoms[layer.id][zone_ok]
        if not len(zones) or not len(rows):
            return
        inside = np.zeros(len(self.geoms), dtype=bool)
        inside[ent_idx[zone_ok[zone_idx]]] = True
        rows = rows[~inside[rows]]
        radius = self.rules.search_radius_m
        points = rows[self.is_point[rows]]
        if len(points):
            edges = self.metric.edges(layer.id, keep=zone_ok)
            dist, _ = edges.nearest(self.x[points], self.y[points], max_distance=radius, ordered=True)
            margin[points] = np.where(np.isfinite(dist), -dist, np.nan)
        others = rows[~self.is_point[rows]]
        if len(others):
            ent_n, zone_n = shapely.STRtree(zones).query_nearest(
                self.geoms[others], max_distance=radius, all_matches=False
            )
            dist = shapely.distance(self.geoms[others[ent_n]], zones[zone_n])
            margin[others[ent_n]] = np.where(dist > 0, -dist, np.nan)

    def zone_standard(self, standard: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(hit, margin, undetermined) per screened row over the standard's zone layers, or None without any.

        Undetermined: inside a layer for listed industries while the registry gives no industry, and no hit."""
        layers = self.catalog.of_kind(*ZONE_KINDS[standard])
        if not layers:
            return None
        hit = np.zeros(len(self.geoms), dtype=bool)
        undetermined = np.zeros(len(self.geoms), dtype=bool)
        margin = np.full(len(self.geoms), np.nan)
        for layer in layers:
            self.say(f"standard {standard}: {layer.id} ({len(self.metric.geoms[layer.id]):,} zones)")
            h, m, u = self.zone_hits(layer, standard)
            hit |= h
            undetermined |= u
            # depth inside (positive) beats distance outside (negative); among those the largest wins
            margin = np.fmax(margin, m)
        self.columns[R.margin_column(standard)] = self.full(margin, np.nan)
        self.margins[standard] = margin
        return hit, margin, undetermined & ~hit
