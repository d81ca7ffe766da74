"""One ledger entry: its fields, the values each kind allows, and its hash over a canonical JSON."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from geo_screen import results as R
from geo_screen.outputs.provenance import LOCAL_TZ
from geo_screen.vocabulary import VERDICTS

FINDING, DECISION, DEADLINE, LOCATION_FIX, NOTE = "finding", "decision", "deadline", "location_fix", "note"
#: the kinds of entry, in the order a case usually runs
KINDS = (FINDING, DECISION, DEADLINE, LOCATION_FIX, NOTE)
#: the values a finding may take (the checklist's 核查结论 choices)
FINDINGS = VERDICTS
#: the values a decision may take: a disposition code the authority decided (not the screening's proposal)
DECISIONS = tuple(c for c in R.DISPOSITION_CODES if c != R.NOT_ASSESSED_DISPOSITION)
#: the hash the first entry names as its predecessor
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Entry:
    """One ledger entry. ``seq``, ``prev_hash`` and ``entry_hash`` are set by the store when it is appended.

    Attributes
    ----------
    kind
        One of :data:`KINDS`.
    enterprise_id
        The enterprise's USCC (统一社会信用代码).
    standard
        The Annex 2 standard the entry is about (``"3"``), or None for the whole enterprise.
    value
        A finding (one of :data:`FINDINGS`), a decided disposition code (one of :data:`DECISIONS`), or None.
    doc_number, issuing_unit
        The decision document's number (文号) and the unit that issued it.
    due_date
        A rectification deadline, ``YYYY-MM-DD``.
    lon, lat
        A corrected location (CGCS2000 degrees).
    note
        Free text: the inspector's account (核查情况说明), a reason.
    inspector, checked_on
        Who checked on site (核查人) and on which day (``YYYY-MM-DD``).
    recorded_by, recorded_at
        Who recorded the entry and when (Beijing time, ISO 8601 with +08:00).
    run_id
        The screening run the entry refers to (``run.json`` ``run_id``).
    source_file, source_sha256, source_row
        The file the entry was imported from, its SHA-256 and the sheet row.
    corrects
        The ``seq`` of the entry this one corrects.
    """

    kind: str
    enterprise_id: str
    recorded_by: str
    standard: str | None = None
    value: str | None = None
    doc_number: str | None = None
    issuing_unit: str | None = None
    due_date: str | None = None
    lon: float | None = None
    lat: float | None = None
    note: str | None = None
    inspector: str | None = None
    checked_on: str | None = None
    recorded_at: str | None = None
    run_id: str | None = None
    source_file: str | None = None
    source_sha256: str | None = None
    source_row: int | None = None
    corrects: int | None = None
    seq: int | None = None
    prev_hash: str | None = None
    entry_hash: str | None = None

    def problems(self) -> list[str]:
        """What is wrong with this entry's values (empty when it may be recorded)."""
        out = []
        if self.kind not in KINDS:
            out.append(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not self.enterprise_id:
            out.append("enterprise_id is empty")
        if not self.recorded_by:
            out.append("recorded_by is empty: say who records the entry")
        if self.kind == FINDING and self.value not in FINDINGS:
            out.append(f"finding {self.value!r} is not one of {'/'.join(FINDINGS)}")
        if self.kind == DECISION and self.value not in DECISIONS:
            out.append(f"decision {self.value!r} is not a disposition code ({', '.join(DECISIONS)})")
        if self.kind == DEADLINE and not self.due_date:
            out.append("a deadline entry needs due_date (YYYY-MM-DD)")
        for name in ("due_date", "checked_on"):
            value = getattr(self, name)
            try:
                value is None or date.fromisoformat(value)
            except (TypeError, ValueError):
                out.append(f"{name} {value!r} is not a date YYYY-MM-DD")
        if self.kind == LOCATION_FIX and (self.lon is None or self.lat is None):
            out.append("a location_fix entry needs lon and lat")
        if self.standard is not None and self.standard not in R.STANDARDS:
            out.append(f"standard {self.standard!r} is not one of {', '.join(R.STANDARDS)}")
        return out

    def fields(self) -> dict:
        """The entry's fields as a dict (the store's row)."""
        return dataclasses.asdict(self)


def canonical_json(fields: dict) -> str:
    """The text an entry's hash is taken over: every field but ``entry_hash``, keys sorted, no spaces, UTF-8."""
    body = {k: v for k, v in fields.items() if k != "entry_hash"}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def entry_hash(fields: dict) -> str:
    """SHA-256 (hex) of :func:`canonical_json` of ``fields``: it covers ``seq`` and ``prev_hash``, so the chain."""
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def now_local() -> str:
    """The current Beijing time, ISO 8601 with its +08:00 offset (the ledger's ``recorded_at``)."""
    return datetime.now(LOCAL_TZ).isoformat(timespec="seconds")


def in_force(entries: list[Entry]) -> list[Entry]:
    """The entries that count, in the order recorded, each corrected entry replaced in place by its correction.

    A correction (``corrects``) takes the place of the entry it names: an entry recorded after the corrected one
    stays later than the correction, so a decision corrected later does not overtake a decision made after it.
    A correction of a correction replaces the first entry with the last correction; the corrections themselves
    do not count again at their own place.

    Parameters
    ----------
    entries
        Ledger entries (any order; their ``seq`` orders them).

    Returns
    -------
    list of Entry
        One entry per uncorrected original, the latest correction standing in for a corrected one.
    """
    ordered = sorted(entries, key=lambda e: e.seq or 0)
    replaced = {e.corrects: e for e in ordered if e.corrects is not None}  # in seq order: the last one wins
    out = []
    for entry in ordered:
        if entry.corrects is not None:
            continue
        while entry.seq in replaced:
            entry = replaced[entry.seq]
        out.append(entry)
    return out
