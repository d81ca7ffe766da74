"""The evaluation method: a YAML file of indicators, weights, benchmarks, caps, bonus/penalty, T class and cut-offs.

The shipped default (``methods/jiangsu_county_default.yaml``) is seeded from a published Jiangsu method; every
number in it is the county's to replace with its own (copy the file, edit it, pass it as ``method=``). The file
is validated once on load with pydantic (unknown keys are errors); a problem names the file and the field path,
e.g. ``groups.above: weights sum to 95, they must sum to 100``.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from geo_screen import results as R
from geo_screen.grading.formula import Formula, FormulaError
from geo_screen.yamlfile import load_model

DEFAULT_METHOD = Path(__file__).parent / "methods" / "jiangsu_county_default.yaml"

#: numeric columns of the indicator table a formula or a condition may read
NUMBER_INPUTS = ("land_area_mu", "tax", "sales", "value_added", "energy_tce", "pollutant_eq", "rd_spend", "staff")
#: yes/no columns a condition may read
FLAG_INPUTS = ("serious_violation", "major_accident", "high_tech")
#: text columns a condition may read, and the date column
TEXT_INPUTS, DATE_INPUT = (R.INDUSTRY,), "start_date"
GroupKey = Literal["above", "below", "all"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Benchmark(_Model):
    """What an indicator's value is divided by: a ``fixed`` value, or ``county_mean`` × ``k``."""

    mode: Literal["fixed", "county_mean"]
    value: float | None = Field(None, gt=0)
    k: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_parameter(self) -> Benchmark:
        if self.mode == "fixed" and (self.value is None or self.k is not None):
            raise ValueError("mode 'fixed' takes 'value' (the benchmark itself) and no 'k'")
        if self.mode == "county_mean" and (self.k is None or self.value is not None):
            raise ValueError("mode 'county_mean' takes 'k' (benchmark = k x the county's mean) and no 'value'")
        return self


class Indicator(_Model):
    """One indicator: score = weight x min(value / benchmark, cap)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    unit: str = ""
    formula: str
    weight: float = Field(gt=0, le=100)
    benchmark: Benchmark
    cap: float | None = Field(None, gt=0, description="highest score as a multiple of the weight")

    @field_validator("formula")
    @classmethod
    def _safe_formula(cls, text: str) -> str:
        try:
            Formula.parse(text, allowed=NUMBER_INPUTS)
        except FormulaError as err:
            raise ValueError(str(err)) from err
        return text

    @property
    def parsed(self) -> Formula:
        """The checked formula."""
        return Formula.parse(self.formula, allowed=NUMBER_INPUTS)


class Group(_Model):
    """The indicators of one group of enterprises (above or below designated size); weights sum to 100."""

    name: str = ""
    indicators: list[Indicator] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights(self) -> Group:
        total = sum(i.weight for i in self.indicators)
        if abs(total - 100.0) > 1e-6:
            weights = ", ".join(f"{i.id} {i.weight:g}" for i in self.indicators)
            raise ValueError(f"weights sum to {total:g} ({weights}); they must sum to 100")
        ids = [i.id for i in self.indicators]
        if len(set(ids)) < len(ids):
            raise ValueError(f"indicator ids repeat ({', '.join(ids)}); give each a distinct id")
        return self


class Condition(_Model):
    """A test on one input column: ``is`` (yes/no), ``contains``/``in`` (text), ``less_than`` (number),
    ``within_years`` (start date no longer ago than that at the method's ``as_of``)."""

    column: str
    is_: bool | None = Field(None, alias="is")
    contains: list[str] | None = None
    in_: list[str] | None = Field(None, alias="in")
    less_than: float | None = None
    within_years: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = {k: v for k, v in self.model_dump(by_alias=True).items() if k != "column" and v is not None}
        if len(tests) != 1:
            raise ValueError(f"give exactly one test (is, contains, in, less_than, within_years), got {list(tests)}")
        test = next(iter(tests))
        allowed = {
            "is": FLAG_INPUTS,
            "contains": TEXT_INPUTS,
            "in": TEXT_INPUTS,
            "less_than": NUMBER_INPUTS,
            "within_years": (DATE_INPUT,),
        }[test]
        if self.column not in allowed:
            raise ValueError(f"test {test!r} reads one of {', '.join(allowed)}, not {self.column!r}")
        return self

    @property
    def test(self) -> str:
        """The test's name as written in the file."""
        return next(k for k, v in self.model_dump(by_alias=True).items() if k != "column" and v is not None)


class Exemption(_Model):
    """A T-class rule (不参评): enterprises it matches get no grade."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    when: Condition
    groups: list[GroupKey] | None = None


class Adjustment(_Model):
    """A bonus or penalty: ``points`` added (negative: a penalty), or ``to_class: D`` straight to D."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    when: Condition
    points: float | None = None
    to_class: Literal["D"] | None = None

    @model_validator(mode="after")
    def _one_effect(self) -> Adjustment:
        if (self.points is None) == (self.to_class is None):
            raise ValueError("give either 'points' (bonus > 0, penalty < 0) or 'to_class: D', not both")
        return self


class ClassCut(_Model):
    """A class and the share of the county's ranked enterprises it reaches down to (cumulative, in %)."""

    grade: Literal["A", "B", "C", "D"]
    up_to_percent: float = Field(gt=0, le=100)


class Method(_Model):
    """A whole evaluation method (see ``methods/jiangsu_county_default.yaml``)."""

    name: str
    document: str
    source: str = ""
    note: str = ""
    as_of: dt.date
    groups: dict[GroupKey, Group]
    exempt: list[Exemption] = []
    adjustments: list[Adjustment] = []
    classes: list[ClassCut]

    @model_validator(mode="after")
    def _cross_check(self) -> Method:
        keys = set(self.groups)
        if not keys or ("all" in keys and len(keys) > 1):
            raise ValueError("groups: either 'all' alone, or 'above' and/or 'below' (designated size)")
        grades = [c.grade for c in self.classes]
        if grades != list(R.GRADE_LETTERS):
            raise ValueError(f"classes: list A, B, C, D in this order, got {grades}")
        cuts = [c.up_to_percent for c in self.classes]
        if cuts != sorted(cuts) or len(set(cuts)) < len(cuts) or cuts[-1] != 100:
            raise ValueError(f"classes: up_to_percent must increase and end at 100, got {cuts}")
        for rule in self.exempt:
            if rule.groups and not set(rule.groups) <= keys:
                raise ValueError(f"exempt {rule.id}: groups {rule.groups} are not among the method's {sorted(keys)}")
        ids = [r.id for r in (*self.exempt, *self.adjustments)]
        if len(set(ids)) < len(ids):
            raise ValueError(f"exempt and adjustments ids repeat ({', '.join(ids)}); give each a distinct id")
        return self

    def indicators(self) -> dict[str, Indicator]:
        """Every indicator of every group by id (an id in two groups is one column of the grades table)."""
        return {i.id: i for g in self.groups.values() for i in g.indicators}

    def inputs_all(self) -> tuple[str, ...]:
        """The numeric input columns any group's indicators read."""
        return tuple(dict.fromkeys(c for g in self.groups for c in self.inputs(g)))

    def inputs(self, group: str) -> tuple[str, ...]:
        """The numeric input columns the indicators of ``group`` read."""
        return tuple(dict.fromkeys(c for i in self.groups[group].indicators for c in i.parsed.columns))


def load_method(path: str | Path | None = None) -> Method:
    """Load and validate an evaluation method YAML (the shipped default when ``path`` is None).

    Raises
    ------
    ConfigError
        The file is missing or not YAML, or a key or value is wrong (every problem, with its field path).
    """
    file = Path(path).resolve() if path else DEFAULT_METHOD
    stamp = file.stat().st_mtime_ns if file.exists() else None
    return _load_cached(str(file), stamp)


@lru_cache(maxsize=8)
def _load_cached(path: str, _stamp: int | None) -> Method:
    return load_model(
        path,
        Method,
        what="method file",
        missing="pass an existing YAML as method= or leave it out for the shipped default method",
    )
