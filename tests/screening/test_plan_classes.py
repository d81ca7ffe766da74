"""Standard 3's land-use half with plan classes mapped to allowed / conditional / prohibited (``industrial_use``).

The plan is the tiny pack's raster (M2 around, R in [-1000, 0] x [3000, 4000]) with W (物流仓储) in
[1000, 2000] x [3000, 4000] and E (非建设用地) in [-3000, -2000] x [3000, 4000]; the catalog maps W and E to
``conditional``: a location there is not a hit but an issue ``landuse_conditional:<class>`` and evidence to verify.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import yaml
from conftest import TO_LONLAT, build_tiny_pack, metric_box, registry_frame

import geo_screen as gs
from geo_screen import results as R
from geo_screen.errors import ConfigError
from geo_screen.outputs.evidence import evidence_text
from geo_screen.pack.catalog import load_catalog
from geo_screen.pack.demo import demo_paths
from geo_screen.vocabulary import issue_text

CLASSES = {1: "M1", 2: "M2", 3: "M3", 4: "R", 5: "W", 6: "E"}
PLACES = [
    ("on_w", 1500, 3500, "化工", None),
    ("on_e", -2500, 3500, "化工", None),
    ("on_r", -500, 3500, "化工", None),
    ("on_m2", 3000, 3500, "化工", None),
]


def plan_pack(root, **landuse) -> object:
    """The tiny pack with W and E blocks in its plan and ``landuse`` entries on its land-use layer."""
    catalog = build_tiny_pack(root)
    with rasterio.open(root / "landuse.tif", "r+") as ds:
        band = ds.read(1)
        band[10:20, 60:70] = 5  # W: x in [1000, 2000], y in [3000, 4000]
        band[10:20, 20:30] = 6  # E: x in [-3000, -2000]
        ds.write(band, 1)
    doc = yaml.safe_load(catalog.read_text("utf-8"))
    layer = next(entry for entry in doc["layers"] if entry["id"] == "landuse")
    layer["classes"] = CLASSES
    layer.update(landuse)
    catalog.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return catalog


def screen(catalog_path, tmp_path, places=PLACES):
    path = tmp_path / "reg.csv"
    registry_frame(places).to_csv(path, index=False)
    return gs.screen(path, load_catalog(catalog_path), crs="EPSG:4326")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    root = tmp_path_factory.mktemp("plan")
    return screen(plan_pack(root, industrial_use={"W": "conditional", "E": "conditional"}), root)


@pytest.fixture(scope="module")
def ents(result):
    return result.enterprises.set_index("企业名称")


def test_conditional_classes_are_not_hits_but_said(ents):
    assert ents.loc["on_w", "std_03"] == R.CLEAR and ents.loc["on_e", "std_03"] == R.CLEAR
    assert "landuse_conditional:W" in ents.loc["on_w", R.ISSUES].split(";")
    assert "landuse_conditional:E" in ents.loc["on_e", R.ISSUES].split(";")
    assert ents.loc["on_r", "std_03"] == R.HIT  # prohibited as before
    assert ents.loc["on_m2", "std_03"] == R.CLEAR and "landuse_conditional" not in (ents.loc["on_m2", R.ISSUES] or "")
    assert ents.loc["on_e", R.LANDUSE_CLASS] == "E"


def test_conditional_evidence_has_no_disposition_and_a_note_to_verify(result, ents):
    hits = result.hits
    row = hits[(hits[R.INPUT_ROW] == ents.loc["on_e", R.INPUT_ROW]) & (hits["standard"] == "3")]
    assert len(row) == 1
    row = row.iloc[0]
    assert row[R.DISPOSITION] == R.NO_DISPOSITION and "城乡规划法" in row[R.LEGAL_BASIS]
    assert "请现场核实" in row["detail"]
    sentence = evidence_text(row.to_frame().T).iloc[0]
    assert sentence.startswith("第（三）项：规划用地类别 E（非建设用地），有条件用地") and "非工业用地" not in sentence
    assert issue_text("landuse_conditional:E").startswith("规划用地类别 E（非建设用地）为有条件用地")
    assert "3" not in (ents.loc["on_e", R.STANDARDS_HIT] or "").split(";")


def test_without_industrial_use_every_non_industrial_class_is_a_hit(tmp_path):
    ents = screen(plan_pack(tmp_path), tmp_path).enterprises.set_index("企业名称")
    assert (ents.loc[["on_w", "on_e", "on_r"], "std_03"] == R.HIT).all()
    assert "landuse_conditional" not in "".join(ents[R.ISSUES].fillna(""))


def test_industrial_use_can_allow_or_prohibit(tmp_path):
    uses = {"W": "allowed", "M2": "prohibited"}  # (M1, M3 stay allowed by default)
    ents = screen(plan_pack(tmp_path, industrial_classes=None, industrial_use=uses), tmp_path).enterprises
    ents = ents.set_index("企业名称")
    assert ents.loc["on_w", "std_03"] == R.CLEAR and ents.loc["on_m2", "std_03"] == R.HIT
    assert ents.loc["on_e", "std_03"] == R.HIT  # a class not listed is prohibited, as before


def test_a_footprint_partly_on_conditional_land(tmp_path):
    to_ll = lambda g: shapely.transform(g, lambda c: np.column_stack(TO_LONLAT.transform(c[:, 0], c[:, 1])))  # noqa: E731
    sites = [("half_e", metric_box(-2100, 3000, -1900, 3200)), ("half_r", metric_box(-1100, 3000, -900, 3200))]
    frame = gpd.GeoDataFrame(
        {"企业名称": [s[0] for s in sites], "行业": ["化工"] * 2, "统一社会信用代码": ["91110000600037341L"] * 2},
        geometry=[to_ll(s[1]) for s in sites],
        crs="EPSG:4490",
    )
    path = tmp_path / "sites.gpkg"
    frame.to_file(path, engine="pyogrio")
    catalog = load_catalog(plan_pack(tmp_path, industrial_use={"E": "conditional"}))
    ents = gs.screen(path, catalog).enterprises.set_index("企业名称")
    assert ents.loc["half_e", "std_03"] == R.CLEAR and "landuse_conditional:E" in ents.loc["half_e", R.ISSUES]
    assert ents.loc["half_e", R.NONINDUSTRIAL_SHARE] == pytest.approx(0.5, abs=0.01)
    assert ents.loc["half_r", "std_03"] == R.HIT


@pytest.mark.parametrize(
    "landuse, match",
    [
        ({"industrial_use": {"W": "conditionl"}}, r"industrial_use\.W: 'conditionl'.*did you mean 'conditional'"),
        ({"industrial_use": {"X": "conditional"}}, r"industrial_use: \['X'\] not among the classes values"),
        (
            {"industrial_classes": ["M1", "M2"], "industrial_use": {"M2": "prohibited"}},
            r"industrial_use\.M2: 'prohibited' contradicts industrial_classes",
        ),
    ],
)
def test_industrial_use_is_validated(tmp_path, landuse, match):
    with pytest.raises(ConfigError, match=match):
        load_catalog(plan_pack(tmp_path, **landuse))


def test_industrial_use_applies_to_land_use_plans_only(tmp_path):
    catalog = plan_pack(tmp_path)
    doc = yaml.safe_load(catalog.read_text("utf-8"))
    doc["layers"][1]["industrial_use"] = {"E": "conditional"}
    catalog.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(ConfigError, match=r"layers\[1\]\.industrial_use: applies to kind 'land_use_plan' only"):
        load_catalog(catalog)


def test_the_demo_plan_maps_e_to_conditional():
    layer = load_catalog(demo_paths()["catalog"]).layers["landuse"]
    uses = layer.spec.class_uses
    assert uses["E"] == "conditional" and uses["R"] == "prohibited" and uses["G"] == "prohibited"
    assert all(uses[c] == "allowed" for c in ("M1", "M2", "M3"))
