"""Which allocator Arrow's buffers come from while a table is read.

pyarrow's Linux wheels default to mimalloc. Reading the 1,000,000-row benchmark
CSV with it spent 1.3-1.8 s of kernel time (it seems to give its pages back and
fault them in again, zeroed, as the parser's buffers come and go), against 0.25 s
with jemalloc and 0.3-0.4 s with the C library's malloc, for the same 0.8-0.9 s
of user time; the Parquet copy's read went from 0.7-1.2 s of kernel time to
0.24-0.34 s (docs/benchmarks.md, "Big files", 2026-12-02). The choice only
changes where memory comes from, never what is read.
"""

from __future__ import annotations

import os

import pyarrow as pa

# Arrow's own switch: a user who names an allocator keeps it.
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
SLOW_BACKENDS = frozenset({"mimalloc"})


def use_fast_allocator(*, retain_freed: bool) -> str:
    """Make jemalloc (else the C library's malloc) Arrow's default pool, once; the backend in use.

    Process-wide on purpose: Parquet's reader and pandas' Arrow-backed strings
    take no pool argument and allocate from the default one.

    ``retain_freed``: keep freed pages for reuse (jemalloc's decay, about a second).
    A streamed read frees and takes its blocks again batch after batch: giving each
    back to the OS cost 1 s more kernel time on the 1,000,000-row file. pyarrow's whole
    read frees its parse buffers once: giving them back at once kept its peak at
    594 MB instead of 839-860 MB, for 0.08-0.22 s more kernel time (a 600,000-row CSV
    with a date column, 2026-12-03: 553-582 MB against 738-761). Kept after pandas' C
    parser they cost no peak and 0.1-0.5 s less kernel time, but a probe's peak memory is
    its process's growth while it fits, and a fit that reuses pages the read left measures
    less than it needs: glibc's heap keeping the read's blocks made LightGBM's fits on the
    example churn table measure 0.0 MB instead of 3 MB (tried and dropped, 2026-12-03).
    jemalloc fixes the decay of its arenas when it makes them, so the first read of a
    process decides.
    """
    current = pa.default_memory_pool()
    if os.environ.get(POOL_VARIABLE) or current.backend_name not in SLOW_BACKENDS:
        return current.backend_name
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc (Windows wheels)
        pool = pa.system_memory_pool()
    else:
        if not retain_freed:
            pa.jemalloc_set_decay_ms(0)
    pa.set_memory_pool(pool)
    return pool.backend_name
