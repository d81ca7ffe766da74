"""``geo-screen ledger log`` and ``geo-screen ledger check``: exit codes and what they print."""

from __future__ import annotations

import sqlite3

from ledger_factory import USCC, finding

from geo_screen.cli import main
from geo_screen.ledger.entries import Entry
from geo_screen.ledger.store import open_ledger


def _ledger(tmp_path):
    path = tmp_path / "台账.sqlite"
    with open_ledger(path) as ledger:
        ledger.append(
            [
                finding(standard="9", note="厂区在沿江生态带内", run_id="run-1"),
                Entry("decision", USCC[0], "李四", standard="9", value="relocate", doc_number="通政复〔2025〕3号"),
                finding(USCC[1]),
            ]
        )
    return path


def test_ledger_log_prints_one_enterprise_history_in_order(tmp_path, capsys):
    path = _ledger(tmp_path)
    assert main(["ledger", "log", USCC[0], "--ledger", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{USCC[0]}：2 条台账记录"
    assert out[1].startswith("#1 ") and "北京时间" in out[1] and "核查结论  标准9：属实" in out[1]
    assert "说明 厂区在沿江生态带内" in out[1] and "记录人 张三" in out[1] and "筛查批次 run-1" in out[1]
    assert out[2].startswith("#2 ") and "处置决定  标准9：搬迁" in out[2] and "文号 通政复〔2025〕3号" in out[2]
    assert main(["ledger", "log", "91320600000000000X", "--ledger", str(path)]) == 0
    assert "没有记录" in capsys.readouterr().out


def test_ledger_check_exits_1_naming_the_first_bad_entry(tmp_path, capsys):
    path = _ledger(tmp_path)
    assert main(["ledger", "check", "--ledger", str(path)]) == 0
    assert "intact: 3 entries" in capsys.readouterr().out
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER ledger_entries_no_update")
    con.execute("UPDATE ledger_entries SET doc_number = '通政复〔2025〕4号' WHERE seq = 2")
    con.commit()
    con.close()
    assert main(["ledger", "check", "--ledger", str(path)]) == 1
    assert "broken at entry 2" in capsys.readouterr().out


def test_a_ledger_in_a_missing_folder_is_a_user_error(tmp_path, capsys):
    assert main(["ledger", "check", "--ledger", str(tmp_path / "no" / "l.sqlite")]) == 2
    assert "does not exist" in capsys.readouterr().err
