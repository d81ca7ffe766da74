"""Computed grades joined to a registry, and screening with them: standards 2 and 10 read the computed grade."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import registry_frame, usc

import geo_screen as gs
from geo_screen import results as R
from geo_screen.errors import InputDataError
from geo_screen.grading.join import apply_grades, read_grades
from geo_screen.pack.catalog import load_catalog


def computed(grades: dict[int, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            R.ENTERPRISE_ID: [usc(i) for i in grades],
            R.GRADE: list(grades.values()),
            R.GRADE_SCORE: [63.24 + i for i in grades],
            R.GRADE_RANK: [f"{i + 1}/530" for i in grades],
        }
    )


@pytest.fixture(scope="module")
def screened(tiny_pack, tmp_path_factory):
    frame = registry_frame()
    frame.loc[0, "绩效等级"] = ""  # no grade in the registry: the computed D fills it
    frame.loc[3, "手续齐全"] = "否"
    frame.loc[3, "绩效等级"] = ""  # procedures incomplete, computed C: transform (C/D may not make up procedures)
    path = tmp_path_factory.mktemp("graded") / "reg.csv"
    frame.to_csv(path, index=False)
    catalog = load_catalog(tiny_pack)
    grades = computed({0: "D", 1: "C", 2: "B", 3: "C"})
    return gs.screen(path, catalog), gs.screen(path, catalog, grades=grades)


def test_the_computed_grade_fills_a_blank_and_drives_standards_2_and_10(screened):
    plain, graded = (r.enterprises for r in screened)
    assert pd.isna(plain.loc[0, R.GRADE]) and plain.loc[0, R.std_column("10")] == R.NOT_ASSESSED
    assert graded.loc[0, R.GRADE] == "D" and graded.loc[0, R.std_column("10")] == R.HIT
    assert plain.loc[3, R.std_column("2")] == R.HIT and graded.loc[3, R.std_column("2")] == R.HIT
    # standard 2's own disposition follows the grade (no grade: stop; D: transform); the row's overall
    # disposition is then the most severe of its hits (here the location's per_law outranks transform)
    row = plain.loc[3, R.INPUT_ROW]
    std2 = [
        r.hits.loc[(r.hits["standard"] == "2") & (r.hits[R.INPUT_ROW] == row), R.DISPOSITION].tolist() for r in screened
    ]
    assert std2 == [["stop"], ["transform"]]
    assert plain.loc[3, R.DISPOSITION] == "stop" and graded.loc[3, R.DISPOSITION] != "stop"
    assert graded.loc[0, R.GRADE_SCORE] == 63.24 and graded.loc[0, R.GRADE_RANK] == "1/530"


def test_the_registry_grade_wins_with_a_warning(screened):
    plain, graded = (r.enterprises for r in screened)
    assert graded.loc[1, R.GRADE] == "B" and "grade_disagrees:registry=B,computed=C" in graded.loc[1, R.ISSUES]
    assert "grade_disagrees" not in graded.loc[2, R.ISSUES]
    assert (graded[R.DISPOSITION].drop([0, 3]) == plain[R.DISPOSITION].drop([0, 3])).all()
    assert screened[1].manifest["grades"] == {"matched": 4, "filled": 2, "disagree": 1}


def test_without_grades_nothing_changes(screened):
    plain = screened[0].enterprises
    assert R.GRADE_SCORE not in plain and R.GRADE_RANK not in plain and "grades" not in screened[0].manifest


def test_grades_csv_read_back_and_its_problems(tmp_path):
    path = tmp_path / "grades.csv"
    computed({0: "A", 1: "D"}).assign(grade_status="graded").to_csv(path, index=False)
    table = read_grades(path)
    assert table[R.GRADE].tolist() == ["A", "D"] and table[R.GRADE_RANK].tolist() == ["1/530", "2/530"]
    computed({0: "A", 1: "E"}).to_csv(path, index=False)
    with pytest.raises(InputDataError, match="grades other than A/B/C/D in data rows 2"):
        read_grades(path)
    twice = pd.concat([computed({0: "A"}), computed({0: "B"})])
    with pytest.raises(InputDataError, match="1 enterprise ids have more than one grade"):
        apply_grades(pd.DataFrame({R.ENTERPRISE_ID: [usc(0)]}), twice)
