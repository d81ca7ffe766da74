"""Vectorised work split across threads: numpy, GEOS (shapely) and PROJ release the GIL, so parts run on all cores."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

#: below this many rows one thread is faster than starting several
MIN_ROWS = 100_000


def workers(rows: int, *, min_rows: int = MIN_ROWS) -> int:
    """Threads worth using for ``rows`` rows: one below ``min_rows``, else one per core, at most 4."""
    return 1 if rows < min_rows else max(1, min(os.cpu_count() or 1, 4))


def split_map(func: Callable, *arrays: np.ndarray, min_rows: int = MIN_ROWS):
    """``func(*arrays)`` computed on row blocks in threads and stitched back together.

    ``func`` must be element-wise (row ``i`` of the result depends on row ``i`` of the inputs only) and
    return one array or a tuple of arrays of the input's length. It must not share lazily built native state
    between calls (a prepared GEOS geometry builds its indexes on first use): see :func:`intersects_xy`.
    """
    n = len(arrays[0]) if arrays else 0
    threads = workers(n, min_rows=min_rows)
    if threads < 2:
        return func(*arrays)
    bounds = np.linspace(0, n, threads + 1).astype(int)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        parts = list(
            pool.map(lambda lo_hi: func(*(a[lo_hi[0] : lo_hi[1]] for a in arrays)), zip(bounds[:-1], bounds[1:]))
        )
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate([p[j] for p in parts]) for j in range(len(parts[0])))
    return np.concatenate(parts)


def intersects_xy(area, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``shapely.intersects_xy(area, x, y)`` over row blocks, each block testing its own prepared copy of ``area``."""
    wkb = shapely.to_wkb(area)

    def block(bx, by):
        own = shapely.from_wkb(wkb)
        shapely.prepare(own)
        return shapely.intersects_xy(own, bx, by)

    return split_map(block, np.asarray(x, dtype=float), np.asarray(y, dtype=float))
