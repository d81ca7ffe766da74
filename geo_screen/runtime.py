"""Process-wide settings a geo_screen process (the CLI, the app, a GeoPackage writer) makes once at start, and
handing freed memory back to the operating system (process-wide too)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os

#: the environment variable with which a user picks Arrow's allocator (then left alone)
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def tune_arrow_memory() -> str:
    """Have Arrow allocate through jemalloc where pyarrow was built with it (Linux, macOS); return the pool's name.

    Measured with scripts/bench_run.py on the heavy pack (seconds, peak resident memory):

    ==========  ============================  ====================================
    allocator   1,000,000 rows in memory      3,000,000 rows in 250,000-row chunks
    ==========  ============================  ====================================
    mimalloc    30.1-30.5 s, 3.75 GiB         89.7 s, 2.75 GiB
    malloc      28.3-29.0 s, 3.5-3.6 GiB      92.7 s, 4.23 GiB (and growing)
    jemalloc    28.6-28.9 s, 3.5 GiB          90.1 s, 2.57 GiB
    ==========  ============================  ====================================

    Re-measured on 6 December 2026 (1M in memory, three runs each, another process sharing the cores):
    jemalloc 30.8-36.4 s and 3.66-3.71 GB, mimalloc 32.1-37.1 s and 3.80-3.90 GB; 9 % less CPU time.

    pyarrow's default, mimalloc, is kept where jemalloc is missing (Windows wheels). Library code never
    calls this: a process-wide allocator is the program's choice, and a user's ``ARROW_DEFAULT_MEMORY_POOL``
    wins.
    """
    import pyarrow as pa

    if not os.environ.get(ARROW_POOL_VARIABLE):
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except NotImplementedError:  # this pyarrow has no jemalloc
            pass
    return pa.default_memory_pool().backend_name


def return_freed_memory() -> None:
    """Hand the memory the C library holds freed back to the operating system (glibc's ``malloc_trim``; on
    other C libraries nothing happens).

    Memory freed through ``malloc`` stays reserved in glibc's heaps, where Arrow's own allocator (jemalloc or
    mimalloc, :func:`tune_arrow_memory`) cannot reuse it: a stage that frees much before Arrow allocates much
    would otherwise grow the process by both.
    """
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
