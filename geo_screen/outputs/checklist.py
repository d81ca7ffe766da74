"""The on-site checklist (现场核查表): what an inspector takes to each flagged enterprise, and brings back.

One row per flagged enterprise: where to go (the screened CGCS2000 location, offsets removed), the
standards hit as the seed numbers them (附件2第（三）项), the evidence as sentences, every legal basis, the
screening proposal (初筛建议, not a decision), what follows a failed rectification (逾期处置) and the
national standards to check (核查依据) when the run gives them, what the ledger said when the run was
screened with it (台账核查结论, 台账决定处置, 台账决定文号, 台账整改期限, 逾期未整改), the standards not
assessed and why, and near-edge and data notes; then the inspector's columns: 核查结论 (a drop-down of fixed
choices), notes, inspector, date and the enterprise's signature. Enterprises not assessed at all are listed on
their own sheet (待补充资料): what data is missing before they can be screened.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo_screen import results as R
from geo_screen.outputs.evidence import disposition_text, evidence_by_row
from geo_screen.vocabulary import (
    CHECK_BASIS_HEADER,
    CHECK_COLUMNS,
    CHECKLIST_SHEET,
    DECISION_CHOICES,
    DECISION_COLUMNS,
    DECISION_HEADER,
    DISPOSITION_ZH,
    ESCALATION_HEADER,
    EVIDENCE_HEADER,
    LEDGER_STATE_HEADERS,
    NOT_ASSESSED_HEADER,
    NOTES_HEADER,
    PENDING_COLUMNS,
    PENDING_SHEET,
    PROPOSAL_HEADER,
    RUN_ID_HEADER,
    STANDARD_DATA,
    STANDARDS_HEADER,
    VERDICT,
    VERDICTS,
    YES_ZH,
    column_label,
    grade_label,
    issues_text,
    seed_item,
)

__all__ = [  # the checklist's words live in geo_screen.vocabulary; read here with the tables they head
    "CHECK_COLUMNS",
    "CHECKLIST_SHEET",
    "DECISION_CHOICES",
    "DECISION_COLUMNS",
    "DECISION_HEADER",
    "PENDING_SHEET",
    "PROPOSAL_HEADER",
    "RUN_ID_HEADER",
    "STANDARDS_HEADER",
    "VERDICT",
    "VERDICTS",
    "checklist_frame",
    "not_assessed_text",
    "pending_frame",
    "standards_text",
]

_LOCATION_REASON = {
    R.STATUS_INVALID: "无有效位置（登记表坐标缺失或无效）",
    R.STATUS_OUT: "位置超出图层范围",
}


def standards_text(values: pd.Series) -> pd.Series:
    """``"3;9"`` -> ``"第（三）项 不符合规划/生态红线；第（九）项 沿江生态带重点区域"`` (one lookup per value)."""

    def one(text) -> str:
        return "；".join(seed_item(s, topic=True) for s in R.standard_keys(text))

    uniques = {v: one(v) for v in values.dropna().unique()}
    return values.map(uniques).fillna("").astype("str")


def not_assessed_text(ents: pd.DataFrame) -> pd.Series:
    """Each enterprise's standards not assessed, with why: ``第（六）项：登记表未填“稳定达标排放”``.

    Spatial standards: no usable location, outside the layers, no sanitary distance for the industry, or no
    layer data at the location; attribute standards: the registry attributes left empty on that row (as
    :data:`geo_screen.vocabulary.STANDARD_DATA` lists them). Rows alike in all of that share one sentence,
    written once.
    """
    if R.NOT_ASSESSED_COL not in ents.columns or ents.empty:
        return pd.Series("", index=ents.index, dtype="str")
    n = len(ents)
    issues = (";" + ents[R.ISSUES].astype("str") + ";") if R.ISSUES in ents.columns else pd.Series("", index=ents.index)
    data = sorted({c for columns in STANDARD_DATA.values() for c in columns})
    required = pd.to_numeric(ents.get(R.SANITARY_REQUIRED, pd.Series(np.nan, index=ents.index)), errors="coerce")
    case = pd.DataFrame(
        {
            "keys": ents[R.NOT_ASSESSED_COL].to_numpy(),
            "status": ents[R.ROW_STATUS].astype("str").to_numpy() if R.ROW_STATUS in ents else np.full(n, ""),
            "required": np.isfinite(required.to_numpy(dtype="float64")),
            **{
                f"unknown {key}": issues.str.contains(f";zone_industry_unknown:{key};", regex=False)
                .fillna(False)
                .to_numpy(dtype=bool)
                for key in R.SPATIAL_STANDARDS
            },
            **{c: ents[c].isna().to_numpy() if c in ents.columns else np.ones(n, bool) for c in data},
        }
    )
    which = case.groupby(list(case.columns), dropna=False, sort=False).ngroup().to_numpy()
    first = pd.Series(np.arange(n)).groupby(which).first()
    texts = {group: _sentence(case.iloc[row]) for group, row in first.items()}
    return pd.Series([texts[g] for g in which], index=ents.index, dtype="str")


def _sentence(case: pd.Series) -> str:
    return "；".join(f"{seed_item(key)}：{_reason(case, key)}" for key in R.standard_keys(case["keys"]))


def _reason(case: pd.Series, key: str) -> str:
    if key in R.SPATIAL_STANDARDS:
        if case["status"] in _LOCATION_REASON:
            return _LOCATION_REASON[case["status"]]
        if key == "5" and not case["required"]:
            return "行业无卫生防护距离标准，登记表也未填环评确定的卫生防护距离"
        if case[f"unknown {key}"]:
            return "登记表未填行业，所在范围只适用于所列行业的企业"
        return "图层在该位置无数据或缺少所需图层"
    missing = [f"“{column_label(c)}”" for c in STANDARD_DATA.get(key, ()) if case[c]]
    return f"登记表未填{'、'.join(missing)}" if missing else "缺少所需数据"


def _common(ents: pd.DataFrame) -> dict[str, np.ndarray | pd.api.extensions.ExtensionArray]:
    def get(c: str):
        return column_values(ents[c]) if c in ents.columns else np.full(len(ents), None, dtype=object)

    return {
        "序号": np.arange(1, len(ents) + 1),
        column_label(R.ENTERPRISE_ID): get(R.ENTERPRISE_ID),
        column_label(R.NAME): get(R.NAME),
        column_label(R.COUNTY): get(R.COUNTY),
        column_label(R.INDUSTRY): get(R.INDUSTRY),
        column_label("address"): get("address"),
        column_label("lon"): np.round(pd.to_numeric(pd.Series(get("lon")), errors="coerce").to_numpy(float), 6),
        column_label("lat"): np.round(pd.to_numeric(pd.Series(get("lat")), errors="coerce").to_numpy(float), 6),
    }


def column_values(values: pd.Series) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """A sheet's column from ``values``: pandas' ``str`` text as it is (no copy into Python strings and back into
    Arrow), any other column as a NumPy array; either way the sheet reads the same text."""
    return values.array if values.dtype == "str" else values.to_numpy()


def _empty(n: int) -> pd.Series:
    return pd.Series([None] * n, dtype="str")


def checklist_frame(ents: pd.DataFrame, hits: pd.DataFrame, *, run_id: str | None = None) -> pd.DataFrame:
    """现场核查表: one row per flagged enterprise with its evidence and empty inspector and decision columns.

    Parameters
    ----------
    ents
        Enterprise rows of a run (any subset, e.g. one county's); only the flagged ones are listed.
    hits
        Evidence rows; those of the listed enterprises are used.
    run_id
        The run's ``run_id`` (run.json), written on every row as 筛查批次 so that ``geo-screen verify``
        can refuse a returned checklist from another run.

    Returns
    -------
    pandas.DataFrame
        The sheet's columns in order; ``逾期处置`` and ``核查依据`` only when the run has those columns. After
        the inspector's columns come the decision columns (决定处置, 决定文号, 发文单位, 整改期限, 更正经度,
        更正纬度), filled in once the competent authority has decided, then 筛查批次.
    """
    flagged = ents[R.flagged_mask(ents)]
    ev, basis = evidence_by_row(hits[hits[R.INPUT_ROW].isin(flagged[R.INPUT_ROW])])
    rows = flagged[R.INPUT_ROW]
    out = pd.DataFrame(
        {
            **_common(flagged),
            STANDARDS_HEADER: column_values(standards_text(flagged[R.STANDARDS_HIT])),
            EVIDENCE_HEADER: column_values(rows.map(ev).fillna("")),
            column_label(R.LEGAL_BASIS): column_values(rows.map(basis).fillna(flagged.get(R.LEGAL_BASIS, ""))),
            PROPOSAL_HEADER: column_values(disposition_text(flagged)),
        }
    )
    if R.GRADE in flagged.columns:  # the grade standards 2 and 10 read, with its score and county rank when computed
        out[column_label(R.GRADE)] = _grade_text(flagged)
    if "escalation" in flagged.columns:
        out[ESCALATION_HEADER] = column_values(flagged["escalation"].map(DISPOSITION_ZH).fillna(""))
    if "check_basis" in flagged.columns:
        out[CHECK_BASIS_HEADER] = column_values(flagged["check_basis"].fillna("").astype("str"))
    if R.VERIFICATION in flagged.columns:  # screened with the ledger: what it said then
        for column, values in ledger_state(flagged).items():
            out[LEDGER_STATE_HEADERS[column]] = column_values(values)
    out[NOT_ASSESSED_HEADER] = column_values(not_assessed_text(flagged))
    out[NOTES_HEADER] = column_values(flagged.get(R.ISSUES, pd.Series("", index=flagged.index)).map(issues_text))
    empty = _empty(len(out))  # one column of empty cells for every column filled in by hand
    for c in CHECK_COLUMNS + DECISION_COLUMNS:
        out[c] = empty
    out[RUN_ID_HEADER] = pd.Series([run_id] * len(out), dtype="str")
    return out


def _grade_text(ents: pd.DataFrame) -> np.ndarray:
    """Each enterprise's performance grade as standards 2 and 10 read it (:func:`grade_label`: ``C类，得分 63.2，县内
    排名 412/530``), each distinct (grade, score, rank) written once: a run has a few grades and often no score."""
    parts = [ents.get(c, pd.Series(None, index=ents.index)) for c in (R.GRADE, R.GRADE_SCORE, R.GRADE_RANK)]
    key = np.zeros(len(ents), dtype=np.int64)
    for part in parts:  # floats by their bits: -0.0 and 0.0 read differently
        values = part.to_numpy().view(np.int64) if part.dtype == np.float64 else part
        codes = pd.factorize(values, use_na_sentinel=False)[0]
        key = pd.factorize(key * (codes.max(initial=0) + 1) + codes)[0]
    _, first, at = np.unique(key, return_index=True, return_inverse=True)
    columns = [part.to_numpy(dtype=object)[first] for part in parts]
    labels = np.array([grade_label(*values) for values in zip(*columns)], dtype=object)
    return labels[at.ravel()]


def ledger_state(ents: pd.DataFrame) -> dict[str, pd.Series]:
    """What the ledger said about each enterprise when the run was screened with it, as text for a sheet.

    Parameters
    ----------
    ents
        Enterprise rows of a run screened with the ledger (``verification``, ``decided_disposition``,
        ``decision_doc``, ``due_date``, ``overdue``).

    Returns
    -------
    dict
        Column -> text per row: the finding, the decided disposition's label, the document number, the deadline
        and 是 when overdue; empty text where the ledger has nothing.
    """

    def text(column: str) -> pd.Series:
        values = ents.get(column, pd.Series(None, index=ents.index, dtype=object)).astype(object)
        return values.where(values.map(lambda v: isinstance(v, str) and v not in ("", "None", "nan")), "")

    overdue = ents.get(R.OVERDUE, pd.Series(False, index=ents.index)).astype("boolean").fillna(False)
    return {
        R.VERIFICATION: text(R.VERIFICATION),
        R.DECIDED_DISPOSITION: text(R.DECIDED_DISPOSITION).map(lambda c: DISPOSITION_ZH.get(c, c)),
        R.DECISION_DOC: text(R.DECISION_DOC),
        R.DUE_DATE: text(R.DUE_DATE),
        R.OVERDUE: overdue.map({True: YES_ZH, False: ""}).astype(object),
    }


def pending_frame(ents: pd.DataFrame) -> pd.DataFrame:
    """待补充资料: enterprises not assessed overall (no standard hit, some not assessed), with what is missing.

    Parameters
    ----------
    ents
        Enterprise rows of a run (any subset); those whose disposition is ``not_assessed`` are listed.
    """
    pending = ents[(ents[R.DISPOSITION] == R.NOT_ASSESSED_DISPOSITION).to_numpy()]
    out = pd.DataFrame(
        {
            **_common(pending),
            NOT_ASSESSED_HEADER: column_values(not_assessed_text(pending)),
            NOTES_HEADER: column_values(pending.get(R.ISSUES, pd.Series("", index=pending.index)).map(issues_text)),
        }
    )
    empty = _empty(len(out))
    for c in PENDING_COLUMNS:
        out[c] = empty
    return out


#: column widths of the checklist sheets (characters)
CHECK_WIDTHS = {
    "序号": 6,
    column_label(R.ENTERPRISE_ID): 21,
    column_label(R.NAME): 28,
    column_label(R.COUNTY): 10,
    column_label(R.INDUSTRY): 10,
    column_label("address"): 26,
    column_label("lon"): 12,
    column_label("lat"): 11,
    STANDARDS_HEADER: 26,
    EVIDENCE_HEADER: 46,
    column_label(R.LEGAL_BASIS): 40,
    PROPOSAL_HEADER: 12,
    ESCALATION_HEADER: 10,
    CHECK_BASIS_HEADER: 30,
    NOT_ASSESSED_HEADER: 34,
    NOTES_HEADER: 34,
    **dict.fromkeys(LEDGER_STATE_HEADERS.values(), 12),
    LEDGER_STATE_HEADERS[R.DECISION_DOC]: 20,
    VERDICT: 12,
    "核查情况说明": 30,
    "核查人": 10,
    "日期": 12,
    "企业确认（签字）": 16,
    "补充情况": 30,
    "决定处置": 12,
    "决定文号": 20,
    "发文单位": 16,
    "整改期限": 12,
    "更正经度": 12,
    "更正纬度": 11,
    RUN_ID_HEADER: 26,
}
