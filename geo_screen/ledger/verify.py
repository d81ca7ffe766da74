"""Importing a returned on-site checklist into the ledger, all rows or none: the county package's 现场核查表.xlsx, or
its GeoPackage edited in QGIS (layer ``enterprises``, carrying the same fields empty; rows are named by ``fid``).

Each filled row becomes entries: the finding (核查结论 with 核查人, 日期 and 核查情况说明), and when the county
has them, the decision (决定处置 with 决定文号 and 发文单位), the rectification deadline (整改期限) and a corrected
location (更正经度/更正纬度). Every problem in the file is collected (file, row, column, value found, values
allowed) and reported at once; then nothing is written. Importing the same file twice adds nothing (its
SHA-256 is recorded with every entry); a changed copy of a file already imported, or a checklist made from
another screening run (筛查批次), is refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd

from geo_screen import results as R
from geo_screen.errors import InputDataError, join_problems
from geo_screen.ledger.entries import DEADLINE, DECISION, FINDING, LOCATION_FIX, Entry
from geo_screen.ledger.store import Ledger
from geo_screen.outputs.provenance import LOCAL_TZ
from geo_screen.vocabulary import (
    CHECK_COLUMNS,
    CHECKLIST_SHEET,
    DECISION_CHOICES,
    DECISION_COLUMNS,
    DISPOSITION_ZH,
    RUN_ID_HEADER,
    VERDICT,
    VERDICTS,
    column_label,
)

_ID = column_label(R.ENTERPRISE_ID)
_NOTE, _INSPECTOR, _DATE = CHECK_COLUMNS[1:4]
_DECIDED, _DOC, _UNIT, _DUE, _LON, _LAT = DECISION_COLUMNS
#: a decision's label or its code -> the code
_DECISION_CODES = {zh: code for code, zh in DISPOSITION_ZH.items() if zh in DECISION_CHOICES} | {
    code: code for code, zh in DISPOSITION_ZH.items() if zh in DECISION_CHOICES
}
#: where a corrected location may lie (China, CGCS2000 degrees)
_LON_RANGE, _LAT_RANGE = (73.0, 136.0), (3.0, 54.0)


@dataclass(frozen=True)
class Imported:
    """What :func:`import_checklist` did: the entries it recorded, or that the file was imported before."""

    source: str
    sha256: str
    entries: list[Entry]
    rows: int
    already: bool = False
    run_checked: bool = True

    def text(self) -> str:
        if self.already:
            return f"{self.source} was imported before (sha256 {self.sha256[:12]}…): nothing added"
        text = f"{self.source}: {self.rows:,} filled rows -> {len(self.entries):,} ledger entries"
        if not self.run_checked:
            text += " (codes not checked against the run's enterprises: give --run RUN_DIR to check them)"
        return text


def _changes(before, entry, fields) -> str:
    """``field: old -> new`` for each field an edited re-import would change."""
    return ", ".join(f"{k}: {getattr(before, k)!r} -> {getattr(entry, k)!r}" for k in fields)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_checklist(
    filled: str | os.PathLike,
    ledger: Ledger,
    *,
    by: str,
    run: R.ScreenResult | str | os.PathLike | None = None,
    today: date | None = None,
    corrections: bool = False,
) -> Imported:
    """Record a returned 现场核查表.xlsx in ``ledger``, all rows or none.

    Parameters
    ----------
    filled
        The checklist as the county returns it: the sheet 现场核查表 of a county package's 现场核查表.xlsx, or
        the package's ``.gpkg`` with the same fields filled in (in QGIS) on its ``enterprises`` layer.
    ledger
        The open ledger.
    by
        Who records the import (the ledger's ``recorded_by``).
    run
        The screening run the checklist was made from (its results folder, or the result): every row's
        筛查批次 must be its ``run_id`` and every 统一社会信用代码 one of its enterprises. Without it the
        checklist's own 筛查批次 (one for every row) is recorded, and the codes are not checked against a run
        (the result says so).
    today
        The day in Beijing against which dates are checked (default: today); a check date after it is refused.
    corrections
        A file of this name was imported for this run before and some of its rows now say something else:
        record those as corrections (new entries naming the ones they correct). Without it such a file is
        refused. Rows that only add (a decision filled in later) are recorded either way; rows that say
        what was recorded add nothing.

    Returns
    -------
    Imported
        The entries recorded; ``already`` when this exact file was imported before (nothing added).

    Raises
    ------
    InputDataError
        Listing every bad cell (file, row, column, value found, values allowed); nothing is recorded.
    """
    path = Path(filled)
    if not by or not by.strip():
        raise InputDataError("say who records the import: by=NAME")
    if not path.is_file():
        raise InputDataError(f"checklist {path} does not exist")
    sha = file_sha256(path)
    if ledger.imported(sha):
        return Imported(path.name, sha, [], 0, already=True)
    unit, rows = _read_gpkg_rows(path) if path.suffix.lower() == ".gpkg" else ("row", _read_rows(path))
    if run is None:
        run_id, known = _checklist_run_id(path, rows), None
    else:
        result = R.load_result(run)
        run_id = result.manifest.get("run_id")
        known = set(result.enterprises[R.ENTERPRISE_ID].dropna().astype(str))
    today = today or datetime.now(LOCAL_TZ).date()
    problems: list[str] = []
    entries: list[Entry] = []
    filled_rows = 0
    for number, row in rows:
        made = _row_entries(row, number=number, unit=unit, run_id=run_id, known=known, today=today, problems=problems)
        if made:
            filled_rows += 1
        entries += [
            Entry(
                **e, recorded_by=by.strip(), run_id=run_id, source_file=path.name, source_sha256=sha, source_row=number
            )
            for e in made
        ]
    if problems:
        raise InputDataError(join_problems(f"{path.name}: nothing recorded in the ledger", problems))
    entries = _new_or_corrected(
        entries, ledger.entries_from(path.name, run_id), corrections=corrections, problems=problems
    )
    if problems:
        raise InputDataError(join_problems(f"{path.name}: nothing recorded in the ledger", problems))
    return Imported(path.name, sha, ledger.append(entries), filled_rows, run_checked=known is not None)


def _checklist_run_id(path: Path, rows: list[tuple[int, dict]]) -> str:
    """The run a checklist says it was made from: the one 筛查批次 its rows carry."""
    found = sorted({str(row[RUN_ID_HEADER]) for _, row in rows if row.get(RUN_ID_HEADER) is not None})
    if len(found) != 1:
        said = "none" if not found else ", ".join(found)
        raise InputDataError(
            f"{path.name}: column {RUN_ID_HEADER} must name one screening run (found: {said}); import each run's "
            "checklist on its own, or give the run it was made from: run=RUN_DIR"
        )
    return found[0]


#: the fields that say what an entry records (not who imported it, when, or from which row)
_CONTENT = ("kind", "enterprise_id", "standard", "value", "doc_number", "issuing_unit", "due_date", "lon", "lat",
            "note", "inspector", "checked_on")  # fmt: skip


def _new_or_corrected(entries: list[Entry], earlier: list[Entry], *, corrections: bool, problems: list[str]):
    """Drop entries already recorded from an earlier copy of the file; changed ones become corrections or problems."""
    latest = {(e.enterprise_id, e.kind): e for e in earlier}  # in seq order: the last one wins
    out = []
    for entry in entries:
        before = latest.get((entry.enterprise_id, entry.kind))
        if before is None:
            out.append(entry)
            continue
        changed = [k for k in _CONTENT if getattr(entry, k) != getattr(before, k)]
        if not changed:
            continue
        if corrections:
            out.append(dataclasses.replace(entry, corrects=before.seq))
            continue
        problems.append(
            f"row {entry.source_row} changes what entry #{before.seq} recorded from an earlier copy of this file "
            f"on {before.recorded_at} ({_changes(before, entry, changed)}); "
            "the ledger never changes a recorded entry: import with corrections= to record the change as a "
            "correction naming it"
        )
    return out


def _read_rows(path: Path) -> list[tuple[int, dict]]:
    """The checklist's data rows as (sheet row number, {header: value}); the header row is found by its columns."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises several kinds for a file that is not a workbook
        raise InputDataError(f"{path.name} is not an Excel workbook (.xlsx): {err}") from err
    try:
        if CHECKLIST_SHEET not in book.sheetnames:
            raise InputDataError(
                f"{path.name} has no sheet {CHECKLIST_SHEET!r} (sheets: {', '.join(book.sheetnames)}); "
                "import the 现场核查表.xlsx of a county package"
            )
        values = list(book[CHECKLIST_SHEET].iter_rows(values_only=True))
    finally:
        book.close()

    def names_of(row) -> list[str]:
        return [str(v).strip() if v is not None else "" for v in row]

    at = next((i for i, row in enumerate(values[:10]) if {_ID, VERDICT} <= set(names_of(row))), None)
    if at is None:
        raise InputDataError(
            f"{path.name}, sheet {CHECKLIST_SHEET}: no header row with {_ID} and {VERDICT} in its first 10 rows"
        )
    names = names_of(values[at])
    missing = [c for c in (_ID, VERDICT, _NOTE, _INSPECTOR, _DATE, RUN_ID_HEADER) if c not in names]
    if missing:
        raise InputDataError(f"{path.name}, sheet {CHECKLIST_SHEET}: columns missing: {', '.join(missing)}")
    return [
        (at + 2 + i, {n: _clean(v) for n, v in zip(names, row) if n})
        for i, row in enumerate(values[at + 1 :])
        if any(v is not None and str(v).strip() for v in row)
    ]


def _read_gpkg_rows(path: Path) -> tuple[str, list[tuple[int, dict]]]:
    """A package GeoPackage's ``enterprises`` features as ("fid", [(fid, {checklist header: value})])."""
    import pyogrio
    import pyogrio.errors

    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError as err:
        raise InputDataError(f"{path.name} is not a GeoPackage GDAL can read: {err}") from err
    if R.ENTERPRISES_LAYER not in layers:
        raise InputDataError(
            f"{path.name} has no layer {R.ENTERPRISES_LAYER!r} (layers: {', '.join(layers)}); import the .gpkg of a "
            "county package (geo-screen export --format gpkg)"
        )
    frame = pyogrio.read_dataframe(path, layer=R.ENTERPRISES_LAYER, read_geometry=False, fid_as_index=True)
    missing = [c for c in (R.ENTERPRISE_ID, VERDICT, _NOTE, _INSPECTOR, _DATE, RUN_ID_HEADER) if c not in frame]
    if missing:
        raise InputDataError(
            f"{path.name}, layer {R.ENTERPRISES_LAYER}: fields missing: {', '.join(missing)}; export the county "
            "package with geo-screen export --format gpkg (its enterprises layer carries them empty), fill them in QGIS"
        )
    columns = [c for c in (R.ENTERPRISE_ID, *CHECK_COLUMNS[:4], *DECISION_COLUMNS, RUN_ID_HEADER) if c in frame]
    names = [_ID if c == R.ENTERPRISE_ID else c for c in columns]
    return "fid", [
        (int(fid), {n: _clean(v) for n, v in zip(names, values)})
        for fid, values in zip(frame.index, frame[columns].itertuples(index=False, name=None))
    ]


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if value is not None and not isinstance(value, (list, tuple)) and pd.isna(value):
        return None  # a GeoPackage's null: None, NaN or NaT
    return value.item() if hasattr(value, "item") and not isinstance(value, datetime) else value


def _row_entries(
    row: dict, *, number: int, unit: str = "row", run_id, known: set[str] | None, today: date, problems: list[str]
) -> list[dict]:
    """The entries one checklist row gives (as keyword dicts); its problems are appended to ``problems``."""

    def bad(column: str, found, allowed: str) -> None:
        problems.append(f"{unit} {number}, column {column}: found {found!r}; allowed: {allowed}")

    uscc = str(row.get(_ID) or "").strip()
    verdict = row.get(VERDICT)
    decided = row.get(_DECIDED)
    due, lon, lat = row.get(_DUE), row.get(_LON), row.get(_LAT)
    if verdict is None and all(row.get(c) is None for c in (_NOTE, _INSPECTOR, _DATE, *DECISION_COLUMNS)):
        return []  # not visited yet
    start = len(problems)
    if row.get(RUN_ID_HEADER) != run_id:
        bad(RUN_ID_HEADER, row.get(RUN_ID_HEADER), f"{run_id} (the checklist must come from the run given)")
    if known is not None and uscc not in known:
        bad(_ID, uscc or None, "an enterprise of the run")
    elif not uscc:
        bad(_ID, None, "the enterprise's 统一社会信用代码")
    if verdict not in VERDICTS:
        bad(VERDICT, verdict, " / ".join(VERDICTS))
    if row.get(_INSPECTOR) is None:
        bad(_INSPECTOR, None, "the inspector's name")
    checked = _date(row.get(_DATE))
    if checked is None:
        bad(_DATE, row.get(_DATE), "a date (2025-03-01)")
    elif checked > today:
        bad(_DATE, row.get(_DATE), f"a date not after today ({today.isoformat()})")
    made: list[dict] = [
        {
            "kind": FINDING,
            "enterprise_id": uscc,
            "value": verdict,
            "note": row.get(_NOTE),
            "inspector": row.get(_INSPECTOR),
            "checked_on": checked.isoformat() if checked else None,
        }
    ]
    if decided is not None:
        code = _DECISION_CODES.get(str(decided))
        if code is None:
            bad(_DECIDED, decided, " / ".join(DECISION_CHOICES))
        if row.get(_DOC) is None:
            bad(_DOC, None, "the decision's document number (文号) when 决定处置 is filled")
        made.append(
            {
                "kind": DECISION,
                "enterprise_id": uscc,
                "value": code,
                "doc_number": row.get(_DOC),
                "issuing_unit": row.get(_UNIT),
            }
        )
    elif row.get(_DOC) is not None:
        bad(_DECIDED, None, f"{' / '.join(DECISION_CHOICES)} (决定文号 is filled)")
    if due is not None:
        due_date = _date(due)
        if due_date is None:
            bad(_DUE, due, "a date (2025-09-01)")
        made.append({"kind": DEADLINE, "enterprise_id": uscc, "due_date": due_date.isoformat() if due_date else None})
    if lon is not None or lat is not None:
        x, y = _number(lon), _number(lat)
        if x is None or not _LON_RANGE[0] <= x <= _LON_RANGE[1]:
            bad(_LON, lon, f"CGCS2000 longitude in degrees, {_LON_RANGE[0]:g} to {_LON_RANGE[1]:g}")
        if y is None or not _LAT_RANGE[0] <= y <= _LAT_RANGE[1]:
            bad(_LAT, lat, f"CGCS2000 latitude in degrees, {_LAT_RANGE[0]:g} to {_LAT_RANGE[1]:g}")
        made.append({"kind": LOCATION_FIX, "enterprise_id": uscc, "lon": x, "lat": y, "note": row.get(_NOTE)})
    return [] if len(problems) > start else made


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    text = text.replace("年", "-").replace("月", "-").replace("日", "")
    try:
        y, m, d = (int(p) for p in text.split("-"))
        return date(y, m, d)
    except ValueError:
        return None


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
