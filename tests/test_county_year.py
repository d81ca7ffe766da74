"""A county's year, scripted through the command line: screen → checklist → filled in → verify (findings and
decisions) → notices → a year later, re-screened with moved, closed and new enterprises → diff → the published
lists; the ledger's chain holds throughout, and one edited entry in the SQLite file breaks it."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import docx
import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from geo_screen import results as R
from geo_screen.cli import main
from geo_screen.pack.demo import demo_paths

pytestmark = pytest.mark.slow

COUNTY = "通州区"
UNIT = "南通市通州区人民政府"
PUBLICATION = """\
publisher: 南通市淘汰落后产能工作领导小组办公室
year: 2026
period: 2026年1月1日至2026年12月31日
objection:
  channel: 南通市工业和信息化局（电话 0513-00000000）
  days: 7
contact: 联系人：李四　联系电话：0513-86000000
"""


def _checklist(package: Path) -> tuple[Path, list[str]]:
    """The county's 现场核查表.xlsx taken out of its package, and the enterprises it lists."""
    path = package.parent / f"{COUNTY}_现场核查表.xlsx"
    path.write_bytes(zipfile.ZipFile(package).read("现场核查表.xlsx"))
    ws = openpyxl.load_workbook(path)["现场核查表"]
    header = [c.value for c in ws[2]]
    return path, [r[header.index("统一社会信用代码")] for r in ws.iter_rows(min_row=3, values_only=True)]


def _fill(blank: Path, rows: dict[str, dict]) -> Path:
    """The checklist as the county returns it: the given enterprises' cells filled in (header -> value)."""
    book = openpyxl.load_workbook(blank)
    ws = book["现场核查表"]
    header = [c.value for c in ws[2]]
    for row in ws.iter_rows(min_row=3):
        for column, value in rows.get(row[header.index("统一社会信用代码")].value, {}).items():
            row[header.index(column)].value = value
    out = blank.with_name(f"{COUNTY}_现场核查表_已填.xlsx")
    book.save(out)
    return out


def _visit(verdict: str = "属实", **more) -> dict:
    return {"核查结论": verdict, "核查人": "张三", "日期": "2026-03-10", "核查情况说明": "现场核实", **more}


def _docx_texts(zip_path: Path) -> dict[str, str]:
    with zipfile.ZipFile(zip_path) as z:
        return {
            name: "\n".join(p.text for p in docx.Document(io.BytesIO(z.read(name))).paragraphs)
            + "\n".join(c.text for t in docx.Document(io.BytesIO(z.read(name))).tables for r in t.rows for c in r.cells)
            for name in z.namelist()
        }


def test_a_county_year_from_the_proposal_to_the_published_lists(tmp_path, capsys):
    demo = demo_paths()
    ledger = str(tmp_path / f"{COUNTY}台账.sqlite")
    y1, y2 = tmp_path / "runs" / "2025", tmp_path / "runs" / "2026"

    # 1. the proposal (初筛)
    assert (
        main(["screen", str(demo["registry"]), "--layers", str(demo["catalog"]), "--crs", "gcj02", "--out", str(y1)])
        == 0
    )
    first = R.load_result(y1)
    ents = first.enterprises
    unique = ~ents[R.ENTERPRISE_ID].duplicated(keep=False)
    here = ents[(ents[R.COUNTY] == COUNTY) & R.flagged_mask(ents) & unique.to_numpy()]
    assert len(here) >= 4

    # 2. the checklist, in the county's package
    assert main(["export", str(y1 / R.GPKG_NAME), "--out", str(tmp_path / "packages")]) == 0
    blank, listed = _checklist(tmp_path / "packages" / f"{COUNTY}.zip")
    assert set(here[R.ENTERPRISE_ID]) <= set(listed)
    closed, rectified, untrue, misplaced = here[R.ENTERPRISE_ID].iloc[:4]
    true_point = ents.loc[ents[R.ENTERPRISE_ID] == misplaced].geometry.iloc[0]

    # 3. filled in on site, with the authority's decisions, and 4. recorded (verify)
    filled = _fill(
        blank,
        {
            closed: _visit(决定处置="关闭取缔", 决定文号="通政决〔2026〕11号", 发文单位=UNIT),
            rectified: _visit(
                决定处置="限期整改/补办手续", 决定文号="通政决〔2026〕12号", 发文单位=UNIT, 整改期限="2026-09-30"
            ),
            untrue: _visit("不属实", 核查情况说明="已于2025年停产并拆除设备"),
            misplaced: _visit("位置有误", 更正经度=round(true_point.x + 0.02, 6), 更正纬度=round(true_point.y, 6)),
        },
    )
    assert main(["verify", str(filled), "--ledger", ledger, "--by", "通州区工信局", "--run", str(y1)]) == 0
    assert "4 filled rows -> 8 ledger entries" in capsys.readouterr().out
    assert main(["verify", str(filled), "--ledger", ledger, "--by", "通州区工信局", "--run", str(y1)]) == 0
    assert "imported before" in capsys.readouterr().out  # the same file twice adds nothing

    # 5. notices to the decided enterprises
    notices = tmp_path / "notices"
    for kind in ("告知书", "限期整改通知书"):
        assert main(["notices", str(y1), "--ledger", ledger, "--kind", kind, "--out", str(notices)]) == 0
    told = _docx_texts(notices / f"{COUNTY}_告知书.zip")
    assert set(told) == {f"{closed}_告知书.docx", f"{rectified}_告知书.docx"}
    assert "通政决〔2026〕11号" in told[f"{closed}_告知书.docx"] and "陈述" in told[f"{closed}_告知书.docx"]
    ordered = _docx_texts(notices / f"{COUNTY}_限期整改通知书.zip")
    assert list(ordered) == [f"{rectified}_限期整改通知书.docx"]
    assert "2026年9月30日" in ordered[f"{rectified}_限期整改通知书.docx"]

    # 6. a year later: the closed enterprise is gone from the registry, one moved, one is new
    registry = pd.read_csv(demo["registry"], encoding="gbk", dtype=str)
    uscc, lon, lat = registry.columns[0], registry.columns[4], registry.columns[5]
    registry = registry[registry[uscc] != closed]
    clear_rows = ents[~R.flagged_mask(ents) & (ents[R.ROW_STATUS] == "ok") & unique.to_numpy()]
    moved = clear_rows[R.ENTERPRISE_ID].iloc[0]
    inside = first.hits[(first.hits["layer_id"] == "eco_redline") & (first.hits["disposition"] != "none")]
    inside = inside[~inside[R.ENTERPRISE_ID].isin([closed, untrue])]
    into = registry[registry[uscc] == inside[R.ENTERPRISE_ID].iloc[0]].iloc[0]  # onto a point in the red line
    registry.loc[registry[uscc] == moved, [lon, lat]] = into[[lon, lat]].to_numpy()
    new = registry[registry[uscc] == rectified].copy()
    new[uscc] = "91320612MA1N2026XX"
    registry = pd.concat([registry, new], ignore_index=True)
    next_year = tmp_path / "名录2026.csv"
    registry.to_csv(next_year, index=False, encoding="gbk")
    args = ["screen", str(next_year), "--layers", str(demo["catalog"]), "--crs", "gcj02", "--ledger", ledger]
    assert main([*args, "--out", str(y2)]) == 0
    second = R.load_result(y2).enterprises.set_index(R.ENTERPRISE_ID)
    assert second.loc[untrue, "verification"] == "不属实" and not R.flagged_mask(second.loc[[untrue]]).any()
    assert second.loc[rectified, "decided_disposition"] == "rectify" and bool(second.loc[rectified, "overdue"])
    assert "location_corrected" in second.loc[misplaced, R.ISSUES]

    # 7. what changed
    assert main(["diff", str(y1), str(y2), "--out", str(tmp_path / "changes")]) == 0
    changes = gpd.read_file(tmp_path / "changes" / "changes.gpkg", layer="changes")
    kinds = dict(zip(changes["统一社会信用代码"], changes["变化类别"]))
    assert "登记表中已无" in kinds[closed] and "新增企业" in kinds["91320612MA1N2026XX"]
    assert "新触及标准" in kinds[moved] and "不再触及标准" in kinds[untrue]
    assert (tmp_path / "changes" / "changes.xlsx").is_file()

    # 8. the published lists, from decisions only
    config = tmp_path / "公布信息.yaml"
    config.write_text(PUBLICATION, encoding="utf-8")
    assert main(["lists", str(y2), "--ledger", ledger, "--config", str(config), "--out", str(tmp_path / "名单")]) == 0
    published = {p.stem: p for p in (tmp_path / "名单").glob("*.xlsx")}
    exit_list = next(p for stem, p in published.items() if "落后产能退出企业名单" in stem)
    rectify_list = next(p for stem, p in published.items() if "限期整改" in stem)
    exit_text = json.dumps([list(r) for r in openpyxl.load_workbook(exit_list).active.values], ensure_ascii=False)
    rectify_text = json.dumps([list(r) for r in openpyxl.load_workbook(rectify_list).active.values], ensure_ascii=False)
    assert closed in exit_text and "通政决〔2026〕11号" in exit_text and untrue not in exit_text
    assert rectified in rectify_text and misplaced not in rectify_text + exit_text  # a finding is not a decision

    # 9. the chain holds; one edited entry breaks it
    assert main(["ledger", "check", "--ledger", ledger]) == 0
    capsys.readouterr()
    con = sqlite3.connect(ledger)
    con.execute("DROP TRIGGER ledger_entries_no_update")
    con.execute("UPDATE ledger_entries SET doc_number = '通政决〔2026〕99号' WHERE doc_number = '通政决〔2026〕11号'")
    con.commit()
    con.close()
    assert main(["ledger", "check", "--ledger", ledger]) == 1
    assert "broken at entry" in capsys.readouterr().out
