"""The evaluation: indicator values, scores, bonus and penalty, T class, rank within the county, and the class.

For each enterprise of the indicator table, in the method's group of its size class:

* ``value`` of each indicator from its formula; ``score = weight x min(value / benchmark, cap)``, the benchmark
  ``fixed`` or ``k x`` the mean of the indicator over the county's evaluated enterprises of the group;
* ``grade_score`` = the sum of the scores + bonus - penalty points (2 decimals: what is shown is what is ranked);
* ``grade_rank`` ``r/n``: rank within the county and group (ties share the better rank), ``n`` ranked there;
* the class: the first of A, B, C, D whose ``up_to_percent`` reaches ``r / n``; tied enterprises get one class.

A T-class rule gives no grade (``t_class``); a ``to_class: D`` adjustment gives D outside the ranking. A row
that cannot be evaluated -- no id, a duplicate id, no county, no size class, a missing, unparsed or negative
input, a land area of zero -- is ``not_graded`` with its reasons in ``grade_reason``; it never gets a grade and
never counts in a benchmark or a ranking.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from geo_screen import results as R
from geo_screen.errors import InputDataError
from geo_screen.grading.indicators import INDICATOR_ALIASES, indicators_from_frame, read_indicators
from geo_screen.grading.method import Condition, Method, load_method
from geo_screen.inputs.values import join_issues
from geo_screen.vocabulary import MISSING_ZH

_SHOWN = (R.INPUT_ROW, R.ENTERPRISE_ID, R.NAME, R.COUNTY, R.INDUSTRY, *R.GRADE_INPUTS[:2], "serious_violation")


@dataclass
class Grades:
    """An evaluation's result: the per-enterprise table, the benchmarks used, the method and any warnings."""

    table: pd.DataFrame  #: one row per indicator-table row, in input order
    benchmarks: pd.DataFrame  #: county, group, indicator, enterprises, mean, benchmark
    method: Method
    warnings: list[str] = field(default_factory=list)
    source: str | None = None

    def for_registry(self) -> pd.DataFrame:
        """The columns ``grades.csv`` holds: id, name, county, grade, score, rank, status and reason."""
        cols = [R.ENTERPRISE_ID, R.NAME, R.COUNTY, R.GRADE, R.GRADE_SCORE, R.GRADE_RANK, R.GRADE_STATUS]
        return self.table[[c for c in (*cols, R.GRADE_REASON) if c in self.table]]

    def counts(self) -> pd.DataFrame:
        """Enterprises per county (rows) and class A/B/C/D, T and not graded (columns), with totals."""
        t = self.table
        cls = t[R.GRADE].astype(object).where(t[R.GRADE].notna(), t[R.GRADE_STATUS].map(_STATUS_CLASS))
        order = [*R.GRADE_LETTERS, "T", R.GRADE_NOT_GRADED]
        table = pd.crosstab(t[R.COUNTY].fillna(MISSING_ZH), pd.Categorical(cls, categories=order), dropna=False)
        table.loc["合计"] = table.sum()
        table.columns.name, table.index.name = None, R.COUNTY
        return table


_STATUS_CLASS = {R.GRADE_EXEMPT: "T", R.GRADE_NOT_GRADED: R.GRADE_NOT_GRADED}


def grade_enterprises(indicators, *, method: Method | str | os.PathLike | None = None) -> Grades:
    """Evaluate every enterprise of an indicator table.

    Parameters
    ----------
    indicators
        A CSV/XLSX path (read with :func:`~geo_screen.grading.indicators.read_indicators`) or a frame with its
        headers (canonical or Chinese).
    method
        A method YAML path or :class:`~geo_screen.grading.method.Method`; the shipped default when None.

    Returns
    -------
    Grades
        The table (every input row once, in input order) with every indicator value and score, the total, rank,
        class, status and reason; the benchmarks per county; warnings about rules the table cannot apply.

    Raises
    ------
    InputDataError
        The table lacks a column the method's indicators read, an id column or a county column.
    """
    method = method if isinstance(method, Method) else load_method(method)
    if isinstance(indicators, str | os.PathLike):
        source = str(Path(indicators))
        frame = read_indicators(indicators)
    else:
        source = None
        frame = indicators if R.INPUT_ROW in indicators else indicators_from_frame(indicators)
    frame = frame.reset_index(drop=True)
    _check_columns(frame, method, source or "the indicator table")
    return _Evaluation(frame, method).run(source)


def _check_columns(frame: pd.DataFrame, method: Method, where: str) -> None:
    needed = {c: g for g in method.groups for c in method.inputs(g)}
    if "all" not in method.groups:
        needed["size_class"] = "above/below"
    missing = [c for c in needed if c not in frame]
    if missing:
        lines = [f"{c} (read by group {needed[c]}; headers: {', '.join(INDICATOR_ALIASES[c][:5])})" for c in missing]
        raise InputDataError(
            f"{where}: the method needs columns the table does not have: {'; '.join(lines)}. Add them, or pass a "
            "method whose indicators read only the columns you have"
        )


class _Evaluation:
    """One evaluation run; keeps the per-row state (status, reasons) while the steps fill the columns."""

    def __init__(self, frame: pd.DataFrame, method: Method):
        self.frame, self.method, self.n = frame, method, len(frame)
        self.status = np.full(self.n, R.GRADE_GRADED, dtype=object)
        self.reasons: list[pa.Array | None] = []
        self.warnings: list[str] = []
        self.group = np.full(self.n, None, dtype=object)

    # ----------------------------------------------------------------------- row status
    def _mark(self, mask: np.ndarray, texts, status: str = R.GRADE_NOT_GRADED) -> None:
        """Set ``status`` and a reason where ``mask`` and the row is still graded (the first problem decides)."""
        mask = np.asarray(mask, dtype=bool) & (self.status == R.GRADE_GRADED)
        if not mask.any():
            return
        out = np.full(self.n, None, dtype=object)
        out[mask] = texts if isinstance(texts, str) else np.asarray(texts, dtype=object)[mask]
        self.status[mask] = status
        self.reasons.append(pa.array(out, type=pa.large_string()))

    def _note(self, mask: np.ndarray, text: str) -> None:
        """A reason that does not change the status (a straight-to-D rule)."""
        out = np.full(self.n, None, dtype=object)
        out[np.asarray(mask, dtype=bool)] = text
        self.reasons.append(pa.array(out, type=pa.large_string()))

    def _identity(self) -> None:
        ids = self.frame[R.ENTERPRISE_ID]
        self._mark(ids.isna().to_numpy(), "enterprise_id_missing")
        dup = (ids.notna() & ids.duplicated(keep=False)).to_numpy()
        if dup.any():
            rows = pd.Series(self.frame[R.INPUT_ROW].to_numpy()[dup], index=ids[dup].to_numpy())
            label = {k: ",".join(map(str, v)) for k, v in rows.groupby(level=0).agg(list).items()}
            self._mark(dup, ("duplicate_enterprise_id:rows " + ids.map(label).fillna("")).to_numpy(dtype=object))
        self._mark(self.frame[R.COUNTY].isna().to_numpy(), "county_missing")
        if "all" in self.method.groups:
            self.group[:] = "all"
            return
        size = self.frame["size_class"]
        self.group[:] = size.to_numpy(dtype=object, na_value=None)
        unparsed = self._unparsed_token("size_class")
        self._mark(size.isna().to_numpy(), np.where(unparsed != "", unparsed, "size_class_missing"))
        for key in ("above", "below"):
            if key not in self.method.groups:
                self._mark((size == key).fillna(False).to_numpy(), f"not_in_method:{key}", R.GRADE_EXEMPT)

    def _unparsed_token(self, column: str) -> np.ndarray:
        issues = self.frame[R.ISSUES].fillna("")
        return issues.str.extract(rf"({column}_unparsed:[^;]*)", expand=False).fillna("").to_numpy(dtype=object)

    # ----------------------------------------------------------------------- conditions
    def _condition(self, cond: Condition) -> np.ndarray | None:
        """Per row True / False / None (unknown); None for the whole table when it has no such column."""
        if cond.column not in self.frame:
            return None
        col = self.frame[cond.column]
        test = cond.test
        if test == "is":
            values = col.astype("boolean")
            hit = (values == cond.is_).to_numpy(dtype=object, na_value=None)
            return hit if cond.is_ else np.where(values.isna(), None, hit)
        if test in ("contains", "in"):
            text = col.astype("string")
            words = cond.contains if test == "contains" else cond.in_
            hit = text.isin(words) if test == "in" else text.str.contains("|".join(map(re.escape, words)), regex=True)
            return hit.to_numpy(dtype=object, na_value=None)
        if test == "less_than":
            values = col.to_numpy(dtype="float64")
            return np.where(np.isnan(values), None, values < cond.less_than).astype(object)
        since = np.datetime64(self.method.as_of) - np.timedelta64(int(round(cond.within_years * 365.25)), "D")
        dates = col.to_numpy(dtype="datetime64[D]")
        return np.where(np.isnat(dates), None, dates > since).astype(object)

    def _rule_condition(self, rule, what: str) -> np.ndarray | None:
        """``rule``'s condition per enterprise (True, False or None), or None with a warning when the table has no
        column for it (the rule is then not applied)."""
        result = self._condition(rule.when)
        if result is None:
            self.warnings.append(
                f"{what} {rule.id} ({rule.name}) not applied: the table has no {rule.when.column} column "
                f"(headers: {', '.join(INDICATOR_ALIASES[rule.when.column][:4])})"
            )
        return result

    def _exemptions(self) -> None:
        undecided = np.zeros(self.n, dtype=bool)
        why = np.full(self.n, "", dtype=object)
        for rule in self.method.exempt:
            result = self._rule_condition(rule, "T-class rule")
            if result is None:
                continue
            applies = np.isin(self.group, rule.groups) if rule.groups else np.ones(self.n, dtype=bool)
            self._mark(applies & (result == True), f"{rule.id}: {rule.name}", R.GRADE_EXEMPT)  # noqa: E712
            open_ = applies & np.array([r is None for r in result])
            why[open_ & ~undecided] = f"{rule.when.column}_missing (T-class rule {rule.id})"
            undecided |= open_
        self._mark(undecided, why)

    # ----------------------------------------------------------------------- inputs and scores
    def _inputs(self) -> None:
        for group in self.method.groups:
            rows = self.group == group
            for column in self.method.inputs(group):
                values = self.frame[column].to_numpy(dtype="float64")
                unparsed = self._unparsed_token(column)
                missing = rows & np.isnan(values)
                self._mark(missing, np.where(unparsed != "", unparsed, f"{column}_missing"))
                self._mark(rows & (values < 0), [f"{column}_negative:{v:g}" for v in values])
                if column == "land_area_mu":
                    self._mark(rows & (values == 0), "land_area_mu_not_positive:0")

    def _scores(self) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
        columns = {c: self.frame[c].to_numpy(dtype="float64") for c in self.method.inputs_all()}
        values = {i: np.full(self.n, np.nan) for i in self.method.indicators()}
        for group, spec in self.method.groups.items():  # values first: a row that cannot be scored counts nowhere
            rows = self.group == group
            for ind in spec.indicators:
                raw = ind.parsed.evaluate(columns)
                values[ind.id][rows] = np.where(np.isnan(raw), 0.0, raw)[rows]  # 0/0: nothing paid for nothing used
                if ind.cap is None:
                    self._mark(rows & np.isinf(raw), f"{ind.id}_division_by_zero")
        scores = {i: np.full(self.n, np.nan) for i in self.method.indicators()}
        county = self.frame[R.COUNTY].to_numpy(dtype=object, na_value=None)
        bench_rows = []
        for group, spec in self.method.groups.items():
            live = (self.group == group) & (self.status == R.GRADE_GRADED)
            for ind in spec.indicators:
                value = values[ind.id]
                for name in pd.unique(county[live]):
                    at = live & (county == name)
                    finite = value[at][np.isfinite(value[at])]
                    mean = float(finite.mean()) if len(finite) else np.nan
                    bench = ind.benchmark.value if ind.benchmark.mode == "fixed" else ind.benchmark.k * mean
                    with np.errstate(divide="ignore", invalid="ignore"):
                        ratio = np.where(bench > 0, value[at] / bench, 0.0)
                    if ind.cap is not None:
                        ratio = np.minimum(ratio, ind.cap)
                    scores[ind.id][at] = ind.weight * ratio
                    bench_rows.append((name, group, ind.id, ind.name, int(at.sum()), mean, bench))
        bench = pd.DataFrame(
            bench_rows, columns=[R.COUNTY, R.GRADE_GROUP, "indicator", "name", "enterprises", "mean", "benchmark"]
        ).sort_values([R.COUNTY, R.GRADE_GROUP, "indicator"], kind="stable", ignore_index=True)
        return {**values, **{R.indicator_score_column(k): v for k, v in scores.items()}}, bench

    def _adjust(self) -> tuple[np.ndarray, np.ndarray]:
        points = np.zeros(self.n)
        to_d = np.zeros(self.n, dtype=bool)
        live = self.status == R.GRADE_GRADED
        for rule in self.method.adjustments:
            result = self._rule_condition(rule, "adjustment")
            if result is None:
                continue
            hit = live & (result == True)  # noqa: E712  (None: not recorded, no adjustment)
            if rule.to_class:
                to_d |= hit
                self._note(hit, f"{rule.id}: {rule.name}")
            else:
                points[hit] += rule.points
        return points, to_d

    def _classes(self, total: np.ndarray, to_d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grade = np.full(self.n, None, dtype=object)
        rank_text = np.full(self.n, None, dtype=object)
        ranked = (self.status == R.GRADE_GRADED) & ~to_d
        keys = pd.DataFrame({"county": self.frame[R.COUNTY].to_numpy(dtype=object), "group": self.group})
        cuts = [(c.grade, c.up_to_percent) for c in self.method.classes]
        for _, idx in keys[ranked].groupby(["county", "group"], sort=False).groups.items():
            idx = np.asarray(idx)
            rank = pd.Series(total[idx]).rank(method="min", ascending=False).to_numpy(dtype=np.int64)
            n = len(idx)
            grade[idx] = [next(g for g, cut in cuts if r * 100 <= n * cut + 1e-9) for r in rank]
            rank_text[idx] = [f"{r}/{n}" for r in rank]
        grade[(self.status == R.GRADE_GRADED) & to_d] = "D"
        return grade, rank_text

    # ----------------------------------------------------------------------- the run
    def run(self, source: str | None) -> Grades:
        self._identity()
        self._exemptions()
        self._inputs()
        computed, bench = self._scores()
        points, to_d = self._adjust()
        graded = self.status == R.GRADE_GRADED
        score_cols = [R.indicator_score_column(i) for i in self.method.indicators()]
        base = np.where(graded, np.nansum([computed[c] for c in score_cols], axis=0), np.nan)
        total = np.round(base + points, 2)
        grade, rank = self._classes(total, to_d)

        table = self.frame[[c for c in dict.fromkeys((*_SHOWN, *R.GRADE_INPUTS)) if c in self.frame]].copy()
        table[R.GRADE_GROUP] = pd.array(self.group, dtype="string")
        for ind in self.method.indicators():
            table[ind] = np.where(graded, computed[ind], np.nan).round(4)
            score = R.indicator_score_column(ind)
            table[score] = np.where(graded, computed[score], np.nan).round(2)
        table[R.GRADE_BASE] = base.round(2)
        table[R.GRADE_ADJUSTMENT] = np.where(graded, points, np.nan)
        table[R.GRADE_SCORE] = np.where(graded, total, np.nan)
        table[R.GRADE_RANK] = pd.array(rank, dtype="string")
        table[R.GRADE] = pd.array(grade, dtype="string")
        table[R.GRADE_STATUS] = pd.array(self.status, dtype="string")
        reason = pd.Series(pd.array(join_issues(self.reasons, self.n), dtype="string"), index=table.index)
        table[R.GRADE_REASON] = reason.mask(reason == "")
        return Grades(table, bench, self.method, self.warnings, source)
