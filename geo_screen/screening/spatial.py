"""Spatial screening: standards 3, 4, 5 and 9 from the layer pack -> per-row results and evidence rows.

Everything is vectorised over enterprises: one STRtree on the enterprises is
queried with the zone polygons (prepared by shapely), per-row sanitary
distances go straight into ``STRtree.query(..., predicate="dwithin")``, and
rasters are sampled by array indexing. Distances are measured in a projected
CGCS2000 Transverse Mercator chosen for the pack (:func:`geo_screen.pack.metric.pack_metric_crs`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import shapely

from geo_screen import coded
from geo_screen import results as R
from geo_screen.pack.catalog import Catalog, Layer
from geo_screen.pack.edges import spatial_order
from geo_screen.pack.landuse import industrial_within, sample_landuse_polygons, sample_landuse_raster
from geo_screen.pack.metric import built_tree, metric_layers, project_geometries
from geo_screen.screening.rules import EVIDENCE_ACTS, EVIDENCE_KIND, RuleSet
from geo_screen.screening.zones import STANDARD_KINDS, ZoneChecks, evidence_rows, layer_attribute  # noqa: F401  (API)
from geo_screen.threads import workers
from geo_screen.vocabulary import LANDUSE_CONDITIONAL_NOTE

#: the order evidence rows and near-edge warnings are combined in, whatever order the checks finish in
_CHECK_ORDER = ("3", "landuse", "4", "9", "5")
_COLUMN_ORDER = (
    R.margin_column("3"),
    R.LANDUSE_CLASS,
    R.NONINDUSTRIAL_SHARE,
    R.margin_column("4"),
    R.margin_column("9"),
    R.SANITARY_REQUIRED,
    R.NEAREST_SENSITIVE_M,
    R.NEAREST_SENSITIVE_NAME,
)
Progress = Callable[[str], None]


class _Screening(ZoneChecks):
    """State of one screening run over screenable enterprises (positions into the registry)."""

    def __init__(self, registry, catalog: Catalog, rules: RuleSet, progress: Progress | None):
        self.catalog, self.rules, self.n, self.registry = catalog, rules, len(registry), registry
        self.say = progress or (lambda _msg: None)
        self.metric = metric_layers(catalog)
        status = registry[R.ROW_STATUS].to_numpy(dtype=object)
        geoms = registry.geometry.to_numpy()
        pos = np.flatnonzero(
            np.isin(status, R.SCREENABLE_STATUSES) & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        )
        # Screened rows are kept in spatial order (cells of about 1 km, footprints last): every subset of them
        # comes ordered for the edge indexes, and the projected points are created, so laid out in memory,
        # in that order.
        lonlat = geoms[pos]
        lon, lat = shapely.get_x(lonlat), shapely.get_y(lonlat)
        order = spatial_order(lon, lat, cell=0.01)  # 0.01 degree: about 1 km
        self.pos, self.lonlat = pos[order], lonlat[order]
        self.say(f"projecting {len(self.pos):,} locations to {self.metric.crs.name}")
        self.geoms = project_geometries(self.lonlat, self.metric.crs, lonlat=(lon[order], lat[order]))
        self.is_point = shapely.get_type_id(self.geoms) == 0
        self.x = np.where(self.is_point, shapely.get_x(self.geoms), np.nan)
        self.y = np.where(self.is_point, shapely.get_y(self.geoms), np.nan)
        self.tree = built_tree(self.geoms)
        self.columns: dict[str, np.ndarray] = {}
        #: evidence frames and near-edge margins per check, combined in a fixed order (checks may run concurrently)
        self.evidence: dict[str, list[pd.DataFrame]] = {check: [] for check in _CHECK_ORDER}
        self.margins: dict[str, np.ndarray] = {}
        self.near_edge = np.full(self.n, "", dtype=object)
        #: issue tokens per check: (registry positions, token), added to the warnings in a fixed order
        self.tokens: dict[str, list[tuple[np.ndarray, str]]] = {check: [] for check in _CHECK_ORDER}

    def attribute(self, column: str) -> np.ndarray:
        """A yes/no registry attribute per screened row: True, False or None (missing, or no such column)."""
        if column not in self.registry:
            return np.full(len(self.pos), None, dtype=object)
        values = self.registry[column].astype("boolean").to_numpy(dtype=object, na_value=None)
        return values[self.pos]

    def add_warning(self, at: np.ndarray, token: str) -> None:
        """Append ``token`` to the warnings of the registry rows ``at``."""
        cur = self.near_edge[at]
        self.near_edge[at] = np.where(cur == "", token, cur + ";" + token)

    def full(self, values: np.ndarray, fill) -> np.ndarray:
        """Scatter per-screened-row values back to registry length."""
        values = np.asarray(values)
        out = np.full(self.n, fill, dtype=values.dtype if values.dtype.kind == "f" else object)
        out[self.pos] = values
        return out

    def flag_near_edge(self, standard: str, margin: np.ndarray) -> None:
        near = np.flatnonzero(np.abs(margin) < self.rules.near_edge_m)
        if not len(near):
            return
        label = np.char.add(f"near_edge:{standard}(", np.char.add(np.round(np.abs(margin[near]), 1).astype(str), " m)"))
        self.add_warning(self.pos[near], label)

    # ---------------------------------------------------------------- land use (3)
    def landuse(self) -> np.ndarray | None:
        """Per screened row: True = on prohibited land (hit), False = industrial or conditional land, None = unknown.

        A row over the share limit on land the plan's catalog calls ``conditional`` (e.g. E, non-construction
        land: most likely a geocoded point beside its real site) is no hit: it gets evidence with disposition
        none and a note to verify, and the issue ``landuse_conditional:<class>``.
        """
        layers = self.catalog.of_kind("land_use_plan")
        if not layers:
            return None
        result = np.full(len(self.geoms), None, dtype=object)
        classes = np.full(len(self.geoms), None, dtype=object)
        conditional = np.full(len(self.geoms), None, dtype=object)
        shares = np.full(len(self.geoms), np.nan)
        banned = np.full(len(self.geoms), np.nan)
        for layer in layers:
            self.say(f"standard 3: land-use plan {layer.id}")
            if layer.raster is not None:
                sampled = sample_landuse_raster(layer, self.geoms, self.metric.crs)
            else:
                sampled = sample_landuse_polygons(layer, self.geoms, self.metric.geoms[layer.id], self.tree)
            known = pd.notna(sampled.share) & pd.isna(shares)
            classes[known], shares[known] = sampled.classes[known], sampled.share[known]
            banned[known], conditional[known] = sampled.prohibited[known], sampled.conditional[known]
        known = ~np.isnan(shares)
        limit = self.rules.landuse_nonindustrial_share_max
        hit = known & (banned > limit)
        maybe = known & ~hit & (shares > limit) & pd.notna(conditional)
        result[known] = hit[known]
        near = np.flatnonzero(hit & self.is_point)  # a geocoded point just off industrial land: look on the ground
        if len(near) and self.rules.near_edge_m > 0:
            found = np.zeros(len(near), dtype=bool)
            for layer in layers:
                zones = None if layer.raster is not None else self.metric.geoms[layer.id]
                found |= industrial_within(layer, self.geoms[near], self.rules.near_edge_m, self.metric.crs, zones)
            if found.any():
                self.tokens["landuse"].append(
                    (self.pos[near[found]], f"near_edge:3(landuse<{self.rules.near_edge_m:g} m)")
                )
        self.columns[R.LANDUSE_CLASS] = self.full(classes, None)
        self.columns[R.NONINDUSTRIAL_SHARE] = self.full(shares, np.nan)
        idx = np.flatnonzero(hit)
        if len(idx):
            detail = np.char.add("规划用地 ", classes[idx].astype(str))
            detail = np.where(
                self.is_point[idx],
                np.char.add(detail, "（非工业用地）"),
                np.char.add(detail, np.char.add("；非工业用地占比 ", np.round(shares[idx] * 100, 1).astype(str))) + "%",
            )
            self.evidence["landuse"].append(self.landuse_evidence(layers[0].id, idx, classes[idx], detail, acts=1.0))
        idx = np.flatnonzero(maybe)
        if len(idx):
            self.evidence["landuse"].append(
                self.landuse_evidence(layers[0].id, idx, conditional[idx], LANDUSE_CONDITIONAL_NOTE, acts=0.0)
            )
            for code in pd.unique(conditional[idx]):
                self.tokens["landuse"].append((self.pos[idx[conditional[idx] == code]], f"landuse_conditional:{code}"))
        return result

    def landuse_evidence(self, layer_id: str, idx: np.ndarray, classes: np.ndarray, detail, *, acts: float):
        """Evidence rows of the land-use half of standard 3 for the screened rows ``idx`` (``acts`` 0: not a hit)."""
        return evidence_rows(
            _pos=self.pos[idx],
            standard="3",
            layer_id=layer_id,
            feature_name=classes,
            zone=classes,
            zone_label=classes,
            category="land_use_plan",
            margin_m=np.nan,
            detail=detail,
            **{EVIDENCE_KIND: "land_use_plan", EVIDENCE_ACTS: acts},
        )

    # ---------------------------------------------------------------- sanitary distance (5)
    def sanitary(self, required: np.ndarray) -> np.ndarray | None:
        """Per screened row: True/False, or None where the distance or the layer is missing."""
        layers = self.catalog.of_kind("sensitive_targets")
        self.columns[R.SANITARY_REQUIRED] = self.full(required, np.nan)
        if not layers:
            return None
        radius = self.rules.search_radius_m
        nearest = np.full(len(self.geoms), np.inf)
        nearest_name = np.full(len(self.geoms), None, dtype=object)
        hit = np.zeros(len(self.geoms), dtype=bool)
        has_req = np.isfinite(required)
        for layer in layers:
            targets = self.metric.geoms[layer.id]
            tree = self.metric.trees[layer.id]
            self.say(f"standard 5: {layer.id} ({len(targets):,} targets)")
            rows = np.flatnonzero(has_req)
            ent, tgt = tree.query(self.geoms[rows], predicate="dwithin", distance=required[rows])
            ent = rows[ent]
            dist = shapely.distance(self.geoms[ent], targets[tgt])
            inside = dist < required[ent]  # "closer than" the required distance
            ent, tgt, dist = ent[inside], tgt[inside], dist[inside]
            hit[ent] = True
            self.evidence["5"].append(
                evidence_rows(
                    _pos=self.pos[ent],
                    standard="5",
                    layer_id=layer.id,
                    feature_name=layer_attribute(layer, "name", tgt),
                    category=layer_attribute(layer, "category", tgt),
                    distance_m=dist,
                    required_m=required[ent],
                    margin_m=required[ent] - dist,
                    detail=None,
                    **{EVIDENCE_KIND: layer.kind},
                )
            )
            d, tgt_n = self.nearest_feature(layer, max(radius, np.nanmax(required, initial=0)))
            better = d < nearest
            nearest[better] = d[better]
            nearest_name[better] = np.asarray(layer_attribute(layer, "name", tgt_n[better]), dtype=object)
        nearest = np.where(np.isinf(nearest), np.nan, nearest)
        self.columns[R.NEAREST_SENSITIVE_M] = self.full(nearest, np.nan)
        self.columns[R.NEAREST_SENSITIVE_NAME] = self.full(nearest_name, None)
        self.margins["5"] = np.where(has_req, required - nearest, np.nan)
        return np.where(has_req, hit, None)

    def nearest_feature(self, layer: Layer, reach: float) -> tuple[np.ndarray, np.ndarray]:
        """Per screened row: distance to the layer's nearest feature within ``reach`` (inf beyond) and its position."""
        features = self.metric.geoms[layer.id]
        dist = np.full(len(self.geoms), np.inf)
        found = np.full(len(self.geoms), -1, dtype=np.int64)
        pts = np.flatnonzero(self.is_point)
        dist[pts], found[pts] = self.metric.edges(layer.id).nearest(
            self.x[pts], self.y[pts], max_distance=reach, ordered=True
        )
        others = np.flatnonzero(~self.is_point)
        if len(others):
            ent, feat = self.metric.trees[layer.id].query_nearest(
                self.geoms[others], max_distance=reach, all_matches=False
            )
            dist[others[ent]], found[others[ent]] = shapely.distance(self.geoms[others[ent]], features[feat]), feat
        polygonal = np.flatnonzero(np.isin(shapely.get_type_id(features), (3, 6)))
        if len(polygonal):  # inside a polygon feature: distance 0 (the edge index only knows edges)
            feat, ent = self.tree.query(features[polygonal], predicate="intersects")
            order = np.lexsort((feat, ent))[::-1]  # the lowest feature position wins, as assignment keeps the last
            dist[ent[order]], found[ent[order]] = 0.0, polygonal[feat[order]]
        return dist, found

    # ---------------------------------------------------------------- county
    def counties(self) -> tuple[np.ndarray, np.ndarray]:
        """County name and code of each screened location from the admin layer (None outside)."""
        names = np.full(len(self.geoms), None, dtype=object)
        codes = np.full(len(self.geoms), None, dtype=object)
        layers = self.catalog.of_kind("admin_boundary")
        if layers:
            layer = layers[0]
            zone_idx, ent_idx = self.tree.query(self.metric.geoms[layer.id], predicate="intersects")
            order = np.argsort(ent_idx, kind="stable")
            ent_idx, zone_idx = ent_idx[order], zone_idx[order]
            first = np.unique(ent_idx, return_index=True)[1]
            names[ent_idx[first]] = np.asarray(layer_attribute(layer, "name", zone_idx[first]), dtype=object)
            codes[ent_idx[first]] = np.asarray(layer_attribute(layer, "code", zone_idx[first]), dtype=object)
        return names, codes


def _status(screened: np.ndarray | None, rows: _Screening) -> pd.Categorical:
    """hit/clear per registry row from a per-screened-row True/False/None array (None -> not_assessed)."""
    hit, known = np.zeros(rows.n, dtype=bool), np.zeros(rows.n, dtype=bool)
    if screened is not None:
        values = np.asarray(screened, dtype=object)
        hit[rows.pos] = values == True  # noqa: E712
        known[rows.pos] = (values == True) | (values == False)  # noqa: E712
    return R.standard_status(hit, known)


def required_distances(registry: pd.DataFrame, catalog: Catalog, *, max_m: float | None = None) -> np.ndarray:
    """Sanitary protection distance per row: the enterprise's EIA value (when positive and at most ``max_m``),
    else the industry table, else NaN."""
    own = registry_distances(registry)
    own = np.where((own > 0) & (own <= (max_m or np.inf)), own, np.nan)
    table = catalog.sanitary_distances
    if R.INDUSTRY in registry and len(table):
        lookup = dict(zip(table["industry"].astype(str).str.strip(), table["distance_m"].astype(float)))
        from_table = (
            registry[R.INDUSTRY].astype("string").str.strip().map(lookup).to_numpy(dtype=float, na_value=np.nan)
        )
        own = np.where(np.isnan(own), from_table, own)
    return own


def registry_distances(registry: pd.DataFrame) -> np.ndarray:
    """The registry's own sanitary distances as numbers (NaN where missing)."""
    if R.SANITARY_DISTANCE not in registry:
        return np.full(len(registry), np.nan)
    return pd.to_numeric(registry[R.SANITARY_DISTANCE], errors="coerce").to_numpy(dtype=float)


def _zone_result(zone) -> np.ndarray | None:
    """True/False/None per screened row from a zone standard's (hit, margin, undetermined)."""
    if zone is None:
        return None
    hit, _, undetermined = zone
    return np.where(hit, True, np.where(undetermined, None, False))


def _standard_3(red, landuse, n: int) -> np.ndarray | None:
    """Combine the red-line and land-use halves of standard 3 per screened row (True/False/None).

    A hit in either half is a hit. Otherwise the row is clear when every half the pack has is clear
    there, and not assessed when a half the pack has cannot tell (e.g. the raster has no data at the
    location). A pack with neither half cannot assess standard 3 at all; which halves a run used is
    recorded in the manifest.
    """
    if red is None and landuse is None:
        return None
    hit = np.zeros(n, dtype=bool) if red is None else red[0].copy()
    unknown = np.zeros(n, dtype=bool) if red is None else red[2].copy()
    if landuse is not None:
        hit |= landuse == True  # noqa: E712
        unknown |= pd.isna(landuse)
    return np.where(hit, True, np.where(unknown, None, False))


def _threads(rows: int) -> int:
    """Worker threads for the spatial checks (one below 20,000 rows: no overhead for small runs)."""
    return workers(rows, min_rows=20_000)


def _run_checks(run: _Screening, tasks, threads: int) -> list:
    """Run the checks and return their results in order.

    The checks are independent and spend their time in GEOS, numpy and scipy, which release the GIL,
    so on large registries they run side by side in threads (the caller combines their results in a
    fixed order). Then they report as one step, from the calling thread: a progress callback may
    belong to a UI that only accepts calls from its own thread (Streamlit's script thread), and
    per-check messages would say nothing about time when the checks overlap.
    """
    if threads <= 1:
        return [task[0](*task[1:]) for task in tasks]
    run.say(f"standards 3, 4, 5 and 9: {len(tasks)} checks side by side in {threads} threads")
    say, run.say = run.say, (lambda _message: None)
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [pool.submit(*task) for task in tasks]
            return [f.result() for f in futures]
    finally:
        run.say = say


def screen_locations(registry, catalog: Catalog, *, rules: RuleSet, progress: Progress | None = None):
    """Decide standards 3, 4, 5 and 9 for every registry row.

    Returns
    -------
    columns : pandas.DataFrame
        Indexed like ``registry``: ``std_03``, ``std_04``, ``std_05``, ``std_09``, margins,
        sanitary distances, nearest target, land-use class, ``county``/``county_code``
        from the admin layer, and ``near_edge`` warnings.
    evidence : pandas.DataFrame
        One row per piece of spatial evidence; ``_pos`` is the registry row position.
    """
    run = _Screening(registry, catalog, rules, progress)
    max_m = rules.sanitary_distance_max_m
    required = required_distances(registry, catalog, max_m=max_m)[run.pos]
    if max_m is not None:  # a registry distance not used says why
        own = registry_distances(registry)
        for at in np.flatnonzero(np.isfinite(own) & ((own <= 0) | (own > max_m))):
            run.add_warning(np.array([at]), f"{R.SANITARY_DISTANCE}_out_of_range:{own[at]:g}")
    tasks = (
        (run.zone_standard, "3"),
        (run.landuse,),
        (run.zone_standard, "4"),
        (run.zone_standard, "9"),
        (run.sanitary, required),
        (run.counties,),
    )
    with run.metric.in_use:  # the pack's prepared zones, shared with any other screening of it
        red, landuse, water, belt, sanitary, (names, codes) = _run_checks(run, tasks, _threads(len(run.pos)))
    std3 = _standard_3(red, landuse, len(run.pos))
    for check in ("3", "4", "9", "5"):
        if check in run.margins:
            run.flag_near_edge(check, run.margins[check])
    for check in _CHECK_ORDER:
        for at, token in run.tokens[check]:
            run.add_warning(at, token)

    out = pd.DataFrame(index=registry.index)
    out[R.std_column("3")] = _status(std3, run)
    out[R.std_column("4")] = _status(_zone_result(water), run)
    out[R.std_column("5")] = _status(sanitary, run)
    out[R.std_column("9")] = _status(_zone_result(belt), run)
    for name in _COLUMN_ORDER:  # (the checks filled run.columns in whatever order they finished)
        if name in run.columns:
            values = run.columns[name]
            # text as codes: a million Python strings would each be converted to Arrow text by pandas
            out[name] = coded.coded(values) if values.dtype == object else values
    for col in (*R.MARGIN_COLUMNS, R.SANITARY_REQUIRED, R.NEAREST_SENSITIVE_M, R.NONINDUSTRIAL_SHARE):
        if col not in out:
            out[col] = np.nan
    for col in (R.NEAREST_SENSITIVE_NAME, R.LANDUSE_CLASS):
        if col not in out:
            out[col] = None
    out["_location_county"] = coded.coded(run.full(names, None))
    out["_location_county_code"] = coded.coded(run.full(codes, None))
    out["_near_edge"] = coded.coded(run.near_edge)
    frames = [frame for check in _CHECK_ORDER for frame in run.evidence[check]]
    evidence = coded.concat(frames) if frames else evidence_rows(np.array([], dtype=np.int64))
    return out, evidence
