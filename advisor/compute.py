"""Detect the hardware the probes will run on."""

from __future__ import annotations

import glob
import os
import sys

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


# Work running beside this process's own fits on the same cores: a side lane and the helpers
# it forks (``advisor.probing.lanes``), registered while it runs.
_BESIDE: set[int] = set()


def work_beside(owner: object, running: bool) -> None:
    """Register (``running``) or end the work of ``owner`` that runs beside this process's fits."""
    (_BESIDE.add if running else _BESIDE.discard)(id(owner))


def fit_threads() -> int:
    """Threads one fit in this process may take (torch, LightGBM, BLAS): every usable CPU, or one
    while other work runs beside it (``work_beside``). A side lane and its helpers can hold every
    core, and threads that spin-wait for a core held elsewhere stall each other: a net fitted here
    beside the lane (where torch sees a GPU, the nets cannot go to the pool's pinned helpers) ran
    12 to 14 epochs on digits with 2 threads on 2 cores, 27 with one, in the same 12 s budget; 3
    with 16 threads on 16 cores (docs/benchmarks.md, "On a GPU")."""
    return 1 if _BESIDE else usable_cpus()


# Below this many cells (rows x columns) numpy/scipy/scikit-learn fits run their BLAS on
# one thread: measured on 2 shared cores, a logistic regression on 455 x 30 took 5 ms on one
# thread and 50-130 ms on two, which spin-wait on each other for work too small to split
# (the same effect as LightGBM's and torch's single-thread rules in probes/_gbdt.py, _torch.py).
SINGLE_BLAS_THREAD_CELLS = 2_000_000


def blas_threads(n_cells: int) -> int:
    """BLAS threads for work on ``n_cells`` cells: one for small data, else ``fit_threads()``."""
    return 1 if n_cells < SINGLE_BLAS_THREAD_CELLS else fit_threads()


# Where a Linux machine shows an NVIDIA GPU to processes: the native driver, its device
# nodes, or WSL 2's paravirtual GPU (CUDA there goes through /dev/dxg, without /dev/nvidia*).
GPU_PATHS = ("/proc/driver/nvidia", "/dev/dxg")
GPU_DEVICE_GLOB = "/dev/nvidia*"


def no_gpu_visible() -> bool:
    """True when this machine certainly shows no NVIDIA GPU to this process, found without
    importing torch (2-3 s, before the file is even read): none of ``GPU_PATHS`` nor a
    ``/dev/nvidia*`` device, or ``CUDA_VISIBLE_DEVICES`` set to hide every device. False
    (ask torch) where in doubt. The same answer whether torch is loaded or not, so a
    report's device line does not depend on what ran before in the process."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return True
    if not sys.platform.startswith("linux"):
        return False  # no driver files to look at: torch decides
    return not (any(os.path.exists(p) for p in GPU_PATHS) or glob.glob(GPU_DEVICE_GLOB))


def _installed_version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package).split("+")[0]
    except PackageNotFoundError:
        return None


def detect_compute(device: str = "auto", *, probe_gpu: bool = True) -> ComputeInfo:
    """CPU cores, memory and the GPU torch sees; choose the probe device.

    ``probe_gpu=False`` skips importing torch (used when no probe needs it); so does a
    machine with no NVIDIA driver (``no_gpu_visible``): torch is then imported only where
    a net runs.
    ``device="cuda"`` without a visible GPU is an error the user can fix.
    """
    if device not in DEVICE_CHOICES:
        raise AdvisorError(f"unknown device '{device}': use one of {', '.join(DEVICE_CHOICES)}")
    info = ComputeInfo(cpu_cores=usable_cpus(), memory_gb=round(_memory_gb(), 1))
    if probe_gpu and device != "cpu" and no_gpu_visible():
        info.torch_version = _installed_version("torch")
        info.device_reason = (
            "no NVIDIA GPU driver or device on this machine"
            if info.torch_version
            else "PyTorch is not installed, so no GPU can be used"
        )
    elif probe_gpu and device != "cpu":
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
