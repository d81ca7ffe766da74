"""Dispositions from the rules: first steps and escalations, standard 2's make-up path, legal bases on the row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from geo_screen import results as R
from geo_screen.errors import ConfigError
from geo_screen.screening.dispositions import attribute_standards, overall_dispositions, settled_evidence
from geo_screen.screening.rules import DEFAULT_RULES, load_rules

BOOLEAN = (*R.ATTRIBUTE_COLUMNS,)


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame({k: pd.array(v, dtype="boolean" if k in BOOLEAN else "string") for k, v in columns.items()})


def evaluate(f: pd.DataFrame, rules, spatial: dict[str, list[str]] | None = None):
    """attribute standards + spatial statuses (all clear unless given) -> (evidence, enterprise summary)."""
    status, evidence = attribute_standards(f, rules)
    for s in R.SPATIAL_STANDARDS:
        status[R.std_column(s)] = pd.Categorical((spatial or {}).get(s, [R.CLEAR] * len(f)))
    status = status[[R.std_column(s) for s in R.STANDARDS]]
    evidence = settled_evidence(evidence, status, f, rules)
    return evidence, overall_dispositions(status, evidence, rules, len(f))


def text(column) -> list[str]:
    return ["" if pd.isna(v) else v for v in column]


def edited(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(DEFAULT_RULES.read_text("utf-8"))
    edit(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


# --------------------------------------------------------------------------- first step and escalation


def test_standard_6_is_rectify_first_and_stop_after_a_failed_rectification(rules):
    f = frame(emission_compliant=[False, False, False, True], rectification_failed=[None, False, True, True])
    evidence, out = evaluate(f, rules)
    assert list(out[R.DISPOSITION]) == [
        "rectify",
        "rectify",
        "stop",
        R.NOT_ASSESSED_DISPOSITION,
    ]  # (other data missing)
    assert text(out[R.ESCALATION]) == ["stop", "stop", "", ""]
    assert text(out[R.ESCALATION_ZH]) == ["停产", "停产", "", ""]
    detail = evidence.set_index("_pos")["detail"].astype(str)
    assert "整改不到位=是" in detail[2] and "整改不到位" not in detail[0]
    escalation = rules.standards["6"].escalation
    assert "6个月" in escalation.deadline and "3个月" in escalation.deadline  # 二（五）: 6 months + at most 3
    assert "限期整改" in detail[0] and "6个月" in detail[0]


def test_scattered_polluting_is_rectified_first_closed_only_when_rectification_failed(rules):
    f = frame(scattered_polluting=[True, True], rectification_failed=[None, True])
    evidence, out = evaluate(f, rules)
    assert list(out[R.DISPOSITION]) == ["rectify", "close"]
    assert text(out[R.ESCALATION]) == ["close", ""]
    assert "整改不到位" not in str(evidence.set_index("_pos").loc[0, "detail"])  # the data never said so


def test_standard_1_eliminate_escalates_to_stop(rules):
    f = frame(eliminated_equipment=[True, True], rectification_failed=[False, True])
    evidence, out = evaluate(f, rules)
    assert list(evidence.sort_values("_pos")[R.DISPOSITION]) == ["eliminate", "stop"]
    assert text(out[R.ESCALATION]) == ["stop", ""]


def test_no_escalation_without_a_hit(rules):
    _, out = evaluate(frame(major_hazard=[True], rectification_failed=[True]), rules)
    assert out.loc[0, R.DISPOSITION] == "stop" and pd.isna(out.loc[0, R.ESCALATION])


def test_escalation_switched_off_by_edited_rules(tmp_path):
    def edit(d):
        d["standards"]["6"].pop("escalation")
        d["standards"]["6"]["disposition"] = "stop"

    rules = load_rules(edited(tmp_path, edit))
    _, out = evaluate(frame(emission_compliant=[False], rectification_failed=[None]), rules)
    assert out.loc[0, R.DISPOSITION] == "stop" and pd.isna(out.loc[0, R.ESCALATION])


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda d: d["standards"]["6"]["escalation"].update(dispositon="stop"),
            r"standards\.6\.escalation\.dispositon",
        ),
        (lambda d: d["standards"]["6"]["escalation"].update(disposition="shut"), r"standards\.6\.escalation"),
        (lambda d: d["standards"]["2"]["makeup_blocked_by"].update(standards=["3", "44"]), r"makeup_blocked_by.*44"),
    ],
)
def test_new_rule_fields_are_validated(tmp_path, edit, message):
    with pytest.raises(ConfigError, match=message):
        load_rules(edited(tmp_path, edit))


# --------------------------------------------------------------------------- standard 2: make-up path and the site


def test_grade_a_b_cannot_make_up_procedures_on_a_site_that_breaks_3_4_or_9(rules):
    f = frame(procedures_complete=[False] * 5, performance_grade=["A", "B", "A", "C", "B"])
    spatial = {
        "3": [R.HIT, R.CLEAR, R.CLEAR, R.HIT, R.NOT_ASSESSED],
        "4": [R.CLEAR, R.HIT, R.CLEAR, R.CLEAR, R.CLEAR],
        "9": [R.CLEAR, R.CLEAR, R.CLEAR, R.CLEAR, R.CLEAR],
        "5": [R.HIT, R.CLEAR, R.HIT, R.CLEAR, R.CLEAR],  # not a siting standard for 补办
    }
    evidence, _ = evaluate(f, rules, spatial)
    std2 = evidence[evidence["standard"] == "2"].set_index("_pos")
    assert list(std2[R.DISPOSITION]) == ["stop", "stop", "rectify", "transform", "rectify"]
    assert "标准3" in std2.loc[0, "detail"] and "不予补办" in std2.loc[0, "detail"]


def test_site_block_switched_off_by_edited_rules(tmp_path):
    rules = load_rules(edited(tmp_path, lambda d: d["standards"]["2"].pop("makeup_blocked_by")))
    evidence, _ = evaluate(frame(procedures_complete=[False], performance_grade=["A"]), rules, {"3": [R.HIT]})
    assert list(evidence[evidence["standard"] == "2"][R.DISPOSITION]) == ["rectify"]


@pytest.mark.parametrize("width", [3, 12, 70])
def test_joined_keys_lists_each_rows_keys_in_key_order(width):
    """The standards hit / not assessed and the check basis: each row's set keys, joined in key order."""
    import numpy as np

    from geo_screen.screening.dispositions import _joined_keys

    keys = [f"k{j}" for j in range(width)]
    mask = np.random.default_rng(width).random((500, width)) < 0.2
    mask[0] = False
    expected = [";".join(k for k, on in zip(keys, row) if on) for row in mask]
    assert list(_joined_keys(mask, keys)) == expected
    assert list(_joined_keys(mask, keys, sep="；")) == [text.replace(";", "；") for text in expected]


def test_coded_objects_are_the_labels_with_none_for_missing():
    import numpy as np

    from geo_screen import coded

    values = pd.Categorical(["b", None, "a", "b"], categories=pd.Index(["a", "b"], dtype="str"))
    out = coded.objects(values)
    assert out.dtype == object and out.tolist() == ["b", None, "a", "b"]
    out[0] = "changed"  # a copy: the column is untouched
    assert list(values)[0] == "b" and coded.objects(np.array(["x", None], dtype=object)).tolist() == ["x", None]
