"""The card's ledger part: the history table and a finding recorded from the card through the ledger's API."""

from __future__ import annotations

import pytest
from ledger_factory import USCC, finding

from geo_screen.app import casefile
from geo_screen.errors import InputDataError
from geo_screen.ledger.entries import Entry
from geo_screen.ledger.facts import facts_from_entries
from geo_screen.ledger.store import open_ledger
from geo_screen.vocabulary import VERDICTS


def test_history_reads_every_kind_with_who_when_and_document(tmp_path):
    with open_ledger(tmp_path / "ledger.sqlite") as ledger:
        ledger.append(
            [
                finding(USCC[0], "属实", note="现场见熔炉", inspector="李四"),
                Entry("decision", USCC[0], "县工信局", value="close", doc_number="通工信〔2025〕3号"),
                Entry("deadline", USCC[0], "县工信局", due_date="2025-09-01"),
                Entry("location_fix", USCC[0], "王五", lon=120.9, lat=32.0),
                Entry("note", USCC[0], "王五", note="企业已申请听证"),
                finding(USCC[1], "不属实"),
            ]
        )
        table = casefile.history_table(ledger.entries(USCC[0]))
    assert list(table["类别"]) == ["核查结论", "处置决定", "整改期限", "位置更正", "备注"]
    assert list(table["内容"])[:2] == ["属实", "关闭取缔"]
    assert table.loc[1, "文号"] == "通工信〔2025〕3号" and table.loc[2, "整改期限"] == "2025-09-01"
    assert table.loc[3, "更正位置"] == "120.900000, 32.000000" and table.loc[4, "说明"] == "企业已申请听证"
    assert list(table["记录人"]) == ["张三", "县工信局", "县工信局", "王五", "王五"]
    assert table["记录时间"].str.contains("北京时间").all()
    assert "标准" not in table  # no entry names a standard: the column is left out


def test_history_of_an_enterprise_without_entries_is_empty():
    table = casefile.history_table([])
    assert table.empty and list(table.columns) == ["序号", "记录时间", "类别", "内容", "记录人"]


def test_recorded_finding_carries_user_run_and_source(tmp_path):
    with open_ledger(tmp_path / "ledger.sqlite") as ledger:
        (entry,) = casefile.record_finding(
            ledger,
            USCC[0],
            value="整改不到位",
            by="张三（zhangsan）",
            run_id="20250301-090000-abcdef",
            note=" 仍在生产 ",
        )
        assert ledger.entries(USCC[0]) == [entry] and ledger.check().ok
    assert (entry.kind, entry.value, entry.note) == ("finding", "整改不到位", "仍在生产")
    assert (entry.recorded_by, entry.run_id, entry.source_file) == ("张三（zhangsan）", "20250301-090000-abcdef", "app")
    assert casefile.history_table([entry]).loc[0, "来源"] == "地图记录"


def test_wrong_place_records_the_clicked_location_for_the_rescreening(tmp_path):
    with open_ledger(tmp_path / "ledger.sqlite") as ledger:
        entries = casefile.record_finding(
            ledger, USCC[0], value="位置有误", by="张三", run_id="r1", lonlat=(120.91234567891, 32.01)
        )
        facts = facts_from_entries(ledger.entries(), today=__import__("datetime").date(2025, 3, 1))
    assert [e.kind for e in entries] == ["finding", "location_fix"]
    assert facts.loc[0, "verification"] == "位置有误"
    assert facts.loc[0, "fixed_lon"] == pytest.approx(120.9123457) and facts.loc[0, "fixed_lat"] == 32.01


@pytest.mark.parametrize(
    ("finding_kw", "message"),
    [
        ({"value": "合格"}, "核查结论：填写的是「合格」；允许：" + " / ".join(VERDICTS)),
        ({"value": None}, "允许：属实"),
        ({"value": "属实", "by": " "}, "未登录"),
        ({"value": "位置有误"}, "请在地图上点击企业的正确位置"),
        ({"value": "位置有误", "lonlat": (2.35, 48.85)}, "不在中国境内"),
    ],
)
def test_bad_finding_is_one_chinese_message_and_nothing_recorded(tmp_path, finding_kw, message):
    kw = {"by": "张三", "run_id": "r1"} | finding_kw
    with open_ledger(tmp_path / "ledger.sqlite") as ledger:
        with pytest.raises(InputDataError, match="^未记录：") as err:
            casefile.record_finding(ledger, USCC[0], **kw)
        assert ledger.entries() == []
    assert message in str(err.value)


def test_an_enterprise_without_uscc_cannot_be_recorded(tmp_path):
    with pytest.raises(InputDataError, match="没有统一社会信用代码"):
        casefile.finding_entries(float("nan"), value="属实", by="张三", run_id=None)


def test_a_click_on_the_amap_basemap_is_taken_back_to_cgcs2000():
    assert casefile.clicked_lonlat({"lat": 32.0, "lng": 120.9}) == (120.9, 32.0)
    lon, lat = casefile.clicked_lonlat({"lat": 32.0, "lng": 120.9}, basemap="amap")
    assert 120.9 - lon == pytest.approx(0.0045, abs=0.002) and 32.0 - lat == pytest.approx(-0.002, abs=0.002)
    assert casefile.clicked_lonlat(None) is None and casefile.clicked_lonlat({"lat": None, "lng": None}) is None


def test_history_items_for_the_card_newest_first_with_user_text_escaped(tmp_path):
    with open_ledger(tmp_path / "ledger.sqlite") as ledger:
        ledger.append(
            [
                finding(USCC[0], "属实", note="见 *熔炉* [1]"),
                Entry("decision", USCC[0], "县工信局", value="close", doc_number="通工信〔2025〕3号"),
            ]
        )
        items = casefile.history_markdown(casefile.history_table(ledger.entries(USCC[0])))
    assert (
        items[0].startswith("**#2 处置决定：关闭取缔**")
        and "县工信局" in items[0]
        and "文号 通工信〔2025〕3号" in items[0]
    )
    assert items[1].startswith("**#1 核查结论：属实**") and r"说明 见 \*熔炉\* \[1\]" in items[1]


def test_a_click_on_an_office_s_gcj02_tiles_is_shifted_back_as_on_amap():
    from geo_screen.app.basemaps import BasemapSource

    office = BasemapSource(
        id="office", label="单位底图", kind="xyz", url="http://10.0.0.5/{z}/{x}/{y}.png", datum="gcj02"
    )
    plain = BasemapSource(
        id="plain", label="单位底图", kind="xyz", url="http://10.0.0.5/{z}/{x}/{y}.png", datum="cgcs2000"
    )
    click = {"lat": 32.0, "lng": 120.9}
    assert casefile.clicked_lonlat(click, basemap=office) == casefile.clicked_lonlat(click, basemap="amap")
    assert casefile.clicked_lonlat(click, basemap=plain) == (120.9, 32.0)
