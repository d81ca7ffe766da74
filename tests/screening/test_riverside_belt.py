"""Standard 9 on a belt derived 1,000 m from a river line, for listed industries (see conftest.river_pack).

The line runs along y = -4800 m; the belt reaches y = -3800 m. 长江保护法 art. 26 concerns chemical projects only: an
enterprise of another industry inside the belt is clear, one whose industry the registry does not give is not
assessed (with a token saying why).
"""

from __future__ import annotations

import json

import pytest
from conftest import BELT, RIVER_Y, registry_frame, river_pack

import geo_screen as gs
from geo_screen import results as R
from geo_screen.outputs.checklist import not_assessed_text
from geo_screen.pack.catalog import load_catalog
from geo_screen.vocabulary import issue_text

PLACES = [
    ("chem_in", 0, RIVER_Y + 800, "化工", None),
    ("chem_out", 0, RIVER_Y + 1100, "化工", None),
    ("chem_edge", -1000, RIVER_Y + 970, "精细化工", None),
    ("dye_in", 500, RIVER_Y + 800, "印染", None),
    ("blank_in", 1000, RIVER_Y + 800, None, None),
    ("blank_out", 1000, RIVER_Y + 1500, None, None),
]


def screen(catalog, tmp_path, places=PLACES):
    frame = registry_frame(places)
    frame["行业"] = [p[3] if p[3] else "" for p in places]
    path = tmp_path / "reg.csv"
    frame.to_csv(path, index=False)
    return gs.screen(path, catalog, crs="EPSG:4326")


@pytest.fixture(scope="module")
def chemical(tmp_path_factory):
    root = tmp_path_factory.mktemp("chemical_belt")
    return load_catalog(river_pack(root, belt={**BELT, "industries": ["化工"]}))


@pytest.fixture(scope="module")
def result(chemical, tmp_path_factory):
    return screen(chemical, tmp_path_factory.mktemp("reg"))


@pytest.fixture(scope="module")
def ents(result):
    return result.enterprises.set_index("企业名称")


@pytest.mark.parametrize(
    "name, status",
    [
        ("chem_in", R.HIT),
        ("chem_out", R.CLEAR),
        ("chem_edge", R.HIT),
        ("dye_in", R.CLEAR),  # art. 26 is about chemical projects: the belt does not concern a dye works
        ("blank_in", R.NOT_ASSESSED),  # inside, and the registry does not say the industry
        ("blank_out", R.CLEAR),  # outside the belt whatever its industry
    ],
)
def test_a_belt_for_listed_industries(ents, name, status):
    assert ents.loc[name, "std_09"] == status


def test_margins_and_near_edge_as_for_a_drawn_belt(ents):
    assert ents.loc["chem_in", "margin_09_m"] == pytest.approx(200.0, abs=0.5)
    assert ents.loc["chem_out", "margin_09_m"] == pytest.approx(-100.0, abs=0.5)
    assert any(t.startswith("near_edge:9(30.") for t in ents.loc["chem_edge", R.ISSUES].split(";"))
    assert ents.loc["chem_in", R.DISPOSITION] == "relocate"
    assert ents.loc["dye_in", R.DISPOSITION] != "relocate"


def test_unknown_industry_is_said_and_the_evidence_kept(result, ents):
    assert "zone_industry_unknown:9" in ents.loc["blank_in", R.ISSUES].split(";")
    assert "zone_industry_unknown" not in (ents.loc["blank_out", R.ISSUES] or "")
    hits = result.hits
    row = hits[(hits[R.INPUT_ROW] == ents.loc["blank_in", R.INPUT_ROW]) & (hits["standard"] == "9")].iloc[0]
    assert row[R.DISPOSITION] == R.NO_DISPOSITION and "化工" in row["detail"]
    dye = hits[(hits[R.INPUT_ROW] == ents.loc["dye_in", R.INPUT_ROW]) & (hits["standard"] == "9")]
    assert dye.empty
    why = not_assessed_text(ents.loc[["blank_in"]]).iloc[0]
    assert why.endswith("第（九）项：登记表未填行业，所在范围只适用于所列行业的企业")
    assert "无法判断是否适用" in issue_text("zone_industry_unknown:9") and "第（九）项" in issue_text(
        "zone_industry_unknown:9"
    )


def test_without_industries_every_enterprise_in_the_belt_is_a_hit(tmp_path):
    ents = screen(load_catalog(river_pack(tmp_path)), tmp_path).enterprises.set_index("企业名称")
    for name in ("chem_in", "chem_edge", "dye_in", "blank_in"):
        assert ents.loc[name, "std_09"] == R.HIT, name
    assert ents.loc["blank_out", "std_09"] == R.CLEAR


def test_run_json_says_the_belt_was_derived(result, tmp_path):
    gs.write_results(result, tmp_path)
    used = json.loads((tmp_path / "run.json").read_text("utf-8"))["layers_used"]["9"]
    assert used["layers"] == ["belt_1km"]
    assert used["derived"] == {"belt_1km": {"from": "river", "distance_m": 1000.0, "industries": ["化工"]}}
