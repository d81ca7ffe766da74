"""geo-screen verify: a returned 现场核查表.xlsx into the ledger, all rows or none, each bad cell named."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date

import openpyxl
import pytest

from geo_screen import results as R
from geo_screen.cli import main
from geo_screen.errors import InputDataError
from geo_screen.ledger.store import open_ledger
from geo_screen.ledger.verify import import_checklist
from geo_screen.outputs.packages import package_bytes

TODAY = date(2026, 1, 15)


@pytest.fixture(scope="module")
def blank(demo_run, tmp_path_factory):
    """通州区's checklist as the county receives it, and the enterprises it lists."""
    data = package_bytes(demo_run, value="通州区", formats=("xlsx",))
    path = tmp_path_factory.mktemp("checklist") / "blank.xlsx"
    path.write_bytes(zipfile.ZipFile(io.BytesIO(data)).read("现场核查表.xlsx"))
    ws = openpyxl.load_workbook(path)["现场核查表"]
    header = [c.value for c in ws[2]]
    ids = [r[header.index("统一社会信用代码")] for r in ws.iter_rows(min_row=3, values_only=True)]
    return path, ids


def fill(blank_path, out, rows: dict[str, dict], *, sheet_edit=None):
    """Write ``out``: the blank checklist with the given enterprise rows' cells filled (header -> value)."""
    book = openpyxl.load_workbook(blank_path)
    ws = book["现场核查表"]
    header = [c.value for c in ws[2]]
    for row in ws.iter_rows(min_row=3):
        values = rows.get(row[header.index("统一社会信用代码")].value)
        for column, value in (values or {}).items():
            row[header.index(column)].value = value
    if sheet_edit:
        sheet_edit(ws, header)
    book.save(out)
    return out


def found(by="张三", **more):
    return {"核查结论": "属实", "核查人": by, "日期": "2026-01-10", "核查情况说明": "现场核实", **more}


def test_a_filled_checklist_becomes_findings_decisions_deadlines_and_location_fixes(blank, demo_run, tmp_path):
    path, ids = blank
    filled = fill(
        path,
        tmp_path / "现场核查表.xlsx",
        {
            ids[0]: found(
                决定处置="搬迁", 决定文号="通政复〔2026〕1号", 发文单位="南通市人民政府", 整改期限="2026-07-10"
            ),
            ids[1]: found(核查结论="位置有误", 更正经度=120.95, 更正纬度=32.05, 核查情况说明="厂区在河对岸"),
        },
    )
    run_id = json.loads((demo_run / "run.json").read_text("utf-8"))["run_id"]
    with open_ledger(tmp_path / "l.sqlite") as ledger:
        done = import_checklist(filled, ledger, by="通州区工信局", run=demo_run, today=TODAY)
        assert done.rows == 2 and [e.kind for e in done.entries] == [
            "finding", "decision", "deadline", "finding", "location_fix",
        ]  # fmt: skip
        finding, decision, deadline, wrong, fix = done.entries
        assert (finding.enterprise_id, finding.value, finding.inspector, finding.checked_on) == (
            ids[0], "属实", "张三", "2026-01-10",
        )  # fmt: skip
        assert (decision.value, decision.doc_number, decision.issuing_unit) == (
            "relocate", "通政复〔2026〕1号", "南通市人民政府",
        )  # fmt: skip
        assert deadline.due_date == "2026-07-10" and (fix.lon, fix.lat) == (120.95, 32.05)
        assert wrong.value == "位置有误" and wrong.note == "厂区在河对岸"
        assert {e.run_id for e in done.entries} == {run_id} and {e.recorded_by for e in done.entries} == {
            "通州区工信局"
        }
        assert {e.source_file for e in done.entries} == {"现场核查表.xlsx"} and finding.source_row == 3
        assert len(finding.source_sha256) == 64 and ledger.check().ok
        again = import_checklist(filled, ledger, by="通州区工信局", run=demo_run, today=TODAY)
        assert again.already and not again.entries and len(ledger.entries()) == 5


def test_every_bad_cell_is_reported_at_once_and_nothing_is_recorded(blank, demo_run, tmp_path):
    path, ids = blank

    def foreign_row(ws, header):
        ws.cell(row=6, column=header.index("统一社会信用代码") + 1, value="91320600000000000X")

    filled = fill(
        path,
        tmp_path / "bad.xlsx",
        {
            ids[0]: found(核查结论="基本属实"),
            ids[1]: found(日期="2026-02-01"),
            ids[2]: found(核查人=None, 决定处置="关掉", 更正经度=12.0, 更正纬度=32.0),
            ids[3]: found(),
        },
        sheet_edit=foreign_row,
    )
    with open_ledger(tmp_path / "l.sqlite") as ledger:
        with pytest.raises(InputDataError) as err:
            import_checklist(filled, ledger, by="王五", run=demo_run, today=TODAY)
        assert len(ledger.entries()) == 0
    text = str(err.value)
    assert text.startswith("bad.xlsx: nothing recorded in the ledger (7 problems)")
    assert "row 3, column 核查结论: found '基本属实'; allowed: 属实 / 不属实 / 已整改到位" in text
    assert "row 4, column 日期: found '2026-02-01'; allowed: a date not after today (2026-01-15)" in text
    assert "row 5, column 核查人: found None; allowed: the inspector's name" in text
    assert "row 5, column 决定处置: found '关掉'; allowed: 关闭取缔 / 搬迁" in text
    assert "row 5, column 决定文号" in text and "row 5, column 更正经度: found 12;" in text
    assert "row 6, column 统一社会信用代码: found '91320600000000000X'; allowed: an enterprise of the run" in text


def test_a_checklist_from_another_run_is_refused(blank, demo_run, tmp_path):
    path, ids = blank

    def other_run(ws, header):
        for row in ws.iter_rows(min_row=3):
            row[header.index("筛查批次")].value = "20240101T000000Z-00000000"

    filled = fill(path, tmp_path / "other.xlsx", {ids[0]: found()}, sheet_edit=other_run)
    with open_ledger(tmp_path / "l.sqlite") as ledger:
        with pytest.raises(InputDataError, match="column 筛查批次: found '20240101T000000Z-00000000'; allowed: "):
            import_checklist(filled, ledger, by="王五", run=demo_run, today=TODAY)
        assert not ledger.entries()


def test_a_changed_copy_adds_what_is_new_and_refuses_changes_unless_recorded_as_corrections(blank, demo_run, tmp_path):
    path, ids = blank
    target = tmp_path / "现场核查表.xlsx"
    with open_ledger(tmp_path / "l.sqlite") as ledger:
        import_checklist(fill(path, target, {ids[0]: found()}), ledger, by="甲", run=demo_run, today=TODAY)
        # the decision arrives later, written into the same file: only the decision is added
        later = fill(path, target, {ids[0]: found(决定处置="转型", 决定文号="通政复〔2026〕2号")})
        added = import_checklist(later, ledger, by="甲", run=demo_run, today=TODAY)
        assert [e.kind for e in added.entries] == ["decision"]
        # the recorded finding edited in the file: refused, the ledger unchanged
        edited = fill(path, target, {ids[0]: found(核查结论="不属实", 决定处置="转型", 决定文号="通政复〔2026〕2号")})
        with pytest.raises(InputDataError, match=r"row 3 changes what entry #1 recorded .*value: '属实' -> '不属实'"):
            import_checklist(edited, ledger, by="甲", run=demo_run, today=TODAY)
        assert len(ledger.entries()) == 2
        fixed = import_checklist(edited, ledger, by="甲", run=demo_run, today=TODAY, corrections=True)
        assert [(e.kind, e.value, e.corrects) for e in fixed.entries] == [("finding", "不属实", 1)]
        assert ledger.check().ok


def test_verify_command_exit_codes(blank, demo_run, tmp_path, capsys):
    path, ids = blank
    ledger = str(tmp_path / "l.sqlite")
    good = fill(path, tmp_path / "good.xlsx", {ids[0]: found(日期=date.today().isoformat())})
    args = ["verify", str(good), "--ledger", ledger, "--by", "乙", "--run", str(demo_run)]
    assert main(args) == 0
    assert "1 filled rows -> 1 ledger entries" in capsys.readouterr().out
    assert main(args) == 0 and "imported before" in capsys.readouterr().out
    bad = fill(path, tmp_path / "bad.xlsx", {ids[0]: found(核查结论="?")})
    assert main(["verify", str(bad), "--ledger", ledger, "--by", "乙", "--run", str(demo_run)]) == 2
    assert "column 核查结论: found '?'" in capsys.readouterr().err
    with open_ledger(ledger) as opened:
        assert len(opened.entries()) == 1 and opened.entries()[0].enterprise_id == ids[0]
    assert R.ENTERPRISE_ID  # the results contract names the key the ledger keeps


def test_verify_refuses_a_run_folder_whose_files_do_not_match_run_json(blank, demo_run, tmp_path, capsys):
    import shutil

    path, ids = blank
    run = tmp_path / "run"
    shutil.copytree(demo_run, run)
    (run / R.XLSX_NAME).unlink()
    good = fill(path, tmp_path / "good.xlsx", {ids[0]: found(日期=date.today().isoformat())})
    args = ["verify", str(good), "--ledger", str(tmp_path / "l.sqlite"), "--by", "乙", "--run", str(run)]
    assert main(args) == 2
    assert re.search(
        r"results.xlsx is missing.*re-run 'geo-screen screen' into this folder \(--out\)", capsys.readouterr().err
    )


def test_verify_without_a_run_records_the_checklist_s_own_run_and_says_codes_were_not_checked(
    blank, demo_run, tmp_path, capsys
):
    """The issue's command line: ``geo-screen verify FILLED --ledger LEDGER --by NAME``."""
    path, ids = blank
    ledger = str(tmp_path / "l.sqlite")
    good = fill(path, tmp_path / "good.xlsx", {ids[0]: found(日期=date.today().isoformat())})
    assert main(["verify", str(good), "--ledger", ledger, "--by", "乙"]) == 0
    assert "not checked against the run's enterprises" in capsys.readouterr().out
    run_id = json.loads((demo_run / "run.json").read_text("utf-8"))["run_id"]
    with open_ledger(ledger) as opened:
        assert [(e.enterprise_id, e.run_id) for e in opened.entries()] == [(ids[0], run_id)]

    def two_runs(ws, header):
        ws.cell(row=4, column=header.index("筛查批次") + 1).value = "20990101-000000-ffffff"

    mixed = fill(path, tmp_path / "mixed.xlsx", {ids[0]: found()}, sheet_edit=two_runs)
    assert main(["verify", str(mixed), "--ledger", ledger, "--by", "乙"]) == 2
    err = capsys.readouterr().err
    assert "must name one screening run" in err and "--run RUN_DIR" in err
