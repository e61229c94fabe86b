"""The Arrow allocator chosen for reads (advisor.io.allocator)."""

from __future__ import annotations

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
