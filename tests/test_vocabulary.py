"""One place for the words: every code has a label, and nothing outside the vocabulary package keeps a label table."""

from __future__ import annotations

import ast
import doctest
import importlib
import re
import typing
from pathlib import Path

import pytest

from geo_screen import results as R
from geo_screen import vocabulary as V
from geo_screen.outputs import dbf
from geo_screen.pack.zones import ZONE_VOCABULARIES
from geo_screen.screening.rules import DispositionCode, load_rules

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "geo_screen").rglob("*.py")) + [ROOT / "app.py"]
#: the one place for the words: the vocabulary package (each topic a module of it)
VOCABULARY = ROOT / "geo_screen" / "vocabulary"
VOCABULARY_MODULES = sorted(VOCABULARY.rglob("*.py"))
#: disposition and standard words that must be written in exactly one module
WORDS = ("搬迁", "转型", "依法处置", "停产", "未评估", "关闭取缔", "淘汰", "拆除")
#: words *read* from input files, not written: the registry's header aliases (淘汰类装备 is a column header
#: registries use; it must still be recognised when the label geo_screen writes changes)
READ_TABLES = {ROOT / "geo_screen" / "inputs" / "columns.py": "COLUMN_ALIASES"}
#: "none" is also an ordinary key elsewhere (the map's "no basemap"); the other codes are checked
CODES = (set(R.STANDARDS) | set(R.DISPOSITION_CODES)) - {R.NO_DISPOSITION}
_CJK = re.compile(r"[\u3400-\u9fff]")


def in_vocabulary(path: Path) -> bool:
    """Whether ``path`` is a module of the vocabulary package (the only place allowed to label codes)."""
    return path.resolve().is_relative_to(VOCABULARY.resolve())


def _has_chinese(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) and _CJK.search(n.value) for n in ast.walk(node)
    )


def _code(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and node.value in CODES else None


def label_tables(source: str) -> list[tuple[int, str]]:
    """(line, code) of every code used as the key of a literal table of Chinese text in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            pairs = [(k, v) for k, v in zip(node.keys, node.values) if k is not None]
        elif isinstance(node, ast.Tuple | ast.List):
            pairs = [tuple(e.elts[:2]) for e in node.elts if isinstance(e, ast.Tuple | ast.List) and len(e.elts) >= 2]
        else:
            continue
        found += [(key.lineno, _code(key)) for key, value in pairs if _code(key) and _has_chinese(value)]
    return found


def literal_starts(path: Path) -> list[str]:
    """Every string literal of a module (an f-string by its leading text), outside its read-only word tables."""
    tree = ast.parse(path.read_text("utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # only an f-string's first part starts the literal
            skip.update(id(v) for v in node.values[1:])
        target = READ_TABLES.get(path)
        if target and isinstance(node, ast.AnnAssign | ast.Assign):
            names = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(n, ast.Name) and n.id == target for n in names):
                skip.update(id(n) for n in ast.walk(node))
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip
    ]


# --------------------------------------------------------------------------- one place


def test_the_table_finder_finds_tables():
    assert label_tables('X = {"close": "关闭取缔", "3": f"标准{n}"}') == [(1, "close"), (1, "3")]
    assert label_tables('Y = (("relocate", "搬迁"), ("violation", ("严重环境违法",)))') == [
        (1, "relocate"),
        (1, "violation"),
    ]
    assert label_tables('Z = {"close": "#D55E00", "none": "无底图", "x": "关闭"}; W = ("close", "关闭")') == []


def test_only_the_vocabulary_package_is_exempt():
    assert (VOCABULARY / "__init__.py") in VOCABULARY_MODULES and len(VOCABULARY_MODULES) > 1
    assert [p for p in SOURCES if in_vocabulary(p)] == VOCABULARY_MODULES
    for elsewhere in ("geo_screen/vocabulary.py", "geo_screen/outputs/vocabulary.py", "geo_screen/vocabulary_zh.py"):
        assert not in_vocabulary(ROOT / elsewhere), elsewhere


@pytest.mark.parametrize("path", [p for p in SOURCES if not in_vocabulary(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_outside_the_vocabulary_labels_codes(path):
    tables = label_tables(path.read_text("utf-8"))
    assert tables == [], f"{path.name} labels codes itself at (line, code) {tables}; use geo_screen.vocabulary"


@pytest.mark.parametrize("word", WORDS)
def test_each_disposition_and_standard_word_is_written_in_the_vocabulary_package_only(word):
    modules = [p for p in SOURCES if any(s.startswith(word) for s in literal_starts(p))]
    outside = [str(p.relative_to(ROOT)) for p in modules if not in_vocabulary(p)]
    assert modules and outside == [], f"{word!r} starts string literals outside geo_screen/vocabulary/: {outside}"


def test_the_word_counter_skips_only_the_registry_aliases():
    registry = ROOT / "geo_screen" / "inputs" / "columns.py"
    everything = [n.value for n in ast.walk(ast.parse(registry.read_text("utf-8"))) if isinstance(n, ast.Constant)]
    assert "淘汰类装备" in everything and "淘汰类装备" not in literal_starts(registry)


# --------------------------------------------------------------------------- every code has a label


def test_codes_of_the_results_contract_have_labels_in_its_order():
    assert tuple(s.key for s in V.STANDARDS) == R.STANDARDS
    assert tuple(V.DISPOSITION_ZH) == R.DISPOSITION_CODES
    assert tuple(V.RESULT_ZH) == R.STANDARD_VALUES
    assert tuple(V.ROW_STATUS_ZH) == R.ROW_STATUSES
    for term in (*V.DISPOSITIONS, *V.RESULTS, *V.ROW_STATUSES):
        assert _CJK.search(term.zh) and term.en.isascii() and term.en, term


def test_codes_the_rules_use_have_labels():
    assert set(typing.get_args(DispositionCode)) <= set(V.DISPOSITION_ZH)
    rules = load_rules()
    used = set(rules.precedence)
    for rule in rules.standards.values():
        used |= {rule.disposition, *rule.by_grade.values(), *(z.disposition for z in rule.by_zone.values())}
    assert used - {None} <= set(V.DISPOSITION_ZH)
    assert set(rules.standards) == {s.key for s in V.STANDARDS}


def test_every_results_column_has_a_header_and_a_dbf_name():
    named = (
        *(R.ENTERPRISE_ID, R.NAME, R.INDUSTRY, "address", "lon", "lat", R.COUNTY, R.COUNTY_CODE),
        *(
            R.SANITARY_DISTANCE,
            R.GRADE,
            R.GRADE_SCORE,
            R.GRADE_RANK,
            R.INPUT_ROW,
            R.ROW_STATUS,
            R.ISSUES,
            R.STANDARDS_HIT,
            R.NOT_ASSESSED_COL,
        ),
        *(R.DISPOSITION, R.DISPOSITION_ZH, R.LEGAL_BASIS, R.SANITARY_REQUIRED, R.NEAREST_SENSITIVE_M),
        *(R.NEAREST_SENSITIVE_NAME, R.LANDUSE_CLASS, R.NONINDUSTRIAL_SHARE),
        *(R.ESCALATION, R.ESCALATION_ZH, R.CHECK_BASIS),
    )
    columns = {*named, *R.ATTRIBUTE_COLUMNS, *R.STD_COLUMNS, *R.MARGIN_COLUMNS, *R.HIT_COLUMNS, *R.LEDGER_COLUMNS}
    assert sorted(columns - set(V.COLUMN_ZH)) == [] and sorted(set(V.COLUMN_ZH) - columns) == []
    assert len({c.dbf for c in V.COLUMNS}) == len(V.COLUMNS) == len(V.COLUMN_ZH)
    assert [(f.column, f.short, f.label_zh) for f in dbf.FIELDS] == [(c.column, c.dbf, c.zh) for c in V.COLUMNS]


def test_grade_statuses_and_columns_have_labels():
    assert tuple(V.GRADE_STATUS_ZH) == R.GRADE_STATUSES
    named = {*R.GRADE_INPUTS, R.GRADE_GROUP, R.GRADE_BASE, R.GRADE_ADJUSTMENT, R.GRADE_STATUS, R.GRADE_REASON}
    assert named == set(V.GRADE_COLUMN_ZH)
    assert V.grade_label("C", 63.24, "412/530") == "C类，得分 63.2，县内排名 412/530"


def test_zone_codes_of_the_pack_vocabularies_have_labels():
    codes = {(kind, code) for kind, table in ZONE_VOCABULARIES.items() for code in table}
    assert {(z.kind, z.code) for z in V.ZONES} == codes
    assert V.zone_label("water_source_protection", "first") == "一级保护区"
    assert V.zone_label("water_source_protection", "unknown") == "unknown"


def test_city_lists_name_known_dispositions_once():
    listed = [c for lst in V.CITY_LISTS for c in lst.dispositions]
    assert len(listed) == len(set(listed)) and set(listed) <= set(V.DISPOSITION_ZH) - {"none", "not_assessed"}


# --------------------------------------------------------------------------- lookups


@pytest.mark.parametrize(
    ("key", "label", "topic", "short"),
    [
        ("3", "标准3", "标准3（不符合规划/生态红线）", "标准3 规划/生态红线"),
        ("10", "标准10", "标准10（绩效评价D档）", "标准10 绩效D档"),
        ("scattered", "散乱污整改不到位", "散乱污整改不到位", "散乱污"),
        ("violation", "严重环境违法", "严重环境违法", "严重环境违法"),
        ("11", "标准11", "标准11", "标准11"),
        ("other", "other", "other", "other"),
    ],
)
def test_standard_label_forms(key, label, topic, short):
    assert V.standard_label(key) == label
    if key in R.STANDARDS:  # a standard's column header is its label (the extra rules': marked as a result)
        assert V.column_label(R.std_column(key)) == (label if key.isdigit() else f"{label}（筛查结果）")
    assert (V.standard_label(key, form="topic"), V.standard_label(key, form="short")) == (topic, short)


def test_unknown_codes_and_columns_read_as_themselves():
    assert V.disposition_label("close") == "关闭取缔" and V.disposition_label("later") == "later"
    assert V.column_label(R.COUNTY) == "县（市、区）" and V.column_label("年产值") == "年产值"


@pytest.mark.parametrize("path", VOCABULARY_MODULES, ids=lambda p: p.stem)
def test_the_examples_in_the_vocabulary_hold(path):
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    assert doctest.testmod(importlib.import_module(name)).failed == 0


def test_no_two_results_columns_share_a_header():
    headers = [c.zh for c in V.COLUMNS]
    assert sorted(h for h in set(headers) if headers.count(h) > 1) == []
