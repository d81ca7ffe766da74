"""The ledger store on SQLite and PostgreSQL: append-only entries, the hash chain, schema version, two writers."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from ledger_factory import USCC, finding

from geo_screen.errors import ConfigError, InputDataError
from geo_screen.ledger.entries import GENESIS_HASH, Entry, canonical_json, entry_hash
from geo_screen.ledger.store import SCHEMA_VERSION, open_ledger


def test_entries_are_numbered_chained_and_read_back_in_order(ledger_target):
    with open_ledger(ledger_target) as ledger:
        first = ledger.append([finding(standard="3", note="厂区在红线内", run_id="r1")])
        more = ledger.append(
            [
                Entry("decision", USCC[0], "李四", standard="3", value="relocate", doc_number="通政复〔2024〕12号",
                      issuing_unit="南通市人民政府"),
                Entry("deadline", USCC[0], "李四", due_date="2025-06-30"),
                Entry("location_fix", USCC[1], "王五", lon=120.861234, lat=32.012345),
            ]
        )  # fmt: skip
        assert [e.seq for e in first + more] == [1, 2, 3, 4]
        assert first[0].prev_hash == GENESIS_HASH and more[0].prev_hash == first[0].entry_hash
        assert first[0].recorded_at.endswith("+08:00")
        back = ledger.entries()
        assert back == first + more
        assert [e.kind for e in ledger.entries(USCC[0])] == ["finding", "decision", "deadline"]
        assert back[3].lon == 120.861234 and back[1].doc_number == "通政复〔2024〕12号"
        assert ledger.check().ok and ledger.check().entries == 4
        assert ledger.schema_version == SCHEMA_VERSION


def test_the_hash_covers_every_field_and_the_predecessor():
    fields = finding(note="甲").fields() | {
        "seq": 1,
        "prev_hash": GENESIS_HASH,
        "recorded_at": "2025-01-01T09:00:00+08:00",
    }
    assert '"note":"甲"' in canonical_json(fields) and "entry_hash" not in canonical_json(fields)
    base = entry_hash(fields)
    for key, value in [("note", "乙"), ("prev_hash", "1" * 64), ("seq", 2), ("value", "不属实")]:
        assert entry_hash(fields | {key: value}) != base, key


def test_a_bad_entry_records_nothing_and_says_why(ledger_target):
    with open_ledger(ledger_target) as ledger:
        ledger.append([finding()])
        with pytest.raises(InputDataError, match="nothing recorded") as err:
            ledger.append([finding(), finding(value="差不多"), Entry("decision", USCC[0], "李四", value="关掉")])
        assert "finding '差不多' is not one of 属实/不属实" in str(err.value)
        assert "decision '关掉' is not a disposition code" in str(err.value)
        with pytest.raises(InputDataError, match="names entry 99, which does not exist"):
            ledger.append([finding(value="不属实", corrects=99)])
        assert len(ledger.entries()) == 1
        assert ledger.append([finding(value="不属实", corrects=1)])[0].corrects == 1


def test_the_database_refuses_updates_and_deletes(ledger_target):
    import sqlalchemy as sa

    from geo_screen.ledger.store import entries_table

    with open_ledger(ledger_target) as ledger:
        ledger.append([finding()])
        for statement in (sa.update(entries_table).values(value="不属实"), sa.delete(entries_table)):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), ledger.engine.begin() as conn:
                conn.execute(statement)
        assert ledger.entries()[0].value == "属实"


def test_tampering_with_one_entry_in_the_sqlite_file_breaks_the_chain(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with open_ledger(path) as ledger:
        ledger.append([finding(USCC[i % 3], note=f"第{i}条") for i in range(5)])
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER ledger_entries_no_update")  # what someone editing the file by hand would do
    con.execute("UPDATE ledger_entries SET value = '不属实' WHERE seq = 3")
    con.commit()
    con.close()
    with open_ledger(path) as ledger:
        result = ledger.check()
    assert not result.ok and result.first_bad == 3 and "edited" in result.text()


def test_a_removed_or_rehashed_entry_is_found_by_its_successor(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with open_ledger(path) as ledger:
        entries = ledger.append([finding(note=str(i)) for i in range(4)])
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER ledger_entries_no_update")
    con.execute("DROP TRIGGER ledger_entries_no_delete")
    # edit entry 2 and recompute its own hash: entry 3 still names the old one
    fields = entries[1].fields() | {"note": "改过", "entry_hash": None}
    con.execute("UPDATE ledger_entries SET note = '改过', entry_hash = ? WHERE seq = 2", (entry_hash(fields),))
    con.commit()
    with open_ledger(path) as ledger:
        assert ledger.check().first_bad == 3
    con.execute("DELETE FROM ledger_entries WHERE seq = 4")
    con.execute("DELETE FROM ledger_entries WHERE seq = 2")
    con.commit()
    con.close()
    with open_ledger(path) as ledger:
        result = ledger.check()
    assert result.first_bad == 2 and "missing" in result.problem


def test_two_writers_at_once_lose_nothing_and_keep_one_chain(ledger_target):
    open_ledger(ledger_target).close()  # created once, as a county would before handing it out
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            with open_ledger(ledger_target) as ledger:
                for i in range(15):
                    ledger.append([finding(USCC[i % 3], recorded_by=name, note=f"{name}-{i}")])
        except BaseException as err:  # reported below, not swallowed
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with open_ledger(ledger_target) as ledger:
        entries = ledger.entries()
        assert len(entries) == 30 and [e.seq for e in entries] == list(range(1, 31))
        assert {e.note for e in entries} == {f"{n}-{i}" for n in "甲乙" for i in range(15)}
        assert ledger.check().ok


def test_a_ledger_from_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "ledger.sqlite"
    open_ledger(path).close()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO ledger_schema VALUES (?, '2099-01-01T00:00:00+08:00')", (SCHEMA_VERSION + 1,))
    con.commit()
    con.close()
    with pytest.raises(ConfigError, match="newer than this geo_screen's.*upgrade geo_screen"):
        open_ledger(path)


def test_a_ledger_location_says_what_is_wrong(tmp_path):
    with pytest.raises(ConfigError, match="does not exist; create it"):
        open_ledger(tmp_path / "no" / "such" / "ledger.sqlite")
    with pytest.raises(ConfigError, match="give a file path .SQLite. or a postgresql:// URL"):
        open_ledger("mysql://x/y")
