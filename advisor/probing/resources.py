"""Peak memory of a probe: host RSS polled in a background thread, plus the CUDA
allocator's peak when the probe runs on a GPU.

RSS is sampled (every ~20 ms), so a spike shorter than that can be missed; the
final and initial levels are always sampled. Memory an earlier probe freed but
the allocator kept counts toward the baseline, so the figure is a lower bound
on what the probe would need alone.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any

import psutil

POLL_SECONDS = 0.02
MB = 1024.0 * 1024.0


class MemoryMonitor:
    """Context manager; after exit, ``peak_mb`` is the peak above the level at entry."""

    def __init__(self, device: str = "cpu", poll_seconds: float = POLL_SECONDS) -> None:
        self.device = device
        self.poll_seconds = poll_seconds
        self._process = psutil.Process()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._baseline = 0
        self._peak = 0
        self.host_peak_mb = 0.0
        self.gpu_peak_mb = 0.0

    @property
    def peak_mb(self) -> float:
        return self.host_peak_mb + self.gpu_peak_mb

    def _rss(self) -> int:
        try:
            return int(self._process.memory_info().rss)
        except psutil.Error:  # pragma: no cover - the process always exists
            return self._baseline

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            rss = self._rss()
            if rss > self._peak:
                self._peak = rss

    def _torch_cuda(self) -> Any:
        # Only if the probe already imported torch: the monitor must not load it.
        torch = sys.modules.get("torch")
        if self.device != "cuda" or torch is None:
            return None
        try:
            return torch.cuda if torch.cuda.is_available() else None
        except Exception:  # pragma: no cover - a broken CUDA setup must not break measuring
            return None

    def __enter__(self) -> MemoryMonitor:
        self._baseline = self._peak = self._rss()
        cuda = self._torch_cuda()
        if cuda is not None:
            cuda.reset_peak_memory_stats()
        self._thread = threading.Thread(target=self._poll, name="advisor-memory", daemon=True)
        self._thread.start()
        return self

    def sample(self) -> None:
        """Take one extra reading now (the runner calls it after each fit)."""
        self._peak = max(self._peak, self._rss())

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.sample()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        self.host_peak_mb = max(0.0, (self._peak - self._baseline) / MB)
        # torch may have been imported during the probe, so look again.
        cuda = self._torch_cuda()
        if cuda is not None:
            try:
                self.gpu_peak_mb = float(cuda.max_memory_allocated()) / MB
            except Exception:  # pragma: no cover
                self.gpu_peak_mb = 0.0
