"""Coded text columns: the screening's repeated words kept as integer codes + labels, made Arrow text once.

What it holds: every text a screening writes many times over (a standard's result, hit / clear / not assessed, as
its code, the disposition, the legal basis, zone class and name, the county) as a :class:`pandas.Categorical`.

Why: a million-row run repeats a few dozen strings millions of times. Held as Python string objects, every step
that touches them (building a frame, comparing, sorting, writing) pays per row; held as
:class:`pandas.Categorical` they cost one small integer a row, and :func:`text` turns them into pandas'
Arrow-backed ``str`` columns in C++ (an Arrow dictionary decode) at the end. Measured by
``scripts/bench_idioms.py`` at a million rows: the final conversion alone takes 0.6 s from codes against 2.2 s
from Python strings (the steps in between, which compare, sort and group codes instead of strings, save more on
top).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals


def constant(value: str | None, n: int) -> pd.Categorical:
    """``value`` repeated ``n`` times (missing when ``value`` is None)."""
    if value is None:
        return pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), categories=pd.Index([], dtype=object))
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])


def coded(values) -> pd.Categorical:
    """Any array-like of text (or a scalar broadcast later by pandas) as a Categorical; missing stays missing."""
    if isinstance(values, pd.Categorical):
        return values
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        return values.array
    # hashed, in order of first appearance (pd.Categorical would also sort the labels: 3x slower on text)
    codes, labels = pd.factorize(np.asarray(values, dtype=object))
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object))


def take(values: pd.Categorical, idx: np.ndarray) -> pd.Categorical:
    """Rows ``idx`` of a Categorical (categories kept, no string objects touched)."""
    return pd.Categorical.from_codes(np.asarray(values.codes)[idx], dtype=values.dtype)


def objects(values) -> np.ndarray:
    """A coded column as an object array of its labels (None where missing), each label looked up once.

    What ``np.asarray(values, dtype=object)`` gives (with None for NaN), without pandas converting the
    categories row by row: at 366,000 evidence rows 0.002 s against 0.03-0.07 s a column.
    """
    values = coded(values)
    labels = np.append(np.asarray(values.categories, dtype=object), None)
    return labels[np.asarray(values.codes)]


def from_codes(codes: np.ndarray, labels: Sequence[str | None]) -> pd.Categorical:
    """Labels picked by integer ``codes`` (-1 = missing); ``labels`` may repeat or hold None."""
    labels = list(labels)
    uniques = pd.Index(pd.unique(pd.Series([x for x in labels if x is not None], dtype=object)), dtype=object)
    remap = np.array([uniques.get_loc(x) if x is not None else -1 for x in labels] + [-1], dtype=np.int64)
    codes = np.asarray(codes, dtype=np.int64)
    return pd.Categorical.from_codes(remap[np.where(codes < 0, len(labels), codes)], categories=uniques)


def text(values) -> pd.api.extensions.ExtensionArray:
    """pandas ``str`` array of ``values`` (Categorical, object array or Series); Categoricals decode in Arrow."""
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, pd.Categorical):
        categories = pa.array(np.asarray(values.categories, dtype=object), type=pa.large_string(), from_pandas=True)
        codes = np.asarray(values.codes)
        indices = pa.array(codes, mask=codes < 0)
        return pd.array(pa.DictionaryArray.from_arrays(indices, categories).cast(pa.large_string()), dtype="str")
    return pd.array(np.asarray(values, dtype=object), dtype="str")


def arrow_text(values, *, large: bool = True) -> pa.Array:
    """Text values as one contiguous Arrow string array, missing values null.

    ``values`` may be a Series, a Categorical or an array; anything that is not text is written as pandas'
    ``str`` dtype writes it (``1.5`` -> ``"1.5"``). The array is ``large_string`` (64-bit offsets, any size),
    or ``string`` with ``large=False``.
    """
    if isinstance(values, pd.Series):
        values = values.array
    if not isinstance(values, pd.Categorical) and isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        values = pd.Categorical(values)
    strings = text(values) if isinstance(values, pd.Categorical) else pd.array(values, dtype="str")
    arr = pa.array(strings, type=pa.large_string())
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return arr if large else pc.cast(arr, pa.string())


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack frames with the same columns; Categorical columns stay Categorical (categories unioned)."""
    frames = [f for f in frames if f is not None]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    out = {}
    for col in frames[0].columns:
        parts = [f[col] for f in frames]
        if any(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            cats = [coded(p if isinstance(p.dtype, pd.CategoricalDtype) else p.to_numpy(dtype=object)) for p in parts]
            cats = [pd.Categorical.from_codes(c.codes, categories=pd.Index(c.categories, dtype=object)) for c in cats]
            out[col] = union_categoricals(cats, ignore_order=True)
        else:
            out[col] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(out)


def join_by_key(keys, values, sep: str) -> pd.Series:
    """``values`` joined with ``sep`` per distinct key, in input order within a key, indexed by the sorted keys.

    What ``pd.Series(values).groupby(keys).agg(sep.join)`` gives, as one Arrow list join instead of a
    Python call per group. Missing values are skipped.
    """
    keys = np.asarray(keys)
    text = pa.array(pd.Series(values, dtype="str").array, from_pandas=True)
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    present = ~np.asarray(text.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    keys, text = keys[present], text.filter(pa.array(present))
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.array([], dtype=np.int64)
    offsets = pa.array(np.r_[starts, len(keys)].astype(np.int64), type=pa.int64())
    lists = pa.LargeListArray.from_arrays(offsets, text.take(pa.array(order)).cast(pa.large_string()))
    joined = pc.binary_join(lists, pa.scalar(sep, type=pa.large_string()))
    return pd.Series(pd.array(joined, dtype="str"), index=keys[starts], dtype="str")
