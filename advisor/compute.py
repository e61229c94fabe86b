"""Detect the hardware the probes will run on."""

from __future__ import annotations

import os

from advisor.errors import AdvisorError
from advisor.facts import ComputeInfo

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def _memory_gb() -> float:
    try:
        import psutil

        return psutil.virtual_memory().total / 1024**3
    except Exception:  # pragma: no cover - psutil is a dependency; fall back to sysconf
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def usable_cpus() -> int:
    """CPUs this process may run on: its affinity mask (containers, taskset), not the host's count.

    The one place thread counts come from (LightGBM, torch, the leakage search)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# Below this many cells (rows x columns) numpy/scipy/scikit-learn fits run their BLAS on
# one thread: measured on 2 shared cores, a logistic regression on 455 x 30 took 5 ms on one
# thread and 50-130 ms on two, which spin-wait on each other for work too small to split
# (the same effect as LightGBM's and torch's single-thread rules in probes/_gbdt.py, _torch.py).
SINGLE_BLAS_THREAD_CELLS = 2_000_000


def blas_threads(n_cells: int) -> int:
    """BLAS threads for work on ``n_cells`` cells: one for small data, else every usable CPU."""
    return 1 if n_cells < SINGLE_BLAS_THREAD_CELLS else usable_cpus()


def detect_compute(device: str = "auto", *, probe_gpu: bool = True) -> ComputeInfo:
    """CPU cores, memory and the GPU torch sees; choose the probe device.

    ``probe_gpu=False`` skips importing torch (used when no probe needs it).
    ``device="cuda"`` without a visible GPU is an error the user can fix.
    """
    if device not in DEVICE_CHOICES:
        raise AdvisorError(f"unknown device '{device}': use one of {', '.join(DEVICE_CHOICES)}")
    info = ComputeInfo(cpu_cores=usable_cpus(), memory_gb=round(_memory_gb(), 1))
    if probe_gpu and device != "cpu":
        try:
            import torch

            info.torch_version = torch.__version__.split("+")[0]
            if torch.cuda.is_available():
                props = torch.cuda.get_device_properties(0)
                info.gpu_name = props.name
                info.gpu_memory_gb = round(props.total_memory / 1024**3, 1)
        except ImportError:
            info.device_reason = "PyTorch is not installed, so no GPU can be used"
    if device == "cuda" and not info.has_gpu:
        raise AdvisorError(
            "--device cuda was asked for but PyTorch sees no CUDA GPU: "
            "install a CUDA build of torch, or use --device auto"
        )
    if device == "cpu":
        info.device, info.device_reason = "cpu", "--device cpu was given"
    elif info.has_gpu:
        info.device, info.device_reason = "cuda", f"GPU found: {info.gpu_name}"
    else:
        info.device = "cpu"
        info.device_reason = info.device_reason or "no CUDA GPU visible to PyTorch"
    return info
