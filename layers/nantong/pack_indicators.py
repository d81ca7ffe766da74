"""The demo indicator table: 亩均 indicators for the 5,000 demo enterprises (示意数据，非官方).

``python layers/nantong/pack_indicators.py [OUT_DIR]`` reads the committed ``demo_registry.csv`` and writes
``demo_indicators.csv`` (UTF-8 with BOM, Chinese headers, as Excel saves "CSV UTF-8"); ``build.py`` calls
:func:`demo_indicators` after writing the registry. One seeded numpy generator: the same registry gives the
same table byte for byte.

Magnitudes per industry (sales and tax per mu, energy and pollutant per 10k yuan of sales, R&D share, sales per
employee) are plausible for a Jiangsu county, not measured. Each enterprise's efficiency is drawn around the grade
the registry gives it (A well above its industry, D well below) with noise, so the computed grades mostly agree
with the registry's and disagree near the cut-offs, as a new year's data would. A few rows are broken on purpose
(:data:`BAD_ROWS`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 1792  # its own generator: the registry's draws stay as they were
#: the share of enterprises above designated size (规上)
ABOVE_SHARE = 0.45
#: industry -> sales per mu (万元), tax as a share of sales, energy (tce) per 10k yuan of sales,
#: pollutant equivalents per 10k yuan of sales, R&D share of sales, sales per employee (万元)
PROFILES = {
    "印染": (300, 0.040, 0.15, 0.60, 0.010, 80),
    "化工": (500, 0.050, 0.25, 0.50, 0.015, 150),
    "钢丝绳": (350, 0.035, 0.12, 0.30, 0.010, 100),
    "机械": (400, 0.045, 0.02, 0.05, 0.030, 90),
    "纺织": (250, 0.030, 0.05, 0.15, 0.008, 60),
    "金属制品": (300, 0.040, 0.05, 0.20, 0.015, 80),
    "电子": (600, 0.040, 0.015, 0.03, 0.040, 100),
    "汽车制造": (700, 0.045, 0.03, 0.05, 0.030, 150),
    "食品": (350, 0.050, 0.03, 0.10, 0.010, 90),
    "船舶": (450, 0.030, 0.03, 0.08, 0.020, 120),
    "水泥": (200, 0.050, 0.80, 0.40, 0.005, 200),
    "氯碱": (500, 0.050, 0.50, 0.40, 0.010, 250),
    "炼铁": (800, 0.030, 1.50, 0.80, 0.005, 300),
    "石灰": (100, 0.040, 1.00, 0.50, 0.002, 80),
}
#: efficiency (log scale) around the registry's grade; blank grades are drawn from the whole spread
GRADE_SHIFT = {"A": 1.2, "B": 0.4, "C": -0.4, "D": -1.4}
NOISE = 0.15
#: tax per mu (万元) of an average enterprise above designated size
TAX_PER_MU = 15.0
#: deliberately broken rows: 1-based data row -> what is wrong (rows 1500 and 3500 share a USCC in the registry)
BAD_ROWS = {
    12: "land area 0",
    345: "negative tax (a refund year)",
    2222: "county empty",
    2500: "tax written as text (约30)",
    4000: "energy use empty (above designated size)",
}
HEADERS = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "county": "县（市、区）",
    "industry": "行业",
    "size": "企业规模",
    "start": "投产时间",
    "land": "用地面积（亩）",
    "tax": "税收（万元）",
    "sales": "销售收入（万元）",
    "energy": "综合能耗（吨标准煤）",
    "pollutant": "主要污染物排放当量",
    "rd": "研发经费（万元）",
    "staff": "从业人员（人）",
    "violation": "严重环境违法",
    "accident": "重大安全事故",
    "high_tech": "高新技术企业",
}


def demo_indicators(registry: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The indicator table for ``registry`` (the demo registry as written: text columns, Chinese headers)."""
    n = len(registry)
    industry = registry["行业"].to_numpy(dtype=object)
    profile = np.array([PROFILES[i] for i in industry], dtype=float)
    grade = registry["绩效等级"].fillna("").to_numpy(dtype=object)
    shift = np.array([GRADE_SHIFT.get(g, np.nan) for g in grade])
    blank = np.isnan(shift)
    shift[blank] = rng.choice(list(GRADE_SHIFT.values()), size=blank.sum(), p=[0.2, 0.4, 0.35, 0.05])
    efficiency = shift + rng.normal(0.0, NOISE, n)

    above = rng.random(n) < ABOVE_SHARE
    land = np.where(above, rng.lognormal(np.log(45), 0.6, n), rng.lognormal(np.log(8), 0.7, n)).round(1)
    # tax per mu carries the efficiency; the industry sets sales (through its tax share), energy and pollutants
    tax_per_mu = TAX_PER_MU * np.exp(efficiency) * np.where(above, 1.0, 0.5) * (profile[:, 0] / 400) ** 0.25
    tax = land * tax_per_mu
    sales = tax / profile[:, 1] * np.exp(rng.normal(0.0, 0.1, n))
    energy = sales * profile[:, 2] ** 0.5 * 0.1 * np.exp(-0.5 * efficiency + rng.normal(0.0, 0.2, n))
    pollutant = sales * profile[:, 3] * np.exp(-0.5 * efficiency + rng.normal(0.0, 0.3, n))
    rd = sales * profile[:, 4] * np.exp(0.5 * efficiency + rng.normal(0.0, 0.4, n))
    staff = np.maximum(5, sales / profile[:, 5] * np.exp(rng.normal(0.0, 0.2, n))).round()
    start_year = rng.integers(1995, 2018, n)
    start = [f"{y}-{m:02d}" for y, m in zip(start_year, rng.integers(1, 13, n))]

    frame = pd.DataFrame(
        {
            HEADERS["uscc"]: registry["统一社会信用代码"],
            HEADERS["name"]: registry["企业名称"],
            HEADERS["county"]: registry["县（市、区）"],
            HEADERS["industry"]: industry,
            HEADERS["size"]: np.where(above, "规上", "规下"),
            HEADERS["start"]: start,
            HEADERS["land"]: [f"{v:.1f}" for v in land],
            HEADERS["tax"]: [f"{v:.1f}" for v in tax],
            HEADERS["sales"]: [f"{v:.1f}" for v in sales],
            HEADERS["energy"]: [f"{v:.1f}" for v in energy],
            HEADERS["pollutant"]: [f"{v:.1f}" for v in pollutant],
            HEADERS["rd"]: [f"{v:.1f}" for v in rd],
            HEADERS["staff"]: [f"{v:.0f}" for v in staff],
            HEADERS["violation"]: registry["严重环境违法"],
            HEADERS["accident"]: np.where(rng.random(n) < 0.003, "是", "否"),
            HEADERS["high_tech"]: np.where(above & (rng.random(n) < 0.12), "是", "否"),
        }
    ).astype(object)
    at = {row: row - 1 for row in BAD_ROWS}
    frame.loc[at[12], HEADERS["land"]] = "0"
    frame.loc[at[345], HEADERS["tax"]] = "-12.5"
    frame.loc[at[2222], HEADERS["county"]] = ""
    frame.loc[at[2500], HEADERS["tax"]] = "约30"
    frame.loc[at[4000], [HEADERS["size"], HEADERS["energy"]]] = ["规上", ""]
    return frame


def write(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM and CRLF, as Excel saves "CSV UTF-8"."""
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=HERE, help="folder with demo_registry.csv")
    args = parser.parse_args(argv)
    registry = pd.read_csv(args.out_dir / "demo_registry.csv", encoding="gbk", dtype=str, keep_default_na=False)
    frame = demo_indicators(registry, np.random.default_rng(SEED))
    write(frame, args.out_dir / "demo_indicators.csv")
    print(f"wrote {args.out_dir / 'demo_indicators.csv'} ({len(frame)} rows)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
