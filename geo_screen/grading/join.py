"""Computed grades joined to a registry: the grade fills ``performance_grade`` where the registry has none.

A grade already in the registry wins (a published grade is a decision; the computation is a proposal); where
the two differ the row gets the issue ``grade_disagrees:registry=C,computed=B``. ``grade_score`` and
``grade_rank`` of the evaluation are added either way, so the map and the lists can say
"C类，得分 63.2，县内排名 412/530".
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from geo_screen import results as R
from geo_screen.errors import InputDataError
from geo_screen.grading.evaluate import Grades
from geo_screen.inputs.columns import COLUMN_ALIASES, match_columns
from geo_screen.inputs.identifiers import normalize_uscc_series
from geo_screen.inputs.sources import read_table
from geo_screen.inputs.values import coded_values, join_issues, number_values, text_values
from geo_screen.vocabulary import COLUMN_ZH

#: the columns of grades.csv that are read back (by canonical name or Chinese header)
GRADES_ALIASES = {
    R.ENTERPRISE_ID: COLUMN_ALIASES[R.ENTERPRISE_ID],
    R.GRADE: COLUMN_ALIASES[R.GRADE],
    R.GRADE_SCORE: (R.GRADE_SCORE, COLUMN_ZH[R.GRADE_SCORE], "综合评价得分", "得分"),
    R.GRADE_RANK: (R.GRADE_RANK, COLUMN_ZH[R.GRADE_RANK], "排名"),
}


def read_grades(grades) -> pd.DataFrame:
    """The graded enterprises of an evaluation, one row per enterprise id.

    Parameters
    ----------
    grades
        A :class:`~geo_screen.grading.evaluate.Grades`, its table, or a ``grades.csv``/``grades.xlsx`` path.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``enterprise_id``: ``performance_grade``, ``grade_score``, ``grade_rank``; rows without a
        grade (T class, not graded) are left out.

    Raises
    ------
    InputDataError
        The file is missing or has no id or grade column, or an enterprise id has two grades.
    """
    where = "grades="
    if isinstance(grades, Grades):
        frame = grades.table
    elif isinstance(grades, str | os.PathLike):
        where = str(grades)
        frame = _read_file(Path(grades))
    else:
        frame = grades
    frame = frame[frame[R.ENTERPRISE_ID].notna() & frame[R.GRADE].notna()]
    dup = frame[R.ENTERPRISE_ID].duplicated(keep=False)
    if dup.any():
        ids = sorted(set(frame.loc[dup, R.ENTERPRISE_ID]))
        raise InputDataError(
            f"{where}: {len(ids)} enterprise ids have more than one grade ({', '.join(ids[:5])}"
            f"{' ...' if len(ids) > 5 else ''}); keep one row per enterprise (re-run 'geo-screen grade')"
        )
    out = frame.set_index(R.ENTERPRISE_ID)
    return out[[c for c in (R.GRADE, R.GRADE_SCORE, R.GRADE_RANK) if c in out]]


def _read_file(path: Path) -> pd.DataFrame:
    table = read_table(path, sheet=None, layer=None, encoding=None)
    columns = match_columns([str(c) for c in table.data.columns], GRADES_ALIASES)
    missing = [c for c in (R.ENTERPRISE_ID, R.GRADE) if c not in columns]
    if missing:
        raise InputDataError(
            f"{path}: no {' and no '.join(missing)} column; pass the grades.csv 'geo-screen grade' wrote "
            f"(headers {', '.join(GRADES_ALIASES)})"
        )
    data = {R.ENTERPRISE_ID: normalize_uscc_series(text_values(table.data[columns[R.ENTERPRISE_ID]]))}
    grade, bad = coded_values(text_values(table.data[columns[R.GRADE]]), _letter)
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad)[:5])
        raise InputDataError(f"{path}: grades other than A/B/C/D in data rows {rows}; fix or clear them")
    data[R.GRADE] = grade
    if R.GRADE_SCORE in columns:
        data[R.GRADE_SCORE] = number_values(text_values(table.data[columns[R.GRADE_SCORE]]))[0]
    if R.GRADE_RANK in columns:
        data[R.GRADE_RANK] = text_values(table.data[columns[R.GRADE_RANK]])
    return pd.DataFrame(data)


def _letter(value: str):
    key = value.strip().upper().removesuffix("类")
    return key if key in R.GRADE_LETTERS else (None if key in ("", "T", "—", "-") else ...)


def apply_grades(registry: pd.DataFrame, grades) -> pd.DataFrame:
    """The registry with computed grades joined on ``enterprise_id`` (a copy; rows and order unchanged).

    ``performance_grade`` is filled where the registry has none; ``grade_score`` and ``grade_rank`` are added;
    where the registry's grade and the computed one differ, the registry's is kept and the row's ``issues``
    get ``grade_disagrees:registry=X,computed=Y``. ``attrs["grades"]`` counts what happened.
    """
    table = read_grades(grades)
    out = registry.copy()
    ids = out[R.ENTERPRISE_ID] if R.ENTERPRISE_ID in out else pd.Series(pd.NA, index=out.index, dtype="string")
    pos = table.index.get_indexer(ids.astype(object).where(ids.notna(), None))
    found = pos >= 0
    computed = np.full(len(out), None, dtype=object)
    computed[found] = table[R.GRADE].to_numpy(dtype=object)[pos[found]]
    given = out[R.GRADE].astype("string") if R.GRADE in out else pd.Series(pd.NA, index=out.index, dtype="string")
    given_values = given.to_numpy(dtype=object, na_value=None)
    fill = found & np.array([g is None for g in given_values])
    disagree = found & ~fill & (given_values != computed)
    grade = np.where(fill, computed, given_values)
    out[R.GRADE] = pd.Series(pd.array(grade, dtype="string"), index=out.index)
    for col, dtype in ((R.GRADE_SCORE, "float64"), (R.GRADE_RANK, "string")):
        values = pd.Series(np.nan if dtype == "float64" else pd.NA, index=out.index, dtype=dtype)
        if col in table:
            values[found] = table[col].to_numpy()[pos[found]]
        out[col] = values
    if disagree.any():
        note = [
            f"{R.GRADE_DISAGREES}:registry={g},computed={c}" if d else None
            for d, g, c in zip(disagree, given_values, computed)
        ]
        issues = out[R.ISSUES].fillna("") if R.ISSUES in out else pd.Series("", index=out.index)
        parts = [pa.array(issues.to_numpy(dtype=object), type=pa.large_string()), pa.array(note, pa.large_string())]
        out[R.ISSUES] = pd.Series(pd.array(join_issues(parts, len(out)), dtype="string"), index=out.index)
    out.attrs = {
        **registry.attrs,
        "grades": {"matched": int(found.sum()), "filled": int(fill.sum()), "disagree": int(disagree.sum())},
    }
    return out
