"""A run screened with the ledger: its verification, decision, deadline and overdue columns on the exports."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import openpyxl
import pytest
import shapefile
from results_factory import make_result

from geo_screen import results as R
from geo_screen import write_results
from geo_screen.ledger.store import open_ledger
from geo_screen.ledger.verify import import_checklist
from geo_screen.outputs.checklist import CHECK_COLUMNS, checklist_frame
from geo_screen.outputs.packages import package_bytes
from geo_screen.vocabulary import DISPOSITION_ZH, LEDGER_STATE_HEADERS, UNVERIFIED, YES_ZH

DOC = "通政复〔2026〕1号"
#: the DBF field names of the ledger columns (vocabulary.COLUMNS)
LEDGER_FIELDS = ("VERIFIED", "DECIDED", "DECIS_DOC", "DUE_DATE", "OVERDUE")


def _with_ledger(result: R.ScreenResult) -> R.ScreenResult:
    """The result as a screening given the ledger leaves it: row 0 decided, overdue and found not rectified."""
    ents = result.enterprises.copy()
    ents[R.VERIFICATION] = UNVERIFIED
    ents[R.DECIDED_DISPOSITION] = None
    ents[R.DECISION_DOC] = None
    ents[R.DUE_DATE] = None
    ents[R.OVERDUE] = False
    ents.loc[0, [R.VERIFICATION, R.DECIDED_DISPOSITION, R.DECISION_DOC, R.DUE_DATE, R.OVERDUE]] = [
        "整改不到位", "stop", DOC, "2026-03-31", True,
    ]  # fmt: skip
    return R.ScreenResult(ents, result.hits, result.manifest)


@pytest.fixture(scope="module")
def plain():
    return make_result(20, seed=0)


@pytest.fixture(scope="module")
def ledgered(plain):
    return _with_ledger(plain)


def test_the_checklist_shows_what_the_ledger_says_before_the_inspectors_columns(ledgered):
    table = checklist_frame(ledgered.enterprises, ledgered.hits, run_id="r")
    headers = list(table.columns)
    shown = list(LEDGER_STATE_HEADERS.values())
    at = headers.index(shown[0])
    assert headers[at : at + len(shown)] == shown and at + len(shown) <= headers.index(CHECK_COLUMNS[0])
    row = table.set_index("统一社会信用代码").loc[ledgered.enterprises.loc[0, R.ENTERPRISE_ID]]
    assert [row[h] for h in shown] == ["整改不到位", DISPOSITION_ZH["stop"], DOC, "2026-03-31", YES_ZH]
    other = table.set_index("统一社会信用代码").loc[ledgered.enterprises.loc[1, R.ENTERPRISE_ID]]
    assert [other[h] for h in shown] == [UNVERIFIED, "", "", "", ""]
    assert table[CHECK_COLUMNS[0]].isna().all()  # the inspector's columns stay empty: nothing is pre-filled


def test_a_run_without_a_ledger_has_a_checklist_as_before(plain):
    table = checklist_frame(plain.enterprises, plain.hits, run_id="r")
    assert not set(LEDGER_STATE_HEADERS.values()) & set(table.columns)


def _package(result, tmp_path):
    value = result.enterprises.loc[0, R.COUNTY]
    data = zipfile.ZipFile(io.BytesIO(package_bytes(result, value=value, formats=("shp", "xlsx"))))
    data.extractall(tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(data.read("现场核查表.xlsx")), read_only=True)
    try:
        header = [c.value for c in next(book["现场核查表"].iter_rows(min_row=2, max_row=2))]
    finally:
        book.close()
    points = next(tmp_path.glob("*_点.dbf"))
    with shapefile.Reader(str(points), encoding="utf-8") as dbf:
        fields = [f[0] for f in dbf.fields[1:]]
        records = [r.as_dict() for r in dbf.records()]
    return header, fields, records


def test_county_packages_carry_the_ledger_columns(ledgered, tmp_path):
    header, fields, records = _package(ledgered, tmp_path)
    assert set(LEDGER_FIELDS) <= set(fields) and set(LEDGER_STATE_HEADERS.values()) <= set(header)
    row = next(r for r in records if r["USCC"] == ledgered.enterprises.loc[0, R.ENTERPRISE_ID])
    assert (row["VERIFIED"], row["DECIDED"], row["DECIS_DOC"], row["DUE_DATE"]) == ("整改不到位", "stop", DOC,
                                                                                   "2026-03-31")  # fmt: skip
    assert row["OVERDUE"] == YES_ZH


def test_county_packages_without_a_ledger_have_no_ledger_columns(plain, tmp_path):
    header, fields, _ = _package(plain, tmp_path)
    assert not set(LEDGER_FIELDS) & set(fields) and not set(LEDGER_STATE_HEADERS.values()) & set(header)


def test_a_checklist_showing_the_ledger_imports_like_any_other(ledgered, tmp_path):
    """The 台账 columns are read as what they are: the import reads only the columns filled in on site."""
    run = tmp_path / "run"
    write_results(ledgered, run, formats=("gpkg", "parquet"))
    uscc = ledgered.enterprises.loc[0, R.ENTERPRISE_ID]
    data = package_bytes(run, value=ledgered.enterprises.loc[0, R.COUNTY], formats=("xlsx",))
    path = tmp_path / "现场核查表.xlsx"
    path.write_bytes(zipfile.ZipFile(io.BytesIO(data)).read("现场核查表.xlsx"))
    book = openpyxl.load_workbook(path)
    ws = book["现场核查表"]
    header = [c.value for c in ws[2]]
    row = next(r for r in ws.iter_rows(min_row=3) if r[header.index("统一社会信用代码")].value == uscc)
    for column, value in {"核查结论": "已整改到位", "核查人": "张三", "日期": "2026-05-01"}.items():
        row[header.index(column)].value = value
    book.save(path)
    with open_ledger(tmp_path / "l.sqlite") as ledger:
        done = import_checklist(path, ledger, by="通州区工信局", run=run, today=date(2026, 6, 1))
    assert [(e.kind, e.enterprise_id, e.value) for e in done.entries] == [("finding", uscc, "已整改到位")]
