"""Build a realistic ScreenResult in code, so export/map tests need no screening run.

``make_result()`` follows the contract in ``geo_screen.results``: the registry's own
(Chinese) columns, the canonical ones, one ``std_*`` column per standard,
dispositions, and evidence rows in ``hits``. The first rows are fixed awkward cases
(see ``SPECIAL``); the rest are random but reproducible from ``seed``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_screen import results as R
from geo_screen.inputs.identifiers import USCC_ALPHABET, uscc_check_char
from geo_screen.vocabulary import DISPOSITION_ZH

COUNTIES = (
    ("320612", "通州区"),
    ("320613", "崇川区"),
    ("320614", "海门区"),
    ("320623", "如东县"),
    ("320611", "港闸/旧区"),
)
INDUSTRIES = ("印染", "钢丝绳", "化工", "水泥", "纺织")
#: a character GBK lacks (a real name character: the 𠮷 of 𠮷野家); "南通".encode("gbk") works, this does not
NON_GBK = "𠮷"
LONG_NAME = "南通" + "长江沿岸综合利用印染纺织钢丝绳化工" * 8 + "有限公司"  # 138 characters: 414 UTF-8 / 276 GBK bytes
FORMULA_NAME = '=HYPERLINK("http://example.invalid","南通某化工")'

#: row index -> what is special about it (all flagged)
SPECIAL = {
    0: "name longer than 254 bytes in UTF-8 and GBK",
    1: f"name with {NON_GBK}, outside GBK",
    2: "name starting with '='",
    3: "county '港闸/旧区' with a slash",
    4: "county missing (NaN)",
    5: "site footprint polygon",
    6: "invalid location (no geometry), flagged by an attribute standard",
    7: "hits standards 3 and 9",
}

# standard -> (disposition, legal basis, layer, feature, (zone code, zone label), category)
_RULES = {
    "1": ("eliminate", "《国务院关于发布实施〈促进产业结构调整暂行规定〉的决定》", None, None, None, None),
    "2": ("stop", "《企业投资项目核准和备案管理办法》", None, None, None, None),
    "3": (
        "per_law",
        "《江苏省生态红线区域保护监督管理考核暂行办法》",
        "eco_redline",
        "狼山省级森林公园",
        ("first", "一级管控区"),
        "森林公园",
    ),
    "4": (
        "demolish",
        "《中华人民共和国水污染防治法》第六十五条",
        "water_source",
        "长江洪港饮用水水源保护区",
        ("first", "一级保护区"),
        "饮用水水源保护区",
    ),
    "5": ("per_law", "《中华人民共和国环境影响评价法》", "sensitive", "濠河花园小区", None, "居住区"),
    "6": ("stop", "《中华人民共和国环境保护法》《中华人民共和国节约能源法》", None, None, None, None),
    "7": ("stop", "《中华人民共和国安全生产法》《中华人民共和国消防法》", None, None, None, None),
    "8": ("per_law", "《中华人民共和国安全生产法》《中华人民共和国环境保护法》", None, None, None, None),
    "9": ("relocate", "《南通沿江生态带发展规划》", "riverside_belt", "南通沿江生态带重点规划区域", None, None),
    "10": ("transform", "综合绩效评价D档（通政办发〔2017〕179号附件2第十项）", None, None, None, None),
    "scattered": ("close", "“散乱污”企业整治要求（通政办发〔2017〕179号附件2）", None, None, None, None),
    "violation": ("stop", "《中华人民共和国环境保护法》", None, None, None, None),
}
_SEVERITY = {code: i for i, code in enumerate(R.DISPOSITION_CODES)}


def uscc(division: str, body: str) -> str:
    """A valid 18-character USCC: '91' + 6-digit division + 9-character body + check character."""
    code = "91" + division + body
    return code + uscc_check_char(code)


def make_result(n: int = 40, *, seed: int = 0) -> R.ScreenResult:
    """A ScreenResult with ``n`` (>= 10) enterprises; rows 0-7 are the :data:`SPECIAL` cases."""
    if n < len(SPECIAL) + 2:
        raise ValueError(f"n must be at least {len(SPECIAL) + 2}")
    rng = np.random.default_rng(seed)
    county_i = rng.integers(0, len(COUNTIES), n)
    county_i[3] = 4
    codes = [COUNTIES[i][0] for i in county_i]
    counties = [COUNTIES[i][1] for i in county_i]
    counties[4] = None
    names = [f"南通{COUNTIES[i][1][:2]}{INDUSTRIES[i % 5]}第{k}有限公司" for k, i in enumerate(county_i)]
    names[0], names[1], names[2] = LONG_NAME, f"南通{NON_GBK}野纺织有限公司", FORMULA_NAME
    ids = [uscc(c, "".join(rng.choice(list(USCC_ALPHABET[:10]), 9))) for c in codes]
    lon = 120.60 + rng.random(n) * 0.45
    lat = 31.90 + rng.random(n) * 0.30
    geoms = [shapely.Point(x, y) for x, y in zip(lon, lat)]
    footprint = rng.random(n) < 0.2
    footprint[5], footprint[6] = True, False
    for i in np.flatnonzero(footprint):
        geoms[i] = shapely.box(lon[i] - 4e-4, lat[i] - 3e-4, lon[i] + 4e-4, lat[i] + 3e-4)
    status = np.array([R.STATUS_OK] * n, dtype=object)
    status[6], status[9] = R.STATUS_INVALID, R.STATUS_SWAPPED
    geoms[6] = None
    lon[6] = lat[6] = np.nan

    # standards: spatial ones only where there is a location
    results = {}
    for s in R.STANDARDS:
        draw = rng.random(n)
        col = np.where(draw < 0.12, R.HIT, np.where(draw < 0.85, R.CLEAR, R.NOT_ASSESSED)).astype(object)
        if s in R.SPATIAL_STANDARDS:
            col[6] = R.NOT_ASSESSED
        results[s] = col
    flag = rng.random(n) < 0.5
    flag[: len(SPECIAL)] = True
    for i in range(n):  # every flagged row hits at least one standard, unflagged rows none
        hit = [s for s in R.STANDARDS if results[s][i] == R.HIT]
        if flag[i] and not hit:
            results["scattered" if i == 6 else "3"][i] = R.HIT
        if not flag[i]:
            for s in hit:
                results[s][i] = R.CLEAR
    results["3"][7] = results["9"][7] = R.HIT
    hit_lists = [[s for s in R.STANDARDS if results[s][i] == R.HIT] for i in range(n)]
    na_lists = [[s for s in R.STANDARDS if results[s][i] == R.NOT_ASSESSED] for i in range(n)]
    disposition = [min((_RULES[s][0] for s in h), key=_SEVERITY.get) if h else R.NO_DISPOSITION for h in hit_lists]
    basis = [next((_RULES[s][1] for s in h if _RULES[s][0] == d), "") for h, d in zip(hit_lists, disposition)]

    yes_no = np.array(["是", "否", None], dtype=object)
    ent = {
        "企业名称": names,
        "统一社会信用代码": ids,
        "联系人": [f"联系人{k}" for k in range(n)],
        "年产值（万元）": np.round(rng.random(n) * 5000, 1),
        "备注": np.where(rng.random(n) < 0.3, "+86 513 8888 0000", None).astype(object),
        R.ENTERPRISE_ID: ids,
        R.NAME: names,
        R.INDUSTRY: [INDUSTRIES[k % 5] for k in range(n)],
        "address": [f"南通市{c or ''}长江路{k}号" for k, c in enumerate(counties)],
        R.COUNTY: counties,
        R.COUNTY_CODE: codes,
        "lon": lon,
        "lat": lat,
        R.SANITARY_DISTANCE: np.where(rng.random(n) < 0.3, 100.0, np.nan),
        R.GRADE: rng.choice(np.array(["A", "B", "C", "D", None], dtype=object), n),
        **{c: rng.choice(yes_no, n) for c in R.ATTRIBUTE_COLUMNS},
        R.INPUT_ROW: np.arange(1, n + 1),
        R.ROW_STATUS: status,
        R.ISSUES: np.where(status == R.STATUS_SWAPPED, "coords_swapped", "").astype(object),
        **{R.std_column(s): results[s] for s in R.STANDARDS},
        R.STANDARDS_HIT: [";".join(h) for h in hit_lists],
        R.NOT_ASSESSED_COL: [";".join(x) for x in na_lists],
        R.DISPOSITION: disposition,
        R.DISPOSITION_ZH: [DISPOSITION_ZH[d] for d in disposition],
        R.LEGAL_BASIS: basis,
        R.SANITARY_REQUIRED: np.where(rng.random(n) < 0.6, 300.0, np.nan),
        R.NEAREST_SENSITIVE_M: np.round(rng.random(n) * 2000, 1),
        R.NEAREST_SENSITIVE_NAME: ["濠河花园小区"] * n,
        R.LANDUSE_CLASS: rng.choice(np.array(["M2", "M3", "R2", "G1"], dtype=object), n),
        R.NONINDUSTRIAL_SHARE: np.round(rng.random(n), 3),
        **{c: np.round(rng.normal(0, 300, n), 1) for c in R.MARGIN_COLUMNS},
    }
    enterprises = gpd.GeoDataFrame(ent, geometry=geoms, crs="EPSG:4490")
    enterprises.index = pd.RangeIndex(n)

    rows = []
    for i, hits in enumerate(hit_lists):
        for s in hits:
            disp, law, layer, feature, zone, category = _RULES[s]
            spatial = layer is not None
            required = 300.0 if s == "5" else np.nan
            distance = round(float(rng.random() * 250), 1) if s == "5" else (0.0 if spatial else np.nan)
            margin = (required - distance) if s == "5" else (round(float(rng.random() * 400), 1) if spatial else np.nan)
            detail = "" if spatial else f"{s}: 登记表属性为“是”"
            if i == 0:
                detail = "现场照片与环评批复记载不一致；" * 12  # > 254 bytes, cut in the hits table
            rows.append(
                {
                    R.ENTERPRISE_ID: ids[i],
                    R.INPUT_ROW: i + 1,
                    "standard": s,
                    "layer_id": layer or "",
                    "feature_name": feature or "",
                    "zone": (zone or ("", ""))[0],
                    "zone_label": (zone or ("", ""))[1],
                    "category": category or "",
                    "distance_m": distance,
                    "required_m": required,
                    "margin_m": margin,
                    R.DISPOSITION: disp,
                    R.LEGAL_BASIS: law,
                    "detail": detail,
                    "geometry": geoms[i],
                }
            )
    hits = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=[*R.HIT_COLUMNS, "geometry"]), geometry="geometry", crs="EPSG:4490"
    )
    manifest = {  # the shape geo_screen.screening.screen.screen writes to run.json
        "tool": "geo_screen",
        "version": "0.1.0",
        "started": "2024-12-01T01:00:00+00:00",
        "finished": "2024-12-01T01:00:05+00:00",
        "duration_s": 5.0,
        "input": {"path": "企业名录_2024.xlsx", "sha256": "ab" * 32, "rows": n},
        "rules": {
            "name": "南通市利用综合标准依法依规推动落后产能退出（十项标准）",
            "document": "通政办发〔2017〕179号 附件2",
            "path": "rules/nantong_2017_179.yaml",
            "sha256": "cd" * 32,
        },
        "catalog": {
            "name": "南通示例图层包",
            "path": "layers/nantong/catalog.yaml",
            "files": {"eco_redline.gpkg": "ef" * 32, "water_source.shp": "01" * 32},
        },
        "crs": {"input": "gcj02", "metric": "EPSG:4549", "output": "EPSG:4490"},
        "options": {"near_edge_m": 50, "search_radius_m": 2000, "seed": seed},
        "counts": {"rows": n, "flagged": int(sum(bool(h) for h in hit_lists)), "hits": len(rows)},
    }
    return R.ScreenResult(enterprises, hits, manifest)
