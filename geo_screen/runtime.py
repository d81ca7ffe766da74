"""Process-wide settings a geo_screen process (the CLI, the app, a GeoPackage writer) makes once at start."""

from __future__ import annotations

import os

#: the environment variable with which a user picks Arrow's allocator (then left alone)
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def tune_arrow_memory() -> str:
    """Have Arrow allocate through the C library's ``malloc`` instead of its bundled mimalloc; return the pool's name.

    Measured on the million-row run (scripts/bench_run.py, two runs each): 28.3-29.0 s end to end and a peak
    of 3,598-3,676 MiB with the system allocator (jemalloc alike), 30.1-30.5 s and 3,838-3,851 MiB with
    mimalloc, most of the difference in building the results' text columns. Library code never calls this: a
    process-wide allocator is the program's choice, and a user's ``ARROW_DEFAULT_MEMORY_POOL`` wins.
    """
    import pyarrow as pa

    if not os.environ.get(ARROW_POOL_VARIABLE):
        pa.set_memory_pool(pa.system_memory_pool())
    return pa.default_memory_pool().backend_name
