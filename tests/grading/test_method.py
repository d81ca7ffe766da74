"""The method file: the shipped default loads, and each mistake is one clear message naming file and field."""

from __future__ import annotations

import pytest
import yaml

from geo_screen.errors import ConfigError
from geo_screen.grading.formula import Formula, FormulaError
from geo_screen.grading.method import DEFAULT_METHOD, load_method
from tests.grading.cases import method_dict


def write(tmp_path, data) -> str:
    path = tmp_path / "method.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return str(path)


def test_the_default_method_loads_cites_its_source_and_marks_its_numbers():
    method = load_method()
    assert {g: sum(i.weight for i in grp.indicators) for g, grp in method.groups.items()} == {
        "above": 100,
        "below": 100,
    }
    assert "苏政发〔2017〕143号" in method.document and "check" in method.document
    text = DEFAULT_METHOD.read_text("utf-8")
    assert "REPLACE WITH ITS OWN (check)" in text and "(check)" in text.split("weight: 45")[1].splitlines()[0]


def test_weights_not_summing_to_100_name_the_file_and_group(tmp_path):
    data = method_dict()
    data["groups"]["all"]["indicators"][1]["weight"] = 35
    with pytest.raises(ConfigError, match=r"method.yaml is invalid: groups.all: weights sum to 95 .*must sum to 100"):
        load_method(write(tmp_path, data))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(colour="red"), r"colour: Extra inputs are not permitted"),
        (lambda d: d["groups"]["all"]["indicators"][0].update(formula="__import__('os')"), r"not an input column|uses"),
        (lambda d: d["groups"]["all"]["indicators"][0].update(formula="tax ** 2"), r"operator other than"),
        (lambda d: d["groups"]["all"]["indicators"][0]["benchmark"].update(k=2), r"takes 'value'.*no 'k'"),
        (lambda d: d["classes"].reverse(), r"classes: list A, B, C, D in this order"),
        (lambda d: d["classes"][3].update(up_to_percent=99), r"end at 100"),
        (lambda d: d["exempt"][0]["when"].update(column="tax"), r"test 'contains' reads one of industry"),
        (lambda d: d["adjustments"][1].update(to_class="D"), r"either 'points'.*or 'to_class: D'"),
    ],
)
def test_each_mistake_is_one_clear_message(tmp_path, edit, message):
    data = method_dict()
    edit(data)
    with pytest.raises(ConfigError, match=message):
        load_method(write(tmp_path, data))


def test_missing_or_broken_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist; pass an existing YAML as method="):
        load_method(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("groups: [", "utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_method(tmp_path / "bad.yaml")


def test_formulas_are_parsed_never_evaluated_as_python():
    f = Formula.parse("(tax + 1) / land_area_mu * -2", allowed={"tax", "land_area_mu"})
    assert set(f.columns) == {"tax", "land_area_mu"}
    for text in ("open('x')", "tax.real", "[tax]", "tax if tax else 1", "lambda: 1", "'a'"):
        with pytest.raises(FormulaError):
            Formula.parse(text, allowed={"tax"})
