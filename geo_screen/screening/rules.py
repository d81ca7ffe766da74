"""Rules: the rule-set model behind ``rulesets/*.yaml``, validated once at load.

The shipped rule set (``geo_screen/rules/nantong_2017_179.yaml``) is seeded
from Annex 2 of 通政办发〔2017〕179号. A county following a later provincial
plan edits a copy and passes it as ``rules=`` (the command's ``--rules``); no code changes.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geo_screen import results as R
from geo_screen.errors import ConfigError, join_problems
from geo_screen.yamlfile import load_yaml

DEFAULT_RULES = Path(__file__).parent / "rulesets" / "nantong_2017_179.yaml"

DispositionCode = Literal[
    "close", "relocate", "eliminate", "demolish", "stop", "transform", "rectify", "per_law", "none"
]
ATTRIBUTES = (*R.ATTRIBUTE_COLUMNS, R.GRADE)

#: evidence columns screen.py produces; rules add disposition and legal_basis
EVIDENCE_KIND = "_kind"
#: spatial evidence: 1 when the zone counts as a hit, 0 when it is kept as evidence only (a quasi protection zone)
EVIDENCE_ACTS = "_acts"


class Condition(BaseModel):
    """One registry attribute test; a standard is hit when any of its conditions holds."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    attribute: str
    equals: bool | None = None
    in_: list[str] | None = Field(default=None, alias="in")

    @field_validator("attribute")
    @classmethod
    def _known_attribute(cls, value: str) -> str:
        if value not in ATTRIBUTES:
            close = difflib.get_close_matches(value, ATTRIBUTES, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"unknown attribute '{value}'{hint} allowed: {', '.join(ATTRIBUTES)}")
        return value

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if (self.equals is None) == (self.in_ is None):
            raise ValueError("give exactly one of 'equals: true|false' or 'in: [values]'")
        return self


class ZoneRule(BaseModel):
    """Refinement of a spatial standard for one zone class (e.g. first-class water zone).

    ``label`` replaces the disposition's usual label where the law has its own words (责令拆除或者关闭);
    ``note`` is the law's text shown with the evidence; ``hit: false`` keeps the zone as evidence only (never a
    hit) and ``issue`` adds a token to the row's ``issues``; ``only_if`` names a yes/no registry attribute the
    hit needs (a missing value is still a hit, with ``only_if_missing`` as the note to verify).
    """

    model_config = ConfigDict(extra="forbid")
    disposition: DispositionCode | None = None
    legal_basis: str | None = None
    label: str | None = None
    note: str | None = None
    hit: bool = True
    issue: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
    only_if: str | None = None
    only_if_missing: str | None = None

    @field_validator("only_if")
    @classmethod
    def _known_attribute(cls, value: str | None) -> str | None:
        if value is not None and value not in R.ATTRIBUTE_COLUMNS:
            close = difflib.get_close_matches(value, R.ATTRIBUTE_COLUMNS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"unknown yes/no attribute '{value}'{hint} allowed: {', '.join(R.ATTRIBUTE_COLUMNS)}")
        return value


class Escalation(BaseModel):
    """What follows a failed first step (the registry's ``rectification_failed`` = yes), e.g. standard 6:
    rectify within the deadline, then ``stop`` when still failing."""

    model_config = ConfigDict(extra="forbid")
    disposition: DispositionCode
    when: str  #: the regulation's words for the failure, e.g. 经整改达不到标准要求的
    deadline: str | None = None  #: the deadline of the first step, e.g. 二（五）'s 6 months + at most 3


class MakeupBlock(BaseModel):
    """Standard 2's make-up path (补办手续) closed where the site breaks a siting standard: no 用地/环评 can be
    granted there, so the grade's ``rectify`` becomes ``disposition``."""

    model_config = ConfigDict(extra="forbid")
    standards: list[str] = Field(min_length=1)
    disposition: DispositionCode

    @field_validator("standards", mode="before")
    @classmethod
    def _text_keys(cls, value):
        return [str(v) for v in value] if isinstance(value, list) else value

    @field_validator("standards")
    @classmethod
    def _known_standards(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if s not in R.STANDARDS]
        if unknown:
            raise ValueError(f"unknown standard(s) {', '.join(unknown)}; allowed: {', '.join(R.STANDARDS)}")
        return value


class StandardRule(BaseModel):
    """One standard: its evidence source, the disposition of a hit (the first step) and the legal basis."""

    model_config = ConfigDict(extra="forbid")
    title: str
    source: Literal["attribute", "spatial"]
    any_of: list[Condition] = []
    disposition: DispositionCode
    legal_basis: str
    by_grade: dict[Literal["A", "B", "C", "D"], DispositionCode] = {}
    by_zone: dict[str, ZoneRule] = {}
    escalation: Escalation | None = None
    makeup_blocked_by: MakeupBlock | None = None
    in_force: bool = True  #: false: the standard is not_assessed for every row (e.g. a plan not yet issued)
    in_force_note: str | None = None  #: why, in the regulation's words (run.json)


class Scope(BaseModel):
    """The industries a rule set targets; ``only_listed: false`` screens every enterprise all the same."""

    model_config = ConfigDict(extra="forbid")
    text: str = "全部行业"
    industries: list[str] = []  #: words matched inside the registry's industry (empty: all industries)
    only_listed: bool = False  #: true: other industries are out of scope (every standard not_assessed)


class Verification(BaseModel):
    """What the ledger's facts do to a screening given them (``screen(..., ledger=)``); each can be switched off.

    The facts are shown either way (``verification``, ``decided_disposition``, ``decision_doc``, ``due_date``,
    ``overdue``); switched off, a fact changes no standard's result and no disposition.
    """

    model_config = ConfigDict(extra="forbid")
    #: 整改不到位: the escalation of every hit standard that has one applies (as rectification_failed = 是)
    escalate_not_rectified: bool = True
    #: a rectification deadline passed and the latest finding is not 已整改到位: the escalation applies too
    escalate_overdue: bool = True
    #: 不属实: the standards the finding names (none named: every standard the row hits) are overruled
    overrule_untrue: bool = True
    #: a corrected location (位置有误 with 更正经度/更正纬度) is screened; the registry's is kept beside it
    screen_fixed_location: bool = True


class Annex1Standard(BaseModel):
    """One row of Annex 1 (钢铁、船舶、水泥等行业监管执法标准)."""

    model_config = ConfigDict(extra="forbid")
    number: int
    title: str
    code: str
    industries: list[str] = Field(min_length=1)


class Annex1(BaseModel):
    """Annex 1: its industries (name -> words matched inside the registry's industry) and standards."""

    model_config = ConfigDict(extra="forbid")
    title: str = ""
    industries: dict[str, list[str]] = {}
    standards: list[Annex1Standard] = []

    @model_validator(mode="after")
    def _known_industries(self) -> Annex1:
        problems = [
            f"standards.{i}.industries: '{name}' is not one of annex1.industries ({', '.join(self.industries)})"
            for i, std in enumerate(self.standards)
            for name in std.industries
            if name not in self.industries
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self


class RuleSet(BaseModel):
    """A whole rule set, validated once at load."""

    model_config = ConfigDict(extra="forbid")
    name: str
    document: str = ""
    precedence: list[DispositionCode]
    near_edge_m: float = Field(default=50.0, ge=0)
    landuse_nonindustrial_share_max: float = Field(default=0.0, ge=0, lt=1)
    search_radius_m: float = Field(default=2000.0, gt=0)
    #: a registry's sanitary distance of 0 or above this is not used (the industry table applies) and is an
    #: issue; None uses every positive value, as written
    sanitary_distance_max_m: float | None = Field(default=5000.0, gt=0)
    scope: Scope = Scope()
    annex1: Annex1 = Annex1()
    verification: Verification = Verification()
    standards: dict[str, StandardRule]

    @model_validator(mode="after")
    def _cross_check(self) -> RuleSet:
        problems = []
        missing = [s for s in R.STANDARDS if s not in self.standards]
        unknown = [s for s in self.standards if s not in R.STANDARDS]
        if missing:
            problems.append(
                f"standards: missing {', '.join(missing)} (every one of {', '.join(R.STANDARDS)} is needed)"
            )
        if unknown:
            problems.append(f"standards: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(R.STANDARDS)}")
        for key, rule in self.standards.items():
            spatial = key in R.SPATIAL_STANDARDS
            if spatial and rule.source != "spatial":
                problems.append(f"standards.{key}.source: standard {key} is decided from layers; use 'spatial'")
            if not spatial and key in R.STANDARDS and rule.source != "attribute":
                problems.append(
                    f"standards.{key}.source: standard {key} comes from registry attributes; use 'attribute'"
                )
            if rule.source == "attribute" and not rule.any_of:
                problems.append(f"standards.{key}.any_of: an attribute standard needs at least one condition")
            used = {
                rule.disposition,
                *rule.by_grade.values(),
                *(z.disposition for z in rule.by_zone.values() if z.disposition),
                *((rule.escalation.disposition,) if rule.escalation else ()),
                *((rule.makeup_blocked_by.disposition,) if rule.makeup_blocked_by else ()),
            }
            for code in sorted(used - set(self.precedence)):
                problems.append(f"standards.{key}: disposition '{code}' is not in 'precedence'; add it there")
        if "none" not in self.precedence:
            problems.append("precedence: must end with 'none'")
        if len(set(self.precedence)) != len(self.precedence):
            problems.append("precedence: a disposition is listed twice")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def rank(self, code: str) -> int:
        """Severity rank of a disposition (0 = most severe)."""
        return self.precedence.index(code)


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load and validate a rules YAML (the shipped Nantong rule set when ``path`` is None)."""
    file = Path(path).resolve() if path else DEFAULT_RULES
    stamp = file.stat().st_mtime_ns if file.exists() else None
    return _load_rules_cached(str(file), stamp)


@lru_cache(maxsize=8)
def _load_rules_cached(path: str, _stamp: int | None) -> RuleSet:
    file = Path(path)
    if not file.exists():
        raise ConfigError(
            f"rules file {file} does not exist; pass an existing YAML as rules= or leave it out for the shipped rules"
        )
    try:
        data = load_yaml(file.read_text("utf-8"), where=f"rules file {file}")
    except yaml.YAMLError as err:
        raise ConfigError(f"rules file {file} is not valid YAML: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"rules file {file}: expected a mapping with 'name', 'precedence' and 'standards'")
    # YAML reads unquoted 1..10 as integers: standards are keyed by text.
    if isinstance(data.get("standards"), dict):
        data["standards"] = {str(k): v for k, v in data["standards"].items()}
    try:
        return RuleSet.model_validate(data)
    except ValidationError as err:
        problems = [f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in err.errors()]
        raise ConfigError(join_problems(f"rules file {file} is invalid", problems)) from err
