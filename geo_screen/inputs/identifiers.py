"""Enterprise identifiers: the Unified Social Credit Code (统一社会信用代码, GB 32100-2015).

A USCC has 18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S,
V, Z): the registering authority, the entity type, the six-digit division code
at registration (fixed for life), the nine-character organisation code and a
check character. Some early codes fail the check yet are legal, so a problem
found here is a warning for the caller to record, never a reason to reject a row.

The scalar functions suit one value; the ``*_series`` functions do the same
work over a whole column with numpy and Arrow kernels (a million codes take
under a second).

>>> uscc_problem("91110000600037341L") is None
True
>>> uscc_problem("91110000600037341A")
'wrong check character (expected L)'
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo_screen.coded import arrow_text
from geo_screen.errors import InputDataError

#: the 31 characters a USCC may contain, in check-value order (value = index)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_LENGTH = 18
#: weights of characters 1-17 in the check sum
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_WEIGHTS = np.array(USCC_WEIGHTS, dtype=np.int64)
# code point -> check value, -1 for characters outside the alphabet (ASCII only; others fail earlier)
_LOOKUP = np.full(128, -1, dtype=np.int8)
for _ch, _v in _VALUE.items():
    _LOOKUP[ord(_ch)] = _v
_WHITESPACE = re.compile(r"\s+")
_ILLEGAL = f"[^{USCC_ALPHABET}]"


# --------------------------------------------------------------------------- scalar


def normalize_uscc(value: object) -> str | None:
    """Clean one code as typed: full-width to half-width, spaces removed, upper case.

    Returns ``None`` for missing or blank values. The result is not validated;
    see :func:`uscc_problem`.

    >>> normalize_uscc(" ９１１１００００６０００３７３４１ｌ ")
    '91110000600037341L'
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", str(value))).upper()
    return text or None


def uscc_check_char(code17: str) -> str:
    """The check character (18th) for the first 17 characters of a USCC.

    Raises
    ------
    InputDataError
        If ``code17`` is not 17 characters from :data:`USCC_ALPHABET`.

    >>> uscc_check_char("91110000600037341")
    'L'
    """
    if len(code17) != USCC_LENGTH - 1 or any(ch not in _VALUE for ch in code17):
        raise InputDataError(
            f"cannot compute a USCC check character for {code17!r}: need exactly 17 characters "
            f"from {USCC_ALPHABET!r}; normalise the code first with normalize_uscc()"
        )
    total = sum(_VALUE[ch] * w for ch, w in zip(code17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: object) -> str | None:
    """Why ``code`` is not a well-formed USCC, or ``None`` when it is.

    The code is normalised first (:func:`normalize_uscc`). Reasons: ``missing``,
    ``wrong length (N characters, expected 18)``, ``illegal character 'X'``,
    ``wrong check character (expected X)``. Early codes failing the check can be
    legal: report, never reject.
    """
    return _problem(normalize_uscc(code))[1]


def division_code(uscc: object) -> str | None:
    """The six-digit administrative division at registration (characters 3-8), or ``None``.

    ``None`` when the code is not 18 characters or those six are not digits.
    The division never changes after registration, so it may name a county
    that has since been merged (e.g. 320611 港闸区).

    >>> division_code("91320611MA1MXXXX0X")
    '320611'
    """
    code = normalize_uscc(uscc)
    if code is None or len(code) != USCC_LENGTH or not code[2:8].isdigit():
        return None
    return code[2:8]


def _problem(code: str | None) -> tuple[str | None, str | None]:
    """(issue code, reason) for a normalised code; (None, None) when valid."""
    if code is None:
        return "uscc_missing", "missing"
    if len(code) != USCC_LENGTH:
        return f"uscc_length:{len(code)}", f"wrong length ({len(code)} characters, expected 18)"
    bad = re.search(_ILLEGAL, code)
    if bad:
        ch = bad.group(0)
        return f"uscc_char:{ch}", f"illegal character {ch!r}"
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return f"uscc_check:expected {expected}", f"wrong check character (expected {expected})"
    return None, None


# --------------------------------------------------------------------------- vectorised


def normalize_uscc_series(values: pd.Series) -> pd.Series:
    """:func:`normalize_uscc` over a column: a ``string`` Series with ``<NA>`` for blanks, same index (codes
    already normalised keep their Arrow buffers)."""
    given = arr = arrow_text(values)
    non_ascii = pc.invert(pc.string_is_ascii(arr))
    if pc.any(non_ascii).as_py():  # full-width characters: NFKC only where needed (it is slow)
        arr = pc.if_else(non_ascii, pc.utf8_normalize(arr, "NFKC"), arr)
    arr = pc.utf8_upper(pc.utf8_trim_whitespace(arr))
    if pc.any(pc.match_substring_regex(arr, r"\s")).as_py():  # rare: spaces inside a code
        arr = pc.replace_substring_regex(arr, r"\s+", "")
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    return pd.Series(pd.array(given if arr.equals(given) else arr, dtype="string"), index=values.index)


def uscc_issue_series(codes: pd.Series) -> pd.Series:
    """Short issue codes for a column of *normalised* USCCs; ``<NA>`` where valid or missing.

    Codes: ``uscc_length:N``, ``uscc_char:X``, ``uscc_check:expected X`` (the
    same as the registry's ``issues`` column uses). Missing values are not
    an issue here: the caller decides whether a missing code matters.
    """
    arr = arrow_text(codes)
    n_chars = pc.utf8_length(arr).to_numpy(zero_copy_only=False)
    n_bytes = pc.binary_length(arr).to_numpy(zero_copy_only=False)
    present = ~np.isnan(n_chars.astype("float64"))
    out = np.full(len(arr), None, dtype=object)
    wrong_len = present & (n_chars != USCC_LENGTH)
    for i in np.flatnonzero(wrong_len):
        out[i] = f"uscc_length:{int(n_chars[i])}"
    non_ascii = present & ~wrong_len & (n_bytes != USCC_LENGTH)  # rare: 18 characters, some not ASCII
    for i in np.flatnonzero(non_ascii):
        out[i] = _problem(arr[i].as_py())[0]

    fits = present & ~wrong_len & ~non_ascii
    rows = np.flatnonzero(fits)
    if len(rows):
        # 18 ASCII bytes each: read the Arrow data buffer as an (n, 18) byte matrix
        sub = arr if fits.all() else arr.take(pa.array(rows))
        offsets = np.frombuffer(sub.buffers()[1], dtype=np.int64)[sub.offset : sub.offset + len(sub) + 1]
        data = np.frombuffer(sub.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        values = _LOOKUP[data.reshape(-1, USCC_LENGTH)]  # check values, -1 for a character outside the alphabet
        at = np.flatnonzero(values.reshape(-1) < 0)  # where the illegal characters are, row by row
        illegal, first = np.unique(at // USCC_LENGTH, return_index=True)
        for k, pos in zip(illegal, at[first]):
            out[rows[k]] = f"uscc_char:{chr(data[pos])}"
        expected = (31 - (values[:, :17].astype(np.int64) @ _WEIGHTS) % 31) % 31
        wrong_check = values[:, 17] != expected
        wrong_check[illegal] = False
        for k in np.flatnonzero(wrong_check):
            out[rows[k]] = f"uscc_check:expected {USCC_ALPHABET[expected[k]]}"
    return pd.Series(pd.array(pa.array(out, type=pa.large_string()), dtype="string"), index=codes.index)


def division_code_series(codes: pd.Series) -> pd.Series:
    """:func:`division_code` over a column of USCCs: a ``string`` Series with ``<NA>``."""
    codes = normalize_uscc_series(codes)
    division = codes.str.slice(2, 8)
    usable = (codes.str.len() == USCC_LENGTH) & division.str.fullmatch(r"\d{6}")
    return division.where(usable.fillna(False).astype(bool))
