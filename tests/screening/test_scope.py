"""What a rule set targets: its industries (Annex 2), Annex 1's standards as 核查依据, rules not yet in force."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import PLACES, registry_frame

import geo_screen as gs
from geo_screen import results as R
from geo_screen.errors import ConfigError
from geo_screen.pack.catalog import load_catalog
from geo_screen.screening.rules import DEFAULT_RULES, load_rules

PLACES_BY_NAME = {p[0]: p for p in PLACES}


@pytest.fixture(scope="module")
def catalog(tiny_pack):
    return load_catalog(tiny_pack)


def edited(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(DEFAULT_RULES.read_text("utf-8"))
    edit(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def screen(catalog, tmp_path, industries: list[str | None], *, rules=None, place="belt"):
    frame = registry_frame([PLACES_BY_NAME[place]] * len(industries))
    frame["行业"] = industries
    frame["统一社会信用代码"] = [f"{v[:-3]}{i:02d}{v[-1]}" for i, v in enumerate(frame["统一社会信用代码"])]
    path = tmp_path / "reg.csv"
    frame.to_csv(path, index=False)
    return gs.screen(path, catalog, crs="EPSG:4326", rules=rules)


def test_annex_1_standards_are_the_check_basis_of_steel_shipbuilding_and_cement(catalog, tmp_path):
    res = screen(catalog, tmp_path, ["钢铁", "钢丝绳", "水泥制造", None, "船舶修造"])
    basis = ["" if isinstance(v, float) or v is None else v for v in res.enterprises[R.CHECK_BASIS]]
    steel = basis[0].split("；")
    assert steel[0] == "1.粗钢生产工序单位产品能耗限额（GB21256-2013）"
    assert "8.炼焦化学工业污染物排放标准（GB16171-2012）" in steel  # 附件1's 钢铁 rows 3-8
    assert "11.污水综合排放标准（GB8978-1996）" in steel and "12.工业企业厂界环境噪声排放标准（GB12348-2008）" in steel
    assert "20.冶金企业安全生产监督管理规定（国家安全生产监督管理总局令第26号）" in steel
    assert not any(s.startswith(("2.", "9.", "10.", "15.")) for s in steel)
    assert basis[1] == "" and basis[3] == ""  # 钢丝绳 is an Annex 2 industry; no industry: nothing to say
    assert [s.split(".")[0] for s in basis[2].split("；")] == ["2", "10", "11", "12", "15"]
    assert [s.split(".")[0] for s in basis[4].split("；")] == ["9", "11", "12"]


def test_the_run_says_which_industries_the_rules_target_and_whether_standard_9_is_in_force(catalog, tmp_path):
    res = screen(catalog, tmp_path, ["印染"])
    rules = res.manifest["rules"]
    assert rules["scope"]["industries"] == ["印染", "钢丝绳", "小化工"] and rules["scope"]["only_listed"] is False
    assert rules["in_force"]["9"] is True
    assert res.enterprises.loc[0, "std_09"] == R.HIT


def test_standard_9_not_in_force_is_not_assessed(catalog, tmp_path):
    rules = edited(tmp_path, lambda d: d["standards"]["9"].update(in_force=False))
    res = screen(catalog, tmp_path, ["印染"], rules=rules)
    row = res.enterprises.iloc[0]
    assert row["std_09"] == R.NOT_ASSESSED and "9" in row[R.NOT_ASSESSED_COL].split(";")
    assert row[R.DISPOSITION] != "relocate" and "std_not_in_force:9" in row[R.ISSUES].split(";")
    assert not (res.hits["standard"] == "9").any()
    assert res.manifest["rules"]["in_force"]["9"] is False
    assert "文件近期下发后实施" in res.manifest["rules"]["not_in_force"]["9"]


def test_only_listed_industries_are_screened_when_the_rules_say_so(catalog, tmp_path):
    rules = edited(tmp_path, lambda d: d["scope"].update(only_listed=True))
    res = screen(catalog, tmp_path, ["印染", "水泥", None], rules=rules)
    e = res.enterprises
    assert e.loc[0, "std_09"] == R.HIT and e.loc[2, "std_09"] == R.HIT  # a missing industry is screened
    assert (e.loc[1, list(R.STD_COLUMNS)] == R.NOT_ASSESSED).all()
    assert "industry_out_of_scope" in e.loc[1, R.ISSUES].split(";")
    assert e.loc[1, R.DISPOSITION] == R.NOT_ASSESSED_DISPOSITION


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["scope"].update(only_listd=True), r"scope\.only_listd"),
        (lambda d: d["standards"]["9"].update(in_forse=True), r"standards\.9\.in_forse"),
        (lambda d: d["annex1"]["standards"][0].update(industries=["钢"]), r"annex1.*'钢'.*钢铁"),
    ],
)
def test_scope_fields_are_validated(tmp_path, edit, message):
    with pytest.raises(ConfigError, match=message):
        load_rules(edited(tmp_path, edit))
