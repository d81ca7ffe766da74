"""What the ledger says about each enterprise, as the small frame a screening accepts (``screen(verified=)``).

The screening never reads the ledger itself (``screening`` is upstream of ``ledger``): the ledger condenses its
entries into one row per enterprise_id (:data:`geo_screen.results.FACT_COLUMNS`) and the caller hands that frame
to the screening. Only the entries in force count (:func:`~geo_screen.ledger.entries.in_force`): a correction
replaces the entry it names, in that entry's place, so an entry recorded after the corrected one stays the later
(and a correction of another kind, a note, withdraws it); of those, read in the order recorded, the latest
finding, decision, deadline and location fix are the ones that count.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from geo_screen import results as R
from geo_screen.ledger.entries import DEADLINE, DECISION, FINDING, LOCATION_FIX, Entry, in_force
from geo_screen.ledger.store import Ledger
from geo_screen.outputs.provenance import LOCAL_TZ
from geo_screen.vocabulary import FOUND_UNTRUE, RECTIFIED


def facts_from_entries(entries: list[Entry], *, today: date) -> pd.DataFrame:
    """One row per enterprise with an entry: its latest finding, decision, deadline and corrected location.

    Parameters
    ----------
    entries
        Ledger entries (:meth:`~geo_screen.ledger.store.Ledger.entries`); corrected ones are replaced by their
        corrections.
    today
        The day (Beijing) a deadline is measured against: ``overdue`` when the deadline is before it and the
        latest finding is not 已整改到位.

    Returns
    -------
    pandas.DataFrame
        The columns :data:`geo_screen.results.FACT_COLUMNS`; a column stays empty where the ledger has nothing.
    """
    rows: dict[str, dict] = {}
    found: dict[str, dict[str | None, Entry]] = {}  # enterprise -> standard (None: the whole) -> latest finding
    for entry in in_force(entries):
        row = rows.setdefault(
            entry.enterprise_id, dict.fromkeys(R.FACT_COLUMNS) | {R.ENTERPRISE_ID: entry.enterprise_id}
        )
        if entry.kind == FINDING:
            row |= {
                R.VERIFICATION: entry.value,
                R.FACT_STANDARD: entry.standard,
                R.FACT_BY: entry.inspector or entry.recorded_by,
                R.FACT_ON: _found_on(entry),
                R.FACT_NOTE: entry.note,
            }
            latest = found.setdefault(entry.enterprise_id, {})
            if entry.standard is None:
                latest.clear()  # a finding on the whole enterprise covers every standard named before it
            latest.pop(entry.standard, None)  # kept in the order in force: the last one is the latest
            latest[entry.standard] = entry
        elif entry.kind == DECISION:
            row |= {R.DECIDED_DISPOSITION: entry.value, R.DECISION_DOC: entry.doc_number}
        elif entry.kind == DEADLINE:
            row[R.DUE_DATE] = entry.due_date
        elif entry.kind == LOCATION_FIX:
            row |= {R.FACT_LON: entry.lon, R.FACT_LAT: entry.lat}
    for uscc, latest in found.items():
        rows[uscc] |= _untrue(latest)
    for row in rows.values():
        due = row[R.DUE_DATE]
        row[R.OVERDUE] = due is not None and date.fromisoformat(due) < today and row[R.VERIFICATION] != RECTIFIED
    frame = pd.DataFrame(list(rows.values()), columns=list(R.FACT_COLUMNS))
    frame[R.OVERDUE] = frame[R.OVERDUE].astype(bool)
    for col in (R.FACT_LON, R.FACT_LAT):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    return frame


def _found_on(entry: Entry) -> str | None:
    return entry.checked_on or (entry.recorded_at or "")[:10] or None


def _untrue(latest: dict[str | None, Entry]) -> dict:
    """The standards whose latest finding is 不属实 (';'-joined) and who found the latest of those, when and why."""
    whole = latest.get(None)
    keys = [s for s in R.STANDARDS if getattr(latest.get(s, whole), "value", None) == FOUND_UNTRUE]
    if not keys:
        return {}
    last = [e for e in latest.values() if e.value == FOUND_UNTRUE][-1]
    who = "，".join(v for v in (last.inspector or last.recorded_by, _found_on(last)) if v)
    return {R.FACT_UNTRUE: ";".join(keys), R.FACT_UNTRUE_BY: who + (f"：{last.note}" if last.note else "")}


def ledger_facts(ledger: Ledger, *, today: date | None = None) -> pd.DataFrame:
    """:func:`facts_from_entries` over every entry of ``ledger``; ``attrs["ledger"]`` says which ledger, how many
    entries, the last entry's hash and the day deadlines were measured against (for ``run.json``)."""
    today = today or datetime.now(LOCAL_TZ).date()
    entries = ledger.entries()
    frame = facts_from_entries(entries, today=today)
    frame.attrs["ledger"] = {
        "where": ledger.where,
        "entries": len(entries),
        "last_entry_hash": entries[-1].entry_hash if entries else None,
        "as_of": today.isoformat(),
    }
    return frame
