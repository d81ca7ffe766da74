"""geo-screen verify FILLED.gpkg: a county package's GeoPackage edited in QGIS, into the ledger all rows or none."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from datetime import date

import pandas as pd
import pyogrio
import pytest
import shapely

from geo_screen import results as R
from geo_screen.cli import main
from geo_screen.errors import InputDataError
from geo_screen.ledger.store import open_ledger
from geo_screen.ledger.verify import import_checklist
from geo_screen.outputs.packages import package_bytes
from geo_screen.vocabulary import CHECK_COLUMNS, DECISION_COLUMNS, RUN_ID_HEADER

TODAY = date(2026, 1, 15)
#: the fields a county fills in, as the checklist names them
FILL_FIELDS = [*CHECK_COLUMNS[:4], *DECISION_COLUMNS]


@pytest.fixture(scope="module")
def blank(demo_run, tmp_path_factory):
    """通州区's GeoPackage as the county receives it (geo-screen export --format gpkg)."""
    data = package_bytes(demo_run, value="通州区", formats=("gpkg",))
    path = tmp_path_factory.mktemp("gpkg") / "通州区.gpkg"
    path.write_bytes(zipfile.ZipFile(io.BytesIO(data)).read("通州区.gpkg"))
    return path


def edited(blank, out, rows: dict[int, dict]):
    """``out``: the package's GeoPackage with the given features (by fid) edited in place, as QGIS saves an edit
    (an UPDATE of the feature's row through GDAL's GeoPackage driver; the other layers and fids stay)."""
    out.write_bytes(blank.read_bytes())
    with sqlite3.connect(out) as db:
        _gdal_functions(db)
        for fid, values in rows.items():
            sets = ", ".join(f'"{k}" = ?' for k in values)
            db.execute(f'UPDATE "{R.ENTERPRISES_LAYER}" SET {sets} WHERE fid = ?', [*values.values(), fid])
    return out


def _gdal_functions(db: sqlite3.Connection) -> None:
    """The SQL functions GDAL gives a GeoPackage connection, which the layer's R-tree triggers call on an UPDATE."""

    def geometry(blob):
        envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(blob[3] >> 1) & 7]
        return shapely.from_wkb(bytes(blob[8 + envelope :]))

    db.create_function("ST_IsEmpty", 1, lambda b: 1 if b is None or geometry(b).is_empty else 0)
    for i, name in enumerate(("ST_MinX", "ST_MinY", "ST_MaxX", "ST_MaxY")):
        db.create_function(name, 1, lambda b, i=i: None if b is None else geometry(b).bounds[i])


def ids_by_fid(path) -> dict[int, str]:
    frame = pyogrio.read_dataframe(path, layer=R.ENTERPRISES_LAYER, read_geometry=False, fid_as_index=True)
    return frame[R.ENTERPRISE_ID].to_dict()


def found(by="张三", **more):
    return {"核查结论": "属实", "核查人": by, "日期": "2026-01-10", "核查情况说明": "现场核实", **more}


def test_the_exported_geopackage_carries_the_fields_to_fill_in_empty(blank, demo_run):
    run_id = json.loads((demo_run / "run.json").read_text("utf-8"))["run_id"]
    info = pyogrio.read_info(blank, layer=R.ENTERPRISES_LAYER)
    fields = list(info["fields"])
    assert [f for f in fields if f in (*FILL_FIELDS, RUN_ID_HEADER)] == [*FILL_FIELDS, RUN_ID_HEADER]
    types = dict(zip(fields, info["dtypes"]))
    assert types["更正经度"] == types["更正纬度"] == "float64" and types["核查结论"] == "object"
    frame = pyogrio.read_dataframe(blank, layer=R.ENTERPRISES_LAYER, read_geometry=False)
    assert frame[FILL_FIELDS].isna().all().all()
    assert set(frame[RUN_ID_HEADER]) == {run_id}


def test_a_registry_column_of_the_same_name_is_kept_beside_the_empty_field(demo_run, tmp_path):
    result = R.load_result(demo_run)
    result.enterprises["日期"] = "2017-01-01"  # a registry with its own 日期 column
    data = package_bytes(result, value="通州区", formats=("gpkg",))
    path = tmp_path / "通州区.gpkg"
    path.write_bytes(zipfile.ZipFile(io.BytesIO(data)).read(path.name))
    frame = pyogrio.read_dataframe(path, layer=R.ENTERPRISES_LAYER, read_geometry=False)
    assert frame["日期"].isna().all() and set(frame["日期（登记表）"]) == {"2017-01-01"}


def test_an_edited_geopackage_becomes_findings_decisions_deadlines_and_location_fixes(blank, demo_run, tmp_path):
    ids = ids_by_fid(blank)
    filled = edited(
        blank,
        tmp_path / "通州区.gpkg",
        {
            2: found(决定处置="搬迁", 决定文号="通政复〔2026〕1号", 发文单位="南通市人民政府", 整改期限="2026/7/10"),
            5: found(核查结论="位置有误", 更正经度=120.95, 更正纬度=32.05, 核查情况说明="厂区在河对岸"),
        },
    )
    with open_ledger(tmp_path / "l.sqlite") as ledger:
        done = import_checklist(filled, ledger, by="通州区工信局", run=demo_run, today=TODAY)
        assert done.rows == 2
        assert [(e.kind, e.enterprise_id, e.source_row) for e in done.entries] == [
            ("finding", ids[2], 2), ("decision", ids[2], 2), ("deadline", ids[2], 2),
            ("finding", ids[5], 5), ("location_fix", ids[5], 5),
        ]  # fmt: skip
        finding, decision, deadline, wrong, fix = done.entries
        assert (finding.value, finding.inspector, finding.checked_on, finding.note) == (
            "属实",
            "张三",
            "2026-01-10",
            "现场核实",
        )
        assert (decision.value, decision.doc_number, decision.issuing_unit) == (
            "relocate",
            "通政复〔2026〕1号",
            "南通市人民政府",
        )
        assert deadline.due_date == "2026-07-10" and (fix.lon, fix.lat) == (120.95, 32.05) and wrong.value == "位置有误"
        assert {e.source_file for e in done.entries} == {"通州区.gpkg"} and ledger.check().ok
        again = import_checklist(filled, ledger, by="通州区工信局", run=demo_run, today=TODAY)
        assert again.already and len(ledger.entries()) == 5


def test_a_geopackage_rewritten_by_pyogrio_with_a_date_field_is_read_too(blank, demo_run, tmp_path):
    """Saved as a new file (QGIS 'Save Features As'): the fids are renumbered, 日期 may become a Date field."""
    frame = pyogrio.read_dataframe(blank, layer=R.ENTERPRISES_LAYER)
    frame.loc[0, ["核查结论", "核查人"]] = ["已整改到位", "李四"]
    frame["日期"] = pd.to_datetime(["2026-01-12"] + [None] * (len(frame) - 1))
    out = tmp_path / "另存.gpkg"
    pyogrio.write_dataframe(frame, out, layer=R.ENTERPRISES_LAYER, driver="GPKG")
    assert (
        dict(zip(*(pyogrio.read_info(out, layer=R.ENTERPRISES_LAYER)[k] for k in ("fields", "dtypes"))))["日期"]
        != "object"
    )
    with open_ledger(tmp_path / "l.sqlite") as ledger:
        done = import_checklist(out, ledger, by="通州区工信局", run=demo_run, today=TODAY)
    [entry] = done.entries
    assert (entry.value, entry.checked_on, entry.enterprise_id) == (
        "已整改到位",
        "2026-01-12",
        frame[R.ENTERPRISE_ID][0],
    )


def test_every_bad_feature_is_reported_at_once_and_nothing_is_recorded(blank, demo_run, tmp_path):
    filled = edited(
        blank,
        tmp_path / "bad.gpkg",
        {
            1: found(核查结论="基本属实"),
            2: found(日期="2026-02-01"),
            3: found(核查人=None, 决定处置="关掉", 更正经度=12.0, 更正纬度=32.0),
            4: {**found(), R.ENTERPRISE_ID: "91320600000000000X"},
            6: {**found(), RUN_ID_HEADER: "20240101T000000Z-00000000"},
            7: found(),
        },
    )
    with open_ledger(tmp_path / "l.sqlite") as ledger:
        with pytest.raises(InputDataError) as err:
            import_checklist(filled, ledger, by="王五", run=demo_run, today=TODAY)
        assert len(ledger.entries()) == 0
    text = str(err.value)
    assert text.startswith("bad.gpkg: nothing recorded in the ledger (8 problems)")
    assert "fid 1, column 核查结论: found '基本属实'; allowed: 属实 / 不属实 / 已整改到位" in text
    assert "fid 2, column 日期: found '2026-02-01'; allowed: a date not after today (2026-01-15)" in text
    assert "fid 3, column 核查人: found None; allowed: the inspector's name" in text
    assert "fid 3, column 决定处置: found '关掉'; allowed: 关闭取缔 / 搬迁" in text
    assert "fid 3, column 决定文号" in text and "fid 3, column 更正经度: found 12.0;" in text
    assert "fid 4, column 统一社会信用代码: found '91320600000000000X'; allowed: an enterprise of the run" in text
    assert "fid 6, column 筛查批次: found '20240101T000000Z-00000000'" in text


def test_a_geopackage_without_the_fields_is_one_clear_message(demo_run, tmp_path):
    with open_ledger(tmp_path / "l.sqlite") as ledger:
        with pytest.raises(
            InputDataError, match=r"results.gpkg, layer enterprises: fields missing: 核查结论.*--format gpkg"
        ):
            import_checklist(demo_run / R.GPKG_NAME, ledger, by="王五", run=demo_run, today=TODAY)
    other = tmp_path / "other.gpkg"
    pyogrio.write_dataframe(pyogrio.read_dataframe(demo_run / R.GPKG_NAME, layer=R.HITS_LAYER), other, layer="x")
    with open_ledger(tmp_path / "l.sqlite") as ledger:
        with pytest.raises(InputDataError, match=r"other.gpkg has no layer 'enterprises' \(layers: x\)"):
            import_checklist(other, ledger, by="王五", run=demo_run, today=TODAY)


def test_the_verify_command_takes_a_geopackage(blank, demo_run, tmp_path, capsys):
    filled = edited(blank, tmp_path / "通州区.gpkg", {3: found()})
    args = [
        "verify",
        str(filled),
        "--ledger",
        str(tmp_path / "l.sqlite"),
        "--by",
        "通州区工信局",
        "--run",
        str(demo_run),
    ]
    assert main(args) == 0
    assert "通州区.gpkg: 1 filled rows -> 1 ledger entries" in capsys.readouterr().out
    bad = edited(blank, tmp_path / "bad.gpkg", {3: found(核查结论="也许")})
    assert main(["verify", str(bad), *args[2:]]) == 2
    assert "fid 3, column 核查结论: found '也许'" in capsys.readouterr().err
