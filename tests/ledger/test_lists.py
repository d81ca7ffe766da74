"""The published lists (三（四）, Annex 3 items 17-18): built from the ledger's decisions, never from proposals."""

from __future__ import annotations

import openpyxl
import pytest
import yaml
from results_factory import make_result

from geo_screen import results as R
from geo_screen import write_results
from geo_screen.cli import main
from geo_screen.errors import ConfigError
from geo_screen.ledger.entries import Entry
from geo_screen.ledger.lists import EXAMPLE_PUBLICATION, decided_lists, load_publication, write_lists
from geo_screen.ledger.store import open_ledger
from geo_screen.vocabulary import DECIDED_LISTS, column_label

GOV = "南通市人民政府"
PUBLICATION = {
    "publisher": "南通市化解过剩产能工作领导小组办公室",
    "year": 2026,
    "period": "2026年1月1日至2026年12月31日",
    "objection": {"channel": "书面意见寄送南通市工业和信息化局", "days": 7},
    "contact": "产业处 0513-00000000",
}
EXIT, RECTIFY, CLOSED = (lst.sheet for lst in DECIDED_LISTS)
UNKNOWN = "91320612MA1GONE00X"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    res = make_result(20, seed=0)
    res.enterprises["设备（生产线）"] = None
    res.enterprises["产能"] = None
    res.enterprises.loc[0, ["设备（生产线）", "产能"]] = ["水泥立窑2座", "20万吨/年"]
    out = tmp_path_factory.mktemp("run")
    write_results(res, out, formats=("gpkg", "parquet"))
    return out, res.enterprises[R.ENTERPRISE_ID].tolist()


def _decision(uscc, value, doc, **kw):
    return Entry("decision", uscc, "李四", value=value, doc_number=doc, issuing_unit=GOV, **kw)


@pytest.fixture(scope="module")
def ledger(run, tmp_path_factory):
    ids = run[1]
    path = tmp_path_factory.mktemp("ledger") / "台账.sqlite"
    with open_ledger(path) as led:
        led.append(
            [
                _decision(ids[0], "close", "通政复〔2026〕1号"),  # 1
                _decision(ids[1], "rectify", "通政复〔2026〕2号"),  # 2
                Entry("deadline", ids[1], "李四", due_date="2026-06-30"),  # 3
                _decision(ids[2], "rectify", "通政复〔2026〕3号"),  # 4
                Entry("deadline", ids[2], "李四", due_date="2026-03-31"),  # 5
                Entry("finding", ids[2], "张三", value="整改不到位"),  # 6
                _decision(ids[2], "close", "通政复〔2026〕4号"),  # 7
                _decision(ids[3], "stop", "通政复〔2026〕5号"),  # 8
                _decision(ids[5], "close", "通政复〔2026〕6号"),  # 9
                _decision(ids[5], "rectify", "通政复〔2026〕7号"),  # 10
                _decision(UNKNOWN, "eliminate", "通政复〔2026〕8号"),  # 11
                _decision(ids[6], "demolish", "通政复〔2025〕9号", recorded_at="2025-05-01T10:00:00+08:00"),  # 12
            ]
        )
        led.append(
            [
                _decision(ids[3], "none", "通政复〔2026〕10号", corrects=8, note="撤销"),  # 13: withdrawn
                _decision(ids[5], "eliminate", "通政复〔2026〕6号", corrects=9),  # 14: in place of 9, before 10
            ]
        )
    return path


def _publication(tmp_path, **changes):
    path = tmp_path / "publication.yaml"
    path.write_text(yaml.safe_dump({**PUBLICATION, **changes}, allow_unicode=True), "utf-8")
    return path


def _ids(table):
    return table[column_label(R.ENTERPRISE_ID)].tolist()


def test_each_list_holds_the_enterprises_whose_latest_decision_puts_them_there(run, ledger, tmp_path):
    results, ids = run
    with open_ledger(ledger) as led:
        lists = decided_lists(results, led, publication=load_publication(_publication(tmp_path)))
    # ids[4] is flagged by the screening but has no decision: it is on no list; ids[3]'s decision was withdrawn;
    # ids[5]'s exit decision was corrected, but a rectification decided after it is the latest; ids[6]'s
    # decision was recorded in 2025 and is outside the period only when the period says so (see below)
    assert sorted(_ids(lists[EXIT])) == sorted([ids[0], ids[2], UNKNOWN, ids[6]])
    assert sorted(_ids(lists[RECTIFY])) == sorted([ids[1], ids[5]])
    assert _ids(lists[CLOSED]) == [ids[2]]
    row = lists[EXIT].set_index(column_label(R.ENTERPRISE_ID)).loc[ids[2]]
    assert (row["决定文号"], row["发文单位"], row["处置决定"]) == ("通政复〔2026〕4号", GOV, "关闭取缔")
    first = lists[EXIT].set_index(column_label(R.ENTERPRISE_ID)).loc[ids[0]]
    assert (first["设备（生产线）"], first["产能"]) == ("水泥立窑2座", "20万吨/年")
    assert lists[EXIT].set_index(column_label(R.ENTERPRISE_ID)).loc[UNKNOWN, column_label(R.NAME)] == "未知"
    assert lists[RECTIFY].set_index(column_label(R.ENTERPRISE_ID)).loc[ids[1], "整改期限"] == "2026-06-30"
    closed = lists[CLOSED].iloc[0]
    assert (closed["原整改决定文号"], closed["整改期限"]) == ("通政复〔2026〕3号", "2026-03-31")


def test_the_period_keeps_the_decisions_recorded_in_it(run, ledger, tmp_path):
    results, ids = run
    publication = load_publication(_publication(tmp_path, decided_from="2026-01-01", decided_to="2026-12-31"))
    with open_ledger(ledger) as led:
        lists = decided_lists(results, led, publication=publication)
    assert ids[6] not in _ids(lists[EXIT]) and ids[0] in _ids(lists[EXIT])


def test_written_lists_carry_title_metadata_and_an_empty_list_says_so(run, tmp_path):
    results, ids = run
    path = tmp_path / "one.sqlite"
    with open_ledger(path) as led:
        led.append([_decision(ids[1], "rectify", "通政复〔2026〕2号")])
        written = list(
            write_lists(results, led, publication=load_publication(_publication(tmp_path)), out_dir=tmp_path)
        )
    assert [p.name for p in written] == [f"2026{EXIT}.xlsx", f"2026年{RECTIFY}.xlsx", f"2026年{CLOSED}.xlsx"]
    book = openpyxl.load_workbook(written[1], read_only=True)
    try:
        rows = [[c.value for c in r] for r in book.worksheets[0].iter_rows()]
    finally:
        book.close()
    note = rows[0][0]
    assert note.startswith(f"2026年{RECTIFY}") and PUBLICATION["publisher"] in note
    assert "7日" in note and PUBLICATION["objection"]["channel"] in note and PUBLICATION["contact"] in note
    assert ids[1] in rows[2]
    book = openpyxl.load_workbook(written[0], read_only=True)
    try:
        note = next(book.worksheets[0].iter_rows(max_row=1, values_only=True))[0]
    finally:
        book.close()
    assert "本期没有经决定列入本名单的企业" in note


def test_a_list_can_be_left_out(run, tmp_path):
    results, _ = run
    with open_ledger(tmp_path / "l.sqlite") as led:
        written = write_lists(
            results, led, publication=load_publication(_publication(tmp_path, lists=["rectify"])), out_dir=tmp_path
        )
    assert [p.name for p in written] == [f"2026年{RECTIFY}.xlsx"]


def test_the_publication_file_is_checked(tmp_path):
    with pytest.raises(ConfigError, match="objection.dayz"):
        load_publication(_publication(tmp_path, objection={"channel": "x", "days": 7, "dayz": 1}))
    with pytest.raises(ConfigError, match="publisher"):
        load_publication(_publication(tmp_path, publisher=""))
    assert load_publication(EXAMPLE_PUBLICATION).objection.days > 0


def test_lists_command(run, ledger, tmp_path, capsys):
    results, _ = run
    out = tmp_path / "out"
    args = ["lists", str(results), "--ledger", str(ledger), "--config", str(_publication(tmp_path)), "--out", str(out)]
    assert main(args) == 0
    said = capsys.readouterr().out
    assert f"2026{EXIT}.xlsx: 4" in said
    assert (out / f"2026年{CLOSED}.xlsx").exists()
    args[args.index("--config") + 1] = str(tmp_path / "missing.yaml")
    assert main(args) == 2


def test_an_enterprise_listed_twice_in_the_run_is_listed_once(tmp_path):
    res = make_result(20, seed=0)
    ents = res.enterprises
    ents.loc[1, R.ENTERPRISE_ID] = ents.loc[0, R.ENTERPRISE_ID]
    write_results(res, tmp_path / "run", formats=("gpkg", "parquet"))
    with open_ledger(tmp_path / "l.sqlite") as led:
        led.append([_decision(ents.loc[0, R.ENTERPRISE_ID], "close", "通政复〔2026〕1号")])
        lists = decided_lists(tmp_path / "run", led, publication=load_publication(_publication(tmp_path)))
    assert _ids(lists[EXIT]) == [ents.loc[0, R.ENTERPRISE_ID]]
