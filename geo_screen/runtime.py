"""Process-wide settings a geo_screen process (the CLI, the app, a GeoPackage writer) makes once at start, handing
freed memory back to the operating system (process-wide too), and starting the child processes that write files
beside the caller (the run's GeoPackage, an export's shapefiles)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
import sys
from pathlib import Path
from typing import IO

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


def python_child(module: str, *args: str, errors: IO[bytes], **pipes) -> subprocess.Popen:
    """Start ``python -m module args`` with this interpreter, finding ``geo_screen`` where this process found it.

    Its error output goes to the file ``errors`` (a pipe nobody reads could fill and block it: read it with
    :func:`last_error_line`); ``pipes`` are :class:`subprocess.Popen`'s ``stdin``/``stdout``.
    """
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", module, *args], env=env, stderr=errors, **pipes)


def last_error_line(errors: IO[bytes]) -> str | None:
    """The last line with text a child wrote to its error file (:func:`python_child`); None if it wrote none."""
    errors.seek(0)
    lines = [line for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else None
