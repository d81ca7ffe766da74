"""The rule-set model and the attribute standards: validation, not-assessed semantics, precedence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_screen import results as R
from geo_screen.errors import ConfigError
from geo_screen.screening.dispositions import attribute_standards, overall_dispositions
from geo_screen.screening.rules import DEFAULT_RULES, load_rules


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def frame(**columns) -> pd.DataFrame:
    data = {}
    for key, values in columns.items():
        data[key] = (
            pd.array(values, dtype="boolean") if key in R.ATTRIBUTE_COLUMNS else pd.array(values, dtype="string")
        )
    return pd.DataFrame(data)


def test_shipped_rules_cover_every_standard(rules):
    assert set(rules.standards) == set(R.STANDARDS)
    assert rules.precedence[0] == "close" and rules.precedence[-1] == "none"
    assert rules.standards["9"].disposition == "relocate"
    assert rules.standards["4"].by_zone["first"].disposition == "close"
    assert rules.standards["4"].by_zone["quasi"].disposition == "per_law"
    for rule in rules.standards.values():
        assert "179号" in rule.legal_basis


def test_missing_attribute_is_not_assessed_never_clear(rules):
    status, evidence = attribute_standards(frame(major_hazard=[True, False, None]), rules)
    assert list(status["std_07"]) == [R.HIT, R.CLEAR, R.NOT_ASSESSED]
    # a standard whose attribute column is absent altogether
    assert set(status["std_01"]) == {R.NOT_ASSESSED}
    assert list(evidence["_pos"]) == [0]
    assert evidence.iloc[0][R.DISPOSITION] == "stop"


def test_standard_6_needs_both_halves_to_clear(rules):
    f = frame(emission_compliant=[False, True, True, None, None], energy_over_limit=[None, False, True, True, None])
    status, _ = attribute_standards(f, rules)
    assert list(status["std_06"]) == [R.HIT, R.CLEAR, R.HIT, R.HIT, R.NOT_ASSESSED]


def test_standard_2_depends_on_grade(rules):
    f = frame(
        procedures_complete=[False, False, False, False, False, True], performance_grade=["A", "B", "C", "D", None, "D"]
    )
    status, evidence = attribute_standards(f, rules)
    assert list(status["std_02"]) == [R.HIT] * 5 + [R.CLEAR]
    std2 = evidence[evidence["standard"] == "2"].set_index("_pos")
    assert list(std2[R.DISPOSITION]) == ["rectify", "rectify", "transform", "transform", "stop"]
    assert list(status["std_10"]) == [R.CLEAR, R.CLEAR, R.CLEAR, R.HIT, R.NOT_ASSESSED, R.HIT]
    assert set(std2["detail"]) == {"手续齐全=否"}
    assert set(evidence[evidence["standard"] == "10"]["detail"]) == {"绩效等级=D"}


def _overall(rules, statuses: dict[str, list[str]], evidence_rows: list[tuple[int, str, str]], n: int):
    cols = {R.std_column(s): [R.CLEAR] * n for s in R.STANDARDS}
    cols.update({R.std_column(k): v for k, v in statuses.items()})
    ev = pd.DataFrame(evidence_rows, columns=["_pos", "standard", R.DISPOSITION])
    ev[R.LEGAL_BASIS] = ev["standard"].map(lambda s: rules.standards[s].legal_basis)
    return overall_dispositions(pd.DataFrame(cols), ev, rules, n)


def test_precedence_most_severe_wins(rules):
    out = _overall(
        rules,
        {"9": [R.HIT, R.CLEAR], "7": [R.HIT, R.HIT], "10": [R.HIT, R.CLEAR], "scattered": [R.CLEAR, R.HIT]},
        [(0, "9", "relocate"), (0, "7", "stop"), (0, "10", "transform"), (1, "7", "stop"), (1, "scattered", "close")],
        2,
    )
    assert list(out[R.DISPOSITION]) == ["relocate", "close"]
    assert list(out[R.STANDARDS_HIT]) == ["7;9;10", "7;scattered"]
    assert list(out[R.DISPOSITION_ZH]) == ["搬迁", "关闭取缔"]
    assert "第（九）项" in out.loc[0, R.LEGAL_BASIS]


def test_no_hit_with_missing_data_is_not_assessed(rules):
    out = _overall(rules, {"5": [R.NOT_ASSESSED, R.CLEAR]}, [], 2)
    assert list(out[R.DISPOSITION]) == [R.NOT_ASSESSED_DISPOSITION, R.NO_DISPOSITION]
    assert list(out[R.NOT_ASSESSED_COL]) == ["5", ""]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(R.STANDARD_VALUES), min_size=len(R.STANDARDS), max_size=len(R.STANDARDS)),
        min_size=1,
        max_size=20,
    )
)
def test_every_row_gets_exactly_one_disposition(rows):
    rules = load_rules()
    n = len(rows)
    statuses = pd.DataFrame(rows, columns=[R.std_column(s) for s in R.STANDARDS])
    ev = [
        (i, s, rules.standards[s].disposition)
        for i, row in enumerate(rows)
        for s, v in zip(R.STANDARDS, row)
        if v == R.HIT
    ]
    out = _overall(rules, {s: list(statuses[R.std_column(s)]) for s in R.STANDARDS}, ev, n)
    assert len(out) == n
    assert out[R.DISPOSITION].isin(list(R.DISPOSITION_CODES)).all()
    hit_any = (statuses == R.HIT).any(axis=1).to_numpy()
    assert ((out[R.DISPOSITION] != "none") | ~hit_any).all()
    assert (np.where(hit_any, out[R.STANDARDS_HIT] != "", out[R.STANDARDS_HIT] == "")).all()


def _edited(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(DEFAULT_RULES.read_text("utf-8"))
    edit(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def test_edited_rules_change_dispositions(tmp_path):
    path = _edited(tmp_path, lambda d: d["standards"]["9"].update(disposition="transform"))
    assert load_rules(path).standards["9"].disposition == "transform"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["standards"]["9"].update(dispositon="close"), r"standards\.9\.dispositon"),
        (lambda d: d["standards"]["9"].update(disposition="shutdown"), r"standards\.9\.disposition"),
        (lambda d: d["standards"].pop("7"), r"missing 7"),
        (lambda d: d["standards"]["7"]["any_of"][0].update(attribute="major_hazzard"), r"did you mean 'major_hazard'"),
        (lambda d: d["standards"]["3"].update(source="attribute"), r"use 'spatial'"),
        (lambda d: d.update(precedence=["close", "none"]), r"not in 'precedence'; add it there"),
    ],
)
def test_invalid_rules_name_the_field(tmp_path, edit, message):
    with pytest.raises(ConfigError, match=message):
        load_rules(_edited(tmp_path, edit))


def test_rules_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_rules(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("standards: [unclosed", "utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_rules(bad)


@pytest.mark.parametrize("n_bases", [5, 70])  # 70 bases, 11 on one row: too many to pack, the tuple path
def test_bases_per_row_join_distinct_bases_in_order_of_appearance(n_bases):
    from geo_screen.screening.dispositions import _bases_per_row

    rng = np.random.default_rng(n_bases)
    labels = [f"依据{i}" for i in range(n_bases)]
    pos = np.concatenate([np.zeros(11, dtype=np.int64), rng.integers(1, 40, 300)])
    codes = np.concatenate([np.arange(11) % n_bases, rng.integers(0, n_bases, 300)])
    codes[::17] = -1  # missing bases add nothing
    basis = pd.Categorical.from_codes(codes, categories=labels)
    got = pd.Series(np.asarray(_bases_per_row(pos, basis, 45), dtype=object))
    expected = []
    for row in range(45):
        seen = [labels[c] for p, c in zip(pos, codes) if p == row and c >= 0]
        expected.append("；".join(dict.fromkeys(seen)) or None)
    assert [None if pd.isna(v) else v for v in got] == expected


# --------------------------------------------------------------------------- issue 13: legal problems stay visible


def test_precedence_puts_per_law_before_transform_and_demolish_before_eliminate(rules):
    assert rules.precedence == [
        "close", "relocate", "demolish", "eliminate", "stop", "per_law", "transform", "rectify", "none"
    ]  # fmt: skip
    assert list(R.DISPOSITION_CODES[:-1]) == rules.precedence


def test_red_line_with_grade_c_is_per_law_and_every_hit_basis_is_on_the_row(rules):
    """A red-line hit (3, per_law) with missing procedures and grade C (2, transform) used to come out as 转型
    with only standard 2's basis: the red-line basis disappeared from the row."""
    out = _overall(
        rules,
        {"2": [R.HIT], "3": [R.HIT], "10": [R.HIT]},
        [(0, "10", "transform"), (0, "3", "per_law"), (0, "2", "transform"), (0, "3", "per_law")],
        1,
    )
    assert out.loc[0, R.DISPOSITION] == "per_law"
    # every hit standard's basis, in standard order, once each
    assert out.loc[0, R.LEGAL_BASIS] == "；".join(rules.standards[s].legal_basis for s in ("2", "3", "10"))


def test_rows_bases_leave_out_evidence_that_is_not_a_hit(rules):
    out = _overall(rules, {"7": [R.HIT]}, [(0, "7", "stop"), (0, "4", "none")], 1)
    assert out.loc[0, R.LEGAL_BASIS] == rules.standards["7"].legal_basis


def test_edited_precedence_still_decides(tmp_path):
    order = ["close", "relocate", "eliminate", "demolish", "stop", "transform", "rectify", "per_law", "none"]
    rules = load_rules(_edited(tmp_path, lambda d: d.update(precedence=order)))
    out = _overall(rules, {"2": [R.HIT], "3": [R.HIT]}, [(0, "2", "transform"), (0, "3", "per_law")], 1)
    assert out.loc[0, R.DISPOSITION] == "transform"
