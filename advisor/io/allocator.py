"""Which allocator Arrow's buffers come from while a table is read.

pyarrow's Linux wheels default to mimalloc. Reading the 1,000,000-row benchmark
CSV with it spent 1.3-1.8 s of kernel time (it seems to give its pages back and
fault them in again, zeroed, as the parser's buffers come and go), against 0.25 s
with jemalloc and 0.3-0.4 s with the C library's malloc, for the same 0.8-0.9 s
of user time; the Parquet copy's read went from 0.7-1.2 s of kernel time to
0.24-0.34 s (docs/benchmarks.md, "Big files", 2026-12-02). The choice only
changes where memory comes from, never what is read.

The C library's malloc serves numpy, pandas' parser and the profile's
temporaries. glibc maps each block above its mmap threshold (128 KB at first)
on its own and unmaps it when freed, raising the threshold only after such a
block is freed, up to 32 MB. The profile's temporaries of a million rows (a
column's sorted copy, 8 MB) come and go by the hundred, and each unmap of a
many-threaded process costs every core a TLB flush: `advisor recommend
--no-probes` on the benchmark CSV spent 0.9-1.1 s of kernel time against 0.4-0.5 s
with the threshold set where glibc's own rule ends (`keep_heap_blocks`; 2.4-2.8 s
wall against 2.2-2.4 s, docs/benchmarks.md, 2026-12-03).
"""

from __future__ import annotations

import ctypes
import functools
import os

import pyarrow as pa

# Arrow's own switch: a user who names an allocator keeps it.
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
SLOW_BACKENDS = frozenset({"mimalloc"})

# glibc's mallopt parameters and the values its dynamic rule ends at on 64-bit
# (DEFAULT_MMAP_THRESHOLD_MAX; the trim threshold follows at twice the mmap threshold).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
# glibc's own switches for the same settings: a user who sets one keeps it.
HEAP_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def use_fast_allocator(*, retain_freed: bool) -> str:
    """Make jemalloc (else the C library's malloc) Arrow's default pool, once; the backend in use.

    Process-wide on purpose: Parquet's reader and pandas' Arrow-backed strings
    take no pool argument and allocate from the default one.

    ``retain_freed``: keep freed pages for reuse (jemalloc's decay, about a second).
    A streamed read frees and takes its blocks again batch after batch: giving each
    back to the OS cost 1 s more kernel time on the 1,000,000-row file. pyarrow's whole
    read frees its parse buffers once: giving them back at once kept its peak at
    594 MB instead of 839-860 MB, for 0.08-0.22 s more kernel time (a 600,000-row CSV
    with a date column, 2026-12-03: 553-582 MB against 738-761). pandas' C parser keeps
    its Arrow text and frees small blocks: kept, they cost no peak (717 against 720 MB on
    the benchmark CSV) and 0.1-0.5 s less kernel time. jemalloc fixes the decay of its
    arenas when it makes them, so the first read of a process decides.
    """
    keep_heap_blocks()
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


@functools.cache
def keep_heap_blocks() -> bool:
    """Set glibc's mmap threshold to 32 MB and its trim threshold to 64 MB, once: blocks
    below 32 MB come from the heap and go back to it, not to the OS. True if set.

    Process-wide, like the Arrow pool: the temporaries are numpy's and pandas'. A
    no-op off glibc and when the user set glibc's own variables. What the heap keeps
    is reused by later blocks, so the peak barely moves (701 -> 714 MB on the
    benchmark CSV)."""
    if any(os.environ.get(name) for name in HEAP_VARIABLES):
        return False
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def _glibc() -> ctypes.CDLL | None:
    """The C library, if it is glibc (musl and macOS have no mallopt): the process's own
    symbols, which hold the C library Python runs on."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc only
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    return libc
