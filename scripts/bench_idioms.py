"""What each hand-tuned step of the screening saves against the plain pandas idiom, at a million rows.

    python scripts/bench_idioms.py [--rows 1000000]

The demo run's own intermediate frames (registry, spatial columns, evidence) are tiled to ``--rows``
enterprises (each tile a copy with shifted row positions, so the distinct values and their frequencies are
the demo's), then each step runs both ways, best of three; the two results are asserted equal. The project's
rule: a speed-up stays only where it saves at least 0.5 s and 3 % of the 1M benchmark run.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo_screen import coded
from geo_screen import results as R
from geo_screen.pack.demo import demo_paths
from geo_screen.screening import dispositions, screen
from geo_screen.screening.spatial import screen_locations


def _best(func, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t0)
    return min(times), out


def _tiled(rows: int):
    """The demo run's intermediates, repeated to ``rows`` enterprises."""
    paths = demo_paths()
    registry, catalog, ruleset, _ = screen.prepare_inputs(paths["registry"], paths["catalog"], crs=paths["crs"])
    columns, spatial = screen_locations(registry, catalog, rules=ruleset)
    attr_status, attr_evidence = dispositions.attribute_standards(registry, ruleset)
    evidence = coded.concat([attr_evidence, dispositions.spatial_dispositions(spatial, ruleset)])
    statuses = pd.concat([attr_status, columns[[R.std_column(s) for s in R.SPATIAL_STANDARDS]]], axis=1)
    statuses = statuses[[R.std_column(s) for s in R.STANDARDS]]
    n, k = len(registry), -(-rows // len(registry))
    tile = lambda frame: pd.concat([frame] * k, ignore_index=True).iloc[: n * k]  # noqa: E731
    evidence_k = tile(evidence.assign(_pos=evidence["_pos"].astype(np.int64)))
    evidence_k["_pos"] = evidence_k["_pos"].to_numpy() + np.repeat(np.arange(k) * n, len(evidence))
    for col in evidence.columns:
        if isinstance(evidence[col].dtype, pd.CategoricalDtype):
            evidence_k[col] = pd.Categorical(evidence_k[col], categories=evidence[col].cat.categories)
    return tile(registry), tile(columns), evidence_k, tile(statuses), ruleset, n * k


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sheet-rows", type=int, default=50_000, help="rows of the workbook case")
    args = parser.parse_args(argv)
    registry, columns, evidence, statuses, ruleset, n = _tiled(args.rows)
    print(f"{n:,} enterprises, {len(evidence):,} evidence rows (the demo tiled)")
    rows = []
    inputs = (registry, columns, evidence, statuses, ruleset, n)
    for name, tuned, plain, same in CASES:
        t_tuned, a = _best(partial(tuned, *inputs))
        t_plain, b = _best(partial(plain, *inputs))
        same(a, b)
        rows.append((name, t_tuned, t_plain))
    a, b = (
        text_tuned(registry, columns, evidence, statuses, ruleset, n),
        text_plain(registry, columns, evidence, statuses, ruleset, n),
    )
    _same_texts(a, b)
    rows.append(("coded: text columns made Arrow text at the end", a[1], b[1]))
    rows.append((f"sheetxml: results.xlsx, {args.sheet_rows:,} rows", *_sheet_times(args.sheet_rows)))
    print(f"{'step':<44}{'tuned s':>9}{'plain s':>9}{'saves s':>9}")
    for name, t_tuned, t_plain in rows:
        print(f"{name:<44}{t_tuned:>9.2f}{t_plain:>9.2f}{t_plain - t_tuned:>9.2f}")
    return 0


# --------------------------------------------------------------------------- the cases
def _text_of(values) -> list:
    """Any result (Categorical, Series, array) as a list of str / None, for comparing the two ways."""
    return [
        None if (v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA) else str(v)
        for v in np.asarray(pd.Series(values).astype(object))
    ]


def _assert_same_text(a, b) -> None:
    if isinstance(a, tuple):
        for x, y in zip(a, b, strict=True):
            _assert_same_text(x, y)
        return
    assert _text_of(a) == _text_of(b)


def _top_bases(evidence, ruleset, n):
    """The (row, legal basis) pairs of each row's most severe evidence, as overall_dispositions picks them."""
    disposition = coded.coded(evidence[R.DISPOSITION])
    ranks = np.array([ruleset.rank(c) for c in disposition.categories] + [len(ruleset.precedence)])
    ranks = ranks[np.asarray(disposition.codes, dtype=np.int64)]
    pos = evidence["_pos"].to_numpy(dtype=np.int64)
    worst = np.full(n, len(ruleset.precedence), dtype=np.int64)
    np.minimum.at(worst, pos, ranks)
    top = np.flatnonzero(ranks == worst[pos])
    return pos[top], coded.take(coded.coded(evidence[R.LEGAL_BASIS]), top)


def bases_tuned(registry, columns, evidence, statuses, ruleset, n):
    pos, basis = _top_bases(evidence, ruleset, n)
    return dispositions._bases_per_row(pos, basis, n)


def bases_plain(registry, columns, evidence, statuses, ruleset, n):
    """The pandas idiom: distinct (row, basis) pairs grouped by row and joined."""
    pos, basis = _top_bases(evidence, ruleset, n)
    pairs = pd.DataFrame({"row": pos, "basis": basis.astype(object)}).dropna().drop_duplicates()
    return pairs.groupby("row", sort=True)["basis"].agg("；".join).reindex(range(n))


def _coded_columns(evidence, statuses, ruleset, n):
    summary = dispositions.overall_dispositions(statuses, evidence, ruleset, n)
    cats = [evidence[c].array for c in evidence if isinstance(evidence[c].dtype, pd.CategoricalDtype)]
    return cats + [summary[c].array for c in summary] + [statuses[c].array for c in statuses]


def text_tuned(registry, columns, evidence, statuses, ruleset, n):
    cats = _coded_columns(evidence, statuses, ruleset, n)
    t0 = time.perf_counter()
    out = [coded.text(c) for c in cats]
    return out, time.perf_counter() - t0


def text_plain(registry, columns, evidence, statuses, ruleset, n):
    """What the same columns cost as text when held as Python strings (object arrays) until written."""
    objs = [np.asarray(c, dtype=object) for c in _coded_columns(evidence, statuses, ruleset, n)]
    t0 = time.perf_counter()
    out = [pd.array(o, dtype="str") for o in objs]
    return out, time.perf_counter() - t0


def _sheet_times(rows: int) -> tuple[float, float]:
    """Seconds to write ``rows`` screened enterprises (all columns) as a worksheet: the project's writer
    (xlsxwriter lays the sheet out, the data rows are SpreadsheetML built with Arrow) against pandas'
    ``to_excel`` through xlsxwriter, one Python call per cell."""
    import tempfile

    from geo_screen.outputs.sheets import neutralize_frame, write_workbook
    from geo_screen.screening.screen import screen as run_screen

    paths = demo_paths()
    frame = run_screen(paths["registry"], paths["catalog"], crs=paths["crs"]).enterprises.drop(columns="geometry")
    frame = pd.concat([frame] * -(-rows // len(frame)), ignore_index=True).iloc[:rows]
    with tempfile.TemporaryDirectory() as tmp:
        tuned, _ = _best(lambda: write_workbook(Path(tmp) / "a.xlsx", {"s": frame}), repeat=1)
        safe = neutralize_frame(frame)
        plain, _ = _best(
            lambda: safe.to_excel(Path(tmp) / "b.xlsx", sheet_name="s", index=False, engine="xlsxwriter"), repeat=1
        )
    return tuned, plain


def _same_texts(a, b):
    for x, y in zip(a[0], b[0], strict=True):
        assert list(x) == list(y)


CASES = [
    ("dispositions._bases_per_row (legal_basis)", bases_tuned, bases_plain, _assert_same_text),
]


if __name__ == "__main__":
    sys.exit(main())
