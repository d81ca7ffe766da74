"""A registry's sanitary distance outside the rules' range is not used, and says so; a rules copy switches it off."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from conftest import PLACES, registry_frame

from geo_screen import results as R
from geo_screen import screen
from geo_screen.screening.rules import DEFAULT_RULES

ROW = [p[0] for p in PLACES].index("sanitary_hit")  # 水泥 500 m by the table; a target 450 m away


def _screen(tmp_path, tiny_pack, value, rules=None):
    frame = registry_frame()
    frame["卫生防护距离"] = frame["卫生防护距离"].astype(str)
    frame.loc[ROW, "卫生防护距离"] = value
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    return screen(path, tiny_pack, rules=rules).enterprises.iloc[ROW]


@pytest.mark.parametrize("value", ["1e9", "5001", "0"])
def test_out_of_range_distance_is_not_used_and_is_an_issue(tmp_path, tiny_pack, value):
    row = _screen(tmp_path, tiny_pack, value)
    assert row[R.SANITARY_REQUIRED] == 500  # the industry table's
    assert f"{R.SANITARY_DISTANCE}_out_of_range:{float(value):g}" in row[R.ISSUES]


def test_in_range_distance_is_used(tmp_path, tiny_pack):
    row = _screen(tmp_path, tiny_pack, "400")
    assert row[R.SANITARY_REQUIRED] == 400
    assert "out_of_range" not in (row[R.ISSUES] or "")


def test_a_rules_copy_without_the_range_uses_any_distance(tmp_path, tiny_pack):
    spec = yaml.safe_load(DEFAULT_RULES.read_text("utf-8"))
    spec["sanitary_distance_max_m"] = None
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    row = _screen(tmp_path, tiny_pack, "1e9", rules=rules)
    assert row[R.SANITARY_REQUIRED] == 1e9
    assert "out_of_range" not in (row[R.ISSUES] or "")
    assert np.isfinite(row[R.SANITARY_REQUIRED])
