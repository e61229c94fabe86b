"""The allocators chosen for reads (advisor.io.allocator): Arrow's pool and glibc's heap thresholds."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys

import pyarrow as pa
import pytest

from advisor.io import allocator
from advisor.io.read import read_table


@pytest.fixture
def restore_pool():
    before = pa.default_memory_pool()
    yield
    pa.set_memory_pool(before)


def test_mimalloc_is_replaced(monkeypatch, restore_pool):
    monkeypatch.delenv(allocator.POOL_VARIABLE, raising=False)
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
    except NotImplementedError:
        pytest.skip("this pyarrow has no mimalloc")
    backend = allocator.use_fast_allocator(retain_freed=True)
    assert backend in ("jemalloc", "system")
    assert pa.default_memory_pool().backend_name == backend


def test_a_named_pool_is_kept(monkeypatch, restore_pool):
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
    except NotImplementedError:
        pytest.skip("this pyarrow has no mimalloc")
    monkeypatch.setenv(allocator.POOL_VARIABLE, "mimalloc")
    assert allocator.use_fast_allocator(retain_freed=True) == "mimalloc"
    assert pa.default_memory_pool().backend_name == "mimalloc"


def test_read_table_reads_with_the_fast_pool(tmp_path, monkeypatch, restore_pool):
    monkeypatch.delenv(allocator.POOL_VARIABLE, raising=False)
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
    except NotImplementedError:
        pytest.skip("this pyarrow has no mimalloc")
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n2,y\n3,z\n")
    loaded = read_table(path)
    assert loaded.source.n_rows == 3
    assert pa.default_memory_pool().backend_name != "mimalloc"


HEAP_PROBE = """
import ctypes, json, sys
import numpy as np
from advisor.io import allocator

class Info(ctypes.Structure):  # glibc's struct mallinfo2
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info

def mapped_for_a_block():
    before = libc.mallinfo2().hblks
    block = np.ones(2 * 1024 * 1024)  # 16 MB: above glibc's first threshold, below its last
    return libc.mallinfo2().hblks - before

first = mapped_for_a_block()
kept = allocator.keep_heap_blocks()
print(json.dumps({"first": first, "kept": kept, "after": mapped_for_a_block()}))
"""


def test_heap_blocks_below_32_mb_stay_in_the_heap():
    # A fresh process: the setting is process-wide and the suite's own reads made it already.
    if not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("not glibc 2.33 or later")
    env = {k: v for k, v in os.environ.items() if k not in allocator.HEAP_VARIABLES}
    out = subprocess.run(
        [sys.executable, "-c", HEAP_PROBE], capture_output=True, text=True, env=env, check=True
    ).stdout
    seen = json.loads(out)
    assert seen == {"first": 1, "kept": True, "after": 0}


def test_the_users_own_heap_settings_are_kept(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert allocator.keep_heap_blocks.__wrapped__() is False
