"""The on-site checklist (现场核查表): one row per flagged enterprise, its evidence, and columns for the inspector."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.outputs.evidence import disposition_text, evidence_by_row, standards_zh
from geo_screen.vocabulary import column_label

#: columns the inspector fills in on site
CHECK_COLUMNS = ("核查人", "核查日期", "核查情况", "处置意见")
EVIDENCE_HEADER = "证据（区域/级别、距离与要求、差值）"


def checklist_frame(ents: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    """现场核查表: one row per flagged enterprise with evidence and empty inspector columns.

    Parameters
    ----------
    ents
        Enterprise rows of a run (any subset, e.g. one county's); only the flagged ones are listed.
    hits
        Evidence rows; those of the listed enterprises are used.

    Returns
    -------
    pandas.DataFrame
        Columns as in :data:`CHECK_WIDTHS`, in that order.
    """
    flagged = ents[R.flagged_mask(ents)]
    ev, basis = evidence_by_row(hits[hits[R.INPUT_ROW].isin(flagged[R.INPUT_ROW])])
    rows = flagged[R.INPUT_ROW]

    def get(c: str):
        return flagged[c].to_numpy() if c in flagged.columns else ""

    out = pd.DataFrame(
        {
            "序号": np.arange(1, len(flagged) + 1),
            column_label(R.ENTERPRISE_ID): get(R.ENTERPRISE_ID),
            column_label(R.NAME): get(R.NAME),
            column_label(R.COUNTY): get(R.COUNTY),
            column_label(R.INDUSTRY): get(R.INDUSTRY),
            column_label("address"): get("address"),
            column_label(R.STANDARDS_HIT): standards_zh(flagged[R.STANDARDS_HIT]).to_numpy(),
            EVIDENCE_HEADER: rows.map(ev).fillna("").to_numpy(),
            column_label(R.LEGAL_BASIS): rows.map(basis).fillna(flagged.get(R.LEGAL_BASIS, "")).to_numpy(),
            column_label(R.DISPOSITION_ZH): disposition_text(flagged).to_numpy(),
        }
    )
    for c in CHECK_COLUMNS:
        out[c] = pd.Series([None] * len(out), dtype="str")
    return out


#: column widths of the checklist sheet (characters)
CHECK_WIDTHS = {
    "序号": 6,
    column_label(R.ENTERPRISE_ID): 21,
    column_label(R.NAME): 28,
    column_label(R.COUNTY): 10,
    column_label(R.INDUSTRY): 10,
    column_label("address"): 26,
    column_label(R.STANDARDS_HIT): 24,
    EVIDENCE_HEADER: 46,
    column_label(R.LEGAL_BASIS): 40,
    column_label(R.DISPOSITION_ZH): 10,
    "核查人": 10,
    "核查日期": 12,
    "核查情况": 30,
    "处置意见": 24,
}
