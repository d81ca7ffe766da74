"""Writing a performance evaluation: ``grades.xlsx`` (every intermediate value, Chinese headers) and ``grades.csv``.

``grades.csv`` keeps the canonical column names (``enterprise_id``, ``performance_grade``, ``grade_score``,
``grade_rank``, ...) so that ``geo-screen screen --grades grades.csv`` and any spreadsheet can join it to a
registry by the unified social credit code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from geo_screen import results as R
from geo_screen.grading.evaluate import Grades, grade_enterprises
from geo_screen.outputs.csvfile import write_csv
from geo_screen.outputs.sheets import write_workbook
from geo_screen.vocabulary import (
    BENCHMARK_COLUMN_ZH,
    BENCHMARKS_SHEET,
    GRADE_COLUMN_ZH,
    GRADE_COUNTS_SHEET,
    GRADE_GROUP_ZH,
    GRADE_STATUS_ZH,
    GRADES_SHEET,
    METHOD_LABELS,
    METHOD_SHEET,
    column_label,
    indicator_headers,
)


def grade(indicators, *, method=None, out_dir: str | os.PathLike | None = None) -> Grades:
    """Evaluate an indicator table and, with ``out_dir``, write ``grades.xlsx`` and ``grades.csv`` there.

    Parameters
    ----------
    indicators
        A CSV/XLSX indicator table (or a frame with its headers): USCC, county, land area in mu, tax, sales,
        energy use, pollutant equivalents, R&D spend, staff, size class, start date, industry.
    method
        An evaluation method YAML (or a loaded method); the shipped default when None.
    out_dir
        Folder to write into (created when missing); nothing is written when None.

    Returns
    -------
    Grades
        The evaluation (see :func:`geo_screen.grading.evaluate.grade_enterprises`).

    Examples
    --------
    >>> grades = grade("layers/nantong/demo_indicators.csv", out_dir="out/grades")   # doctest: +SKIP
    >>> grades.counts()                                                            # doctest: +SKIP
    """
    grades = grade_enterprises(indicators, method=method)
    if out_dir is not None:
        write_grades(grades, out_dir)
    return grades


def write_grades(grades: Grades, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``grades.xlsx`` and ``grades.csv`` into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    xlsx, csv = out / R.GRADES_XLSX, out / R.GRADES_CSV
    write_workbook(
        xlsx,
        {
            GRADES_SHEET: grades_sheet(grades),
            GRADE_COUNTS_SHEET: grades.counts().reset_index().rename(columns=_count_headers()),
            BENCHMARKS_SHEET: _benchmarks_sheet(grades),
        },
        notes={METHOD_SHEET: _method_text(grades)},
    )
    write_csv(csv, grades.for_registry())
    return [xlsx, csv]


def grades_sheet(grades: Grades) -> pd.DataFrame:
    """The evaluation table with Chinese headers and Chinese status and group words."""
    table = grades.table.copy()
    table[R.GRADE_STATUS] = table[R.GRADE_STATUS].map(GRADE_STATUS_ZH)
    table[R.GRADE_GROUP] = table[R.GRADE_GROUP].map(lambda g: GRADE_GROUP_ZH.get(g, g), na_action="ignore")
    if "start_date" in table:
        table["start_date"] = table["start_date"].dt.strftime("%Y-%m-%d")
    headers = {}
    for ind_id, ind in grades.method.indicators().items():
        weights = [i.weight for g in grades.method.groups.values() for i in g.indicators if i.id == ind_id]
        headers[ind_id], headers[R.indicator_score_column(ind_id)] = indicator_headers(ind.name, ind.unit, weights)
    return table.rename(columns=lambda c: headers.get(c) or GRADE_COLUMN_ZH.get(c) or column_label(c))


def _count_headers() -> dict[str, str]:
    return {
        R.COUNTY: column_label(R.COUNTY),
        **{g: f"{g}类" for g in R.GRADE_LETTERS},
        "T": GRADE_STATUS_ZH[R.GRADE_EXEMPT],
        R.GRADE_NOT_GRADED: GRADE_STATUS_ZH[R.GRADE_NOT_GRADED],
    }


def _benchmarks_sheet(grades: Grades) -> pd.DataFrame:
    bench = grades.benchmarks.copy()
    bench[R.GRADE_GROUP] = bench[R.GRADE_GROUP].map(lambda g: GRADE_GROUP_ZH.get(g, g))
    bench[["mean", "benchmark"]] = bench[["mean", "benchmark"]].round(4)
    return bench.rename(
        columns={R.COUNTY: column_label(R.COUNTY), R.GRADE_GROUP: GRADE_COLUMN_ZH[R.GRADE_GROUP], **BENCHMARK_COLUMN_ZH}
    )


def _method_text(grades: Grades) -> str:
    m = grades.method
    values = (m.name, m.document, m.source, m.note, str(m.as_of), grades.source)
    lines = [f"{label}：{value}" for label, value in zip(METHOD_LABELS, values) if value]
    lines += [f"{METHOD_LABELS[-1]}：{w}" for w in grades.warnings]
    return "\n".join(lines)
