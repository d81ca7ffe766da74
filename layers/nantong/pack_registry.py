"""The demo registry: ~5,000 synthetic enterprises as a county office would export them (GBK, GCJ-02).

示意数据，非官方. True locations are drawn in metres on land (six in seven
around the industrial parks of :mod:`pack_land`), then shifted to GCJ-02 with
:func:`geo_screen.inputs.crs.wgs84_to_gcj02`, as AMap geocoding would give them. A few
dozen rows are placed on purpose inside every protection zone and 30 m either
side of zone edges, and a handful are broken on purpose (:data:`BAD_ROWS`).
:func:`demo_registry` also returns the table of those rows with what each is
for (``demo_registry_expected.csv``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pack_geography import COUNTIES, Geography
from pack_land import PARKS, PROFILES, TOWNS, park_centres, sample_in, scatter_around
from shapely.geometry.base import BaseGeometry

from geo_screen.inputs.crs import wgs84_to_gcj02
from geo_screen.inputs.identifiers import USCC_ALPHABET, uscc_check_char

N_ROWS = 5000
PARK_SHARE = 0.85
#: spread of park enterprises around the park centre, as a share of the park radius
PARK_SPREAD = 0.4
#: distance (m) either side of a zone edge for the edge pairs
EDGE_M = 30.0
#: placements stay this far from the river (the pack's bank line) and from the city edge
USABLE_INSET_M = 100.0

COLUMNS = (
    "统一社会信用代码",
    "企业名称",
    "行业",
    "地址",
    "经度",
    "纬度",
    "县（市、区）",
    "卫生防护距离",
    "绩效等级",
    "淘汰类装备",
    "手续齐全",
    "稳定达标排放",
    "能耗超限额",
    "重大安全隐患",
    "长期停车",
    "散乱污",
    "严重环境违法",
)
#: yes/no columns -> (share 是, share 否); the rest is empty (= not assessed)
ATTRIBUTES = {
    "淘汰类装备": (0.03, 0.955),
    "手续齐全": (0.93, 0.055),
    "稳定达标排放": (0.92, 0.065),
    "能耗超限额": (0.04, 0.945),
    "重大安全隐患": (0.02, 0.965),
    "长期停车": (0.03, 0.96),
    "散乱污": (0.04, 0.945),
    "严重环境违法": (0.015, 0.975),
}
GRADES = {"A": 0.19, "B": 0.39, "C": 0.35, "D": 0.05, "": 0.02}
#: industries without an industry standard: most enterprises' EIA approvals give a sanitary distance
#: (the rest stay "not assessed" for standard 5, as they would in a real registry)
EIA_INDUSTRIES, EIA_SHARE = ("印染", "钢丝绳", "化工", "纺织", "机械", "电子", "金属制品", "食品"), 0.85
EIA_VALUES_M = (50, 100, 100, 150, 200, 200, 300, 400)
#: division codes at registration still found in USCCs, per current county (older codes, share OLD_SHARE)
OLD_DIVISIONS = {"320613": ("320602", "320611"), "320614": ("320684",), "320685": ("320621",), "320612": ("320683",)}
OLD_SHARE = 0.3

#: deliberately bad rows: 1-based data row (the registry's input_row) -> what is wrong
BAD_ROWS = {
    18: "missing coordinates: 经度 and 纬度 empty",
    19: "missing coordinates: 纬度 empty",
    240: "non-numeric coordinates: 经度 has the letter O in place of a digit",
    241: "non-numeric coordinates: written as 东经…°…′ / 北纬…°…′ (degrees and minutes)",
    777: "latitude and longitude swapped",
    1001: "point in Suzhou (Zhangjiagang) across the river: out of coverage",
    1500: "duplicate USCC: same code as row 3500 (a different enterprise)",
    3500: "duplicate USCC: same code as row 1500",
    2020: "wrong USCC check character",
    2021: "wrong USCC check character",
    4321: "county column says 海安市 but the point lies in 如皋市",
}
SUZHOU_POINT = (120.55, 31.88)  # Zhangjiagang, WGS84

#: sanitary-distance placements: industry, EIA distance (m) or None, distance to the nearest target (m), expected
SANITARY_CASES = (
    ("水泥", None, 300.0, "inside"),
    ("水泥", None, 700.0, "outside"),
    ("石灰", None, 170.0, "inside"),
    ("石灰", None, 230.0, "outside"),
    ("氯碱", None, 450.0, "inside"),
    ("汽车制造", None, 370.0, "inside"),
    ("汽车制造", None, 430.0, "outside"),
    ("炼铁", None, 1000.0, "inside"),
    ("印染", 100, 80.0, "inside"),
    ("印染", 100, 130.0, "outside"),
    ("钢丝绳", 200, 150.0, "inside"),
    ("化工", 300, 250.0, "inside"),
    ("化工", 300, 360.0, "outside"),
    ("印染", None, 60.0, "not_assessed"),
    ("钢丝绳", None, 60.0, "not_assessed"),
)
#: zone layers whose features get placements, and the industries drawn for them (water: dischargers)
ZONE_INDUSTRIES = {
    "eco_redline": ("印染", "钢丝绳", "化工"),
    "marine_redline": ("化工", "印染"),
    "water_source": ("印染", "化工", "钢丝绳"),
    "riverside": ("化工", "印染", "钢丝绳"),
}
#: water intakes whose rings also get edge pairs (every ring gets an inside point)
WATER_EDGE_INTAKES = ("长江洪港", "海门长江")

_NAME_PREFIX = {
    "320612": ("南通", "南通市通州区"),
    "320613": ("南通", "南通市"),
    "320614": ("海门", "南通市海门区"),
    "320623": ("如东", "如东县"),
    "320681": ("启东", "启东市"),
    "320682": ("如皋", "如皋市"),
    "320685": ("海安", "海安县"),
}
_BRAND_CHARS = list(
    "恒华新达盛鑫泰隆宏远金通海江天永兴昌源丰瑞祥宝利德信诚明光辉荣佳润广益嘉安康正中东舜科创凯威力鸿腾富"
)
_INDUSTRY_WORDS = {
    "印染": ("印染", "染整", "纺织印染"),
    "钢丝绳": ("钢丝绳", "钢绳", "金属制品"),
    "化工": ("化工", "精细化工", "化学"),
    "水泥": ("水泥", "建材"),
    "石灰": ("石灰", "钙业"),
    "氯碱": ("氯碱化工",),
    "汽车制造": ("汽车", "汽车制造"),
    "炼铁": ("钢铁", "冶金"),
    "纺织": ("纺织", "家纺", "织造"),
    "机械": ("机械", "重工", "机电"),
    "电子": ("电子", "电子科技", "光电"),
    "金属制品": ("金属制品", "五金"),
    "船舶": ("船舶重工", "船舶工程", "海洋工程"),
    "食品": ("食品",),
}
_SUFFIXES = {"有限公司": 0.82, "股份有限公司": 0.05, "厂": 0.13}
_ROADS = (
    "人民路",
    "建设路",
    "工业路",
    "开发大道",
    "长江路",
    "通江路",
    "黄海路",
    "青年路",
    "园区路",
    "纬一路",
    "经二路",
    "创业路",
    "振兴路",
    "富民路",
    "沿江公路",
    "海港路",
)


def _draw(rng: np.random.Generator, table: dict, n: int) -> np.ndarray:
    keys = list(table)
    p = np.array([table[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


# --------------------------------------------------------------------------- placements


def _edge_pair(poly: BaseGeometry, usable: BaseGeometry, rng: np.random.Generator) -> tuple | None:
    """Points EDGE_M inside and outside ``poly``'s boundary, both on ``usable`` land (None if impossible)."""
    candidates = poly.boundary.intersection(usable)
    if candidates.is_empty or candidates.length < 4 * EDGE_M:
        return None
    for _ in range(200):
        b = candidates.interpolate(rng.uniform(0.0, candidates.length))
        at = poly.boundary.project(b)
        p, q = poly.boundary.interpolate(at - 5.0), poly.boundary.interpolate(at + 5.0)
        tx, ty = q.x - p.x, q.y - p.y
        norm = np.hypot(tx, ty)
        if norm == 0.0:
            continue
        side = [shapely.Point(b.x - s * ty / norm * EDGE_M, b.y + s * tx / norm * EDGE_M) for s in (1.0, -1.0)]
        inside = [poly.contains(s) for s in side]
        if inside[0] == inside[1] or min(poly.boundary.distance(s) for s in side) < EDGE_M - 1.0:
            continue
        if all(usable.contains(s) for s in side):
            return (side[0], side[1]) if inside[0] else (side[1], side[0])
    return None


def _zone_placements(
    layer_id: str,
    zones: gpd.GeoDataFrame,
    usable: BaseGeometry,
    rng: np.random.Generator,
    *,
    name_col: str,
    zone_col: str | None,
    edge_rows: np.ndarray,
) -> list[dict]:
    """One point inside every zone (where it has land), and an edge pair for the ``edge_rows`` zones."""
    out = []
    industries = ZONE_INDUSTRIES[layer_id]

    def record(point: BaseGeometry, row, expected: str, note: str) -> dict:
        return {
            "point": point,
            "industry": industries[len(out) % len(industries)],
            "eia": None,
            "kind": "zone",
            "layer": layer_id,
            "feature": row[name_col],
            "zone": row[zone_col] if zone_col else "",
            "expected": expected,
            "distance_m": round(float(row.geometry.boundary.distance(point)), 1),
            "note": note,
        }

    for i, row in zones.iterrows():
        area = row.geometry.intersection(usable)
        if area.area < 1e4:
            continue
        out.append(record(sample_in(area, 1, rng)[0], row, "inside", "random point inside"))
        pair = _edge_pair(row.geometry, usable, rng) if edge_rows[i] else None
        if pair:
            out.append(record(pair[0], row, "inside", f"{EDGE_M:.0f} m inside the zone edge"))
            out.append(record(pair[1], row, "outside", f"{EDGE_M:.0f} m outside the zone edge"))
    for rec in out:  # what else the layer has at each point (outside one ring is inside the next)
        here = zones[zones.contains(rec["point"])]
        rec["note"] += "; in: " + (
            ", ".join(f"{r[name_col]}/{r[zone_col]}" if zone_col else str(r[name_col]) for _, r in here.iterrows())
            or "none of this layer"
        )
    return out


def _sanitary_placements(sensitive: gpd.GeoDataFrame, usable: BaseGeometry, rng: np.random.Generator) -> list[dict]:
    """Industrial points at a chosen distance from their nearest sensitive target."""
    targets = sensitive.geometry.to_numpy()
    out = []
    for industry, eia, distance, expected in SANITARY_CASES:
        for _ in range(1000):
            k = int(rng.integers(len(targets)))
            centre, angle = targets[k].centroid, rng.uniform(0.0, 2.0 * np.pi)
            ux, uy = np.cos(angle), np.sin(angle)
            lo, hi = 0.0, distance + 1000.0
            for _ in range(50):  # distance to the target grows along the ray: bisect for `distance`
                mid = (lo + hi) / 2.0
                if targets[k].distance(shapely.Point(centre.x + ux * mid, centre.y + uy * mid)) < distance:
                    lo = mid
                else:
                    hi = mid
            point = shapely.Point(centre.x + ux * hi, centre.y + uy * hi)
            nearest = shapely.distance(targets, point)
            if usable.contains(point) and nearest.min() > distance - 1.0:
                break
        else:
            raise RuntimeError(f"no place found {distance} m from a sensitive target for {industry}")
        basis = (
            f"EIA {eia} m" if eia else ("no standard, no EIA value" if expected == "not_assessed" else "industry table")
        )
        target = sensitive.iloc[int(np.argmin(nearest))]
        out.append(
            {
                "point": point,
                "industry": industry,
                "eia": eia,
                "kind": "sanitary",
                "layer": "sensitive",
                "feature": target["名称"],
                "zone": target["类别"],
                "expected": expected,
                "distance_m": round(float(nearest.min()), 1),
                "note": f"{industry}: {basis}",
            }
        )
    return out


def placements(
    geo: Geography, layers: dict[str, gpd.GeoDataFrame], sensitive: gpd.GeoDataFrame, rng: np.random.Generator
) -> list[dict]:
    """Every deliberate spatial placement (metric points with their purpose)."""
    usable = geo.land_m.buffer(-USABLE_INSET_M)
    shapely.prepare(usable)
    eco, marine, water, belt = (layers[k] for k in ("eco_redline", "marine_redline", "water_source", "riverside"))
    return [
        *_zone_placements(
            "eco_redline", eco, usable, rng, name_col="名称", zone_col="管控级别", edge_rows=np.ones(len(eco), bool)
        ),
        *_zone_placements(
            "marine_redline",
            marine,
            usable,
            rng,
            name_col="名称",
            zone_col="管控级别",
            edge_rows=np.ones(len(marine), bool),
        ),
        *_zone_placements(
            "water_source",
            water,
            usable,
            rng,
            name_col="水源地",
            zone_col="级别",
            edge_rows=water["水源地"].isin(WATER_EDGE_INTAKES).to_numpy(),
        ),
        *_zone_placements(
            "riverside", belt, usable, rng, name_col="名称", zone_col=None, edge_rows=np.ones(len(belt), bool)
        ),
        *_sanitary_placements(sensitive, usable, rng),
    ]


# --------------------------------------------------------------------------- identifiers and text


def _organisation_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique 9-character organisation codes (GB 11714 check digit); about a third of the newer 'MA' form."""
    alphabet = np.array(list(USCC_ALPHABET))
    codes = np.empty(n, dtype=object)
    todo = np.arange(n)
    while len(todo):
        new = rng.random(len(todo)) < 0.35
        body = rng.choice(alphabet[:10], size=(len(todo), 8))
        body[new, :2] = ("M", "A")
        body[new, 2:] = rng.choice(alphabet, size=(new.sum(), 6))
        values = np.vectorize(lambda c: int(c, 36))(body)
        check = 11 - (values @ np.array([3, 7, 9, 10, 5, 8, 4, 2])) % 11
        check_char = np.where(check == 10, "X", np.where(check == 11, "0", check.astype(str)))
        codes[todo] = ["".join(b) + c for b, c in zip(body, check_char)]
        todo = np.flatnonzero(pd.Series(codes).duplicated().to_numpy())
    return codes


def _uscc(county: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    division = county.copy()
    for code, old in OLD_DIVISIONS.items():
        rows = np.flatnonzero((county == code) & (rng.random(len(county)) < OLD_SHARE))
        division[rows] = rng.choice(old, size=len(rows))
    stems = ["91" + d + o for d, o in zip(division, _organisation_codes(rng, len(county)))]
    return np.array([s + uscc_check_char(s) for s in stems], dtype=object)


def _names(county: np.ndarray, industry: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(county)
    names = np.empty(n, dtype=object)
    todo = np.arange(n)
    while len(todo):
        for i in todo:
            prefix = _NAME_PREFIX[county[i]][int(rng.integers(2))]
            words = _INDUSTRY_WORDS[industry[i]]
            brand = "".join(rng.choice(_BRAND_CHARS, size=2, replace=False))
            names[i] = prefix + brand + words[int(rng.integers(len(words)))] + _draw(rng, _SUFFIXES, 1)[0]
        todo = np.flatnonzero(pd.Series(names).duplicated().to_numpy())
    return names


def _addresses(county: np.ndarray, rng: np.random.Generator) -> list[str]:
    out = []
    for code, province, road, number in zip(
        county, rng.random(len(county)) < 0.4, rng.choice(_ROADS, size=len(county)), rng.integers(1, 999, len(county))
    ):
        name = COUNTIES[code]
        head = ("南通市" + name) if name.endswith("区") else name
        town = TOWNS[code][int(rng.integers(len(TOWNS[code])))]
        out.append(("江苏省" if province else "") + head + town + road + f"{number}号")
    return out


# --------------------------------------------------------------------------- the registry


def _locations(geo: Geography, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """True locations (metres) and each row's industry."""
    centres = np.array(park_centres(geo))
    weights = np.array([p.weight for p in PARKS])
    in_park = rng.random(N_ROWS) < PARK_SHARE
    park = rng.choice(len(PARKS), size=N_ROWS, p=weights / weights.sum())
    points = np.empty(N_ROWS, dtype=object)
    sigma = np.array([p.radius_m for p in PARKS])[park[in_park]] * PARK_SPREAD
    points[in_park] = scatter_around(centres[park[in_park]], sigma, geo.land_m, rng)
    points[~in_park] = sample_in(geo.land_m, int((~in_park).sum()), rng)
    profile = np.where(in_park, np.array([p.profile for p in PARKS], dtype=object)[park], "scattered")
    industry = np.empty(N_ROWS, dtype=object)
    for name, mix in PROFILES.items():
        rows = profile == name
        industry[rows] = _draw(rng, mix, int(rows.sum()))
    return points, industry


def demo_registry(
    geo: Geography, layers: dict[str, gpd.GeoDataFrame], sensitive: gpd.GeoDataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The registry (all text, as written) and the table of its deliberate rows."""
    points, industry = _locations(geo, rng)
    eia = np.where(
        np.isin(industry, EIA_INDUSTRIES) & (rng.random(N_ROWS) < EIA_SHARE),
        rng.choice(EIA_VALUES_M, size=N_ROWS).astype(str),
        "",
    )

    placed = placements(geo, layers, sensitive, rng)
    free = np.setdiff1d(np.arange(N_ROWS), np.array(list(BAD_ROWS)) - 1)
    rows = np.sort(rng.choice(free, size=len(placed), replace=False))
    for row, rec in zip(rows, placed):
        points[row], industry[row] = rec["point"], rec["industry"]
        eia[row] = "" if rec["eia"] is None else str(rec["eia"])
    rugao = geo.counties_m.loc["320682"].intersection(geo.land_m)
    points[4321 - 1] = sample_in(rugao, 1, rng)[0]

    county = geo.county_of(points)
    if (county == "").any():
        raise RuntimeError(f"{(county == '').sum()} generated points lie in no county")
    lonlat = geo.to_lonlat(points)
    lon, lat = wgs84_to_gcj02(shapely.get_x(lonlat), shapely.get_y(lonlat))
    frame = pd.DataFrame(
        {
            "统一社会信用代码": _uscc(county, rng),
            "企业名称": _names(county, industry, rng),
            "行业": industry,
            "地址": _addresses(county, rng),
            "经度": [f"{v:.6f}" for v in lon],
            "纬度": [f"{v:.6f}" for v in lat],
            "县（市、区）": [COUNTIES[c] for c in county],
            "卫生防护距离": eia,
            "绩效等级": _draw(rng, GRADES, N_ROWS),
        }
    )
    for column, (yes, no) in ATTRIBUTES.items():
        frame[column] = _draw(rng, {"是": yes, "否": no, "": 1.0 - yes - no}, N_ROWS)
    frame = frame.astype(object)
    _break_rows(frame, rng)

    expected = pd.DataFrame([{k: v for k, v in rec.items() if k not in ("point", "eia", "industry")} for rec in placed])
    expected.insert(0, "row", rows + 1)
    bad = pd.DataFrame({"row": list(BAD_ROWS), "kind": "bad_row", "note": list(BAD_ROWS.values())})
    expected = pd.concat([expected, bad], ignore_index=True).sort_values("row", kind="stable")
    expected.insert(1, "line", expected["row"] + 1)
    expected.insert(2, "统一社会信用代码", frame["统一社会信用代码"].to_numpy()[expected["row"] - 1])
    expected.insert(3, "行业", frame["行业"].to_numpy()[expected["row"] - 1])
    return frame[list(COLUMNS)], expected.fillna("").reset_index(drop=True)


def _break_rows(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Apply :data:`BAD_ROWS` in place (rows are 1-based)."""
    at = {row: row - 1 for row in BAD_ROWS}
    frame.loc[at[18], ["经度", "纬度"]] = ""
    frame.loc[at[19], "纬度"] = ""
    text = frame.loc[at[240], "经度"]
    frame.loc[at[240], "经度"] = text[:5] + "O" + text[6:]
    lon, lat = float(frame.loc[at[241], "经度"]), float(frame.loc[at[241], "纬度"])
    frame.loc[at[241], ["经度", "纬度"]] = [
        f"东经{int(lon)}°{int(lon % 1 * 60):02d}′",
        f"北纬{int(lat)}°{int(lat % 1 * 60):02d}′",
    ]
    frame.loc[at[777], ["经度", "纬度"]] = frame.loc[at[777], ["纬度", "经度"]].to_numpy()
    lon, lat = wgs84_to_gcj02([SUZHOU_POINT[0]], [SUZHOU_POINT[1]])
    frame.loc[at[1001], ["经度", "纬度"]] = [f"{lon[0]:.6f}", f"{lat[0]:.6f}"]
    frame.loc[at[3500], "统一社会信用代码"] = frame.loc[at[1500], "统一社会信用代码"]
    for row in (2020, 2021):
        code = frame.loc[at[row], "统一社会信用代码"]
        wrong = USCC_ALPHABET[(USCC_ALPHABET.index(code[-1]) + 1 + int(rng.integers(30))) % 31]
        frame.loc[at[row], "统一社会信用代码"] = code[:-1] + wrong
    frame.loc[at[4321], "县（市、区）"] = "海安市"
