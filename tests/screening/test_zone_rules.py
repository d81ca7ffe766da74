"""Zone classes as the law draws them: quasi protection zones, dischargers in second-class zones, red-line classes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import PLACES, registry_frame

import geo_screen as gs
from geo_screen import results as R
from geo_screen.pack.catalog import load_catalog
from geo_screen.pack.zones import zones_from_labels
from geo_screen.screening.rules import DEFAULT_RULES, load_rules
from geo_screen.vocabulary import zone_label

WATER = [p for p in PLACES if p[0].startswith("water_")] + [p for p in PLACES if p[0] in ("eco_inside", "bowtie_left")]


@pytest.fixture(scope="module")
def catalog(tiny_pack):
    return load_catalog(tiny_pack)


def screen(catalog, tmp_path: Path, *, discharges=None, rules=None, places=WATER):
    frame = registry_frame(places)
    if discharges is not None:
        frame["排放污染物"] = discharges
    path = tmp_path / "reg.csv"
    frame.to_csv(path, index=False)
    res = gs.screen(path, catalog, crs="EPSG:4326", rules=rules)
    return res.enterprises.set_index("企业名称"), res.hits


def edited(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(DEFAULT_RULES.read_text("utf-8"))
    edit(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def test_quasi_zone_is_not_a_standard_4_hit_but_stays_as_evidence_with_a_notice(catalog, tmp_path):
    ents, hits = screen(catalog, tmp_path)
    quasi = ents.loc["water_quasi"]
    assert quasi["std_04"] == R.CLEAR
    assert "water_quasi_zone" in quasi[R.ISSUES].split(";")
    assert quasi["margin_04_m"] == pytest.approx(-300.0, abs=0.05)  # 300 m outside the second-class zone
    row = hits[(hits[R.INPUT_ROW] == quasi[R.INPUT_ROW]) & (hits["standard"] == "4")].iloc[0]
    assert row["zone"] == "quasi" and row[R.DISPOSITION] == R.NO_DISPOSITION
    assert "第六十七条" in row[R.LEGAL_BASIS] and "不得增加排污量" in row["detail"]
    assert "water_quasi_zone" not in (ents.loc["water_second", R.ISSUES] or "")
    art67 = load_rules().standards["4"].by_zone["quasi"].note
    assert art67.startswith("禁止在饮用水水源准保护区内新建、扩建对水体污染严重的建设项目")


def test_first_and_second_class_close_in_the_laws_words(catalog, tmp_path):
    ents, hits = screen(catalog, tmp_path, discharges=["是"] * len(WATER))
    for name, article in (("water_first", "第六十五条"), ("water_second", "第六十六条")):
        assert ents.loc[name, R.DISPOSITION] == "close"
        assert ents.loc[name, R.DISPOSITION_ZH] == "责令拆除或者关闭"
        assert f"《中华人民共和国水污染防治法》（2017年修正）{article}" in ents.loc[name, R.LEGAL_BASIS]


def test_second_class_zone_needs_a_discharger(catalog, tmp_path):
    names = [p[0] for p in WATER]
    discharges = ["否" if n == "water_second" else "是" for n in names]
    ents, hits = screen(catalog, tmp_path, discharges=discharges)
    assert ents.loc["water_second", "std_04"] == R.CLEAR
    assert ents.loc["water_first", "std_04"] == R.HIT  # art. 65: any project unrelated to water supply
    ents, hits = screen(catalog, tmp_path)  # the registry does not say: a hit, with a note to verify
    assert ents.loc["water_second", "std_04"] == R.HIT
    row = hits[(hits[R.INPUT_ROW] == ents.loc["water_second", R.INPUT_ROW]) & (hits["standard"] == "4")].iloc[0]
    assert "请核实" in row["detail"]


def test_quasi_zone_rule_switched_off_by_edited_rules(catalog, tmp_path):
    def edit(d):
        d["standards"]["4"]["by_zone"]["quasi"] = {"disposition": "per_law"}
        d["standards"]["4"]["by_zone"]["second"].pop("only_if")

    ents, _ = screen(catalog, tmp_path, rules=edited(tmp_path, edit), discharges=["否"] * len(WATER))
    assert ents.loc["water_quasi", "std_04"] == R.HIT and ents.loc["water_quasi", R.DISPOSITION] == "per_law"
    assert ents.loc["water_second", "std_04"] == R.HIT
    assert "water_quasi_zone" not in (ents.loc["water_quasi", R.ISSUES] or "")


def test_red_line_classes_carry_their_own_bases_and_notes(catalog, tmp_path):
    ents, hits = screen(catalog, tmp_path)
    eco = hits[hits["layer_id"] == "eco_redline"].set_index("zone")
    assert "严禁一切形式的开发建设活动" in eco.loc["first", "detail"]
    assert "严禁有损主导生态功能的开发建设活动" in eco.loc["second", "detail"]
    assert "一级管控区" in eco.loc["first", R.LEGAL_BASIS] and "二级管控区" in eco.loc["second", R.LEGAL_BASIS]


def test_national_red_line_is_a_class_of_its_own():
    codes, unknown = zones_from_labels(
        pd.Series(["生态保护红线", "国家级生态保护红线", "一级管控区"]), "ecological_redline"
    )
    assert codes.tolist() == ["national", "national", "first"] and not unknown
    assert zone_label("ecological_redline", "national") == "生态保护红线"
    assert "national" in load_rules().standards["3"].by_zone


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["standards"]["4"]["by_zone"]["second"].update(only_if="discharge"), r"did you mean"),
        (lambda d: d["standards"]["4"]["by_zone"]["quasi"].update(hitt=False), r"by_zone\.quasi\.hitt"),
    ],
)
def test_zone_rule_fields_are_validated(tmp_path, edit, message):
    from geo_screen.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        load_rules(edited(tmp_path, edit))
