"""Tests for geo_screen.inputs.identifiers: the Unified Social Credit Code (GB 32100-2015)."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_screen.errors import InputDataError
from geo_screen.inputs import identifiers
from geo_screen.inputs.identifiers import (
    USCC_ALPHABET,
    division_code,
    division_code_series,
    normalize_uscc,
    normalize_uscc_series,
    uscc_check_char,
    uscc_issue_series,
    uscc_problem,
)

VALID = "91110000600037341L"  # published example (domain.md)
code17 = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


def test_docstring_examples():
    result = doctest.testmod(identifiers)
    assert result.attempted >= 5 and result.failed == 0


def test_published_code_is_valid():
    assert uscc_check_char(VALID[:17]) == "L"
    assert uscc_problem(VALID) is None


@pytest.mark.parametrize(
    "typed",
    [
        " 91110000600037341l ",  # spaces, lower case
        "９１１１００００６０００３７３４１Ｌ",  # full-width digits and letter
        "9111 0000 6000 3734 1L",  # spaces inside
        "\u300091110000600037341L\t",  # ideographic space, tab
    ],
)
def test_normalize_cleans_typing(typed):
    assert normalize_uscc(typed) == VALID
    assert uscc_problem(typed) is None


@pytest.mark.parametrize("blank", [None, "", "   ", float("nan"), pd.NA])
def test_normalize_blank_is_none(blank):
    assert normalize_uscc(blank) is None
    assert uscc_problem(blank) == "missing"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91110000600037341", "wrong length (17 characters, expected 18)"),
        ("91110000600037341LL", "wrong length (19 characters, expected 18)"),
        ("9111000060003734IL", "illegal character 'I'"),
        ("91110000600037341O", "illegal character 'O'"),
        ("9111000060003734SL", "illegal character 'S'"),
        ("91110000600037341A", "wrong check character (expected L)"),
    ],
)
def test_problem_reasons(code, reason):
    assert uscc_problem(code) == reason


def test_check_char_rejects_bad_input_with_fix():
    with pytest.raises(InputDataError, match="normalize_uscc"):
        uscc_check_char("9111000060003734")
    with pytest.raises(InputDataError, match="17 characters"):
        uscc_check_char("9111000060003734I")


def test_division_code():
    assert division_code(VALID) == "110000"
    assert division_code(" 91320611mA1MXXXX0x") == "320611"  # old 港闸 code survives in the USCC
    assert division_code("123") is None
    assert division_code("91AB0000600037341L") is None
    assert division_code(None) is None


def test_series_helpers_keep_index_and_agree_with_scalars():
    raw = pd.Series(
        [
            " 91110000600037341l",
            "91110000600037341A",
            "9111000060003734IL",
            "123",
            None,
            "",
            "９１１１００００６０００３７３４１Ｌ",
            "91110000600037341中",
        ],
        index=list("abcdefgh"),
    )
    norm = normalize_uscc_series(raw)
    assert list(norm.index) == list("abcdefgh")
    assert norm.dtype == "string"
    assert norm.tolist() == [
        VALID,
        "91110000600037341A",
        "9111000060003734IL",
        "123",
        pd.NA,
        pd.NA,
        VALID,
        "91110000600037341中",
    ]
    issues = uscc_issue_series(norm)
    assert issues.tolist() == [
        pd.NA,
        "uscc_check:expected L",
        "uscc_char:I",
        "uscc_length:3",
        pd.NA,
        pd.NA,
        pd.NA,
        "uscc_char:中",
    ]
    assert division_code_series(raw).tolist() == ["110000", "110000", "110000", pd.NA, pd.NA, pd.NA, "110000", "110000"]


@settings(max_examples=200, deadline=None)
@given(code17)
def test_computed_check_char_is_valid_and_any_other_is_flagged(body):
    check = uscc_check_char(body)
    assert check in USCC_ALPHABET
    assert uscc_problem(body + check) is None
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(check) + 1) % 31]
    assert uscc_problem(body + wrong) == f"wrong check character (expected {check})"


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.one_of(
            code17.map(lambda c: c + uscc_check_char(c)),
            code17.map(lambda c: c + "0"),
            st.text(alphabet=USCC_ALPHABET + "IOSVZ中 ", max_size=20),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_vectorised_issues_match_scalar(codes):
    series = normalize_uscc_series(pd.Series(codes, dtype="str"))
    got = uscc_issue_series(series).tolist()
    for value, issue in zip(series.tolist(), got):
        if value is pd.NA:
            assert issue is pd.NA
            continue
        reason = uscc_problem(value)
        if reason is None:
            assert issue is pd.NA
        elif reason.startswith("wrong length"):
            assert issue == f"uscc_length:{len(value)}"
        elif reason.startswith("illegal"):
            assert issue == f"uscc_char:{reason.split(chr(39))[1]}"
        else:
            assert issue == f"uscc_check:expected {reason[-2]}"
