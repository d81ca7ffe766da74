"""``screen(..., ledger=)`` and ``geo-screen screen --ledger``: what the county found and decided flows back."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest
import yaml
from conftest import PLACES, lonlat, registry_frame
from ledger_factory import finding

import geo_screen as gs
from geo_screen import results as R
from geo_screen.cli import main
from geo_screen.ledger.entries import Entry
from geo_screen.ledger.facts import ledger_facts
from geo_screen.ledger.store import open_ledger
from geo_screen.pack.catalog import load_catalog
from geo_screen.screening.rules import DEFAULT_RULES

TODAY = date(2026, 9, 1)
BY_NAME = {p[0]: p for p in PLACES}
#: the registry: [0] clear, [1] in the riverside belt (standard 9, 搬迁), [2] emissions not compliant
#: (standard 6, 限期整改, 停产 when it fails), [3] the same, [4] in the belt too
PLACES_HERE = [BY_NAME[n] for n in ("clear", "belt", "clear", "clear", "belt")]


@pytest.fixture(scope="module")
def catalog(tiny_pack):
    return load_catalog(tiny_pack)


@pytest.fixture
def registry(tmp_path):
    frame = registry_frame(PLACES_HERE)
    frame.loc[[2, 3], "稳定达标排放"] = "否"
    path = tmp_path / "reg.csv"
    frame.to_csv(path, index=False)
    return path, list(frame["统一社会信用代码"])


def _ledger(tmp_path, entries, name="台账.sqlite"):
    path = tmp_path / name
    with open_ledger(path) as ledger:
        ledger.append(entries)
    return path


def _row(result, uscc):
    ents = result.enterprises
    return ents[ents[R.ENTERPRISE_ID] == uscc].iloc[0]


def test_without_a_ledger_the_results_have_no_ledger_columns(catalog, registry):
    res = gs.screen(registry[0], catalog)
    assert not set(R.LEDGER_COLUMNS) & set(res.enterprises.columns) and "ledger" not in res.manifest


def test_each_enterprise_carries_its_latest_finding_decision_and_deadline(catalog, registry, tmp_path):
    path, ids = registry
    ledger = _ledger(
        tmp_path,
        [
            finding(ids[1], inspector="张三", checked_on="2026-01-10"),
            Entry("decision", ids[1], "李四", value="relocate", doc_number="通政复〔2026〕1号"),
            Entry("deadline", ids[1], "李四", due_date="2026-12-31"),
            finding(ids[4], "难以整治到位"),
        ],
    )
    res = gs.screen(path, catalog, ledger=ledger, today=TODAY)
    ents = res.enterprises
    assert list(ents[R.VERIFICATION]) == ["未核实", "属实", "未核实", "未核实", "难以整治到位"]
    belt = _row(res, ids[1])
    assert (belt[R.DECIDED_DISPOSITION], belt[R.DECISION_DOC], belt[R.DUE_DATE]) == (
        "relocate", "通政复〔2026〕1号", "2026-12-31",
    )  # fmt: skip
    assert not ents[R.OVERDUE].any() and belt[R.DISPOSITION] == "relocate"
    assert res.manifest["ledger"]["entries"] == 4 and res.manifest["ledger"]["as_of"] == "2026-09-01"


def test_a_failed_rectification_or_a_passed_deadline_applies_the_escalation(catalog, registry, tmp_path):
    path, ids = registry
    ledger = _ledger(
        tmp_path,
        [
            finding(ids[2], "整改不到位", inspector="王五", checked_on="2026-08-01"),
            Entry("deadline", ids[3], "李四", due_date="2026-08-31"),
        ],
    )
    before = gs.screen(path, catalog)
    assert [_row(before, i)[R.DISPOSITION] for i in ids[2:4]] == ["rectify", "rectify"]
    res = gs.screen(path, catalog, ledger=ledger, today=TODAY)
    failed, late = _row(res, ids[2]), _row(res, ids[3])
    assert (failed[R.DISPOSITION], late[R.DISPOSITION]) == ("stop", "stop")
    assert (bool(failed[R.OVERDUE]), bool(late[R.OVERDUE])) == (False, True)
    hits = res.hits.set_index(R.ENTERPRISE_ID)
    assert "核查结论：整改不到位（王五，2026-08-01）" in hits.loc[ids[2], "detail"]
    assert "整改期限2026-08-31已过，未核实已整改到位" in hits.loc[ids[3], "detail"]
    # rectified in time: the deadline passed but the latest finding says 已整改到位
    ledger2 = _ledger(
        tmp_path, [Entry("deadline", ids[3], "李四", due_date="2026-08-31"), finding(ids[3], "已整改到位")], "2.sqlite"
    )
    done = _row(gs.screen(path, catalog, ledger=ledger2, today=TODAY), ids[3])
    assert done[R.DISPOSITION] == "rectify" and not done[R.OVERDUE]


def test_a_finding_of_untrue_overrules_every_standard_the_row_was_flagged_for(catalog, registry, tmp_path):
    path, ids = registry
    note = "规划调整后该地块已不在沿江重点区域"
    ledger = _ledger(tmp_path, [finding(ids[1], "不属实", inspector="张三", checked_on="2026-01-10", note=note)])
    res = gs.screen(path, catalog, ledger=ledger, today=TODAY)
    row = _row(res, ids[1])
    # standard 9 is cleared; 化工 has no sanitary distance, so standard 5 stays not assessed: 未评估, never 无
    assert row[R.std_column("9")] == R.CLEAR and row[R.DISPOSITION] == R.NOT_ASSESSED_DISPOSITION
    assert not row[R.STANDARDS_HIT] and "verified_untrue:9" in row[R.ISSUES]
    evidence = res.hits[res.hits[R.ENTERPRISE_ID] == ids[1]]  # kept, marked overruled with who and why
    assert len(evidence) and set(evidence[R.DISPOSITION]) == {R.NO_DISPOSITION}
    assert f"经现场核查不属实，不予认定（张三，2026-01-10：{note}）" in evidence.iloc[0]["detail"]
    assert _row(res, ids[4])[R.DISPOSITION] == "relocate"  # the other enterprise in the belt is untouched


def test_a_wrong_location_is_screened_at_the_corrected_place_and_the_original_kept(catalog, registry, tmp_path):
    path, ids = registry
    lon, lat = lonlat(*BY_NAME["clear"][1:3])
    ledger = _ledger(tmp_path, [finding(ids[4], "位置有误"), Entry("location_fix", ids[4], "张三", lon=lon, lat=lat)])
    before = _row(gs.screen(path, catalog), ids[4])
    row = _row(gs.screen(path, catalog, ledger=ledger, today=TODAY), ids[4])
    assert before[R.std_column("9")] == R.HIT and row[R.std_column("9")] == R.CLEAR
    assert row["lon"] == pytest.approx(lon) and row.geometry.x == pytest.approx(lon)
    assert (row[R.LON_ORIGINAL], row[R.LAT_ORIGINAL]) == pytest.approx((before["lon"], before["lat"]))
    assert "location_corrected" in row[R.ISSUES]


def _rules_without(tmp_path, **off) -> str:
    data = yaml.safe_load(DEFAULT_RULES.read_text("utf-8"))
    data["verification"] = {**data.get("verification", {}), **off}
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return str(path)


def test_each_effect_of_the_ledger_can_be_switched_off_in_the_rules(catalog, registry, tmp_path):
    path, ids = registry
    lon, lat = lonlat(*BY_NAME["clear"][1:3])
    ledger = _ledger(
        tmp_path,
        [
            finding(ids[1], "不属实"),
            finding(ids[2], "整改不到位"),
            Entry("deadline", ids[3], "李四", due_date="2026-08-31"),
            Entry("location_fix", ids[4], "张三", lon=lon, lat=lat),
        ],
    )
    rules = _rules_without(
        tmp_path,
        overrule_untrue=False,
        escalate_not_rectified=False,
        escalate_overdue=False,
        screen_fixed_location=False,
    )
    res = gs.screen(path, catalog, ledger=ledger, today=TODAY, rules=rules)
    plain = gs.screen(path, catalog)
    assert list(res.enterprises[R.DISPOSITION]) == list(plain.enterprises[R.DISPOSITION])
    assert list(res.enterprises[R.VERIFICATION]) == ["未核实", "不属实", "整改不到位", "未核实", "未核实"]
    assert bool(_row(res, ids[3])[R.OVERDUE])  # the facts are still shown


def test_facts_follow_corrections(tmp_path):
    uscc = "91320612502415011T"
    path = _ledger(tmp_path, [finding(uscc, "属实")])
    with open_ledger(path) as ledger:
        ledger.append([finding(uscc, "不属实", corrects=1)])
    with open_ledger(path) as ledger:
        facts = ledger_facts(ledger, today=TODAY)
    assert list(facts[R.VERIFICATION]) == ["不属实"] and facts.attrs["ledger"]["entries"] == 2


def test_screen_command_with_a_ledger_shows_the_columns_in_results_xlsx(catalog, registry, tmp_path, tiny_pack):
    path, ids = registry
    ledger = _ledger(tmp_path, [finding(ids[1], "属实")])
    out = tmp_path / "out"
    assert (
        main(["screen", str(path), "--layers", str(tiny_pack), "--ledger", str(ledger), "--out", str(out), "-q"]) == 0
    )
    book = openpyxl.load_workbook(out / R.XLSX_NAME, read_only=True)
    try:
        header = [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))]
    finally:
        book.close()
    assert {"核查结论", "决定处置", "决定文号", "整改期限", "逾期未整改"} <= set(header)
    assert main(["screen", str(path), "--layers", str(tiny_pack), "--ledger", str(ledger), "--out", str(out),
                 "--chunk-rows", "2", "-q"]) == 2  # fmt: skip


def test_a_correction_stands_in_the_place_of_the_entry_it_corrects(tmp_path):
    """A decision recorded after a corrected one stays the latest: the correction replaces the old entry in place."""
    uscc = "91320612502415011T"
    path = _ledger(
        tmp_path,
        [
            Entry("decision", uscc, "李四", value="close", doc_number="通政复〔2026〕1号"),  # 1
            Entry("decision", uscc, "李四", value="rectify", doc_number="通政复〔2026〕2号"),  # 2
            finding(uscc, "不属实"),  # 3
            finding(uscc, "属实"),  # 4
        ],
    )
    with open_ledger(path) as ledger:
        ledger.append(
            [
                Entry("decision", uscc, "李四", value="eliminate", doc_number="通政复〔2026〕1号", corrects=1),
                finding(uscc, "整改不到位", corrects=3),
            ]
        )
        facts = ledger_facts(ledger, today=TODAY).iloc[0]
    assert (facts[R.DECIDED_DISPOSITION], facts[R.DECISION_DOC], facts[R.VERIFICATION]) == (
        "rectify", "通政复〔2026〕2号", "属实",
    )  # fmt: skip


def test_a_correction_of_another_kind_withdraws_the_entry(tmp_path):
    uscc = "91320612502415011T"
    path = _ledger(tmp_path, [Entry("decision", uscc, "李四", value="close", doc_number="通政复〔2026〕1号")])
    with open_ledger(path) as ledger:
        ledger.append([Entry("note", uscc, "李四", note="决定录入有误，撤回", corrects=1)])
        facts = ledger_facts(ledger, today=TODAY).iloc[0]
    assert facts[R.DECIDED_DISPOSITION] is None and facts[R.DECISION_DOC] is None


def test_the_latest_finding_of_each_standard_counts(catalog, registry, tmp_path):
    """A finding naming another standard does not undo 不属实 on standard 9; a later finding on the whole does."""
    path, ids = registry
    ledger = _ledger(
        tmp_path,
        [
            finding(ids[1], "不属实", standard="9", inspector="张三", checked_on="2026-01-10", note="规划已调整"),
            finding(ids[1], "属实", standard="5", inspector="王五", checked_on="2026-02-01"),
            finding(ids[4], "不属实", standard="9"),
            finding(ids[4], "属实"),
        ],
    )
    res = gs.screen(path, catalog, ledger=ledger, today=TODAY)
    row = _row(res, ids[1])
    assert row[R.std_column("9")] == R.CLEAR and row[R.VERIFICATION] == "属实"  # the latest finding, shown
    evidence = res.hits[(res.hits[R.ENTERPRISE_ID] == ids[1]) & (res.hits["standard"] == "9")]
    assert "不予认定（张三，2026-01-10：规划已调整）" in evidence.iloc[0]["detail"]
    assert _row(res, ids[4])[R.std_column("9")] == R.HIT  # the whole enterprise found 属实 after
